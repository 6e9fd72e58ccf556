"""Poetry: the cache directory ``poetry install`` uses, computed in-process.

Order (poetry's ``Config.get``, ``Config.create``, ``Factory.create_poetry`` and the ``config``
command, read at poetry 1.8.5, 2.0.0, 2.1.0 and 2.4.1, checked against the real poetry 1.8.5,
2.0.0, 2.1.0 and 2.5.1):

1. ``POETRY_CACHE_DIR``.
2. ``cache-dir`` in the project's ``poetry.toml``, next to the nearest ``pyproject.toml`` found
   from the project directory upwards, and only when poetry accepts that ``pyproject.toml`` as a
   project (``poetry config`` catches the rejection and goes on without it; ``poetry install``
   stops). Poetry 2 accepts a ``[project]`` or ``[tool.poetry]`` table naming the project: in
   package mode (``package-mode``, a boolean, true by default) a name and a version, each from
   ``[project]`` or ``[tool.poetry]``; poetry 1.8 needs ``[tool.poetry]`` with, in package mode,
   ``name``, ``version``, a one-line ``description`` and ``authors``. Names, versions and
   descriptions are strings, ``authors`` a list of strings. Where poetry fails on the file
   itself, so does this module (CacheDirectoryError): ``[tool]``, ``[tool.poetry]`` or (poetry
   2) ``[project]`` that is not a table, a project name that is not a string, and a file that
   cannot be parsed (poetry 2.0 to 2.2 skip it as no project instead).
3. ``cache-dir`` in ``auth.toml``, then in ``config.toml``, in poetry's config directory
   (poetry merges ``auth.toml`` over ``config.toml``): ``POETRY_CONFIG_DIR``, else
   ``platformdirs.user_config_dir("pypoetry", appauthor=False, roaming=True)``. Poetry 1.8 on
   macOS takes ``Preferences/pypoetry`` beside that directory's parent instead when a
   ``config.toml`` or ``auth.toml`` is there (the platformdirs 2 location).
4. ``platformdirs.user_cache_dir("pypoetry", appauthor=False)``: ``~/.cache/pypoetry``,
   ``~/Library/Caches/pypoetry``, ``%LOCALAPPDATA%\\pypoetry\\Cache``.

A ``{key}`` in a value is replaced by that setting, found the same way (``POETRY_<KEY>``, then
the files, then poetry's default): ``{data-dir}`` (its default from poetry 2.1: ``POETRY_HOME``,
else ``platformdirs.user_data_dir("pypoetry", appauthor=False, roaming=True)``; before, only a
``data-dir`` set in the environment or a file) and ``{cache-dir}`` are the useful ones; a key with
no value stays as written, and a value that refers to itself makes poetry fail (RecursionError).
Poetry then expands ``~`` (``Path(...).expanduser()``); a relative value is relative to the
working directory (the project directory).

The rules are those of the poetry on ``PATH`` (its release read from its ``METADATA``, see
``releases``; the newest rules when it is not found), back to poetry 1.8; its defaults follow
the platformdirs of poetry's own environment: see ``_platformdirs``.

Not mirrored: the rest of poetry's schema check of ``pyproject.toml`` (a project that names
itself but fails it keeps its ``poetry.toml`` here, while every poetry command that needs the
project stops), ``requires-poetry`` (poetry 2 stops when it does not allow the running poetry),
and references to poetry defaults other than the directories above.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools import _common, _installed, _platformdirs
from cache_python_deps.tools._layout import hashed_built_wheels, only_own_entries
from cache_python_deps.tools.base import BuiltWheels, CacheContext, CacheLocation, LockFile, Tool
from cache_python_deps.tools.releases import Gate, ToolRelease, installed_release

if TYPE_CHECKING:
    from cache_python_deps.removal import CacheTree, Entry

__all__ = ["POETRY"]

_APP_NAME: Final = "pypoetry"
_SETTING: Final = "cache-dir"
_REFERENCE: Final = re.compile(r"{(.+?)}")

# Rule changes between poetry releases (read in poetry's source at each release).
_PROJECT_TABLE: Final = Gate(
    "poetry", (2, 0, 0), "a [project] table names the project; [tool.poetry] is optional"
)
_NO_LEGACY_MACOS_CONFIG: Final = Gate(
    "poetry", (2, 0, 0), "no legacy Preferences config directory on macOS"
)
_PARSED_FIRST: Final = Gate(
    "poetry",
    (2, 3, 0),
    "pyproject.toml is parsed before the project is created: an unparsable one stops poetry"
    " (2.0 to 2.2 skip it)",
)
_DATA_DIR_SETTING: Final = Gate(
    "poetry", (2, 1, 0), "data-dir and python.installation-dir have defaults"
)


def _release(context: CacheContext) -> ToolRelease:
    return installed_release(context, "poetry")


def _exists(context: CacheContext, path: Path) -> bool:
    return _common.native(context) and path.exists()


def config_directory(context: CacheContext, release: ToolRelease | None = None) -> Path:
    """Poetry's configuration directory (where its global ``config.toml`` lives)."""
    configured = _common.getenv(context, "POETRY_CONFIG_DIR")
    if configured:
        directory = _common.resolve_path(context, configured, expand=False)
    else:
        dirs = _installed.platformdirs_rules(context, "poetry")
        path = _platformdirs.user_dir(
            context, dirs, "config", _APP_NAME, appauthor=False, roaming=True
        )
        directory = _common.resolve_path(context, path, expand=False)
    release = release or _release(context)
    if context.os_family == "macos" and not release.since(_NO_LEGACY_MACOS_CONFIG):
        legacy = directory.parent.parent / "Preferences" / _APP_NAME
        if any(_exists(context, legacy / name) for name in ("config.toml", "auth.toml")):
            return legacy
    return directory


def _defaults(context: CacheContext, release: ToolRelease) -> dict[str, str]:
    """The directory defaults poetry computes when it is imported."""
    dirs = _installed.platformdirs_rules(context, "poetry")
    cache_dir = _platformdirs.user_cache_dir(context, dirs, _APP_NAME, appauthor=False)
    defaults = {
        "cache-dir": cache_dir,
        "virtualenvs.path": str(PurePosixPath("{cache-dir}", "virtualenvs")),
    }
    if not release.since(_DATA_DIR_SETTING):
        return defaults
    poetry_home = _common.getenv(context, "POETRY_HOME")
    if poetry_home:
        data_dir = str(_common.resolve_path(context, poetry_home, expand=True))
    else:
        data_dir = _platformdirs.user_dir(
            context, dirs, "data", _APP_NAME, appauthor=False, roaming=True
        )
    return defaults | {
        "data-dir": data_dir,
        "python.installation-dir": str(PurePosixPath("{data-dir}", "python")),
    }


def _table(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _strings(table: Mapping[str, Any], *keys: str) -> bool:
    """Whether each of ``keys`` that ``table`` sets is a string (poetry's schemas)."""
    return all(isinstance(table[key], str) for key in keys if key in table)


def _described(tool_poetry: Mapping[str, Any]) -> bool:
    """``description`` (one line) and ``authors`` (strings) as poetry's schema wants them."""
    authors = tool_poetry.get("authors", [])
    return (
        _strings(tool_poetry, "description")
        and "\n" not in tool_poetry.get("description", "")
        and isinstance(authors, list)
        and all(isinstance(author, str) for author in authors)
    )


def _legacy_project(tool_poetry: Mapping[str, Any]) -> bool:
    """Whether poetry 1.8 accepts this ``[tool.poetry]`` table."""
    package_mode = tool_poetry.get("package-mode", True)
    if not isinstance(package_mode, bool) or not _strings(tool_poetry, "name", "version"):
        return False
    required = ("name", "version", "description", "authors")
    return _described(tool_poetry) and (
        not package_mode or all(key in tool_poetry for key in required)
    )


def _named_project(project: Mapping[str, Any], tool_poetry: Mapping[str, Any]) -> bool:
    """Whether poetry 2 accepts these ``[project]`` and ``[tool.poetry]`` tables."""
    package_mode = tool_poetry.get("package-mode", True)
    if not isinstance(package_mode, bool) or not _described(tool_poetry):
        return False
    if not _strings(project, "name", "version") or not _strings(tool_poetry, "name", "version"):
        return False
    return not package_mode or all(
        project.get(key) or tool_poetry.get(key) for key in ("name", "version")
    )


def _stops(pyproject: Path, reason: str) -> CacheDirectoryError:
    return CacheDirectoryError(f"poetry stops on {pyproject}: {reason}")


def _accepts_project(pyproject: Path, data: Mapping[str, Any], release: ToolRelease) -> bool:
    """Whether poetry takes this ``pyproject.toml`` for a project (see the module docstring).

    Where poetry itself fails on it (a table that is not one, a name that is not a string:
    an uncaught error in poetry's checks), CacheDirectoryError.
    """
    tool = _table(data.get("tool", {}))
    tool_poetry = None if tool is None else _table(tool.get("poetry", {}))
    if tool is None or tool_poetry is None:
        raise _stops(pyproject, "[tool] or [tool.poetry] is not a table")
    project = _table(data.get("project", {})) if release.since(_PROJECT_TABLE) else {}
    if project is None:
        raise _stops(pyproject, "[project] is not a table")
    name = project.get("name") or tool_poetry.get("name")
    if name is not None and not isinstance(name, str):
        raise _stops(pyproject, "the project's name is not a string")
    if not release.since(_PROJECT_TABLE):
        return "poetry" in tool and _legacy_project(tool_poetry)  # poetry 1 needs the table
    return _named_project(project, tool_poetry)


def _parsed_pyproject(pyproject: Path, context: CacheContext, release: ToolRelease) -> Any:
    """The project's ``pyproject.toml``; None when poetry 2.0 to 2.2 skip one it cannot parse."""
    try:
        return _common.read_toml(context, pyproject)
    except CacheDirectoryError as error:  # a parse error (an unreadable file is another error)
        if release.since(_PROJECT_TABLE) and not release.since(_PARSED_FIRST):
            return None
        raise _stops(pyproject, str(error)) from None


def _local_config_file(context: CacheContext, release: ToolRelease) -> Path | None:
    """The project's ``poetry.toml``, when poetry accepts the project it belongs to."""
    # Poetry takes the nearest pyproject.toml that exists, whatever it is (a FIFO would hang
    # it, a directory stop it: reading it here refuses both).
    pyproject = next(
        (
            directory / "pyproject.toml"
            for directory in _common.ancestors(context.project_directory)
            if _exists(context, directory / "pyproject.toml")
        ),
        None,
    )
    if pyproject is None:
        return None
    data = _parsed_pyproject(pyproject, context, release)
    if data is None or not _accepts_project(pyproject, data, release):
        return None
    return pyproject.parent / "poetry.toml"


class _Config(NamedTuple):
    """Poetry's settings: the environment, the config files (nearest first), the defaults."""

    context: CacheContext
    files: tuple[tuple[Path, Mapping[str, Any]], ...]
    defaults: Mapping[str, str]

    def raw(self, key: str) -> tuple[Any, str] | None:
        """A setting's value before ``{}`` references are replaced, and its source."""
        variable = "POETRY_" + "_".join(k.upper().replace("-", "_") for k in key.split("."))
        value = _common.getenv(self.context, variable)
        if value is not None:
            return value, variable
        for path, data in self.files:
            found: Any = data
            for part in key.split("."):
                found = found.get(part) if isinstance(found, Mapping) else None
            if found is not None:
                return found, f"{key} in {path}"
        if key in self.defaults:
            return self.defaults[key], "poetry's default"
        return None

    def get(self, key: str, seen: frozenset[str] = frozenset()) -> str | None:
        """A setting with its ``{key}`` references replaced, as poetry's ``Config.get``."""
        if key in seen:
            raise CacheDirectoryError(
                f"poetry fails: the setting {key!r} refers to itself through {{{key}}}"
            )
        found = self.raw(key)
        if found is None:
            return None
        value = found[0]
        if not isinstance(value, str):
            return str(value)

        def replace(match: re.Match[str]) -> str:
            resolved = self.get(match.group(1), seen | {key})
            return match.group(0) if resolved is None else resolved

        return _REFERENCE.sub(replace, value)


def _config(context: CacheContext) -> _Config:
    release = _release(context)
    directory = config_directory(context, release)
    files = []
    # Nearest first: poetry merges auth.toml over config.toml, and poetry.toml over both.
    for path in (
        _local_config_file(context, release),
        directory / "auth.toml",
        directory / "config.toml",
    ):
        data = None if path is None else _common.read_toml(context, path)
        if path is not None and data is not None:
            files.append((path, data))
    return _Config(context, tuple(files), _defaults(context, release))


def cache_location(context: CacheContext) -> CacheLocation:
    """The directory poetry caches in, ``~`` expanded, made absolute, and where it came from."""
    _common.environ_value(context, "POETRY_CACHE_DIR")  # empty: poetry would use the cwd
    config = _config(context)
    found = config.raw(_SETTING)
    if found is None or not isinstance(found[0], str):
        where = "poetry's settings" if found is None else found[1]
        raise CacheDirectoryError(f"{where}: {_SETTING} must be a string")
    value = config.get(_SETTING)
    path = _common.resolve_path(context, found[0] if value is None else value, expand=True)
    return CacheLocation(path, found[1])


def lock_file(context: CacheContext) -> LockFile:
    """``poetry.lock`` beside the nearest ``pyproject.toml`` (poetry's ``Factory.locate``)."""
    pyproject = _common.find_upwards(context, "pyproject.toml")
    directory = context.project_directory if pyproject is None else pyproject.parent
    return LockFile(directory / "poetry.lock", "packages")


# -- pruning ---------------------------------------------------------------------------------
# Poetry's cache (poetry's ``config/config.py``, ``utils/cache.py``, ``vcs/git/backend.py``):
# ``cache/`` holds the repository caches (HTTP responses and package metadata: dropped).
# ``artifacts/`` holds one directory per link (a hash of its URL): a downloaded wheel alone, or a
# downloaded sdist next to the wheel(s) poetry built from it (poetry finds a compatible built
# wheel there before building again). Directories holding a source archive are kept whole (the
# sdist stays so a later prune still sees the built wheel as built from source); directories
# holding only wheels are dropped (wheels built from git checkouts look the same and are dropped
# too). ``virtualenvs/`` (the default ``virtualenvs.path``) holds environments tied to one
# interpreter installation: dropped. ``src/`` (git checkouts) is kept. On an unstable ABI all of
# ``artifacts/`` goes. A superseded built wheel goes with its link's directory: the sdist it was
# built from (or poetry's ``.created_from_git_dependency`` marker) is of no use without it.

_OWN_ENTRIES: Final = frozenset({"cache", "artifacts", "virtualenvs", "src"})
_DROPPED: Final = (PurePosixPath("cache"), PurePosixPath("virtualenvs"))
_ARTIFACTS: Final = PurePosixPath("artifacts")


def _holds_a_source(entries: list[Entry]) -> bool:
    """A link directory whose wheels poetry built there: it holds more than wheels."""
    return any(not entry.is_dir and not entry.name.endswith(".whl") for entry in entries)


def _prune_artifacts(tree: CacheTree) -> None:
    for _, entries in tree.walk(_ARTIFACTS):
        files = [entry for entry in entries if not entry.is_dir]
        # Only wheels, no source they came from: downloaded.
        if all(entry.name.endswith(".whl") for entry in files):
            for entry in files:
                tree.remove(entry.path)
    tree.remove_empty_dirs(_ARTIFACTS)


class _PoetryLayout:
    """Poetry's cache (see above), a ``CacheLayout``."""

    # Bump when this project's idea of poetry's cache changes incompatibly.
    version: Final = "1"

    def is_own_cache(self, top_level_names: Collection[str]) -> bool:
        """Whether every top-level entry is one poetry creates in its cache."""
        return only_own_entries(top_level_names, _OWN_ENTRIES.__contains__)

    def prune(self, tree: CacheTree, *, unstable_abi: bool) -> None:
        """Drop repository caches, virtualenvs and downloaded (not built) artifacts."""
        for path in _DROPPED:
            tree.remove(path)
        if unstable_abi:
            tree.remove(_ARTIFACTS)
        else:
            _prune_artifacts(tree)

    def built_wheels(self, tree: CacheTree) -> BuiltWheels:
        """Each wheel poetry built, with its link's directory (and the sdist in it)."""
        return hashed_built_wheels(tree, _ARTIFACTS, built=_holds_a_source)


# -- the tool ----------------------------------------------------------------------------------
LAYOUT: Final = _PoetryLayout()
_DEPENDENCY_FILE_PATTERNS: Final = ("poetry.lock", "pyproject.toml")
POETRY: Final = Tool("poetry", _DEPENDENCY_FILE_PATTERNS, cache_location, LAYOUT, lock_file)
