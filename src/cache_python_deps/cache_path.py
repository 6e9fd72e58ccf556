"""Validate the directory handed to ``actions/cache`` before anything is restored into it.

The directory comes from content a pull request controls (``cache-dir`` in a committed
``uv.toml``, ``pyproject.toml``, ``poetry.toml``, ``pdm.toml`` or ``.env``), from environment
variables or from the lookup command. actions/cache reads its ``path`` input as a list of lines
and glob patterns, and restores whatever an entry holds into it, so a bad value could widen what
is saved (``/``, a home directory, the workspace) or restore over the system. A path is accepted
only when it is:

- one line, without control characters or surrounding whitespace;
- absolute, with no glob or negation syntax actions/cache would interpret (``*``, ``?``,
  ``[``, ``]``, ``{``, ``}``, a leading ``!``, ``#`` or ``~``; a backslash outside Windows);
- on Windows, a path on a drive (``C:\\...``, or its device form ``\\\\.\\C:\\...``): not a
  network path (``\\\\server\\share``, which may be this machine's own drive under any of its
  names), not another device path, without ``:`` after the drive (an NTFS stream) and without a
  name ending in a dot or a space (Windows drops them);
- not a filesystem root, not a home directory (the ``HOME`` variable's, ``USERPROFILE``'s or any
  user's from the password database) nor an ancestor of one, not the workspace nor an ancestor of
  it, not the runner's tool cache (where setup-python's interpreters live) nor the action's own
  checkout;
- not in a home's secrets or autostart places, nor the whole of a home's shared directories
  (``_HOME_PLACES``: ``.ssh``, ``.gnupg``; on macOS ``~/Library/Keychains``, the whole
  ``~/Library`` and ``~/Library/Caches``; on Windows ``AppData\\Roaming\\Microsoft``, the whole
  ``AppData``, ``AppData\\Local`` and ``AppData\\Roaming``...); a tool's own directory inside
  them (``~/Library/Caches/pip``, ``AppData\\Local\\pip\\Cache``) is accepted;
- not a system directory: nothing under ``/usr``, ``/etc``, ``/bin``, ``/sbin``, ``/lib*``,
  ``/boot``, ``/dev``, ``/proc``, ``/sys``, ``/run``, ``/System``, ``/Library``,
  ``/opt/homebrew``, ``C:\\Windows``, ``C:\\Program Files*`` or ``C:\\ProgramData``, and not
  ``/var``, ``/tmp``, ``/opt``, ``C:\\Users`` and their like themselves.

Names are compared as the target's file systems compare them (``file_names``): ignoring case
and Unicode normalisation on macOS and Windows, and taking an 8.3 alias (``PROGRA~1``) for any
long name it may stand for. Both the path as given and its real path (symlinks, and on Windows
junctions and 8.3 names, resolved as far as the path exists) must pass. ``validate_cache_path``
is pure: every fact about the machine comes in through ``PathFacts``.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple

from cache_python_deps import file_names
from cache_python_deps.errors import UnsafeCachePathError
from cache_python_deps.github import log_text

if TYPE_CHECKING:
    from cache_python_deps.tools.base import OSFamily

_GLOB_CHARACTERS: Final = frozenset("*?[]{}")
_LEADING_SPECIAL: Final = ("!", "#", "~")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")

# Trees nothing may be cached in (restoring there would overwrite the system).
_POSIX_SYSTEM_TREES: Final = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/proc",
    "/run",
    "/sbin",
    "/sys",
    "/usr",
    "/System",
    "/Library",
    "/private/etc",
    "/private/var/db",
    "/Applications",
    # Homebrew's prefix on Apple silicon (/usr/local on Intel): its bin is on every PATH.
    "/opt/homebrew",
)
# Directories that may hold caches below them, but are far too wide to be one.
_POSIX_SYSTEM_DIRECTORIES: Final = (
    "/home",
    "/Users",
    "/Users/Shared",
    "/mnt",
    "/media",
    "/opt",
    "/private",
    "/private/tmp",
    "/private/var",
    "/root",
    "/srv",
    "/tmp",  # noqa: S108 - a directory refused, not a temporary file used
    "/var",
    "/var/cache",
    "/var/lib",
    "/var/tmp",  # noqa: S108 - likewise
    "/Volumes",
)
# Below any drive. C:\ProgramData holds every user's settings and services' data (pip's site
# pip.ini, the all-users Startup folder, OpenSSH's administrators_authorized_keys, Chocolatey's
# bin on PATH); no tool keeps its cache there (platformdirs' user cache is in the profile).
_WINDOWS_SYSTEM_TREES: Final = (
    ("Windows",),
    ("Program Files",),
    ("Program Files (x86)",),
    ("Program Files (Arm)",),
    ("ProgramData",),
    ("Users", "All Users"),  # a junction to ProgramData
    ("Users", "Default"),  # the profile new users' homes are copied from
    ("Users", "Default User"),  # a junction to Default
)
_WINDOWS_SYSTEM_DIRECTORIES: Final = (("Users",), ("Users", "Public"))


class _HomePlaces(NamedTuple):
    """Places under a home directory: ``trees`` nothing may be cached in (secrets, what runs at
    login), ``whole`` directories that only a tool's own directory below them may be."""

    trees: tuple[str, ...]
    whole: tuple[str, ...]


# Keys and logins every OS keeps under the home by these names (ssh, GnuPG, docker's registry
# logins, the AWS CLI's and kubectl's credentials).
_SECRETS_IN_EVERY_HOME: Final = (".ssh", ".gnupg", ".docker", ".aws", ".kube")

# Relative to each home, with "/" between names. A tool keeps its cache in its own directory
# below a whole one (~/.cache/pip, ~/Library/Caches/pip, AppData\Local\pip\Cache), never in it.
_HOME_PLACES: Final[Mapping[OSFamily, _HomePlaces]] = {
    "linux": _HomePlaces(
        trees=(
            *_SECRETS_IN_EVERY_HOME,
            ".config/gh",  # the GitHub CLI's token
            ".config/autostart",  # desktop sessions run what is placed here at login
            ".local/bin",  # on PATH for login shells: a restored file there shadows a command
        ),
        whole=(".cache", ".config", ".local"),
    ),
    "macos": _HomePlaces(
        trees=(
            *_SECRETS_IN_EVERY_HOME,
            "Library/Keychains",  # passwords, private keys, signing certificates
            "Library/Cookies",  # web sessions
            "Library/LaunchAgents",  # launchd runs what is placed here at login
        ),
        whole=(
            ".cache",
            ".config",
            ".local",
            "Library",
            "Library/Caches",
            "Library/Application Support",
            "Library/Preferences",
            "Library/Containers",  # sandboxed applications' homes
            "Library/Group Containers",
        ),
    ),
    "windows": _HomePlaces(
        trees=(
            *_SECRETS_IN_EVERY_HOME,
            # Credential Manager, DPAPI keys, certificates, the Startup folder; and in Local,
            # WindowsApps (on PATH), more credentials: no tool's cache is Microsoft's own.
            "AppData/Roaming/Microsoft",
            "AppData/Local/Microsoft",
            "AppData/Roaming/gnupg",  # Gpg4win's home
        ),
        whole=(
            ".cache",
            ".config",
            ".local",
            "AppData",
            "AppData/Local",
            "AppData/LocalLow",
            "AppData/Roaming",
            "AppData/Local/Temp",
            "AppData/Local/Packages",  # Store applications' containers
        ),
    ),
}

_NETWORK_PATH: Final = (
    "it is a network path (\\\\server\\share), which may be a drive of this machine under"
    " another name; give a path on a drive"
)


class PathFacts(NamedTuple):
    """What the validator compares a path with: facts about the machine, in its own flavour.

    The OS family defaults to this system's, and with it how names compare (``case_insensitive``
    None: as the family's default file systems do); tests pass another OS's facts in.
    """

    os_family: OSFamily = file_names.host_os_family()  # the process's: fixed while it runs
    homes: tuple[str, ...] = ()
    workspace: str | None = None
    # Other trees that must not be cached or restored into (tool cache, the action itself).
    protected: tuple[str, ...] = ()
    case_insensitive: bool | None = None

    @property
    def windows(self) -> bool:
        """Whether paths are Windows paths (drives, backslashes, 8.3 aliases)."""
        return self.os_family == "windows"

    @property
    def ignores_case(self) -> bool:
        """Whether two names differing only in case (or normalisation) are the same file."""
        if self.case_insensitive is None:
            return file_names.ignores_case(self.os_family)
        return self.case_insensitive


# A path split for comparisons: its anchor ("/" or a drive letter) and the names below it.
_Location = tuple[str, tuple[str, ...]]


def _names(text: str, separator: str) -> tuple[str, ...]:
    """The names of a path below its anchor, ``.`` and ``..`` resolved lexically."""
    names: list[str] = []
    for name in text.split(separator):
        if name == "..":
            names = names[:-1]
        elif name not in {"", "."}:
            names.append(name)
    return tuple(names)


_DRIVE_ROOT: Final = re.compile(r"[A-Za-z]:\\")
_DEVICE_DRIVE: Final = re.compile(r"[A-Za-z]:(\\|\Z)")
_DEVICE_PREFIXES: Final = ("\\\\?\\", "\\\\.\\", "\\??\\")


def _windows_location(path: str) -> _Location | str:
    """A Windows path as its drive letter and names, or why it is not a path on a drive.

    The device forms of a drive (``\\\\.\\C:\\``, ``\\\\?\\C:\\``, ``\\??\\C:\\``) are that drive.
    """
    text = path.replace("/", "\\")
    if text.startswith(_DEVICE_PREFIXES):
        text = text[len(_DEVICE_PREFIXES[0]) :]
        if text[:4].upper() == "UNC\\":
            return _NETWORK_PATH
        if not _DEVICE_DRIVE.match(text):
            return "it is a device path that names no drive"
    elif text.startswith("\\\\"):
        return _NETWORK_PATH
    elif not _DRIVE_ROOT.match(text):
        return "it is not an absolute path"
    return text[0].lower(), _names(text[2:], "\\")


def _location(facts: PathFacts, path: str) -> _Location | str:
    """``path`` split for comparisons, or why it cannot be one the rules accept."""
    if facts.windows:
        return _windows_location(path)
    if not path.startswith("/"):
        return "it is not an absolute path"
    return "/", _names(path, "/")


def _place(facts: PathFacts, path: str) -> _Location | None:
    """A fact's path split for comparisons (None: it names nothing a cache could be in)."""
    location = _location(facts, path)
    return None if isinstance(location, str) else location


def _same_name(facts: PathFacts, first: str, second: str) -> bool:
    if first == second:
        return True
    if facts.ignores_case and file_names.caseless(first) == file_names.caseless(second):
        return True
    return facts.windows and (
        file_names.could_be_short_name(first, second)
        or file_names.could_be_short_name(second, first)
    )


def _starts_with(facts: PathFacts, location: _Location, prefix: _Location) -> bool:
    """``location`` is ``prefix`` or below it (as the target's file systems compare names)."""
    (anchor, names), (prefix_anchor, prefix_names) = location, prefix
    return (
        anchor == prefix_anchor
        and len(names) >= len(prefix_names)
        and all(_same_name(facts, a, b) for a, b in zip(names, prefix_names, strict=False))
    )


def _is(facts: PathFacts, location: _Location, place: _Location) -> bool:
    return len(location[1]) == len(place[1]) and _starts_with(facts, location, place)


def _below(place: _Location, relative: str) -> _Location:
    return place[0], place[1] + tuple(relative.split("/"))


def _shown(facts: PathFacts, relative: str) -> str:
    return relative.replace("/", "\\") if facts.windows else relative


def _syntax_problem(facts: PathFacts, path: str) -> str | None:
    glob = sorted(_GLOB_CHARACTERS.intersection(path))
    if not facts.windows and "\\" in path:
        glob.append("\\")
    checks = (
        (not path, "it is empty"),
        (
            bool(_CONTROL.search(path)),
            "it is not one line (it holds a line break or a control character)",
        ),
        (path != path.strip(), "it starts or ends with whitespace"),
        (
            path.startswith(_LEADING_SPECIAL),
            f"it starts with {path[:1]!r}, which actions/cache reads as pattern syntax",
        ),
        (bool(glob), f"it holds {' '.join(glob)}, which actions/cache reads as glob syntax"),
    )
    return next((problem for failed, problem in checks if failed), None)


def _windows_name_problem(names: tuple[str, ...]) -> str | None:
    if any(":" in name for name in names):
        return "it holds ':' after the drive, which names an NTFS stream"
    if any(name.endswith((".", " ")) for name in names):
        return "it holds a name ending in a dot or a space, which Windows drops"
    return None


def _windows_system_problem(facts: PathFacts, location: _Location) -> str | None:
    drive, names = location
    if not names:
        return "it is the root of a drive"
    for tree in _WINDOWS_SYSTEM_TREES:
        if _starts_with(facts, location, (drive, tree)):
            shown = "\\".join((f"{drive.upper()}:", *tree))
            return f"it is in the system directory {shown}"
    if any(_is(facts, location, (drive, directory)) for directory in _WINDOWS_SYSTEM_DIRECTORIES):
        return "it is a system directory"
    return None


def _posix_system_problem(facts: PathFacts, location: _Location) -> str | None:
    if not location[1]:
        return "it is the root directory"
    for tree in _POSIX_SYSTEM_TREES:
        if _starts_with(facts, location, ("/", _names(tree, "/"))):
            return f"it is in the system directory {tree}"
    for directory in _POSIX_SYSTEM_DIRECTORIES:
        if _is(facts, location, ("/", _names(directory, "/"))):
            return "it is a system directory"
    return None


def _home_problem(facts: PathFacts, location: _Location, home: _Location) -> str | None:
    if _starts_with(facts, home, location):
        return "it is a home directory or holds one"
    places = _HOME_PLACES[facts.os_family]
    for tree in places.trees:
        if _starts_with(facts, location, _below(home, tree)):
            return f"it is in a home directory's {_shown(facts, tree)}"
    for whole in places.whole:
        if _is(facts, location, _below(home, whole)):
            return f"it is a home directory's whole {_shown(facts, whole)}"
    return None


def _protected_problem(facts: PathFacts, location: _Location) -> str | None:
    for home in filter(None, (_place(facts, home) for home in facts.homes)):
        problem = _home_problem(facts, location, home)
        if problem:
            return problem
    workspace = _place(facts, facts.workspace) if facts.workspace else None
    if workspace and _starts_with(facts, workspace, location):
        return "it is the workspace or holds it"
    for tree in filter(None, (_place(facts, tree) for tree in facts.protected)):
        if _starts_with(facts, location, tree) or _starts_with(facts, tree, location):
            return "it is, holds or is inside the runner's tool cache or the action itself"
    return None


def path_problem(path: str, facts: PathFacts) -> str | None:
    """Why ``path`` must not be cached, or None when it may."""
    syntax = _syntax_problem(facts, path)
    if syntax:
        return syntax
    location = _location(facts, path)
    if isinstance(location, str):
        return location
    if facts.windows:
        system = _windows_name_problem(location[1]) or _windows_system_problem(facts, location)
    else:
        system = _posix_system_problem(facts, location)
    return system or _protected_problem(facts, location)


def validate_cache_path(
    path: str, *, source: str, facts: PathFacts, real_path: str | None = None
) -> None:
    """Raise UnsafeCachePathError (one line naming ``source``) unless ``path`` may be cached.

    ``real_path`` (``real_path(path)``: links resolved as far as the path exists) must pass the
    same checks.
    """
    for candidate in (path, real_path):
        if candidate is None:
            continue
        problem = path_problem(candidate, facts)
        if problem:
            shown = log_text(candidate, limit=200)
            via = "" if candidate == path else f" (the real path of {log_text(path, limit=200)})"
            raise UnsafeCachePathError(
                f"refusing to cache {shown!r}{via} from {log_text(source, limit=200)}: {problem}"
            )


def home_directories(
    home_variables: Iterable[str | None], password_database_homes: Iterable[str]
) -> tuple[str, ...]:
    """Every home directory to protect: from variables and the password database."""
    found = {value for value in (*home_variables, *password_database_homes) if value}
    # "/" (some system accounts) is refused as a root anyway; a relative HOME names nothing.
    return tuple(sorted(home for home in found if home not in {"/", "\\"} and _absolute(home)))


def _absolute(path: str) -> bool:
    return posixpath.isabs(path) or bool(ntpath.splitdrive(path)[0])


# The I/O edge of this module: facts read from the system, for the callers to pass in.


def password_database_homes() -> list[str]:
    """Every user's home directory from the password database (none on Windows)."""
    try:
        import pwd  # noqa: PLC0415 - POSIX only
    except ImportError:  # pragma: no cover - Windows
        return []
    try:
        return [entry.pw_dir for entry in pwd.getpwall()]
    except OSError:  # pragma: no cover - an unreadable password database
        return []


def real_path(path: str) -> str | None:
    """``path`` with its links resolved as far as it exists (None: the OS cannot say).

    The part that does not exist yet is kept as given: ``link/new`` is the link's target's
    ``new``. On Windows this also resolves junctions and 8.3 names (``C:\\PROGRA~1\\new`` is
    ``C:\\Program Files\\new``).
    """
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):  # a NUL byte, a name the OS refuses
        return None


def runner_trees(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The runner's tool cache (setup-python's interpreters) and the action's own checkout."""
    return tuple(
        value
        for value in (environ.get("RUNNER_TOOL_CACHE"), environ.get("GITHUB_ACTION_PATH"))
        if value and Path(value).is_absolute()
    )
