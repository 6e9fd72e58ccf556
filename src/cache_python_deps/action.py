"""The composite action's entry point: inputs from the environment, outputs to the runner.

It runs with the standard library only (no click, nothing installed at run time), so the action
starts in milliseconds on any runner, offline and on GHES, without touching the user's Python.
Each action input reaches it as an environment variable set in ``action.yml`` (``CPD_*``).
A cache problem becomes a warning and "caching disabled", never a failed build, unless
``fail-on-error`` is true.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from cache_python_deps import github
from cache_python_deps.engine import Request, run
from cache_python_deps.errors import CachePythonDepsError
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
_FALSE = ("false", "0", "no", "off", "")


class InputError(CachePythonDepsError):
    """An action input has a value the action does not accept."""


def _choice(environ: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = environ.get(name, "").strip().lower() or default
    if value not in choices:
        input_name = name.removeprefix("CPD_").lower().replace("_", "-")
        raise InputError(f"input {input_name} is {value!r}; expected one of: {', '.join(choices)}")
    return value


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "").strip().lower()
    if value not in _TRUE + _FALSE:
        input_name = name.removeprefix("CPD_").lower().replace("_", "-")
        raise InputError(f"input {input_name} is {value!r}; expected true or false")
    return value in _TRUE


def request_from_environment(environ: Mapping[str, str]) -> Request:
    """Build the engine request from the action's ``CPD_*`` variables."""
    workspace = environ.get("CPD_PROJECT_DIRECTORY") or environ.get("GITHUB_WORKSPACE") or "."
    return Request(
        python=environ.get("CPD_PYTHON", "").strip() or "python",
        tool=_choice(environ, "CPD_TOOL", ("auto", *TOOL_NAMES), "pip"),
        kind=CacheKind(_choice(environ, "CPD_CACHE_KIND", ("tool", "venv"), "tool")),
        dependency_hash=environ.get("CPD_DEPENDENCY_HASH") or None,
        lookup_command=environ.get("CPD_CACHE_DIRECTORY_LOOKUP_COMMAND", "").strip() or None,
        project_directory=Path(workspace).absolute(),
        environ=environ,
        home=Path.home(),
    )


def _unexpected(error: Exception) -> str:
    """One line for an error no check anticipated (a bug, or an OS failure)."""
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"unexpected {type(error).__name__}: {first_line}".rstrip(": ")


def _skip(output_path: Path, summary_path: Path | None, reason: str, stdout: TextIO) -> None:
    decision = CachingDecision(False, reason)
    stdout.write(github.annotation("warning", reason, title="cache-python-deps") + "\n")
    # Written last, these outputs win over any the failed attempt may have written.
    github.write_outputs(output_path, skipped_outputs(decision))
    if summary_path:
        with contextlib.suppress(OSError):  # the summary is a courtesy; the outputs are not
            github.write_summary(summary_path, skipped_summary(decision))


def main(environ: Mapping[str, str] | None = None, stdout: TextIO | None = None) -> int:
    """Compute keys and the cache directory; write outputs, summary and annotations.

    Any failure, expected or not, skips caching with a warning (the build goes on), unless
    fail-on-error is true.
    """
    environ = os.environ if environ is None else environ
    stdout = sys.stdout if stdout is None else stdout
    output_name = environ.get("GITHUB_OUTPUT")
    if not output_name:
        stdout.write("::error title=cache-python-deps::GITHUB_OUTPUT is not set: not a runner\n")
        return 1
    output_path = Path(output_name)
    summary_name = environ.get("GITHUB_STEP_SUMMARY")
    summary_path = Path(summary_name) if summary_name else None
    try:
        _flag(environ, "CPD_FAIL_ON_ERROR")  # an invalid value is reported like any bad input
        _compute_and_report(environ, stdout, output_path, summary_path)
    except Exception as error:  # a cache problem must not break the build
        message = str(error) if isinstance(error, CachePythonDepsError) else _unexpected(error)
        if environ.get("CPD_FAIL_ON_ERROR", "").strip().lower() in _TRUE:
            stdout.write(github.annotation("error", message, title="cache-python-deps") + "\n")
            return 1
        _skip(output_path, summary_path, f"caching skipped: {message}", stdout)
    return 0


def _compute_and_report(
    environ: Mapping[str, str], stdout: TextIO, output_path: Path, summary_path: Path | None
) -> None:
    unstable_abi = UnstableAbiPolicy(
        _choice(environ, "CPD_UNSTABLE_ABI", ("skip", "isolate"), "skip")
    )
    cache_on_release_events = _flag(environ, "CPD_CACHE_ON_RELEASE_EVENTS")
    # Unlike the other flags, save-cache is on unless it is set to a false value.
    save_cache = not environ.get("CPD_SAVE_CACHE", "").strip() or _flag(environ, "CPD_SAVE_CACHE")
    result = run(request_from_environment(environ))
    decision = decide_caching(
        stability=result.identity.stability,
        unstable_abi=unstable_abi,
        event_name=environ.get("GITHUB_EVENT_NAME"),
        ref=environ.get("GITHUB_REF"),
        cache_on_release_events=cache_on_release_events,
    )
    if not decision.enabled:
        stdout.write(github.annotation("notice", decision.reason, title="Caching skipped") + "\n")
    outputs = github_outputs(result, decision, save_cache=save_cache)
    github.group(stdout, "cache-python-deps", [f"{k}: {v}" for k, v in outputs.items()])
    github.write_outputs(output_path, outputs)
    if summary_path:
        github.write_summary(summary_path, github_summary(result, decision))


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
    except CachePythonDepsError as error:
        level = "error" if environ.get("CPD_FAIL_ON_ERROR", "").lower() in _TRUE else "warning"
        stdout.write(github.annotation(level, f"cache not pruned: {error}", title="prune") + "\n")
        return 1 if level == "error" else 0
    message = (
        f"pruned {tool} cache {report.directory}: {report.bytes_before} bytes before, "
        f"{report.bytes_after} bytes after"
    )
    github.group(stdout, message, report.removed_entries)
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        github.write_summary(Path(summary), f"### cache-python-deps prune\n\n{message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
