#!/usr/bin/env bash
# Usage: run.sh PATH/TO/keys.py|PATH/TO/prune.py  (full paths: on Windows the action path has
# backslashes, which dirname does not split)
# Find a Python >= 3.10 already on the runner to run the action's own code (the interpreter being
# keyed first, then python3, python, py), and run the script beside this file with it, isolated
# (-I): nothing is installed, user site-packages and PYTHON* variables are ignored. Inputs arrive
# as CPD_* variables.
set -uo pipefail
script=$1

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
  message="cache-python-deps needs a Python 3.10 or newer on the runner to run (tried: ${CPD_PYTHON:-python}, python3, python, py); skipped"
  if [[ "$script" == *keys.py ]]; then
    delimiter="CPD_EOF_$RANDOM$RANDOM$RANDOM$RANDOM"
    {
      printf 'cache-enabled<<%s\nfalse\n%s\n' "$delimiter" "$delimiter"
      printf 'skip-reason<<%s\n%s\n%s\n' "$delimiter" "$message" "$delimiter"
      printf 'is-stable-abi<<%s\nfalse\n%s\n' "$delimiter" "$delimiter"
    } >>"$GITHUB_OUTPUT"
  fi
  if [ "${CPD_FAIL_ON_ERROR:-false}" = "true" ]; then
    echo "::error title=cache-python-deps::$message"
    exit 1
  fi
  echo "::warning title=cache-python-deps::$message"
  exit 0
fi

exec "$action_python" -I "$script"
