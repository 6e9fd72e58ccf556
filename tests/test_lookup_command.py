"""cache-directory-lookup-command: which bash runs it, how, and what its output may be."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from cache_python_deps.cli import main
from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.lookup_command import (
    NO_BASH,
    decode_lookup_output,
    lookup_bash,
    parse_lookup_output,
    run_lookup_command,
)
from tests.support import TEST_BASH


class FakeWhich:
    """``shutil.which`` over a fixed set of files, recording the directories searched."""

    def __init__(self, *files: str, windows: bool = False) -> None:
        self.files = set(files)
        self.windows = windows
        self.searched: list[str] = []

    def __call__(self, name: str, path: str) -> str | None:
        separator, suffix = (";", ".exe") if self.windows else (":", "")
        for directory in path.split(separator):
            self.searched.append(directory)
            joined = f"{directory}\\{name}{suffix}" if self.windows else f"{directory}/{name}"
            if joined in self.files:
                return joined
        return None


def test_cpd_bash_wins() -> None:
    which = FakeWhich("/usr/bin/bash")
    environ = {"CPD_BASH": "/opt/bash-3.2/bin/bash", "PATH": "/usr/bin"}
    assert lookup_bash(environ, windows=False, which=which) == "/opt/bash-3.2/bin/bash"
    assert which.searched == []


def test_without_cpd_bash_the_bash_on_path() -> None:
    which = FakeWhich("/usr/local/bin/bash", "/bin/bash")
    environ = {"PATH": "/usr/local/bin:/bin"}
    assert lookup_bash(environ, windows=False, which=which) == "/usr/local/bin/bash"


def test_on_windows_wsls_bash_is_not_taken() -> None:
    which = FakeWhich(
        "C:\\Windows\\System32\\bash.exe",
        "C:\\Program Files\\Git\\bin\\bash.exe",
        windows=True,
    )
    environ = {
        "PATH": "C:\\WINDOWS\\system32;C:\\Windows;C:\\Program Files\\Git\\bin",
        "SYSTEMROOT": "C:\\Windows",
    }
    found = lookup_bash(environ, windows=True, which=which)
    assert found == "C:\\Program Files\\Git\\bin\\bash.exe"
    assert which.searched == ["C:\\Program Files\\Git\\bin"]


def test_no_bash_is_one_line_naming_cpd_bash(tmp_path: Path) -> None:
    environ = {"PATH": str(tmp_path)}
    assert lookup_bash(environ, windows=True, which=FakeWhich(windows=True)) is None
    with pytest.raises(CacheDirectoryError, match="needs bash") as raised:
        run_lookup_command("echo /x", environ, tmp_path, windows=False)
    assert "CPD_BASH" in str(raised.value)
    assert "\n" not in str(raised.value)
    assert "CPD_BASH" in NO_BASH


def test_the_command_runs_as_a_github_bash_step(tmp_path: Path) -> None:
    # -e and -o pipefail, as GitHub runs `shell: bash`: a failing stage fails the lookup.
    environ = {"PATH": os.environ["PATH"], "CPD_BASH": TEST_BASH}
    with pytest.raises(CacheDirectoryError, match="failed with exit code 3"):
        run_lookup_command("(exit 3) | cat; echo /x", environ, tmp_path)
    # No profile nor rc file (BASH_ENV is read, as by the step's own bash).
    for name in (".bashrc", ".bash_profile", ".profile"):
        (tmp_path / name).write_text("echo /from/a/startup/file\n")
    environ |= {"HOME": str(tmp_path)}
    assert run_lookup_command("echo /x", environ, tmp_path) == Path("/x")


def test_cpd_bash_is_the_bash_that_runs_it(tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    wrapper = tmp_path / "my-bash"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >"{seen}"\nexec "{TEST_BASH}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    environ = {"PATH": "/usr/bin:/bin", "CPD_BASH": str(wrapper)}
    assert run_lookup_command("echo /x/y", environ, tmp_path) == Path("/x/y")
    assert seen.read_text() == "--noprofile --norc -eo pipefail -c echo /x/y\n"


def test_a_missing_cpd_bash_is_one_line(tmp_path: Path) -> None:
    environ = {"CPD_BASH": str(tmp_path / "no-bash")}
    with pytest.raises(CacheDirectoryError, match=r"could not be run with .*no-bash"):
        run_lookup_command("echo /x", environ, tmp_path)


def test_relative_output_is_taken_from_the_project_directory(tmp_path: Path) -> None:
    environ = {"PATH": os.environ["PATH"], "CPD_BASH": TEST_BASH}
    assert run_lookup_command("echo cache", environ, tmp_path) == tmp_path / "cache"


@pytest.mark.parametrize(
    ("output", "problem"),
    [("", "printed nothing; expected one path"), ("/a\n/b\n", "printed 2 lines")],
)
def test_output_that_is_not_one_path(output: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_lookup_output(output, windows=False)


def test_windows_line_ends_are_not_part_of_the_path() -> None:
    assert parse_lookup_output("C:\\pip\\Cache\r\n", windows=True) == "C:\\pip\\Cache"
    assert parse_lookup_output("/pip/cache\r\n", windows=False) == "/pip/cache"


@pytest.mark.parametrize("msys", ["/c/Users/runneradmin/pip", "\\Users\\runneradmin\\pip"])
def test_a_path_without_a_drive_is_refused_on_windows(msys: str) -> None:
    with pytest.raises(ValueError, match="without a drive"):
        parse_lookup_output(msys, windows=True)
    assert parse_lookup_output(msys, windows=False) == msys


def test_output_in_the_ansi_code_page_is_decoded_as_such() -> None:
    # pip.exe writes a pipe in the ANSI code page unless told otherwise.
    printed = "C:\\Users\\José\\AppData\\Local\\pip\\Cache\r\n"
    assert decode_lookup_output(printed.encode("cp1252"), ansi_code_page="cp1252") == printed
    assert decode_lookup_output(printed.encode("utf-8"), ansi_code_page="cp1252") == printed


def test_output_not_in_utf8_keeps_its_bytes_elsewhere() -> None:
    text = decode_lookup_output(b"/tmp/caf\xe9\n", ansi_code_page=None)
    assert os.fsencode(text.strip()) == b"/tmp/caf\xe9"


def test_the_cli_runs_the_lookup_command_in_bash(tmp_path: Path) -> None:
    target = tmp_path / "from-bash"
    command = f"[[ -n x ]] && dirs=({target}); cat <(echo ${{dirs[0]}})"
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "--json",
            "--cache-directory-lookup-command",
            command,
            "--project-directory",
            str(tmp_path),
        ],
        env={"CPD_BASH": TEST_BASH},
    )
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
