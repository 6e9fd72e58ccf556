"""Removal confined to one cache directory: no symlink is followed, nothing outside is touched.

Every strategy lists and removes entries through a ``CacheTree``:

- listing a directory yields its entries without following symlinks, and refuses to descend
  into a directory that is a symlink (its target may be anywhere);
- removing checks that the entry's parent, symlinks resolved, is the root or inside it, then
  unlinks a symlink or file (never its target) or deletes a real directory tree with
  ``shutil.rmtree``, which does not follow symlinks inside the tree either.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cache_python_deps.errors import PruneRefusedError


def tree_size(directory: Path) -> int:
    """Bytes in the files and symlinks under ``directory`` (symlinks themselves, not targets)."""
    total = 0
    pending = [directory]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    info = entry.stat(follow_symlinks=False)
                    if stat.S_ISDIR(info.st_mode):
                        pending.append(Path(entry.path))
                    else:
                        total += info.st_size
        except FileNotFoundError:
            continue
    return total


def _retry_writable(function: Callable[..., Any], path: str, error: BaseException) -> None:
    """rmtree's error hook: make a read-only entry (usual on Windows) writable and retry once."""
    if not isinstance(error, PermissionError):
        raise error
    Path(path).chmod(stat.S_IWRITE | stat.S_IREAD | stat.S_IEXEC)
    function(path)


def _rmtree(path: Path) -> None:
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=_retry_writable)
    else:
        shutil.rmtree(
            path, onerror=lambda function, name, info: _retry_writable(function, name, info[1])
        )


class CacheTree:
    """One cache directory (its real path) and the entries removed from it so far."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.realpath(root))
        self._removed: list[str] = []

    @property
    def removed(self) -> tuple[str, ...]:
        """Removed entries, as paths relative to the root with ``/`` separators."""
        return tuple(self._removed)

    def _check_inside(self, path: Path) -> None:
        if path.name in {"", ".", ".."}:
            raise PruneRefusedError(f"refusing to remove {path}: not an entry of {self.root}")
        parent = Path(os.path.realpath(path.parent))
        if parent != self.root and self.root not in parent.parents:
            raise PruneRefusedError(f"refusing to remove {path}: it is outside {self.root}")

    def is_real_dir(self, path: Path) -> bool:
        """A directory that is not a symlink (so safe to descend into)."""
        try:
            return stat.S_ISDIR(path.lstat().st_mode)
        except OSError:
            return False

    def entries(self, directory: Path) -> list[Path]:
        """Entries of a real directory inside the root, sorted; none for anything else."""
        if not self.is_real_dir(directory):
            return []
        self._check_inside(directory / "_")
        with os.scandir(directory) as listing:
            return sorted(Path(entry.path) for entry in listing)

    def walk_dirs(self, directory: Path) -> Iterator[Path]:
        """``directory`` and every real directory below it, parents before children."""
        if not self.is_real_dir(directory):
            return
        yield directory
        for entry in self.entries(directory):
            yield from self.walk_dirs(entry)

    def remove(self, path: Path) -> None:
        """Delete one entry (a symlink is unlinked, never followed); a missing one is skipped."""
        self._check_inside(path)
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            return
        if stat.S_ISDIR(mode):
            _rmtree(path)
        else:
            path.unlink()
        self._removed.append(path.relative_to(self.root).as_posix())

    def remove_children(
        self, directory: Path, *, keep: Callable[[Path], bool] | None = None
    ) -> None:
        """Delete every entry of ``directory`` for which ``keep`` is not true."""
        for entry in self.entries(directory):
            if keep is None or not keep(entry):
                self.remove(entry)

    def remove_empty_dirs(self, directory: Path) -> None:
        """Delete the empty real directories below ``directory`` (not ``directory`` itself)."""
        for entry in self.entries(directory):
            if self.is_real_dir(entry):
                self.remove_empty_dirs(entry)
                if not self.entries(entry):
                    self.remove(entry)
