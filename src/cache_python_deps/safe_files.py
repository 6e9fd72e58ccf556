"""Read files that untrusted content controls: regular files only, never more than a limit.

The workspace (a pull request's files), a restored cache and the environment name the files the
action reads: config files, ``pyproject.toml``, lock files, dependency files, the provenance
record. Any of them may be a symlink to ``/dev/zero``, a FIFO that never delivers, a device, or
a file of gigabytes. So a file is read only when it is a regular file (after symlinks), checked
with ``stat`` before it is opened (opening some devices has effects of its own) and again on the
open descriptor (the path may be swapped in between), opened non-blocking, and read up to
``limit`` bytes: a larger file is a one-line ``UnreadableFileError``, never a partial read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from cache_python_deps.errors import UnreadableFileError

# Config files (pip.conf, uv.toml, pyproject.toml, .env...): real ones are a few KiB.
MAX_CONFIG_BYTES: Final = 1024 * 1024
# One dependency or lock file to hash (large uv.lock / poetry.lock files are a few MiB).
MAX_DEPENDENCY_FILE_BYTES: Final = 32 * 1024 * 1024

# How the action opens a file it does not trust: never a controlling terminal, never blocking on
# a FIFO, never inherited by a child (removal.py opens directories with these too).
OPEN_FLAGS: Final = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_CHUNK: Final = 1024 * 1024


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse(what: str, path: Path, reason: str) -> UnreadableFileError:
    return UnreadableFileError(f"cannot read {what} {path}: {reason}")


def read_regular_file(path: Path, *, limit: int, what: str = "file") -> bytes | None:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes.

    ``None`` when nothing exists there (a dangling symlink included); UnreadableFileError (one
    line naming ``what`` and the path) for anything else that cannot be read whole and safely.
    """
    try:
        before = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise _refuse(what, path, error.strerror or type(error).__name__) from None
    if not stat.S_ISREG(before.st_mode):
        raise _refuse(what, path, f"it is {_kind(before.st_mode)}")
    if before.st_size > limit:
        raise _refuse(what, path, f"it is larger than {limit} bytes")
    try:
        descriptor = os.open(path, OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise _refuse(what, path, error.strerror or type(error).__name__) from None
    try:
        opened = os.fstat(descriptor)
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (
            before.st_dev,
            before.st_ino,
        ):
            raise _refuse(what, path, "it changed while it was being opened")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(descriptor, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise _refuse(what, path, f"it is larger than {limit} bytes")
        return b"".join(chunks)
    except OSError as error:
        raise _refuse(what, path, error.strerror or type(error).__name__) from None
    finally:
        os.close(descriptor)


def read_text_file(
    path: Path, *, limit: int = MAX_CONFIG_BYTES, what: str = "file", encoding: str = "utf-8"
) -> str | None:
    """``read_regular_file`` decoded; undecodable content is an UnreadableFileError."""
    data = read_regular_file(path, limit=limit, what=what)
    if data is None:
        return None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise _refuse(what, path, f"it is not valid {encoding}") from error
