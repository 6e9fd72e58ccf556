"""Run a child process with bounds: a deadline, a cap on what it prints, and nothing left behind.

The probe runs in the target interpreter and the lookup command is a shell command: either may
hang, print gigabytes, or start children of its own. ``run_bounded`` starts the child in a new
process group (a new session on POSIX), reads at most ``max_output`` bytes of each stream, and on
a timeout or an overflow kills the whole group, so no grandchild outlives the step.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

# Enough for any path or probe answer; a child printing more is broken or hostile.
DEFAULT_MAX_OUTPUT: Final = 1024 * 1024
_CHUNK: Final = 64 * 1024
_POSIX: Final = os.name == "posix"


class BoundedRunError(Exception):
    """The child overran a bound; the message says which, in a few words."""


class RunTimedOut(BoundedRunError):
    """The child did not finish before its deadline."""


class OutputTooLarge(BoundedRunError):
    """The child printed more than allowed."""


@dataclass(frozen=True)
class Completed:
    """A child that finished within its bounds."""

    returncode: int
    stdout: bytes
    stderr: bytes


class _Reader(threading.Thread):
    """Reads one stream up to a limit; past it, kills the child (so its wait ends) and stops."""

    def __init__(self, process: subprocess.Popen[bytes], stream: IO[bytes], limit: int) -> None:
        super().__init__(daemon=True)
        self._process = process
        self._stream = stream
        self._limit = limit
        self.overflowed = False
        self.data = bytearray()

    def run(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            while chunk := self._stream.read1(_CHUNK):  # type: ignore[attr-defined]
                self.data += chunk
                if len(self.data) > self._limit:
                    self.overflowed = True
                    kill_process_group(self._process)
                    return


def kill_process_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the child and everything it started (its process group on POSIX)."""
    if _POSIX:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    else:  # pragma: no cover - Windows: taskkill ends the child's tree
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                ["taskkill", "/F", "/T", "/PID", str(process.pid)],
                capture_output=True,
                timeout=10,
                check=False,
            )
    with contextlib.suppress(OSError):
        process.kill()


def run_bounded(
    command: str | Sequence[str],
    *,
    timeout: float,
    max_output: int = DEFAULT_MAX_OUTPUT,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    shell: bool = False,
) -> Completed:
    """Run ``command`` with no stdin; raise RunTimedOut/OutputTooLarge, or OSError to start."""
    # The command is either the probe (a fixed argv) or the workflow author's own lookup
    # command, run through the shell as they wrote it.
    process = subprocess.Popen(
        command,
        shell=shell,
        env=None if env is None else dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=_POSIX,
        creationflags=0 if _POSIX else getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
    )
    assert process.stdout is not None and process.stderr is not None
    readers = [
        _Reader(process, process.stdout, max_output),
        _Reader(process, process.stderr, max_output),
    ]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    try:
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RunTimedOut(f"timed out after {timeout:g} s") from None
        # A grandchild may still hold the pipes open: give the readers a moment, no more.
        for reader in readers:
            reader.join(max(0.05, min(1.0, deadline - time.monotonic())))
        if any(reader.overflowed for reader in readers):
            raise OutputTooLarge(f"printed more than {max_output} bytes")
        return Completed(returncode, bytes(readers[0].data), bytes(readers[1].data))
    finally:
        # Whatever happened, nothing the child started survives it.
        kill_process_group(process)
        for stream in (process.stdout, process.stderr):
            with contextlib.suppress(OSError):
                stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
