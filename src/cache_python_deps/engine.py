"""One run of the engine: the I/O edges (probe, cache directory, dependency files) around the
pure core (identity and keys)."""

from __future__ import annotations

import locale
import ntpath
import os
import posixpath
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cache_python_deps import github
from cache_python_deps.cache_path import (
    PathFacts,
    home_directories,
    password_database_homes,
    runner_trees,
    validate_cache_path,
)
from cache_python_deps.dependency_files import hash_dependency_files
from cache_python_deps.errors import CacheDirectoryError, CachePythonDepsError
from cache_python_deps.identity import Identity, derive_identity
from cache_python_deps.interpreter import InterpreterInfo, probe_interpreter
from cache_python_deps.keys import CacheKeys, CacheKind, compose_keys
from cache_python_deps.tools import detect_tool, get_tool
from cache_python_deps.tools.base import CacheContext, OSFamily, Tool

LOOKUP_COMMAND_TIMEOUT_SECONDS = 120.0
# A path is short; a command printing more is broken (and must not exhaust memory).
LOOKUP_COMMAND_MAX_OUTPUT = 64 * 1024
# As GitHub runs a `shell: bash` step (bash --noprofile --norc -eo pipefail {0}).
LOOKUP_SHELL_OPTIONS: Final = ("--noprofile", "--norc", "-eo", "pipefail", "-c")
NO_BASH: Final = (
    "needs bash, and none was found: set CPD_BASH to bash's path (on Windows, Git Bash's "
    "bash.exe, e.g. C:\\Program Files\\Git\\bin\\bash.exe)"
)
DEFAULT_VENV_DIRECTORY = ".venv"


@dataclass(frozen=True)
class Request:
    """What the caller asked for; every field has a CLI option and an environment variable."""

    python: str
    tool: str
    kind: CacheKind
    dependency_hash: str | None
    lookup_command: str | None
    project_directory: Path
    environ: Mapping[str, str]
    home: Path


@dataclass(frozen=True)
class Result:
    """Everything computed, with where the inputs came from."""

    interpreter: InterpreterInfo
    identity: Identity
    tool: Tool
    kind: CacheKind
    cache_directory: Path
    cache_directory_source: str
    dependency_hash_source: str
    dependency_files: tuple[str, ...]
    keys: CacheKeys


@dataclass(frozen=True)
class Location:
    """The interpreter probed, the tool chosen and the directory found for a request."""

    interpreter: InterpreterInfo
    identity: Identity
    tool: Tool
    cache_directory: Path
    cache_directory_source: str


class ProjectDirectoryError(CachePythonDepsError):
    """The project directory does not exist or is not a directory."""


def check_project_directory(directory: Path) -> None:
    """Refuse a project directory that is not one: its keys would describe an empty project."""
    if not directory.is_dir():
        what = "is not a directory" if directory.exists() else "does not exist"
        raise ProjectDirectoryError(f"the project directory {directory} {what}")


def locate(request: Request) -> Location:
    """Probe the interpreter, pick the tool and find the directory to cache."""
    check_project_directory(request.project_directory)
    interpreter = probe_interpreter(request.python)
    identity = derive_identity(interpreter)
    tool = (
        detect_tool(request.project_directory) if request.tool == "auto" else get_tool(request.tool)
    )
    if request.lookup_command:
        cache_directory = run_lookup_command(
            request.lookup_command, request.environ, request.project_directory
        )
        directory_source = "--cache-directory-lookup-command"
    elif request.kind is CacheKind.VENV:
        cache_directory = request.project_directory / DEFAULT_VENV_DIRECTORY
        directory_source = f"the project's {DEFAULT_VENV_DIRECTORY} (default for --cache-kind venv)"
    else:
        context = CacheContext(
            os_family=cache_os_family(identity.os_family),
            environ=request.environ,
            home=request.home,
            interpreter_prefix=Path(interpreter.prefix),
            project_directory=request.project_directory,
            pip_version=interpreter.pip_version,
            has_pip=interpreter.pip_version is not None,
            effective_uid=os.geteuid() if hasattr(os, "geteuid") else None,
        )
        found = tool.cache_directory(context)
        cache_directory, directory_source = found.path, found.source
    return Location(interpreter, identity, tool, cache_directory, directory_source)


def run(request: Request) -> Result:
    """Probe, locate, hash and compose: the whole job of ``--print-key``."""
    location = locate(request)
    validate_cache_directory(location, request)
    tool = location.tool
    if request.dependency_hash:
        dependency_hash: str | None = request.dependency_hash
        files: tuple[str, ...] = ()
        hash_source = "--dependency-hash"
    else:
        found = hash_dependency_files(request.project_directory, tool.dependency_file_patterns)
        dependency_hash, files = found.digest, found.files
        hash_source = (
            f"hashFiles() of {len(files)} file(s) in {request.project_directory}"
            if files
            else f"no dependency files in {request.project_directory}"
        )
    keys = compose_keys(
        location.identity,
        tool_name=tool.name,
        tool_layout_version=tool.cache_layout_version,
        kind=request.kind,
        dependency_hash=dependency_hash,
    )
    return Result(
        interpreter=location.interpreter,
        identity=location.identity,
        tool=tool,
        kind=request.kind,
        cache_directory=location.cache_directory,
        cache_directory_source=location.cache_directory_source,
        dependency_hash_source=hash_source,
        dependency_files=files,
        keys=keys,
    )


def cache_os_family(os_family: str) -> OSFamily:
    """Tools follow Windows, macOS or XDG (every other Unix) conventions."""
    if os_family == "windows":
        return "windows"
    if os_family == "macos":
        return "macos"
    return "linux"


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
    from cache_python_deps.subprocesses import BoundedRunError, run_bounded  # noqa: PLC0415

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


def path_facts(request: Request, os_family: OSFamily) -> PathFacts:
    """What the cache directory is checked against, from the runner's variables and the system."""
    environ = request.environ
    homes = home_directories(
        (str(request.home), environ.get("HOME"), environ.get("USERPROFILE")),
        password_database_homes() if os_family != "windows" else [],
    )
    protected = runner_trees(environ)
    workspace = environ.get("GITHUB_WORKSPACE") or str(request.project_directory)
    return PathFacts(
        windows=os_family == "windows", homes=homes, workspace=workspace, protected=protected
    )


def validate_cache_directory(location: Location, request: Request) -> None:
    """Refuse a directory actions/cache must not get (see cache_path); symlinks resolved too."""
    os_family = cache_os_family(location.identity.os_family)
    path = str(location.cache_directory)
    real_path = os.path.realpath(path) if os.path.lexists(path) else None
    validate_cache_path(
        path,
        source=location.cache_directory_source,
        facts=path_facts(request, os_family),
        real_path=real_path,
    )
