"""Child processes with bounds: deadline, output cap, and nothing left behind.

The POSIX rules run for real. Windows' rules (a Job object, or ``taskkill /T`` while the child
lives) run here too, with Windows' operations played by POSIX process groups (``FakeWindows``):
what stays untested on this machine is only the Windows API calls themselves (windows_job.py's
``create_job_holding`` and ``end_job``, and ``taskkill``), which selftest.yml's Windows jobs run.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cache_python_deps import windows_job
from cache_python_deps.subprocesses import (
    Containment,
    OutputTooLarge,
    RunTimedOut,
    WindowsOperations,
    run_bounded,
    this_os_containment,
    windows_containment,
)

# Far longer than any bound below: a test that waits for it has failed.
LONG_SLEEP = 60


def _alive(command_line: str) -> list[str]:
    found = subprocess.run(
        ["pgrep", "-f", command_line], capture_output=True, text=True, check=False
    )
    return found.stdout.split()


def _unique_sleep(seconds: int = 1000) -> str:
    # sleep sums its arguments: the tail makes the command line unique to this test run.
    return f"sleep {seconds} 0.000{os.getpid()}{time.monotonic_ns() % 10**9}"


@contextlib.contextmanager
def _killed_after(command_line: str) -> Iterator[None]:
    """Kill what a test deliberately leaves running, however the test ends."""
    try:
        yield
    finally:
        for pid in _alive(command_line):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


def _state(pid: int) -> str:
    """A process's state letter from /proc ('Z' when it has exited and waits to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "gone"
    return stat.rsplit(")", 1)[1].split()[0]


def test_a_quick_command_gives_its_output_and_status() -> None:
    completed = run_bounded(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=10)
    assert (completed.returncode, completed.stdout, completed.stderr) == (3, b"out\n", b"err\n")


def test_a_timeout_kills_the_whole_process_group() -> None:
    sleeper = _unique_sleep()
    started = time.monotonic()
    with pytest.raises(RunTimedOut, match=r"timed out after 0\.5 s"):
        # The shell starts a grandchild that would outlive a plain kill of the shell.
        run_bounded(["sh", "-c", f"{sleeper} & {sleeper}"], timeout=0.5)
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
    completed = run_bounded(["sh", "-c", f"echo /a/path; {sleeper} &"], timeout=10)
    assert completed.stdout == b"/a/path\n"
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    assert _alive(sleeper) == []


def test_a_grandchild_out_of_reach_holding_the_pipe_does_not_block_the_caller() -> None:
    # setsid takes the grandchild out of the child's session: no kill reaches it, as on Windows
    # no taskkill reaches the child of an exited process. It holds the output pipe for a minute;
    # the caller must not wait for it (before, closing the pipe blocked until it exited).
    sleeper = _unique_sleep(LONG_SLEEP)
    with _killed_after(sleeper):
        started = time.monotonic()
        completed = run_bounded(["sh", "-c", f"echo /a/path; setsid {sleeper} &"], timeout=30)
        elapsed = time.monotonic() - started
        assert completed.stdout == b"/a/path\n"
        assert elapsed < 15, f"waited {elapsed:.1f} s for a pipe a grandchild held"
        assert _alive(sleeper), "the stand-in grandchild should still be running"


def test_stdin_is_closed() -> None:
    completed = run_bounded(
        [sys.executable, "-c", "import sys; print(repr(sys.stdin.read()))"], timeout=10
    )
    assert completed.stdout.strip() == b"''"


def test_this_os_uses_the_posix_rules() -> None:
    assert dict(this_os_containment().popen_options) == {"start_new_session": True}


class FakeWindows:
    """Windows' tree operations played by POSIX process groups, recording every call.

    The child leads a process group of its own. A job is that group: it holds everything the
    child starts and can be ended after the child has exited, as a Job object. ``taskkill /T``
    kills the group too, but Windows finds a tree only through a living parent, so each call
    records the child's state for the test to check it was still running.
    """

    def __init__(self, *, jobs: bool) -> None:
        self.jobs = jobs
        self.calls: list[tuple[str, str]] = []

    def create_job(self, pid: int) -> int | None:
        self.calls.append(("create_job", _state(pid)))
        return pid if self.jobs else None

    def end_job(self, job: int) -> None:
        self.calls.append(("end_job", _state(job)))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(job, signal.SIGKILL)

    def kill_tree(self, pid: int) -> None:
        self.calls.append(("kill_tree", _state(pid)))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)

    def containment(self) -> Containment:
        operations = WindowsOperations(self.create_job, self.end_job, self.kill_tree)
        return windows_containment(operations, popen_options={"start_new_session": True})

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


def test_windows_a_clean_exit_runs_no_taskkill() -> None:
    windows = FakeWindows(jobs=False)
    completed = run_bounded(
        ["sh", "-c", "echo done"], timeout=10, containment=windows.containment()
    )
    assert completed.stdout == b"done\n"
    assert windows.names() == ["create_job"]


def test_windows_without_a_job_a_timeout_kills_the_tree_while_the_child_lives() -> None:
    windows = FakeWindows(jobs=False)
    sleeper = _unique_sleep()
    with _killed_after(sleeper), pytest.raises(RunTimedOut):
        run_bounded(
            ["sh", "-c", f"{sleeper} & wait"], timeout=0.5, containment=windows.containment()
        )
    kills = [state for name, state in windows.calls if name == "kill_tree"]
    assert len(kills) == 1
    assert kills[0] not in {"Z", "gone"}, "taskkill /T after the child exited finds no tree"
    time.sleep(0.2)
    assert _alive(sleeper) == []


def test_windows_without_a_job_an_overflow_kills_the_tree_while_the_child_lives() -> None:
    windows = FakeWindows(jobs=False)
    with pytest.raises(OutputTooLarge):
        run_bounded(
            ["sh", "-c", "yes"], timeout=30, max_output=1000, containment=windows.containment()
        )
    kills = [state for name, state in windows.calls if name == "kill_tree"]
    assert len(kills) == 1
    assert kills[0] not in {"Z", "gone"}


def test_windows_a_job_ends_the_grandchildren_of_a_child_that_exited() -> None:
    windows = FakeWindows(jobs=True)
    sleeper = _unique_sleep()
    with _killed_after(sleeper):
        completed = run_bounded(
            ["sh", "-c", f"echo /a/path; {sleeper} >/dev/null 2>&1 &"],
            timeout=10,
            containment=windows.containment(),
        )
        assert completed.stdout == b"/a/path\n"
        assert windows.names() == ["create_job", "end_job"]
        time.sleep(0.2)
        assert _alive(sleeper) == []


def test_windows_without_a_job_a_grandchild_holding_the_pipe_does_not_block() -> None:
    # Windows' real failure: the child exits, its grandchild keeps the output pipe, and nothing
    # can reach the grandchild (no job, and taskkill /T needs the exited parent).
    windows = FakeWindows(jobs=False)
    sleeper = _unique_sleep(LONG_SLEEP)
    with _killed_after(sleeper):
        started = time.monotonic()
        completed = run_bounded(
            ["sh", "-c", f"echo /a/path; {sleeper} &"],
            timeout=30,
            containment=windows.containment(),
        )
        elapsed = time.monotonic() - started
        assert completed.stdout == b"/a/path\n"
        assert elapsed < 15, f"waited {elapsed:.1f} s for a pipe a grandchild held"
        assert windows.names() == ["create_job"]


def test_the_job_limits_have_windows_layout() -> None:
    # JOBOBJECT_EXTENDED_LIMIT_INFORMATION is 144 bytes on 64-bit Windows and 112 on 32-bit,
    # with LimitFlags at offset 16 and IoInfo after the 64- (48-) byte basic limits.
    limits = windows_job.kill_on_close_limits()
    wide = ctypes.sizeof(ctypes.c_void_p) == 8
    assert ctypes.sizeof(limits) == (144 if wide else 112)
    assert windows_job.JobObjectBasicLimitInformation.LimitFlags.offset == 16
    assert windows_job.JobObjectExtendedLimitInformation.IoInfo.offset == (64 if wide else 48)
    assert limits.BasicLimitInformation.LimitFlags == 0x2000  # KILL_ON_JOB_CLOSE
