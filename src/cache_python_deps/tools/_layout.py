"""What the tools' cache layouts (``base.CacheLayout``) share: telling a cache apart, and the
common shape of pip's, pipenv's and pdm's.

A directory is taken for a tool's cache only when every top-level entry is one that tool
creates there (plus this project's provenance record): a marker alone is not enough, since a
checkout may hold a ``wheels/`` directory and ``/var`` holds ``cache/``.

pip, pdm and poetry keep what they build from one link in a directory named by a hash of it,
split as ``<2>/<2>/<2>/<rest>`` (pip's and pdm's ``wheels/``, poetry's ``artifacts/``): a wheel
there goes with its directory (pip's ``origin.json``, poetry's sdist); a wheel found anywhere
else under the root goes alone.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Final, NamedTuple

from cache_python_deps.record_file import is_record_file
from cache_python_deps.tools.base import BuiltWheel, BuiltWheels

if TYPE_CHECKING:
    from cache_python_deps.removal import CacheTree, Entry

# How deep a link's directory lies below the root in the hashed layouts: ``<2>/<2>/<2>/<rest>``.
HASHED_DEPTH: Final = 4


def _is_wheel(entry: Entry) -> bool:
    return not entry.is_dir and entry.name.endswith(".whl")


def hashed_built_wheels(
    tree: CacheTree, root: PurePosixPath, *, built: Callable[[list[Entry]], bool] | None = None
) -> BuiltWheels:
    """The wheels under ``root`` in a hashed layout (see the module docstring).

    ``built`` (default: always) tells from a link directory's entries whether its wheels were
    built from source there (poetry's hold the sdist too); the others are not listed.
    """
    found = []
    for directory, entries in tree.walk(root):
        wheels = [entry for entry in entries if _is_wheel(entry)]
        if not wheels:
            continue
        is_link_directory = len(directory.parts) - len(root.parts) == HASHED_DEPTH
        if built is not None and not (is_link_directory and built(entries)):
            continue
        for wheel in wheels:
            entry = directory if is_link_directory else wheel.path
            found.append(BuiltWheel(wheel.name, entry))
    return BuiltWheels(tuple(found), tidy=(root,))


def only_own_entries(names: Collection[str], is_own: Callable[[str], bool]) -> bool:
    """Whether every name is the tool's own (``is_own``) or the provenance record's."""
    return all(is_record_file(name) or is_own(name) for name in names)


class TopLevelLayout(NamedTuple):
    """A cache whose downloads and built wheels each live in top-level directories (a
    ``CacheLayout``: pip's, and pipenv's and pdm's, which share its shape)."""

    # Bumped when this project's idea of the cache changes incompatibly (see ``CacheLayout``).
    version: str
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

    def built_wheels(self, tree: CacheTree) -> BuiltWheels:
        """The wheels in the built directories, each in the hashed layout."""
        parts = [hashed_built_wheels(tree, PurePosixPath(name)) for name in self.built]
        return BuiltWheels(
            tuple(wheel for part in parts for wheel in part.wheels),
            tuple(root for part in parts for root in part.tidy),
        )
