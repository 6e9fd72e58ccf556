"""The composite action's steps: inputs from the environment, outputs to the runner.

``action/run.sh`` starts each step's launcher (``action/keys.py``, ``action/record.py``,
``action/prune.py``) with the standard library only (no click, nothing installed at run time),
isolated (``-E -s -S``), so the action starts in milliseconds on any runner, offline and on GHES,
without touching the user's Python. Each action input reaches it as a ``CPD_*`` environment
variable set in ``action.yml``.

- ``main`` (the keys step): probe the interpreter, find and validate the cache directory, compose
  the keys, decide whether to restore and save, and hand everything to ``actions/cache``.
- ``record_main`` (after the restore): learn from the provenance record which entry came back
  (``cache-matched-key``), check that its identity is this job's, write this job's record for the
  save at the end of the job, and explain a miss.
- ``prune_main``: the prune sub-action.

A cache problem of any kind (bad input, broken interpreter, unwritable runner files) is one line
and "caching skipped", never a failed build, unless ``fail-on-error`` is true; never a
traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from cache_python_deps import github
from cache_python_deps.engine import Request, Result, run
from cache_python_deps.errors import CachePythonDepsError
from cache_python_deps.github import TITLE, StepIO
from cache_python_deps.keys import CacheKind
from cache_python_deps.policy import CachingDecision, UnstableAbiPolicy, decide_caching
from cache_python_deps.reporting import (
    github_outputs,
    github_summary,
    skipped_outputs,
    skipped_summary,
)
from cache_python_deps.tools import TOOL_NAMES

_TRUE = ("true", "1", "yes", "on")
# Outputs for the action's own later steps, not worth a log line.
_INTERNAL_OUTPUTS = frozenset({"record", "action-python"})
_FALSE = ("false", "0", "no", "off", "")


class InputError(CachePythonDepsError):
    """An action input has a value the action does not accept."""


def _input_name(variable: str) -> str:
    return variable.removeprefix("CPD_").lower().replace("_", "-")


def _choice(environ: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = environ.get(name, "").strip().lower() or default
    if value not in choices:
        raise InputError(
            f"input {_input_name(name)} is {github.log_text(value, 100)!r}; "
            f"expected one of: {', '.join(choices)}"
        )
    return value


def _flag(environ: Mapping[str, str], name: str, *, default: bool = False) -> bool:
    value = environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in _TRUE + _FALSE:
        raise InputError(
            f"input {_input_name(name)} is {github.log_text(value, 100)!r}; expected true or false"
        )
    return value in _TRUE


def home_directory(environ: Mapping[str, str]) -> Path | None:
    """The user's home directory, or None when neither HOME nor the password database has it."""
    try:
        return Path.home()
    except (RuntimeError, KeyError, OSError):
        value = Path(environ.get("HOME", ""))
        return value if value.is_absolute() else None


def request_from_environment(environ: Mapping[str, str]) -> Request:
    """Build the engine request from the action's ``CPD_*`` variables."""
    workspace = environ.get("CPD_PROJECT_DIRECTORY") or environ.get("GITHUB_WORKSPACE") or "."
    home = home_directory(environ)
    if home is None:
        raise InputError("the home directory is unknown: HOME is unset and the user has none")
    return Request(
        python=environ.get("CPD_PYTHON", "").strip() or "python",
        tool=_choice(environ, "CPD_TOOL", ("auto", *TOOL_NAMES), "pip"),
        kind=CacheKind(_choice(environ, "CPD_CACHE_KIND", ("tool", "venv"), "tool")),
        dependency_hash=environ.get("CPD_DEPENDENCY_HASH") or None,
        lookup_command=environ.get("CPD_CACHE_DIRECTORY_LOOKUP_COMMAND", "").strip() or None,
        project_directory=Path(workspace).absolute(),
        environ=environ,
        home=home,
    )


def _unexpected(error: Exception) -> str:
    """One line for an error no check anticipated (a bug, or an OS failure)."""
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror}{where}"
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"unexpected {type(error).__name__}: {first_line}".rstrip(": ")


def _run_step(
    environ: Mapping[str, str] | None,
    stdout: TextIO | None,
    body: Callable[[StepIO], None],
    on_failure: Callable[[StepIO, str], None],
) -> int:
    """Run one step's body; any failure is one line, and fail-on-error decides the status."""
    step = StepIO.from_environment(os.environ if environ is None else environ, stdout or sys.stdout)
    try:
        _flag(step.environ, "CPD_FAIL_ON_ERROR")  # an invalid value is reported like any bad input
        body(step)
    except Exception as error:  # a cache problem must not break the build
        message = (
            str(error)
            if isinstance(error, (CachePythonDepsError, github.OutputError))
            else _unexpected(error)
        )
        if step.fail_on_error:
            step.annotate("error", message)
            return 1
        on_failure(step, f"caching skipped: {message}")
    return 0


def main(environ: Mapping[str, str] | None = None, stdout: TextIO | None = None) -> int:
    """The keys step: compute keys and the cache directory; write outputs and summary."""
    return _run_step(environ, stdout, _compute_and_report, _skip)


def _skip(step: StepIO, reason: str) -> None:
    """Caching is off for this job: one warning, and outputs that say so."""
    step.annotate("warning", reason)
    decision = CachingDecision(False, reason, save=False)
    # Written last, these outputs win over any a failed attempt may have written.
    with contextlib.suppress(github.OutputError):
        step.write_outputs(skipped_outputs(decision))
    step.write_summary(skipped_summary(decision))


def _compute_and_report(step: StepIO) -> None:
    environ = step.environ
    unstable_abi = UnstableAbiPolicy(
        _choice(environ, "CPD_UNSTABLE_ABI", ("skip", "isolate"), "skip")
    )
    cache_on_release_events = _flag(environ, "CPD_CACHE_ON_RELEASE_EVENTS")
    save_cache = _flag(environ, "CPD_SAVE_CACHE", default=True)
    if step.output_path is None:
        raise github.OutputError(github.NO_OUTPUT_FILE)
    result = run(request_from_environment(environ))
    decision = decide_caching(
        stability=result.identity.stability,
        unstable_abi=unstable_abi,
        event_name=environ.get("GITHUB_EVENT_NAME"),
        ref=environ.get("GITHUB_REF"),
        server_url=environ.get("GITHUB_SERVER_URL"),
        cache_on_release_events=cache_on_release_events,
        save_cache=save_cache,
    )
    if not decision.enabled:
        step.annotate("notice", decision.reason, title="Caching skipped")
    elif decision.restore_only:
        step.annotate("notice", decision.reason, title="Restore only")
    outputs = github_outputs(result, decision, record=_record_json(result, environ))
    # The later steps of this action start this same Python first (see action/run.sh).
    outputs["action-python"] = sys.executable
    shown = {name: value for name, value in outputs.items() if name not in _INTERNAL_OUTPUTS}
    github.group(step.stdout, TITLE, [f"{name}: {value}" for name, value in shown.items()])
    step.write_outputs(outputs)
    step.write_summary(github_summary(result, decision))


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record_json(result: Result, environ: Mapping[str, str]) -> str:
    """This job's provenance record, handed to the record step through an output."""
    from cache_python_deps import provenance  # noqa: PLC0415 - keeps the keys step lean

    interpreter = result.interpreter.base_executable or result.interpreter.executable
    record = provenance.record_for(
        result.keys,
        provenance.saved_by_this_run(environ, _now()),
        interpreter=interpreter if result.kind is CacheKind.VENV else None,
    )
    return provenance.to_json(record)


def record_main(environ: Mapping[str, str] | None = None, stdout: TextIO | None = None) -> int:
    """The step after the restore: provenance, cache-matched-key, this job's record, misses."""
    from cache_python_deps.restored import check_restored  # noqa: PLC0415

    def warn(step: StepIO, message: str) -> None:
        step.annotate("warning", message)

    return _run_step(environ, stdout, check_restored, warn)


def prune_main(environ: Mapping[str, str] | None = None, stdout: TextIO | None = None) -> int:
    """The prune sub-action: shrink the cache before actions/cache saves it at the job's end."""
    from cache_python_deps.prune import prune_cache  # noqa: PLC0415 - only pruning needs it

    environ = os.environ if environ is None else environ
    stdout = sys.stdout if stdout is None else stdout
    directory = environ.get("CPD_CACHE_DIRECTORY_PATH", "").strip()
    try:
        if not directory:
            raise InputError("input cache-directory-path is empty: pass the main step's output")
        tool = _choice(environ, "CPD_TOOL", TOOL_NAMES, "pip")
        stable = _flag(environ, "CPD_IS_STABLE_ABI") if environ.get("CPD_IS_STABLE_ABI") else True
        report = prune_cache(tool, Path(directory), unstable_abi=not stable)
    except Exception as error:  # one line, never a traceback: pruning is only a courtesy
        message = str(error) if isinstance(error, CachePythonDepsError) else _unexpected(error)
        level = "error" if environ.get("CPD_FAIL_ON_ERROR", "").lower() in _TRUE else "warning"
        stdout.write(github.annotation(level, f"cache not pruned: {message}", title="prune") + "\n")
        return 1 if level == "error" else 0
    totals = f"{report.bytes_before} bytes before, {report.bytes_after} bytes after"
    message = f"pruned {tool} cache {report.directory}: {totals}"
    # Entry names come from the restored cache: each line inert, workflow commands fenced off.
    stdout.write(f"::group::{github.escape_annotation(github.log_text(message))}\n")
    github.fenced_lines(stdout, report.removed_entries)
    stdout.write("::endgroup::\n")
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        shown = f"pruned {tool} cache {github.markdown_code(report.directory)}: {totals}"
        github.write_summary(Path(summary), f"### cache-python-deps prune\n\n{shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def launch(step: Callable[[], int]) -> int:
    """Run a step for action/run.sh and tell it, through ``CPD_DONE_FILE``, that it finished."""
    status = step()
    done = os.environ.get("CPD_DONE_FILE")
    if done:
        with contextlib.suppress(OSError):
            Path(done).write_text(f"{status}\n", encoding="ascii")
    return status
