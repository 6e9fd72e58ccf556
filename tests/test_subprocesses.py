"""Child processes with bounds: deadline, output cap, and nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cache_python_deps.subprocesses import OutputTooLarge, RunTimedOut, run_bounded


def _alive(command_line: str) -> list[str]:
    found = subprocess.run(
        ["pgrep", "-f", command_line], capture_output=True, text=True, check=False
    )
    return found.stdout.split()


def _unique_sleep(seconds: int = 1000) -> str:
    # sleep sums its arguments: the tail makes the command line unique to this test run.
    return f"sleep {seconds} 0.000{os.getpid()}{time.monotonic_ns() % 10**9}"


def test_a_quick_command_gives_its_output_and_status() -> None:
    completed = run_bounded(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=10)
    assert (completed.returncode, completed.stdout, completed.stderr) == (3, b"out\n", b"err\n")


def test_a_timeout_kills_the_whole_process_group() -> None:
    sleeper = _unique_sleep()
    started = time.monotonic()
    with pytest.raises(RunTimedOut, match=r"timed out after 0\.5 s"):
        # The shell starts a grandchild that would outlive a plain kill of the shell.
        run_bounded(f"{sleeper} & {sleeper}", shell=True, timeout=0.5)
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    assert _alive(sleeper) == []


def test_output_beyond_the_cap_is_refused_without_reading_it_all() -> None:
    started = time.monotonic()
    with pytest.raises(OutputTooLarge, match="more than 1000 bytes"):
        run_bounded(["sh", "-c", "yes"], timeout=30, max_output=1000)
    assert time.monotonic() - started < 10


def test_a_grandchild_holding_the_pipe_open_does_not_hang_the_caller() -> None:
    sleeper = _unique_sleep()
    started = time.monotonic()
    completed = run_bounded(f"echo /a/path; {sleeper} &", shell=True, timeout=10)
    assert completed.stdout == b"/a/path\n"
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    assert _alive(sleeper) == []


def test_stdin_is_closed(tmp_path: Path) -> None:
    completed = run_bounded(
        [sys.executable, "-c", "import sys; print(repr(sys.stdin.read()))"], timeout=10
    )
    assert completed.stdout.strip() == b"''"
