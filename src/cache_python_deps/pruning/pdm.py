"""PDM's cache: keep the wheels it built, drop downloads and unpacked packages.

Layout (pdm's ``project/core.py``, ``models/caches.py`` and ``cli/commands/cache.py``):
``http/`` is the HTTP cache (downloaded distributions and index pages: dropped); ``wheels/``
holds wheels pdm built from sdists, keyed by the link and the target environment (kept; dropped
when the ABI is unstable); ``packages/`` holds wheels unpacked for ``install.cache`` (re-made from
the wheels: dropped, like uv's unzipped archives under ``uv cache prune --ci``). ``hashes/``,
``metadata/`` and the rest are small and kept.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from cache_python_deps.pruning._tree import CacheTree

MARKERS: Final = ("http", "wheels", "packages", "hashes", "metadata")
DOWNLOADS: Final = ("http", "packages")
BUILT: Final = ("wheels",)


def is_cache(names: Collection[str]) -> bool:
    """Whether a directory's top-level names look like this tool's cache."""
    return any(marker in names for marker in MARKERS)


def prune(tree: CacheTree, *, unstable_abi: bool) -> None:
    """Remove pdm's HTTP and unpacked-package caches, and built wheels on an unstable ABI."""
    for name in DOWNLOADS + (BUILT if unstable_abi else ()):
        tree.remove(tree.root / name)
