"""Prune a tool's cache before it is saved: keep what is slow to rebuild, drop the downloads.

``prune_cache(tool_name, directory, unstable_abi=...)`` applies the tool's own rules (its
``Tool.layout``, a ``CacheLayout``, in ``cache_python_deps.tools.<name>``: uv mirrors ``uv cache
prune --ci``; pip and pipenv drop ``http-v2/``/``http/`` and keep ``wheels/``; poetry keeps
artifacts built from source; pdm keeps ``wheels/``). With ``unstable_abi`` the built wheels go too.

Given ``in_use`` (what ``in_use.find_in_use`` read from the lock file or the environment), it
first drops the built wheels a dependency bump superseded: each wheel the tool built from source
(``CacheLayout.built_wheels``) whose distribution the dependencies in use name at other versions
only (``distributions.verdict``) goes, with what the tool keeps beside it (its link's directory,
uv's build metadata and revision pointer), when every wheel sharing that entry is superseded too.
A distribution not named is kept (another environment of the job may use it), and so is every
built wheel when ``in_use`` is ``NotRead``. ``describe_superseded`` says what happened in one line.

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
  (``CacheLayout.is_own_cache``), plus the provenance record ``.cache-python-deps.json``, which
  is kept.

Then every removal goes through ``CacheTree`` (``removal.py``): relative to descriptors,
never following a link, never leaving the cache's file system, never changing the mode of
anything it does not delete. A missing or empty directory is a no-op. Any OS failure is a
one-line PruneFailedError.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Final, NamedTuple

from cache_python_deps.cache_path import (
    PathFacts,
    home_directories,
    password_database_homes,
    path_problem,
    runner_trees,
)
from cache_python_deps.distributions import InUse, NotRead, Verdict, verdict
from cache_python_deps.errors import PruneFailedError, PruneRefusedError
from cache_python_deps.removal import (
    DIR_FD_SUPPORTED,
    CacheTree,
    mount_points,
    open_cache_tree,
)
from cache_python_deps.tools import get_tool
from cache_python_deps.tools.base import BuiltWheel, Tool

__all__ = [
    "PruneReport",
    "SupersededReport",
    "describe_superseded",
    "protected_places",
    "prune_cache",
    "shown_path",
]


class SupersededReport(NamedTuple):
    """What the dependencies in use said about the cache's built wheels, and what went."""

    in_use: InUse | NotRead
    # Every built wheel found, and the file names of those removed (untrusted: escape them).
    built: int
    removed: tuple[str, ...] = ()
    bytes_removed: int = 0
    # Built wheels kept, by verdict (SUPERSEDED: it shares its entry with a wheel kept, or the
    # cache names it so that it cannot be addressed).
    kept: Mapping[Verdict, int] = MappingProxyType({})  # read only: one default for all


class PruneReport(NamedTuple):
    """What pruning did to one cache directory."""

    directory: Path
    bytes_before: int
    bytes_after: int
    # Removed entries, relative to ``directory`` with ``/`` separators, in removal order.
    # Names come from the cache: escape them before they reach a log.
    removed_entries: tuple[str, ...] = ()
    # The superseded pass (None: not asked for, or the ABI is unstable and every built wheel
    # went anyway).
    superseded: SupersededReport | None = None

    @property
    def bytes_removed(self) -> int:
        """How many bytes pruning freed."""
        return self.bytes_before - self.bytes_after


def shown_path(path: Path | str) -> str:
    """A path for a one-line message: as it is when printable, else quoted with escapes."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def _refuse(directory: Path | str, reason: str) -> PruneRefusedError:
    return PruneRefusedError(f"refusing to prune {shown_path(directory)}: {reason}")


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
    return [facts._replace(workspace=path) for path in sorted(real_workspaces)]


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
        raise _refuse(resolved, f"a file system is mounted inside it, at {shown_path(inside[0])}")
    return resolved


def _not_the_tools(
    tool_name: str, names: list[str], is_own_cache: Callable[[list[str]], bool]
) -> str:
    """Why top-level ``names`` are not the tool's cache, naming a few strangers (escaped)."""
    strangers = [name for name in names if not is_own_cache([name])] or names
    shown = ", ".join(repr(name) for name in strangers[:3])
    more = ", ..." if len(strangers) > 3 else ""
    return f"it does not look like a {tool_name} cache (it holds {shown}{more})"


def _removed(tree: CacheTree, entry: PurePosixPath) -> bool:
    """Remove one entry; False when the tree refuses to address it (a crafted name: kept)."""
    try:
        tree.remove(entry)
    except PruneRefusedError:
        return False
    return True


def _drop_superseded(tree: CacheTree, tool: Tool, in_use: InUse | NotRead) -> SupersededReport:
    found = tool.layout.built_wheels(tree)
    if isinstance(in_use, NotRead):
        return SupersededReport(in_use, built=len(found.wheels))
    judged: dict[PurePosixPath, list[tuple[BuiltWheel, Verdict]]] = {}
    for wheel in found.wheels:
        judged.setdefault(wheel.entry, []).append((wheel, verdict(in_use, wheel.filename)))
    removed: list[str] = []
    kept: Counter[Verdict] = Counter()
    parents: dict[PurePosixPath, None] = {}
    for entry, wheels in judged.items():
        verdicts = [judgement for _, judgement in wheels]
        if all(judgement is Verdict.SUPERSEDED for judgement in verdicts) and _removed(tree, entry):
            removed.extend(wheel.filename for wheel, _ in wheels)
            parents.update((wheel.parent, None) for wheel, _ in wheels if wheel.parent)
        else:
            kept.update(verdicts)
    for parent in parents:
        if not any(entry.is_dir for entry in tree.entries(parent)):
            _removed(tree, parent)
    for root in found.tidy:
        tree.remove_empty_dirs(root)
    return SupersededReport(in_use, len(found.wheels), tuple(removed), kept=dict(kept))


# How each kept verdict reads in a sentence, in this order.
_KEPT_WORDS: Final = (
    (Verdict.IN_USE, "in use"),
    (Verdict.NOT_NAMED, "of distributions not named there"),
    (Verdict.VERSION_UNKNOWN, "named at a version that cannot be read"),
    (Verdict.UNPARSED, "whose file name does not parse"),
    (Verdict.SUPERSEDED, "superseded but sharing their directory with one kept"),
)


def _wheels(count: int) -> str:
    return f"{count} built wheel{'' if count == 1 else 's'}"


def describe_superseded(report: SupersededReport, shown: Callable[[str], str] = str) -> str:
    """One sentence on the superseded pass; ``shown`` renders each untrusted value for its sink."""
    in_use = report.in_use
    if isinstance(in_use, NotRead):
        return f"kept every built wheel ({report.built}): {shown(in_use.reason)}"
    source = f"{in_use.what} {shown(in_use.where)}"
    if not report.built:
        return f"no built wheel to check against {source}"
    dropped = (
        f"dropped {_wheels(len(report.removed))} superseded by {source} "
        f"({report.bytes_removed} bytes)"
        if report.removed
        else f"no built wheel superseded by {source}"
    )
    kept = [f"{report.kept[v]} {words}" for v, words in _KEPT_WORDS if report.kept.get(v)]
    return f"{dropped}; kept {', '.join(kept)}" if kept else dropped


def prune_cache(
    tool_name: str,
    directory: Path,
    *,
    unstable_abi: bool,
    in_use: InUse | NotRead | None = None,
    places: Iterable[PathFacts] | None = None,
    descriptors: bool = DIR_FD_SUPPORTED,
) -> PruneReport:
    """Prune ``tool_name``'s cache in ``directory`` (see the module docstring).

    ``in_use``: what the dependencies in use name (None: superseded wheels are not looked for).
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
            if not tool.layout.is_own_cache(names):
                strangers = _not_the_tools(tool.name, names, tool.layout.is_own_cache)
                raise _refuse(resolved, strangers)
            before = tree.size()
            superseded = None
            if in_use is not None and not unstable_abi:
                superseded = _drop_superseded(tree, tool, in_use)
                if superseded.removed:
                    freed = before - tree.size()
                    superseded = superseded._replace(bytes_removed=freed)
            tool.layout.prune(tree, unstable_abi=unstable_abi)
            return PruneReport(resolved, before, tree.size(), tree.removed, superseded)
    except FileNotFoundError:
        return nothing
    except NotADirectoryError:
        raise _refuse(resolved, "not a directory") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise PruneFailedError(f"cannot prune {shown_path(resolved)}: {reason}") from None
