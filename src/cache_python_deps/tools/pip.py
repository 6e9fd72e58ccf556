"""pip: the directory ``python -m pip cache dir`` prints, found without starting pip.

pip takes its cache directory from three layers, lowest precedence first:

1. the default, platformdirs' user cache dir for the app name ``pip`` (``pip\\Cache`` on Windows);
2. config files: global, then user (skipped when ``PIP_CONFIG_FILE`` names an existing file),
   then site (``<sys.prefix>/pip.conf``), then ``PIP_CONFIG_FILE``; a later file overrides a key
   of an earlier one, and ``PIP_CONFIG_FILE=os.devnull`` skips every file;
3. ``PIP_*`` environment variables.

Within the files, ``[global]`` is read first and the command's own section (``[cache]``)
overrides it, whichever file each came from. ``no-cache-dir`` with any boolean value, even
``false``, disables the cache (``pip cache dir`` then refuses to run); any other value is an
error. The chosen path is then expanded and normalised as pip does (``~``, symlinks, relative to
the working directory, case on Windows).

These are the rules of pip 23.0 to 26.3 (checked against real pip 23.0, 23.2, 24.2 and 26.3).
They follow the target's pip version (``CacheContext.pip_version``) where pip's vendored
platformdirs changed: from 26.2 it honours ``XDG_*`` on macOS too and strips the values; from
26.3 it ignores relative ones (older pips take them relative to the working directory). Not
modelled: 26.3 rejecting a file that spells one key two ways (``cache-dir`` and ``cache_dir``),
nor pip's ownership check (pip disables a cache directory that the current user, or root under
sudo, does not own).

Every fact comes from the ``CacheContext``; the only I/O is reading the config files (and
checking whether a few paths exist), done only when the target's paths are native to this host.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools.base import CacheContext, OSFamily

# pip's strtobool(): the only spellings a boolean option accepts (case-insensitively).
_BOOLEANS = frozenset({"y", "yes", "t", "true", "on", "1", "n", "no", "f", "false", "off", "0"})
# Config sections pip reads for ``pip cache``, lowest precedence first; ":env:" holds PIP_*.
_SECTIONS = ("global", "cache", ":env:")
# Windows known folders: pip's platformdirs name, the variables naming it, its usual place.
_WINDOWS_FOLDERS = {
    "local": ("CSIDL_LOCAL_APPDATA", ("LOCALAPPDATA",), "~\\AppData\\Local"),
    "roaming": ("CSIDL_APPDATA", ("APPDATA",), "~\\AppData\\Roaming"),
    "common": ("CSIDL_COMMON_APPDATA", ("PROGRAMDATA", "ALLUSERSPROFILE"), "C:\\ProgramData"),
}


if TYPE_CHECKING:  # a Protocol class costs import time; only mypy needs it
    from typing import Protocol

    class _PathModule(Protocol):
        """The part of ``posixpath`` / ``ntpath`` used here: either flavour can be passed."""

        devnull: str

        def join(self, a: str, /, *paths: str) -> str: ...
        def normpath(self, path: str) -> str: ...
        def normcase(self, s: str) -> str: ...
        def dirname(self, p: str) -> str: ...
        def basename(self, p: str) -> str: ...


class _Setting(NamedTuple):
    """One configuration value and where it came from (for error messages)."""

    value: str
    source: str


def _flavour(os_family: OSFamily) -> _PathModule:
    """The path module of the target OS family."""
    return ntpath if os_family == "windows" else posixpath


def _is_native(os_family: OSFamily) -> bool:
    """Whether paths of the target OS family can be opened on this host."""
    return (os_family == "windows") == (os.name == "nt")


def _environ(context: CacheContext) -> Mapping[str, str]:
    """The target's environment; Windows variable names are case-insensitive (upper-cased)."""
    if context.os_family == "windows":
        return {key.upper(): value for key, value in context.environ.items()}
    return context.environ


def _expand_user(context: CacheContext, path: str) -> str:
    """``os.path.expanduser`` of the target OS, with the context's home for a bare ``~``."""
    if not path.startswith("~"):
        return path
    paths = _flavour(context.os_family)
    separators = "/\\" if context.os_family == "windows" else "/"
    end = next((i for i, char in enumerate(path) if i and char in separators), len(path))
    user, rest = path[1:end], path[end:]
    home = str(context.home)
    if context.os_family == "windows":
        if user and user != paths.basename(home):
            home = paths.join(paths.dirname(home), user)
        return home + rest
    if user:
        return posixpath.expanduser(path)  # ~name: the password database, as pip does
    return (home.rstrip("/") + rest) or "/"


def _on_host(context: CacheContext, path: str) -> Path:
    """A path pip would open relative to its working directory, as this process must open it."""
    return context.project_directory / path


def _exists(context: CacheContext, path: str) -> bool:
    """``os.path.exists`` as pip would call it (always False for a foreign OS family)."""
    return _is_native(context.os_family) and _on_host(context, path).exists()


def _windows_folder(context: CacheContext, folder: str) -> str:
    """A Windows known folder: from the environment, else (on Windows) the shell, else default."""
    csidl, variables, default = _WINDOWS_FOLDERS[folder]
    environ = _environ(context)
    value = next((environ[name] for name in variables if environ.get(name)), "")
    if not value and os.name == "nt":  # pragma: no cover - only a Windows host has a shell
        value = _ask_windows_shell(csidl)
    return ntpath.normpath(value or _expand_user(context, default))


def _ask_windows_shell(csidl: str) -> str:  # pragma: no cover - Windows only
    """The known folder from the Windows shell, through platformdirs when it is installed.

    The action runs with the standard library only; there the usual default is taken instead.
    """
    try:
        from platformdirs.windows import get_win_folder  # noqa: PLC0415 - Windows-only, rare
    except ImportError:
        return ""
    return get_win_folder(csidl)


# The first pip whose vendored platformdirs reads XDG_* on macOS too (4.10), and the first
# whose platformdirs takes only absolute XDG_* values (4.12).
_XDG_EVERYWHERE_SINCE = (26, 2)
_ABSOLUTE_XDG_SINCE = (26, 3)


def _version_tuple(version: str | None) -> tuple[int, ...]:
    """(26, 3) from "26.3.1" or "26.3b1"; () when unknown."""
    numbers: list[int] = []
    for part in (version or "").split(".")[:2]:
        digits = part[: len(part) - len(part.lstrip("0123456789"))]
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers)


def _pip_at_least(context: CacheContext, version: tuple[int, ...]) -> bool:
    return _version_tuple(context.pip_version) >= version


def _xdg_directory(context: CacheContext, name: str) -> str | None:
    """An ``XDG_*`` directory variable as the target's pip reads it (None: not used)."""
    value = _environ(context).get(name, "")
    if _pip_at_least(context, _ABSOLUTE_XDG_SINCE):
        return value.strip() if posixpath.isabs(value.strip()) else None
    if _pip_at_least(context, _XDG_EVERYWHERE_SINCE):
        return value.strip() or None
    return value if value.strip() else None


def default_cache_directory(context: CacheContext) -> str:
    """pip's built-in cache directory (``USER_CACHE_DIR``) before pip normalises it."""
    if context.os_family == "windows":
        return ntpath.join(_windows_folder(context, "local"), "pip", "Cache")
    xdg_cache_home = _xdg_directory(context, "XDG_CACHE_HOME")
    if context.os_family == "macos":
        if xdg_cache_home is not None and _pip_at_least(context, _XDG_EVERYWHERE_SINCE):
            return posixpath.join(xdg_cache_home, "pip")
        return posixpath.join(_expand_user(context, "~/Library/Caches"), "pip")
    base = xdg_cache_home if xdg_cache_home is not None else _expand_user(context, "~/.cache")
    return posixpath.join(base, "pip")


def _global_config_directories(context: CacheContext) -> list[str]:
    """The directories of pip's global (site-wide) config files, lowest precedence first."""
    if context.os_family == "windows":
        return [ntpath.join(_windows_folder(context, "common"), "pip")]
    if context.os_family == "macos":
        directories = ["/Library/Application Support/pip"]
        prefix = str(context.interpreter_prefix)
        if "/opt/python" in prefix:  # a Homebrew Python: its prefix's share/ comes first
            directories.insert(0, prefix.split("/opt/python", maxsplit=1)[0] + "/share/pip")
        return directories
    xdg_config_dirs = _environ(context).get("XDG_CONFIG_DIRS", "")
    if _pip_at_least(context, _ABSOLUTE_XDG_SINCE):
        bases = [entry.strip() for entry in xdg_config_dirs.split(":")]
        bases = [entry for entry in bases if posixpath.isabs(entry)] or ["/etc/xdg"]
    else:
        bases = (xdg_config_dirs if xdg_config_dirs.strip() else "/etc/xdg").split(":")
    return [posixpath.join(base, "pip") for base in bases] + ["/etc"]


def _user_config_directory(context: CacheContext) -> str:
    """The directory of pip's (new-style) user config file."""
    if context.os_family == "windows":
        return ntpath.join(_windows_folder(context, "roaming"), "pip")
    if context.os_family == "macos":
        application_support = _expand_user(context, "~/Library/Application Support/pip")
        if _is_native(context.os_family) and Path(application_support).is_dir():
            return application_support
        return _expand_user(context, "~/.config/pip")
    xdg_config_home = _xdg_directory(context, "XDG_CONFIG_HOME")
    base = xdg_config_home if xdg_config_home is not None else _expand_user(context, "~/.config")
    return posixpath.join(base, "pip")


def config_file_paths(context: CacheContext) -> list[str]:
    """The config files pip would load, lowest precedence first, named as pip names them.

    Files that do not exist are listed too (pip skips them when reading). Relative names are
    relative to pip's working directory, the context's project directory.
    """
    paths = _flavour(context.os_family)
    basename = "pip.ini" if context.os_family == "windows" else "pip.conf"
    env_file = _environ(context).get("PIP_CONFIG_FILE")
    if env_file == paths.devnull:
        return []
    files = [paths.join(directory, basename) for directory in _global_config_directories(context)]
    if not (env_file and _exists(context, env_file)):
        legacy = "pip" if context.os_family == "windows" else ".pip"
        files.append(paths.join(_expand_user(context, "~"), legacy, basename))
        files.append(paths.join(_user_config_directory(context), basename))
    files.append(paths.join(str(context.interpreter_prefix), basename))
    if env_file is not None:
        files.append(env_file)
    return files


def _normalize_name(name: str) -> str:
    """pip's option-name normalisation: ``cache_dir``, ``--cache-dir`` -> ``cache-dir``."""
    name = name.lower().replace("_", "-")
    return name[2:] if name.startswith("--") else name


def read_config_file(path: Path) -> dict[str, str]:
    """The ``section.name`` settings of one config file, as pip's RawConfigParser reads them.

    A missing or unreadable file gives nothing; a malformed one is an error, as it is for pip.
    """
    if not path.exists():
        return {}
    import configparser  # noqa: PLC0415 - only needed when a config file exists
    import locale  # noqa: PLC0415

    parser = configparser.RawConfigParser()
    encoding = locale.getpreferredencoding(False)
    try:
        parser.read(path, encoding=encoding)
    except UnicodeDecodeError:
        raise CacheDirectoryError(
            f"pip cannot load its config file {path}: it contains invalid {encoding} characters"
        ) from None
    except configparser.Error as error:
        reason = str(error).splitlines()[0]
        raise CacheDirectoryError(f"pip cannot load its config file {path}: {reason}") from None
    return {
        f"{section}.{_normalize_name(name)}": value
        for section in parser.sections()
        for name, value in parser.items(section)
    }


def _settings(context: CacheContext) -> dict[str, _Setting]:
    """Every ``section.name`` setting pip sees: config files, then ``PIP_*`` variables."""
    settings: dict[str, _Setting] = {}
    if _is_native(context.os_family):
        for path in config_file_paths(context):
            for key, value in read_config_file(_on_host(context, path)).items():
                settings[key] = _Setting(value, f"config file {path}")
    for variable, value in _environ(context).items():
        if variable.startswith("PIP_"):
            key = ":env:." + _normalize_name(variable[4:])
            settings[key] = _Setting(value, f"environment variable {variable}")
    return settings


def _option_values(settings: Mapping[str, _Setting], option: str) -> Iterator[_Setting]:
    """The non-empty values pip applies for ``option``, in the order it applies them."""
    for section in _SECTIONS:
        setting = settings.get(f"{section}.{option}")
        if setting is not None and setting.value:
            yield setting


def _refuse_if_disabled(settings: Mapping[str, _Setting]) -> None:
    """Raise as ``pip cache dir`` would fail when ``no-cache-dir`` is set anywhere."""
    values = list(_option_values(settings, "no-cache-dir"))
    for setting in values:
        if setting.value.lower() not in _BOOLEANS:
            raise CacheDirectoryError(
                f"pip refuses to run: no-cache-dir={setting.value!r} from {setting.source}"
                " is not a boolean (yes/no, true/false, 1/0)"
            )
    if values:
        setting = values[-1]
        raise CacheDirectoryError(
            f"pip's cache is disabled: no-cache-dir={setting.value!r} from {setting.source}"
            " (pip disables its cache for any boolean value, even false)"
        )


def _normalize_path(context: CacheContext, path: str) -> str:
    """pip's ``normalize_path``: expand ``~``, make absolute resolving symlinks, normcase."""
    path = _expand_user(context, path)
    if _is_native(context.os_family):
        path = os.path.realpath(_on_host(context, path))
    else:
        paths = _flavour(context.os_family)
        path = paths.normpath(paths.join(str(context.project_directory), path))
    return _flavour(context.os_family).normcase(path)


def pip_cache_directory(context: CacheContext) -> str:
    """What ``python -m pip cache dir`` prints for the context, or CacheDirectoryError."""
    settings = _settings(context)
    _refuse_if_disabled(settings)
    chosen = [setting.value for setting in _option_values(settings, "cache-dir")]
    return _normalize_path(context, chosen[-1] if chosen else default_cache_directory(context))


class PipTool:
    """pip, the fallback tool: its cache holds HTTP responses (http-v2) and built wheels."""

    name = "pip"
    cache_layout_version = "2"
    dependency_file_patterns = (
        "requirements*.txt",
        "constraints*.txt",
        "*.in",
        "pyproject.toml",
        "setup.cfg",
        "setup.py",
    )
    marker_files: tuple[str, ...] = ()

    def cache_directory(self, context: CacheContext) -> Path:
        """The directory ``pip cache dir`` prints; CacheDirectoryError if pip would refuse."""
        return Path(pip_cache_directory(context))


PIP = PipTool()
