"""uv: the cache directory uv installs from, computed in-process.

Order (uv's ``Cache::from_settings`` and settings discovery; source read at 0.12.5, behaviour
checked against the real uv 0.11.15, 0.11.16, 0.12.0, 0.12.20, 0.12.24 and 0.13.9):

1. ``UV_NO_CACHE`` (boolish), else ``no-cache`` from the config files: the cache is a fresh
   temporary directory per run, so there is nothing to key: CacheDirectoryError. (Before uv
   0.12.24 a false ``UV_NO_CACHE`` counts as unset: the files' ``no-cache`` still decides.)
2. ``UV_CACHE_DIR``, else ``cache-dir`` from the config files. No ``~`` expansion; a relative
   path is relative to the working directory, even in a config file.
3. The default: ``%LOCALAPPDATA%\\uv\\cache`` on Windows; on macOS ``~/Library/Caches/uv`` if that
   directory already exists (uv keeps honouring it), else the XDG location; on linux and macOS
   ``$XDG_CACHE_HOME/uv`` (when absolute) or ``~/.cache/uv``. Without any home directory,
   ``.uv_cache`` in the working directory.

The working directory is the project directory, or ``UV_WORKING_DIR`` (``--directory``), else
``UV_WORKING_DIRECTORY``, relative to it. The project is ``UV_PROJECT`` (``--project``; a
``pyproject.toml`` names its directory; it must exist from uv 0.12.0, before which uv warns and
searches from the missing directory), else the working directory.

Config files: ``UV_CONFIG_FILE`` alone when set (it wins over ``UV_NO_CONFIG``); none when
``UV_NO_CONFIG`` is true; otherwise the project's settings, the user's ``uv/uv.toml`` and the
system file, a nearer one winning per key, the environment beating every file:

- the project's: the nearest ``uv.toml``, or ``pyproject.toml`` with a ``[tool.uv]`` table (an
  unparsable ``pyproject.toml`` is skipped), from the workspace root upwards. The workspace root
  is found as uv's workspace discovery finds it: the nearest ``pyproject.toml`` above the
  project; the directory above whose first ``pyproject.toml`` lists it in
  ``[tool.uv.workspace] members`` (and not in ``exclude``) when it has a ``[project]``; itself
  when it declares ``[tool.uv.workspace]``. So inside a member, the member's own ``uv.toml`` and
  ``[tool.uv]`` are not read. Without a ``pyproject.toml`` (or with one that is unmanaged, has
  neither table, or cannot be parsed) the search starts at the project directory.
- the user's: ``$XDG_CONFIG_HOME`` (when absolute) or ``~/.config``, ``%APPDATA%`` on Windows;
  skipped when it cannot be read for lack of permission, as uv skips it.
- the system's (not with ``UV_NO_SYSTEM_CONFIG``, which uv reads from 0.11.16): the first
  ``uv/uv.toml`` in the non-empty entries of ``$XDG_CONFIG_DIRS`` (``/etc/xdg`` when unset or
  empty; a relative entry is relative to the working directory; before uv 0.12.20 the first
  empty entry ends the list), then ``/etc/uv/uv.toml``;
  ``%SYSTEMDRIVE%\\ProgramData\\uv\\uv.toml``.

The home is Rust's: ``HOME`` when set and not empty (a relative one is relative to the working
directory), else the password database.

The rules are those of the uv on ``PATH`` when its release can be read (uv installed from a
wheel: pip, pipx, ``uv tool``; see ``releases``), else the newest; the release gates were found
by running each release (0.12.20 and 0.12.24 are after the source read here).

Not modelled: workspace discovery that fails after the root is found (a member glob matching a
directory without ``pyproject.toml``: uv then falls back to the project directory's settings),
nor a ``pyproject.toml`` whose ``[project]`` table uv rejects.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import posixpath
import re
from collections.abc import Collection, Iterator
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools import _common
from cache_python_deps.tools._layout import only_own_entries
from cache_python_deps.tools.base import (
    BuiltWheel,
    BuiltWheels,
    CacheContext,
    CacheLocation,
    LockFile,
    Tool,
)
from cache_python_deps.tools.releases import Gate, ToolRelease, installed_release

if TYPE_CHECKING:
    from cache_python_deps.removal import CacheTree, Entry

__all__ = ["UV"]

# Rule changes between uv releases (the first release with the new rule).
_NO_SYSTEM_CONFIG_VARIABLE: Final = Gate("uv", (0, 11, 16), "UV_NO_SYSTEM_CONFIG is read")
_PROJECT_MUST_EXIST: Final = Gate("uv", (0, 12, 0), "a missing UV_PROJECT is an error")
_EMPTY_CONFIG_DIRS_SKIPPED: Final = Gate(
    "uv", (0, 12, 20), "empty XDG_CONFIG_DIRS entries are skipped, not the end of the list"
)
_FALSE_NO_CACHE_COUNTS: Final = Gate(
    "uv", (0, 12, 24), "a false UV_NO_CACHE overrides the config files' no-cache"
)


class _Settings(NamedTuple):
    """The two cache settings of one uv config layer (``None``: not set there), with sources."""

    no_cache: bool | None = None
    cache_dir: str | None = None
    cache_dir_source: str = ""

    def under(self, fallback: _Settings) -> _Settings:
        """These settings, with unset keys taken from a lower-precedence layer."""
        cache_dir_from = self if self.cache_dir is not None else fallback
        return _Settings(
            no_cache=self.no_cache if self.no_cache is not None else fallback.no_cache,
            cache_dir=cache_dir_from.cache_dir,
            cache_dir_source=cache_dir_from.cache_dir_source,
        )


class _Directories(NamedTuple):
    """Where uv works: its working directory and its project directory."""

    working: Path
    project: Path


def _settings_from(path: Path, data: dict[str, Any], where: str) -> _Settings:
    no_cache = data.get("no-cache")
    if no_cache is not None and not isinstance(no_cache, bool):
        raise CacheDirectoryError(f"{path}: no-cache must be a boolean")
    cache_dir = _common.string_setting(path, data, "cache-dir")
    return _Settings(no_cache, cache_dir, f"{where}cache-dir in {path}")


def _read_uv_toml(context: CacheContext, path: Path) -> _Settings | None:
    data = _common.read_toml(context, path)
    return None if data is None else _settings_from(path, data, "")


def _uv_table(data: dict[str, Any] | None) -> dict[str, Any] | None:
    tool = data.get("tool") if data else None
    uv_table = tool.get("uv") if isinstance(tool, dict) else None
    return uv_table if isinstance(uv_table, dict) else None


def _parsed_pyproject(context: CacheContext, path: Path) -> dict[str, Any] | None:
    """A pyproject.toml's data; ``None`` if absent or unparsable (uv skips it then)."""
    try:
        return _common.read_toml(context, path)
    except CacheDirectoryError:  # a parse error; an unreadable file (UnreadableFileError) stops
        return None


def _read_pyproject(context: CacheContext, path: Path) -> _Settings | None:
    """The ``[tool.uv]`` table of a pyproject.toml; uv skips unparsable or table-less files."""
    uv_table = _uv_table(_parsed_pyproject(context, path))
    return None if uv_table is None else _settings_from(path, uv_table, "[tool.uv] ")


def _normalize(path: str) -> str:
    """uv's lexical ``normalize_path``: no ``.``, ``..`` applied, no symlink resolved."""
    return posixpath.normpath(path) if path else path


def _workspace_member(project: Path, root: Path, workspace: dict[str, Any]) -> bool:
    """Whether ``project`` is in ``root``'s ``members`` globs and not in its ``exclude``."""

    def matches(key: str) -> bool:
        patterns = workspace.get(key)
        if not isinstance(patterns, list):
            return False
        escaped_root = glob.escape(str(root))
        return any(
            fnmatch.fnmatchcase(str(project), posixpath.join(escaped_root, _normalize(pattern)))
            for pattern in patterns
            if isinstance(pattern, str)
        )

    return matches("members") and not matches("exclude")


def _enclosing_workspace(context: CacheContext, project_path: Path) -> Path | None:
    """The workspace root above a project (``project_path`` itself when none claims it).

    uv decides on the first ``pyproject.toml`` above: a workspace that lists the project, or
    nothing (another project, or a file with neither table). One it cannot parse fails the
    discovery (None).
    """
    for directory in project_path.parents:
        if _common.is_file(context, directory / "pyproject.toml"):
            above = _parsed_pyproject(context, directory / "pyproject.toml")
            if above is None:
                return None
            workspace = (_uv_table(above) or {}).get("workspace")
            if isinstance(workspace, dict) and _workspace_member(
                project_path, directory, workspace
            ):
                return directory
            return project_path
    return project_path


def _workspace_root(context: CacheContext, project: Path) -> Path | None:
    """The workspace root uv's discovery finds from ``project`` (None: it finds none)."""
    project_path = next(
        (d for d in _common.ancestors(project) if _common.is_file(context, d / "pyproject.toml")),
        None,
    )
    data = (
        None
        if project_path is None
        else _parsed_pyproject(context, project_path / "pyproject.toml")
    )
    if project_path is None or data is None:
        return None
    uv_table = _uv_table(data) or {}
    if uv_table.get("managed") is False:
        return None
    if isinstance(uv_table.get("workspace"), dict):
        return project_path
    if not isinstance(data.get("project"), dict):
        return None
    return _enclosing_workspace(context, project_path)


def _project_settings(context: CacheContext, directories: _Directories) -> _Settings | None:
    start = _workspace_root(context, directories.project) or directories.project
    for directory in _common.ancestors(start):
        settings = _read_uv_toml(context, directory / "uv.toml")
        if settings is None:
            settings = _read_pyproject(context, directory / "pyproject.toml")
        if settings is not None:
            return settings
    return None


def _home(context: CacheContext, directories: _Directories) -> PurePath | None:
    """Rust's ``std::env::home_dir``: a non-empty ``HOME``, else the password database."""
    if context.os_family == "windows":
        return None if context.home is None else _common.pure(context, context.home)
    value = _common.getenv(context, "HOME") or _common.account_home(context)
    if value is None:
        return None
    return PurePosixPath(directories.working) / value  # an absolute HOME replaces the base


def _user_config_file(context: CacheContext, directories: _Directories) -> Path | None:
    if context.os_family == "windows":
        base: PurePath = _common.windows_folder(context, "APPDATA")
    else:
        home = _home(context, directories)
        if home is None:
            return None  # etcetera's XDG strategy needs a home, even with XDG_CONFIG_HOME
        xdg = _common.getenv(context, "XDG_CONFIG_HOME") or ""
        base = PurePosixPath(xdg) if posixpath.isabs(xdg) else home / ".config"
    return _common.to_path(base / "uv" / "uv.toml")


def _user_settings(context: CacheContext, directories: _Directories) -> _Settings | None:
    path = _user_config_file(context, directories)
    if path is None or not _common.native(context):
        return None
    effective = os.access in os.supports_effective_ids
    if not os.access(path, os.R_OK, effective_ids=effective):
        return None  # missing, or no permission: uv skips the user config
    return _read_uv_toml(context, path)


def _system_config_file(
    context: CacheContext, directories: _Directories, release: ToolRelease
) -> Path | None:
    if context.os_family == "windows":
        drive = _common.getenv(context, "SYSTEMDRIVE")
        if not drive:
            return None
        candidate = _common.to_path(PureWindowsPath(drive + "\\", "ProgramData", "uv", "uv.toml"))
        return candidate if _common.is_file(context, candidate) else None
    entries = (_common.getenv(context, "XDG_CONFIG_DIRS") or "/etc/xdg").split(":")
    for entry in entries:
        if not entry and not release.since(_EMPTY_CONFIG_DIRS_SKIPPED):
            break
        if not entry:
            continue
        candidate = directories.working / entry / "uv" / "uv.toml"
        if _common.is_file(context, candidate):
            return candidate
    fallback = Path("/etc/uv/uv.toml")
    return fallback if _common.is_file(context, fallback) else None


def _system_settings(
    context: CacheContext, directories: _Directories, release: ToolRelease
) -> _Settings | None:
    if release.since(_NO_SYSTEM_CONFIG_VARIABLE):
        no_system = _common.environ_value(context, "UV_NO_SYSTEM_CONFIG")
        if no_system is not None and _common.parse_boolish("UV_NO_SYSTEM_CONFIG", no_system):
            return None
    path = _system_config_file(context, directories, release)
    return None if path is None else _read_uv_toml(context, path)


def _file_settings(
    context: CacheContext, directories: _Directories, release: ToolRelease
) -> _Settings:
    """The cache settings from uv's config files, nearest first."""
    config_file = _common.environ_value(context, "UV_CONFIG_FILE")
    if config_file is not None:
        path = _common.resolve_path(context, config_file, expand=False, base=directories.working)
        settings = _read_uv_toml(context, path)
        if settings is None and _common.native(context):
            raise CacheDirectoryError(f"UV_CONFIG_FILE {path} does not exist")
        return settings or _Settings()
    no_config = _common.environ_value(context, "UV_NO_CONFIG")
    if no_config is not None and _common.parse_boolish("UV_NO_CONFIG", no_config):
        return _Settings()
    merged = _Settings()
    layers = (
        _project_settings(context, directories),
        _user_settings(context, directories),
        _system_settings(context, directories, release),
    )
    for layer in reversed(layers):
        if layer is not None:
            merged = layer.under(merged)
    return merged


def _directories(context: CacheContext, release: ToolRelease) -> _Directories:
    """uv's working directory and project directory (see the module docstring)."""
    working = context.project_directory
    directory = _common.environ_value(context, "UV_WORKING_DIR")
    variable = "UV_WORKING_DIR"
    if directory is None:
        directory = _common.getenv(context, "UV_WORKING_DIRECTORY")
        variable = "UV_WORKING_DIRECTORY"
    if directory is not None:
        working = working / directory
        if _common.native(context) and not working.is_dir():
            raise CacheDirectoryError(f"uv cannot change to {variable} {working}: not a directory")
    project_value = _common.environ_value(context, "UV_PROJECT")
    if project_value is None:
        return _Directories(working, working)
    project = Path(_normalize(str(working / project_value)))
    if not _common.native(context):
        return _Directories(working, project)
    if project.name == "pyproject.toml" and project.is_file():
        project = project.parent
    if not project.is_dir() and release.since(_PROJECT_MUST_EXIST):
        what = "does not exist" if not project.exists() else "is not a directory"
        raise CacheDirectoryError(f"uv refuses to run: UV_PROJECT {project} {what}")
    return _Directories(working, project)


def _default_cache_location(context: CacheContext) -> CacheLocation:
    """uv's cache directory when neither the environment nor a config file names one."""
    directories = _directories(context, installed_release(context, "uv"))
    default = "uv's default"
    if context.os_family == "windows":
        local = _common.windows_folder(context, "LOCAL_APPDATA")
        return CacheLocation(_common.to_path(local / "uv" / "cache"), default)
    home = _home(context, directories)
    if home is None:
        return CacheLocation(directories.working / ".uv_cache", "uv's default without a home")
    if context.os_family == "macos":
        legacy = _common.to_path(home / "Library" / "Caches" / "uv")
        if _common.is_dir(context, legacy):
            return CacheLocation(legacy, "uv's default (an existing ~/Library/Caches/uv)")
    xdg = _common.getenv(context, "XDG_CACHE_HOME") or ""
    if posixpath.isabs(xdg):
        return CacheLocation(_common.to_path(PurePosixPath(xdg) / "uv"), "XDG_CACHE_HOME")
    return CacheLocation(_common.to_path(home / ".cache" / "uv"), default)


def cache_location(context: CacheContext) -> CacheLocation:
    """The directory uv installs from (what ``uv cache dir`` prints), and its source."""
    release = installed_release(context, "uv")
    directories = _directories(context, release)
    files = _file_settings(context, directories, release)
    no_cache_env = _common.environ_value(context, "UV_NO_CACHE")
    no_cache = (
        _common.parse_boolish("UV_NO_CACHE", no_cache_env) if no_cache_env is not None else None
    )
    if not no_cache and (no_cache is None or not release.since(_FALSE_NO_CACHE_COUNTS)):
        no_cache = bool(files.no_cache)
    if no_cache:
        raise CacheDirectoryError("uv's cache is disabled (no-cache): nothing to cache")
    from_environment = _common.environ_value(context, "UV_CACHE_DIR")
    if from_environment is not None:
        path = _common.resolve_path(
            context, from_environment, expand=False, base=directories.working
        )
        return CacheLocation(path, "UV_CACHE_DIR")
    if files.cache_dir is not None:
        if not files.cache_dir:
            raise CacheDirectoryError(f"uv's {files.cache_dir_source} is empty")
        path = _common.resolve_path(
            context, files.cache_dir, expand=False, base=directories.working
        )
        return CacheLocation(path, files.cache_dir_source)
    return _default_cache_location(context)


def lock_file(context: CacheContext) -> LockFile:
    """``uv.lock`` at the root of the workspace uv finds from the project (see above)."""
    project = _directories(context, installed_release(context, "uv")).project
    return LockFile((_workspace_root(context, project) or project) / "uv.lock", "packages")


# -- pruning: the in-process equivalent of ``uv cache prune --ci`` ---------------------------
# Mirrors ``Cache::prune(ci: true)`` in uv's ``crates/uv-cache/src/lib.rs`` (checked against uv
# 0.13: same resulting tree on a real cache, see tests/test_prune.py):
#
# 1. Outdated buckets go. uv removes every top-level directory that is not one of its current
#    buckets; not knowing which uv version will read the cache, this keeps the newest version of
#    each ``<name>-v<N>`` bucket, removes the older ones (and ``built-wheels-v*``, the old name
#    of ``sdists-v*``), and leaves unknown entries alone.
# 2. Cached environments (``environments-v*/*``) go: they are recreated when needed.
# 3. Pre-built wheels go: every directory in ``wheels-v*`` (unzipped downloaded wheels and their
#    HTTP state). In ``sdists-v*``, each built-wheel revision (a directory with
#    ``metadata.msgpack``) keeps only ``metadata.msgpack`` and the built ``*.whl``: the unpacked
#    source and the unzipped wheel go. These built wheels are what is worth caching: slow to
#    make, and tied to the interpreter's ABI (uv finds them by wheel tags alone).
# 4. Archives (``archive-v*``) that nothing in ``sdists-v*`` or ``wheels-v*`` links to go. Links
#    are symlinks on Unix (read as text, never followed), small files naming the archive on
#    Windows.
#
# With an unstable ABI, everything in ``sdists-v*`` goes too: wheels built for one pre-release
# must not be offered to the next. Why not run ``uv cache prune --ci``: the uv binary may be
# absent or another version than the one that wrote the cache, and it follows no such rules as
# ``CacheTree``'s.
#
# Built wheels (for prune's superseded pass, see prune.py): in the newest ``sdists-v*`` bucket,
# every directory holding ``metadata.msgpack`` is one build of a source (a revision, or a shard of
# one for build settings) and holds its wheels (``<name>-<version>-<tags>.whl``) beside the
# unpacked source (``src/``) and the unzipped wheel (a link into ``archive-v*``): it goes whole,
# metadata included. Its parent goes too once no directory is left in it: the source's directory
# (``index/<index>/<name>/<version>/``, or a URL's or path's ``url/<hash>/``, ``path/<hash>/``)
# whose ``revision.http`` or ``revision.rev`` names the revision to build in (uv's
# ``crates/uv-distribution/src/source/mod.rs``); without it uv fetches the source again. The
# archives only removed builds linked to then go by step 4 above.
#
# Recognised as uv's cache: nothing at the top but uv's own files (``CACHEDIR.TAG``,
# ``.gitignore``, ``.lock``), its temporary directories (``.tmp*``) and ``<name>-v<N>`` buckets
# (of any name: a newer uv may add some; only known ones are pruned).

_BUCKET: Final = re.compile(r"(?P<family>[a-z]+(?:-[a-z]+)*)-v(?P<version>[0-9]+)")
# Bucket families of uv (``CacheBucket`` in uv-cache), current and past.
_FAMILIES: Final = frozenset(
    {
        "archive",
        "binaries",
        "builds",
        "built-wheels",
        "environments",
        "flat-index",
        "git",
        "interpreter",
        "python",
        "sdists",
        "simple",
        "wheels",
    }
)
_ROOT_FILES: Final = frozenset({"CACHEDIR.TAG", ".gitignore", ".lock"})
# The bucket that replaced another one under a new name.
_RENAMED: Final = {"built-wheels": "sdists"}
# Names not searched for archive links (uv's filter: they never are links).
_NOT_LINKS: Final = frozenset({"src", ".lock", ".gitignore"})
_NOT_LINK_SUFFIXES: Final = frozenset({".lock", ".whl", ".http", ".rev", ".msgpack"})
# Larger files are not Windows link files.
_MAX_LINK_SIZE: Final = 4096


def _family(name: str) -> str | None:
    match = _BUCKET.fullmatch(name)
    return match["family"] if match else None


def _is_own_entry(name: str) -> bool:
    return name in _ROOT_FILES or name.startswith(".tmp") or _family(name) is not None


def _buckets(tree: CacheTree) -> dict[str, list[PurePosixPath]]:
    """Top-level bucket directories by family, oldest version first."""
    found: dict[str, list[tuple[int, PurePosixPath]]] = {}
    for entry in tree.entries():
        match = _BUCKET.fullmatch(entry.name)
        if match and match["family"] in _FAMILIES and entry.is_dir:
            found.setdefault(match["family"], []).append((int(match["version"]), entry.path))
    return {family: [path for _, path in sorted(items)] for family, items in found.items()}


def _remove_outdated(
    tree: CacheTree, buckets: dict[str, list[PurePosixPath]]
) -> dict[str, PurePosixPath]:
    """Remove outdated bucket versions; return the current bucket of each family."""
    current: dict[str, PurePosixPath] = {}
    for family, paths in buckets.items():
        *outdated, newest = paths
        if _RENAMED.get(family) in buckets:
            outdated.append(newest)
        else:
            current[family] = newest
        for path in outdated:
            tree.remove(path)
    return current


def _keep_in_revision(entry: Entry) -> bool:
    return entry.name == "metadata.msgpack" or entry.path.suffix.lower() == ".whl"


def _strip_built_wheels(tree: CacheTree, sdists: PurePosixPath) -> None:
    """Reduce each built-wheel revision to its metadata and wheel archives."""
    for directory, entries in tree.walk(sdists):
        if any(entry.name == "metadata.msgpack" and entry.is_file for entry in entries):
            tree.remove_children(directory, keep=_keep_in_revision)


def _may_link(entry: Entry) -> bool:
    return entry.name not in _NOT_LINKS and entry.path.suffix.lower() not in _NOT_LINK_SUFFIXES


def _link_entries(tree: CacheTree, directory: PurePosixPath) -> Iterator[Entry]:
    """Entries that may link to an archive, without descending into symlinks or sources."""
    for _, entries in tree.walk(directory, descend=_may_link):
        yield from (entry for entry in entries if not entry.is_dir and _may_link(entry))


def _archive_named(tree: CacheTree, link: Entry, target: str, archive: PurePosixPath) -> str | None:
    """The archive entry a symlink's target text names (worked out on the text, not followed)."""
    if posixpath.isabs(target):
        root = tree.root.as_posix().rstrip("/") + "/"
        if not target.startswith(root):
            return None
        target = target[len(root) :]
    else:
        target = posixpath.join(link.path.parent.as_posix(), target)
    parts = PurePosixPath(posixpath.normpath(target)).parts
    prefix = len(archive.parts)
    return parts[prefix] if len(parts) > prefix and parts[:prefix] == archive.parts else None


def _referenced_archive(
    tree: CacheTree, entry: Entry, archive: PurePosixPath, names: Collection[str]
) -> str | None:
    """The archive entry a link points to, if any (Windows links are files naming it)."""
    if entry.is_symlink:
        target = tree.read_link(entry.path)
        return None if target is None else _archive_named(tree, entry, target, archive)
    if os.name != "nt" or not entry.is_file or entry.size > _MAX_LINK_SIZE:
        return None
    data = tree.read_small_file(entry.path, _MAX_LINK_SIZE) or b""
    text = data.decode("utf-8", errors="replace")
    return next((name for name in names if name in text), None)


def _remove_unreferenced_archives(tree: CacheTree, current: dict[str, PurePosixPath]) -> None:
    archive = current.get("archive")
    if archive is None:
        return
    names = [entry.name for entry in tree.entries(archive)]
    referenced: set[str] = set()
    for family in ("sdists", "wheels"):
        if family in current:
            for entry in _link_entries(tree, current[family]):
                name = _referenced_archive(tree, entry, archive, names)
                if name is not None:
                    referenced.add(name)
    tree.remove_children(archive, keep=lambda entry: entry.name in referenced)


_REVISION_POINTERS: Final = frozenset({"revision.http", "revision.rev"})
_BUILD_METADATA: Final = "metadata.msgpack"


class _UvLayout:
    """uv's cache (see above), a ``CacheLayout``."""

    # Bump when this project's idea of uv's cache changes incompatibly (uv versions its own
    # buckets, e.g. ``wheels-v5``, so uv upgrades need no bump here).
    version: Final = "1"

    def is_own_cache(self, top_level_names: Collection[str]) -> bool:
        """Nothing at the top but uv's own files, temporary directories and buckets."""
        return only_own_entries(top_level_names, _is_own_entry)

    def prune(self, tree: CacheTree, *, unstable_abi: bool) -> None:
        """``uv cache prune --ci``, plus the built wheels when the ABI is unstable."""
        current = _remove_outdated(tree, _buckets(tree))
        if "environments" in current:
            tree.remove_children(current["environments"])
        if "wheels" in current:
            # A symlink here is removed as an entry: what it points to is never looked at.
            tree.remove_children(current["wheels"], keep=lambda entry: entry.is_file)
        if "sdists" in current:
            if unstable_abi:
                # uv's own marker files (``.git``, ``.gitignore``) stay.
                tree.remove_children(
                    current["sdists"], keep=lambda entry: entry.name.startswith(".")
                )
            else:
                _strip_built_wheels(tree, current["sdists"])
        _remove_unreferenced_archives(tree, current)

    def built_wheels(self, tree: CacheTree) -> BuiltWheels:
        """Each wheel uv built from source, with its build's directory (see above)."""
        sdists = _buckets(tree).get("sdists")
        if not sdists:
            return BuiltWheels(())
        found = []
        sources: set[PurePosixPath] = set()
        for directory, entries in tree.walk(sdists[-1], descend=lambda entry: entry.name != "src"):
            files = {entry.name for entry in entries if entry.is_file}
            if files & _REVISION_POINTERS:
                sources.add(directory)
            if _BUILD_METADATA not in files:
                continue
            parent = directory.parent if directory.parent in sources else None
            for entry in entries:
                if entry.is_file and entry.name.endswith(".whl"):
                    found.append(BuiltWheel(entry.name, directory, parent))
        return BuiltWheels(tuple(found))


# -- the tool ----------------------------------------------------------------------------------
LAYOUT: Final = _UvLayout()
# Top-level files only, like pip's: ``**`` would reach into .venv and vendored projects, and a
# workspace's uv.lock already covers its members.
_DEPENDENCY_FILE_PATTERNS: Final = (
    "uv.lock",
    "pylock.toml",
    "pylock.*.toml",
    "pyproject.toml",
    "requirements*.txt",
    "requirements*.in",
    "constraints*.txt",
)
UV: Final = Tool("uv", _DEPENDENCY_FILE_PATTERNS, cache_location, LAYOUT, lock_file)
