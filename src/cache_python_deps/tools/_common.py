"""Helpers shared by the tool modules: the environment, homes, paths, config files.

Everything here is a pure function of a ``CacheContext`` (plus reading the config files it
names and, for this host's own user, the password database), so the rules of every OS can be
computed on any OS. platformdirs' rules (the library pip, poetry, pdm and pipenv call) are in
``_platformdirs``; the Windows known folders here are the ones tools find from the environment,
before platformdirs' own override variables.

``~`` in a configured value is expanded as Python's ``os.path.expanduser`` does it (the Python
tools call it, or ``Path.expanduser``, which uses it from Python 3.11): on Unix ``HOME`` as it is,
even empty (``/``) or relative; without ``HOME`` the password database; on Windows the profile.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any, Final

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.safe_files import read_text_file
from cache_python_deps.toml_parser import toml_loads
from cache_python_deps.tools.base import CacheContext

# The spellings of a boolean that pip's ``strtobool`` and uv's (clap's) ``BoolishValueParser``
# accept, lower-cased: neither strips the value.
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


def environ(context: CacheContext) -> Mapping[str, str]:
    """The context's environment with names as its OS compares them (upper-cased on Windows)."""
    if context.os_family == "windows":
        return {key.upper(): value for key, value in context.environ.items()}
    return context.environ


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


def account_home(context: CacheContext) -> str | None:
    """The home of the user's account, which tools fall back to when ``HOME`` is unset or unusable.

    When ``HOME`` is unset, the context's home already is that answer. When it is set (but a
    tool's rules ignore it) and the context is this host's, the password database entry of this
    process's user. ``None``: the user has no entry.
    """
    if getenv(context, "HOME") is None or context.os_family == "windows" or not native(context):
        return None if context.home is None else str(context.home)
    try:
        import pwd  # noqa: PLC0415 - Unix only, and only for an unusual HOME
    except ImportError:  # pragma: no cover - no password database on this host
        return None
    try:
        return pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        return None


def _python_home(context: CacheContext) -> str | None:
    """The home ``os.path.expanduser`` puts for ``~``: ``HOME`` as it is, else the account's."""
    if context.os_family != "windows":
        value = getenv(context, "HOME")
        if value is not None:
            return value
    return account_home(context)


def project_directory(context: CacheContext) -> PurePath:
    """The project directory (the tool's working directory), in the context's OS flavour."""
    return pure(context, context.project_directory)


def is_absolute(context: CacheContext, value: str) -> bool:
    """Whether ``value`` is an absolute path on the context's OS."""
    if context.os_family == "windows":
        drive, rest = ntpath.splitdrive(value)
        return bool(drive) and rest.startswith(("\\", "/"))
    return posixpath.isabs(value)


def expand_user(context: CacheContext, value: str, *, strict: bool = True) -> str:
    """``os.path.expanduser`` of the context's OS: ``~`` or ``~user`` up to the first separator.

    ``~user`` is that user's home: the password database on Unix (this host's), the profile's
    sibling on Windows. Without a home, Python leaves the ``~`` (the tool then works in a
    directory named ``~``): a CacheDirectoryError when ``strict``, else ``value`` unchanged.
    """
    if not value.startswith("~"):
        return value
    separators = "/\\" if context.os_family == "windows" else "/"
    end = next((i for i, char in enumerate(value) if i and char in separators), len(value))
    user, rest = value[1:end], value[end:]
    if user and context.os_family != "windows":
        return posixpath.expanduser(value)  # the password database, as Python reads it
    home = _python_home(context)
    if home is None:
        if not strict:
            return value
        raise CacheDirectoryError(
            f"no home directory for {value!r}: HOME is unset and the user has no entry in the"
            " password database; set HOME"
        )
    if context.os_family == "windows":
        if user and user != ntpath.basename(home):
            home = ntpath.join(ntpath.dirname(home), user)
        return home + rest
    return (home.rstrip("/") + rest) or "/"


def resolve_path(
    context: CacheContext, value: str, *, expand: bool, base: Path | None = None
) -> Path:
    """Resolve a configured path as the tool does: optional ``~``, relative to the project.

    Relative paths are relative to the tool's working directory: ``base``, by default the
    project directory of the context. Nothing is resolved on disk (no symlinks followed).
    """
    text = expand_user(context, value) if expand else value
    path = pure(context, text)
    if not is_absolute(context, text):
        start = project_directory(context) if base is None else pure(context, base)
        path = start / path
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


def boolean(value: str) -> bool | None:
    """A boolean as pip and uv spell one (``1/0``, ``true/false``, ``yes/no``, ``on/off``...),
    in any case but not stripped; None when ``value`` is not one."""
    word = value.lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    return None


def parse_boolish(name: str, value: str) -> bool:
    """Parse a boolean as uv (clap) does; CacheDirectoryError when ``value`` is not one."""
    parsed = boolean(value)
    if parsed is None:
        raise CacheDirectoryError(f"{name}={value!r} is not a boolean")
    return parsed


# Windows known folders as the environment names them (what the known-folder API returns on a
# normal profile: asking it would take ctypes, and the run-time path is stdlib-only): the
# variables holding each, first first, and its usual place when none is set.
_WINDOWS_FOLDERS: Final = {
    "LOCAL_APPDATA": (("LOCALAPPDATA",), "~\\AppData\\Local"),
    "APPDATA": (("APPDATA",), "~\\AppData\\Roaming"),
    "COMMON_APPDATA": (("PROGRAMDATA", "ALLUSERSPROFILE"), "C:\\ProgramData"),
}


def windows_folder(context: CacheContext, name: str) -> PurePath:
    """The Windows known folder ``name`` (``LOCAL_APPDATA``, ``APPDATA``, ``COMMON_APPDATA``)."""
    variables, usual = _WINDOWS_FOLDERS[name]
    value = next((found for variable in variables if (found := getenv(context, variable))), "")
    return PureWindowsPath(value or expand_user(context, usual))


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


def read_toml(context: CacheContext, path: Path) -> dict[str, Any] | None:
    """``load_toml(path)`` for a native context; ``None`` (no file) for another OS's paths."""
    return load_toml(path) if native(context) else None


def load_toml(path: Path) -> dict[str, Any] | None:
    """Parse a TOML file; ``None`` if it does not exist.

    Read through ``safe_files`` (regular files only, size-limited): UnreadableFileError (one
    line) for a file that exists but cannot be read whole and safely (a FIFO, a device, a huge
    file). CacheDirectoryError (one line) for one that cannot be parsed, or when no TOML parser
    is available (Python 3.10 without ``tomli``).
    """
    text = read_text_file(path, what="config file")
    if text is None:
        return None
    loads = toml_loads()
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
