"""What a tool is to this project: one ``Tool`` spec per tool module (pip, uv, poetry, pipenv, pdm).

A ``Tool`` holds the tool's name, the dependency files hashed for it, and its rules as functions:
where its cache is (``cache_directory``), where its lock file is (``lock_file``), and what its
cache holds (``layout``, a ``CacheLayout``: how prune recognises the cache, what it removes,
where the wheels built from source are, removing only through ``removal.CacheTree``; see
prune.py). Each tool module defines its rules and, last, the ``Tool`` that names them.

The rules are pure where they can be: every fact about the machine (OS family, environment
variables, home directory, the target interpreter's prefix) comes in through ``CacheContext``,
so tests pass facts in rather than patching the world. Reading config files named by those
facts is the only I/O a cache-directory rule does; it never starts the tool.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:  # a Protocol class costs import time; only mypy needs it
    from typing import Protocol

    from cache_python_deps.removal import CacheTree

    class CacheLayout(Protocol):
        """What a tool keeps in its cache, for prune (see cache_python_deps.prune)."""

        @property
        def version(self) -> str:
            """Bumped when this project's idea of the cache changes incompatibly, so a cache
            saved under the old idea is not reused (it is in the key: ``pip.2``)."""

        def is_own_cache(self, top_level_names: Collection[str]) -> bool:
            """Whether a directory with these top-level entries is positively this tool's cache.

            Every entry must be one the tool creates there (or the provenance record): a marker
            alone is not enough.
            """

        def prune(self, tree: CacheTree, *, unstable_abi: bool) -> None:
            """Remove what is cheap to fetch again, and built wheels too when ``unstable_abi``.

            Every removal goes through ``tree``, which confines it to the cache.
            """

        def built_wheels(self, tree: CacheTree) -> BuiltWheels:
            """The wheels the tool built from source in this cache, each with what goes with it."""


OSFamily = Literal["linux", "macos", "windows"]


class CacheContext(NamedTuple):
    """The facts a cache-directory rule may depend on."""

    os_family: OSFamily
    environ: Mapping[str, str]
    # The user's home as Python's ``Path.home()`` gives it. The tools read ``HOME`` from
    # ``environ`` by their own rules; this is their answer when ``HOME`` is unset (the password
    # database on Unix, the profile on Windows). None: there is none (each tool then does what
    # it does without a home: uv uses ``.uv_cache``, the others fail with one line).
    home: Path | None
    # sys.prefix of the interpreter being keyed: pip reads a "site" config file there.
    interpreter_prefix: Path
    project_directory: Path
    # The version of the pip ``python -m pip`` runs (pip_location.find_pip): pip's own rules
    # changed with it. None: unknown (no pip, or none that could be read).
    pip_version: str | None = None
    # False only when the target certainly has no pip (``pip`` is then refused); an unknown pip
    # counts as one.
    has_pip: bool = True
    # The effective uid pip will run as, for pip's cache-ownership check (None: no such check,
    # as on Windows or for another OS's paths).
    effective_uid: int | None = None


class CacheLocation(NamedTuple):
    """A tool's cache directory and where it came from, for messages that must name the source.

    ``source`` reads like ``"UV_CACHE_DIR"``, ``"cache-dir in /w/uv.toml"``,
    ``"[install] cache-dir in /etc/pip.conf"`` or ``"pip's default"``.
    """

    path: Path
    source: str


class LockFile(NamedTuple):
    """Where a tool's lock file is, and its format."""

    path: Path
    # "packages": TOML with ``[[package]]`` tables of ``name`` and ``version`` (uv, poetry, pdm);
    # "pipfile": Pipfile.lock's JSON, ``{"default": {name: {"version": "==1.0"}}, ...}``.
    format: Literal["packages", "pipfile"]


class BuiltWheel(NamedTuple):
    """A wheel the tool built from source, and what must go with it when it is removed."""

    # The wheel's file name as the cache holds it (untrusted: it is parsed, never trusted).
    filename: str
    # The cache entry removed with it (the directory the tool made for its source, or the file
    # itself), relative to the cache root. Several wheels may share one: it goes only when
    # every one of them is superseded.
    entry: PurePosixPath
    # A directory that goes too once no directory is left in it (uv's source directory, whose
    # revision pointer would name a removed revision), or None.
    parent: PurePosixPath | None = None


class BuiltWheels(NamedTuple):
    """Every built wheel of a cache, and where empty directories are tidied after removals."""

    wheels: tuple[BuiltWheel, ...]
    # Directories whose subdirectories left empty are removed (hashed layouts' parents).
    tidy: tuple[PurePosixPath, ...] = ()


class Tool(NamedTuple):
    """One Python packaging tool whose cache this project keys, restores and prunes.

    Each tool module ends with its own: ``Tool(name, dependency_file_patterns, cache_directory,
    layout, lock_file)``.
    """

    # Lower-case tool name as it appears in keys and on the command line.
    name: str
    # Glob patterns (relative to the project) hashed when no dependency hash is given.
    dependency_file_patterns: tuple[str, ...]
    # The directory the tool itself would use and its source, or CacheDirectoryError.
    cache_directory: Callable[[CacheContext], CacheLocation]
    # What the cache holds (prune's rules) and the version of this project's idea of it.
    layout: CacheLayout
    # Where the tool's lock file for the context's project is (None: the tool keeps none).
    lock_file: Callable[[CacheContext], LockFile | None]
