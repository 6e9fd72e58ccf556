"""Test support: recorded probe results and the real interpreters on this machine."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cache_python_deps.identity import derive_identity
from cache_python_deps.interpreter import InterpreterInfo
from cache_python_deps.keys import CacheKeys, CacheKind, compose_keys

FIXTURES = Path(__file__).parent / "fixtures" / "probes"
# The bash that runs action/run.sh (and through it the lookup command) in the launcher tests:
# CPD_TEST_BASH, e.g. a locally built bash 3.2 as on macOS runners (see CONTRIBUTING.md), or the
# bash on PATH.
TEST_BASH = os.environ.get("CPD_TEST_BASH") or shutil.which("bash") or "/bin/bash"
# Interpreters scripts/dev-setup.sh unpacks inside the project (Debian's i386 python3.11).
PROJECT_INTERPRETERS = Path(__file__).parent.parent / ".interpreters"


def recorded_keys(
    name: str, *, kind: CacheKind = CacheKind.TOOL, dependency_hash: str | None = "abc123"
) -> CacheKeys:
    """The keys of pip's cache (layout 2) for a recorded interpreter."""
    info, _ = load_recorded_probe(name)
    return compose_keys(
        derive_identity(info),
        tool_name="pip",
        tool_layout_version="2",
        kind=kind,
        dependency_hash=dependency_hash,
    )


def load_recorded_probe(name: str) -> tuple[InterpreterInfo, dict[str, Any]]:
    """A recorded probe result and the expectations stored beside it."""
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    expected = data.pop("_expected")
    return InterpreterInfo.from_probe(data), expected


RECORDED_PROBES = sorted(path.stem for path in FIXTURES.glob("*.json"))


def _pyenv_root() -> Path:
    found = shutil.which("pyenv")
    if found:
        completed = subprocess.run([found, "root"], capture_output=True, text=True, check=False)
        if completed.returncode == 0 and completed.stdout.strip():
            return Path(completed.stdout.strip())
    return Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))


PYENV_VERSIONS = (
    "2.7.18",
    "3.6.15",
    "3.7.16",
    "3.8.18",
    "3.9.18",
    "3.10.13",
    "3.11.7",
    "3.12.1",
    "3.13.0",
)


@dataclass(frozen=True)
class RealInterpreter:
    """An interpreter this machine is expected to have (see DEVELOPERS.md)."""

    name: str
    path: Path


def real_interpreters() -> list[RealInterpreter]:
    root = _pyenv_root()
    found = [
        RealInterpreter(f"pyenv-{v}", root / "versions" / v / "bin" / "python")
        for v in PYENV_VERSIONS
    ]
    found += [
        RealInterpreter("debian-3.11", Path("/usr/bin/python3.11")),
        RealInterpreter("debian-3.11-debug", Path("/usr/bin/python3.11d")),
        RealInterpreter("debian-pypy3", Path("/usr/bin/pypy3")),
        # 32-bit x86 on this x86_64 kernel, run plainly (uname -m: x86_64) and under
        # `setarch linux32` (uname -m: i686) by the wrappers dev-setup.sh writes.
        RealInterpreter("debian-3.11-i386", PROJECT_INTERPRETERS / "i386" / "python3.11"),
        RealInterpreter(
            "debian-3.11-i386-linux32", PROJECT_INTERPRETERS / "i386" / "python3.11-linux32"
        ),
    ]
    return found


REAL_INTERPRETERS = {interpreter.name: interpreter for interpreter in real_interpreters()}


def require_interpreter(name: str) -> Path:
    """The path of a real interpreter; a missing one fails the test (CI installs them all).

    Set CPD_ALLOW_MISSING_INTERPRETERS=1 on a machine that lacks some to skip instead.
    """
    path = REAL_INTERPRETERS[name].path
    if not path.exists():
        message = f"real interpreter {name} is missing at {path}"
        if os.environ.get("CPD_ALLOW_MISSING_INTERPRETERS") == "1":
            pytest.skip(message)
        pytest.fail(message + " (.ci/run installs it; see README)")
    return path


@contextlib.contextmanager
def fails_instead_of_blocking(seconds: int = 5) -> Iterator[None]:
    """Raise AssertionError if the body blocks (reading a FIFO or a device) for ``seconds``."""

    def expired(signum: int, frame: object) -> None:
        raise AssertionError(f"blocked for {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_as_user(
    uid: int, command: list[str], *, cwd: Path | str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as ``uid`` (its group too, no other groups); this process must be root."""
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        user=uid,
        group=uid,
        extra_groups=[],
        timeout=timeout,
    )
