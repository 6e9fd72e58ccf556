#!/usr/bin/env bash
# Usage: run.sh PATH/TO/keys.py|PATH/TO/prune.py  (full paths: on Windows the action path has
# backslashes, which dirname would not split)
#
# Runs the action's own code with a Python >= 3.10 already on the runner: the interpreter being
# keyed first, then python3, python, python3.16 ... python3.10, py (the keyed one may be 2.7 or
# 3.9, with setup-python's python3 on PATH the same). Each runs the script isolated (-E -s -S: no
# PYTHON* variables, no site-packages, nothing installed); a Python too old for it exits with 86
# and the next one is tried, so the usual case costs a single interpreter start. Inputs arrive as
# CPD_* variables.
set -uo pipefail
script=$1
too_old=86

tried=()
for candidate in "${CPD_PYTHON:-python}" python3 python python3.16 python3.15 python3.14 \
  python3.13 python3.12 python3.11 python3.10 py; do
  command -v "$candidate" >/dev/null 2>&1 || continue
  tried+=("$candidate")
  "$candidate" -E -s -S "$script"
  status=$?
  [ "$status" -eq "$too_old" ] || exit "$status"
done

message="cache-python-deps needs a Python 3.10 or newer on the runner (found too old: ${tried[*]:-none}); skipped"
if [[ "$script" == *keys.py ]]; then
  # Builtins only (PATH may be bare here): 8 x 15 random bits as 32 hex digits.
  printf -v delimiter 'CPD_EOF_%04x%04x%04x%04x%04x%04x%04x%04x' \
    "$RANDOM" "$RANDOM" "$RANDOM" "$RANDOM" "$RANDOM" "$RANDOM" "$RANDOM" "$RANDOM"
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
