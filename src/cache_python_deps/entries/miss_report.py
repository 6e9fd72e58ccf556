"""Explain a cache miss (or a partial restore) from the repository's own cache entries.

``explain`` is pure: this job's primary key, the ref scope it runs in, what the REST API listed
and "now" in; one log line and a job-summary section out. It compares keys by component (see
``key_format``), never as strings: the nearest entry is the one that agrees with this job's key
on the most leading components (same platform, then interpreter, tool, kind, dependencies).

``explain_without_exact_hit`` is the I/O edge the action calls after a restore without an exact
hit: it reads the runner's environment and the event payload, asks the API (one bounded lookup,
see ``cache_entries``) and never raises for anything outside this process.

Everything the API returns is untrusted: refs, keys and names stay ``Untrusted`` in the
report's phrases and reach the summary only through ``github.markdown_code`` and the log only
through ``github.log_text``. The record step places the parts (why, nearest entries, notes) in
the job's section (``summary.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Final, NamedTuple

from cache_python_deps.entries.client import (
    DEFAULT_TIMEOUT,
    CacheEntry,
    CacheUsage,
    Lookup,
    Tidy,
    look_up_caches,
)
from cache_python_deps.entries.key_format import (
    UNSTABLE_EPOCH_NOTE,
    VIRTUALENV_MEANING,
    KeyDiff,
    ParsedKey,
    diff_keys,
    meaning,
    parse_key,
)
from cache_python_deps.errors import CachePythonDepsError
from cache_python_deps.github import (
    Phrase,
    Untrusted,
    human_size,
    markdown_table,
    phrase_text,
)
from cache_python_deps.keys import COMPONENT_NAMES, PLATFORM_COMPONENTS
from cache_python_deps.safe_files import read_text_file

# Every key this project writes starts so (formats 1 and 2 alike): one listing covers them all.
LISTING_PREFIX: Final = "cpd-"
# GitHub's defaults; a repository's own limits need an admin token to read, so they are not.
DEFAULT_STORAGE_LIMIT_BYTES: Final = 10 * 1000**3
EVICTION_AFTER: Final = timedelta(days=7)
# From here on, eviction of the least recently used entries is near.
NEAR_LIMIT_SHARE: Final = 0.8
NEAR_EVICTION: Final = timedelta(days=6)
MAX_ENTRIES_SHOWN: Final = 5
MAX_CHANGES_SHOWN: Final = 3
# Event payloads are a few KiB to a few MiB (a push with many commits).
MAX_EVENT_BYTES: Final = 8 * 1024 * 1024
MAX_BRANCH_LENGTH: Final = 255


class Scope(NamedTuple):
    """Whose entries a run may restore: its own ref's, the default branch's, a PR's base's."""

    ref: str | None
    default_branch: str | None
    base_ref: str | None

    def can_read(self, entry_ref: str) -> bool | None:
        """True or False; None when it hinges on a default branch that is not known."""
        readable = {self.ref}
        if self.base_ref:
            readable.add(f"refs/heads/{self.base_ref}")
        if self.default_branch:
            readable.add(f"refs/heads/{self.default_branch}")
        if entry_ref in readable:
            return True
        if self.default_branch is None and entry_ref.startswith("refs/heads/"):
            return None
        return False


class Comparison(NamedTuple):
    """One listed entry of ours against this job's key."""

    entry: CacheEntry
    key: ParsedKey
    diff: KeyDiff
    # How many leading components agree (len(COMPONENT_NAMES) for the very same key).
    shared: int
    readable: bool | None
    unused_for: timedelta


class MissReport(NamedTuple):
    """What to show: one log line, the parts of the job summary, a notice when storage is short.

    ``log_line``, ``notice`` and ``text_lines`` are escaped already, for the log or a terminal;
    ``why`` and ``notes`` are phrases and ``entries_markdown`` a Markdown table (or empty), for
    the job summary.
    """

    log_line: str
    notice: str | None
    text_lines: tuple[str, ...]
    # The one sentence that says why there was no exact hit (``explained``), or why that is
    # not known (the API's answer, or why it was not asked).
    why: Phrase
    explained: bool
    entries_markdown: str
    notes: tuple[Phrase, ...]
    # The listing holds an entry with this very key (then the miss is not about the key).
    exact_key_listed: bool = False
    # The note on the repository's cache usage, one of ``notes`` (None when not looked up).
    usage: Phrase | None = None
    # What the API answered (None when nothing was asked), deletions included.
    lookup: Lookup | None = None


def compare_entries(
    primary: ParsedKey, entries: Sequence[CacheEntry], scope: Scope, now: datetime
) -> tuple[list[Comparison], list[CacheEntry]]:
    """Entries of ours, nearest first; and the entries whose keys are not ours."""
    comparisons = []
    strangers = []
    for entry in entries:
        try:
            key = parse_key(entry.key)
        except CachePythonDepsError:
            strangers.append(entry)
            continue
        if key.is_original or not key.complete:
            strangers.append(entry)
            continue
        comparisons.append(
            Comparison(
                entry=entry,
                key=key,
                diff=(diff := diff_keys(primary, key)),
                shared=diff.agreeing,
                readable=scope.can_read(entry.ref),
                unused_for=max(now - entry.last_accessed_at, timedelta(0)),
            )
        )
    # Nearest first; among equals, one this run can read, then the most recently used.
    comparisons.sort(
        key=lambda c: (-c.shared, c.readable is not True, -c.entry.last_accessed_at.timestamp())
    )
    return comparisons, strangers


def human_age(age: timedelta) -> str:
    """``just now``, ``5 minutes ago``, ``3 hours ago``, ``8 days ago``."""
    seconds = int(age.total_seconds())
    for unit, length in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= length:
            count = seconds // length
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def eviction_note(unused_for: timedelta) -> str | None:
    """Why an entry is gone or about to go, by its last use; None while it is safe."""
    days = EVICTION_AFTER.days
    if unused_for >= EVICTION_AFTER:
        return f"evicted after {days} days unused"
    if unused_for >= NEAR_EVICTION:
        return f"evicted when {days} days unused, unless a run uses it first"
    return None


def _values(comparisons: Sequence[Comparison], name: str) -> list[str]:
    """Distinct values of one component among entries, in nearest-first order."""
    seen: list[str] = []
    for comparison in comparisons:
        value = comparison.key.get(name) or ""
        if value and value.lower() not in (v.lower() for v in seen):
            seen.append(value)
    return seen


def _listing(values: Sequence[str]) -> Phrase:
    shown = [Untrusted(value) for value in values[:4]]
    parts: list[str] = []
    for index, value in enumerate(shown):
        if index:
            parts.append(" and " if index == len(shown) - 1 else ", ")
        parts.append(value)
    if len(values) > len(shown):
        parts.append(f" and {len(values) - len(shown)} more")
    return tuple(parts)


def _scope_phrase(comparison: Comparison, scope: Scope) -> Phrase:
    ref = Untrusted(comparison.entry.ref)
    own = Untrusted(scope.ref or "?")
    if comparison.readable is None:
        return ("it is on ", ref, ", which this run can read only if that is the default branch")
    return (
        "it is on ",
        ref,
        ", which this ref's scope (",
        own,
        ") cannot read: a run reads only its own ref's entries, the default branch's and "
        "a pull request's base branch's",
    )


def _headline(
    primary: ParsedKey,
    comparisons: Sequence[Comparison],
    scope: Scope,
    matched_key: str | None,
) -> Phrase:
    """The one sentence that says why there was no exact hit."""
    if not comparisons:
        return ("first run: this repository has no cache entry of this action yet",)
    nearest = comparisons[0]
    complete = len(COMPONENT_NAMES)
    if nearest.shared == complete:
        return _exact_key_exists(nearest, scope)
    if nearest.shared == complete - 1:
        return _dependencies_changed(nearest, scope, matched_key)
    differing = COMPONENT_NAMES[nearest.shared]
    rivals = [c for c in comparisons if c.shared == nearest.shared]
    values = _values(rivals, differing)
    others = _listing(values)
    ours = (Untrusted(primary.get(differing) or ""),)
    found = meaning(differing, primary.get(differing), *values)
    why = found.first_run + (UNSTABLE_EPOCH_NOTE if differing == "abi epoch" else "")
    if differing == "key format":
        return ("entries exist only in key format ", *others, f" ({found.change}): {why}")
    if found is VIRTUALENV_MEANING:
        return (
            "no virtualenv for this interpreter install yet (",
            *ours,
            "), entries exist for ",
            *others,
            f": {why}",
        )
    # The platform's and the kind's values need their name; the others say what they are.
    named = f"{differing} " if differing in (*PLATFORM_COMPONENTS, "cache kind") else ""
    return (f"no entry for {named}", *ours, " yet, entries exist for ", *others, f": {why}")


def _exact_key_exists(nearest: Comparison, scope: Scope) -> Phrase:
    if nearest.readable is not True:
        return ("an entry with this very key exists, but ", *_scope_phrase(nearest, scope))
    age = human_age(nearest.unused_for)
    if nearest.unused_for >= EVICTION_AFTER:
        return (
            f"the entry with this key was last used {age}: {eviction_note(nearest.unused_for)}",
        )
    return (
        "an entry with this very key exists on ",
        Untrusted(nearest.entry.ref),
        " but was not restored: its archive is damaged, or it was saved from another cache "
        "path or with another compression (its version differs), or by another job after this "
        "one looked",
    )


def _dependencies_changed(nearest: Comparison, scope: Scope, matched_key: str | None) -> Phrase:
    if nearest.readable is not True:
        return (
            "same interpreter, dependencies changed; the nearest entry cannot help: ",
            *_scope_phrase(nearest, scope),
        )
    if nearest.unused_for >= EVICTION_AFTER:
        return (
            "same interpreter, dependencies changed; the nearest entry was last used "
            f"{human_age(nearest.unused_for)}: {eviction_note(nearest.unused_for)}",
        )
    if matched_key:
        return (
            "same interpreter, dependencies changed: restored ",
            Untrusted(matched_key),
            " by the restore key (a partial restore)",
        )
    return ("same interpreter, dependencies changed: the nearest entry has other dependencies",)


def _changes_phrase(comparison: Comparison) -> Phrase:
    if comparison.shared == len(COMPONENT_NAMES):
        return ("same key",)
    parts: list[str] = []
    for index, change in enumerate(comparison.diff.changes[:MAX_CHANGES_SHOWN]):
        if index:
            parts.append("; ")
        parts += [f"{change.name} ", Untrusted(change.right or "(none)")]
    if len(comparison.diff.changes) > MAX_CHANGES_SHOWN:
        parts.append(f"; {len(comparison.diff.changes) - MAX_CHANGES_SHOWN} more")
    return tuple(parts)


def _scope_word(readable: bool | None) -> str:
    return {True: "readable", False: "other scope", None: "readable if default branch"}[readable]


def _entry_rows(comparisons: Sequence[Comparison]) -> list[tuple[Phrase, ...]]:
    rows: list[tuple[Phrase, ...]] = []
    for comparison in comparisons[:MAX_ENTRIES_SHOWN]:
        used = human_age(comparison.unused_for)
        note = eviction_note(comparison.unused_for)
        rows.append(
            (
                (Untrusted(comparison.entry.key),),
                (Untrusted(comparison.entry.ref), f" ({_scope_word(comparison.readable)})"),
                _changes_phrase(comparison),
                (human_size(comparison.entry.size_in_bytes),),
                (used + (f": {note}" if note else ""),),
            )
        )
    return rows


def usage_phrase(
    usage: CacheUsage, limit: int = DEFAULT_STORAGE_LIMIT_BYTES
) -> tuple[Phrase, bool]:
    """How much of the limit the repository's caches use; and whether that is near the limit."""
    used = usage.active_caches_size_in_bytes
    share = used / limit if limit else 0.0
    phrase = (
        f"the repository's caches use {human_size(used)} of the {human_size(limit)} limit "
        f"({share:.0%}) in {usage.active_caches_count} "
        f"entr{'y' if usage.active_caches_count == 1 else 'ies'}",
    )
    return phrase, share >= NEAR_LIMIT_SHARE


def explain(
    primary_key: str,
    scope: Scope,
    lookup: Lookup,
    now: datetime,
    *,
    matched_key: str | None = None,
    storage_limit: int = DEFAULT_STORAGE_LIMIT_BYTES,
) -> MissReport:
    """Why this job's primary key had no exact hit, from what the API listed (pure)."""
    try:
        primary = parse_key(primary_key)
    except CachePythonDepsError:
        return _problem_report("this job's primary key is not one this version can explain")
    if lookup.listing is None:
        return _problem_report(f"cache entries not looked up: {lookup.problem or 'no answer'}")
    comparisons, strangers = compare_entries(primary, lookup.listing.entries, scope, now)
    why = headline = _headline(primary, comparisons, scope, matched_key)
    if matched_key and not any(
        isinstance(part, Untrusted) and part == matched_key for part in headline
    ):
        headline = (*headline, "; restored ", Untrusted(matched_key), " by the restore key instead")
    notes: list[Phrase] = []
    if not lookup.listing.complete:
        notes.append(
            (
                f"showing the nearest of the {len(lookup.listing.entries)} most recently used "
                f"of {lookup.listing.total_count} entries",
            )
        )
    if strangers:
        notes.append(
            (
                f"{len(strangers)} listed entr{'y is' if len(strangers) == 1 else 'ies are'} "
                "not a key this version reads, e.g. ",
                Untrusted(strangers[0].key),
            )
        )
    notice = None
    usage: Phrase | None = None
    if lookup.usage is not None:
        usage, near_limit = usage_phrase(lookup.usage, storage_limit)
        notes.append(usage)
        if near_limit:
            notice = (
                f"{phrase_text(usage)}: GitHub evicts the least recently used entries "
                "beyond the limit"
            )
    elif lookup.problem:
        notes.append((f"cache usage not looked up: {lookup.problem}",))
    exact_key_listed = bool(comparisons) and comparisons[0].shared == len(COMPONENT_NAMES)
    return _render(headline, _entry_rows(comparisons), notes, notice)._replace(
        why=why,
        exact_key_listed=exact_key_listed,
        usage=usage,
    )


def _problem_report(reason: str) -> MissReport:
    return _render((reason,), [], [], None)._replace(explained=False)


ENTRY_HEADERS: Final = (
    "nearest entry",
    "ref",
    "differs from this job's key in",
    "size",
    "last used",
)


def _render(
    headline: Phrase,
    rows: list[tuple[Phrase, ...]],
    notes: list[Phrase],
    notice: str | None,
) -> MissReport:
    text = [f"why no exact hit: {phrase_text(headline)}"]
    text += ["  " + " | ".join(phrase_text(cell) for cell in row) for row in rows]
    text += [phrase_text(note) for note in notes]
    return MissReport(
        log_line=f"cache-python-deps: no exact hit: {phrase_text(headline)}",
        notice=notice,
        text_lines=tuple(text),
        why=headline,
        explained=True,
        entries_markdown=markdown_table(ENTRY_HEADERS, rows) if rows else "",
        notes=tuple(notes),
    )


def default_branch_from_event(event_path: str | None) -> str | None:
    """``repository.default_branch`` of the event payload, if it is there and sane."""
    if not event_path:
        return None
    try:
        text = read_text_file(Path(event_path), limit=MAX_EVENT_BYTES, what="event payload")
        event = json.loads(text) if text else None
    except (CachePythonDepsError, ValueError, RecursionError):
        return None
    repository = event.get("repository") if isinstance(event, dict) else None
    branch = repository.get("default_branch") if isinstance(repository, dict) else None
    if not isinstance(branch, str) or not 0 < len(branch) <= MAX_BRANCH_LENGTH:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in branch):
        return None
    return branch


NO_API_ACCESS: Final = "no token (the token input is empty)"


def scope_from_environment(environ: Mapping[str, str]) -> Scope:
    """This run's scope from ``GITHUB_REF``, ``GITHUB_BASE_REF`` and the event's default branch."""
    return Scope(
        ref=environ.get("GITHUB_REF") or None,
        default_branch=default_branch_from_event(environ.get("GITHUB_EVENT_PATH")),
        base_ref=environ.get("GITHUB_BASE_REF") or None,
    )


def explain_without_exact_hit(
    environ: Mapping[str, str],
    primary_key: str,
    *,
    matched_key: str | None = None,
    now: datetime | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    tidy: Tidy | None = None,
) -> MissReport:
    """Look up this repository's entries and explain why ``primary_key`` had no exact hit.

    Reads ``GITHUB_API_URL``, ``GITHUB_REPOSITORY``, ``GITHUB_REF``, ``GITHUB_BASE_REF``,
    ``GITHUB_EVENT_PATH`` (for the default branch), the token from ``CPD_TOKEN`` and, unless
    ``matched_key`` is given, the restored entry's key from ``CPD_RESTORE_MATCHED_KEY``. Never
    raises for a network, API or environment problem: it becomes the report's one line. With
    ``tidy``, the same lookup deletes what its plan picks (the report's ``lookup`` says what).
    """
    now = now or datetime.now(timezone.utc)
    if matched_key is None:
        matched_key = environ.get("CPD_RESTORE_MATCHED_KEY", "").strip() or None
    token = environ.get("CPD_TOKEN", "").strip()
    if not token:
        return _problem_report(f"cache entries not looked up: {NO_API_ACCESS}")
    lookup = look_up_caches(
        environ.get("GITHUB_API_URL"),
        environ.get("GITHUB_REPOSITORY"),
        token,
        key_prefix=LISTING_PREFIX,
        timeout=timeout,
        tidy=tidy,
    )
    try:
        report = explain(
            primary_key, scope_from_environment(environ), lookup, now, matched_key=matched_key
        )
    except Exception as error:  # an explanation is a courtesy: it must never fail the job
        report = _problem_report(f"no explanation: unexpected {type(error).__name__}")
    return report._replace(lookup=lookup)
