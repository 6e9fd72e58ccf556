"""Find a project's dependency files and hash them the way GitHub's ``hashFiles()`` does.

hashFiles() takes the SHA-256 of each matched file, feeds those digests in order into one more
SHA-256 and prints it as hex (or an empty string when nothing matched). Files are taken here in
sorted order of their relative paths, so the result does not depend on directory listing order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cache_python_deps.errors import DependencyHashError

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class DependencyFiles:
    """The files hashed and their combined digest (None when no file matched)."""

    directory: Path
    files: tuple[str, ...]
    digest: str | None


def find_dependency_files(directory: Path, patterns: Iterable[str]) -> tuple[str, ...]:
    """Relative paths of the regular files in ``directory`` matching any pattern, sorted."""
    found: set[str] = set()
    for pattern in patterns:
        for path in directory.glob(pattern):
            if path.is_file():
                found.add(path.relative_to(directory).as_posix())
    return tuple(sorted(found))


def hash_files(directory: Path, files: Iterable[str]) -> str | None:
    """hashFiles()'s digest of ``files`` (relative to ``directory``), or None for no files."""
    combined = hashlib.sha256()
    count = 0
    for name in files:
        digest = hashlib.sha256()
        try:
            with (directory / name).open("rb") as handle:
                for chunk in iter(lambda: handle.read(_CHUNK), b""):
                    digest.update(chunk)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise DependencyHashError(f"cannot read dependency file {name}: {reason}") from None
        combined.update(digest.digest())
        count += 1
    return combined.hexdigest() if count else None


def hash_dependency_files(directory: Path, patterns: Iterable[str]) -> DependencyFiles:
    """Find and hash the dependency files of the project in ``directory``."""
    files = find_dependency_files(directory, patterns)
    return DependencyFiles(directory=directory, files=files, digest=hash_files(directory, files))
