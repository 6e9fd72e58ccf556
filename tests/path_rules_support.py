"""Shared by the path-rule tests of each OS: a refusal's reason, every tool's default directory
computed with an OS's facts, and a run of the engine with a cache directory from a variable."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from cache_python_deps.cache_path import PathFacts, path_problem
from cache_python_deps.engine import Request
from cache_python_deps.keys import CacheKind
from cache_python_deps.tools import TOOL_NAMES, get_tool
from cache_python_deps.tools.base import CacheContext, OSFamily
from cache_python_deps.tools.pip import _VENDORED_PLATFORMDIRS

# pip's default moved with the platformdirs it vendors: one pip of each, an older one, unknown.
PIP_VERSIONS = (None, "20.3", *(f"{major}.{minor}" for (major, minor), _ in _VENDORED_PLATFORMDIRS))


def refused(path: str, facts: PathFacts) -> str:
    """The reason ``path`` is refused (failing the test when it is accepted)."""
    problem = path_problem(path, facts)
    assert problem is not None, f"{path!r} was accepted"
    return problem


def default_directories(
    os_family: OSFamily, home: str | Path, environ: Mapping[str, str], project: str
) -> list[tuple[str, str]]:
    """(tool and pip version, directory): every tool's default cache directory for these
    facts, as the tools' own rules in ``cache_python_deps.tools`` compute it."""
    found = []
    for tool in TOOL_NAMES:
        for pip_version in PIP_VERSIONS if tool == "pip" else (None,):
            context = CacheContext(
                os_family=os_family,
                environ=dict(environ),
                home=Path(home),
                interpreter_prefix=Path(project) / "no-such-prefix",
                project_directory=Path(project),
                pip_version=pip_version,
            )
            directory = get_tool(tool).cache_directory(context).path
            found.append((f"{tool} {pip_version or ''}".strip(), str(directory)))
    return found


def uv_cache_request(project: Path, cache_directory: str, home: Path) -> Request:
    """The engine's request for uv's cache with ``UV_CACHE_DIR`` set, keyed on this Python."""
    project.mkdir(exist_ok=True)
    return Request(
        python=sys.executable,
        tool="uv",
        kind=CacheKind.TOOL,
        dependency_hash="abc",
        lookup_command=None,
        project_directory=project,
        environ={"UV_CACHE_DIR": cache_directory, "HOME": str(home)},
        home=home,
    )
