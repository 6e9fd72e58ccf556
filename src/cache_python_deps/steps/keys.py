"""The action's keys step, before the restore: inputs from the environment, outputs to the
runner.

``action/run.sh`` starts each step through ``action/launch.py`` with the standard library only (no
click, nothing installed at run time), isolated (``-E -s -S``), so the action starts in
milliseconds on any runner, offline and on GHES, without touching the user's Python. Each action
input reaches it as a ``CPD_*`` environment variable set in ``action.yml``.

``main`` probes the interpreter, finds and validates the cache directory, composes the keys,
decides whether to restore and save, and hands everything to ``actions/cache``; it also notes the
cache directory's state before the restore, for the record step (``steps.record``) to tell what
a failed restore left. What every step shares is in ``steps.runtime``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TextIO

from cache_python_deps import github
from cache_python_deps.engine import Request, Result, run
from cache_python_deps.failed_restore import directory_state
from cache_python_deps.github import TITLE, StepIO
from cache_python_deps.home import home_directory
from cache_python_deps.keys import CacheKind
from cache_python_deps.policy import CachingDecision, UnstableAbiPolicy, decide_caching
from cache_python_deps.reporting import (
    failed_summary,
    github_outputs,
    job_facts,
    skipped_outputs,
    skipped_summary,
)
from cache_python_deps.sources import Origin, Source
from cache_python_deps.steps.runtime import (
    InputError,
    choice,
    flag,
    project_directory,
    python_input,
    run_step,
)
from cache_python_deps.summary import Status
from cache_python_deps.tools import TOOL_NAMES

# Outputs for the action's own later steps, not worth a log line.
_INTERNAL_OUTPUTS = frozenset({"record", "action-python", "directory-before", "summary-facts"})


def request_from_environment(environ: Mapping[str, str]) -> Request:
    """Build the engine request from the action's ``CPD_*`` variables."""
    home = home_directory(environ)
    if home is None:
        raise InputError("the home directory is unknown: HOME is unset and the user has none")
    return Request(
        python=python_input(environ),
        tool=choice(environ, "CPD_TOOL", ("auto", *TOOL_NAMES), "pip"),
        kind=CacheKind(choice(environ, "CPD_CACHE_KIND", ("tool", "venv"), "tool")),
        dependency_hash=environ.get("CPD_DEPENDENCY_HASH") or None,
        lookup_command=environ.get("CPD_CACHE_DIRECTORY_LOOKUP_COMMAND", "").strip() or None,
        project_directory=project_directory(environ),
        environ=environ,
        home=home,
    )


def main(environ: Mapping[str, str] | None = None, stdout: TextIO | None = None) -> int:
    """The keys step: compute keys and the cache directory; write outputs, and the job summary
    when the record step will not run (caching off, or a failure)."""
    return run_step(environ, stdout, _compute_and_report, _skip, summarize=_summarize_failure)


def _skip(step: StepIO, reason: str) -> None:
    """Caching is off for this job: one warning, and outputs that say so."""
    step.annotate("warning", reason)
    decision = CachingDecision(False, reason, save=False)
    # Written last, these outputs win over any a failed attempt may have written.
    with contextlib.suppress(github.OutputError):
        step.write_outputs(skipped_outputs(decision))


def _summarize_failure(step: StepIO, message: str, fails: bool) -> None:
    step.write_summary(failed_summary(Status.FAILED if fails else Status.SKIPPED, message))


def _python_source(environ: Mapping[str, str]) -> Source:
    """Where the interpreter came from: the python-path input, else ``python`` on PATH."""
    given = environ.get("CPD_PYTHON", "").strip()
    return Source(Origin.PYTHON_SETTING if given else Origin.PYTHON_ON_PATH)


def _compute_and_report(step: StepIO) -> None:
    environ = step.environ
    unstable_abi = UnstableAbiPolicy(
        choice(environ, "CPD_UNSTABLE_ABI", ("skip", "isolate"), "skip")
    )
    cache_on_release_events = flag(environ, "CPD_CACHE_ON_RELEASE_EVENTS")
    save_cache = flag(environ, "CPD_SAVE_CACHE", default=True)
    # Read by the record step; refused here, with the other inputs, when it is no boolean.
    flag(environ, "CPD_DELETE_STALE_ENTRIES")
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
    facts = job_facts(result, decision, _python_source(environ))
    outputs = github_outputs(
        result, decision, record=_record_json(result, environ), summary_facts=facts.to_json()
    )
    # The later steps of this action start this same Python first (see action/run.sh).
    outputs["action-python"] = sys.executable
    # Before the restore: the record step tells from it what a failed restore left.
    outputs["directory-before"] = directory_state(result.cache_directory).value
    shown = {name: value for name, value in outputs.items() if name not in _INTERNAL_OUTPUTS}
    github.group(step.stdout, TITLE, [f"{name}: {value}" for name, value in shown.items()])
    step.write_outputs(outputs)
    if not decision.enabled:  # else the record step writes this job's section, after the restore
        step.write_summary(skipped_summary(result, decision, facts))


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record_json(result: Result, environ: Mapping[str, str]) -> str:
    """This job's provenance record, handed to the record step through an output."""
    # provenance loads json: off the keys step's measured path until the record is written.
    from cache_python_deps import provenance  # noqa: PLC0415

    interpreter = result.interpreter.base_executable or result.interpreter.executable
    record = provenance.record_for(
        result.keys,
        provenance.saved_by_this_run(environ, _now()),
        interpreter=interpreter if result.kind is CacheKind.VENV else None,
    )
    return provenance.to_json(record)
