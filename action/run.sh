#!/usr/bin/env bash
# Usage: run.sh PATH/TO/launch.py keys|record|prune  (a full path: on Windows the action path has
# backslashes, which dirname would not split)
#
# Runs one step of the action's own code with a Python >= 3.10 already on the runner: the one
# that ran the action's keys step (CPD_ACTION_PYTHON, for the later steps), the interpreter being
# keyed (CPD_PYTHON), then python3, python, python3.16 ... python3.10, py. Each runs the launcher
# isolated (-E -s -S: no PYTHON* variables, no site-packages, nothing installed) and bounded in
# time: it must start within CPD_START_SECONDS (20) and finish within CPD_STEP_SECONDS (170, more
# than the lookup command's own 120 s limit), or it is killed. A candidate counts only when the
# launcher itself says it finished, by writing its exit status to a "done" file: a Python too old
# for the code (exit 86), a pyenv shim for a version that is not installed (exit 127), a crash, a
# hang, or an exit 0 that never ran the code all fall through to the next candidate, so the usual
# case costs a single interpreter start. If none works, caching is skipped with one warning, or the
# step fails under fail-on-error: true. Portable to bash 3.2 (macOS) and Git Bash (Windows), and
# needs no `timeout` command (macOS has none). Inputs arrive as CPD_* variables.
set -uo pipefail
# Job control: each candidate runs in a process group of its own, so that a time limit ends it
# together with everything it started.
set -m
script=$1
step=$2
start_limit=${CPD_START_SECONDS:-20}
total_limit=${CPD_STEP_SECONDS:-170}

marks="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/cpd-$$-$RANDOM$RANDOM"
started="$marks.started"
done_file="$marks.done"
trap 'rm -f "$started" "$done_file"' EXIT

# cache-directory-lookup-command runs in this same bash (see engine.py), as the original action
# ran it in its own `shell: bash` step. Under Git Bash, $BASH is an MSYS path (/usr/bin/bash)
# that a native python.exe cannot start: cygpath gives its Windows path.
if [ -n "${CPD_CACHE_DIRECTORY_LOOKUP_COMMAND:-}" ]; then
  CPD_BASH=${BASH:-}
  if [ -n "$CPD_BASH" ] && command -v cygpath >/dev/null 2>&1; then
    CPD_BASH=$(cygpath -w "$CPD_BASH" 2>/dev/null) || CPD_BASH=$BASH
  fi
  CPD_BASH=${CPD_BASH%$'\r'}
  export CPD_BASH
fi

# Kills PID unless it has started (written $started) within start_limit seconds and finished
# within total_limit seconds. Runs in the background; TERM ends it early.
watchdog() {
  local pid=$1 waited=0 sleeper=""
  trap '[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null; exit 0' TERM
  while [ "$waited" -lt "$total_limit" ]; do
    sleep 1 &
    sleeper=$!
    wait "$sleeper"
    waited=$((waited + 1))
    if [ "$waited" -ge "$start_limit" ] && [ ! -e "$started" ]; then
      break
    fi
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
  exit 0
}

# Runs the launcher in one candidate; sets $status and $why (empty when the code finished).
run_candidate() {
  local candidate=$1 child dog finished
  rm -f "$started" "$done_file"
  CPD_STARTED_FILE=$started CPD_DONE_FILE=$done_file "$candidate" -E -s -S "$script" "$step" </dev/null &
  child=$!
  watchdog "$child" &
  dog=$!
  wait "$child"
  status=$?
  # The done file is read before the watchdog is stopped: a watchdog stopped before it got going
  # runs the EXIT trap it inherited, which removes the marks.
  finished=no
  if [ -s "$done_file" ]; then
    finished=yes
    read -r status <"$done_file" || status=1
    # Written as bytes ("0\n"); a "\r" from a text-mode writer on Windows is dropped, since Git
    # Bash's read keeps it.
    status=${status%$'\r'}
  fi
  kill -TERM "$dog" 2>/dev/null
  wait "$dog" 2>/dev/null
  why=""
  if [ "$finished" = yes ]; then
    case "$status" in 0 | 1) ;; *) status=1 ;; esac
    return
  fi
  case "$status" in
    86) why="too old" ;;
    126 | 127) why="cannot run (exit $status)" ;;
    137) why="killed after a time limit" ;;
    0) why="exited without running the action's code" ;;
    *) why="failed with exit $status" ;;
  esac
}

tried=""
seen=" "
for candidate in "${CPD_ACTION_PYTHON:-}" "${CPD_PYTHON:-python}" python3 python python3.16 \
  python3.15 python3.14 python3.13 python3.12 python3.11 python3.10 py; do
  [ -n "$candidate" ] || continue
  resolved=$(command -v "$candidate" 2>/dev/null) || continue
  case "$seen" in *" $resolved "*) continue ;; esac
  seen="$seen$resolved "
  run_candidate "$candidate"
  if [ -z "$why" ]; then
    exit "$status"
  fi
  tried="$tried${tried:+, }$candidate ($why)"
done

message="cache-python-deps needs a working Python 3.10 or newer on the runner (tried: ${tried:-none}); caching skipped"
# Escaped as the runner reads workflow-command data: the message holds input values.
message=${message//%/%25}
message=${message//$'\r'/%0D}
message=${message//$'\n'/%0A}
if [ "$step" = keys ] && [ -n "${GITHUB_OUTPUT:-}" ]; then
  # Builtins only (PATH may be bare here): 8 x 15 random bits as 32 hex digits.
  printf -v delimiter 'CPD_EOF_%04x%04x%04x%04x%04x%04x%04x%04x' \
    "$RANDOM" "$RANDOM" "$RANDOM" "$RANDOM" "$RANDOM" "$RANDOM" "$RANDOM" "$RANDOM"
  {
    printf 'cache-enabled<<%s\nfalse\n%s\n' "$delimiter" "$delimiter"
    printf 'save-cache<<%s\nfalse\n%s\n' "$delimiter" "$delimiter"
    printf 'skip-reason<<%s\n%s\n%s\n' "$delimiter" "no working Python 3.10+ on the runner" "$delimiter"
    printf 'is-stable-abi<<%s\nfalse\n%s\n' "$delimiter" "$delimiter"
  } >>"$GITHUB_OUTPUT" 2>/dev/null
fi
# fail-on-error read as the Python steps read it (steps/runtime.py's TRUE_WORDS): surrounding
# white space dropped, case ignored (bash 3.2 has no ${x,,}: each letter in both cases).
fail_on_error=${CPD_FAIL_ON_ERROR:-}
fail_on_error=${fail_on_error#"${fail_on_error%%[![:space:]]*}"}
fail_on_error=${fail_on_error%"${fail_on_error##*[![:space:]]}"}
case "$fail_on_error" in
  [Tt][Rr][Uu][Ee] | 1 | [Yy][Ee][Ss] | [Oo][Nn])
    echo "::error title=cache-python-deps::$message"
    exit 1
    ;;
esac
echo "::warning title=cache-python-deps::$message"
