"""Helpers shared by the tool modules: per-OS user directories, config files, paths.

Everything here is a pure function of a ``CacheContext`` (plus reading the config files it
names), so the defaults of every OS can be computed on any OS. The user-directory rules mirror
``platformdirs`` (the library poetry, pdm and pipenv call) with the context's facts in place of
``os.environ``, ``~`` and the Windows known-folder API:

- linux: ``$XDG_CACHE_HOME`` / ``$XDG_CONFIG_HOME`` when absolute, else ``~/.cache`` /
  ``~/.config``.
- macos: the same XDG variables when absolute (current platformdirs honours them on macOS;
  old releases did not), else ``~/Library/Caches`` / ``~/Library/Application Support``.
- windows: ``WIN_PD_OVERRIDE_LOCAL_APPDATA`` / ``WIN_PD_OVERRIDE_APPDATA`` when fully qualified,
  else ``%LOCALAPPDATA%`` / ``%APPDATA%`` (what the known-folder API returns on a normal
  profile), else ``~\\AppData\\Local`` / ``~\\AppData\\Roaming``; then ``[author\\]app``, and
  ``Cache`` appended for cache directories.
"""

from __future__ import annotations

import importlib
import ntpath
import os
import posixpath
from collections.abc import Iterator
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools.base import CacheContext

# platformdirs' default author is the app name; ``False`` means "no author directory".
AppAuthor = str | bool | None

_TRUE_WORDS = frozenset({"y", "yes", "t", "true", "on", "1"})
_FALSE_WORDS = frozenset({"n", "no", "f", "false", "off", "0"})


def pure(context: CacheContext, value: str | PurePath) -> PurePath:
    """Return ``value`` as a pure path of the context's OS flavour."""
    if context.os_family == "windows":
        return PureWindowsPath(str(value))
    return PurePosixPath(str(value))


def to_path(value: PurePath) -> Path:
    """Turn a pure path into the ``Path`` the ``Tool`` protocol returns."""
    return Path(str(value))


def getenv(context: CacheContext, name: str, default: str | None = None) -> str | None:
    """An environment variable of the context; names are case-insensitive on Windows."""
    if name in context.environ:
        return context.environ[name]
    if context.os_family == "windows":
        wanted = name.upper()
        for key, value in context.environ.items():
            if key.upper() == wanted:
                return value
    return default


def native(context: CacheContext) -> bool:
    """Whether the context's paths can be opened on this host (no file I/O otherwise)."""
    return (context.os_family == "windows") == (os.name == "nt")


def is_file(context: CacheContext, path: Path) -> bool:
    """``path.is_file()`` for a native context; ``False`` for another OS's paths."""
    return native(context) and path.is_file()


def is_dir(context: CacheContext, path: Path) -> bool:
    """``path.is_dir()`` for a native context; ``False`` for another OS's paths."""
    return native(context) and path.is_dir()


def home(context: CacheContext) -> PurePath:
    """The home directory of the context, in its OS flavour."""
    return pure(context, context.home)


def project_directory(context: CacheContext) -> PurePath:
    """The project directory (the tool's working directory), in the context's OS flavour."""
    return pure(context, context.project_directory)


def is_absolute(context: CacheContext, value: str) -> bool:
    """Whether ``value`` is an absolute path on the context's OS."""
    if context.os_family == "windows":
        drive, rest = ntpath.splitdrive(value)
        return bool(drive) and rest.startswith(("\\", "/"))
    return posixpath.isabs(value)


def expand_user(context: CacheContext, value: str) -> str:
    """Expand a leading ``~`` (alone or before a separator) to the context's home directory."""
    separators = ("/", "\\") if context.os_family == "windows" else ("/",)
    if value == "~" or (value.startswith("~") and value[1:2] in separators):
        return str(home(context)) + value[1:]
    return value


def resolve_path(context: CacheContext, value: str, *, expand: bool) -> Path:
    """Resolve a configured path as the tool does: optional ``~``, relative to the project.

    Relative paths are relative to the tool's working directory, which is the project directory
    of the context. Nothing is resolved on disk (no symlinks followed).
    """
    text = expand_user(context, value) if expand else value
    path = pure(context, text)
    if not is_absolute(context, text):
        path = project_directory(context) / path
    return to_path(path)


def environ_value(context: CacheContext, name: str) -> str | None:
    """Return a variable that is set to a non-empty value, else ``None``.

    A variable set to the empty string raises: every tool here would either fail on it or use
    the working directory as its cache, and neither is a cache directory worth keying.
    """
    value = getenv(context, name)
    if value is None:
        return None
    if not value.strip():
        raise CacheDirectoryError(f"{name} is set but empty")
    return value


def parse_boolish(name: str, value: str) -> bool:
    """Parse a boolean as uv (clap) does: ``1/0``, ``true/false``, ``yes/no``, ``on/off``..."""
    word = value.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise CacheDirectoryError(f"{name}={value!r} is not a boolean")


def _xdg_dir(context: CacheContext, name: str, *, absolute_only: bool = True) -> PurePath | None:
    """An ``XDG_*`` base directory, read as current platformdirs does (absolute values only).

    ``absolute_only=False`` reads it as platformdirs before 4.14 did (pip's vendored copy, used by
    pipenv): any non-blank value, stripped, a relative one relative to the working directory.
    """
    value = getenv(context, name) or ""
    if absolute_only:
        return PurePosixPath(value) if posixpath.isabs(value) else None
    stripped = value.strip()
    if not stripped:
        return None
    return PurePosixPath(project_directory(context), stripped)


def _windows_folder(
    context: CacheContext, override: str | None, variable: str, *tail: str
) -> PurePath:
    override_value = (getenv(context, override) or "").strip() if override else ""
    if is_absolute(context, override_value):
        return PureWindowsPath(override_value)
    value = getenv(context, variable)
    if value:
        return PureWindowsPath(value)
    return home(context).joinpath("AppData", *tail)


def windows_local_appdata(context: CacheContext, *, platformdirs_override: bool = True) -> PurePath:
    """``%LOCALAPPDATA%`` as platformdirs finds it (see the module docstring).

    ``platformdirs_override=False`` ignores ``WIN_PD_OVERRIDE_*``, for tools not built on
    platformdirs (uv).
    """
    override = "WIN_PD_OVERRIDE_LOCAL_APPDATA" if platformdirs_override else None
    return _windows_folder(context, override, "LOCALAPPDATA", "Local")


def windows_roaming_appdata(
    context: CacheContext, *, platformdirs_override: bool = True
) -> PurePath:
    """``%APPDATA%`` as platformdirs finds it (see the module docstring)."""
    override = "WIN_PD_OVERRIDE_APPDATA" if platformdirs_override else None
    return _windows_folder(context, override, "APPDATA", "Roaming")


def _windows_app_parts(appname: str, appauthor: AppAuthor) -> list[str]:
    if appauthor is False:
        return [appname]
    author = appauthor if isinstance(appauthor, str) and appauthor else appname
    return [author, appname]


def user_cache_dir(
    context: CacheContext,
    appname: str,
    *,
    appauthor: AppAuthor = None,
    xdg_absolute_only: bool = True,
) -> Path:
    """``platformdirs.user_cache_dir(appname, appauthor)`` for the context's OS.

    ``xdg_absolute_only``: see ``_xdg_dir`` (``False`` for pip's vendored platformdirs).
    """
    if context.os_family == "windows":
        base = windows_local_appdata(context)
        return to_path(base.joinpath(*_windows_app_parts(appname, appauthor), "Cache"))
    xdg = _xdg_dir(context, "XDG_CACHE_HOME", absolute_only=xdg_absolute_only)
    if xdg is not None:
        return to_path(xdg / appname)
    if context.os_family == "macos":
        return to_path(home(context) / "Library" / "Caches" / appname)
    return to_path(home(context) / ".cache" / appname)


def user_config_dir(
    context: CacheContext, appname: str, *, appauthor: AppAuthor = None, roaming: bool = False
) -> Path:
    """``platformdirs.user_config_dir(appname, appauthor, roaming=...)`` for the context's OS."""
    if context.os_family == "windows":
        base = windows_roaming_appdata(context) if roaming else windows_local_appdata(context)
        return to_path(base.joinpath(*_windows_app_parts(appname, appauthor)))
    xdg = _xdg_dir(context, "XDG_CONFIG_HOME")
    if xdg is not None:
        return to_path(xdg / appname)
    if context.os_family == "macos":
        return to_path(home(context) / "Library" / "Application Support" / appname)
    return to_path(home(context) / ".config" / appname)


def site_config_dir(context: CacheContext, appname: str, *, appauthor: AppAuthor = None) -> Path:
    """``platformdirs.site_config_dir(appname, appauthor)`` for the context's OS.

    Like platformdirs without ``multipath``: the first absolute ``$XDG_CONFIG_DIRS`` entry, else
    ``/etc/xdg`` (linux) or ``/Library/Application Support`` (macOS; a Homebrew Python's prefix,
    which platformdirs would put first, is not known here); on Windows ``%PROGRAMDATA%``.
    """
    if context.os_family == "windows":
        base = PureWindowsPath(
            getenv(context, "WIN_PD_OVERRIDE_COMMON_APPDATA")
            or getenv(context, "PROGRAMDATA")
            or getenv(context, "ALLUSERSPROFILE")
            or "C:\\ProgramData"
        )
        return to_path(base.joinpath(*_windows_app_parts(appname, appauthor)))
    for entry in (getenv(context, "XDG_CONFIG_DIRS") or "").split(":"):
        if posixpath.isabs(entry):
            return to_path(PurePosixPath(entry) / appname)
    if context.os_family == "macos":
        return to_path(PurePosixPath("/Library/Application Support") / appname)
    return to_path(PurePosixPath("/etc/xdg") / appname)


def ancestors(start: Path) -> Iterator[Path]:
    """``start`` and each of its parents, nearest first (no symlinks resolved)."""
    yield start
    yield from start.parents


def find_upwards(
    context: CacheContext, filename: str, *, max_levels: int | None = None
) -> Path | None:
    """The first ``<dir>/filename`` that is a file, from the project directory upwards."""
    for level, directory in enumerate(ancestors(context.project_directory)):
        if max_levels is not None and level >= max_levels:
            return None
        candidate = directory / filename
        if is_file(context, candidate):
            return candidate
    return None


def _toml_loads() -> Any:
    """``tomllib.loads`` (3.11+) or ``tomli.loads``; ``None`` when neither is importable."""
    for module_name in ("tomllib", "tomli"):
        try:
            return importlib.import_module(module_name).loads
        except ImportError:
            continue
    return None


def read_toml(context: CacheContext, path: Path) -> dict[str, Any] | None:
    """``load_toml(path)`` for a native context; ``None`` (no file) for another OS's paths."""
    return load_toml(path) if native(context) else None


def load_toml(path: Path) -> dict[str, Any] | None:
    """Parse a TOML file; ``None`` if it does not exist.

    Raises CacheDirectoryError (one line) if it exists but cannot be read or parsed, or if no
    TOML parser is available (Python 3.10 without ``tomli``).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise CacheDirectoryError(f"cannot read {path}: {error}") from error
    loads = _toml_loads()
    if loads is None:
        raise CacheDirectoryError(f"cannot parse {path}: install tomli on Python 3.10")
    try:
        data = loads(text)
    except ValueError as error:  # tomllib.TOMLDecodeError is a ValueError
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CacheDirectoryError(f"cannot parse {path}: {message}") from error
    return data if isinstance(data, dict) else None


def string_setting(path: Path, data: dict[str, Any], key: str) -> str | None:
    """A top-level string setting of a parsed config file, checked for its type."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise CacheDirectoryError(f"{path}: {key} must be a string")
    return value
