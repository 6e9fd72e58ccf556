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
- not a filesystem root, not a home directory (the ``HOME`` variable's, ``USERPROFILE``'s or any
  user's from the password database) nor an ancestor of one, not the workspace nor an ancestor of
  it, not the runner's tool cache (where setup-python's interpreters live) nor the action's own
  checkout, not a home's ``.ssh``/``.gnupg`` (or anything in them) nor the whole of its
  ``.cache``/``.config``/``.local``;
- not a system directory: nothing under ``/usr``, ``/etc``, ``/bin``, ``/sbin``, ``/lib*``,
  ``/boot``, ``/dev``, ``/proc``, ``/sys``, ``/run``, ``/System``, ``/Library``,
  ``C:\\Windows``, ``C:\\Program Files*``, and not ``/var``, ``/tmp``, ``/opt`` and their like
  themselves.

Both the path as given and its real path (symlinks resolved) must pass. ``validate_cache_path``
is pure: every fact about the machine comes in through ``PathFacts``.
"""

from __future__ import annotations

import ntpath
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cache_python_deps.errors import UnsafeCachePathError
from cache_python_deps.github import log_text

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
)
# Directories that may hold caches below them, but are far too wide to be one.
_POSIX_SYSTEM_DIRECTORIES: Final = (
    "/home",
    "/Users",
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
_WINDOWS_SYSTEM_TREES: Final = ("windows", "program files", "program files (x86)")
_WINDOWS_SYSTEM_DIRECTORIES: Final = ("users", "programdata")
# Under a home directory: never cache into these trees, nor these whole directories.
_HOME_SECRET_TREES: Final = (".ssh", ".gnupg")
_HOME_WIDE_DIRECTORIES: Final = (".cache", ".config", ".local")


@dataclass(frozen=True)
class PathFacts:
    """What the validator compares a path with (all absolute, in the target's flavour)."""

    windows: bool = False
    homes: tuple[str, ...] = ()
    workspace: str | None = None
    # Other trees that must not be cached or restored into (tool cache, the action itself).
    protected: tuple[str, ...] = field(default_factory=tuple)


def _join(facts: PathFacts, directory: str, name: str) -> str:
    return ntpath.join(directory, name) if facts.windows else posixpath.join(directory, name)


def _normal(facts: PathFacts, path: str) -> str:
    """Normalised and, on Windows, case-folded with one separator, for comparisons."""
    if facts.windows:
        return ntpath.normpath(path).replace("/", "\\").casefold()
    return posixpath.normpath(path)


def _parts(facts: PathFacts, path: str) -> tuple[str, ...]:
    separator = "\\" if facts.windows else "/"
    return tuple(part for part in _normal(facts, path).split(separator) if part)


def _is_within(facts: PathFacts, path: str, tree: str) -> bool:
    """``path`` is ``tree`` or below it."""
    inner, outer = _parts(facts, path), _parts(facts, tree)
    return inner[: len(outer)] == outer


def _is_absolute(facts: PathFacts, path: str) -> bool:
    if facts.windows:
        drive, rest = ntpath.splitdrive(path)
        return bool(drive) and rest.startswith(("\\", "/"))
    return path.startswith("/")


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
        (not _is_absolute(facts, path), "it is not an absolute path"),
    )
    return next((problem for failed, problem in checks if failed), None)


def _windows_system_problem(parts: tuple[str, ...]) -> str | None:
    below_drive = parts[1:]
    if not below_drive:
        return "it is the root of a drive"
    if below_drive[0] in _WINDOWS_SYSTEM_TREES or (
        len(below_drive) == 1 and below_drive[0] in _WINDOWS_SYSTEM_DIRECTORIES
    ):
        return "it is a system directory"
    return None


def _system_problem(facts: PathFacts, path: str) -> str | None:
    parts = _parts(facts, path)
    if facts.windows:
        return _windows_system_problem(parts)
    if not parts:
        return "it is the root directory"
    for tree in _POSIX_SYSTEM_TREES:
        if _is_within(facts, path, tree):
            return f"it is in the system directory {tree}"
    if "/" + "/".join(parts) in _POSIX_SYSTEM_DIRECTORIES:
        return "it is a system directory"
    return None


def _protected_problem(facts: PathFacts, path: str) -> str | None:
    for home in facts.homes:
        if _is_within(facts, home, path):
            return "it is a home directory or holds one"
        for name in _HOME_SECRET_TREES:
            if _is_within(facts, path, _join(facts, home, name)):
                return f"it is in a home directory's {name}"
        for name in _HOME_WIDE_DIRECTORIES:
            if _normal(facts, path) == _normal(facts, _join(facts, home, name)):
                return f"it is a home directory's whole {name}"
    if facts.workspace and _is_within(facts, facts.workspace, path):
        return "it is the workspace or holds it"
    for tree in facts.protected:
        if _is_within(facts, path, tree) or _is_within(facts, tree, path):
            return "it is, holds or is inside the runner's tool cache or the action itself"
    return None


def path_problem(path: str, facts: PathFacts) -> str | None:
    """Why ``path`` must not be cached, or None when it may."""
    return (
        _syntax_problem(facts, path)
        or _system_problem(facts, path)
        or _protected_problem(facts, path)
    )


def validate_cache_path(
    path: str, *, source: str, facts: PathFacts, real_path: str | None = None
) -> None:
    """Raise UnsafeCachePathError (one line naming ``source``) unless ``path`` may be cached.

    ``real_path`` (symlinks resolved, when the path exists) must pass the same checks.
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


def runner_trees(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The runner's tool cache (setup-python's interpreters) and the action's own checkout."""
    return tuple(
        value
        for value in (environ.get("RUNNER_TOOL_CACHE"), environ.get("GITHUB_ACTION_PATH"))
        if value and Path(value).is_absolute()
    )
