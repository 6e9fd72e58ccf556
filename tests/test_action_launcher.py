"""The action's launcher (action/run.sh) as the runner starts it, in hostile environments."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cache_python_deps.steps.runtime import FALSE_WORDS, TRUE_WORDS
from tests.support import TEST_BASH, require_interpreter
from tests.test_github_mode import parse_outputs

REPO = Path(__file__).resolve().parent.parent
RUN_SH = REPO / "action" / "run.sh"
BASH = TEST_BASH
LAUNCHER = REPO / "action" / "launch.py"


def run_action(
    tmp_path: Path, path: str, **extra: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    output = tmp_path / "github-output"
    output.touch()
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    (workspace / "requirements.txt").write_text("click\n")
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    env = {
        "RUNNER_TEMP": str(runner_temp),
        "PATH": path,
        "HOME": str(tmp_path / "home"),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_REF": "refs/heads/main",
        **extra,
    }
    completed = subprocess.run(
        [BASH, str(RUN_SH), str(LAUNCHER), "keys"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=workspace,
    )
    # run.sh's marks (started, done) go with it, whatever the candidates did.
    assert list(runner_temp.iterdir()) == []
    return completed, parse_outputs(output.read_text())


def python_dirs(*interpreters: Path) -> str:
    """A PATH holding only these interpreters' directories and the basic system tools."""
    return os.pathsep.join([*(str(i.parent) for i in interpreters), "/usr/bin", "/bin"])


def test_user_settings_cannot_break_the_action(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    # A PYTHONPATH entry that would break any import of json, os.path or the stdlib if honoured.
    for name in ("json", "dataclasses", "pathlib", "hashlib"):
        (shadow / f"{name}.py").write_text("raise SystemExit('shadowed stdlib module imported')\n")
    startup = tmp_path / "startup.py"
    startup.write_text("raise SystemExit('PYTHONSTARTUP ran')\n")
    python = Path(sys.base_prefix) / "bin" / "python3"
    completed, outputs = run_action(
        tmp_path,
        python_dirs(python),
        CPD_PYTHON=str(python),
        PYTHONPATH=str(shadow),
        PYTHONSTARTUP=str(startup),
        PYTHONHOME="/nonexistent",
        PIP_REQUIRE_VIRTUALENV="1",
        PIP_USER="1",
        PIP_TARGET=str(tmp_path / "target"),
        PIP_CACHE_DIR=str(tmp_path / "pip-cache"),
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert outputs["cache-enabled"] == "true"
    assert outputs["cache-directory-path"] == str(tmp_path / "pip-cache")
    assert not (tmp_path / "target").exists()


def test_a_too_old_keyed_interpreter_is_keyed_by_a_newer_python(tmp_path: Path) -> None:
    python27 = require_interpreter("pyenv-2.7.18")
    python3 = Path(sys.base_prefix) / "bin" / "python3"
    completed, outputs = run_action(tmp_path, python_dirs(python3), CPD_PYTHON=str(python27))
    assert completed.returncode == 0, completed.stderr
    assert outputs["abi-tag"] == "cp27mu"
    assert outputs["cache-enabled"] == "true"


def test_no_python_new_enough_skips_caching_with_a_warning(tmp_path: Path) -> None:
    python27 = require_interpreter("pyenv-2.7.18")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("python", "python3"):
        (bin_dir / name).symlink_to(python27)
    path = f"{bin_dir}:{basic_tools(tmp_path / 'tools')}"
    completed, outputs = run_action(tmp_path, path, CPD_PYTHON=str(python27))
    assert completed.returncode == 0
    assert "::warning title=cache-python-deps::" in completed.stdout
    assert "Python 3.10 or newer" in completed.stdout
    assert outputs["cache-enabled"] == "false"


def test_no_python_new_enough_fails_when_asked(tmp_path: Path) -> None:
    completed, _ = run_action(
        tmp_path, _only_python27(tmp_path), CPD_PYTHON="python", CPD_FAIL_ON_ERROR="true"
    )
    assert completed.returncode == 1
    assert "::error title=cache-python-deps::" in completed.stdout


def _only_python27(tmp_path: Path) -> str:
    """A PATH whose only Python is 2.7: too old, so run.sh itself decides the step's status."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(require_interpreter("pyenv-2.7.18"))
    return f"{bin_dir}:{basic_tools(tmp_path / 'tools')}"


def _spellings(words: tuple[str, ...]) -> list[str]:
    """Each word as written, upper-cased, capitalised and padded, as a user may type it."""
    return sorted(
        {form for word in words for form in (word, word.upper(), word.title(), f" {word}\n")}
    )


@pytest.mark.parametrize("word", _spellings(TRUE_WORDS))
def test_without_a_python_fail_on_error_takes_every_true_word_the_steps_take(
    tmp_path: Path, word: str
) -> None:
    """run.sh decides fail-on-error itself when no Python runs: with the steps' own words."""
    completed, _ = run_action(
        tmp_path, _only_python27(tmp_path), CPD_PYTHON="python", CPD_FAIL_ON_ERROR=word
    )
    assert completed.returncode == 1, completed.stdout
    assert "::error title=cache-python-deps::" in completed.stdout


@pytest.mark.parametrize("word", _spellings(FALSE_WORDS))
def test_without_a_python_a_false_word_only_warns(tmp_path: Path, word: str) -> None:
    completed, _ = run_action(
        tmp_path, _only_python27(tmp_path), CPD_PYTHON="python", CPD_FAIL_ON_ERROR=word
    )
    assert completed.returncode == 0, completed.stdout
    assert "::warning title=cache-python-deps::" in completed.stdout


@pytest.mark.parametrize("hostile", ["a,b\nc", "$(touch pwned)", "x" * 10_000])
def test_hostile_dependency_hash_gives_a_valid_key(tmp_path: Path, hostile: str) -> None:
    python = Path(sys.base_prefix) / "bin" / "python3"
    completed, outputs = run_action(
        tmp_path, python_dirs(python), CPD_PYTHON=str(python), CPD_DEPENDENCY_HASH=hostile
    )
    assert completed.returncode == 0, completed.stderr
    key = outputs["cache-key-for-dependencies"]
    assert "," not in key and "\n" not in key and len(key) <= 512
    assert key.startswith(outputs["restore-keys"])
    assert not (tmp_path / "workspace" / "pwned").exists()


def fake_python(bin_dir: Path, name: str, body: str) -> Path:
    """An executable that stands where a Python should be, doing ``body`` (a shell script)."""
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def _alive(marker: str) -> list[str]:
    completed = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True, check=False)
    return completed.stdout.split()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        # pyenv's shim for a version that is not installed
        ("echo 'pyenv: version `3.99.0` is not installed' >&2; exit 127", "cannot run (exit 127)"),
        ("exit 0", "exited without running the action's code"),
        ("kill -SEGV $$", "failed with exit"),
    ],
)
def test_a_broken_keyed_interpreter_falls_through_to_another_python(
    tmp_path: Path, body: str, reason: str
) -> None:
    broken = fake_python(tmp_path / "broken", "python", body)
    python3 = Path(sys.base_prefix) / "bin" / "python3"
    completed, outputs = run_action(tmp_path, python_dirs(python3), CPD_PYTHON=str(broken))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    # Another Python ran the action's code, which could not key the broken one: one warning.
    assert outputs["cache-enabled"] == "false"
    warnings = [line for line in completed.stdout.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1, completed.stdout
    assert "Python interpreter" in warnings[0]


def _sleeper(tmp_path: Path) -> str:
    """A command line no other process has: ``sleep 1000 0.000<unique digits>``."""
    return f"sleep 1000 0.000{os.getpid()}{abs(hash(tmp_path)) % 10**9}"


def test_a_hanging_interpreter_is_killed_and_the_next_python_runs(tmp_path: Path) -> None:
    marker = _sleeper(tmp_path)
    # It hangs in a child of its own, which the time limits must end too.
    hanging = fake_python(tmp_path / "hang", "python", f"{marker} & wait")
    python3 = Path(sys.base_prefix) / "bin" / "python3"
    completed, outputs = run_action(
        tmp_path,
        python_dirs(python3),
        CPD_PYTHON=str(hanging),
        CPD_START_SECONDS="1",
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert outputs["cache-enabled"] == "false"
    assert "timed out after" in outputs["skip-reason"]
    # Neither the launcher's attempt nor the probe's leaves the hanging process behind.
    assert _alive(marker) == []


def basic_tools(directory: Path) -> Path:
    """A directory with the few programs run.sh and the fake Pythons use, and no Python."""
    directory.mkdir()
    for tool in ("sh", "sleep", "rm"):
        found = shutil.which(tool)
        assert found is not None
        (directory / tool).symlink_to(found)
    return directory


def test_when_no_python_works_caching_is_skipped_with_one_warning(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    fake_python(bin_dir, "python", "exit 127")
    fake_python(bin_dir, "python3", "exit 0")
    marker = _sleeper(tmp_path)
    fake_python(bin_dir, "python3.12", f"{marker} & wait")
    path = f"{bin_dir}:{basic_tools(tmp_path / 'tools')}"
    completed, outputs = run_action(tmp_path, path, CPD_PYTHON="python", CPD_START_SECONDS="1")
    assert completed.returncode == 0
    warnings = [line for line in completed.stdout.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1
    assert "python3.12 (killed after a time limit)" in warnings[0]
    assert outputs["cache-enabled"] == "false"
    assert _alive(marker) == []
    failing, _ = run_action(
        tmp_path,
        path,
        CPD_PYTHON="python",
        CPD_START_SECONDS="1",
        CPD_FAIL_ON_ERROR="true",
    )
    assert failing.returncode == 1
    assert failing.stdout.count("::error title=cache-python-deps::") == 1


def test_the_warning_escapes_a_hostile_python_path(tmp_path: Path) -> None:
    hostile = fake_python(tmp_path / "bin", "py\n::error::injected %0A", "exit 127")
    path = str(basic_tools(tmp_path / "tools"))
    completed, _ = run_action(tmp_path, path, CPD_PYTHON=str(hostile))
    lines = completed.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("::warning title=cache-python-deps::")
    assert "%0A::error::injected %250A" in lines[0]


def test_a_deliberate_failure_is_not_retried_with_another_python(tmp_path: Path) -> None:
    # fail-on-error makes the action's own code exit 1: that is the step's answer, final.
    python3 = Path(sys.base_prefix) / "bin" / "python3"
    completed, _ = run_action(
        tmp_path,
        python_dirs(python3),
        CPD_PYTHON="/no/such/python",
        CPD_FAIL_ON_ERROR="true",
    )
    assert completed.returncode == 1
    assert completed.stdout.count("::error title=cache-python-deps::") == 1


def test_the_launcher_refuses_an_unknown_step_in_one_line(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-E", "-s", "-S", str(LAUNCHER), "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr == "usage: launch.py keys|record|prune (not 'nope')\n"


def test_a_python_that_finishes_at_once_is_never_missed(tmp_path: Path) -> None:
    # A watchdog stopped before it got going ran the EXIT trap it inherited from run.sh and
    # removed the done file, so that a finished step was taken for a broken Python (and the
    # next one ran the step again): a race lost a few times in a hundred runs here.
    bin_dir = tmp_path / "bin"
    done = fake_python(bin_dir, "python", ': >"$CPD_STARTED_FILE"; echo 1 >"$CPD_DONE_FILE"')
    other = fake_python(bin_dir, "python3", 'echo "the next Python ran"')
    env = {"PATH": "/usr/bin:/bin", "CPD_ACTION_PYTHON": str(done), "CPD_PYTHON": str(other)}
    env["RUNNER_TEMP"] = str(tmp_path)
    missed = 0
    for _ in range(100):
        completed = subprocess.run(
            [BASH, str(RUN_SH), str(LAUNCHER), "keys"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        missed += completed.returncode != 1 or completed.stdout != ""
    assert missed == 0
