"""Run a step of the action with Python's Windows I/O conventions, on any OS.

Usage, as the Python that action/run.sh starts (see ``windows_python`` in the tests)::

    python -E -s -S windows_conventions.py [-E -s -S] PATH/TO/launch.py STEP

On a Windows runner a Python started with ``-E`` (which ignores ``PYTHONIOENCODING`` and
``PYTHONUTF8``) writes its standard streams, when they are pipes, in the ANSI code page (cp1252 on
GitHub's images, strict for stdout, ``backslashreplace`` for stderr) with ``\\r\\n`` line ends,
and opens text files with ``\\r\\n`` line ends and, without an ``encoding``, the ANSI code page
too. This wrapper sets up exactly that, then runs launch.py as ``__main__``. It changes nothing
else: paths, ``os.name`` and the rest stay this OS's (the path rules' Windows forms are tested on
the pure functions with Windows facts).
"""

from __future__ import annotations

import builtins
import io
import locale
import os
import runpy
import sys
from typing import Any

ANSI_CODE_PAGE = "cp1252"
_open = io.open


def windows_open(
    file: Any,
    mode: str = "r",
    buffering: int = -1,
    encoding: str | None = None,
    errors: str | None = None,
    newline: str | None = None,
    closefd: bool = True,
    opener: Any = None,
) -> Any:
    """``open`` as on Windows: text mode defaults to the ANSI code page, and writes ``\\r\\n``."""
    if "b" not in mode:
        if encoding is None:
            encoding = ANSI_CODE_PAGE
        if newline is None and "+" not in mode and any(flag in mode for flag in "wax"):
            newline = "\r\n"
    return _open(file, mode, buffering, encoding, errors, newline, closefd, opener)


def windows_streams() -> None:
    """stdout and stderr as a pipe's on Windows."""
    sys.stdout.flush()
    sys.stderr.flush()
    sys.stdout = io.TextIOWrapper(
        sys.stdout.buffer, encoding=ANSI_CODE_PAGE, errors="strict", newline="\r\n"
    )
    sys.stderr = io.TextIOWrapper(
        sys.stderr.buffer,
        encoding=ANSI_CODE_PAGE,
        errors="backslashreplace",
        newline="\r\n",
        line_buffering=True,
    )


def main(arguments: list[str]) -> None:
    while arguments and arguments[0].startswith("-"):
        arguments = arguments[1:]  # the interpreter options run.sh passes (-E -s -S)
    if not arguments:
        sys.exit("usage: windows_conventions.py [-E -s -S] launch.py STEP")
    io.open = builtins.open = windows_open
    locale.getpreferredencoding = lambda do_setlocale=True: ANSI_CODE_PAGE
    os.linesep = "\r\n"
    windows_streams()
    sys.argv = arguments
    runpy.run_path(arguments[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
