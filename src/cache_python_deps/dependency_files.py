"""Find a project's dependency files and hash them the way GitHub's ``hashFiles()`` does.

hashFiles() takes the SHA-256 of each matched file, feeds those digests in order into one more
SHA-256 and prints it as hex (or an empty string when nothing matched). Files are taken here in
sorted order of their relative paths, so the result does not depend on directory listing order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from cache_python_deps.errors import DependencyHashError, UnreadableFileError
from cache_python_deps.safe_files import MAX_DEPENDENCY_FILE_BYTES, read_regular_file


class DependencyFiles(NamedTuple):
    """The files hashed and their combined digest (None when no file matched)."""

    directory: Path
    files: tuple[str, ...]
    digest: str | None


def find_dependency_files(directory: Path, patterns: Iterable[str]) -> tuple[str, ...]:
    """Relative paths of the entries in ``directory`` matching any pattern, sorted.

    Anything matched is hashed, so a FIFO, a device or a symlink to one is reported by
    ``hash_files`` (one line) rather than skipped in silence; directories are left out.
    """
    found: set[str] = set()
    for pattern in patterns:
        for path in directory.glob(pattern):
            if not path.is_dir():
                found.add(path.relative_to(directory).as_posix())
    return tuple(sorted(found))


def hash_files(directory: Path, files: Iterable[str]) -> str | None:
    """hashFiles()'s digest of ``files`` (relative to ``directory``), or None for no files.

    Each must be a regular file (symlinks followed) of at most ``MAX_DEPENDENCY_FILE_BYTES``.
    """
    combined = hashlib.sha256()
    count = 0
    for name in files:
        try:
            data = read_regular_file(
                directory / name, limit=MAX_DEPENDENCY_FILE_BYTES, what="dependency file"
            )
        except UnreadableFileError as error:
            raise DependencyHashError(str(error)) from None
        if data is None:  # a dangling symlink: nothing to hash, as hashFiles() skips it
            continue
        combined.update(hashlib.sha256(data).digest())
        count += 1
    return combined.hexdigest() if count else None


def hash_dependency_files(directory: Path, patterns: Iterable[str]) -> DependencyFiles:
    """Find and hash the dependency files of the project in ``directory``."""
    files = find_dependency_files(directory, patterns)
    return DependencyFiles(directory=directory, files=files, digest=hash_files(directory, files))
