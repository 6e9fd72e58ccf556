"""Files untrusted content names are read only when regular, never past a limit, never blocking."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cache_python_deps.errors import UnreadableFileError
from cache_python_deps.safe_files import read_regular_file, read_text_file
from tests.support import fails_instead_of_blocking


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """Fail, rather than hang, if a read blocks."""
    with fails_instead_of_blocking():
        yield


def test_a_regular_file_within_the_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "pip.conf"
    path.write_bytes(b"x" * 100)
    assert read_regular_file(path, limit=100) == b"x" * 100


def test_a_missing_file_or_a_dangling_symlink_is_none(tmp_path: Path) -> None:
    assert read_regular_file(tmp_path / "missing", limit=10) is None
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert read_regular_file(tmp_path / "dangling", limit=10) is None
    assert read_regular_file(tmp_path / "missing" / "below", limit=10) is None


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.symlink_to("/dev/zero"), "it is a device"),
        (lambda p: p.symlink_to("/dev/urandom"), "it is a device"),
        (os.mkfifo, "it is a FIFO"),
        (lambda p: p.mkdir(), "it is a directory"),
        (lambda p: socket.socket(socket.AF_UNIX).bind(str(p)), "it is a socket"),
    ],
)
def test_anything_but_a_regular_file_is_one_line_refused(
    tmp_path: Path, make: object, reason: str
) -> None:
    path = tmp_path / "uv.toml"
    make(path)  # type: ignore[operator]
    with pytest.raises(UnreadableFileError, match=reason) as error:
        read_regular_file(path, limit=1024, what="config file")
    assert "\n" not in str(error.value)
    assert str(error.value).startswith(f"cannot read config file {path}")


def test_a_file_over_the_limit_is_refused_not_cut(tmp_path: Path) -> None:
    path = tmp_path / "big"
    with path.open("wb") as handle:
        handle.truncate(10**10)  # sparse: no disk, and never read
    with pytest.raises(UnreadableFileError, match="larger than 1024 bytes"):
        read_regular_file(path, limit=1024)


def test_a_file_that_grows_past_the_limit_while_read_is_refused(tmp_path: Path) -> None:
    # /proc files say size 0 and deliver more: what a file growing after the check looks like.
    with pytest.raises(UnreadableFileError, match="larger than 10 bytes"):
        read_regular_file(Path("/proc/self/status"), limit=10)


def test_undecodable_text_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(UnreadableFileError, match="not valid utf-8"):
        read_text_file(path)


def test_an_unreadable_file_is_one_line() -> None:
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from cache_python_deps.safe_files import read_regular_file\n"
        "from cache_python_deps.errors import UnreadableFileError\n"
        "os.setgid(65534); os.setuid(65534)\n"
        "try:\n"
        "    read_regular_file(Path('/etc/shadow'), limit=10**6)\n"
        "except UnreadableFileError as error:\n"
        "    print(error)\n"
    )
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to another user")
    src = Path(__file__).resolve().parents[1] / "src"
    completed = subprocess.run(
        [sys.executable, "-c", script, str(src)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "cannot read file /etc/shadow: Permission denied"
