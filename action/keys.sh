#!/usr/bin/env bash
# Find a Python >= 3.10 already on the runner to run the action's own code (the interpreter being
# keyed first, then python3, python, py), and run it isolated (-I). Inputs arrive as CPD_* variables.
set -uo pipefail

runs_action_code() {
  command -v "$1" >/dev/null 2>&1 &&
    "$1" -I -c 'import sys; sys.exit(sys.version_info[:2] < (3, 10))' >/dev/null 2>&1
}

action_python=""
for candidate in "${CPD_PYTHON:-python}" python3 python py; do
  if runs_action_code "$candidate"; then
    action_python=$candidate
    break
  fi
done

if [ -z "$action_python" ]; then
  message="cache-python-deps needs a Python 3.10 or newer on the runner to run (tried: ${CPD_PYTHON:-python}, python3, python, py); caching skipped"
  delimiter="CPD_EOF_$RANDOM$RANDOM$RANDOM"
  {
    printf 'cache-enabled<<%s\nfalse\n%s\n' "$delimiter" "$delimiter"
    printf 'skip-reason<<%s\n%s\n%s\n' "$delimiter" "$message" "$delimiter"
    printf 'is-stable-abi<<%s\nfalse\n%s\n' "$delimiter" "$delimiter"
  } >>"$GITHUB_OUTPUT"
  if [ "${CPD_FAIL_ON_ERROR:-false}" = "true" ]; then
    echo "::error title=cache-python-deps::$message"
    exit 1
  fi
  echo "::warning title=cache-python-deps::$message"
  exit 0
fi

exec "$action_python" -I "${GITHUB_ACTION_PATH}/action/keys.py"
