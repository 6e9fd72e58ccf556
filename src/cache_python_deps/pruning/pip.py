"""pip's cache: drop the downloads, keep the wheels pip built from source.

Layout (pip's ``cache.py`` and ``network/cache.py``): ``http-v2/`` (pip >= 23.3) and ``http/``
(older pip) hold HTTP responses, i.e. downloaded wheels, sdists and index pages: the same for
every interpreter and fetched again cheaply. ``wheels/`` holds wheels pip built from sdists, under
a path hashed from the link and the interpreter's name and X.Y version: the slow, ABI-sensitive
part worth keeping, dropped too when the ABI is unstable (a pre-release's wheels would be reused
by the next pre-release). ``selfcheck/`` (pip's version check) is kept.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from cache_python_deps.pruning._tree import CacheTree

MARKERS: Final = ("http-v2", "http", "wheels", "selfcheck", "selfcheck.json")
DOWNLOADS: Final = ("http-v2", "http")
BUILT: Final = ("wheels",)


def is_cache(names: Collection[str]) -> bool:
    """Whether a directory's top-level names look like this tool's cache."""
    return any(marker in names for marker in MARKERS)


def prune(tree: CacheTree, *, unstable_abi: bool) -> None:
    """Remove pip's download cache, and its built wheels when the ABI is unstable."""
    for name in DOWNLOADS + (BUILT if unstable_abi else ()):
        tree.remove(tree.root / name)
