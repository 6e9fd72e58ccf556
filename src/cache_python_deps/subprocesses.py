"""Run a child process with bounds: a deadline, a cap on what it prints, and nothing left behind.

The probe runs in the target interpreter and the lookup command is a bash command: either may
hang, print gigabytes, or start children of its own. ``run_bounded`` starts the child in a
process tree of its own, reads at most ``max_output`` bytes of each stream, and on a timeout or
an overflow ends the whole tree, so no grandchild outlives the step.

How a tree is kept together and ended is the OS's business, so it comes in as a parameter
(``Containment``), and each OS's rules are tested on any OS:

- **POSIX**: the child starts a new session; ending the tree is SIGKILL to its process group,
  which also reaches grandchildren whose parent has exited (a process that leaves the session on
  purpose, with ``setsid``, escapes it).
- **Windows**: a kill reaches one process only. Right after the start the child is put in a
  kill-on-close Job object (windows_job.py), which holds everything it starts and is ended as a
  whole. Where Windows refuses a job, ``taskkill /F /T`` ends the tree, and only while the child
  still lives: after it has exited, taskkill finds no tree, so it is not run at all.

Output is read by one thread per stream. The caller waits for them only until the deadline (and
at most a second after the child exits), and never closes a pipe a reader is still blocked on:
a grandchild that keeps the child's output pipe open (a daemon, or one the tree could not reach)
costs a thread that ends when the pipe does, never the step's time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final, NamedTuple, Protocol

# Enough for any path or probe answer; a child printing more is broken or hostile.
DEFAULT_MAX_OUTPUT: Final = 1024 * 1024
_CHUNK: Final = 64 * 1024
# How long the output of a child that has exited may keep coming (from its grandchildren).
_OUTPUT_GRACE_SECONDS: Final = 1.0
_REAP_SECONDS: Final = 5.0


class BoundedRunError(Exception):
    """The child overran a bound; the message says which, in a few words."""


class RunTimedOut(BoundedRunError):
    """The child did not finish before its deadline."""


class OutputTooLarge(BoundedRunError):
    """The child printed more than allowed."""


class Completed(NamedTuple):
    """A child that finished within its bounds."""

    returncode: int
    stdout: bytes
    stderr: bytes


class Tree(Protocol):
    """A started child and everything it starts."""

    def end(self, *, child_exited: bool) -> None:
        """End every process of the tree that can still be reached; safe to call twice."""


class Containment(NamedTuple):
    """How this OS starts a child as a tree of its own (``popen_options``) and ends that tree."""

    popen_options: Mapping[str, Any]
    contain: Callable[[subprocess.Popen[bytes]], Tree]


class ProcessGroup:
    """POSIX: the child leads a new session and process group; SIGKILL goes to the group."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    def end(self, *, child_exited: bool) -> None:
        # child_exited does not matter: the group outlives its leader.
        if sys.platform != "win32":
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self._process.kill()


class WindowsOperations(NamedTuple):
    """The Windows operations ``WindowsTree`` needs, as parameters (stand-ins in the tests).

    ``create_job(pid)`` is a kill-on-close job holding the process, or None when Windows
    refuses one; ``end_job(job)`` ends every process in it and closes it; ``kill_tree(pid)`` is
    ``taskkill /F /T /PID pid``, which reaches a tree only through a parent that still lives.
    """

    create_job: Callable[[int], object | None]
    end_job: Callable[[Any], None]
    kill_tree: Callable[[int], None]


class WindowsTree:
    """Windows: the child in a Job object, or else a tree kill while the child lives."""

    def __init__(self, process: subprocess.Popen[bytes], operations: WindowsOperations) -> None:
        self.process = process
        self.operations = operations
        self._lock = threading.Lock()
        self.job: object | None = operations.create_job(process.pid)

    def end(self, *, child_exited: bool) -> None:
        with self._lock:
            job, self.job = self.job, None
            if job is not None:
                self.operations.end_job(job)
            elif not child_exited and self.process.poll() is None:
                self.operations.kill_tree(self.process.pid)
        with contextlib.suppress(OSError):
            self.process.kill()


def taskkill_tree(pid: int) -> None:  # pragma: no cover - Windows
    """``taskkill /F /T``: the process and the children it still has."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            ["taskkill", "/F", "/T", "/PID", str(pid)],
            capture_output=True,
            timeout=10,
            check=False,
        )


def posix_containment() -> Containment:
    return Containment({"start_new_session": True}, ProcessGroup)


def windows_containment(
    operations: WindowsOperations, popen_options: Mapping[str, Any] | None = None
) -> Containment:
    """Windows' rules; ``popen_options`` default to Windows' own (a new process group)."""
    options = (
        {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
        if popen_options is None
        else popen_options
    )
    return Containment(options, lambda process: WindowsTree(process, operations))


def this_os_containment() -> Containment:
    """The rules of the OS this runs on."""
    if os.name == "posix":
        return posix_containment()
    from cache_python_deps import windows_job  # noqa: PLC0415 - Windows only

    return windows_containment(
        WindowsOperations(
            create_job=windows_job.create_job_holding,
            end_job=windows_job.end_job,
            kill_tree=taskkill_tree,
        )
    )


class _Reader(threading.Thread):
    """Reads one stream up to a limit; past it, ends the tree and stops.

    Only this thread reads or closes its stream (raw reads, no buffer lock another thread
    could wait on); it closes the stream at its end, or when the caller has stopped caring.
    """

    def __init__(self, stream: IO[bytes], limit: int, on_overflow: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self._stream = stream
        self._limit = limit
        self._on_overflow = on_overflow
        self._lock = threading.Lock()
        self._abandoned = False
        self._data = bytearray()
        self.overflowed = False

    def run(self) -> None:
        try:
            descriptor = self._stream.fileno()
            while chunk := os.read(descriptor, _CHUNK):
                with self._lock:
                    if self._abandoned:
                        return
                    self._data += chunk
                    self.overflowed = len(self._data) > self._limit
                if self.overflowed:
                    self._on_overflow()
                    return
        except (OSError, ValueError):
            return
        finally:
            with contextlib.suppress(OSError):
                self._stream.close()

    def take(self) -> bytes:
        """What was read so far; the thread keeps nothing more (it ends with the pipe)."""
        with self._lock:
            self._abandoned = True
            return bytes(self._data)


def run_bounded(
    command: Sequence[str],
    *,
    timeout: float,
    max_output: int = DEFAULT_MAX_OUTPUT,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    containment: Containment | None = None,
) -> Completed:
    """Run ``command`` with no stdin; raise RunTimedOut/OutputTooLarge, or OSError to start."""
    rules = containment or this_os_containment()
    # The command is the probe (a fixed argv) or bash running the workflow author's own
    # lookup command.
    process = subprocess.Popen(
        list(command),
        env=None if env is None else dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **rules.popen_options,
    )
    tree = rules.contain(process)
    assert process.stdout is not None and process.stderr is not None

    def end_while_running() -> None:
        tree.end(child_exited=False)

    readers = [
        _Reader(process.stdout, max_output, end_while_running),
        _Reader(process.stderr, max_output, end_while_running),
    ]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    exited = False
    try:
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RunTimedOut(f"timed out after {timeout:g} s") from None
        exited = not any(reader.overflowed for reader in readers)
        # A grandchild may still hold the pipes open: give the readers a moment, no more.
        grace_end = min(deadline, time.monotonic() + _OUTPUT_GRACE_SECONDS)
        for reader in readers:
            reader.join(max(0.0, grace_end - time.monotonic()))
        if any(reader.overflowed for reader in readers):
            raise OutputTooLarge(f"printed more than {max_output} bytes")
        return Completed(returncode, readers[0].take(), readers[1].take())
    finally:
        # Whatever happened, nothing the child started survives it (where the OS can reach
        # it), and no pipe is waited on.
        tree.end(child_exited=exited)
        for reader in readers:
            reader.take()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=_REAP_SECONDS)
