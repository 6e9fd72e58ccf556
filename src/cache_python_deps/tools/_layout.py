"""What every tool's pruning rules share: telling its cache apart, and the common shape.

A directory is taken for a tool's cache only when every top-level entry is one that tool
creates there (plus this project's provenance record): a marker alone is not enough, since a
checkout may hold a ``wheels/`` directory and ``/var`` holds ``cache/``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from cache_python_deps.tools._removal import CacheTree

# The record the action writes into the cache directory (``provenance.RECORD_NAME``, not
# imported here to keep tool modules light); pruning accepts and keeps it.
PROVENANCE_RECORD: Final = ".cache-python-deps.json"


def _is_provenance(name: str) -> bool:
    """The record, or what a write of it interrupted midway left (``<record>.<pid>.tmp``)."""
    if name == PROVENANCE_RECORD:
        return True
    middle = name.removeprefix(PROVENANCE_RECORD + ".").removesuffix(".tmp")
    return name.endswith(".tmp") and middle != name and middle.isdigit()


def only_own_entries(names: Collection[str], is_own: Callable[[str], bool]) -> bool:
    """Whether every name is the tool's own (``is_own``) or the provenance record's."""
    return all(_is_provenance(name) or is_own(name) for name in names)


@dataclass(frozen=True)
class TopLevelLayout:
    """A cache whose downloads and built wheels each live in top-level directories."""

    # Every top-level entry the tool creates in its cache.
    entries: frozenset[str]
    # Cheap to fetch again: always removed.
    downloads: tuple[str, ...]
    # Built from source for one ABI: removed only when that ABI is unstable.
    built: tuple[str, ...]

    def is_own_cache(self, names: Collection[str]) -> bool:
        """Whether top-level ``names`` are all this tool's (see the module docstring)."""
        return only_own_entries(names, self.entries.__contains__)

    def prune(self, tree: CacheTree, *, unstable_abi: bool) -> None:
        """Remove the downloads, and the built wheels when the ABI is unstable."""
        for name in self.downloads + (self.built if unstable_abi else ()):
            tree.remove(PurePosixPath(name))
