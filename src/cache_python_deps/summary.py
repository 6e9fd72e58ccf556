"""The job summary: the action's user interface, one section per use of the action in a job.

Each section has one heading (what is cached), one short status line first (``Status``: exact
hit, partial restore, miss and why, restore only, skipped and why, a failed restore cleaned),
then tables (this job's key with the source of each component, in the action's own terms; the
restored entry; the nearest entries; deletions), then notes. Our own words are plain Markdown;
values, and only values, are code spans (``github.phrase_markdown``).

The status is known only after the restore, so the record step (``steps.record``) writes the
section; the keys step writes one only when the record step will not run (caching skipped, or a
failure). What the record step needs of the keys step's facts comes through an internal output
(``JobFacts.to_json``, output ``summary-facts``) and is checked when read back
(``parse_job_facts``): it arrives through the runner like any input, so it is untrusted too.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, NamedTuple

from cache_python_deps.github import (
    TITLE,
    Phrase,
    Untrusted,
    markdown_code,
    markdown_table,
    phrase_markdown,
)
from cache_python_deps.keys import COMPONENT_NAMES
from cache_python_deps.policy import RESTORE_ONLY_REASONS
from cache_python_deps.sources import InvalidSourceError, Source

FACTS_FORMAT: Final = 1
MAX_FACTS_BYTES: Final = 64 * 1024
MAX_FACTS: Final = 32
MAX_FACT_VALUE: Final = 8192
# A fact's label is our own words, shown as plain Markdown: letters and spaces only.
_LABEL: Final = re.compile(r"[a-z][a-z ]{0,39}")
# The tool's name in a key's tool component (``pip.2``), shown in the heading as plain text.
_TOOL_NAME: Final = re.compile(r"[a-z]{1,20}")

FACTS_HEADERS: Final = ("this job", "value", "from")
COMPONENT_HEADERS: Final = ("key component", "value", "from")
RESTORED_HEADERS: Final = ("restored entry", "value")


class Status(enum.Enum):
    """The first words of a section: what this use of the action did."""

    EXACT_HIT = "Exact hit"
    PARTIAL_RESTORE = "Partial restore"
    MISS = "Miss"
    FAILED_RESTORE = "Restore failed part way"
    VIRTUALENV_REMOVED = "Restored virtualenv removed"
    SKIPPED = "Caching skipped"
    NOT_CHECKED = "Restore not checked"
    FAILED = "Failed"
    # The prune sub-action's.
    PRUNED = "Pruned"
    NOT_PRUNED = "Cache not pruned"


class InvalidJobFactsError(ValueError):
    """The keys step's facts, read back, are not what the keys step writes."""


class Fact(NamedTuple):
    """One row of the job's table: our label, an untrusted value, and where it came from."""

    label: str
    value: str
    source: Source | None = None


class JobFacts(NamedTuple):
    """What the keys step knows and the record step shows: the facts of the job's key, the
    source of each key component, and why the job restores only (empty when it saves)."""

    facts: tuple[Fact, ...]
    component_sources: tuple[tuple[str, Source], ...]
    restore_only: str = ""

    def to_json(self) -> str:
        """The facts as one line of JSON (``parse_job_facts`` reads it back)."""
        data = {
            "format": FACTS_FORMAT,
            "facts": [
                [fact.label, fact.value, fact.source.to_json() if fact.source else None]
                for fact in self.facts
            ],
            "components": {name: source.to_json() for name, source in self.component_sources},
            "restore_only": self.restore_only,
        }
        return json.dumps(data, ensure_ascii=True, separators=(",", ":"))


def parse_job_facts(text: str) -> JobFacts:
    """Read ``JobFacts.to_json``'s text back, every field checked; InvalidJobFactsError says
    which is wrong."""
    if len(text) > MAX_FACTS_BYTES:
        raise InvalidJobFactsError(f"they are longer than {MAX_FACTS_BYTES} characters")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidJobFactsError("they are not JSON") from None
    if not isinstance(data, dict) or data.get("format") != FACTS_FORMAT:
        raise InvalidJobFactsError("they are not of a format this action writes")
    try:
        facts = _parse_facts(data.get("facts"))
        components = _parse_components(data.get("components"))
    except InvalidSourceError as error:
        raise InvalidJobFactsError(str(error)) from None
    restore_only = data.get("restore_only")
    if restore_only != "" and restore_only not in RESTORE_ONLY_REASONS:
        raise InvalidJobFactsError("their restore-only reason is not one this action gives")
    return JobFacts(facts, components, restore_only)


def _parse_facts(rows: object) -> tuple[Fact, ...]:
    if not isinstance(rows, list) or len(rows) > MAX_FACTS:
        raise InvalidJobFactsError(f"their facts are not a list of at most {MAX_FACTS}")
    facts = []
    for row in rows:
        if not isinstance(row, list) or len(row) != 3:
            raise InvalidJobFactsError("a fact is not a label, a value and a source")
        label, value, source = row
        if not isinstance(label, str) or not _LABEL.fullmatch(label):
            raise InvalidJobFactsError("a fact's label is not one this action writes")
        if not isinstance(value, str) or len(value) > MAX_FACT_VALUE:
            raise InvalidJobFactsError(f"the value of {label!r} is not a text of the right length")
        facts.append(Fact(label, value, None if source is None else Source.from_json(source)))
    return tuple(facts)


def _parse_components(sources: object) -> tuple[tuple[str, Source], ...]:
    if not isinstance(sources, dict) or not set(sources) <= set(COMPONENT_NAMES):
        raise InvalidJobFactsError("their components are not named as a key's")
    return tuple(
        (name, Source.from_json(sources[name])) for name in COMPONENT_NAMES if name in sources
    )


# -- the section's parts ---------------------------------------------------------------------


class Cached(NamedTuple):
    """What one use of the action caches, for its heading (several uses in one job then read
    apart: a pip cache and a virtualenv, or two interpreters)."""

    tool: str
    virtualenv: bool
    abi_tag: str

    @classmethod
    def from_components(cls, components: Mapping[str, str]) -> Cached | None:
        """From a key's components (the record's, validated); None if one is missing."""
        tool = components.get("tool", "").split(".", 1)[0]
        abi_tag = components.get("abi tag", "")
        if not _TOOL_NAME.fullmatch(tool) or not abi_tag:
            return None
        return cls(tool, components.get("cache kind", "").startswith("venv."), abi_tag)


PRUNE_HEADING: Final = f"### {TITLE} prune"


def heading(cached: Cached | None) -> str:
    """``### cache-python-deps: pip cache for `cp313```, or the bare title when not known."""
    if cached is None:
        return f"### {TITLE}"
    what = "virtualenv" if cached.virtualenv else f"{cached.tool} cache"
    return f"### {TITLE}: {what} for {markdown_code(cached.abi_tag)}"


def status_line(status: Status, sentence: Phrase, *more: Phrase) -> str:
    """``**Miss**: first run: ....`` and further sentences, each ending with a full stop."""
    parts = [f"**{status.value}**: {phrase_markdown(sentence)}."]
    parts += [phrase_markdown(_capitalized(extra)) + "." for extra in more]
    return " ".join(parts)


def _capitalized(phrase: Phrase) -> Phrase:
    if not phrase or isinstance(phrase[0], Untrusted):
        return phrase
    return (phrase[0][:1].upper() + phrase[0][1:], *phrase[1:])


def restore_only_sentence(facts: JobFacts | None) -> tuple[Phrase, ...]:
    """``Restore only: save-cache is false``, as one more sentence of the status line."""
    return ((facts.restore_only,),) if facts is not None and facts.restore_only else ()


def facts_table(facts: Iterable[Fact]) -> str:
    """This job's facts: key, restore key, interpreter, cache directory... with their sources."""
    rows = [
        ((fact.label,), (Untrusted(fact.value),), fact.source.phrase() if fact.source else ())
        for fact in facts
    ]
    return markdown_table(FACTS_HEADERS, rows)


def components_table(
    components: Sequence[tuple[str, str]], sources: Mapping[str, Source] | None
) -> str:
    """Every component of this job's key, in key order, with where it came from."""
    rows = []
    for name, value in components:
        source = (sources or {}).get(name)
        rows.append(((name,), (Untrusted(value),), source.phrase() if source else ()))
    return markdown_table(COMPONENT_HEADERS, rows)


def notes_list(notes: Iterable[Phrase]) -> str:
    """A bullet list, one phrase a note."""
    return "\n".join(f"- {phrase_markdown(note)}" for note in notes)


def section(heading_line: str, status: str, blocks: Iterable[str]) -> str:
    """The whole section: heading, status line, then each non-empty block."""
    return "\n\n".join([heading_line, status, *(block for block in blocks if block)])


def job_blocks(
    facts: JobFacts | None, components: Sequence[tuple[str, str]], problem: str | None = None
) -> list[str]:
    """The two tables of this job's key: its facts (when known) and its components."""
    blocks = [facts_table(facts.facts)] if facts is not None and facts.facts else []
    sources = dict(facts.component_sources) if facts is not None else None
    if components:
        blocks.append(components_table(components, sources))
    if problem:
        blocks.append(notes_list([(f"the keys step's facts were not shown: {problem}",)]))
    return blocks
