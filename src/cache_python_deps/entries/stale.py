"""Which of the repository's cache entries to delete, and how the deletions read.

The decisions are pure: the entries the REST API listed, this run's keys, scope, cache path and
times in; the entries to delete (``Doomed``, with the reason) out. Each needs positive evidence:

- **Damaged** (``DamagedEntryRule``): this run's restore left content although actions/cache
  reported no hit (``failed_restore``), and the API lists the entry that restore tried: one with
  this very key, of a cache "version" this job's path gives (so saved from this very path, not
  another one sharing the key), in the nearest ref this run reads (its own, then a pull
  request's base, then the default branch, as actions/cache looks). That entry is the damaged
  one only if it was created before this job's keys step ran (``keys_step_time``, taken before
  the restore), on the API's own clock: an entry created after it may be a concurrent job's
  fresh save, which this restore may never have seen, and then nothing is deleted.
- **Superseded** (``superseded_entries``, after an exact hit): entries of this run's own ref
  whose key has this job's restore prefix (same platform, interpreter, tool and kind), of the
  same version as the newest entry with the primary key this run can read, and created before
  that one.
- For the command line: every entry of this action in one ref (``entries_of_ref``, a closed
  pull request's), and the superseded rule for every prefix of one ref (``superseded_in_ref``).

Never deleted: another ref's entries (superseded), another prefix's, a key not in this action's
format (``key_format``), an entry with the primary key, a newer one, one without a creation
time, one of another version. At most ``MAX_DELETIONS_PER_RUN`` go in one run of the action.

The edges at the bottom read the runner's environment and render the job summary's section and
the log lines. Keys, refs and sizes come from the API: untrusted, escaped for each sink.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final, NamedTuple

from cache_python_deps.entries.client import (
    DEFAULT_TIMEOUT,
    CacheEntry,
    CacheListing,
    Deletion,
    Doomed,
    Lookup,
    Tidy,
    look_up_caches,
    parse_timestamp,
)
from cache_python_deps.entries.key_format import ParsedKey, parse_key
from cache_python_deps.entries.miss_report import (
    NO_API_ACCESS,
    Scope,
    scope_from_environment,
    usage_phrase,
)
from cache_python_deps.errors import CachePythonDepsError
from cache_python_deps.github import (
    Phrase,
    Untrusted,
    human_size,
    markdown_table,
    phrase_markdown,
    phrase_text,
)

MAX_DELETIONS_PER_RUN: Final = 20
# Without the API's Date header, how far the runner's clock is assumed to be off at most.
UNKNOWN_CLOCK_ALLOWANCE: Final = timedelta(minutes=5)
DAMAGED_WHY: Final = ("damaged: this run's restore of it failed part way",)

# How @actions/cache versions an entry: sha256 of its paths, the compression method, on Windows
# "windows-only" (unless enableCrossOsArchive), and a salt, joined by "|" (its getCacheVersion).
_VERSION_SALT: Final = "1.0"
_COMPRESSION_METHODS: Final = ("zstd-without-long", "zstd", "gzip")
_WINDOWS_ONLY: Final = "windows-only"


def cache_versions(path: str) -> frozenset[str]:
    """Every cache version actions/cache can give an entry of this one path (any compression,
    either OS family): an entry of another version was saved from another path."""
    versions = set()
    for method in _COMPRESSION_METHODS:
        for extra in ((), (_WINDOWS_ONLY,)):
            text = "|".join((path, method, *extra, _VERSION_SALT))
            versions.add(hashlib.sha256(text.encode("utf-8", "replace")).hexdigest())
    return frozenset(versions)


def ours(entry: CacheEntry) -> ParsedKey | None:
    """The entry's key read as a complete key of this action (format 1 or 2), else None."""
    try:
        parsed = parse_key(entry.key)
    except CachePythonDepsError:
        return None
    return parsed if parsed.complete and not parsed.is_original else None


def restore_prefix(key: ParsedKey) -> str:
    """The key up to and with the dash before its dependency hash (its restore key)."""
    return "-".join(value for name, value in key.components if name != "dependencies") + "-"


def _same_key(left: str, right: str) -> bool:
    return left.lower() == right.lower()  # actions/cache compares keys ignoring case


def restore_order(scope: Scope, ref: str) -> int | None:
    """Where actions/cache looks for an entry of ``ref``: 0 this run's own ref, 1 a pull
    request's base branch, 2 the default branch; None: not a ref this run surely reads."""
    if scope.ref and ref == scope.ref:
        return 0
    if scope.base_ref and ref == f"refs/heads/{scope.base_ref}":
        return 1
    if scope.default_branch and ref == f"refs/heads/{scope.default_branch}":
        return 2
    return None


def server_time(runner_time: datetime, clock_offset: timedelta | None) -> datetime:
    """A time of the runner's clock on the API's clock (``clock_offset``: how far it is ahead).

    Unknown offset: the time is moved back by ``UNKNOWN_CLOCK_ALLOWANCE``, so that a fast
    runner clock never makes a later entry look older.
    """
    if clock_offset is None:
        return runner_time - UNKNOWN_CLOCK_ALLOWANCE
    return runner_time + clock_offset


class DamagedEntryRule(NamedTuple):
    """The facts that decide which entry a failed restore tried, and whether it may go."""

    primary_key: str
    scope: Scope
    versions: frozenset[str]
    # When the keys step ran (the runner's clock), before the restore.
    keys_step_time: datetime

    def tried(self, entries: Iterable[CacheEntry]) -> CacheEntry | None:
        """The entry the restore tried: this key and version, in the nearest readable ref."""
        found: list[tuple[int, CacheEntry]] = []
        for entry in entries:
            order = restore_order(self.scope, entry.ref)
            if (
                order is not None
                and _same_key(entry.key, self.primary_key)
                and entry.version in self.versions
                and ours(entry) is not None
            ):
                found.append((order, entry))
        if not found:
            return None
        nearest = min(order for order, _ in found)
        tier = [entry for order, entry in found if order == nearest]
        # Two of one key and version in one ref: GitHub refuses that; act keeps the newest.
        return max(tier, key=lambda entry: (entry.created_at is not None, entry.created_at))

    def damaged(
        self, entries: Iterable[CacheEntry], clock_offset: timedelta | None
    ) -> CacheEntry | None:
        """The entry the restore tried, if it surely existed before the keys step; else None."""
        tried = self.tried(entries)
        if tried is None or tried.created_at is None:
            return None
        cutoff = server_time(self.keys_step_time, clock_offset)
        return tried if tried.created_at < cutoff else None

    def plan(self, listing: CacheListing, clock_offset: timedelta | None) -> list[Doomed]:
        """A ``Tidy`` plan: the damaged entry, if any."""
        entry = self.damaged(listing.entries, clock_offset)
        return [] if entry is None else [Doomed(entry, DAMAGED_WHY)]


def _superseded_by(anchor: CacheEntry, candidates: Iterable[CacheEntry]) -> list[Doomed]:
    """Of ``candidates`` (one ref, one prefix): those of the anchor's version created before it."""
    doomed = []
    assert anchor.created_at is not None
    for entry in candidates:
        if (
            entry.id != anchor.id
            and not _same_key(entry.key, anchor.key)
            and entry.version == anchor.version
            and entry.created_at is not None
            and entry.created_at < anchor.created_at
        ):
            doomed.append(Doomed(entry, ("superseded by ", Untrusted(anchor.key))))
    return doomed


def _oldest_first(doomed: list[Doomed], limit: int) -> list[Doomed]:
    doomed.sort(key=lambda item: (item.entry.created_at, item.entry.id))
    return doomed[:limit]


def superseded_entries(
    entries: Sequence[CacheEntry],
    *,
    primary_key: str,
    scope: Scope,
    versions: frozenset[str],
    limit: int = MAX_DELETIONS_PER_RUN,
) -> list[Doomed]:
    """After an exact hit: this ref's entries of this job's prefix that the newest entry with
    the primary key (of this path's versions, in a ref this run reads) supersedes."""
    try:
        primary = parse_key(primary_key)
    except CachePythonDepsError:
        return []
    if not primary.complete or primary.is_original or not scope.ref:
        return []
    anchors = [
        entry
        for entry in entries
        if _same_key(entry.key, primary_key)
        and entry.version in versions
        and entry.created_at is not None
        and restore_order(scope, entry.ref) is not None
    ]
    if not anchors:
        return []
    anchor = max(anchors, key=lambda entry: (entry.created_at, entry.id))
    prefix = restore_prefix(primary).lower()
    candidates = [
        entry
        for entry in entries
        if entry.ref == scope.ref
        and entry.key.lower().startswith(prefix)
        and ours(entry) is not None
    ]
    return _oldest_first(_superseded_by(anchor, candidates), limit)


def superseded_in_ref(entries: Sequence[CacheEntry], *, ref: str, limit: int) -> list[Doomed]:
    """For every prefix and version of this action's entries in ``ref``: all but the newest."""
    groups: dict[tuple[str, str], list[CacheEntry]] = {}
    for entry in entries:
        parsed = ours(entry)
        if entry.ref != ref or parsed is None or entry.created_at is None:
            continue
        groups.setdefault((restore_prefix(parsed).lower(), entry.version), []).append(entry)
    doomed: list[Doomed] = []
    for group in groups.values():
        anchor = max(group, key=lambda entry: (entry.created_at, entry.id))
        doomed += _superseded_by(anchor, group)
    return _oldest_first(doomed, limit)


def entries_of_ref(entries: Sequence[CacheEntry], *, ref: str, limit: int) -> list[Doomed]:
    """Every entry of this action in ``ref`` (a closed pull request's ``refs/pull/N/merge``)."""
    doomed = [
        Doomed(entry, ("an entry of ", Untrusted(ref)))
        for entry in entries
        if entry.ref == ref and ours(entry) is not None
    ]
    doomed.sort(key=lambda item: item.entry.id)
    return doomed[:limit]


# -- the action's edges ------------------------------------------------------------------------


def damaged_entry_rule(
    environ: Mapping[str, str], primary_key: str, keys_step_time: str
) -> DamagedEntryRule | None:
    """The rule for this job, from the record step's environment; None without a usable time."""
    try:
        when = parse_timestamp(keys_step_time)
    except ValueError:
        return None
    return DamagedEntryRule(
        primary_key=primary_key,
        scope=scope_from_environment(environ),
        versions=cache_versions(environ.get("CPD_CACHE_DIRECTORY_PATH", "")),
        keys_step_time=when,
    )


def damaged_tidy(rule: DamagedEntryRule) -> Tidy:
    """Delete the damaged entry (at most one) in the lookup that explains the miss."""
    return Tidy(rule.plan, limit=1)


def delete_superseded(
    environ: Mapping[str, str],
    primary_key: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Lookup:
    """After an exact hit: list this job's prefix, delete what the newest primary entry
    supersedes, read the usage after; one deadline. Never raises for what is outside."""
    token = environ.get("CPD_TOKEN", "").strip()
    if not token:
        return Lookup(None, None, NO_API_ACCESS)
    try:
        prefix = restore_prefix(parse_key(primary_key))
    except CachePythonDepsError as error:
        return Lookup(None, None, str(error))
    scope = scope_from_environment(environ)
    versions = cache_versions(environ.get("CPD_CACHE_DIRECTORY_PATH", ""))

    def plan(listing: CacheListing, _clock: timedelta | None) -> list[Doomed]:
        return superseded_entries(
            listing.entries, primary_key=primary_key, scope=scope, versions=versions
        )

    return look_up_caches(
        environ.get("GITHUB_API_URL"),
        environ.get("GITHUB_REPOSITORY"),
        token,
        key_prefix=prefix,
        timeout=timeout,
        sort="created_at",
        tidy=Tidy(plan, limit=MAX_DELETIONS_PER_RUN),
    )


# -- how deletions read --------------------------------------------------------------------------


def _deleted_row(deletion: Deletion) -> tuple[Phrase, ...]:
    entry = deletion.doomed.entry
    return (
        (Untrusted(entry.key),),
        (Untrusted(entry.ref),),
        (human_size(entry.size_in_bytes),),
        deletion.doomed.why,
    )


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"


def _failed_lines(lookup: Lookup) -> list[Phrase]:
    """One phrase per entry not deleted for its own reason, and one for the rest."""
    lines: list[Phrase] = [
        ("not deleted: ", Untrusted(item.doomed.entry.key), f": {item.problem}")
        for item in lookup.deletions
        if not item.deleted
    ]
    rest = len(lookup.planned) - len(lookup.deletions)
    if lookup.not_deleted and rest > 0:
        lines.append((f"{_entries(rest)} not deleted: {lookup.not_deleted}",))
    elif lookup.not_deleted:
        lines.append((f"not deleted: {lookup.not_deleted}",))
    return lines


def deletion_phrases(
    lookup: Lookup, *, dry_run: bool = False
) -> tuple[list[Phrase], list[tuple[Phrase, ...]]]:
    """``(headline and notes, rows)``: what was deleted (or would be), what failed, the usage."""
    notes: list[Phrase] = []
    if lookup.listing is None:
        notes.append((f"cache entries not looked up: {lookup.problem or 'no answer'}",))
        return notes, []
    if dry_run:
        rows = [_deleted_row(Deletion(item)) for item in lookup.planned]
        count = len(rows)
        notes.append((f"dry run: {_entries(count)} would be deleted",))
        return notes, rows
    deleted = [item for item in lookup.deletions if item.deleted]
    rows = [_deleted_row(item) for item in deleted]
    if not lookup.planned:
        notes.append(("nothing to delete",))
    else:
        count = len(deleted)
        notes.append((f"deleted {_entries(count)}",))
    notes += _failed_lines(lookup)
    if lookup.usage is not None:
        usage, _ = usage_phrase(lookup.usage)
        notes.append(("after: ", *usage))
    elif lookup.problem:
        notes.append((f"cache usage not looked up: {lookup.problem}",))
    return notes, rows


DELETED_HEADERS: Final = ("deleted entry", "ref", "size", "why")
# The first note of the job summary's deletions says what they are about.
NOTES_LEAD: Final = "stale entries: "


def deletion_markdown(lookup: Lookup) -> str:
    """The job summary's part on the entries this run deleted: a table, then notes."""
    notes, rows = deletion_phrases(lookup)
    blocks = [markdown_table(DELETED_HEADERS, rows)] if rows else []
    return "\n\n".join([*blocks, _notes_markdown(notes)])


def _notes_markdown(notes: Sequence[Phrase]) -> str:
    led = [(NOTES_LEAD, *notes[0]), *notes[1:]] if notes else []
    return "\n".join(f"- {phrase_markdown(note)}" for note in led)


def deletion_text_lines(lookup: Lookup, *, dry_run: bool = False) -> list[str]:
    """The same for a terminal or the log: one inert line each."""
    notes, rows = deletion_phrases(lookup, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    lines = [f"{verb}: " + " | ".join(phrase_text(cell) for cell in row) for row in rows]
    return lines + [phrase_text(note) for note in notes]


def no_deletion_markdown(reason: str) -> str:
    """The part when deleting was asked for but this run may not (one line, our words)."""
    return _notes_markdown([(f"not deleted: {reason}",)])


def find_deleted(lookup: Lookup | None, entry: CacheEntry) -> Deletion | None:
    """What became of ``entry`` in ``lookup``'s deletions (None: not tried)."""
    if lookup is None:
        return None
    return next((item for item in lookup.deletions if item.doomed.entry.id == entry.id), None)
