"""pip: the cache directory ``pip install`` uses, found without starting pip.

pip takes its cache directory from three layers, lowest precedence first:

1. the default, platformdirs' user cache dir for the app name ``pip`` (``pip\\Cache`` on Windows);
2. config files: global, then user (skipped when ``PIP_CONFIG_FILE`` names an existing file),
   then site (``<sys.prefix>/pip.conf``), then ``PIP_CONFIG_FILE``; a later file overrides a key
   of an earlier one, and ``PIP_CONFIG_FILE=os.devnull`` skips every file;
3. ``PIP_*`` environment variables.

Within the files, ``[global]`` is read first and the command's own section overrides it,
whichever file each came from: ``[install]`` for ``pip install`` (what is cached), ``[cache]``
for ``pip cache dir`` (so a ``cache-dir`` in ``[install]`` moves the install cache and not ``pip
cache dir``'s answer). ``no-cache-dir`` with any boolean value, even ``false``, disables the
cache; any other value is an error. The chosen path is then expanded and normalised as pip does
(``~``, symlinks, relative to the working directory, case on Windows). A config file pip cannot
open (a directory, no permission) is skipped, as pip's configparser skips it; one that is not a
regular file or is oversized is refused (pip would hang on a FIFO or read ``/dev/zero`` forever).

Then pip's ownership check (``check_path_owner``): as root, pip disables its cache when the
nearest existing part of the path is not owned by root (a GitHub container job, where
``HOME=/github/home`` belongs to the runner's user); as anyone else, when it is not writable.
Caching that directory would save nothing: CacheDirectoryError says why and how to fix it.

The defaults follow the platformdirs vendored in the target's pip (``CacheContext.pip_version``;
see ``_platformdirs`` for the rules of each release), on Windows too: pip 26.2 (platformdirs
4.10.0) honours ``XDG_*`` on macOS and strips the values, and takes the ``WIN_PD_OVERRIDE_*``
variables on Windows; 26.3 (4.12.4) ignores relative ones of either and finds the home in the
password database when ``HOME`` is empty. These are the rules of pip 21.3 to 26.3
(checked against real pip 23.0, 23.2, 24.2 and 26.3). Not modelled: 26.3 rejecting a file that
spells one key two ways (``cache-dir`` and ``cache_dir``), and pip's ``appdirs`` before 21.3.

The target's pip is the one ``python -m pip`` runs in the job (``pip_location``); a pip whose
version cannot be told is taken for one of 25.3 to 26.1 (below), and only an interpreter that
certainly has none (``CacheContext.has_pip``) is refused.

Every fact comes from the ``CacheContext``; the only I/O is reading the config files and
looking at the path on disk (existence, owner), done only when the target's paths are native to
this host.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.safe_files import MAX_CONFIG_BYTES, read_regular_file
from cache_python_deps.tools import _common, _platformdirs
from cache_python_deps.tools._layout import TopLevelLayout
from cache_python_deps.tools.base import CacheContext, CacheLocation, OSFamily, Tool
from cache_python_deps.tools.releases import Gate, installed_release

# The platformdirs each pip release vendors (pip's src/pip/_vendor/vendor.txt), newest first;
# a release not listed has its predecessor's.
_VENDORED_PLATFORMDIRS: Final = (
    ((26, 3), "4.12.4"),
    ((26, 2), "4.10.0"),
    ((26, 0), "4.5.1"),
    ((25, 3), "4.5.0"),
    ((25, 2), "4.3.8"),
    ((25, 1), "4.3.7"),
    ((25, 0), "4.3.6"),
    ((24, 2), "4.2.2"),
    ((24, 1), "4.2.1"),
    ((23, 2), "3.8.1"),
    ((23, 1), "3.2.0"),
    ((23, 0), "2.6.2"),
    ((22, 1), "2.5.2"),
    ((22, 0), "2.4.1"),
    ((21, 3), "2.4.0"),
)
# An unknown pip is taken for one of the long 4.5.x era (every pip from 25.3 to 26.1).
_UNKNOWN_PIP_PLATFORMDIRS: Final = "4.5.1"
# pip 25.2 pooled the config files' values section by section, dropping empty ones file by file;
# 26.0 merges the files again before dropping them (read in pip's cli/parser.py at each release).
_EMPTY_VALUE_SKIPPED: Final = Gate("pip", (25, 2), "an empty value in a later file is skipped")
_EMPTY_VALUE_UNSETS: Final = Gate("pip", (26, 0), "an empty value in a later file unsets again")


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
    """One configuration value and where it came from (for messages)."""

    value: str
    # "[install] cache-dir in /etc/pip.conf", "PIP_CACHE_DIR".
    source: str


def _flavour(os_family: OSFamily) -> _PathModule:
    """The path module of the target OS family."""
    return ntpath if os_family == "windows" else posixpath


def _on_host(context: CacheContext, path: str) -> Path:
    """A path pip would open relative to its working directory, as this process must open it."""
    return context.project_directory / path


def _exists(context: CacheContext, path: str) -> bool:
    """``os.path.exists`` as pip would call it (always False for a foreign OS family)."""
    return _common.native(context) and _on_host(context, path).exists()


def vendored_platformdirs(pip_version: str | None) -> str:
    """The platformdirs release vendored in pip ``pip_version`` (``"26.3"`` -> ``"4.12.4"``)."""
    version = _platformdirs.version_tuple(pip_version)
    if version is None:
        return _UNKNOWN_PIP_PLATFORMDIRS
    for first_pip, platformdirs_version in _VENDORED_PLATFORMDIRS:
        if version[:2] >= first_pip:
            return platformdirs_version
    return _VENDORED_PLATFORMDIRS[-1][1]


def _dirs(context: CacheContext) -> _platformdirs.Platformdirs:
    return _platformdirs.Platformdirs.of(vendored_platformdirs(context.pip_version), "pip")


def default_cache_directory(context: CacheContext) -> str:
    """pip's built-in cache directory (``USER_CACHE_DIR``) before pip normalises it."""
    return _platformdirs.user_cache_dir(context, _dirs(context), "pip", appauthor=False)


def _global_config_directories(context: CacheContext) -> list[str]:
    """The directories of pip's global (site-wide) config files, lowest precedence first."""
    dirs = _dirs(context)
    if context.os_family == "macos":
        directories = _platformdirs.site_data_dirs_macos(context, dirs, "pip")
        prefix = str(context.interpreter_prefix)
        homebrew = directories == ["/Library/Application Support/pip"] and "/opt/python" in prefix
        if homebrew:  # a Homebrew Python: its prefix's share/ comes first
            directories.insert(0, prefix.split("/opt/python", maxsplit=1)[0] + "/share/pip")
        return directories
    directories = _platformdirs.site_config_dirs(
        context, dirs, "pip", appauthor=False, multipath=True
    )
    return directories if context.os_family == "windows" else [*directories, "/etc"]


def _user_config_directory(context: CacheContext) -> str:
    """The directory of pip's (new-style) user config file."""
    dirs = _dirs(context)
    if context.os_family == "macos":
        application_support = _platformdirs.user_dir(
            context, dirs, "data", "pip", appauthor=False, roaming=True
        )
        if _common.is_dir(context, _on_host(context, application_support)):
            return application_support
        return _common.expand_user(context, "~/.config/pip", strict=False)
    return _platformdirs.user_dir(context, dirs, "config", "pip", appauthor=False, roaming=True)


def config_file_paths(context: CacheContext) -> list[str]:
    """The config files pip would load, lowest precedence first, named as pip names them.

    Files that do not exist are listed too (pip skips them when reading). Relative names are
    relative to pip's working directory, the context's project directory.
    """
    paths = _flavour(context.os_family)
    basename = "pip.ini" if context.os_family == "windows" else "pip.conf"
    env_file = _common.getenv(context, "PIP_CONFIG_FILE")
    if env_file == paths.devnull:
        return []
    files = [paths.join(directory, basename) for directory in _global_config_directories(context)]
    if not (env_file and _exists(context, env_file)):
        legacy = "pip" if context.os_family == "windows" else ".pip"
        home = _common.expand_user(context, "~", strict=False)
        files.append(paths.join(home, legacy, basename))
        files.append(paths.join(_user_config_directory(context), basename))
    files.append(paths.join(str(context.interpreter_prefix), basename))
    if env_file is not None:
        files.append(env_file)
    return files


def _normalize_name(name: str) -> str:
    """pip's option-name normalisation: ``cache_dir``, ``--cache-dir`` -> ``cache-dir``."""
    name = name.lower().replace("_", "-")
    return name[2:] if name.startswith("--") else name


def _opened_by_pip(path: Path) -> bool:
    """Whether pip's configparser gets past ``open()``: it skips a file it cannot open."""
    return not path.is_dir() and os.access(path, os.R_OK)


def read_config_file(path: Path) -> dict[str, str]:
    """The ``section.name`` settings of one config file, as pip's RawConfigParser reads them.

    A missing file, or one pip cannot open (a directory, no permission), gives nothing; a
    malformed one is an error, as it is for pip; one that is not a regular file or is larger
    than ``MAX_CONFIG_BYTES`` is an UnreadableFileError (pip would hang or read forever).
    """
    if path.exists() and not _opened_by_pip(path):
        return {}
    data = read_regular_file(path, limit=MAX_CONFIG_BYTES, what="pip config file")
    if data is None:
        return {}
    # Only when a config file exists: off the measured path of a runner without one.
    import configparser  # noqa: PLC0415
    import locale  # noqa: PLC0415

    encoding = locale.getpreferredencoding(False)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise CacheDirectoryError(
            f"pip cannot load its config file {path}: it contains invalid {encoding} characters"
        ) from None
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as error:
        reason = str(error).splitlines()[0]
        raise CacheDirectoryError(f"pip cannot load its config file {path}: {reason}") from None
    return {
        f"{section}.{_normalize_name(name)}": value
        for section in parser.sections()
        for name, value in parser.items(section)
    }


def _settings(context: CacheContext) -> dict[str, _Setting]:
    """Every ``section.name`` setting pip sees: config files, then ``PIP_*`` variables.

    A later file's empty value unsets an earlier file's, except in pip 25.2 and 25.3, which
    skip empty values file by file (the earlier value stands).
    """
    release = installed_release(context, "pip")
    empty_unsets = not release.since(_EMPTY_VALUE_SKIPPED) or release.since(_EMPTY_VALUE_UNSETS)
    settings: dict[str, _Setting] = {}
    if _common.native(context):
        for path in config_file_paths(context):
            for key, value in read_config_file(_on_host(context, path)).items():
                if not value and not empty_unsets:
                    continue
                section, name = key.split(".", 1)
                settings[key] = _Setting(value, f"[{section}] {name} in {path}")
    for variable, value in _common.environ(context).items():
        if variable.startswith("PIP_"):
            key = ":env:." + _normalize_name(variable[4:])
            settings[key] = _Setting(value, variable)
    return settings


def _option_values(
    settings: Mapping[str, _Setting], option: str, command: str
) -> Iterator[_Setting]:
    """The non-empty values pip applies for ``option``, in the order it applies them."""
    for section in ("global", command, ":env:"):
        setting = settings.get(f"{section}.{option}")
        if setting is not None and setting.value:
            yield setting


def _refuse_if_disabled(settings: Mapping[str, _Setting], command: str) -> None:
    """Raise as pip does when ``no-cache-dir`` is set anywhere it reads for ``command``."""
    values = list(_option_values(settings, "no-cache-dir", command))
    for setting in values:
        if _common.boolean(setting.value) is None:  # pip's strtobool, as uv's
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
    path = _common.expand_user(context, path)
    if _common.native(context):
        path = os.path.realpath(_on_host(context, path))
    else:
        paths = _flavour(context.os_family)
        path = paths.normpath(paths.join(str(context.project_directory), path))
    return _flavour(context.os_family).normcase(path)


def _nearest_existing(path: str) -> str | None:
    """``path`` or its nearest ancestor that exists (a dangling symlink counts, as for pip)."""
    previous = None
    while path != previous:
        if os.path.lexists(path):
            return path
        previous, path = path, posixpath.dirname(path)
    return None


def _usable_by(uid: int, existing: str) -> bool:
    """pip's ``check_path_owner`` verdict on the nearest existing part of the cache path.

    For root, pip opens it with ``O_NOFOLLOW`` and wants uid 0 (a symlink fails the open);
    ``lstat`` gives the same answer without opening a FIFO or a device. For anyone else pip asks
    ``os.access(W_OK)``, which answers for this process: the caller checks only its own uid.
    """
    if uid != 0:
        return os.access(existing, os.W_OK)
    try:
        status = os.lstat(existing)
    except OSError:
        return False
    return not stat.S_ISLNK(status.st_mode) and status.st_uid == 0


def check_ownership(context: CacheContext, location: CacheLocation) -> None:
    """Raise when pip would disable its cache because of who owns the directory.

    pipenv hands its cache to pip, so the check is pipenv's too.
    """
    uid = context.effective_uid
    if uid is None or context.os_family == "windows" or not _common.native(context):
        return
    if uid not in (0, os.geteuid()):
        return  # os.access answers for this process only: another user's access is unknown
    path = os.path.realpath(location.path)  # pip checks the path it normalised
    existing = _nearest_existing(path)
    if existing is not None and _usable_by(uid, existing):
        return
    where = path if existing == path else f"{existing} (the nearest existing part of {path})"
    if uid == 0:
        owner = _owner(existing)
        raise CacheDirectoryError(
            f"pip disables its cache: {where}, from {location.source}, is owned by {owner},"
            " not by root, who runs pip (as in a container job whose HOME belongs to the"
            " runner's user); set PIP_CACHE_DIR to a directory root owns"
        )
    raise CacheDirectoryError(
        f"pip disables its cache: {where}, from {location.source}, is not writable by uid"
        f" {uid}, who runs pip; set PIP_CACHE_DIR to a directory this user can write"
    )


def _owner(existing: str | None) -> str:
    if existing is None:
        return "nobody"
    try:
        status = os.lstat(existing)
    except OSError:
        return "an owner that cannot be read"
    kind = "a symlink of uid" if stat.S_ISLNK(status.st_mode) else "uid"
    return f"{kind} {status.st_uid}"


def cache_location(context: CacheContext, command: str = "install") -> CacheLocation:
    """The cache directory pip ``command`` uses (``"cache"``: what ``pip cache dir`` prints).

    CacheDirectoryError when pip would refuse, or run without a cache.
    """
    if not context.has_pip:
        raise CacheDirectoryError(
            f"the interpreter at {context.interpreter_prefix} has no pip, so `python -m pip`"
            " fails there: install pip into it (python -m ensurepip) or pick the tool that"
            " installs your packages (tool: uv, poetry, pipenv or pdm)"
        )
    default = default_cache_directory(context)  # pip computes it on import, even when unused
    settings = _settings(context)
    _refuse_if_disabled(settings, command)
    chosen = list(_option_values(settings, "cache-dir", command))
    setting = chosen[-1] if chosen else _Setting(default, "pip's default")
    location = CacheLocation(Path(_normalize_path(context, setting.value)), setting.source)
    check_ownership(context, location)
    return location


def _no_lock_file(context: CacheContext) -> None:
    """None: pip keeps no lock; what is in use is the environment it installed into."""


# -- pruning ---------------------------------------------------------------------------------
# pip's cache (pip's cache.py, network/cache.py, self_outdated_check.py): ``http-v2/`` (pip >= 23.3)
# and ``http/`` (older pip) hold HTTP responses, i.e. downloaded wheels, sdists and index pages:
# the same for every interpreter and fetched again cheaply. ``wheels/`` holds wheels pip built
# from sdists, under a path hashed from the link and the interpreter's name and X.Y version: the
# slow, ABI-sensitive part worth keeping, dropped too when the ABI is unstable (a pre-release's
# wheels would be reused by the next pre-release). pip finds a built wheel by its link's
# directory (``wheels/<2>/<2>/<2>/<rest>/``, holding the wheels and ``origin.json``): removing
# that directory whole leaves nothing pointing at it (pip's ``cache.py``). ``selfcheck/`` (pip's
# version check; ``selfcheck.json`` before pip 20) is kept. pip creates nothing else at the top.

LAYOUT: Final = TopLevelLayout(
    # Bump when this project's idea of pip's cache changes incompatibly.
    version="2",
    entries=frozenset({"http-v2", "http", "wheels", "selfcheck", "selfcheck.json"}),
    downloads=("http-v2", "http"),
    built=("wheels",),
)

# -- the tool ----------------------------------------------------------------------------------
# The fallback tool: what ``auto`` picks when no other tool's files are there.
_DEPENDENCY_FILE_PATTERNS: Final = (
    "requirements*.txt",
    "constraints*.txt",
    "*.in",
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
)
PIP: Final = Tool("pip", _DEPENDENCY_FILE_PATTERNS, cache_location, LAYOUT, _no_lock_file)
