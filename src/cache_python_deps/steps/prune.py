"""The prune sub-action (``prune/action.yml``), the job's last step: shrink the cache before
``actions/cache`` saves it at the end of the job.

Inputs arrive as ``CPD_*`` variables (``cache-directory-path``, ``tool``, ``is-stable-abi`` from
the main action's outputs; ``python-path`` and ``project-directory`` say where the dependencies
in use are read). It shares nothing with the keys step but ``steps.runtime``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from cache_python_deps import github
from cache_python_deps.github import Phrase, StepIO, Untrusted, human_size
from cache_python_deps.home import home_directory
from cache_python_deps.in_use import find_in_use, project_context
from cache_python_deps.prune import PruneReport, describe_superseded, prune_cache
from cache_python_deps.steps import runtime
from cache_python_deps.summary import PRUNE_HEADING, Status, notes_list, section, status_line
from cache_python_deps.tools import TOOL_NAMES, get_tool


def main(environ: Mapping[str, str] | None = None, stdout: TextIO | None = None) -> int:
    """The prune sub-action: shrink the cache before actions/cache saves it at the job's end."""

    def warn(step: StepIO, message: str) -> None:
        step.annotate("warning", message, title="prune")

    def summarize(step: StepIO, message: str, fails: bool) -> None:
        status = Status.FAILED if fails else Status.NOT_PRUNED
        step.write_summary(section(PRUNE_HEADING, status_line(status, (Untrusted(message),)), []))

    return runtime.run_step(
        environ,
        stdout,
        _prune,
        warn,
        failed="cache not pruned",
        title="prune",
        error_prefix="cache not pruned: ",
        summarize=summarize,
    )


def _prune(step: StepIO) -> None:
    environ = step.environ
    directory = environ.get("CPD_CACHE_DIRECTORY_PATH", "").strip()
    if not directory:
        raise runtime.InputError("input cache-directory-path is empty: pass the main step's output")
    tool = runtime.choice(environ, "CPD_TOOL", TOOL_NAMES, "pip")
    stable = runtime.flag(environ, "CPD_IS_STABLE_ABI", default=True)
    in_use = None
    if stable:
        context = project_context(
            runtime.project_directory(environ), environ, home_directory(environ)
        )
        in_use = find_in_use(get_tool(tool), context, runtime.python_input(environ))
    report = prune_cache(tool, Path(directory), unstable_abi=not stable, in_use=in_use)
    totals = f"{report.bytes_before} bytes before, {report.bytes_after} bytes after"
    message = f"pruned {tool} cache {report.directory}: {totals}"
    # Entry names come from the restored cache: each line inert, workflow commands fenced off.
    step.print(f"::group::{github.escape_annotation(github.log_text(message))}")
    github.fenced_lines(step.stdout, report.removed_entries)
    step.print("::endgroup::")
    if report.superseded is not None:
        step.print(github.log_text(describe_superseded(report.superseded)))
    step.write_summary(prune_summary(tool, report))


def prune_summary(tool: str, report: PruneReport) -> str:
    """The prune sub-action's section of the job summary: what went, in GitHub's size units."""
    removed = len(report.removed_entries)
    sentence: Phrase = (
        f"the {tool} cache in ",
        Untrusted(str(report.directory)),
        f" went from {human_size(report.bytes_before)} to {human_size(report.bytes_after)} "
        f"({removed} entr{'y' if removed == 1 else 'ies'} removed)",
    )
    notes: list[Phrase] = []
    if report.superseded is not None:
        # Its untrusted values are code spans already: one part, our words around them.
        notes.append((describe_superseded(report.superseded, github.markdown_code),))
    return section(PRUNE_HEADING, status_line(Status.PRUNED, sentence), [notes_list(notes)])
