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

Only now is it known what the restore did, so this step writes the job summary's section for
this use of the action (``summary.py``): the status first, then this job's key (from the keys
step's ``summary-facts``, checked), the restored entry, the nearest entries and deletions.

An exact hit, the usual warm job, imports neither the REST client and its reports
(``entries.miss_report``, ``entries.stale``) nor the remover: those imports sit in the functions
that need them, off that measured path (benchmarks/action_main_step.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple, TextIO

from cache_python_deps import failed_restore, provenance
from cache_python_deps.entries.key_format import diff_keys, diff_phrase, parse_key
from cache_python_deps.errors import CachePythonDepsError
from cache_python_deps.github import Phrase, StepIO, Untrusted, markdown_table, phrase_text
from cache_python_deps.provenance import Record
from cache_python_deps.steps.runtime import flag, run_step
from cache_python_deps.summary import (
    RESTORED_HEADERS,
    Cached,
    InvalidJobFactsError,
    JobFacts,
    Status,
    heading,
    job_blocks,
    notes_list,
    parse_job_facts,
    restore_only_sentence,
    section,
    status_line,
)

if TYPE_CHECKING:  # the API modules load only when the API is asked
    from cache_python_deps.entries.client import Lookup
    from cache_python_deps.entries.miss_report import MissReport
    from cache_python_deps.entries.stale import DamagedEntryRule

NO_RECORD: Final = (
    "it has no provenance record (saved before records existed, or its directory was emptied)"
)
FAILED_RESTORE: Final = "the restore failed part way: "
VIRTUALENV_REMOVED: Final = "the restored virtualenv was removed: "


class RecordStepError(CachePythonDepsError):
    """The record step's inputs (set by the action itself) are missing or malformed."""


class RestoreOutcome(NamedTuple):
    """What the record step found and did."""

    matched_key: str
    restored: Record | None
    # For the log, one line each (the job summary says the same in its status line).
    notes: tuple[Phrase, ...]
    warnings: tuple[Phrase, ...]
    removed: bool = False
    # After a restore-key match: how the restored entry's key differs from this job's.
    difference: Phrase | None = None
    # Something was restored, but it holds no (valid) provenance record.
    unrecorded: bool = False


def _this_job(environ: Mapping[str, str]) -> Record:
    try:
        return provenance.parse_record(environ.get("CPD_RECORD", ""))
    except provenance.InvalidRecordError as error:
        raise RecordStepError(f"the keys step's record is missing or invalid: {error}") from None


def describe_differences(restored: Record, this_job: Record) -> Phrase:
    """How the restored entry's key differs from this job's, in the words of ``diff``."""
    return diff_phrase(diff_keys(parse_key(restored.key), parse_key(this_job.key)))


def _remove_virtualenv(directory: Path) -> None:
    """Empty and remove a restored virtualenv, never following a link out of it."""
    from cache_python_deps.removal import ROOT, open_cache_tree  # noqa: PLC0415 - see above

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
        return RestoreOutcome("", None, (("nothing was restored (no entry matched)",),), ())
    matched = this_job.key if hit == "true" else restore_matched_key.strip()
    found = provenance.read_record(directory)
    restored = found.record
    warnings: list[Phrase] = []
    if found.problem:
        warnings.append(("the restored entry's record was ignored: ", Untrusted(found.problem)))
    if restored is None:
        if hit == "true":
            which: Phrase = ("the primary key (exact hit)",)
        elif matched:
            which = (Untrusted(matched), " (actions/cache/restore's matched key)")
        else:
            which = ("unknown",)
        note = (
            "the restored entry has no provenance record (saved before records existed, or its "
            "directory was emptied): which entry it was is ",
            *which,
        )
        return RestoreOutcome(matched, None, (note,), tuple(warnings), unrecorded=True)
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
                (
                    VIRTUALENV_REMOVED,
                    f"{what} (tampered with, or restored through another restore key); it will "
                    "be created anew",
                )
            )
            return RestoreOutcome("", restored, (), tuple(warnings), removed=True)
        warnings.append(
            (
                f"the restored cache may not be this job's: {what} (tampered with, or restored "
                "through another restore key)",
            )
        )
        return RestoreOutcome(matched, restored, (), tuple(warnings))
    if hit == "false":
        difference = describe_differences(restored, this_job)
        return RestoreOutcome(
            matched or restored.key,
            restored,
            (("partial restore: ", *difference),),
            tuple(warnings),
            difference=difference,
        )
    return RestoreOutcome(matched or restored.key, restored, (), tuple(warnings))


def _clear_failed_restore(
    environ: Mapping[str, str], directory: Path, cache_hit: str
) -> failed_restore.Leftover | None:
    """Remove what a failed restore left (see failed_restore.py); None when it left nothing."""
    before = failed_restore.parse_state(environ.get("CPD_DIRECTORY_BEFORE", ""))
    after = failed_restore.directory_state(directory)
    if not failed_restore.left_by_failed_restore(before, after, cache_hit):
        return None
    return failed_restore.remove_leftover(directory, before)


class SummaryParts:
    """What the record step gathers for this job's section, besides its status (filled in as
    the step goes)."""

    def __init__(self) -> None:
        self.facts: JobFacts | None = None
        self.facts_problem: str | None = None
        self.report: MissReport | None = None
        self.deletions = ""
        self.failed_restore: Phrase | None = None


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
    if leftover is None:  # else the warning below says what happened
        for note in outcome.notes:
            step.print(phrase_text(note))
    if may_save and cache_hit.strip().lower() != "true":
        _write_record(step, directory, this_job, venv=venv)
    exact_hit = cache_hit.strip().lower() == "true" and not outcome.removed
    step.write_outputs(
        {"cache-matched-key": outcome.matched_key, "cache-hit": "true" if exact_hit else "false"}
    )
    parts = SummaryParts()
    parts.facts, parts.facts_problem = _job_facts(environ)
    if not exact_hit:
        _explain_miss(step, outcome, this_job, leftover, parts)
    elif flag(environ, "CPD_DELETE_STALE_ENTRIES"):
        _delete_superseded(step, this_job, parts)
    for warning in outcome.warnings:
        step.annotate("warning", "".join(warning))
    if parts.failed_restore is not None:
        step.annotate("warning", phrase_text(parts.failed_restore))
    step.write_summary(job_section(outcome, this_job, parts, exact_hit=exact_hit))


def _job_facts(environ: Mapping[str, str]) -> tuple[JobFacts | None, str | None]:
    """The keys step's facts for the summary, checked; or why they are not shown."""
    try:
        return parse_job_facts(environ.get("CPD_SUMMARY_FACTS", "")), None
    except InvalidJobFactsError as error:
        return None, f"they are not valid: {error}"


def job_section(
    outcome: RestoreOutcome, this_job: Record, parts: SummaryParts, *, exact_hit: bool
) -> str:
    """This use of the action's section of the job summary (see ``summary.py``)."""
    status, sentence, listed = _status(outcome, parts, exact_hit=exact_hit)
    more = restore_only_sentence(parts.facts)
    report = parts.report
    if status is Status.PARTIAL_RESTORE and report is not None and report.exact_key_listed:
        more = (("why no exact hit: ", *report.why), *more)
    blocks = job_blocks(parts.facts, this_job.components, parts.facts_problem)
    if outcome.restored is not None:
        blocks.append(_restored_table(outcome.restored, this_job))
    if report is not None:
        notes = report.notes
        if not report.explained:  # why the nearest entries are not shown
            notes = (report.why, *notes)
        if parts.deletions:  # the same lookup deleted: its usage is said after the deletions
            notes = tuple(note for note in notes if note is not report.usage)
        blocks += [report.entries_markdown, notes_list(notes)]
    blocks.append(parts.deletions)
    blocks.append(notes_list(("warning: ", *w) for w in outcome.warnings if w not in listed))
    cached = Cached.from_components(dict(this_job.components))
    return section(heading(cached), status_line(status, sentence, *more), blocks)


def _status(  # noqa: PLR0911 - one return per status
    outcome: RestoreOutcome, parts: SummaryParts, *, exact_hit: bool
) -> tuple[Status, Phrase, tuple[Phrase, ...]]:
    """The status, its sentence, and the warnings that sentence says (not listed again)."""
    if parts.failed_restore is not None:
        return Status.FAILED_RESTORE, parts.failed_restore[1:], ()
    removal = next((w for w in outcome.warnings if w[0] == VIRTUALENV_REMOVED), None)
    if outcome.removed and removal is not None:
        return Status.VIRTUALENV_REMOVED, removal[1:], (removal,)
    if exact_hit:
        sentence: Phrase = ("restored the entry saved under this job's key",)
        if outcome.restored is None:
            sentence += ("; ", NO_RECORD)
        return Status.EXACT_HIT, sentence, ()
    matched = (Untrusted(outcome.matched_key),) if outcome.matched_key else ()
    if outcome.restored is not None:
        sentence = ("restored ", *matched, " by the restore key")
        if outcome.difference is not None:
            sentence += (": ", *outcome.difference)
        return Status.PARTIAL_RESTORE, sentence, ()
    if outcome.unrecorded:
        if matched:
            sentence = ("restored ", *matched, " by the restore key; ", NO_RECORD)
        else:
            sentence = ("restored an entry by the restore key; which one is unknown: ", NO_RECORD)
        return Status.PARTIAL_RESTORE, sentence, ()
    report = parts.report
    if report is not None and report.explained:
        return Status.MISS, report.why, ()
    return Status.MISS, ("no entry matched this job's key or its restore key",), ()


def _restored_table(restored: Record, this_job: Record) -> str:
    """Which entry came back: its key, the run that saved it, and how it differs."""
    saved = restored.saved_by
    run: Phrase = ()
    if saved.run_id:
        run = (Untrusted(saved.run_id),)
        if saved.run_attempt:
            run += (" attempt ", Untrusted(saved.run_attempt))
    rows: list[tuple[str, Phrase]] = [
        ("key", (Untrusted(restored.key),)),
        ("repository", (Untrusted(saved.repository),) if saved.repository else ()),
        ("workflow", (Untrusted(saved.workflow),) if saved.workflow else ()),
        ("run", run),
        ("ref", (Untrusted(saved.ref),) if saved.ref else ()),
        ("commit", (Untrusted(saved.sha),) if saved.sha else ()),
        ("saved at", (Untrusted(saved.time),)),
    ]
    mine = dict(this_job.components)
    for name in restored.differences(this_job):  # component names: our words
        theirs = Untrusted(restored.component(name) or "")
        rows.append((f"differs in {name}", (theirs, " -> ", Untrusted(mine[name]))))
    return markdown_table(RESTORED_HEADERS, [((name,), value) for name, value in rows if value])


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
    parts: SummaryParts,
) -> None:
    """One bounded lookup of the repository's entries: why no exact hit; after a failed restore,
    which entry failed (deleted with delete-stale-entries), in ``parts.failed_restore``."""
    from cache_python_deps.entries.miss_report import explain_without_exact_hit  # noqa: PLC0415 - see above

    environ = step.environ
    delete_stale = flag(environ, "CPD_DELETE_STALE_ENTRIES")
    rule: DamagedEntryRule | None = None
    if leftover is not None:  # only a failed restore has a damaged entry to look for
        from cache_python_deps.entries import stale as stale_entries  # noqa: PLC0415 - see above

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
    parts.report = report
    if leftover is None:
        return
    if deleting and rule is not None and report.lookup is not None:
        _report_deletions(step, report.lookup, parts)
    parts.failed_restore = failed_restore_warning(
        leftover, rule, report.lookup, delete_stale=delete_stale, may_save=_may_save(environ)
    )


def _delete_superseded(step: StepIO, this_job: Record, parts: SummaryParts) -> None:
    """After an exact hit, with delete-stale-entries: the entries it supersedes go."""
    from cache_python_deps.entries import stale as stale_entries  # noqa: PLC0415 - see above

    if _may_save(step.environ):
        _report_deletions(step, stale_entries.delete_superseded(step.environ, this_job.key), parts)
        return
    reason = "this run may not save (save-cache: false, or an event that never saves)"
    step.print(f"cache-python-deps: stale entries not deleted: {reason}")
    parts.deletions = stale_entries.no_deletion_markdown(reason)


def _report_deletions(step: StepIO, lookup: Lookup, parts: SummaryParts) -> None:
    """The deletions in the log (one inert line each) and in the job summary."""
    from cache_python_deps.entries import stale as stale_entries  # noqa: PLC0415 - see above

    for line in stale_entries.deletion_text_lines(lookup):
        step.print(f"cache-python-deps: {line}")
    parts.deletions = stale_entries.deletion_markdown(lookup)


def failed_restore_warning(
    leftover: failed_restore.Leftover,
    rule: DamagedEntryRule | None,
    lookup: Lookup | None,
    *,
    delete_stale: bool,
    may_save: bool,
) -> Phrase:
    """The one warning after a failed restore: what it left, and what became of the entry.
    Its first part is ``FAILED_RESTORE``; the job summary's status line says the rest."""
    from cache_python_deps.entries import stale as stale_entries  # noqa: PLC0415 - see above

    where = Untrusted(str(leftover.directory))
    count = f"{leftover.files} file{'' if leftover.files == 1 else 's'}"
    phrase: Phrase = (
        FAILED_RESTORE,
        f"actions/cache reported no hit but left {count} in ",
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
        return (*phrase, f"; the damaged entry was not found in the API's listing{looked_up}")
    named = (Untrusted(tried.key), " (", Untrusted(tried.ref), ")")
    assert rule is not None and lookup is not None
    if rule.damaged([tried], lookup.clock_offset) is None:
        return (
            *phrase,
            "; the entry with this key, ",
            *named,
            ", was created after this job started (another job's save?): not deleted",
        )
    deletion = stale_entries.find_deleted(lookup, tried)
    if deletion is not None and deletion.deleted:
        tail: Phrase = (
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
    return (*phrase, *tail)


def main(environ: Mapping[str, str] | None = None, stdout: TextIO | None = None) -> int:
    """The step after the restore: provenance, cache-matched-key, this job's record, misses,
    and this use of the action's section of the job summary."""

    def warn(step: StepIO, message: str) -> None:
        step.annotate("warning", message)

    def summarize(step: StepIO, message: str, fails: bool) -> None:
        status = Status.FAILED if fails else Status.NOT_CHECKED
        step.write_summary(section(heading(None), status_line(status, (Untrusted(message),)), []))

    return run_step(environ, stdout, check_restored, warn, summarize=summarize)
