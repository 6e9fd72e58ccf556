"""The step after the restore: what came back, whether to trust it, and why a miss missed.

``actions/cache`` (restore now, save at the end of the job) outputs only ``cache-hit``:
``'true'`` on an exact hit, ``'false'`` after a restore-key match, unset on a miss. Which entry
came back is read from the provenance record inside the restored directory (see provenance.py);
``actions/cache/restore`` (used when the job never saves) also outputs the matched key itself,
which then wins over the record's claim.

Then this job's record replaces the restored one, so that the entry saved at the end of the job
carries its own key; the record of an exact hit stays (that entry is never saved again).

A restored record whose identity is not this job's (tampered with, or restored through someone
else's restore keys) means the entry was made for another interpreter, tool or kind: a
virtualenv is then removed rather than used, a tool cache is kept with a warning (the tools check
wheel tags themselves).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from cache_python_deps import failed_restore, github, provenance
from cache_python_deps.entries.key_format import describe_diff, diff_keys, parse_key
from cache_python_deps.errors import CachePythonDepsError
from cache_python_deps.github import StepIO
from cache_python_deps.provenance import Record
from cache_python_deps.steps.runtime import flag, run_step

if TYPE_CHECKING:  # the API modules load only when the API is asked
    from cache_python_deps.entries.client import Lookup
    from cache_python_deps.entries.stale import DamagedEntryRule


class RecordStepError(CachePythonDepsError):
    """The record step's inputs (set by the action itself) are missing or malformed."""


@dataclass(frozen=True)
class RestoreOutcome:
    """What the record step found and did."""

    matched_key: str
    restored: Record | None
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    removed: bool = False
    wrote_record: bool = False


def _this_job(environ: Mapping[str, str]) -> Record:
    try:
        return provenance.parse_record(environ.get("CPD_RECORD", ""))
    except provenance.InvalidRecordError as error:
        raise RecordStepError(f"the keys step's record is missing or invalid: {error}") from None


def describe_differences(restored: Record, this_job: Record) -> str:
    """How the restored entry's key differs from this job's, in the words of ``diff``."""
    return describe_diff(diff_keys(parse_key(restored.key), parse_key(this_job.key)))


def _remove_virtualenv(directory: Path) -> None:
    """Empty and remove a restored virtualenv, never following a link out of it."""
    from cache_python_deps.removal import ROOT, open_cache_tree  # noqa: PLC0415 - rare

    with open_cache_tree(directory) as tree:
        tree.remove_children(ROOT)
    directory.rmdir()


def inspect_restored(
    directory: Path,
    this_job: Record,
    *,
    cache_hit: str,
    restore_matched_key: str,
    venv: bool,
) -> RestoreOutcome:
    """Read and judge the restored record; remove a foreign virtualenv. No summary or log."""
    hit = cache_hit.strip().lower()
    if hit not in {"true", "false"}:
        return RestoreOutcome("", None, ("nothing was restored (no entry matched)",), ())
    matched = this_job.key if hit == "true" else restore_matched_key.strip()
    found = provenance.read_record(directory)
    restored = found.record
    notes: list[str] = []
    warnings: list[str] = []
    if found.problem:
        warnings.append(f"the restored entry's record was ignored: {found.problem}")
    if restored is None:
        if hit == "true":
            which = "the primary key (exact hit)"
        elif matched:
            which = f"{matched} (actions/cache/restore's matched key)"
        else:
            which = "unknown"
        notes.append(
            "the restored entry has no provenance record (saved before records existed, or its "
            f"directory was emptied): which entry it was is {which}"
        )
        return RestoreOutcome(matched, None, tuple(notes), tuple(warnings))
    foreign = restored.identity_differences(this_job)
    claims_other_key = bool(matched) and restored.key.lower() != matched.lower()
    if foreign or claims_other_key:
        what = (
            f"its record is for another {', '.join(foreign)}"
            if foreign
            else "its record names another key than the one restored"
        )
        if venv:
            _remove_virtualenv(directory)
            warnings.append(
                f"the restored virtualenv was removed: {what} (tampered with, or restored "
                "through another restore key); it will be created anew"
            )
            return RestoreOutcome("", restored, tuple(notes), tuple(warnings), removed=True)
        warnings.append(
            f"the restored cache may not be this job's: {what} (tampered with, or restored "
            "through another restore key)"
        )
        return RestoreOutcome(matched, restored, tuple(notes), tuple(warnings))
    if hit == "false":
        notes.append(f"partial restore: {describe_differences(restored, this_job)}")
    return RestoreOutcome(matched or restored.key, restored, tuple(notes), tuple(warnings))


def _saved_by(record: Record) -> list[tuple[str, str]]:
    saved = record.saved_by
    run = " attempt ".join(part for part in (saved.run_id, saved.run_attempt) if part)
    rows = [
        ("restored key", record.key),
        ("saved by", " ".join(part for part in (saved.repository, saved.workflow) if part)),
        ("run", run),
        ("ref", saved.ref or ""),
        ("commit", saved.sha or ""),
        ("saved at", saved.time),
    ]
    return [(name, value) for name, value in rows if value]


def summary(outcome: RestoreOutcome, this_job: Record) -> str:
    """The job summary's provenance section."""
    lines = ["#### Restored cache"]
    if outcome.restored is not None:
        lines += ["", github.markdown_table(_saved_by(outcome.restored))]
        differences = outcome.restored.differences(this_job)
        if differences:
            rows = [
                (name, f"{outcome.restored.component(name)} -> {dict(this_job.components)[name]}")
                for name in differences
            ]
            lines += ["", "Differs from this job's key:", "", github.markdown_table(rows)]
    lines += [""] + [f"- {github.markdown_code(note)}" for note in outcome.notes]
    lines += [f"- warning: {github.markdown_code(warning)}" for warning in outcome.warnings]
    return "\n".join(lines)


def _clear_failed_restore(
    environ: Mapping[str, str], directory: Path, cache_hit: str
) -> failed_restore.Leftover | None:
    """Remove what a failed restore left (see failed_restore.py); None when it left nothing."""
    before = failed_restore.parse_state(environ.get("CPD_DIRECTORY_BEFORE", ""))
    after = failed_restore.directory_state(directory)
    if not failed_restore.left_by_failed_restore(before, after, cache_hit):
        return None
    return failed_restore.remove_leftover(directory, before)


def check_restored(step: StepIO) -> None:
    """The record step (``main``): inputs from ``CPD_*``, outputs to the runner."""
    environ = step.environ
    this_job = _this_job(environ)
    directory_text = environ.get("CPD_CACHE_DIRECTORY_PATH", "")
    if not directory_text or "\n" in directory_text:
        raise RecordStepError("the keys step's cache directory is missing")
    directory = Path(directory_text)
    # The kind this job's keys were made for (the keys step read the input), not the raw input.
    venv = this_job.is_virtualenv
    cache_hit = environ.get("CPD_CACHE_HIT", "")
    may_save = _may_save(environ)
    leftover = _clear_failed_restore(environ, directory, cache_hit)
    outcome = inspect_restored(
        directory,
        this_job,
        cache_hit=cache_hit,
        restore_matched_key=environ.get("CPD_RESTORE_MATCHED_KEY", ""),
        venv=venv,
    )
    if leftover is not None:
        outcome = dataclasses.replace(outcome, notes=())  # the warning below says what happened
    for note in outcome.notes:
        step.print(github.log_text(note))
    if may_save and cache_hit.strip().lower() != "true":
        _write_record(step, directory, this_job, venv=venv)
    exact_hit = cache_hit.strip().lower() == "true" and not outcome.removed
    step.write_outputs(
        {"cache-matched-key": outcome.matched_key, "cache-hit": "true" if exact_hit else "false"}
    )
    sections: list[str] = []
    if not exact_hit:
        outcome = _explain_miss(step, outcome, this_job, leftover, sections)
    elif flag(environ, "CPD_DELETE_STALE_ENTRIES"):
        _delete_superseded(step, this_job, sections)
    for warning in outcome.warnings:
        step.annotate("warning", warning)
    step.write_summary("\n\n".join([summary(outcome, this_job), *sections]))


def _may_save(environ: Mapping[str, str]) -> bool:
    """The keys step said this run saves: never on events someone without write access can
    trigger, never with save-cache: false (the only runs that may delete entries)."""
    return environ.get("CPD_SAVE", "") == "true"


def _write_record(step: StepIO, directory: Path, this_job: Record, *, venv: bool) -> None:
    """This job's record, for the entry saved at the end of the job."""
    wrote = False
    try:
        wrote = provenance.write_record(directory, this_job, create=not venv)
    except OSError as error:
        step.annotate("warning", f"no provenance record written: {error.strerror or error}")
    if not wrote and venv:
        step.print(
            "no provenance record in the virtualenv: it does not exist yet (the entry saved "
            "at the end of the job will have none)"
        )


def _explain_miss(
    step: StepIO,
    outcome: RestoreOutcome,
    this_job: Record,
    leftover: failed_restore.Leftover | None,
    sections: list[str],
) -> RestoreOutcome:
    """One bounded lookup of the repository's entries: why no exact hit; after a failed restore,
    which entry failed (deleted with delete-stale-entries). The outcome gets its warning."""
    from cache_python_deps.entries import stale as stale_entries  # noqa: PLC0415
    from cache_python_deps.entries.miss_report import explain_without_exact_hit  # noqa: PLC0415

    environ = step.environ
    delete_stale = flag(environ, "CPD_DELETE_STALE_ENTRIES")
    rule = stale_entries.damaged_entry_rule(environ, this_job.key, this_job.saved_by.time)
    deleting = leftover is not None and delete_stale and _may_save(environ)
    report = explain_without_exact_hit(
        environ,
        this_job.key,
        matched_key=outcome.matched_key or None,
        tidy=stale_entries.damaged_tidy(rule) if deleting and rule is not None else None,
    )
    step.print(report.log_line)
    if report.notice:
        step.annotate("notice", report.notice)
    sections.append(report.summary_markdown)
    if leftover is None:
        return outcome
    if deleting and rule is not None and report.lookup is not None:
        _report_deletions(step, report.lookup, sections)
    warning = failed_restore_warning(
        leftover, rule, report.lookup, delete_stale=delete_stale, may_save=_may_save(environ)
    )
    return dataclasses.replace(outcome, warnings=(*outcome.warnings, warning))


def _delete_superseded(step: StepIO, this_job: Record, sections: list[str]) -> None:
    """After an exact hit, with delete-stale-entries: the entries it supersedes go."""
    from cache_python_deps.entries import stale as stale_entries  # noqa: PLC0415 - only when asked for

    if _may_save(step.environ):
        _report_deletions(
            step, stale_entries.delete_superseded(step.environ, this_job.key), sections
        )
        return
    reason = "this run may not save (save-cache: false, or an event that never saves)"
    step.print(f"cache-python-deps: stale entries not deleted: {reason}")
    sections.append(stale_entries.no_deletion_summary(reason))


def _report_deletions(step: StepIO, lookup: Lookup, sections: list[str]) -> None:
    """The deletions in the log (one inert line each) and as a job-summary section."""
    from cache_python_deps.entries import stale as stale_entries  # noqa: PLC0415

    for line in stale_entries.deletion_text_lines(lookup):
        step.print(f"cache-python-deps: {line}")
    sections.append(stale_entries.deletion_summary(lookup))


def failed_restore_warning(
    leftover: failed_restore.Leftover,
    rule: DamagedEntryRule | None,
    lookup: Lookup | None,
    *,
    delete_stale: bool,
    may_save: bool,
) -> str:
    """The one warning after a failed restore: what it left, and what became of the entry."""
    from cache_python_deps.entries import stale as stale_entries  # noqa: PLC0415
    from cache_python_deps.entries.miss_report import Untrusted, phrase_text  # noqa: PLC0415

    where = Untrusted(str(leftover.directory))
    count = f"{leftover.files} file{'' if leftover.files == 1 else 's'}"
    phrase: tuple[str, ...] = (
        f"the restore failed part way: actions/cache reported no hit but left {count} in ",
        where,
    )
    if leftover.removed:
        phrase += ("; they were removed, nothing of them is used",)
    else:
        phrase += (
            f"; they could not be removed ({leftover.problem}): the directory may hold a "
            "partial copy",
        )
    entries = lookup.listing.entries if lookup is not None and lookup.listing else None
    tried = rule.tried(entries) if rule is not None and entries is not None else None
    if tried is None:
        looked_up = "" if lookup is None or lookup.problem is None else f" ({lookup.problem})"
        phrase += (f"; the damaged entry was not found in the API's listing{looked_up}",)
        return phrase_text(phrase)
    named = (Untrusted(tried.key), " (", Untrusted(tried.ref), ")")
    assert rule is not None and lookup is not None
    if rule.damaged([tried], lookup.clock_offset) is None:
        return phrase_text(
            (
                *phrase,
                "; the entry with this key, ",
                *named,
                ", was created after this job started (another job's save?): not deleted",
            )
        )
    deletion = stale_entries.find_deleted(lookup, tried)
    if deletion is not None and deletion.deleted:
        tail: tuple[str, ...] = (
            "; the damaged entry ",
            *named,
            " was deleted, so this job's save replaces it",
        )
    elif deletion is not None or (delete_stale and may_save):
        why = (deletion.problem if deletion else None) or lookup.not_deleted or lookup.problem
        tail = ("; the damaged entry ", *named, f" could not be deleted: {why}")
    elif delete_stale:
        tail = (
            "; the entry ",
            *named,
            " is damaged; not deleted: this run may not save",
        )
    else:
        tail = (
            "; the entry ",
            *named,
            " is damaged: every run fails to restore it until it is deleted or the key changes "
            "(delete-stale-entries: true, with permissions actions: write, deletes it)",
        )
    return phrase_text((*phrase, *tail))


def main(environ: Mapping[str, str] | None = None, stdout: TextIO | None = None) -> int:
    """The step after the restore: provenance, cache-matched-key, this job's record, misses."""

    def warn(step: StepIO, message: str) -> None:
        step.annotate("warning", message)

    return run_step(environ, stdout, check_restored, warn)
