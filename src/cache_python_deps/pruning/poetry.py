"""Poetry's cache: keep the wheels it built from source, drop downloads and virtualenvs.

Layout (poetry's ``config/config.py`` and ``utils/cache.py``): ``cache/`` holds the repository
caches (HTTP responses and package metadata: dropped). ``artifacts/`` holds one directory per
link (a hash of its URL): a downloaded wheel alone, or a downloaded sdist next to the wheel(s)
poetry built from it (poetry finds a compatible built wheel there before building again).
Directories holding a source archive are kept whole (the sdist stays so a later prune still sees
the built wheel as built from source); directories holding only wheels are dropped (wheels built
from git checkouts look the same and are dropped too). ``virtualenvs/`` (the default
``virtualenvs.path``) holds environments tied to one interpreter installation: dropped. On an
unstable ABI all of ``artifacts/`` goes.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Final

from cache_python_deps.pruning._tree import CacheTree

MARKERS: Final = ("artifacts", "cache", "virtualenvs")
DROPPED: Final = ("cache", "virtualenvs")
ARTIFACTS: Final = "artifacts"


def _downloaded_wheels(tree: CacheTree, directory: Path) -> list[Path]:
    """The wheels of a link directory that holds nothing but wheels (no source they came from)."""
    files = [entry for entry in tree.entries(directory) if not tree.is_real_dir(entry)]
    if all(entry.name.endswith(".whl") for entry in files):
        return files
    return []


def _prune_artifacts(tree: CacheTree, artifacts: Path) -> None:
    for directory in list(tree.walk_dirs(artifacts)):
        for wheel in _downloaded_wheels(tree, directory):
            tree.remove(wheel)
    tree.remove_empty_dirs(artifacts)


def is_cache(names: Collection[str]) -> bool:
    """Whether a directory's top-level names look like this tool's cache."""
    return any(marker in names for marker in MARKERS)


def prune(tree: CacheTree, *, unstable_abi: bool) -> None:
    """Remove poetry's repository cache, virtualenvs and downloaded (not built) artifacts."""
    for name in DROPPED:
        tree.remove(tree.root / name)
    artifacts = tree.root / ARTIFACTS
    if unstable_abi:
        tree.remove(artifacts)
    else:
        _prune_artifacts(tree, artifacts)
