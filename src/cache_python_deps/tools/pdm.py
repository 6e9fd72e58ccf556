"""PDM: its ``cache_dir`` setting, computed in-process.

Order (pdm's ``Project.config``: project config over global config, checked against pdm 2.x):

1. ``PDM_CACHE_DIR``.
2. ``cache_dir`` in the project's ``pdm.toml``; the project root is the nearest directory with a
   ``pyproject.toml`` from the project directory upwards, else the project directory itself.
   (pdm merges a legacy ``.pdm.toml`` into it as if set by ``pdm config --local``, which refuses
   ``cache_dir``: pdm stops with an error, and so does this module.)
3. ``cache_dir`` in the global config file: ``PDM_CONFIG_FILE``, else
   ``platformdirs.user_config_dir("pdm")/config.toml``.
4. ``cache_dir`` in the site config file ``platformdirs.site_config_dir("pdm")/config.toml``.
5. ``platformdirs.user_cache_dir("pdm")``: ``~/.cache/pdm``, ``~/Library/Caches/pdm``,
   ``%LOCALAPPDATA%\\pdm\\pdm\\Cache`` (pdm passes no app author, so platformdirs repeats the name).

pdm expands ``~`` in the value; a relative value is relative to the working directory (the
project directory). Not mirrored: the ``global_project.fallback`` mode (off by default).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools import _common
from cache_python_deps.tools.base import CacheContext

__all__ = ["PDM", "PdmTool"]

_APP_NAME: Final = "pdm"
_SETTING: Final = "cache_dir"


def default_cache_directory(context: CacheContext) -> Path:
    """PDM's cache directory when nothing configures one."""
    return _common.user_cache_dir(context, _APP_NAME)


def global_config_file(context: CacheContext) -> Path:
    """The user-level config file ``pdm config`` writes to."""
    configured = _common.getenv(context, "PDM_CONFIG_FILE")
    if configured:
        return _common.resolve_path(context, configured, expand=False)
    return _common.user_config_dir(context, _APP_NAME) / "config.toml"


def _project_root(context: CacheContext) -> Path:
    pyproject = _common.find_upwards(context, "pyproject.toml")
    return context.project_directory if pyproject is None else pyproject.parent


def _setting_in(context: CacheContext, path: Path) -> str | None:
    data = _common.read_toml(context, path)
    return None if data is None else _common.string_setting(path, data, _SETTING)


def _refuse_legacy_setting(context: CacheContext, root: Path) -> None:
    legacy = root / ".pdm.toml"
    if _setting_in(context, legacy) is not None:
        raise CacheDirectoryError(f"{legacy}: pdm refuses {_SETTING} in a project's config")


def _config_files(context: CacheContext) -> tuple[Path, ...]:
    """The config files that may set ``cache_dir``, highest precedence first."""
    root = _project_root(context)
    _refuse_legacy_setting(context, root)
    return (
        root / "pdm.toml",
        global_config_file(context),
        _common.site_config_dir(context, _APP_NAME) / "config.toml",
    )


def _configured_value(context: CacheContext) -> str | None:
    from_environment = _common.environ_value(context, "PDM_CACHE_DIR")
    if from_environment is not None:
        return from_environment
    for path in _config_files(context):
        value = _setting_in(context, path)
        if value is not None:
            return value
    return None


class PdmTool:
    """PDM (``pdm install`` / ``pdm sync``); its cache holds ``http/``, ``wheels/``..."""

    name: Final = "pdm"
    # Bump when this project's idea of pdm's cache changes incompatibly.
    cache_layout_version: Final = "1"
    dependency_file_patterns: Final = ("pdm.lock", "pyproject.toml")
    marker_files: Final = ("pdm.lock",)

    def cache_directory(self, context: CacheContext) -> Path:
        """The directory ``pdm config cache_dir`` names, ``~`` expanded, made absolute."""
        configured = _configured_value(context)
        if configured is None:
            return default_cache_directory(context)
        return _common.resolve_path(context, configured, expand=True)


PDM: Final = PdmTool()
