"""The probe gives the same answer in-process as in a child process, on every real interpreter
that can run this package (3.10+), in a virtualenv too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cache_python_deps.interpreter import is_running_interpreter, probe_interpreter
from tests.support import require_interpreter

SRC = Path(__file__).resolve().parents[1] / "src"

# Runs inside the real interpreter: its facts both ways, as JSON.
_COMPARE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from cache_python_deps import interpreter
from cache_python_deps.reporting import json_ready
prefix = sys.prefix
in_process = interpreter.probe_interpreter(sys.executable)
assert sys.prefix == prefix, "the probe left sys.prefix changed"
assert interpreter.is_running_interpreter(interpreter.resolve_interpreter(sys.executable))
interpreter.is_running_interpreter = lambda executable: False
child = interpreter.probe_interpreter(sys.executable)
print(json.dumps([json_ready(in_process), json_ready(child)]))
"""

RUNS_THIS_PACKAGE = (
    "pyenv-3.10.13",
    "pyenv-3.11.7",
    "pyenv-3.12.1",
    "pyenv-3.13.0",
    "debian-3.11",
    "debian-3.11-debug",
)
# Not the i386 interpreter: it runs through a wrapper (its own loader), so its sys.executable
# cannot be started as a child of its own.


def _both_ways(
    python: Path, *flags: str, env: dict[str, str] | None = None
) -> tuple[dict[str, object], dict[str, object]]:
    completed = subprocess.run(
        [str(python), *flags, "-c", _COMPARE, str(SRC)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert completed.returncode == 0, completed.stderr
    in_process, child = json.loads(completed.stdout)
    return in_process, child


@pytest.mark.parametrize("name", RUNS_THIS_PACKAGE)
def test_in_process_probe_equals_child_probe(name: str) -> None:
    python = require_interpreter(name)
    in_process, child = _both_ways(python)
    assert in_process == child


@pytest.mark.parametrize("name", RUNS_THIS_PACKAGE)
def test_in_process_probe_equals_child_probe_when_isolated_like_the_action(name: str) -> None:
    # The action runs its code with -E -s -S, as the probe itself runs.
    python = require_interpreter(name)
    in_process, child = _both_ways(python, "-E", "-s", "-S")
    assert in_process == child


def test_in_process_probe_equals_child_probe_in_a_virtualenv(tmp_path: Path) -> None:
    base = require_interpreter("pyenv-3.12.1")
    venv = tmp_path / "venv"
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(venv)], check=True)
    in_process, child = _both_ways(venv / "bin" / "python")
    assert in_process == child
    assert in_process["prefix"] == str(venv)


@pytest.mark.parametrize("flags", [(), ("-E", "-s", "-S")], ids=["plain", "isolated"])
@pytest.mark.parametrize(
    "venv_options",
    [(), ("--system-site-packages", "--without-pip")],
    ids=["venv-with-pip", "system-site-venv"],
)
def test_in_process_probe_equals_child_probe_in_a_debian_virtualenv(
    tmp_path: Path, venv_options: tuple[str, ...], flags: tuple[str, ...]
) -> None:
    # Debian's site.getsitepackages lists a virtualenv's site-packages only when sys.prefix is
    # the virtualenv: under -S it is not, in-process (site ran) it is. The answers must agree.
    base = require_interpreter("debian-3.11")
    venv = tmp_path / "venv"
    subprocess.run([str(base), "-m", "venv", *venv_options, str(venv)], check=True)
    home = tmp_path / "home"
    user_pip = home / ".local" / "lib" / "python3.11" / "site-packages" / "pip"
    user_pip.mkdir(parents=True)
    (user_pip / "__init__.py").write_text('__version__ = "99.1"\n')
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    in_process, child = _both_ways(venv / "bin" / "python", *flags, env=env)
    assert in_process == child
    search = in_process["pip_search"]
    assert isinstance(search, list)
    first = search[0]
    assert first["group"] == "venv"
    assert first["directory"] == str(venv / "lib" / "python3.11" / "site-packages")
    if venv_options:  # no pip of its own: then the user site, then Debian's
        assert [entry["group"] for entry in search][-3:] == ["user", "base", "base"]
        assert search[-3]["version"] == "99.1"
        assert search[-1]["directory"] == "/usr/lib/python3/dist-packages"
    else:
        assert first["state"] == "found" and len(search) == 1


def test_only_the_same_path_counts_as_the_running_interpreter(tmp_path: Path) -> None:
    assert is_running_interpreter(Path(sys.executable))
    link = tmp_path / "python"
    link.symlink_to(sys.executable)
    # Another name for the same binary may be a virtualenv's launcher: probed in a child.
    assert not is_running_interpreter(link)


def test_the_running_interpreter_is_probed_without_a_child(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_child(*args: object, **kwargs: object) -> object:
        raise AssertionError("a child process was started for the running interpreter")

    monkeypatch.setattr("cache_python_deps.subprocesses.run_bounded", no_child)
    assert probe_interpreter(sys.executable).executable == sys.executable


WINDOWS_PYTHON = "C:\\hostedtoolcache\\windows\\Python\\3.12.1\\x64\\python.exe"


def test_where_case_is_ignored_python_exe_in_other_case_is_the_running_interpreter() -> None:
    # Windows: "python.EXE" finds python.exe; probing it in a child would only be slower.
    spelled_otherwise = Path(WINDOWS_PYTHON.replace("python.exe", "python.EXE"))
    assert is_running_interpreter(
        spelled_otherwise, running=WINDOWS_PYTHON, ignore_case=True, same_file=lambda a, b: True
    )


def test_where_case_is_ignored_two_files_in_a_case_sensitive_directory_are_not_one(
    tmp_path: Path,
) -> None:
    # A case-sensitive APFS volume or NTFS directory holds both: the file decides.
    (tmp_path / "python").write_bytes(b"one")
    (tmp_path / "PYTHON").write_bytes(b"two")
    assert not is_running_interpreter(
        tmp_path / "PYTHON", running=str(tmp_path / "python"), ignore_case=True
    )
    assert is_running_interpreter(tmp_path / "python", running=str(tmp_path / "python"))


def test_where_case_matters_python_exe_in_other_case_is_another_interpreter() -> None:
    def never(first: str, second: str) -> bool:
        raise AssertionError("no file needs comparing where case matters")

    spelled_otherwise = Path(WINDOWS_PYTHON.replace("python.exe", "python.EXE"))
    assert not is_running_interpreter(
        spelled_otherwise, running=WINDOWS_PYTHON, ignore_case=False, same_file=never
    )
