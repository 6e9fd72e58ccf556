"""The warm-job benchmark's figures: what runs, what a job measured, and the tables and goals
printed from them (``benchmarks/warm_job.py`` runs the jobs). Pure data and functions.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

COLD, WARM, BUMP = "cold", "warm", "bump"
PHASES = (COLD, WARM, BUMP)
#: Goals of the issue, printed beside the figures.
GOAL_VENV_WARM_VS_COLD = 0.3
GOAL_PRUNED_WARM_VS_ORIGINAL = 1.05
GOAL_PRUNED_BYTES_VS_ORIGINAL = 0.5
GOAL_GROWTH = 1.2


@dataclass(frozen=True)
class Variant:
    """One way of caching: which action runs, which kind of cache, pruned or not."""

    label: str
    action: str  # none | original | ours
    cache_kind: str = ""
    prune: bool = False

    @property
    def caches(self) -> bool:
        return self.action != "none"

    @property
    def accumulates(self) -> bool:
        """Whether an entry can keep what a bump superseded: a tool's cache does, a venv holds
        only what is installed (the installer replaces a bumped distribution in it)."""
        return self.caches and self.cache_kind != "venv"


NO_CACHE = Variant("no cache", "none")
ORIGINAL = Variant("original action", "original")
TOOL = Variant("tool cache", "ours", "tool")
TOOL_PRUNED = Variant("tool cache, pruned", "ours", "tool", prune=True)
VENV = Variant("venv cache", "ours", "venv")


def variants_for(tool: str) -> tuple[Variant, ...]:
    """The variants measured for ``tool``: the original caches pip's cache only."""
    if tool == "pip":
        return (NO_CACHE, ORIGINAL, TOOL, TOOL_PRUNED, VENV)
    return (NO_CACHE, TOOL, TOOL_PRUNED, VENV)


@dataclass(frozen=True)
class Job:
    """One job's figures."""

    tool: str
    variant: Variant
    phase: str
    repetition: int
    state: int
    main_ms: float  # from before the cache step to after the install (and the prune)
    save_ms: float  # act's timing of the cache step's post step (the save)
    install_ms: float  # act's timing of the install step
    entry_bytes: int | None  # the entry saved under this job's key (None: none saved)
    restored: str  # miss, exact, restore-key, or none (no cache step)
    index_requests: int
    index_bytes: int

    @property
    def job_ms(self) -> float:
        return self.main_ms + self.save_ms


@dataclass(frozen=True)
class Growth:
    """The growth series of one cached variant: entry sizes after each bump, and a fresh one."""

    tool: str
    variant: Variant
    entry_bytes: tuple[int, ...]  # state 0 (the cold job's entry), 1, ..., bumps
    fresh_bytes: int  # a cold job's entry of the last state


def format_bytes(value: float | None) -> str:
    """Bytes in kB, MB or GB (powers of 1000), one decimal."""
    if value is None:
        return "-"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value:.0f} B"


def _ratio(value: float | None, reference: float | None) -> str:
    if value is None or not reference:
        return "-"
    return f"{value / reference:.2f}"


def _median(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


@dataclass(frozen=True)
class Row:
    """Medians of one (tool, variant) over the repetitions."""

    tool: str
    variant: Variant
    seconds: Mapping[str, float | None]  # by phase
    entry_bytes: float | None  # the cold job's entry
    bump_bytes: float | None  # the bump job's entry
    runs: int


def summarize(jobs: Sequence[Job]) -> list[Row]:
    """One row per (tool, variant), in the order they first appear."""
    keys = list(dict.fromkeys((job.tool, job.variant) for job in jobs))
    rows = []
    for tool, variant in keys:
        mine = [job for job in jobs if job.tool == tool and job.variant == variant]

        def of(phase: str, mine: list[Job] = mine) -> list[Job]:
            return [job for job in mine if job.phase == phase]

        rows.append(
            Row(
                tool=tool,
                variant=variant,
                seconds={
                    phase: _median(job.job_ms / 1000 for job in of(phase)) for phase in PHASES
                },
                entry_bytes=_median(job.entry_bytes for job in of(COLD)),
                bump_bytes=_median(job.entry_bytes for job in of(BUMP)),
                runs=len(of(COLD)),
            )
        )
    return rows


def _markdown(header: Sequence[str], body: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(["---"] * len(header)) + " |"]
    return lines + ["| " + " | ".join(cells) + " |" for cells in body]


def times_table(rows: Sequence[Row]) -> list[str]:
    """Job times (medians) and their ratios to the no-cache job and to the original's."""
    body = []
    for row in rows:
        no_cache = _row(rows, row.tool, NO_CACHE)
        original = _row(rows, row.tool, ORIGINAL)
        cold = no_cache.seconds[COLD] if no_cache else None
        if not row.variant.caches:
            body.append([row.tool, row.variant.label, _seconds(row.seconds[COLD]), "", "", ""])
            continue
        warm, bump = row.seconds[WARM], row.seconds[BUMP]
        body.append(
            [
                row.tool,
                row.variant.label,
                f"{_seconds(row.seconds[COLD])} ({_ratio(row.seconds[COLD], cold)})",
                f"{_seconds(warm)} ({_ratio(warm, cold)})",
                f"{_seconds(bump)} ({_ratio(bump, cold)})",
                _ratio(warm, original.seconds[WARM]) if original else "",
            ]
        )
    header = [
        "tool",
        "cache",
        "cold job (/ no cache)",
        "warm job (/ no cache)",
        "after a bump (/ no cache)",
        "warm / original's warm",
    ]
    return _markdown(header, body)


def bytes_table(rows: Sequence[Row], growth: Sequence[Growth]) -> list[str]:
    """Entry sizes: saved by the cold job, after one bump, after the growth series' bumps."""
    growth_of = {(item.tool, item.variant): item for item in growth}
    bumps = max((len(item.entry_bytes) - 1 for item in growth), default=0)
    body = []
    for row in rows:
        if not row.variant.caches:
            continue
        original = _row(rows, row.tool, ORIGINAL)
        grown = growth_of.get((row.tool, row.variant))
        body.append(
            [
                row.tool,
                row.variant.label,
                format_bytes(row.entry_bytes),
                _ratio(row.entry_bytes, original.entry_bytes) if original else "",
                format_bytes(row.bump_bytes),
                format_bytes(grown.entry_bytes[-1]) if grown else "",
                format_bytes(grown.fresh_bytes) if grown else "",
                _ratio(grown.entry_bytes[-1], grown.fresh_bytes) if grown else "",
            ]
        )
    header = ["tool", "cache", "entry (cold job)", "/ original's", "after a bump"]
    if not growth:  # no growth series ran (--bumps 0)
        return _markdown(header, [cells[: len(header)] for cells in body])
    header += [f"after {bumps} bumps", "fresh entry of the last state", f"after {bumps} / fresh"]
    return _markdown(header, body)


def table(rows: Sequence[Row], growth: Sequence[Growth]) -> list[str]:
    """Both tables, one after the other."""
    return [*times_table(rows), "", *bytes_table(rows, growth)]


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def _row(rows: Sequence[Row], tool: str, variant: Variant) -> Row | None:
    for row in rows:
        if row.tool == tool and row.variant == variant:
            return row
    return None


def goals(rows: Sequence[Row], growth: Sequence[Growth]) -> list[str]:
    """Each goal of the issue beside what this run measured (met or missed, never asserted)."""
    lines = []

    def verdict(value: float | None, limit: float) -> str:
        if value is None:
            return "not measured"
        return f"{value:.2f} ({'meets' if value <= limit else 'MISSES'} <= {limit})"

    for row in rows:
        reference = _row(rows, row.tool, NO_CACHE)
        if row.variant == VENV and reference is not None:
            value = _quotient(row.seconds[WARM], reference.seconds[COLD])
            lines.append(
                f"- {row.tool}: warm job with a venv cache / the no-cache job:"
                f" {verdict(value, GOAL_VENV_WARM_VS_COLD)}"
            )
    pruned, original = _row(rows, "pip", TOOL_PRUNED), _row(rows, "pip", ORIGINAL)
    if pruned is not None and original is not None:
        value = _quotient(pruned.seconds[WARM], original.seconds[WARM])
        lines.append(
            "- pip: warm job with a pruned tool cache / the original's warm job:"
            f" {verdict(value, GOAL_PRUNED_WARM_VS_ORIGINAL)}"
        )
        value = _quotient(pruned.entry_bytes, original.entry_bytes)
        lines.append(
            "- pip: pruned tool cache entry / the original's entry:"
            f" {verdict(value, GOAL_PRUNED_BYTES_VS_ORIGINAL)}"
        )
    for item in growth:
        value = _quotient(item.entry_bytes[-1], item.fresh_bytes)
        limit = f" {verdict(value, GOAL_GROWTH)}"
        if item.variant == ORIGINAL:
            limit = f" {value:.2f} (the original is expected to grow with each bump)"
        sizes = ", ".join(format_bytes(size) for size in item.entry_bytes)
        lines.append(
            f"- {item.tool}, {item.variant.label}: entry after {len(item.entry_bytes) - 1} bumps"
            f" / a fresh entry ({format_bytes(item.fresh_bytes)}):{limit};"
            f" entries by state: {sizes}"
        )
    return lines


def _quotient(value: float | None, reference: float | None) -> float | None:
    if value is None or not reference:
        return None
    return value / reference
