"""Finding the directory to cache: the project directory must exist, the home may be missing.

Run through the real command line (``python -m cache_python_deps``): errors a user can cause are
one line on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cache_python_deps.engine import ProjectDirectoryError, Request, locate
from cache_python_deps.keys import CacheKind
from tests.support import run_as_user

NO_ENTRY_UID = 54321  # a uid with no entry in the password database
SOURCE = Path(__file__).resolve().parent.parent / "src"


def _cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cache_python_deps", "--python", sys.executable, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def _one_line_error(completed: subprocess.CompletedProcess[str]) -> str:
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert completed.stdout == ""
    lines = completed.stderr.splitlines()
    assert len(lines) == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    return lines[0]


def test_missing_project_directory_is_a_one_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    line = _one_line_error(_cli("--project-directory", str(missing), "--print-key", cwd=tmp_path))
    assert line == f"cache-python-deps: error: the project directory {missing} does not exist"


def test_project_directory_that_is_a_file_is_refused(tmp_path: Path) -> None:
    # The command line refuses it as a usage error first (click); the action comes here.
    a_file = tmp_path / "requirements.txt"
    a_file.write_text("")
    with pytest.raises(ProjectDirectoryError, match="is not a directory"):
        locate(_request(tmp_path, project_directory=a_file))


def test_existing_project_directory_gives_a_key(tmp_path: Path) -> None:
    completed = _cli("--project-directory", str(tmp_path), "--print-key", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("cpd-")


def _request(tmp_path: Path, project_directory: Path) -> Request:
    return Request(
        python=str(tmp_path / "no-such-python"),
        tool="pip",
        kind=CacheKind.TOOL,
        dependency_hash=None,
        lookup_command=None,
        project_directory=project_directory,
        environ={},
        home=tmp_path,
    )


def test_the_project_directory_is_checked_before_the_interpreter(tmp_path: Path) -> None:
    with pytest.raises(ProjectDirectoryError, match="does not exist"):
        locate(_request(tmp_path, project_directory=tmp_path / "missing"))


def test_no_home_at_all_is_a_one_line_error_not_a_traceback(tmp_path: Path) -> None:
    """HOME unset for a user missing from the password database: ``Path.home()`` raises."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("only root can run a process as a user missing from the password database")
    with pytest.raises(KeyError):
        pwd.getpwuid(NO_ENTRY_UID)
    # A Python that user may start (this test's may live in root's private home), with click.
    python = shutil.which("python3", path="/usr/bin")
    click_location = Path(__import__("click").__file__ or "").parent.parent
    if python is None:
        pytest.skip("no system python3 another user may start")
    script = (
        f"import sys; sys.path[:0] = [{str(SOURCE)!r}, {str(click_location)!r}]\n"
        "from cache_python_deps.cli import main\n"
        "main()\n"
    )
    completed = run_as_user(
        NO_ENTRY_UID,
        [python, "-I", "-c", script, "--python", python, "--print-key"],
        cwd="/",
        env={"PATH": "/usr/bin:/bin"},
    )
    line = _one_line_error(completed)
    assert "no home directory" in line and "set HOME" in line
