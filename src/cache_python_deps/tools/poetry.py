"""Poetry: the cache directory ``poetry install`` uses, computed in-process.

Order (poetry's ``Config.get``, ``Config.create`` and ``Factory.create_poetry``, checked against
poetry 2.5):

1. ``POETRY_CACHE_DIR``.
2. ``cache-dir`` in the project's ``poetry.toml``, next to the nearest ``pyproject.toml`` found
   from the project directory upwards.
3. ``cache-dir`` in ``config.toml`` in poetry's config directory: ``POETRY_CONFIG_DIR``, else
   ``platformdirs.user_config_dir("pypoetry", appauthor=False, roaming=True)``.
4. ``platformdirs.user_cache_dir("pypoetry", appauthor=False)``: ``~/.cache/pypoetry``,
   ``~/Library/Caches/pypoetry``, ``%LOCALAPPDATA%\\pypoetry\\Cache``.

A ``{key}`` in a value is replaced by that setting, found the same way (``POETRY_<KEY>``, then
the files, then poetry's default): ``{data-dir}`` (``POETRY_DATA_DIR``, else ``POETRY_HOME``,
else ``platformdirs.user_data_dir("pypoetry", appauthor=False, roaming=True)``) and
``{cache-dir}`` are the useful ones; a key with no value stays as written, and a value that
refers to itself makes poetry fail (RecursionError). Poetry then expands ``~``
(``Path(...).expanduser()``); a relative value is relative to the working directory (the
project directory).

The defaults follow the platformdirs of poetry's own environment (found from the ``poetry``
script on ``PATH``; the newest rules when it is not found): see ``_platformdirs``.

Not mirrored: ``auth.toml`` (merged into the config, but it holds credentials, never a cache
directory), and references to poetry defaults other than the directories above.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Final

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools import _common, _installed, _platformdirs
from cache_python_deps.tools._layout import hashed_built_wheels, only_own_entries
from cache_python_deps.tools.base import BuiltWheels, CacheContext, CacheLocation, LockFile

if TYPE_CHECKING:
    from cache_python_deps.removal import CacheTree, Entry

__all__ = ["POETRY", "PoetryTool"]

_APP_NAME: Final = "pypoetry"
_SETTING: Final = "cache-dir"
_REFERENCE: Final = re.compile(r"{(.+?)}")


def _dirs(context: CacheContext) -> _platformdirs.Platformdirs:
    version = _installed.library_version(context, "poetry", ("platformdirs",))
    return _platformdirs.Platformdirs.of(version, "poetry")


def config_directory(context: CacheContext) -> Path:
    """Poetry's configuration directory (where its global ``config.toml`` lives)."""
    configured = _common.getenv(context, "POETRY_CONFIG_DIR")
    if configured:
        return _common.resolve_path(context, configured, expand=False)
    path = _platformdirs.user_config_dir(
        context, _dirs(context), _APP_NAME, appauthor=False, roaming=True
    )
    return _common.resolve_path(context, path, expand=False)


def _defaults(context: CacheContext) -> dict[str, str]:
    """The directory defaults poetry computes when it is imported."""
    dirs = _dirs(context)
    poetry_home = _common.getenv(context, "POETRY_HOME")
    if poetry_home:
        data_dir = str(_common.resolve_path(context, poetry_home, expand=True))
    else:
        data_dir = _platformdirs.user_data_dir(
            context, dirs, _APP_NAME, appauthor=False, roaming=True
        )
    cache_dir = _platformdirs.user_cache_dir(context, dirs, _APP_NAME, appauthor=False)
    return {
        "cache-dir": cache_dir,
        "data-dir": data_dir,
        "virtualenvs.path": str(PurePosixPath("{cache-dir}", "virtualenvs")),
        "python.installation-dir": str(PurePosixPath("{data-dir}", "python")),
    }


def default_cache_directory(context: CacheContext) -> Path:
    """Poetry's cache directory when nothing configures one."""
    return _common.resolve_path(context, _defaults(context)["cache-dir"], expand=True)


def _local_config_file(context: CacheContext) -> Path | None:
    pyproject = _common.find_upwards(context, "pyproject.toml")
    return None if pyproject is None else pyproject.parent / "poetry.toml"


@dataclass(frozen=True)
class _Config:
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
    local = _local_config_file(context)
    files = []
    for path in (local, config_directory(context) / "config.toml"):
        data = None if path is None else _common.read_toml(context, path)
        if path is not None and data is not None:
            files.append((path, data))
    return _Config(context, tuple(files), _defaults(context))


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


class PoetryTool:
    """Poetry (``poetry install``); its cache holds ``cache/``, ``artifacts/``, ``virtualenvs/``."""

    name: Final = "poetry"
    # Bump when this project's idea of poetry's cache changes incompatibly.
    cache_layout_version: Final = "1"
    dependency_file_patterns: Final = ("poetry.lock", "pyproject.toml")
    marker_files: Final = ("poetry.lock",)

    def cache_directory(self, context: CacheContext) -> CacheLocation:
        """The directory ``poetry config cache-dir`` names, ``~`` expanded, made absolute."""
        return cache_location(context)

    def is_own_cache(self, top_level_names: Collection[str]) -> bool:
        """Whether every top-level entry is one poetry creates in its cache (see below)."""
        return _is_own_cache(top_level_names)

    def prune(self, tree: CacheTree, *, unstable_abi: bool) -> None:
        """Drop repository caches, virtualenvs and downloaded (not built) artifacts."""
        _prune(tree, unstable_abi=unstable_abi)

    def built_wheels(self, tree: CacheTree) -> BuiltWheels:
        """Each wheel poetry built, with its link's directory (and the sdist in it)."""
        return hashed_built_wheels(tree, _ARTIFACTS, built=_holds_a_source)

    def lock_file(self, context: CacheContext) -> LockFile | None:
        """``poetry.lock`` beside the nearest ``pyproject.toml`` (poetry's ``Factory.locate``)."""
        pyproject = _common.find_upwards(context, "pyproject.toml")
        directory = context.project_directory if pyproject is None else pyproject.parent
        return LockFile(directory / "poetry.lock", "packages")


POETRY: Final = PoetryTool()


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


def _is_own_cache(names: Collection[str]) -> bool:
    return only_own_entries(names, _OWN_ENTRIES.__contains__)


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


def _prune(tree: CacheTree, *, unstable_abi: bool) -> None:
    for path in _DROPPED:
        tree.remove(path)
    if unstable_abi:
        tree.remove(_ARTIFACTS)
    else:
        _prune_artifacts(tree)
