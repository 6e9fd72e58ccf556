"""uv's cache: the in-process equivalent of ``uv cache prune --ci``.

Mirrors ``Cache::prune(ci: true)`` in uv's ``crates/uv-cache/src/lib.rs`` (checked against uv
0.13: same resulting tree on a real cache, see tests/test_prune.py):

1. Outdated buckets go. uv removes every top-level directory that is not one of its current
   buckets; not knowing which uv version will read the cache, this keeps the newest version of
   each ``<name>-v<N>`` bucket, removes the older ones (and ``built-wheels-v*``, the old name of
   ``sdists-v*``), and leaves unknown entries alone.
2. Cached environments (``environments-v*/*``) go: they are recreated when needed.
3. Pre-built wheels go: every directory in ``wheels-v*`` (unzipped downloaded wheels and their
   HTTP state). In ``sdists-v*``, each built-wheel revision (a directory with
   ``metadata.msgpack``) keeps only ``metadata.msgpack`` and the built ``*.whl``: the unpacked
   source and the unzipped wheel go. These built wheels are what is worth caching: slow to make,
   and tied to the interpreter's ABI (uv finds them by wheel tags alone).
4. Archives (``archive-v*``) that nothing in ``sdists-v*`` or ``wheels-v*`` links to go. Links
   are symlinks on Unix, small files naming the archive on Windows.

With an unstable ABI, everything in ``sdists-v*`` goes too: wheels built for one pre-release must
not be offered to the next.

Why not run ``uv cache prune --ci``: the uv binary may be absent or another version than the one
that wrote the cache, and removal here goes through ``CacheTree``'s guards.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Final

from cache_python_deps.pruning._tree import CacheTree

_BUCKET: Final = re.compile(r"(?P<family>[a-z]+(?:-[a-z]+)*)-v(?P<version>[0-9]+)")
# Bucket families of uv (``CacheBucket`` in uv-cache), current and past.
FAMILIES: Final = frozenset(
    {
        "archive",
        "binaries",
        "builds",
        "built-wheels",
        "environments",
        "flat-index",
        "git",
        "interpreter",
        "python",
        "sdists",
        "simple",
        "wheels",
    }
)
# The bucket that replaced another one under a new name.
_RENAMED: Final = {"built-wheels": "sdists"}
# Names not searched for archive links (uv's filter: they never are links).
_NOT_LINKS: Final = frozenset({"src", ".lock", ".gitignore"})
_NOT_LINK_SUFFIXES: Final = frozenset({".lock", ".whl", ".http", ".rev", ".msgpack"})
# Larger files are not Windows link files.
_MAX_LINK_SIZE: Final = 4096


def is_cache(names: Collection[str]) -> bool:
    """Whether top-level names look like a uv cache (``CACHEDIR.TAG`` or a known bucket)."""
    return "CACHEDIR.TAG" in names or any(_family(name) in FAMILIES for name in names)


def _family(name: str) -> str | None:
    match = _BUCKET.fullmatch(name)
    return match["family"] if match else None


def _buckets(tree: CacheTree) -> dict[str, list[Path]]:
    """Top-level bucket directories by family, oldest version first."""
    found: dict[str, list[tuple[int, Path]]] = {}
    for entry in tree.entries(tree.root):
        match = _BUCKET.fullmatch(entry.name)
        if match and match["family"] in FAMILIES and entry.is_dir():
            found.setdefault(match["family"], []).append((int(match["version"]), entry))
    return {family: [path for _, path in sorted(items)] for family, items in found.items()}


def _remove_outdated(tree: CacheTree, buckets: dict[str, list[Path]]) -> dict[str, Path]:
    """Remove outdated bucket versions; return the current bucket of each family."""
    current: dict[str, Path] = {}
    for family, paths in buckets.items():
        *outdated, newest = paths
        if _RENAMED.get(family) in buckets:
            outdated.append(newest)
        else:
            current[family] = newest
        for path in outdated:
            tree.remove(path)
    return current


def _is_dir_entry(tree: CacheTree, path: Path) -> bool:
    return tree.is_real_dir(path) or (path.is_symlink() and path.is_dir())


def _keep_in_revision(path: Path) -> bool:
    return path.name == "metadata.msgpack" or path.suffix.lower() == ".whl"


def _strip_built_wheels(tree: CacheTree, sdists: Path) -> None:
    """Reduce each built-wheel revision to its metadata and wheel archives."""
    for directory in tree.walk_dirs(sdists):
        if (directory / "metadata.msgpack").is_file():
            tree.remove_children(directory, keep=_keep_in_revision)


def _link_entries(tree: CacheTree, directory: Path) -> Iterator[Path]:
    """Entries that may link to an archive, without descending into symlinks or sources."""
    for entry in tree.entries(directory):
        if entry.name in _NOT_LINKS or entry.suffix.lower() in _NOT_LINK_SUFFIXES:
            continue
        if tree.is_real_dir(entry):
            yield from _link_entries(tree, entry)
        else:
            yield entry


def _referenced_archive(entry: Path, archive_root: Path, names: Collection[str]) -> str | None:
    """The archive entry a link points to, if any (Windows links are files naming it)."""
    if entry.is_symlink():
        target = Path(os.path.realpath(entry))
        if archive_root in target.parents:
            return target.relative_to(archive_root).parts[0]
        return None
    if os.name != "nt" or not entry.is_file() or entry.stat().st_size > _MAX_LINK_SIZE:
        return None
    text = entry.read_text(encoding="utf-8", errors="replace")
    return next((name for name in names if name in text), None)


def _remove_unreferenced_archives(tree: CacheTree, current: dict[str, Path]) -> None:
    archive = current.get("archive")
    if archive is None or not tree.is_real_dir(archive):
        return
    archive_root = Path(os.path.realpath(archive))
    names = [entry.name for entry in tree.entries(archive)]
    referenced: set[str] = set()
    for family in ("sdists", "wheels"):
        if family in current:
            for entry in _link_entries(tree, current[family]):
                name = _referenced_archive(entry, archive_root, names)
                if name is not None:
                    referenced.add(name)
    tree.remove_children(archive, keep=lambda entry: entry.name in referenced)


def prune(tree: CacheTree, *, unstable_abi: bool) -> None:
    """``uv cache prune --ci``, plus the built wheels when the ABI is unstable."""
    current = _remove_outdated(tree, _buckets(tree))
    if "environments" in current:
        tree.remove_children(current["environments"])
    if "wheels" in current:
        wheels = current["wheels"]
        tree.remove_children(wheels, keep=lambda entry: not _is_dir_entry(tree, entry))
    if "sdists" in current:
        if unstable_abi:
            # uv's own marker files (``.git``, ``.gitignore``) stay.
            tree.remove_children(current["sdists"], keep=lambda entry: entry.name.startswith("."))
        else:
            _strip_built_wheels(tree, current["sdists"])
    _remove_unreferenced_archives(tree, current)
