"""What the dependencies in use are: a tool's lock file, else an interpreter's environment.

Prune drops the built wheels a bump superseded (``distributions.verdict``); this module reads
which versions are in use, as data only, bounded, through ``safe_files``:

1. The tool's lock file (``Tool.lock_file``: ``uv.lock``, ``poetry.lock``, ``pdm.lock``,
   ``Pipfile.lock``), at most ``MAX_LOCK_BYTES``: every ``[[package]]`` table's ``name`` and
   ``version``, or Pipfile.lock's pins (``"version": "==1.0"``) in every section. TOML is parsed
   with ``tomllib``; Python 3.10 has none (the action runs its own code isolated, with nothing
   installed, so not ``tomli`` either): there the lock is passed over for the environment, and
   the one line says so. A lock that does not parse (too deep included) is passed over likewise.
2. Else the environment of the interpreter (pip has no lock): the ``*.dist-info`` directories
   of its site directories, each read from its ``METADATA`` header (``Name``, ``Version``; at
   most ``MAX_METADATA_BYTES``, else the directory's own ``{name}-{version}`` name). Nothing is
   imported from the environment and none of its code runs (no ``.pth`` file is read). A
   virtual environment (``pyvenv.cfg`` beside the executable or one level up, as site.py finds
   it) is read without starting its interpreter: its own ``Lib/site-packages`` and
   ``lib*/*/site-packages``. Any other interpreter (and one whose virtual environment includes
   the system site packages) is probed once (``probe.base_site_directories``, ``-E -s -S``): its
   ``site.getsitepackages()`` and user site.
3. Else ``NotRead``, with every reason on one line: prune then keeps every built wheel.

Names are PEP 503-normalised and versions compared in packaging's canonical form
(``distributions``). A distribution named at a version that cannot be read keeps all of its
wheels; one whose name cannot be read names nothing.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from cache_python_deps.distributions import (
    InUse,
    NotRead,
    canonical_name,
    canonical_version,
    is_valid_name,
)
from cache_python_deps.errors import CachePythonDepsError, InUseError, UnreadableFileError
from cache_python_deps.interpreter import probe_interpreter, resolve_interpreter
from cache_python_deps.safe_files import (
    MAX_DEPENDENCY_FILE_BYTES,
    read_regular_file,
    read_text_file,
)
from cache_python_deps.toml_parser import toml_loads
from cache_python_deps.tools.base import CacheContext, LockFile, OSFamily, Tool

__all__ = [
    "MAX_DIRECTORY_ENTRIES",
    "MAX_LOCK_BYTES",
    "MAX_METADATA_BYTES",
    "dist_info_fields",
    "environment_directories",
    "find_in_use",
    "includes_system_site_packages",
    "locked_packages",
    "metadata_fields",
    "pipfile_locked_packages",
    "project_context",
    "read_environment",
    "read_lock",
]

MAX_LOCK_BYTES: Final = MAX_DEPENDENCY_FILE_BYTES
# A METADATA file is a header and the project's description: rarely more than a few hundred KiB.
MAX_METADATA_BYTES: Final = 1024 * 1024
# Entries listed in one site directory (or a virtual environment's lib/) before giving up.
MAX_DIRECTORY_ENTRIES: Final = 100_000
_DIST_INFO: Final = ".dist-info"
# Pipfile.lock pins a version with == (or === for arbitrary equality).
_PIPFILE_PINS: Final = ("===", "==")

# (name, version or None) as a lock file or an environment spells them.
Named = tuple[str, "str | None"]
SiteProbe = Callable[[str], tuple[str, ...]]


def project_context(
    project_directory: Path, environ: Mapping[str, str], home: Path | None
) -> CacheContext:
    """The facts the tools' lock-file rules read, on this host (no interpreter is probed)."""
    os_family: OSFamily = (
        "windows" if os.name == "nt" else "macos" if sys.platform == "darwin" else "linux"
    )
    # The interpreter's prefix is read by pip's cache rules only, never by a lock-file rule.
    return CacheContext(os_family, environ, home, Path(sys.prefix), project_directory)


def _collected(what: str, where: str, named: Iterable[Named]) -> InUse:
    versions: dict[str, set[str]] = {}
    unknown: set[str] = set()
    for name, version in named:
        key = canonical_name(name)
        canonical = None if version is None else canonical_version(version)
        known = versions.setdefault(key, set())
        if canonical is None:
            unknown.add(key)
        else:
            known.add(canonical)
    frozen = {name: frozenset(found) for name, found in versions.items()}
    return InUse(what, where, frozen, frozenset(unknown))


# -- lock files ---------------------------------------------------------------------------------


def locked_packages(data: Mapping[str, Any]) -> Iterator[Named]:
    """``(name, version)`` of every ``[[package]]`` table (uv.lock, poetry.lock, pdm.lock).

    A table without a string ``version`` (uv omits a dynamic one) names its distribution at a
    version that cannot be read; one without a string ``name`` names nothing.
    """
    packages = data.get("package")
    for package in packages if isinstance(packages, list) else ():
        name = package.get("name") if isinstance(package, dict) else None
        if isinstance(name, str) and name:
            version = package.get("version")
            yield name, version if isinstance(version, str) else None


def pipfile_locked_packages(data: Mapping[str, Any]) -> Iterator[Named]:
    """``(name, pinned version)`` in every section of Pipfile.lock (``_meta`` aside).

    A package without an ``==`` pin (a path, a VCS checkout) names its distribution at a version
    that cannot be read.
    """
    for section, packages in data.items():
        if section == "_meta" or not isinstance(packages, dict):
            continue
        for name, entry in packages.items():
            version = entry.get("version") if isinstance(entry, dict) else None
            pinned = None
            if isinstance(version, str):
                pin = next((pin for pin in _PIPFILE_PINS if version.startswith(pin)), None)
                pinned = None if pin is None else version[len(pin) :]
            if isinstance(name, str) and name:
                yield name, pinned


def _parsed(lock: LockFile, text: str) -> Mapping[str, Any]:
    if lock.format == "pipfile":
        loads: Callable[[str], Any] | None = json.loads
    else:
        loads = toml_loads()
    if loads is None:
        raise InUseError(
            f"cannot parse {lock.path}: Python {sys.version_info[0]}.{sys.version_info[1]} "
            "reads no TOML (tomllib is Python 3.11+)"
        )
    try:
        data = loads(text)
    except (ValueError, RecursionError) as error:  # JSON and TOML errors are ValueErrors
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InUseError(f"cannot parse {lock.path}: {reason}") from None
    if not isinstance(data, dict):
        raise InUseError(f"cannot parse {lock.path}: it is not a table")
    return data


def read_lock(lock: LockFile) -> InUse | None:
    """What ``lock`` names; None when there is no such file; InUseError (one line) otherwise."""
    data = read_regular_file(lock.path, limit=MAX_LOCK_BYTES, what="lock file")
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InUseError(f"cannot read lock file {lock.path}: it is not valid UTF-8") from None
    parsed = _parsed(lock, text)
    named = pipfile_locked_packages(parsed) if lock.format == "pipfile" else locked_packages(parsed)
    return _collected(lock.path.name, str(lock.path), named)


# -- environments -------------------------------------------------------------------------------


def metadata_fields(text: str) -> tuple[str | None, str | None]:
    """The first ``Name`` and ``Version`` in the header of a core metadata file."""
    name = version = None
    for line in text.split("\n"):
        if not line.strip():
            break  # the header ends at the first empty line
        key, colon, value = line.partition(":")
        if not colon or line[:1] in " \t":
            continue  # not a field, or a continuation line
        key = key.strip().lower()
        if key == "name" and name is None:
            name = value.strip()
        elif key == "version" and version is None:
            version = value.strip()
    return name, version


def dist_info_fields(directory_name: str) -> Named | None:
    """``(name, version)`` from a ``{name}-{version}.dist-info`` directory name, if unambiguous."""
    stem = directory_name[: -len(_DIST_INFO)]
    name, dash, version = stem.partition("-")
    if not dash or not version or "-" in version or not is_valid_name(name):
        return None
    return name, version


def _distribution(directory: Path, directory_name: str) -> Named | None:
    """What one ``.dist-info`` directory names: its METADATA, else its own name."""
    try:
        text = read_text_file(
            directory / directory_name / "METADATA", limit=MAX_METADATA_BYTES, what="METADATA"
        )
    except UnreadableFileError:
        text = None
    name, version = metadata_fields(text) if text is not None else (None, None)
    if name is not None and is_valid_name(name):
        return name, version
    return dist_info_fields(directory_name)


def _listed(directory: Path) -> list[os.DirEntry[str]]:
    """The entries of a directory, at most MAX_DIRECTORY_ENTRIES (InUseError past that)."""
    try:
        with os.scandir(directory) as listing:
            entries = list(itertools.islice(listing, MAX_DIRECTORY_ENTRIES + 1))
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InUseError(f"cannot list {directory}: {reason}") from None
    if len(entries) > MAX_DIRECTORY_ENTRIES:
        raise InUseError(f"cannot list {directory}: more than {MAX_DIRECTORY_ENTRIES} entries")
    return entries


def _is_directory(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a link loop, a permission: nothing to read there
        return False


def _site_distributions(directory: Path) -> Iterator[Named]:
    for entry in _listed(directory):
        if entry.name.lower().endswith(_DIST_INFO) and _is_directory(entry):
            named = _distribution(directory, entry.name)
            if named is not None:
                yield named


def includes_system_site_packages(pyvenv_cfg: str) -> bool:
    """site.py's reading of ``include-system-site-packages`` (the last one; true by default)."""
    value = "true"
    for line in pyvenv_cfg.splitlines():
        key, equals, rest = line.partition("=")
        if equals and key.strip().lower() == "include-system-site-packages":
            value = rest.strip().lower()
    return value == "true"


def _virtual_environment(executable: Path) -> tuple[Path, Path] | None:
    """``(pyvenv.cfg, prefix)`` when ``executable`` runs in a virtual environment (site.py's rule:
    the file beside the executable or one level up; the prefix is the directory above it)."""
    executable_directory = Path(os.path.abspath(executable)).parent  # noqa: PTH100 - as site.py
    prefix = executable_directory.parent
    for directory in (executable_directory, prefix):
        if (directory / "pyvenv.cfg").is_file():
            return directory / "pyvenv.cfg", prefix
    return None


def _own_site_directories(prefix: Path) -> list[Path]:
    """A virtual environment's ``Lib/site-packages`` and ``lib*/*/site-packages``."""
    candidates = [prefix / "Lib" / "site-packages"]
    for lib in ("lib", "lib64"):
        if (prefix / lib).is_dir():
            names = sorted(entry.name for entry in _listed(prefix / lib))
            candidates += [prefix / lib / name / "site-packages" for name in names]
    found: dict[tuple[int, int], Path] = {}
    for candidate in candidates:
        try:
            info = candidate.stat()
        except OSError:
            continue
        # lib64 is often a link to lib, and Lib is lib on a case-insensitive disk: once each.
        if candidate.is_dir():
            found.setdefault((info.st_dev, info.st_ino), candidate)
    return list(found.values())


def _probed_site_directories(python: str) -> tuple[str, ...]:

    return probe_interpreter(python).site_directories


def environment_directories(
    python: str, *, probe: SiteProbe = _probed_site_directories
) -> tuple[Path, list[Path]]:
    """The interpreter's executable and the directories its distributions are installed in.

    ``probe`` (default: run ``probe.py`` in it) is asked only for an interpreter outside a
    virtual environment, or one whose environment includes the system site packages.
    """

    executable = resolve_interpreter(python)
    venv = _virtual_environment(executable)
    if venv is None:
        return executable, [Path(directory) for directory in probe(python)]
    config, prefix = venv
    text = read_text_file(config, what="pyvenv.cfg") or ""
    directories = _own_site_directories(prefix)
    if includes_system_site_packages(text):
        directories += [Path(directory) for directory in probe(python)]
    return executable, directories


def read_environment(python: str, *, probe: SiteProbe = _probed_site_directories) -> InUse:
    """What the environment of ``python`` has installed; InUseError (one line) otherwise."""
    executable, directories = environment_directories(python, probe=probe)
    if not directories:
        raise InUseError(f"found no site-packages directory of {executable}")
    named = itertools.chain.from_iterable(map(_site_distributions, directories))
    return _collected("the environment of", str(executable), named)


def find_in_use(
    tool: Tool,
    context: CacheContext,
    python: str | None,
    *,
    probe: SiteProbe = _probed_site_directories,
) -> InUse | NotRead:
    """The tool's lock file, else the environment of ``python``, else why neither was read."""
    problems = []
    try:
        lock = tool.lock_file(context)
        found = None if lock is None else read_lock(lock)
        if found is not None:
            return found
        if lock is not None:
            problems.append(f"no {lock.path.name} in {lock.path.parent}")
    except (CachePythonDepsError, OSError) as error:
        problems.append(_reason(error))
    if not python:
        problems.append("no interpreter given")
        return NotRead("; ".join(problems))
    try:
        return read_environment(python, probe=probe)
    except (CachePythonDepsError, OSError) as error:
        problems.append(_reason(error))
    return NotRead("; ".join(problems))


def _reason(error: Exception) -> str:
    """One line for an error (an OSError names its file: a directory it may not look into)."""
    if isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror or type(error).__name__}{where}"
    return str(error)
