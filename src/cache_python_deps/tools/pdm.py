"""PDM: the cache directory ``pdm install`` uses, computed in-process.

Order (pdm's ``Project.config``: project config over global config, checked against pdm
2.26.1, 2.26.2 and 2.29.4):

1. ``PDM_CACHE_DIR``.
2. ``cache_dir`` in the project's ``pdm.toml``. The project root is ``PDM_PROJECT`` when it is
   set and not empty (taken as it is, relative to the working directory), else the nearest
   directory with a ``pyproject.toml`` from the project directory upwards, else the project
   directory itself. (pdm merges a legacy ``.pdm.toml`` into it as if set by ``pdm config
   --local``, which refuses ``cache_dir``: pdm stops with an error, and so does this module.)
3. ``cache_dir`` in the global config file: ``PDM_CONFIG_FILE`` (set but empty: the working
   directory, which pdm fails to read from 2.26.2 and skipped before), else
   ``platformdirs.user_config_dir("pdm")/config.toml``.
4. ``cache_dir`` in the site config file ``platformdirs.site_config_dir("pdm")/config.toml``.
5. ``platformdirs.user_cache_dir("pdm")``: ``~/.cache/pdm``, ``~/Library/Caches/pdm``,
   ``%LOCALAPPDATA%\\pdm\\pdm\\Cache`` (pdm passes no app author, so platformdirs repeats the name).

A config path that exists but is not a regular file (a directory) stops pdm from 2.26.2 (it
opens it); before, pdm skipped it (``is_file``). The rules are those of the pdm on ``PATH`` (its
release from its ``METADATA``, see ``releases``; the newest when it is not found), and
platformdirs is the one of pdm's own environment: see ``_platformdirs``. pdm expands ``~`` in
the value; a relative value is relative to the working directory (the project directory). Not
mirrored: the ``global_project.fallback`` mode (off by default).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools import _common, _installed, _platformdirs
from cache_python_deps.tools._layout import TopLevelLayout
from cache_python_deps.tools.base import CacheContext, CacheLocation, LockFile, Tool
from cache_python_deps.tools.releases import Gate, ToolRelease, installed_release

__all__ = ["PDM"]

_APP_NAME: Final = "pdm"
_SETTING: Final = "cache_dir"
# The first pdm that opens a config path without checking it is a file (a directory: it fails).
_OPENS_CONFIG_PATHS: Final = Gate(
    "pdm", (2, 26, 2), "a config path that is not a regular file stops pdm (before: skipped)"
)


def _default_value(context: CacheContext) -> str:
    """``platformdirs.user_cache_dir("pdm")``, which pdm computes on import, even when unused."""
    dirs = _installed.platformdirs_rules(context, "pdm")
    return _platformdirs.user_cache_dir(context, dirs, _APP_NAME)


def global_config_file(context: CacheContext, release: ToolRelease | None = None) -> Path:
    """The user-level config file ``pdm config`` writes to."""
    configured = _common.getenv(context, "PDM_CONFIG_FILE")
    if configured is not None:
        release = release or installed_release(context, "pdm")
        if not configured and release.since(_OPENS_CONFIG_PATHS):
            raise CacheDirectoryError("pdm fails: PDM_CONFIG_FILE is set but empty")
        # Empty: Path("") is the working directory, which older pdm skips as no file.
        return _common.resolve_path(context, configured or ".", expand=False)
    dirs = _installed.platformdirs_rules(context, "pdm")
    directory = _platformdirs.user_dir(context, dirs, "config", _APP_NAME)
    return _common.resolve_path(context, directory, expand=False) / "config.toml"


def _site_config_file(context: CacheContext) -> Path:
    dirs = _installed.platformdirs_rules(context, "pdm")
    (directory,) = _platformdirs.site_config_dirs(context, dirs, _APP_NAME)
    return _common.resolve_path(context, directory, expand=False) / "config.toml"


def _project_root(context: CacheContext) -> Path:
    configured = _common.getenv(context, "PDM_PROJECT")
    if configured:
        return _common.resolve_path(context, configured, expand=False)
    pyproject = _common.find_upwards(context, "pyproject.toml")
    return context.project_directory if pyproject is None else pyproject.parent


def _setting_in(context: CacheContext, path: Path, release: ToolRelease) -> str | None:
    if not release.since(_OPENS_CONFIG_PATHS) and not _common.is_file(context, path):
        return None  # older pdm skips what is not a file (and reads nothing else of it)
    data = _common.read_toml(context, path)
    return None if data is None else _common.string_setting(path, data, _SETTING)


def _refuse_legacy_setting(context: CacheContext, root: Path, release: ToolRelease) -> None:
    legacy = root / ".pdm.toml"
    if _setting_in(context, legacy, release) is not None:
        raise CacheDirectoryError(f"{legacy}: pdm refuses {_SETTING} in a project's config")


def _config_files(context: CacheContext, release: ToolRelease) -> tuple[Path, ...]:
    """The config files that may set ``cache_dir``, highest precedence first."""
    root = _project_root(context)
    _refuse_legacy_setting(context, root, release)
    global_file = global_config_file(context, release)
    return (root / "pdm.toml", global_file, _site_config_file(context))


def cache_location(context: CacheContext) -> CacheLocation:
    """The directory pdm caches in, ``~`` expanded, made absolute, and where it came from."""
    default = _default_value(context)
    from_environment = _common.environ_value(context, "PDM_CACHE_DIR")
    if from_environment is not None:
        path = _common.resolve_path(context, from_environment, expand=True)
        return CacheLocation(path, "PDM_CACHE_DIR")
    release = installed_release(context, "pdm")
    for config_file in _config_files(context, release):
        value = _setting_in(context, config_file, release)
        if value is not None:
            path = _common.resolve_path(context, value, expand=True)
            return CacheLocation(path, f"{_SETTING} in {config_file}")
    return CacheLocation(_common.resolve_path(context, default, expand=True), "pdm's default")


def lock_file(context: CacheContext) -> LockFile:
    """``PDM_LOCKFILE`` (relative to the project directory), else the project's ``pdm.lock``."""
    configured = _common.getenv(context, "PDM_LOCKFILE")
    if configured:
        return LockFile(_common.resolve_path(context, configured, expand=False), "packages")
    return LockFile(_project_root(context) / "pdm.lock", "packages")


# -- pruning ---------------------------------------------------------------------------------
# PDM's cache (pdm's ``project/core.py``, ``models/caches.py``, ``cli/commands/cache.py``):
# ``http/`` is the HTTP cache (downloaded distributions and index pages: dropped); ``wheels/``
# holds wheels pdm built from sdists, keyed by the link and the target environment (kept; dropped
# when the ABI is unstable; one directory per link, ``wheels/<2>/<2>/<2>/<rest>/``, as pip's);
# ``packages/`` holds wheels unpacked for ``install.cache`` (re-made from the wheels: dropped,
# like uv's unzipped archives under ``uv cache prune --ci``).
# ``hashes/``, ``metadata/`` and the rest (``plugins/``, ``self-check/``, ``use_cache.json``,
# ``.compat_libs/``, ``pip.whl``, all of which pdm writes at the top) are small and kept.

LAYOUT: Final = TopLevelLayout(
    # Bump when this project's idea of pdm's cache changes incompatibly.
    version="1",
    entries=frozenset(
        {
            "http",
            "wheels",
            "packages",
            "hashes",
            "metadata",
            "plugins",
            "self-check",
            "use_cache.json",
            ".compat_libs",
            "pip.whl",
        }
    ),
    downloads=("http", "packages"),
    built=("wheels",),
)

# -- the tool ----------------------------------------------------------------------------------
_DEPENDENCY_FILE_PATTERNS: Final = ("pdm.lock", "pyproject.toml")
PDM: Final = Tool("pdm", _DEPENDENCY_FILE_PATTERNS, cache_location, LAYOUT, lock_file)
