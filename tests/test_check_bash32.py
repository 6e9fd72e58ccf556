"""scripts/check_bash32.py: each construct macOS's /bin/bash 3.2 lacks is caught, and only those."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "check_bash32.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_bash32", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # for its dataclass
    spec.loader.exec_module(module)
    return module


check_bash32 = _load_script()

NEWER_BASH = [
    ("lower=${name,,}", "case conversion"),
    ('upper="${name^^}"', "case conversion"),
    ("first=${name^}", "case conversion"),
    ('echo "${items[0],}"', "case conversion"),
    ("quoted=${value@Q}", "transformation"),
    ("mapfile -t lines <file", "mapfile"),
    ("readarray lines < <(ls)", "mapfile"),
    ("wait -n", "wait -n"),
    ('wait -p finished -n "$a" "$b"', "wait -n"),
    ("declare -A seen", "associative array"),
    ("  local -A counts=()", "associative array"),
    ("declare -gA table", "associative array"),
    ("typeset -r -A frozen", "associative array"),
    ("declare -n ref=value", "name reference"),
    ("start=$EPOCHREALTIME", "EPOCHREALTIME"),
    ('echo "${EPOCHSECONDS}"', "EPOCHREALTIME"),
    ('echo "$BASHPID"', "BASHPID"),
    ("coproc worker { cat; }", "coproc"),
    ("make &>>build.log", "&>>"),
    ("make |& tee build.log", "|&"),
    ("case $x in a) echo a ;& b) echo b ;;& esac", "fall-through"),
]

BASH_32 = [
    "status=${status%$'\\r'}",
    "message=${message//%/%25}",
    'echo "${#items[@]}" "${items[@]}" "${!prefix@}"',
    "value=${value:-default} other=${other-,} more=${more:+,}",
    'printf -v delimiter "%04x" "$RANDOM"',
    '[[ "$abi_tag" =~ $pattern ]] && echo ok',
    "declare -a list; local -r fixed=1; local seen",
    'wait "$child"',
    "make >build.log 2>&1; make &>build.log; a | b && c &",
    "case $x in a) echo a ;; esac",
    'kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"',
    "# mapfile and ${x,,} in a comment are not run",
    "echo done  # wait -n would be bash 4.3",
    "python -m pip --disable-pip-version-check",
    "trap 'rm -f \"$done_file\"' EXIT",
]


@pytest.mark.parametrize(("line", "what"), NEWER_BASH)
def test_each_construct_newer_than_bash_32_is_caught(line: str, what: str) -> None:
    findings = check_bash32.check_script(f"set -u\n{line}\n", "x.sh")
    assert [finding.line for finding in findings] == [2], findings
    assert what in findings[0].what
    assert str(findings[0]).startswith("x.sh:2: ")


@pytest.mark.parametrize("line", BASH_32)
def test_what_bash_32_runs_is_not_reported(line: str) -> None:
    assert check_bash32.check_script(line, "x.sh") == []


WORKFLOW = """\
name: w
on: push
defaults:
  run:
    shell: bash
jobs:
  a:
    runs-on: macos-15
    steps:
      - run: echo fine
      - name: newer bash
        run: |
          set -euo pipefail
          mapfile -t lines <list
      - shell: pwsh
        run: echo ${x,,}
      - shell: python
        run: print("${x,,}")
  b:
    runs-on: windows-2025
    defaults:
      run:
        shell: cmd
    steps:
      - run: echo %x% |& more
"""

ACTION = """\
name: a
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "${INPUT,,}"
    - uses: actions/cache@v5
"""


def test_bash_steps_of_workflows_and_actions_are_checked() -> None:
    findings = check_bash32.check_yaml(WORKFLOW, "w.yml")
    assert [(finding.line, finding.what.split()[0]) for finding in findings] == [(14, "mapfile")]
    action = check_bash32.check_yaml(ACTION, "action.yml")
    assert [finding.line for finding in action] == [6]


def test_the_command_line_exits_1_and_names_each_finding(tmp_path: Path) -> None:
    script = tmp_path / "bad.sh"
    script.write_text("#!/usr/bin/env bash\ndeclare -A map\necho ok\nx=${y^^}\n")
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), str(script)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 1
    lines = completed.stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [f"{script}:2", f"{script}:4"]
    assert "bash 3.2 cannot run" in completed.stderr


def test_what_the_action_runs_is_bash_32_clean() -> None:
    completed = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout
    checked = check_bash32.files_to_check([])
    names = {path.relative_to(SCRIPT.parents[1]).as_posix() for path in checked}
    assert {"action/run.sh", "action.yml", "prune/action.yml"} <= names
    assert any(name.startswith(".github/workflows/") for name in names)
