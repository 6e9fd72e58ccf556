"""Windows runner conventions, emulated on this OS: the launcher protocol with CRLF files, cp1252
pipes, and the lookup command in bash with Windows paths in its output.

What is emulated (tests/windows_conventions.py): a Python started with ``-E`` whose stdout is a
cp1252 pipe and whose text files end lines with ``\\r\\n``; Git Bash's ``read`` keeps a ``\\r``,
as Linux bash's does. What is not: the Windows API itself, Git Bash's MSYS2 runtime, cmd.exe,
and Windows' path handling at run time (selftest.yml runs the action on windows-latest).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from cache_python_deps.cache_path import PathFacts, path_problem
from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.lookup_command import run_lookup_command
from cache_python_deps.steps.runtime import done_file_content
from tests.support import TEST_BASH
from tests.test_action_launcher import fake_python
from tests.test_github_mode import parse_outputs

REPO = Path(__file__).resolve().parent.parent
RUN_SH = REPO / "action" / "run.sh"
LAUNCHER = REPO / "action" / "launch.py"
WRAPPER = Path(__file__).resolve().parent / "windows_conventions.py"
PYTHON = Path(sys.base_prefix) / "bin" / "python3"
# Not in cp1252 (nor in any ANSI code page of a Western Windows): a snowman and a Greek letter.
NOT_CP1252 = "snow-\u2603-\u03bb"


@dataclass(frozen=True)
class Step:
    returncode: int
    stdout: bytes
    outputs: dict[str, str]
    summary: bytes


def windows_python(directory: Path) -> Path:
    """A "Python" for run.sh that runs the step with Windows' I/O conventions."""
    directory.mkdir(exist_ok=True)
    script = directory / "windows-python"
    script.write_text(f'#!/bin/sh\nexec "{PYTHON}" -E -s -S "{WRAPPER}" "$@"\n')
    script.chmod(0o755)
    return script


def run_step(tmp_path: Path, step: str, **environ: str) -> Step:
    output = tmp_path / f"{step}-output"
    summary = tmp_path / f"{step}-summary"
    output.write_bytes(b"")
    summary.write_bytes(b"")
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    (workspace / "requirements.txt").write_text("click\n")
    env = {
        "PATH": os.pathsep.join([str(PYTHON.parent), "/usr/bin", "/bin"]),
        "HOME": str(tmp_path / "home"),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_REF": "refs/heads/main",
        "RUNNER_TEMP": str(tmp_path),
        **environ,
    }
    completed = subprocess.run(
        [TEST_BASH, str(RUN_SH), str(LAUNCHER), step],
        env=env,
        capture_output=True,
        check=False,
        cwd=workspace,
    )
    # The runner reads GITHUB_OUTPUT's lines ending in \n or \r\n.
    outputs = parse_outputs(output.read_bytes().decode("utf-8").replace("\r\n", "\n"))
    return Step(completed.returncode, completed.stdout, outputs, summary.read_bytes())


# The launcher protocol: what run.sh reads back from Python.


def test_the_done_file_is_written_as_bytes() -> None:
    assert done_file_content(0) == b"0\n"
    assert done_file_content(1) == b"1\n"


@pytest.mark.parametrize(("content", "status"), [("0\\r\\n", 0), ("1\\r\\n", 1), ("0\\n", 0)])
def test_run_sh_reads_a_done_file_with_a_carriage_return(
    tmp_path: Path, content: str, status: int
) -> None:
    # What Path.write_text writes on Windows; Git Bash's read keeps the \r, as Linux bash's does.
    python = fake_python(
        tmp_path / "bin",
        "python",
        f': >"$CPD_STARTED_FILE"; printf \'{content}\' >"$CPD_DONE_FILE"',
    )
    step = run_step(tmp_path, "keys", CPD_ACTION_PYTHON=str(python))
    assert step.returncode == status, step.stdout
    assert b"::warning" not in step.stdout  # it counted: no other Python was tried


def bash_given_to_the_lookup(tmp_path: Path, **environ: str) -> str:
    """What run.sh exports as CPD_BASH for the keys step with a lookup command."""
    report = tmp_path / "bash-seen"
    python = fake_python(
        tmp_path / "bin",
        "python",
        f': >"$CPD_STARTED_FILE"; printf %s "$CPD_BASH" >"{report}"; echo 0 >"$CPD_DONE_FILE"',
    )
    step = run_step(
        tmp_path,
        "keys",
        CPD_ACTION_PYTHON=str(python),
        CPD_CACHE_DIRECTORY_LOOKUP_COMMAND="echo /x",
        **environ,
    )
    assert step.returncode == 0
    return report.read_text()


def test_run_sh_gives_the_lookup_command_its_own_bash(tmp_path: Path) -> None:
    bash_path = subprocess.run(
        [TEST_BASH, "-c", 'printf %s "$BASH"'], capture_output=True, text=True, check=True
    ).stdout
    assert bash_given_to_the_lookup(tmp_path) == bash_path


def test_run_sh_gives_git_bash_as_a_windows_path(tmp_path: Path) -> None:
    # Git Bash: $BASH is /usr/bin/bash, which python.exe cannot start; cygpath -w converts it
    # (a native program's \r\n line end included, in case).
    tools = tmp_path / "msys"
    tools.mkdir()
    cygpath = tools / "cygpath"
    cygpath.write_text(
        "#!/bin/sh\n"
        '[ "$1" = -w ] || exit 2\n'
        "printf 'C:\\\\Program Files\\\\Git\\\\usr\\\\bin\\\\bash.exe\\r\\n'\n"
    )
    cygpath.chmod(0o755)
    path = os.pathsep.join([str(tools), "/usr/bin", "/bin"])
    given = bash_given_to_the_lookup(tmp_path, PATH=path)
    assert given == "C:\\Program Files\\Git\\usr\\bin\\bash.exe"


# The steps themselves, under Windows' I/O conventions (CRLF text files, cp1252 pipes).


def test_the_keys_step_succeeds_under_windows_conventions(tmp_path: Path) -> None:
    python = windows_python(tmp_path / "bin")
    step = run_step(tmp_path, "keys", CPD_ACTION_PYTHON=str(python), CPD_PYTHON=str(PYTHON))
    assert step.returncode == 0, step.stdout
    assert step.outputs["cache-enabled"] == "true", step.stdout


def test_names_outside_the_ansi_code_page_reach_log_outputs_and_summary(tmp_path: Path) -> None:
    python = windows_python(tmp_path / "bin")
    cache = tmp_path / f"pip-{NOT_CP1252}"
    keys = run_step(
        tmp_path,
        "keys",
        CPD_ACTION_PYTHON=str(python),
        CPD_PYTHON=str(PYTHON),
        PIP_CACHE_DIR=str(cache),
        GITHUB_REF=f"refs/heads/{NOT_CP1252}",
    )
    log = keys.stdout.decode("utf-8")  # the runner reads the log as UTF-8
    assert keys.returncode == 0, log
    assert "UnicodeEncodeError" not in log
    assert keys.outputs["cache-enabled"] == "true", log
    assert keys.outputs["cache-directory-path"] == str(cache)
    assert f"cache-directory-path: {cache}" in log
    assert keys.summary == b""  # the record step writes the job summary's section

    # The record step after a miss, with this job's record from the keys step.
    record = run_step(
        tmp_path,
        "record",
        CPD_ACTION_PYTHON=str(python),
        CPD_PYTHON=str(PYTHON),
        CPD_CACHE_DIRECTORY_PATH=keys.outputs["cache-directory-path"],
        CPD_RECORD=keys.outputs["record"],
        CPD_SUMMARY_FACTS=keys.outputs["summary-facts"],
        CPD_SAVE="true",
        CPD_CACHE_HIT="false",
        GITHUB_REF=f"refs/heads/{NOT_CP1252}",
    )
    log = record.stdout.decode("utf-8")
    assert record.returncode == 0, log
    assert "UnicodeEncodeError" not in log
    assert "::warning" not in log, log
    assert record.outputs["cache-hit"] == "false"
    summary = record.summary.decode("utf-8")
    assert "**Partial restore**" in summary, summary
    assert f"| cache directory | `{cache}` | `PIP_CACHE_DIR` |" in summary
    assert b"\r\n" not in record.summary


# The lookup command: bash, as the step's own shell, with Windows paths in its output.


def bash_only(path: str) -> str:
    """A command printing ``path`` (with a Windows line end) through bash-only syntax: ``[[ ]]``,
    an array and process substitution, each a syntax error under dash."""
    return (
        f"[[ -n ${{HOME:-}} ]] && paths=({shlex.quote(path)} other); "
        "while read -r line; do printf '%s\\r\\n' \"$line\"; "
        "done < <(printf '%s\\n' \"${paths[0]}\")"
    )


WINDOWS_PIP_CACHE = "C:\\Users\\runneradmin\\AppData\\Local\\pip\\Cache"


def test_the_bash_only_command_really_needs_bash() -> None:
    dash = subprocess.run(["sh", "-c", bash_only("/x")], capture_output=True, check=False)
    assert dash.returncode != 0 or dash.stdout != b"/x\r\n"


def test_the_keys_step_runs_the_lookup_command_in_the_steps_bash(tmp_path: Path) -> None:
    cache = tmp_path / f"lookup-{NOT_CP1252}"
    step = run_step(
        tmp_path,
        "keys",
        CPD_ACTION_PYTHON=str(windows_python(tmp_path / "bin")),
        CPD_PYTHON=str(PYTHON),
        CPD_CACHE_DIRECTORY_LOOKUP_COMMAND=bash_only(str(cache)),
    )
    assert step.returncode == 0, step.stdout
    assert step.outputs["cache-enabled"] == "true", step.stdout.decode("utf-8")
    assert step.outputs["cache-directory-path"] == str(cache)


def test_the_lookup_command_runs_in_bash_and_keeps_a_windows_path(tmp_path: Path) -> None:
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "CPD_BASH": TEST_BASH}
    found = run_lookup_command(bash_only(WINDOWS_PIP_CACHE), environ, tmp_path, windows=True)
    assert str(found) == WINDOWS_PIP_CACHE
    home = PathFacts(
        os_family="windows", homes=("C:\\Users\\runneradmin",), workspace="D:\\a\\p\\p"
    )
    assert path_problem(str(found), home) is None


@pytest.mark.parametrize(
    "printed",
    ["C:/Users/runneradmin/AppData/Local/pip/Cache", "\\\\server\\share\\pip", "D:\\a\\cache"],
)
def test_windows_path_forms_pass_through_the_lookup_command(tmp_path: Path, printed: str) -> None:
    environ = {"PATH": os.environ["PATH"], "CPD_BASH": TEST_BASH}
    found = run_lookup_command(
        f"printf '%s\\r\\n' {shlex.quote(printed)}", environ, tmp_path, windows=True
    )
    assert str(found) == printed


def test_an_msys_path_from_the_lookup_command_is_refused_on_windows(tmp_path: Path) -> None:
    # echo "$HOME" in Git Bash prints /c/Users/runneradmin, which Windows reads as \c\Users\...
    # on the current drive.
    environ = {"PATH": os.environ["PATH"], "CPD_BASH": TEST_BASH}
    with pytest.raises(CacheDirectoryError, match=r"without a drive.*cygpath -w"):
        run_lookup_command("echo /c/Users/runneradmin/pip", environ, tmp_path, windows=True)


# selftest.yml's runners jobs: their lookup command and their checks, here.

SELFTEST = REPO / ".github" / "workflows" / "selftest.yml"
CHECKER = REPO / "scripts" / "check_selftest_outputs.py"


def _selftest_environment() -> dict[str, str]:
    workflow = yaml.safe_load(SELFTEST.read_text())
    job = workflow["jobs"]["verify-runners"]
    return {
        "SELFTEST_LOOKUP_COMMAND": workflow["env"]["SELFTEST_LOOKUP_COMMAND"],
        "SELFTEST_CACHE_NAME": job["env"]["SELFTEST_CACHE_NAME"],
    }


def _check(*arguments: str, **environ: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECKER), *arguments],
        env={**os.environ, **environ},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_selftest_checks_pass_on_what_the_steps_write(tmp_path: Path) -> None:
    selftest = _selftest_environment()
    assert selftest["SELFTEST_CACHE_NAME"].encode("cp1252", "replace") != (
        selftest["SELFTEST_CACHE_NAME"].encode("utf-8")
    )
    python = str(windows_python(tmp_path / "bin"))
    files = tmp_path / "files"
    files.mkdir()
    common = {"CPD_ACTION_PYTHON": python, "CPD_PYTHON": str(PYTHON), **selftest}
    keys = run_step(
        tmp_path,
        "keys",
        **common,
        CPD_CACHE_DIRECTORY_LOOKUP_COMMAND=selftest["SELFTEST_LOOKUP_COMMAND"],
    )
    directory = Path(keys.outputs["cache-directory-path"])
    assert directory == tmp_path / selftest["SELFTEST_CACHE_NAME"]
    directory.mkdir()
    (directory / "restored").write_text("a file the restore brought\n")
    record = run_step(
        tmp_path,
        "record",
        **common,
        CPD_RECORD=keys.outputs["record"],
        CPD_SUMMARY_FACTS=keys.outputs["summary-facts"],
        CPD_CACHE_DIRECTORY_PATH=str(directory),
        CPD_CACHE_HIT="true",
        CPD_SAVE_CACHE="false",
    )
    for name, step in (("keys", keys), ("record", record)):
        assert step.returncode == 0
        (files / f"{name}-log").write_bytes(step.stdout)
        (files / f"{name}-summary").write_bytes(step.summary)
        (files / f"{name}-output").write_bytes((tmp_path / f"{name}-output").read_bytes())
    checked = _check("--files", str(files), **selftest)
    assert checked.returncode == 0, checked.stdout
    assert "::error" not in checked.stdout
    value = _check("--output", str(files / "keys-output"), "cache-directory-path")
    assert value.stdout == str(directory)

    outputs = {**keys.outputs, **record.outputs}
    action = _check(OUTCOME="success", OUTPUTS=json.dumps(outputs), EXPECT_HIT="true", **selftest)
    assert action.returncode == 0, action.stdout
    assert action.stdout.isascii()

    # And they fail on damage: a summary in the ANSI code page, a failed step.
    damaged = selftest["SELFTEST_CACHE_NAME"].encode("utf-8").decode("cp1252", "replace")
    (files / "record-summary").write_text(f"### cache-python-deps\n\n`{damaged}`\n")
    assert _check("--files", str(files), **selftest).returncode == 1
    failed = _check(OUTCOME="failure", OUTPUTS=json.dumps(outputs), EXPECT_HIT="true", **selftest)
    assert failed.returncode == 1
    assert "::error::not true: every step of the action exited 0" in failed.stdout
