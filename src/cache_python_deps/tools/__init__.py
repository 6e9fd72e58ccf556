"""The registry of supported tools: look one up by name, or detect it from a project.

Each tool module (``pip``, ``uv``, ``poetry``, ``pipenv``, ``pdm``) holds that tool's rules and
ends with its ``Tool`` spec (``base.Tool``), named after the tool in capitals (``PIP``). Tool
modules are imported on first use only, so ``get_tool("pip")`` never imports the others, and
detection imports none: which file makes ``auto`` pick which tool is this module's table.

``detect_tool`` (the ``auto`` choice) looks at the project directory only (not its parents):

1. Lock files: ``uv.lock`` -> uv, ``poetry.lock`` -> poetry, ``pdm.lock`` -> pdm,
   ``Pipfile.lock`` -> pipenv.
2. Several lock files: if ``pyproject.toml`` names exactly one of their tools in a
   ``[tool.<name>]`` table, that tool; otherwise the first in the order above. A stale extra lock
   file is common while migrating; an error would break CI for no benefit.
3. No lock file: a ``Pipfile`` -> pipenv; else a ``pyproject.toml`` that names exactly one tool
   (``[tool.uv]``, ``[tool.poetry]``, or ``[tool.pdm]`` with more than pdm-backend's ``build`` /
   ``version`` tables, which projects built with pdm-backend carry whatever their installer);
   else pip.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Final

from cache_python_deps.errors import CacheDirectoryError, UnknownToolError
from cache_python_deps.tools._common import load_toml
from cache_python_deps.tools.base import Tool

__all__ = ["TOOL_NAMES", "detect_tool", "get_tool"]

TOOL_NAMES: Final = ("pip", "uv", "poetry", "pipenv", "pdm")

# Tool name -> (module, attribute holding its Tool spec).
_TOOL_OBJECTS: Final = {name: (f"{__name__}.{name}", name.upper()) for name in TOOL_NAMES}

# Lock file -> tool, in the order that breaks ties between several lock files.
_LOCK_FILES: Final = (
    ("uv.lock", "uv"),
    ("poetry.lock", "poetry"),
    ("pdm.lock", "pdm"),
    ("Pipfile.lock", "pipenv"),
)
# pdm-backend's own tables: a project built with it may be installed by any tool.
_PDM_BACKEND_TABLES: Final = frozenset({"build", "version"})


def get_tool(name: str) -> Tool:
    """Return the tool called ``name`` (case-insensitive), importing its module on first use."""
    key = name.strip().lower()
    if key not in _TOOL_OBJECTS:
        raise UnknownToolError(f"unknown tool {name!r}: expected one of {', '.join(TOOL_NAMES)}")
    module_name, attribute = _TOOL_OBJECTS[key]
    tool: Tool = getattr(importlib.import_module(module_name), attribute)
    return tool


def _named_in_pyproject(project_directory: Path) -> frozenset[str]:
    """Tools that ``pyproject.toml`` configures with a ``[tool.<name>]`` table."""
    try:
        data = load_toml(project_directory / "pyproject.toml")
    except CacheDirectoryError:
        return frozenset()
    tables = data.get("tool") if data else None
    if not isinstance(tables, dict):
        return frozenset()
    named = {name for name in ("uv", "poetry") if isinstance(tables.get(name), dict)}
    pdm_table = tables.get("pdm")
    if isinstance(pdm_table, dict) and set(pdm_table) - _PDM_BACKEND_TABLES:
        named.add("pdm")
    return frozenset(named)


def _detect_name(project_directory: Path) -> str:
    locked = [tool for lock, tool in _LOCK_FILES if (project_directory / lock).is_file()]
    if len(locked) == 1:
        return locked[0]
    if locked:
        chosen = sorted(_named_in_pyproject(project_directory).intersection(locked))
        return chosen[0] if len(chosen) == 1 else locked[0]
    if (project_directory / "Pipfile").is_file():
        return "pipenv"
    named = sorted(_named_in_pyproject(project_directory))
    return named[0] if len(named) == 1 else "pip"


def detect_tool(project_directory: Path) -> Tool:
    """The tool that manages the project in ``project_directory`` (see the module docstring)."""
    return get_tool(_detect_name(project_directory))
