"""Deletion confined to one cache directory: the only code that removes anything from a cache.

A restored cache is untrusted: any entry may be a symlink, a hard link to a file elsewhere, a
FIFO, a device, a bind mount, and another process may swap a directory for a symlink while the
cache is being pruned. ``CacheTree`` names entries by paths relative to the cache root and
guarantees, where the OS has ``dir_fd`` (Linux, macOS, the BSDs):

- The root is opened once (``O_DIRECTORY | O_NOFOLLOW``); every other directory is opened
  relative to its parent's descriptor, one component at a time, with ``O_NOFOLLOW``, so no
  symlink is ever followed, not even one swapped in mid-run: a symlink is an entry to unlink.
- Every listing, ``lstat``, ``unlink`` and ``rmdir`` is relative to an opened directory
  (``dir_fd=``): renaming or replacing a path after it was checked cannot redirect the call.
- A directory on another device, or on another mount of the same device (a bind mount keeps
  ``st_dev``: on Linux the descriptor's ``mnt_id`` from ``/proc/self/fdinfo`` tells), is never
  entered: pruning stops there with PruneFailedError and leaves it as it is.
- Nothing is ``chmod``-ed unless it is going to be deleted: a read-only directory being emptied
  is made writable through its own descriptor (``fchmod``), after it was opened without
  following links and checked to be a directory of the cache's file system. Files are never
  ``chmod``-ed (a hard link shares its mode with the file elsewhere; unlinking it needs only
  the directory's permission).
- FIFOs, sockets and devices are unlinked as entries, never opened; a file is only opened to be
  read (``read_small_file``) when ``lstat`` and ``fstat`` both say it is a regular file.
- Nesting deeper than ``MAX_DEPTH`` stops pruning (one open descriptor per level).

Without ``dir_fd`` (Windows) the same walk runs on paths: a symlink, junction or any other
reparse point (a volume mount point included) is removed as an entry and never entered, and no
directory on another volume is entered. What it cannot promise is the race-freedom above:
between checking an entry and removing it, a concurrent process could replace a parent
directory with a junction. A read-only file there is made writable before it is deleted (the
attribute blocks deletion on Windows) only when it has a single link, so no other name of it
changes mode.

Every ``OSError`` becomes a one-line PruneFailedError naming the entry.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Final, NamedTuple, NoReturn

from cache_python_deps.errors import PruneFailedError, PruneRefusedError
from cache_python_deps.safe_files import OPEN_FLAGS

__all__ = [
    "DIR_FD_SUPPORTED",
    "MAX_DEPTH",
    "ROOT",
    "CacheTree",
    "Entry",
    "EntryKind",
    "mount_points",
    "open_cache_tree",
    "parse_mountinfo",
]

# The root of a tree, as a relative path; ``ROOT / "wheels"`` names a top-level entry.
ROOT: Final = PurePosixPath()
# Deeper nesting stops pruning: each level holds a descriptor while it is emptied.
MAX_DEPTH: Final = 256

DIR_FD_SUPPORTED: Final = (
    {os.open, os.stat, os.unlink, os.rmdir, os.readlink} <= os.supports_dir_fd
    and os.scandir in os.supports_fd
    and hasattr(os, "O_NOFOLLOW")
    and hasattr(os, "O_DIRECTORY")
)

_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY_FLAGS: Final = OPEN_FLAGS | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW
# errno values of "this name is not (or no longer) a directory that can be entered":
# ELOOP/EMLINK for a symlink under O_NOFOLLOW (Linux, macOS / FreeBSD), ENOTDIR, ENOENT.
_NOT_ENTERABLE: Final = frozenset({errno.ELOOP, errno.EMLINK, errno.ENOTDIR, errno.ENOENT})
_NOT_EMPTY: Final = frozenset({errno.ENOTEMPTY, errno.EEXIST})
_REPARSE_POINT: Final = stat.FILE_ATTRIBUTE_REPARSE_POINT
_DIRECTORY_ATTRIBUTE: Final = stat.FILE_ATTRIBUTE_DIRECTORY
_MOUNTINFO: Final = Path("/proc/self/mountinfo")
_OCTAL_ESCAPE: Final = re.compile(r"\\([0-7]{3})")


class EntryKind(Enum):
    """What an entry is, seen without following it."""

    DIRECTORY = "directory"  # a real directory (never a symlink or other reparse point)
    SYMLINK = "symlink"  # a symlink, junction or other reparse point
    FILE = "file"  # a regular file
    OTHER = "other"  # a FIFO, socket or device


class Entry(NamedTuple):
    """One entry of a cache directory, as ``lstat`` saw it."""

    path: PurePosixPath  # relative to the cache root
    kind: EntryKind
    size: int  # st_size of the entry itself (a symlink's own size)

    @property
    def name(self) -> str:
        """The entry's name in its directory."""
        return self.path.name

    @property
    def is_dir(self) -> bool:
        """A real directory (a symlink to one is not)."""
        return self.kind is EntryKind.DIRECTORY

    @property
    def is_symlink(self) -> bool:
        """A symlink, junction or other reparse point."""
        return self.kind is EntryKind.SYMLINK

    @property
    def is_file(self) -> bool:
        """A regular file (not a symlink to one)."""
        return self.kind is EntryKind.FILE


def _is_link(info: os.stat_result) -> bool:
    attributes = getattr(info, "st_file_attributes", 0)
    return stat.S_ISLNK(info.st_mode) or bool(attributes & _REPARSE_POINT)


def _kind(info: os.stat_result) -> EntryKind:
    if _is_link(info):
        return EntryKind.SYMLINK
    if stat.S_ISDIR(info.st_mode):
        return EntryKind.DIRECTORY
    if stat.S_ISREG(info.st_mode):
        return EntryKind.FILE
    return EntryKind.OTHER


def parse_mountinfo(text: str) -> list[str]:
    """The mount points listed in ``/proc/<pid>/mountinfo`` text (field 5, octal-unescaped)."""
    points = []
    for line in text.splitlines():
        fields = line.split(" ")
        if len(fields) > 4:
            points.append(_OCTAL_ESCAPE.sub(lambda match: chr(int(match[1], 8)), fields[4]))
    return points


def mount_points() -> frozenset[str]:
    """This process's mount points (Linux); empty where ``/proc`` does not list them."""
    try:
        raw = _MOUNTINFO.read_bytes()
    except OSError:
        return frozenset()
    return frozenset(parse_mountinfo(os.fsdecode(raw)))  # decoded as file names are


def _mount_id(descriptor: int) -> int | None:
    """The Linux mount id of an open descriptor (``mnt_id``), or None where unknown."""
    try:
        with open(f"/proc/self/fdinfo/{descriptor}", "rb") as handle:  # noqa: PTH123
            text = handle.read(4096)
    except OSError:
        return None
    match = re.search(rb"^mnt_id:\s*([0-9]+)", text, re.MULTILINE)
    return int(match[1]) if match else None


class _FileSystem(NamedTuple):
    """Where the cache root lives: entering another device or mount is refused."""

    device: int
    mount_id: int | None = None  # Linux, descriptor mode only
    mount_points: frozenset[str] = frozenset()  # path mode only (Linux hosts in tests)


class _Directory:
    """An opened directory of the cache: every operation is relative to it.

    Two kinds: held by a descriptor (POSIX, ``dir_fd``) or named by a path (Windows). What they
    share is here: the cache root's file system (entering another is refused), the listing and
    the bounded read of a regular file; the rest each kind does its own way.
    """

    def __init__(self, handle: int | Path, file_system: _FileSystem) -> None:
        self._handle = handle  # what ``os.scandir`` lists: the descriptor or the path
        self._file_system = file_system

    def scan(self) -> list[tuple[str, os.stat_result]]:
        """Names and ``lstat`` results of the entries."""
        with os.scandir(self._handle) as listing:
            return [(entry.name, entry.stat(follow_symlinks=False)) for entry in listing]

    def read_regular(self, name: str, limit: int) -> bytes | None:
        """A regular file's bytes (at most ``limit``); None for anything else."""
        before = self.lstat(name)
        if before is None or _kind(before) is not EntryKind.FILE or before.st_size > limit:
            return None
        return _read_opened(self._open_file(name), limit)

    def lstat(self, name: str) -> os.stat_result | None:
        """The entry's ``lstat``, or None when it is gone."""
        raise NotImplementedError

    def _open_file(self, name: str) -> int:
        """A descriptor of the entry opened for reading, never through a symlink."""
        raise NotImplementedError

    def open_child(self, name: str) -> _Directory | None:
        """The entry opened as a directory; None when it is not a real directory (any more)."""
        raise NotImplementedError

    def unlink(self, name: str, *, doomed: bool) -> None:
        """Remove a non-directory entry (a symlink itself, never its target)."""
        raise NotImplementedError

    def rmdir(self, name: str) -> None:
        """Remove an empty directory entry."""
        raise NotImplementedError

    def make_writable(self) -> None:
        """Let entries be removed from this directory (it is about to be deleted itself)."""
        raise NotImplementedError

    def readlink(self, name: str) -> str:
        """A symlink's target text."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the directory."""
        raise NotImplementedError


def _read_opened(descriptor: int, limit: int) -> bytes | None:
    """Read an opened file if ``fstat`` says it is regular and small enough (closes it)."""
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        return handle.read(limit + 1)[:limit]


def _other_file_system(name: str) -> NoReturn:
    message = f"{name!r} is on another file system or mount (left as it is)"
    raise OSError(errno.EXDEV, message)


class _DescriptorDirectory(_Directory):
    """A directory held by an open descriptor (POSIX with ``dir_fd``)."""

    _handle: int

    @property
    def _fd(self) -> int:
        return self._handle

    @classmethod
    def open_root(cls, path: Path) -> _DescriptorDirectory:
        descriptor = os.open(path, _DIRECTORY_FLAGS)
        file_system = _FileSystem(os.fstat(descriptor).st_dev, _mount_id(descriptor))
        return cls(descriptor, file_system)

    def lstat(self, name: str) -> os.stat_result | None:
        try:
            return os.stat(name, dir_fd=self._fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def open_child(self, name: str) -> _DescriptorDirectory | None:
        try:
            descriptor = os.open(name, _DIRECTORY_FLAGS, dir_fd=self._fd)
        except OSError as error:
            if error.errno in _NOT_ENTERABLE:
                return None
            raise
        child = _DescriptorDirectory(descriptor, self._file_system)
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISDIR(info.st_mode):  # pragma: no cover - O_DIRECTORY guarantees it
                child.close()
                return None
            root_mount = self._file_system.mount_id
            same_mount = root_mount is None or _mount_id(descriptor) == root_mount
            if info.st_dev != self._file_system.device or not same_mount:
                _other_file_system(name)
        except BaseException:
            child.close()
            raise
        return child

    def unlink(self, name: str, *, doomed: bool) -> None:
        # Never a chmod here, even when ``doomed``: a hard link shares its mode with the file.
        os.unlink(name, dir_fd=self._fd)

    def rmdir(self, name: str) -> None:
        os.rmdir(name, dir_fd=self._fd)

    def make_writable(self) -> None:
        mode = stat.S_IMODE(os.fstat(self._fd).st_mode)
        os.fchmod(self._fd, mode | stat.S_IRWXU)

    def readlink(self, name: str) -> str:
        return os.readlink(name, dir_fd=self._fd)

    def _open_file(self, name: str) -> int:
        return os.open(name, OPEN_FLAGS | _NOFOLLOW, dir_fd=self._fd)

    def close(self) -> None:
        os.close(self._fd)


class _PathDirectory(_Directory):
    """A directory named by its path: the fallback where ``dir_fd`` is missing (Windows)."""

    _handle: Path

    @property
    def _path(self) -> Path:
        return self._handle

    @classmethod
    def open_root(cls, path: Path) -> _PathDirectory:
        info = os.lstat(path)
        if _is_link(info):
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))
        if not stat.S_ISDIR(info.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
        points = frozenset(os.path.normcase(point) for point in mount_points())
        return cls(path, _FileSystem(info.st_dev, mount_points=points))

    def lstat(self, name: str) -> os.stat_result | None:
        try:
            return os.lstat(self._path / name)
        except FileNotFoundError:
            return None

    def open_child(self, name: str) -> _PathDirectory | None:
        info = self.lstat(name)
        if info is None or _kind(info) is not EntryKind.DIRECTORY:
            return None
        path = self._path / name
        if info.st_dev != self._file_system.device or (
            os.path.normcase(path) in self._file_system.mount_points
        ):
            _other_file_system(name)
        return _PathDirectory(path, self._file_system)

    def unlink(self, name: str, *, doomed: bool) -> None:
        path = self._path / name
        info = os.lstat(path)
        attributes = getattr(info, "st_file_attributes", 0)
        if attributes & _REPARSE_POINT and attributes & _DIRECTORY_ATTRIBUTE:
            path.rmdir()  # a directory junction or symlink: removes the link, not its target
            return
        try:
            path.unlink()
        except PermissionError:
            # Windows refuses to delete a read-only file; clear the attribute only on a file
            # with no other name, which is about to go anyway.
            single = _kind(info) is EntryKind.FILE and info.st_nlink == 1
            if os.name != "nt" or not doomed or not single:
                raise
            path.chmod(stat.S_IWRITE)
            path.unlink()

    def rmdir(self, name: str) -> None:
        (self._path / name).rmdir()

    def make_writable(self) -> None:
        # Path mode cannot chmod without a window for a swap: a directory's read-only state
        # does not stop deletion on Windows, so nothing is changed; the removal fails instead.
        return

    def readlink(self, name: str) -> str:
        return str((self._path / name).readlink())

    def _open_file(self, name: str) -> int:
        return os.open(self._path / name, OPEN_FLAGS | _NOFOLLOW)

    def close(self) -> None:
        return


def _shown(path: PurePosixPath) -> str:
    """A relative path for a one-line message (untrusted names: escapes, quotes)."""
    return repr(path.as_posix())


def _check_relative(path: PurePosixPath) -> None:
    for part in path.parts:
        if part in {"", ".", ".."} or "/" in part or "\\" in part or "\0" in part:
            raise PruneRefusedError(f"refusing to use {_shown(path)}: not an entry of the cache")


class CacheTree:
    """An opened cache root; every entry is named by a path relative to it.

    Open one with ``open_cache_tree``. Rules list entries and remove them through this class
    only; removed entries are recorded (relative, ``/``-separated) in ``removed``.
    """

    def __init__(self, root: Path, directory: _Directory) -> None:
        self.root = root
        self._root_directory = directory
        self._removed: list[str] = []

    @property
    def removed(self) -> tuple[str, ...]:
        """Removed entries, relative to the root with ``/`` separators, in removal order."""
        return tuple(self._removed)

    # -- opening ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _opened(self, path: PurePosixPath) -> Iterator[_Directory | None]:
        """``path`` opened one component at a time, links never followed (None: not a dir)."""
        _check_relative(path)
        if len(path.parts) > MAX_DEPTH:
            self._too_deep(path)
        opened: list[_Directory] = []
        current: _Directory | None = self._root_directory
        try:
            for part in path.parts:
                assert current is not None
                current = current.open_child(part)
                if current is None:
                    break
                opened.append(current)
            yield current
        finally:
            for directory in reversed(opened):
                directory.close()

    def _too_deep(self, path: PurePosixPath) -> NoReturn:
        raise PruneFailedError(
            f"cannot prune {self.root}: {_shown(path)} is nested deeper than {MAX_DEPTH} levels"
        )

    def _failed(self, error: OSError, path: PurePosixPath) -> PruneFailedError:
        reason = error.strerror or type(error).__name__
        return PruneFailedError(f"cannot prune {self.root}: {reason}: {_shown(path)}")

    # -- reading ----------------------------------------------------------------------------

    def _entries_of(self, directory: _Directory, path: PurePosixPath) -> list[Entry]:
        listed = [Entry(path / name, _kind(info), info.st_size) for name, info in directory.scan()]
        return sorted(listed, key=lambda entry: entry.name)

    def entries(self, directory: PurePosixPath = ROOT) -> list[Entry]:
        """Entries of a real directory of the cache, by name; none for anything else."""
        try:
            with self._opened(directory) as opened:
                return [] if opened is None else self._entries_of(opened, directory)
        except OSError as error:
            raise self._failed(error, directory) from None

    def walk(
        self, directory: PurePosixPath = ROOT, *, descend: Callable[[Entry], bool] | None = None
    ) -> Iterator[tuple[PurePosixPath, list[Entry]]]:
        """``(directory, its entries)`` for ``directory`` and the real directories below it.

        Parents come before children; ``descend`` (default: always) chooses which child
        directories are entered. Entries removed by the caller in between are skipped.
        """
        try:
            with self._opened(directory) as opened:
                if opened is not None:
                    yield from self._walk(opened, directory, descend, len(directory.parts))
        except OSError as error:
            raise self._failed(error, directory) from None

    def _walk(
        self,
        directory: _Directory,
        path: PurePosixPath,
        descend: Callable[[Entry], bool] | None,
        depth: int,
    ) -> Iterator[tuple[PurePosixPath, list[Entry]]]:
        entries = self._entries_of(directory, path)
        yield path, entries
        for entry in entries:
            if entry.kind is not EntryKind.DIRECTORY or (descend and not descend(entry)):
                continue
            if depth + 1 > MAX_DEPTH:
                self._too_deep(entry.path)
            child = directory.open_child(entry.name)
            if child is None:
                continue
            try:
                yield from self._walk(child, entry.path, descend, depth + 1)
            finally:
                child.close()

    def read_link(self, path: PurePosixPath) -> str | None:
        """A symlink's target text; None when ``path`` is not a symlink."""
        _check_relative(path)
        try:
            with self._opened(path.parent) as parent:
                info = None if parent is None else parent.lstat(path.name)
                if parent is None or info is None or not stat.S_ISLNK(info.st_mode):
                    return None
                return parent.readlink(path.name)
        except OSError as error:
            raise self._failed(error, path) from None

    def read_small_file(self, path: PurePosixPath, limit: int) -> bytes | None:
        """A regular file's bytes if it has at most ``limit``; None for anything else."""
        _check_relative(path)
        try:
            with self._opened(path.parent) as parent:
                return None if parent is None else parent.read_regular(path.name, limit)
        except OSError as error:
            raise self._failed(error, path) from None

    def size(self) -> int:
        """Bytes of every non-directory entry in the tree (a symlink's own size)."""
        return sum(
            entry.size
            for _, entries in self.walk()
            for entry in entries
            if entry.kind is not EntryKind.DIRECTORY
        )

    # -- removing ---------------------------------------------------------------------------

    def remove(self, path: PurePosixPath) -> None:
        """Delete one entry (a real directory with everything in it); a missing one is skipped."""
        _check_relative(path)
        if not path.parts:
            raise PruneRefusedError(f"refusing to remove the cache root {self.root}")
        try:
            with self._opened(path.parent) as parent:
                if parent is not None and self._remove_entry(parent, path, doomed=False):
                    self._removed.append(path.as_posix())
        except OSError as error:
            raise self._failed(error, path) from None

    def remove_children(
        self, directory: PurePosixPath, *, keep: Callable[[Entry], bool] | None = None
    ) -> None:
        """Delete every entry of ``directory`` for which ``keep`` is not true."""
        try:
            with self._opened(directory) as opened:
                if opened is None:
                    return
                for entry in self._entries_of(opened, directory):
                    if keep is not None and keep(entry):
                        continue
                    if self._remove_entry(opened, entry.path, doomed=False):
                        self._removed.append(entry.path.as_posix())
        except OSError as error:
            raise self._failed(error, directory) from None

    def remove_empty_dirs(self, directory: PurePosixPath) -> None:
        """Delete the real directories below ``directory`` left empty (not ``directory``)."""
        try:
            with self._opened(directory) as opened:
                if opened is not None:
                    self._remove_empty_below(opened, directory)
        except OSError as error:
            raise self._failed(error, directory) from None

    def _remove_empty_below(self, directory: _Directory, path: PurePosixPath) -> None:
        for entry in self._entries_of(directory, path):
            if entry.kind is not EntryKind.DIRECTORY:
                continue
            if len(entry.path.parts) > MAX_DEPTH:
                self._too_deep(entry.path)
            child = directory.open_child(entry.name)
            if child is None:
                continue
            try:
                self._remove_empty_below(child, entry.path)
            finally:
                child.close()
            try:
                directory.rmdir(entry.name)
            except OSError as error:
                if error.errno in _NOT_EMPTY or error.errno == errno.ENOENT:
                    continue
                raise
            self._removed.append(entry.path.as_posix())

    def _remove_entry(self, parent: _Directory, path: PurePosixPath, *, doomed: bool) -> bool:
        """Remove ``path`` (an entry of ``parent``); False when it is already gone.

        ``doomed``: ``parent`` itself is being deleted, so it may be made writable.
        """
        for _attempt in range(3):  # the entry may change kind under us: look again
            info = parent.lstat(path.name)
            if info is None:
                return False
            if _kind(info) is EntryKind.DIRECTORY:
                child = parent.open_child(path.name)
                if child is None:
                    continue
                try:
                    self._empty(child, path)
                finally:
                    child.close()
                if self._retry_writable(parent, doomed, lambda: parent.rmdir(path.name)):
                    return True
            elif self._retry_writable(
                parent, doomed, lambda: parent.unlink(path.name, doomed=doomed)
            ):
                return True
        raise PruneFailedError(
            f"cannot prune {self.root}: {_shown(path)} keeps changing while it is removed"
        )

    @staticmethod
    def _retry_writable(parent: _Directory, doomed: bool, operation: Callable[[], None]) -> bool:
        """Run one removal; False when the entry changed kind (the caller looks again).

        Refused for lack of permission, it is retried once after making ``parent`` writable,
        only when ``parent`` is itself being deleted (``doomed``).
        """
        made_writable = False
        while True:
            try:
                operation()
            except FileNotFoundError:
                return True
            except (IsADirectoryError, NotADirectoryError):
                return False
            except PermissionError:
                if not doomed or made_writable:
                    raise
                parent.make_writable()
                made_writable = True
            else:
                return True

    def _empty(self, top: _Directory, top_path: PurePosixPath) -> None:
        """Delete everything in ``top`` (a directory about to be removed), depth first."""
        # One frame per open directory: (directory, its path, names still to remove).
        stack: list[tuple[_Directory, PurePosixPath, list[str]]] = [
            (top, top_path, sorted(name for name, _ in top.scan()))
        ]
        try:
            while stack:
                directory, path, names = stack[-1]
                if not names:
                    stack.pop()
                    if stack:
                        directory.close()
                        holder = stack[-1][0]
                        self._rmdir_doomed(holder, path)
                    continue
                name = names.pop()
                info = directory.lstat(name)
                if info is None:
                    continue
                if _kind(info) is EntryKind.DIRECTORY:
                    if len((path / name).parts) > MAX_DEPTH:
                        self._too_deep(path / name)
                    child = directory.open_child(name)
                    if child is not None:
                        try:
                            below = sorted(entry_name for entry_name, _ in child.scan())
                        except BaseException:
                            child.close()
                            raise
                        stack.append((child, path / name, below))
                        continue
                self._remove_entry(directory, path / name, doomed=True)
        finally:
            for directory, _, _ in stack[1:]:
                directory.close()

    def _rmdir_doomed(self, holder: _Directory, path: PurePosixPath) -> None:
        if not self._retry_writable(holder, True, lambda: holder.rmdir(path.name)):
            self._remove_entry(holder, path, doomed=True)


@contextlib.contextmanager
def open_cache_tree(root: Path, *, descriptors: bool = DIR_FD_SUPPORTED) -> Iterator[CacheTree]:
    """Open the cache directory ``root`` (a real path, not a symlink) for pruning.

    ``descriptors=False`` selects the path-based fallback (what Windows gets). OSError when the
    root cannot be opened (missing, a symlink, not a directory, unreadable).
    """
    opener = _DescriptorDirectory if descriptors else _PathDirectory
    directory = opener.open_root(root)
    try:
        yield CacheTree(root, directory)
    finally:
        directory.close()
