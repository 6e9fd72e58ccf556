"""uv: where ``uv cache dir`` points, computed in-process.

Order (uv's ``Cache::from_settings`` and settings discovery, checked against uv 0.13):

1. ``UV_NO_CACHE`` (boolish), else ``no-cache`` from the config files: the cache is a fresh
   temporary directory per run, so there is nothing to key: CacheDirectoryError.
2. ``UV_CACHE_DIR``, else ``cache-dir`` from the config files. No ``~`` expansion; a relative
   path is relative to the working directory (the project directory), even in a config file.
3. The default: ``%LOCALAPPDATA%\\uv\\cache`` on Windows; on macOS ``~/Library/Caches/uv`` if that
   directory already exists (uv keeps honouring it), else the XDG location; on linux and macOS
   ``$XDG_CACHE_HOME/uv`` (when absolute) or ``~/.cache/uv``.

Config files, unless ``UV_NO_CONFIG`` is true: ``UV_CONFIG_FILE`` alone when set; otherwise the
nearest ``uv.toml`` or ``pyproject.toml`` with a ``[tool.uv]`` table from the project directory
upwards (``uv.toml`` first in one directory), then the user's ``uv/uv.toml`` (``$XDG_CONFIG_HOME``
or ``~/.config``; ``%APPDATA%`` on Windows), then the system file (``$XDG_CONFIG_DIRS``/``/etc/xdg``
then ``/etc/uv/uv.toml``; ``%SYSTEMDRIVE%\\ProgramData\\uv\\uv.toml``). A nearer file wins per key;
the environment beats every file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any, Final

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools import _common
from cache_python_deps.tools.base import CacheContext

__all__ = ["UV", "UvTool"]


@dataclass(frozen=True)
class _Settings:
    """The two cache settings of one uv config layer (``None``: not set there)."""

    no_cache: bool | None = None
    cache_dir: str | None = None

    def under(self, fallback: _Settings) -> _Settings:
        """These settings, with unset keys taken from a lower-precedence layer."""
        return _Settings(
            no_cache=self.no_cache if self.no_cache is not None else fallback.no_cache,
            cache_dir=self.cache_dir if self.cache_dir is not None else fallback.cache_dir,
        )


def _settings_from(path: Path, data: dict[str, Any]) -> _Settings:
    no_cache = data.get("no-cache")
    if no_cache is not None and not isinstance(no_cache, bool):
        raise CacheDirectoryError(f"{path}: no-cache must be a boolean")
    return _Settings(no_cache=no_cache, cache_dir=_common.string_setting(path, data, "cache-dir"))


def _read_uv_toml(context: CacheContext, path: Path) -> _Settings | None:
    data = _common.read_toml(context, path)
    return None if data is None else _settings_from(path, data)


def _read_pyproject(context: CacheContext, path: Path) -> _Settings | None:
    """The ``[tool.uv]`` table of a pyproject.toml; uv skips unparsable or table-less files."""
    try:
        data = _common.read_toml(context, path)
    except CacheDirectoryError:
        return None
    tool = data.get("tool") if data else None
    uv_table = tool.get("uv") if isinstance(tool, dict) else None
    return _settings_from(path, uv_table) if isinstance(uv_table, dict) else None


def _project_settings(context: CacheContext) -> _Settings | None:
    for directory in _common.ancestors(context.project_directory):
        settings = _read_uv_toml(context, directory / "uv.toml")
        if settings is None:
            settings = _read_pyproject(context, directory / "pyproject.toml")
        if settings is not None:
            return settings
    return None


def _user_config_file(context: CacheContext) -> Path:
    if context.os_family == "windows":
        base: PurePath = _common.windows_roaming_appdata(context, platformdirs_override=False)
    else:
        xdg = _common.getenv(context, "XDG_CONFIG_HOME") or ""
        absolute = _common.is_absolute(context, xdg)
        base = PurePosixPath(xdg) if absolute else _common.home(context) / ".config"
    return _common.to_path(base / "uv" / "uv.toml")


def _system_config_file(context: CacheContext) -> Path | None:
    if context.os_family == "windows":
        drive = _common.getenv(context, "SYSTEMDRIVE")
        if not drive:
            return None
        candidate = _common.to_path(PureWindowsPath(drive + "\\", "ProgramData", "uv", "uv.toml"))
        return candidate if _common.is_file(context, candidate) else None
    directories = _common.getenv(context, "XDG_CONFIG_DIRS") or "/etc/xdg"
    for entry in directories.split(":"):
        if not entry:
            break
        candidate = Path(entry) / "uv" / "uv.toml"
        if _common.is_file(context, candidate):
            return candidate
    fallback = Path("/etc/uv/uv.toml")
    return fallback if _common.is_file(context, fallback) else None


def _file_settings(context: CacheContext) -> _Settings:
    """The cache settings from uv's config files, nearest first."""
    no_config = _common.environ_value(context, "UV_NO_CONFIG")
    if no_config is not None and _common.parse_boolish("UV_NO_CONFIG", no_config):
        return _Settings()
    config_file = _common.environ_value(context, "UV_CONFIG_FILE")
    if config_file is not None:
        path = _common.resolve_path(context, config_file, expand=False)
        settings = _read_uv_toml(context, path)
        if settings is None and _common.native(context):
            raise CacheDirectoryError(f"UV_CONFIG_FILE {path} does not exist")
        return settings or _Settings()
    merged = _Settings()
    layers = (
        _project_settings(context),
        _read_uv_toml(context, _user_config_file(context)),
        _system_settings(context),
    )
    for layer in reversed(layers):
        if layer is not None:
            merged = layer.under(merged)
    return merged


def _system_settings(context: CacheContext) -> _Settings | None:
    path = _system_config_file(context)
    return None if path is None else _read_uv_toml(context, path)


def default_cache_directory(context: CacheContext) -> Path:
    """uv's cache directory when neither the environment nor a config file names one."""
    if context.os_family == "windows":
        local = _common.windows_local_appdata(context, platformdirs_override=False)
        return _common.to_path(local / "uv" / "cache")
    if context.os_family == "macos":
        legacy = _common.to_path(_common.home(context) / "Library" / "Caches" / "uv")
        if _common.is_dir(context, legacy):
            return legacy
    xdg = _common.getenv(context, "XDG_CACHE_HOME") or ""
    if _common.is_absolute(context, xdg):
        return _common.to_path(PurePosixPath(xdg) / "uv")
    return _common.to_path(_common.home(context) / ".cache" / "uv")


class UvTool:
    """The uv package manager (``uv pip``, ``uv sync``, ``uv tool``...)."""

    name: Final = "uv"
    # Bump when this project's idea of uv's cache changes incompatibly (uv versions its own
    # buckets, e.g. ``wheels-v5``, so uv upgrades need no bump here).
    cache_layout_version: Final = "1"
    # Top-level files only, like pip's: ``**`` would reach into .venv and vendored projects, and
    # a workspace's uv.lock already covers its members.
    dependency_file_patterns: Final = (
        "uv.lock",
        "pylock.toml",
        "pylock.*.toml",
        "pyproject.toml",
        "requirements*.txt",
        "requirements*.in",
        "constraints*.txt",
    )
    marker_files: Final = ("uv.lock",)

    def cache_directory(self, context: CacheContext) -> Path:
        """The directory ``uv cache dir`` prints for this context."""
        files = _file_settings(context)
        no_cache_env = _common.environ_value(context, "UV_NO_CACHE")
        no_cache = (
            _common.parse_boolish("UV_NO_CACHE", no_cache_env)
            if no_cache_env is not None
            else bool(files.no_cache)
        )
        if no_cache:
            raise CacheDirectoryError("uv's cache is disabled (no-cache): nothing to cache")
        configured = _common.environ_value(context, "UV_CACHE_DIR") or files.cache_dir
        if configured is not None:
            if not configured:
                raise CacheDirectoryError("uv's cache-dir is set but empty")
            return _common.resolve_path(context, configured, expand=False)
        return default_cache_directory(context)


UV: Final = UvTool()
