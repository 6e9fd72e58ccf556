"""``cache-directory-lookup-command``: the user's own bash command that prints the directory.

It runs as the original action ran it, in its own ``shell: bash`` step: ``bash --noprofile
--norc -eo pipefail -c COMMAND``, with the bash that runs the step (run.sh exports it as
``CPD_BASH``), bounded like the probe. Which bash, how its output is decoded and which path it
names are pure functions of the facts they are given (the environment, the OS, ``which``).
"""

from __future__ import annotations

import locale
import ntpath
import os
import posixpath
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from cache_python_deps import github
from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.subprocesses import BoundedRunError, run_bounded

LOOKUP_COMMAND_TIMEOUT_SECONDS = 120.0
# A path is short; a command printing more is broken (and must not exhaust memory).
LOOKUP_COMMAND_MAX_OUTPUT = 64 * 1024
# As GitHub runs a `shell: bash` step (bash --noprofile --norc -eo pipefail {0}).
LOOKUP_SHELL_OPTIONS: Final = ("--noprofile", "--norc", "-eo", "pipefail", "-c")
NO_BASH: Final = (
    "needs bash, and none was found: set CPD_BASH to bash's path (on Windows, Git Bash's "
    "bash.exe, e.g. C:\\Program Files\\Git\\bin\\bash.exe)"
)


def lookup_bash(
    environ: Mapping[str, str], *, windows: bool, which: Callable[[str, str], str | None]
) -> str | None:
    """The bash that runs cache-directory-lookup-command, or None when there is none.

    - ``CPD_BASH`` when set. In the action, run.sh sets it to the bash running the step (the
      step's own ``shell: bash``; a Windows path under Git Bash), so the command runs exactly
      where the original action ran it; on a laptop, whoever runs the CLI may set it.
    - Otherwise (the CLI) the first ``bash`` on ``PATH``; on Windows not one inside the Windows
      directory: that is WSL's launcher, which would run the command in a Linux machine whose
      paths mean nothing here.

    ``which(name, path)`` is ``shutil.which``'s lookup of ``name`` along ``path``.
    """
    chosen = environ.get("CPD_BASH", "").strip()
    if chosen:
        return chosen
    search_path = environ.get("PATH", os.defpath)
    if not windows:
        return which("bash", search_path)
    system_root = ntpath.normcase(environ.get("SYSTEMROOT") or "C:\\Windows").rstrip("\\")
    for directory in search_path.split(";"):
        folded = ntpath.normcase(directory.strip().strip('"'))
        if not folded or folded == system_root or folded.startswith(system_root + "\\"):
            continue
        found = which("bash", directory)
        if found:
            return found
    return None


def decode_lookup_output(output: bytes, *, ansi_code_page: str | None) -> str:
    """A lookup command's output as text: UTF-8 when it is, else how its writer encoded it.

    A native Windows program (``pip cache dir``) writes a pipe in the ANSI code page; elsewhere
    bytes that are not UTF-8 are kept as surrogates (``os.fsdecode``'s way), so a non-UTF-8 name
    is refused later rather than silently turned into another path.
    """
    try:
        return output.decode("utf-8")
    except UnicodeDecodeError:
        if ansi_code_page:
            return output.decode(ansi_code_page, "replace")
        return output.decode("utf-8", "surrogateescape")


def parse_lookup_output(text: str, *, windows: bool) -> str:
    """The one path a lookup command printed; ValueError says what was wrong instead.

    Line ends may be ``\\r\\n`` (Windows programs). On Windows a path must have a drive or be a
    UNC path: ``/c/Users/...`` (Git Bash's form, e.g. from ``echo "$HOME"``) means nothing to
    Windows programs and would be taken as relative to the current drive.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        what = "nothing" if not lines else f"{len(lines)} lines"
        raise ValueError(f"printed {what}; expected one path")
    path = lines[0]
    if windows and path[:1] in {"/", "\\"} and path[1:2] not in {"/", "\\"}:
        raise ValueError(
            f"printed {github.log_text(path, limit=200)!r}, a path without a drive: print a "
            "Windows path (in Git Bash: cygpath -w)"
        )
    return path


def _which(name: str, path: str) -> str | None:
    return shutil.which(name, path=path)


def run_lookup_command(
    command: str,
    environ: Mapping[str, str],
    cwd: Path,
    *,
    windows: bool = os.name == "nt",
    which: Callable[[str, str], str | None] | None = None,
) -> Path:
    """Run the user's cache-directory lookup command in bash; its stdout is the path.

    Bounded like the probe: a deadline, a cap on its output, and its whole process tree killed
    when it overruns, so nothing it started outlives the step.
    """

    shown = github.log_text(command, limit=200)
    bash = lookup_bash(environ, windows=windows, which=which or _which)
    if bash is None:
        raise CacheDirectoryError(f"cache directory lookup command {shown!r} {NO_BASH}")
    try:
        # The workflow author's own command, run in bash as they wrote it.
        completed = run_bounded(
            [bash, *LOOKUP_SHELL_OPTIONS, command],
            env=environ,
            cwd=cwd,
            timeout=LOOKUP_COMMAND_TIMEOUT_SECONDS,
            max_output=LOOKUP_COMMAND_MAX_OUTPUT,
        )
    except BoundedRunError as error:
        raise CacheDirectoryError(f"cache directory lookup command {shown!r} {error}") from None
    except OSError as error:
        raise CacheDirectoryError(
            f"cache directory lookup command {shown!r} could not be run with "
            f"{github.log_text(bash, limit=200)!r}: {error.strerror}"
        ) from None
    if completed.returncode != 0:
        stderr_lines = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f": {github.log_text(stderr_lines[-1].strip(), limit=200)}" if stderr_lines else ""
        raise CacheDirectoryError(
            f"cache directory lookup command {shown!r} failed with exit code "
            f"{completed.returncode}{detail}"
        )
    text = decode_lookup_output(
        completed.stdout, ansi_code_page=locale.getpreferredencoding(False) if windows else None
    )
    try:
        printed = parse_lookup_output(text, windows=windows)
    except ValueError as error:
        raise CacheDirectoryError(f"cache directory lookup command {shown!r} {error}") from None
    flavour = ntpath if windows else posixpath
    directory = flavour.expanduser(printed)
    return Path(directory if flavour.isabs(directory) else flavour.join(cwd, directory))
