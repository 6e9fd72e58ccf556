"""The common cache shape: downloads and built wheels each in their own top-level directory."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from cache_python_deps.pruning._tree import CacheTree


@dataclass(frozen=True)
class TopLevelLayout:
    """A cache told apart by top-level names, pruned by removing top-level directories."""

    # At least one of these at the top shows that a directory is this tool's cache.
    markers: tuple[str, ...]
    # Cheap to fetch again: always removed.
    downloads: tuple[str, ...]
    # Built from source for one ABI: removed only when that ABI is unstable.
    built: tuple[str, ...]

    def is_cache(self, names: Collection[str]) -> bool:
        """Whether a directory's top-level names look like this tool's cache."""
        return any(marker in names for marker in self.markers)

    def prune(self, tree: CacheTree, *, unstable_abi: bool) -> None:
        """Remove the downloads, and the built wheels when the ABI is unstable."""
        for name in self.downloads + (self.built if unstable_abi else ()):
            tree.remove(tree.root / name)
