"""Dependency files found and hashed the way hashFiles() does."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cache_python_deps.dependency_files import hash_dependency_files, hash_files
from cache_python_deps.errors import DependencyHashError


def test_digest_is_sha256_over_each_files_sha256_in_path_order(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_bytes(b"click\n")
    (tmp_path / "constraints.txt").write_bytes(b"click<9\n")
    found = hash_dependency_files(tmp_path, ("requirements*.txt", "constraints*.txt"))
    assert found.files == ("constraints.txt", "requirements.txt")
    combined = hashlib.sha256(
        hashlib.sha256(b"click<9\n").digest() + hashlib.sha256(b"click\n").digest()
    )
    assert found.digest == combined.hexdigest()


def test_no_matching_file_gives_no_digest(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    found = hash_dependency_files(tmp_path, ("requirements*",))
    assert found.files == ()
    assert found.digest is None


def test_an_unreadable_file_is_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").mkdir()  # named like a file, but reading it fails
    with pytest.raises(DependencyHashError, match=r"cannot read dependency file requirements\.txt"):
        hash_files(tmp_path, ["requirements.txt"])
