"""Dependency files found and hashed the way hashFiles() does."""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from cache_python_deps.dependency_files import (
    find_dependency_files,
    hash_dependency_files,
    hash_files,
)
from cache_python_deps.errors import DependencyHashError
from cache_python_deps.safe_files import MAX_DEPENDENCY_FILE_BYTES
from tests.support import fails_instead_of_blocking


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
    with pytest.raises(
        DependencyHashError, match=r"cannot read dependency file .*requirements\.txt"
    ):
        hash_files(tmp_path, ["requirements.txt"])


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail, rather than hang, if a read blocks."""
    with fails_instead_of_blocking():
        yield


@pytest.mark.usefixtures("deadline")
@pytest.mark.parametrize("kind", ["symlink-to-dev-zero", "fifo", "oversized", "socket"])
def test_hostile_dependency_files_are_refused_in_one_line(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "requirements.txt"
    if kind == "symlink-to-dev-zero":
        target.symlink_to("/dev/zero")
        reason = "it is a device"
    elif kind == "fifo":
        os.mkfifo(target)
        reason = "it is a FIFO"
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(target))
        reason = "it is a socket"
    else:
        with target.open("wb") as handle:  # sparse: costs no disk
            handle.truncate(MAX_DEPENDENCY_FILE_BYTES + 1)
        reason = "larger than"
    assert find_dependency_files(tmp_path, ("requirements*.txt",)) == ("requirements.txt",)
    with pytest.raises(DependencyHashError, match=reason) as error:
        hash_dependency_files(tmp_path, ("requirements*.txt",))
    assert "\n" not in str(error.value)


def test_a_symlink_to_a_regular_file_is_hashed_like_the_file(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_bytes(b"click\n")
    (tmp_path / "requirements.txt").symlink_to("real.txt")
    assert hash_files(tmp_path, ["requirements.txt"]) == hash_files(tmp_path, ["real.txt"])
