"""What a failed restore leaves: the directory's state before and after, and removing it."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from cache_python_deps import removal
from cache_python_deps.errors import PruneFailedError
from cache_python_deps.failed_restore import (
    DirectoryState,
    directory_state,
    left_by_failed_restore,
    parse_state,
    remove_leftover,
)
from tests.support import run_as_user

ABSENT, EMPTY, PRESENT = DirectoryState.ABSENT, DirectoryState.EMPTY, DirectoryState.PRESENT


def test_the_state_of_a_directory(tmp_path: Path) -> None:
    assert directory_state(tmp_path / "missing") is ABSENT
    (tmp_path / "empty").mkdir()
    assert directory_state(tmp_path / "empty") is EMPTY
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / ".hidden").write_text("x")
    assert directory_state(tmp_path / "full") is PRESENT


def test_a_symlink_or_a_file_is_present_and_never_followed(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "empty")
    assert directory_state(tmp_path / "link") is PRESENT
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert directory_state(tmp_path / "dangling") is PRESENT
    (tmp_path / "file").write_text("")
    assert directory_state(tmp_path / "file") is PRESENT


def test_a_windows_junction_is_present_and_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows reports a junction as a directory with the reparse-point attribute.
    (tmp_path / "junction").mkdir()
    real_lstat = os.lstat

    class Junction:
        def __init__(self, info: os.stat_result) -> None:
            self.st_mode = info.st_mode
            self.st_file_attributes = stat.FILE_ATTRIBUTE_REPARSE_POINT

    def lstat(path: object) -> object:
        info = real_lstat(path)  # type: ignore[arg-type]
        return Junction(info) if str(path).endswith("junction") else info

    monkeypatch.setattr(os, "lstat", lstat)
    assert directory_state(tmp_path / "junction") is PRESENT


SOURCE = Path(__file__).resolve().parent.parent / "src"
NOBODY_UID = 65534


def test_an_unreadable_directory_is_present(tmp_path: Path) -> None:
    """A directory the step may not list is never taken for empty (root reads any directory,
    so as root the check runs as ``nobody``, in a directory that user may reach)."""
    place = Path(tempfile.mkdtemp(prefix="cpd-unreadable-"))
    try:
        place.chmod(0o755)
        closed = place / "closed"
        closed.mkdir(mode=0)
        if os.geteuid() != 0:
            assert directory_state(closed) is PRESENT
            return
        python = shutil.which("python3", path="/usr/bin")
        assert python is not None, "Debian's python3 runs the check as another user"
        script = (
            f"import sys; sys.path[:0] = [{str(SOURCE)!r}]\n"
            "from pathlib import Path\n"
            "from cache_python_deps.failed_restore import directory_state\n"
            f"print(directory_state(Path({str(closed)!r})).value)\n"
        )
        completed = run_as_user(
            NOBODY_UID, [python, "-I", "-c", script], cwd="/", env={"PATH": "/usr/bin:/bin"}
        )
        assert completed.returncode == 0, completed.stderr
        assert completed.stdout.strip() == PRESENT.value
    finally:
        (place / "closed").chmod(0o755)
        shutil.rmtree(place)


@pytest.mark.parametrize(
    ("text", "state"),
    [("absent", ABSENT), ("empty", EMPTY), ("present", PRESENT), (" empty\n", EMPTY)],
)
def test_the_keys_steps_word_is_read_back(text: str, state: DirectoryState) -> None:
    assert parse_state(text) is state


@pytest.mark.parametrize("text", ["", "ABSENT", "absent; rm -rf /", "gone", "none"])
def test_anything_else_read_back_counts_as_present_which_is_never_cleaned(text: str) -> None:
    assert parse_state(text) is PRESENT
    assert not left_by_failed_restore(parse_state(text), PRESENT, "")


@pytest.mark.parametrize(
    ("before", "after", "cache_hit", "left"),
    [
        (ABSENT, PRESENT, "", True),  # a miss that left content
        (EMPTY, PRESENT, "", True),
        (ABSENT, PRESENT, " ", True),
        (PRESENT, PRESENT, "", False),  # a self-hosted runner's own cache: left alone
        (ABSENT, ABSENT, "", False),  # a clean miss
        (EMPTY, EMPTY, "", False),
        (ABSENT, PRESENT, "true", False),  # an exact hit
        (ABSENT, PRESENT, "false", False),  # a restore-key match
        (ABSENT, PRESENT, "FALSE", False),
    ],
)
def test_what_counts_as_left_by_a_failed_restore(
    before: DirectoryState, after: DirectoryState, cache_hit: str, left: bool
) -> None:
    assert left_by_failed_restore(before, after, cache_hit) is left


def partial_restore(directory: Path, outside: Path) -> None:
    """What tar leaves after a truncated archive: some files, one cut short, a link out."""
    (directory / "http-v2" / "a").mkdir(parents=True)
    (directory / "http-v2" / "a" / "body").write_bytes(b"x" * 1000)
    (directory / "wheels").mkdir()
    (directory / "wheels" / "pkg.whl").write_bytes(b"PK\x03\x04truncated")
    (directory / "escape").symlink_to(outside)


def test_a_leftover_where_nothing_was_is_removed_with_its_directory(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    directory = tmp_path / "cache"
    directory.mkdir()
    partial_restore(directory, outside)
    leftover = remove_leftover(directory, ABSENT)
    assert leftover.removed and leftover.problem is None
    assert leftover.files == 3
    assert not directory.exists()
    assert (outside / "keep.txt").read_text() == "mine"  # the link was not followed


def test_a_leftover_in_an_empty_directory_leaves_it_empty(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    directory.mkdir()
    partial_restore(directory, tmp_path)
    remove_leftover(directory, EMPTY)
    assert directory.is_dir()
    assert list(directory.iterdir()) == []


def test_a_symlink_left_where_the_directory_was_is_removed_not_its_target(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    directory = tmp_path / "cache"
    directory.symlink_to(target)
    leftover = remove_leftover(directory, ABSENT)
    assert leftover.removed
    assert not directory.is_symlink()
    assert (target / "keep.txt").read_text() == "mine"


def test_a_leftover_that_cannot_be_removed_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(root: Path, **_: object) -> None:
        raise PruneFailedError(f"cannot prune {root}: 'mnt' is on another file system")

    monkeypatch.setattr(removal, "open_cache_tree", refuse)
    directory = tmp_path / "cache"
    (directory / "mnt").mkdir(parents=True)
    leftover = remove_leftover(directory, ABSENT)
    assert not leftover.removed
    assert leftover.problem == f"cannot prune {directory}: 'mnt' is on another file system"
    assert (directory / "mnt").is_dir()
