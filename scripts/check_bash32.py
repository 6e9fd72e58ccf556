"""Refuse bash the macOS runners cannot run: their `shell: bash` is /bin/bash 3.2.

Usage: python scripts/check_bash32.py [FILE ...]

Checks shell scripts (``*.sh``) and the ``run:`` scripts of bash steps in action and workflow
files (``*.yml``) for constructs bash 3.2 lacks, and prints one line per finding as
``FILE:LINE: what (bash N.M): the line``; exits 1 if there is any. Without arguments it checks
what the action runs on every runner (action/run.sh, action.yml, prune/action.yml) and the
workflows, whose jobs run on macOS too.

It reads the text, it does not parse bash: a construct inside a comment is ignored, one inside
a quoted string is reported (bash expands most of them there).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILES = ("action/run.sh", "action.yml", "prune/action.yml", ".github/workflows")

_NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^]]*\])?"
# (what, the bash release that brought it, pattern)
CONSTRUCTS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("${x,,} / ${x^^} case conversion", "4.0", re.compile(r"\$\{[#!]?" + _NAME + r"(?:,|\^)")),
    ("${x@Q} transformation", "4.4", re.compile(r"\$\{[#!]?" + _NAME + r"@[QEPAKaUuLk]\}")),
    ("mapfile / readarray", "4.0", re.compile(r"(?<![\w-])(?:mapfile|readarray)(?![\w-])")),
    ("wait -n / -f / -p", "4.3", re.compile(r"(?<![\w-])wait\s+(?:-\w*[nfp])")),
    (
        "associative array (declare -A)",
        "4.0",
        re.compile(r"(?<![\w-])(?:declare|local|typeset|readonly)\s+(?:-\w+\s+)*-\w*A"),
    ),
    (
        "name reference (declare -n)",
        "4.3",
        re.compile(r"(?<![\w-])(?:declare|local|typeset)\s+(?:-\w+\s+)*-\w*n"),
    ),
    ("$EPOCHREALTIME / $EPOCHSECONDS", "5.0", re.compile(r"\bEPOCH(?:REALTIME|SECONDS)\b")),
    ("$BASHPID", "4.0", re.compile(r"\bBASHPID\b")),
    ("coproc", "4.0", re.compile(r"(?<![\w-])coproc(?![\w-])")),
    ("&>> (append both streams)", "4.0", re.compile(r"&>>")),
    ("|& (pipe both streams)", "4.0", re.compile(r"\|&")),
    (";& / ;;& (case fall-through)", "4.0", re.compile(r";;?&")),
)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str
    since: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what} (bash {self.since}): {self.text.strip()}"


def _without_comment(line: str) -> str:
    """The line without a trailing ``# comment`` (a ``#`` that starts a word)."""
    match = re.search(r"(?:^|\s)#", line)
    return line if match is None else line[: match.start()]


def check_script(text: str, path: str, first_line: int = 1) -> list[Finding]:
    """The bash-3.2 problems in a script whose first line is ``first_line`` of ``path``."""
    findings = []
    for number, line in enumerate(text.splitlines(), start=first_line):
        code = _without_comment(line)
        for what, since, pattern in CONSTRUCTS:
            if pattern.search(code):
                findings.append(Finding(path, number, what, since, line))
    return findings


def _default_shell(mapping: dict[str, Any]) -> str:
    return str(((mapping.get("defaults") or {}).get("run") or {}).get("shell") or "")


def _bash_scripts(document: object) -> Iterator[str]:
    """The ``run:`` scripts of bash steps (a step without a shell is bash on macOS)."""
    if not isinstance(document, dict):
        return
    steps = [(step, "") for step in (document.get("runs") or {}).get("steps") or []]
    for job in (document.get("jobs") or {}).values():
        shell = _default_shell(job) or _default_shell(document)
        steps += [(step, shell) for step in job.get("steps") or []]
    for step, default in steps:
        shell = str(step.get("shell") or default or "bash")
        script = step.get("run")
        if isinstance(script, str) and shell.split(maxsplit=1)[0] == "bash":
            yield script


def check_yaml(text: str, path: str) -> list[Finding]:
    """The bash-3.2 problems in the bash ``run:`` scripts of an action or workflow file."""
    lines = text.splitlines()
    findings = []
    searched_from = 0
    for script in _bash_scripts(yaml.safe_load(text)):
        first = script.strip().splitlines()[0] if script.strip() else ""
        # The script's first line in the file, for the line numbers of what is found in it.
        start = next(
            (
                index
                for index in range(searched_from, len(lines))
                if first and first.strip() in lines[index]
            ),
            0,
        )
        searched_from = start + 1
        findings += check_script(script, path, first_line=start + 1)
    return findings


def check_file(path: Path, shown: str) -> list[Finding]:
    text = path.read_text(encoding="utf-8")
    if path.suffix in {".yml", ".yaml"}:
        return check_yaml(text, shown)
    return check_script(text, shown)


def files_to_check(arguments: list[str]) -> list[Path]:
    found = []
    for argument in arguments or [str(ROOT / name) for name in DEFAULT_FILES]:
        path = Path(argument)
        found += sorted(path.glob("*.yml")) if path.is_dir() else [path]
    return found


def main(arguments: list[str]) -> int:
    findings = []
    for path in files_to_check(arguments):
        shown = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        findings += check_file(path, shown)
    for finding in findings:
        print(finding)
    if findings:
        print(
            f"{len(findings)} construct(s) that macOS's /bin/bash 3.2 cannot run", file=sys.stderr
        )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
