#!/usr/bin/env bash
# Install everything the test suite needs, idempotently: Debian's PyPy and debug CPython (the real
# interpreters the tests probe), Debian's pip, a development virtualenv (.venv), a virtualenv with
# the third-party tools whose cache directories are compared (.venv-tools) and their older
# releases (.venv-tool-releases), and the npm packages of the local actions/cache stand-in used by
# the end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}

missing_debian_packages=()
command -v pypy3 >/dev/null 2>&1 || missing_debian_packages+=(pypy3)
[ -x /usr/bin/python3.11d ] || missing_debian_packages+=(python3-dbg)
# Debian's own pip (in /usr/lib/python3/dist-packages): the layout tests key the system python3 and
# its virtualenvs against what `python3 -m pip` really imports (tests/test_pip_layouts.py).
[ -f /usr/lib/python3/dist-packages/pip/__init__.py ] || missing_debian_packages+=(python3-pip)
if [ ${#missing_debian_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "dev-setup: please install with apt-get: ${missing_debian_packages[*]}" >&2
    exit 1
  fi
  echo "dev-setup: apt-get install ${missing_debian_packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_debian_packages[@]}" >/dev/null
fi

# A real 32-bit x86 CPython: Debian's i386 python3.11 and the i386 libraries it needs, unpacked
# (not installed) into .interpreters/i386 and run through their own loader, so that the system's
# packages stay as they are. Two wrappers run it, plainly and under `setarch linux32`.
i386_root=.interpreters/i386
i386_packages=(python3.11-minimal libpython3.11-minimal libpython3.11-stdlib libc6 libgcc-s1 zlib1g libexpat1)
if [ ! -x "$i386_root/usr/bin/python3.11" ] || [ ! -f "$i386_root/usr/lib/python3.11/json/__init__.py" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "dev-setup: please run as root once, to unpack Debian's i386 python3.11 into $i386_root" >&2
    exit 1
  fi
  echo "dev-setup: unpacking Debian's i386 python3.11 into $i386_root"
  dpkg --print-foreign-architectures | grep -qx i386 || dpkg --add-architecture i386
  apt-get update -qq
  i386_download=$(mktemp -d)
  (cd "$i386_download" &&
    apt-get download -qq -o APT::Sandbox::User=root "${i386_packages[@]/%/:i386}")
  # Unpacked beside the target and moved in last, so that an interrupted run is redone.
  rm -rf "$i386_root.partial" && mkdir -p "$i386_root.partial"
  for deb in "$i386_download"/*.deb; do dpkg-deb --extract "$deb" "$i386_root.partial"; done
  rm -rf "$i386_download" "$i386_root" && mv "$i386_root.partial" "$i386_root"
fi
for i386_setarch in "" "setarch linux32 "; do
  i386_wrapper=$i386_root/python3.11${i386_setarch:+-linux32}
  cat >"$i386_wrapper" <<WRAPPER
#!/bin/sh
# Written by scripts/dev-setup.sh: Debian's i386 python3.11 unpacked beside this file, run through
# its own loader and libraries${i386_setarch:+ under setarch linux32 (uname -m says i686)}.
root=\$(cd "\$(dirname "\$0")" && pwd)
exec ${i386_setarch}"\$root/lib/ld-linux.so.2" \\
  --library-path "\$root/lib/i386-linux-gnu:\$root/usr/lib/i386-linux-gnu" \\
  --argv0 "\$root/usr/bin/python3.11" "\$root/usr/bin/python3.11" "\$@"
WRAPPER
  chmod +x "$i386_wrapper"
done

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]' -r requirements/dev.txt

# pypa/packaging, the oracle for ABI tags and wheel platforms (tests/test_packaging_oracle.py),
# in the newest release that still runs on each older real interpreter; .venv has the current one.
for oracle in 24.2 21.3 20.9; do
  if [ ! -d ".oracles/packaging-$oracle/packaging" ]; then
    .venv/bin/python -m pip install -q --no-deps --target ".oracles/packaging-$oracle" \
      "packaging==$oracle"
  fi
done

if [ -f tests/tools-requirements.txt ]; then
  if [ ! -x .venv-tools/bin/python ]; then
    "$python" -m venv .venv-tools
  fi
  .venv-tools/bin/python -m pip install -q -r tests/tools-requirements.txt
fi

# Older releases of the tools, on each side of the rule changes the tool modules model
# (tests/tool-releases.txt): a small environment each under .venv-tool-releases, installed only
# when missing or when its line changed.
.venv/bin/python -c 'from tests.toolsenv import ensure_tool_releases as f; f()'

# npm ci when node_modules is missing or differs from package-lock.json (after a version bump),
# through the harness's own check and lock, so that it never races a running e2e test.
.venv/bin/python -c 'from tests.e2e.act_harness import ensure_cache_standin_installed as f; f()'

# GitHub's OpenAPI description (npm @octokit/openapi), which the tests' local REST API validates
# every request and answer against; installed or refreshed the same way.
.venv/bin/python -c 'from tests.github_openapi import ensure_installed as f; f()'
