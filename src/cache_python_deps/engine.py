"""One run of the engine: the I/O edges (probe, cache directory, dependency files) around the
pure core (identity and keys)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from cache_python_deps.cache_path import (
    PathFacts,
    home_directories,
    password_database_homes,
    real_path,
    runner_trees,
    validate_cache_path,
)
from cache_python_deps.dependency_files import hash_dependency_files
from cache_python_deps.errors import CachePythonDepsError
from cache_python_deps.identity import Identity, derive_identity
from cache_python_deps.interpreter import InterpreterInfo, probe_interpreter
from cache_python_deps.keys import CacheKeys, CacheKind, compose_keys
from cache_python_deps.pip_location import PipLocation, ProcessIds, find_pip
from cache_python_deps.sources import FrontEnd, Origin, Source
from cache_python_deps.tools import detect_tool, get_tool
from cache_python_deps.tools.base import CacheContext, OSFamily, Tool
from cache_python_deps.tools.releases import rules_notice

DEFAULT_VENV_DIRECTORY = ".venv"


class Request(NamedTuple):
    """What the caller asked for; every field has a CLI option and an environment variable."""

    python: str
    tool: str
    kind: CacheKind
    dependency_hash: str | None
    lookup_command: str | None
    project_directory: Path
    environ: Mapping[str, str]
    home: Path


class Result(NamedTuple):
    """Everything computed, with where the inputs came from."""

    interpreter: InterpreterInfo
    identity: Identity
    tool: Tool
    kind: CacheKind
    cache_directory: Path
    cache_directory_source: Source
    dependency_hash_source: Source
    dependency_files: tuple[str, ...]
    keys: CacheKeys
    # The pip ``python -m pip`` runs, when the tool is pip and its rules found the directory.
    pip: PipLocation | None = None
    # Said when the tool is of a newer release line than its rules were checked against.
    rules_notice: str | None = None


class Location(NamedTuple):
    """The interpreter probed, the tool chosen and the directory found for a request."""

    interpreter: InterpreterInfo
    identity: Identity
    tool: Tool
    cache_directory: Path
    cache_directory_source: Source
    pip: PipLocation | None = None
    rules_notice: str | None = None


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
    pip_used: PipLocation | None = None
    notice = None
    if request.lookup_command:
        # Child processes stay off the measured path (the keys step and --print-key without one).
        from cache_python_deps.lookup_command import run_lookup_command  # noqa: PLC0415

        cache_directory = run_lookup_command(
            request.lookup_command, request.environ, request.project_directory
        )
        directory_source = Source(Origin.LOOKUP_COMMAND)
    elif request.kind is CacheKind.VENV:
        cache_directory = request.project_directory / DEFAULT_VENV_DIRECTORY
        directory_source = Source(Origin.VIRTUALENV_DEFAULT, DEFAULT_VENV_DIRECTORY)
    else:
        pip = find_pip(interpreter.pip_search, environ=request.environ, ids=ProcessIds.current())
        context = CacheContext(
            os_family=cache_os_family(identity.os_family),
            environ=request.environ,
            home=request.home,
            interpreter_prefix=Path(interpreter.prefix),
            project_directory=request.project_directory,
            pip_version=pip.version,
            has_pip=pip.state != "absent",  # only a certain "no pip" is refused
            effective_uid=os.geteuid() if hasattr(os, "geteuid") else None,
        )
        found = tool.cache_directory(context)
        cache_directory, directory_source = found.path, Source(Origin.TOOL_RULES, found.source)
        pip_used = pip if tool.name == "pip" else None
        notice = rules_notice(context, tool.name)
    return Location(
        interpreter, identity, tool, cache_directory, directory_source, pip_used, notice
    )


def run(request: Request) -> Result:
    """Probe, locate, hash and compose: the whole job of ``--print-key``."""
    location = locate(request)
    validate_cache_directory(location, request)
    tool = location.tool
    if request.dependency_hash:
        dependency_hash: str | None = request.dependency_hash
        files: tuple[str, ...] = ()
        hash_source = Source(Origin.DEPENDENCY_SETTING)
    else:
        found = hash_dependency_files(request.project_directory, tool.dependency_file_patterns)
        dependency_hash, files = found.digest, found.files
        hash_source = (
            Source(Origin.HASHED_FILES, str(request.project_directory), len(files))
            if files
            else Source(Origin.NO_DEPENDENCY_FILES, str(request.project_directory))
        )
    keys = compose_keys(
        location.identity,
        tool_name=tool.name,
        tool_layout_version=tool.layout.version,
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
        pip=location.pip,
        rules_notice=location.rules_notice,
    )


def cache_os_family(os_family: str) -> OSFamily:
    """Tools follow Windows, macOS or XDG (every other Unix) conventions."""
    if os_family == "windows":
        return "windows"
    if os_family == "macos":
        return "macos"
    return "linux"


def path_facts(request: Request, os_family: OSFamily) -> PathFacts:
    """What the cache directory is checked against, from the runner's variables and the system."""
    environ = request.environ
    homes = home_directories(
        (str(request.home), environ.get("HOME"), environ.get("USERPROFILE")),
        password_database_homes() if os_family != "windows" else [],
    )
    protected = runner_trees(environ)
    workspace = environ.get("GITHUB_WORKSPACE") or str(request.project_directory)
    return PathFacts(os_family=os_family, homes=homes, workspace=workspace, protected=protected)


def validate_cache_directory(location: Location, request: Request) -> None:
    """Refuse a directory actions/cache must not get (see cache_path); links resolved too, as far
    as the directory exists (a link in a path not created yet leads where the restore would)."""
    os_family = cache_os_family(location.identity.os_family)
    path = str(location.cache_directory)
    validate_cache_path(
        path,
        source=location.cache_directory_source.text(FrontEnd.CLI),
        facts=path_facts(request, os_family),
        real_path=real_path(path),
    )
