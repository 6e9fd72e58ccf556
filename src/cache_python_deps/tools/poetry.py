"""Poetry: its ``cache-dir`` setting, computed in-process.

Order (poetry's ``Config.get`` and ``Factory.create_poetry``, checked against poetry 2.x):

1. ``POETRY_CACHE_DIR``.
2. ``cache-dir`` in the project's ``poetry.toml``, next to the nearest ``pyproject.toml`` found
   from the project directory upwards.
3. ``cache-dir`` in ``config.toml`` in poetry's config directory: ``POETRY_CONFIG_DIR``, else
   ``platformdirs.user_config_dir("pypoetry", appauthor=False, roaming=True)``.
4. ``platformdirs.user_cache_dir("pypoetry", appauthor=False)``: ``~/.cache/pypoetry``,
   ``~/Library/Caches/pypoetry``, ``%LOCALAPPDATA%\\pypoetry\\Cache``.

Poetry expands ``~`` in the value (``Path(...).expanduser()``); a relative value is relative to
the working directory (the project directory). Not mirrored: ``{data-dir}``-style references
inside the value, and ``auth.toml`` (which holds credentials and never a cache directory).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from cache_python_deps.tools import _common
from cache_python_deps.tools.base import CacheContext

__all__ = ["POETRY", "PoetryTool"]

_APP_NAME: Final = "pypoetry"
_SETTING: Final = "cache-dir"


def config_directory(context: CacheContext) -> Path:
    """Poetry's configuration directory (where its global ``config.toml`` lives)."""
    configured = _common.getenv(context, "POETRY_CONFIG_DIR")
    if configured:
        return _common.resolve_path(context, configured, expand=False)
    return _common.user_config_dir(context, _APP_NAME, appauthor=False, roaming=True)


def default_cache_directory(context: CacheContext) -> Path:
    """Poetry's cache directory when nothing configures one."""
    return _common.user_cache_dir(context, _APP_NAME, appauthor=False)


def _setting_in(context: CacheContext, path: Path) -> str | None:
    data = _common.read_toml(context, path)
    return None if data is None else _common.string_setting(path, data, _SETTING)


def _local_config_file(context: CacheContext) -> Path | None:
    pyproject = _common.find_upwards(context, "pyproject.toml")
    return None if pyproject is None else pyproject.parent / "poetry.toml"


def _configured_value(context: CacheContext) -> str | None:
    from_environment = _common.environ_value(context, "POETRY_CACHE_DIR")
    if from_environment is not None:
        return from_environment
    local_file = _local_config_file(context)
    local_value = None if local_file is None else _setting_in(context, local_file)
    if local_value is not None:
        return local_value
    return _setting_in(context, config_directory(context) / "config.toml")


class PoetryTool:
    """Poetry (``poetry install``); its cache holds ``cache/``, ``artifacts/``, ``virtualenvs/``."""

    name: Final = "poetry"
    # Bump when this project's idea of poetry's cache changes incompatibly.
    cache_layout_version: Final = "1"
    dependency_file_patterns: Final = ("poetry.lock", "pyproject.toml")
    marker_files: Final = ("poetry.lock",)

    def cache_directory(self, context: CacheContext) -> Path:
        """The directory ``poetry config cache-dir`` names, ``~`` expanded, made absolute."""
        configured = _configured_value(context)
        if configured is None:
            return default_cache_directory(context)
        return _common.resolve_path(context, configured, expand=True)


POETRY: Final = PoetryTool()
