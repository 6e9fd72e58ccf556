"""What every step of the action shares: its inputs, its failures, and its exit status.

Every step (``steps.keys``, ``steps.record``, ``steps.prune``) runs through ``run_step``: any
failure, expected or not, is one line; ``fail-on-error`` decides whether it fails the step or
only skips caching. Inputs arrive as ``CPD_*`` variables: ``choice`` and ``flag`` read them, with
the one table of true and false words (``action/run.sh`` accepts the same, for ``fail-on-error``
when no Python runs). ``launch`` tells ``action/run.sh`` that the action's own code ran to its end
(see run.sh), which is how a broken interpreter is told apart.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final, TextIO

from cache_python_deps import github
from cache_python_deps.errors import CachePythonDepsError, one_line
from cache_python_deps.github import StepIO

# The spellings a true/false input may take, case ignored (run.sh's fail-on-error the same).
TRUE_WORDS: Final = ("true", "1", "yes", "on")
FALSE_WORDS: Final = ("false", "0", "no", "off", "")
# What a step's failure means when fail-on-error is off (the warning's first words).
SKIPPED: Final = "caching skipped"


class InputError(CachePythonDepsError):
    """An action input has a value the action does not accept."""


def _input_name(variable: str) -> str:
    return variable.removeprefix("CPD_").lower().replace("_", "-")


def choice(environ: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = environ.get(name, "").strip().lower() or default
    if value not in choices:
        raise InputError(
            f"input {_input_name(name)} is {github.log_text(value, 100)!r}; "
            f"expected one of: {', '.join(choices)}"
        )
    return value


def flag(environ: Mapping[str, str], name: str, *, default: bool = False) -> bool:
    value = environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in TRUE_WORDS + FALSE_WORDS:
        raise InputError(
            f"input {_input_name(name)} is {github.log_text(value, 100)!r}; expected true or false"
        )
    return value in TRUE_WORDS


def _fails_on_error(environ: Mapping[str, str]) -> bool:
    """fail-on-error, as ``flag`` reads it; an invalid value is no "true" (it is reported)."""
    return environ.get("CPD_FAIL_ON_ERROR", "").strip().lower() in TRUE_WORDS


def python_input(environ: Mapping[str, str]) -> str:
    """The python-path input, else ``python`` on PATH (what actions/setup-python sets up)."""
    return environ.get("CPD_PYTHON", "").strip() or "python"


def project_directory(environ: Mapping[str, str]) -> Path:
    """The project-directory input, else the workspace, else the working directory."""
    workspace = environ.get("CPD_PROJECT_DIRECTORY") or environ.get("GITHUB_WORKSPACE") or "."
    return Path(workspace).absolute()


def run_step(
    environ: Mapping[str, str] | None,
    stdout: TextIO | None,
    body: Callable[[StepIO], None],
    on_failure: Callable[[StepIO, str], None],
    *,
    failed: str = SKIPPED,
    title: str = github.TITLE,
    error_prefix: str = "",
    summarize: Callable[[StepIO, str, bool], None] | None = None,
) -> int:
    """Run one step's body; any failure is one line, and fail-on-error decides the status.

    Without fail-on-error, ``on_failure`` gets ``"<failed>: <message>"`` and the step succeeds;
    with it, the message (after ``error_prefix``) is an error annotation and the step fails.
    Either way ``summarize`` (if given) gets the message and whether the step fails, for the
    job summary.
    """
    step = StepIO.from_environment(os.environ if environ is None else environ, stdout or sys.stdout)
    try:
        flag(step.environ, "CPD_FAIL_ON_ERROR")  # an invalid value is reported like any bad input
        body(step)
    except Exception as error:  # a cache problem must not break the build
        message = one_line(error)
        fails = _fails_on_error(step.environ)
        if fails:
            step.annotate("error", error_prefix + message, title=title)
        else:
            on_failure(step, f"{failed}: {message}")
        if summarize is not None:
            summarize(step, message, fails)
        return 1 if fails else 0
    return 0


def use_utf8_streams(*streams: object) -> None:
    """Make the standard streams write UTF-8 with ``\\n`` line ends, whatever the platform says.

    The runner reads a step's log as UTF-8, but a Python started with ``-E`` ignores
    ``PYTHONIOENCODING`` and ``PYTHONUTF8``: on Windows its pipes then use the ANSI code page
    (cp1252), which cannot encode most file names or refs. A character UTF-8 cannot encode
    either (a lone surrogate from a file name in another encoding) is written as a visible
    escape, never an exception.
    """
    for stream in streams:
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(encoding="utf-8", errors="backslashreplace", newline="\n")


def done_file_content(status: int) -> bytes:
    """What ``CPD_DONE_FILE`` holds: the status and one ``\\n``, as bytes.

    Bytes, because Python's text mode on Windows writes ``\\r\\n``, and bash's ``read`` in Git
    Bash keeps the ``\\r`` (run.sh strips one too, for any writer).
    """
    return f"{status}\n".encode("ascii")


def launch(step: Callable[[], int]) -> int:
    """Run a step for action/run.sh and tell it, through ``CPD_DONE_FILE``, that it finished."""
    use_utf8_streams(sys.stdout, sys.stderr)
    status = step()
    # Everything the step printed is out before run.sh learns that it finished.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    done = os.environ.get("CPD_DONE_FILE")
    if done:
        with contextlib.suppress(OSError):
            Path(done).write_bytes(done_file_content(status))
    return status
