"""The action's launcher (action/run.sh) as the runner starts it, in hostile environments."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import require_interpreter
from tests.test_github_mode import parse_outputs

REPO = Path(__file__).resolve().parent.parent
RUN_SH = REPO / "action" / "run.sh"
BASH = shutil.which("bash") or "/bin/bash"
KEYS_PY = REPO / "action" / "keys.py"


def run_action(
    tmp_path: Path, path: str, **extra: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    output = tmp_path / "github-output"
    output.touch()
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    (workspace / "requirements.txt").write_text("click\n")
    env = {
        "PATH": path,
        "HOME": str(tmp_path / "home"),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_REF": "refs/heads/main",
        **extra,
    }
    completed = subprocess.run(
        [BASH, str(RUN_SH), str(KEYS_PY)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=workspace,
    )
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
    completed, outputs = run_action(tmp_path, str(bin_dir), CPD_PYTHON=str(python27))
    assert completed.returncode == 0
    assert "::warning title=cache-python-deps::" in completed.stdout
    assert "Python 3.10 or newer" in completed.stdout
    assert outputs["cache-enabled"] == "false"


def test_no_python_new_enough_fails_when_asked(tmp_path: Path) -> None:
    python27 = require_interpreter("pyenv-2.7.18")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(python27)
    completed, _ = run_action(
        tmp_path, str(bin_dir), CPD_PYTHON=str(python27), CPD_FAIL_ON_ERROR="true"
    )
    assert completed.returncode == 1
    assert "::error title=cache-python-deps::" in completed.stdout


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
