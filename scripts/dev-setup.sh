#!/usr/bin/env bash
# Install everything the test suite needs, idempotently: Debian's PyPy and debug CPython (the real
# interpreters the tests probe), a development virtualenv (.venv), a virtualenv with the third-party
# tools whose cache directories are compared (.venv-tools), and the npm packages of the local
# actions/cache stand-in used by the end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}

missing_debian_packages=()
command -v pypy3 >/dev/null 2>&1 || missing_debian_packages+=(pypy3)
[ -x /usr/bin/python3.11d ] || missing_debian_packages+=(python3-dbg)
if [ ${#missing_debian_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "dev-setup: please install with apt-get: ${missing_debian_packages[*]}" >&2
    exit 1
  fi
  echo "dev-setup: apt-get install ${missing_debian_packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_debian_packages[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]' -r requirements/dev.txt

if [ -f tests/tools-requirements.txt ]; then
  if [ ! -x .venv-tools/bin/python ]; then
    "$python" -m venv .venv-tools
  fi
  .venv-tools/bin/python -m pip install -q -r tests/tools-requirements.txt
fi

standin=tests/e2e/actions-cache
if [ -f "$standin/package-lock.json" ] && [ ! -d "$standin/node_modules" ]; then
  (cd "$standin" && npm ci --silent --no-audit --no-fund)
fi
