"""Helpers for the prune tests: trees on disk, listings, and running prune as another user."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
# The user an unprivileged prune runs as when the tests run as root (root ignores modes).
NOBODY = 65534


def make_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Create files (``name/`` alone makes an empty directory) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return root


def listing(root: Path) -> set[str]:
    """Every entry below ``root`` (symlinks not followed), relative, ``/``-separated."""
    found = set()
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            found.add((Path(directory) / name).relative_to(root).as_posix())
    return found


def snapshot(root: Path) -> dict[str, tuple[int, bytes | str | None]]:
    """Mode and content (file bytes, link target) of every entry below ``root`` and of root."""
    state: dict[str, tuple[int, bytes | str | None]] = {}
    for name in [".", *sorted(listing(root))]:
        path = root / name
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            content: bytes | str | None = str(path.readlink())
        elif stat.S_ISREG(info.st_mode):
            content = path.read_bytes()
        else:
            content = None
        state[name] = (info.st_mode, content)
    return state


def is_root() -> bool:
    """Whether this process runs as root (mode bits do not stop it)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


@contextmanager
def shared_directory() -> Iterator[Path]:
    """A fresh directory that another user can reach (pytest's tmp_path is private to root)."""
    directory = Path(tempfile.mkdtemp(prefix="cpd-prune-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        for path in [directory, *directory.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(directory)


def give_to_unprivileged_user(*paths: Path) -> None:
    """Hand the trees to the user ``run_unprivileged`` runs as (a no-op unless root)."""
    if not is_root():
        return
    for top in paths:
        for path in [top, *top.rglob("*")]:
            os.chown(path, NOBODY, NOBODY, follow_symlinks=False)


def _unprivileged_python() -> str:
    """A Python that the unprivileged user can start (the test's own may live in root's home)."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"):
        check = (
            subprocess.run(
                [candidate, "-c", "import sys; assert sys.version_info >= (3, 10)"],
                user=NOBODY,
                group=NOBODY,
                extra_groups=[],
                capture_output=True,
                check=False,
            )
            if Path(candidate).exists()
            else None
        )
        if check is not None and check.returncode == 0:
            return candidate
    pytest.skip("no Python 3.10+ that an unprivileged user can start")


def run_unprivileged(
    code: str,
    *arguments: str,
    environ: Mapping[str, str] | None = None,
    extra_path: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with this repository's ``src`` importable, as a user that modes apply to.

    As root it runs as ``nobody`` with a system Python; otherwise as the current user.
    """
    prelude = f"import sys; sys.path[:0] = {[str(SRC), *extra_path]!r}\n"
    environ = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **(environ or {})}
    if is_root():
        return subprocess.run(
            [_unprivileged_python(), "-E", "-s", "-c", prelude + code, *arguments],
            env=environ,
            user=NOBODY,
            group=NOBODY,
            extra_groups=[],
            cwd="/",
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    return subprocess.run(
        [sys.executable, "-E", "-s", "-c", prelude + code, *arguments],
        env=environ,
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
