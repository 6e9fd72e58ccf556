"""Prune a tool's cache before it is saved: keep what is slow to rebuild, drop the downloads.

``prune_cache(tool_name, directory, unstable_abi=...)`` applies the tool's own rules
(``Tool.prune`` in ``cache_python_deps.tools.<name>``: uv mirrors ``uv cache prune --ci``; pip
and pipenv drop ``http-v2/``/``http/`` and keep ``wheels/``; poetry keeps artifacts built from
source; pdm keeps ``wheels/``). With ``unstable_abi`` the built wheels go too.

Guards, each refusing with a one-line PruneRefusedError before anything is removed:

- an empty path (``""`` or ``"."``), and a directory that is itself a symlink (refused, not
  followed: the link may be shared);
- the path is resolved with ``os.path.realpath`` as it is given, so ``link/..`` is the parent
  of the link's target (where the OS would go), never the lexical parent of ``link``;
- the real path must not be a filesystem root, a home directory (``HOME``, ``USERPROFILE``,
  every home in the password database) or the workspace (``GITHUB_WORKSPACE``, the working
  directory), nor contain one, nor be a system directory (``cache_path.path_problem``, the
  rules the directory handed to actions/cache follows);
- no file system may be mounted inside it (``/proc/self/mountinfo`` on Linux);
- it must be positively this tool's cache: every top-level entry one the tool creates there
  (``Tool.is_own_cache``), plus the provenance record ``.cache-python-deps.json``, which is kept.

Then every removal goes through ``CacheTree`` (``tools/_removal.py``): relative to descriptors,
never following a link, never leaving the cache's file system, never changing the mode of
anything it does not delete. A missing or empty directory is a no-op. Any OS failure is a
one-line PruneFailedError.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cache_python_deps.cache_path import (
    PathFacts,
    home_directories,
    password_database_homes,
    path_problem,
    runner_trees,
)
from cache_python_deps.errors import PruneFailedError, PruneRefusedError
from cache_python_deps.tools import get_tool
from cache_python_deps.tools._removal import DIR_FD_SUPPORTED, mount_points, open_cache_tree

__all__ = ["PruneReport", "protected_places", "prune_cache"]


@dataclass(frozen=True)
class PruneReport:
    """What pruning did to one cache directory."""

    directory: Path
    bytes_before: int
    bytes_after: int
    # Removed entries, relative to ``directory`` with ``/`` separators, in removal order.
    # Names come from the cache: escape them before they reach a log.
    removed_entries: tuple[str, ...] = ()

    @property
    def bytes_removed(self) -> int:
        """How many bytes pruning freed."""
        return self.bytes_before - self.bytes_after


def _shown(path: Path | str) -> str:
    """A path for a one-line message: as it is when printable, else quoted with escapes."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def _refuse(directory: Path | str, reason: str) -> PruneRefusedError:
    return PruneRefusedError(f"refusing to prune {_shown(directory)}: {reason}")


def protected_places(
    environ: Mapping[str, str] | None = None,
    *,
    working_directory: str | None = None,
    projects: Iterable[str] = (),
    password_homes: Iterable[str] | None = None,
) -> list[PathFacts]:
    """The places a prune must not be, or contain: one ``PathFacts`` per workspace to protect.

    Workspaces are the working directory, ``GITHUB_WORKSPACE`` and ``projects``. Every fact
    defaults to this process's (environment, working directory, password database).
    """
    environ = os.environ if environ is None else environ
    homes = home_directories(
        (str(Path("~").expanduser()), environ.get("HOME"), environ.get("USERPROFILE")),
        password_database_homes() if password_homes is None else password_homes,
    )
    protected = tuple(os.path.realpath(tree) for tree in runner_trees(environ))
    facts = PathFacts(
        homes=tuple(sorted({*homes, *(os.path.realpath(home) for home in homes)})),
        protected=protected,
    )
    workspaces = {working_directory or str(Path.cwd()), environ.get("GITHUB_WORKSPACE", "")}
    real_workspaces = {
        os.path.realpath(path) for path in {*workspaces, *projects} if Path(path).is_absolute()
    }
    return [dataclasses.replace(facts, workspace=path) for path in sorted(real_workspaces)]


def _resolve(directory: Path, places: Iterable[PathFacts]) -> Path:
    """The real path to prune, after the guards that need no listing."""
    if str(directory) in {"", "."}:
        raise _refuse("''", "empty path")
    if directory.is_symlink():
        raise _refuse(directory, "it is a symlink; pass the directory it points to")
    # realpath resolves each component before the next, so "link/.." leaves the link's target.
    resolved = Path(os.path.realpath(directory))
    if resolved.parent == resolved:
        raise _refuse(resolved, "it is the root of a filesystem")
    for facts in places:
        problem = path_problem(str(resolved), facts)
        if problem:
            raise _refuse(resolved, problem)
    inside = sorted(point for point in mount_points() if resolved in Path(point).parents)
    if inside:
        raise _refuse(resolved, f"a file system is mounted inside it, at {_shown(inside[0])}")
    return resolved


def _not_the_tools(
    tool_name: str, names: list[str], is_own_cache: Callable[[list[str]], bool]
) -> str:
    """Why top-level ``names`` are not the tool's cache, naming a few strangers (escaped)."""
    strangers = [name for name in names if not is_own_cache([name])] or names
    shown = ", ".join(repr(name) for name in strangers[:3])
    more = ", ..." if len(strangers) > 3 else ""
    return f"it does not look like a {tool_name} cache (it holds {shown}{more})"


def prune_cache(
    tool_name: str,
    directory: Path,
    *,
    unstable_abi: bool,
    places: Iterable[PathFacts] | None = None,
    descriptors: bool = DIR_FD_SUPPORTED,
) -> PruneReport:
    """Prune ``tool_name``'s cache in ``directory`` (see the module docstring).

    ``places``: what must not be pruned (default: ``protected_places()``). ``descriptors``:
    delete relative to directory descriptors (default where the OS can), else by path.
    """
    tool = get_tool(tool_name)
    resolved = _resolve(directory, protected_places() if places is None else places)
    nothing = PruneReport(directory=resolved, bytes_before=0, bytes_after=0)
    try:
        with open_cache_tree(resolved, descriptors=descriptors) as tree:
            names = [entry.name for entry in tree.entries()]
            if not names:
                return nothing
            if not tool.is_own_cache(names):
                raise _refuse(resolved, _not_the_tools(tool.name, names, tool.is_own_cache))
            before = tree.size()
            tool.prune(tree, unstable_abi=unstable_abi)
            return PruneReport(resolved, before, tree.size(), tree.removed)
    except FileNotFoundError:
        return nothing
    except NotADirectoryError:
        raise _refuse(resolved, "not a directory") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise PruneFailedError(f"cannot prune {_shown(resolved)}: {reason}") from None
