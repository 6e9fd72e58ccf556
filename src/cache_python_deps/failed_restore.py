"""What a failed restore leaves in the cache directory, and taking it away.

``actions/cache`` downloads an entry's archive and extracts it with tar. A damaged archive (a
truncated one) is extracted part way: tar fails, actions/cache warns ``Failed to restore`` and
reports a miss (``cache-hit`` unset), and the files extracted so far stay, the last one possibly
cut short. A job that used them would install from a truncated wheel or run a half virtualenv,
and save them again.

The keys step notes the directory's state before the restore (``directory_state``: absent, empty
or present) and hands it to the record step through a step output; the record step reads it
back (``parse_state``: anything but the three words counts as present) and compares:

- no hit, the directory absent or empty before, content in it now: that content is what the
  failed restore left (``left_by_failed_restore``). It is removed (``remove_leftover``), with the
  no-follow, one-filesystem removal prune uses (``removal.py``), back to the state before:
  an absent directory is removed, an empty one emptied. A virtualenv is so never half-restored.
- a directory that held content before the restore (a self-hosted runner's own cache) is never
  touched: what a failed restore added to it cannot be told apart.
"""

from __future__ import annotations

import enum
import os
import stat
from pathlib import Path
from typing import NamedTuple

from cache_python_deps.errors import CachePythonDepsError


class DirectoryState(enum.Enum):
    """The cache directory, as seen without following a symlink."""

    ABSENT = "absent"
    EMPTY = "empty"  # a real directory without entries
    PRESENT = "present"  # anything else: entries, a symlink, a file, or not readable


def directory_state(path: Path) -> DirectoryState:
    """Whether ``path`` is absent, an empty directory, or anything else. Never raises."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return DirectoryState.ABSENT
    except OSError:
        return DirectoryState.PRESENT
    reparse_point = getattr(info, "st_file_attributes", 0) & stat.FILE_ATTRIBUTE_REPARSE_POINT
    if not stat.S_ISDIR(info.st_mode) or reparse_point:
        return DirectoryState.PRESENT  # a symlink or junction (never followed), or a file
    try:
        with os.scandir(path) as entries:
            return DirectoryState.PRESENT if next(entries, None) else DirectoryState.EMPTY
    except OSError:
        return DirectoryState.PRESENT


def parse_state(text: str) -> DirectoryState:
    """The keys step's word read back; anything else is PRESENT, which is never cleaned."""
    try:
        return DirectoryState(text.strip())
    except ValueError:
        return DirectoryState.PRESENT


def no_hit(cache_hit: str) -> bool:
    """actions/cache reported a miss: ``cache-hit`` neither true nor false (it is left unset)."""
    return cache_hit.strip().lower() not in {"true", "false"}


def left_by_failed_restore(before: DirectoryState, after: DirectoryState, cache_hit: str) -> bool:
    """The restore reported no hit yet left content where there was none (pure)."""
    return (
        no_hit(cache_hit)
        and before in (DirectoryState.ABSENT, DirectoryState.EMPTY)
        and after is DirectoryState.PRESENT
    )


class Leftover(NamedTuple):
    """What a failed restore left, and what became of it."""

    directory: Path
    files: int  # non-directory entries found (files, symlinks...), all levels
    removed: bool
    problem: str | None = None  # why it could not be removed


def remove_leftover(directory: Path, before: DirectoryState) -> Leftover:
    """Take away what a failed restore left, back to ``before`` (absent or empty).

    Never follows a symlink out of the directory, never enters another file system; a symlink
    or file left where the directory was is removed itself. Failures are returned, not raised.
    """
    # The remover stays off the record step's measured path (only a failed restore needs it).
    from cache_python_deps.removal import ROOT, EntryKind, open_cache_tree  # noqa: PLC0415

    files = 0
    try:
        if not stat.S_ISDIR(os.lstat(directory).st_mode):
            directory.unlink()  # a symlink or a file: the link itself, never its target
            return Leftover(directory, 1, removed=True)
        with open_cache_tree(directory) as tree:
            files = sum(
                1
                for _, entries in tree.walk()
                for entry in entries
                if entry.kind is not EntryKind.DIRECTORY
            )
            tree.remove_children(ROOT)
        if before is DirectoryState.ABSENT:
            directory.rmdir()
    except FileNotFoundError:
        return Leftover(directory, files, removed=True)
    except (CachePythonDepsError, OSError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return Leftover(directory, files, removed=False, problem=reason)
    return Leftover(directory, files, removed=True)
