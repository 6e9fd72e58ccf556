"""Prune a tool's cache before it is saved: keep what is slow to rebuild, drop the downloads.

``prune_cache(tool_name, directory, unstable_abi=...)`` applies the tool's rules (the modules of
``cache_python_deps.pruning``: uv mirrors ``uv cache prune --ci``; pip and pipenv drop
``http-v2/``/``http/`` and keep ``wheels/``; poetry keeps artifacts built from source; pdm keeps
``wheels/``). With ``unstable_abi`` the built wheels go too.

A relative directory is taken from the working directory; the report names the real path.
Guards, each refusing with a one-line PruneRefusedError before anything is removed:

- an empty path (``""`` or ``"."``), the filesystem root, the home directory or any of its
  ancestors;
- a directory that is itself a symlink: refused, not followed (the link may be shared, and a
  cache key is about the path the tool was given); symlinks in its parent path are resolved;
- something that is not a directory, a directory that looks like a project (``pyproject.toml``,
  ``setup.py``...), and a non-empty directory with none of the tool's markers (pip: ``http-v2``,
  ``http``, ``wheels``, ``selfcheck``; uv: ``CACHEDIR.TAG`` or a known bucket; ...).

Then every removal goes through ``CacheTree``: nothing outside the resolved directory, no
symlink followed (symlinks are removed, never their targets). A missing directory is a no-op.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from cache_python_deps.errors import PruneRefusedError, UnknownToolError
from cache_python_deps.pruning import pdm, pip, pipenv, poetry, uv
from cache_python_deps.pruning._tree import CacheTree, tree_size

__all__ = ["PruneReport", "prune_cache"]

# Files that a project has at its top and no cache does.
_PROJECT_FILES: Final = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "poetry.lock")


class _Strategy(Protocol):
    """What a ``cache_python_deps.pruning`` tool module (or its ``LAYOUT``) provides."""

    def is_cache(self, names: Collection[str]) -> bool: ...

    def prune(self, tree: CacheTree, *, unstable_abi: bool) -> None: ...


_STRATEGIES: Final[dict[str, _Strategy]] = {
    "pip": pip.LAYOUT,
    "pipenv": pipenv.LAYOUT,
    "pdm": pdm.LAYOUT,
    "poetry": poetry,
    "uv": uv,
}


@dataclass(frozen=True)
class PruneReport:
    """What pruning did to one cache directory."""

    directory: Path
    bytes_before: int
    bytes_after: int
    # Removed entries, relative to ``directory`` with ``/`` separators, in removal order.
    removed_entries: tuple[str, ...] = ()

    @property
    def bytes_removed(self) -> int:
        """How many bytes pruning freed."""
        return self.bytes_before - self.bytes_after


def _strategy(tool_name: str) -> _Strategy:
    module = _STRATEGIES.get(tool_name.strip().lower())
    if module is None:
        names = ", ".join(sorted(_STRATEGIES))
        raise UnknownToolError(f"cannot prune unknown tool {tool_name!r}: expected one of {names}")
    return module


def _refuse(directory: Path | str, reason: str) -> PruneRefusedError:
    return PruneRefusedError(f"refusing to prune {directory}: {reason}")


def _home_directories() -> set[Path]:
    homes = {
        str(Path("~").expanduser()),
        os.environ.get("HOME", ""),
        os.environ.get("USERPROFILE", ""),
    }
    return {Path(os.path.realpath(home)) for home in homes if home}


def _resolve(directory: Path) -> Path:
    """The real path to prune, after the guards that need no listing."""
    if str(directory) in {"", "."}:
        raise _refuse("''", "empty path")
    absolute = Path(os.path.normpath(directory.absolute()))
    if absolute.is_symlink():
        raise _refuse(absolute, "it is a symlink; pass the directory it points to")
    resolved = Path(os.path.realpath(absolute))
    if resolved.parent == resolved:
        raise _refuse(resolved, "it is the root of a filesystem")
    for home in _home_directories():
        if resolved == home or resolved in home.parents:
            raise _refuse(resolved, "it is the home directory or contains it")
    return resolved


def _check_contents(tool_name: str, strategy: _Strategy, directory: Path) -> bool:
    """Refuse what is not the tool's cache; ``False`` for an empty directory (nothing to do)."""
    if not directory.is_dir():
        raise _refuse(directory, "not a directory")
    names = {entry.name for entry in directory.iterdir()}
    for name in _PROJECT_FILES:
        if name in names:
            raise _refuse(directory, f"it holds {name}, like a project, not a {tool_name} cache")
    if not names:
        return False
    if not strategy.is_cache(names):
        raise _refuse(directory, f"it does not look like a {tool_name} cache")
    return True


def prune_cache(tool_name: str, directory: Path, *, unstable_abi: bool) -> PruneReport:
    """Prune ``tool_name``'s cache in ``directory`` (see the module docstring)."""
    strategy = _strategy(tool_name)
    resolved = _resolve(directory)
    if not os.path.lexists(resolved):
        return PruneReport(directory=resolved, bytes_before=0, bytes_after=0)
    if not _check_contents(tool_name, strategy, resolved):
        return PruneReport(directory=resolved, bytes_before=0, bytes_after=0)
    before = tree_size(resolved)
    tree = CacheTree(resolved)
    strategy.prune(tree, unstable_abi=unstable_abi)
    return PruneReport(
        directory=resolved,
        bytes_before=before,
        bytes_after=tree_size(resolved),
        removed_entries=tree.removed,
    )
