"""Pipenv's cache: pip's layout (pipenv hands the directory to pip) plus pipenv's own files.

Pipenv sets ``PIP_CACHE_DIR`` to its cache (``pipenv/utils/pip.py``), so the rules of pip apply
to ``http-v2/``, ``http/`` and ``wheels/``. Pipenv adds ``pipenv-manifests/`` (index pages it
parsed: downloads, dropped) and may point ``PIP_DESTINATION_DIR`` at ``pkgs/`` (downloads,
dropped).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from cache_python_deps.pruning import pip
from cache_python_deps.pruning._tree import CacheTree

MARKERS: Final = (*pip.MARKERS, "pipenv-manifests")
DOWNLOADS: Final = ("pipenv-manifests", "pkgs")


def is_cache(names: Collection[str]) -> bool:
    """Whether a directory's top-level names look like this tool's cache."""
    return any(marker in names for marker in MARKERS)


def prune(tree: CacheTree, *, unstable_abi: bool) -> None:
    """Prune as pip does, then drop pipenv's downloaded manifests and packages."""
    pip.prune(tree, unstable_abi=unstable_abi)
    for name in DOWNLOADS:
        tree.remove(tree.root / name)
