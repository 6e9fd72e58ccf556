"""The interface every tool module (pip, uv, poetry, pipenv, pdm) implements.

A tool module is pure where it can be: every fact about the machine (OS family, environment
variables, home directory, the target interpreter's prefix) comes in through ``CacheContext``,
so tests pass facts in rather than patching the world. Reading config files named by those
facts is the only I/O a cache-directory rule does; it never starts the tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

OSFamily = Literal["linux", "macos", "windows"]


@dataclass(frozen=True)
class CacheContext:
    """The facts a cache-directory rule may depend on."""

    os_family: OSFamily
    environ: Mapping[str, str]
    home: Path
    # sys.prefix of the interpreter being keyed: pip reads a "site" config file there.
    interpreter_prefix: Path
    project_directory: Path = field(default_factory=Path.cwd)
    # The target interpreter's pip version, when it has pip: pip's own rules changed with it.
    pip_version: str | None = None


class Tool(Protocol):
    """One Python packaging tool whose cache this project keys and restores."""

    @property
    def name(self) -> str:
        """Lower-case tool name as it appears in keys and on the command line."""

    @property
    def cache_layout_version(self) -> str:
        """Bumped when the tool changes its cache layout, so stale caches are not reused."""

    @property
    def dependency_file_patterns(self) -> tuple[str, ...]:
        """Glob patterns (relative to the project) hashed when no dependency hash is given."""

    @property
    def marker_files(self) -> tuple[str, ...]:
        """Files whose presence makes ``auto`` pick this tool (empty for pip, the fallback)."""

    def cache_directory(self, context: CacheContext) -> Path:
        """Return the directory the tool itself would use, or raise CacheDirectoryError."""
