"""Which releases a tool's Python environment holds, found without starting the tool.

poetry and pdm call the platformdirs installed beside them, pipenv the copy vendored in the pip
it patches, and platformdirs' rules changed between releases (see ``_platformdirs``); the tools'
own rules changed between their releases too (see ``releases``). The tool's script is found on
the context's ``PATH`` as a shell finds it; the directories it imports from are those of the
interpreter its first line names, in ``sys.path``'s order (see ``_import_dirs``: a virtual
environment, pipx's, uv's and the official installers' included, with the system's and the
user's packages where that interpreter sees them); uv's binary, from a wheel, sits in
``<env>/bin/uv`` above its ``dist-info``. A library's ``version.py`` and a distribution's
``METADATA`` are read bounded, through ``safe_files``.

``None`` when nothing is found or a file is unreadable (callers then assume the newest rules),
and always for another OS's paths.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

from cache_python_deps.errors import UnreadableFileError
from cache_python_deps.safe_files import MAX_CONFIG_BYTES, read_text_file
from cache_python_deps.tools import _common, _import_dirs, _platformdirs
from cache_python_deps.tools.base import CacheContext

# ``__version__ = version = '4.14.8'`` (setuptools-scm, vcs-versioning) or ``= "2.4.1"``.
_VERSION_LINE: Final = re.compile(
    r"""^__version__\s*=\s*(?:version\s*=\s*)?["']([0-9][^"']*)["']""", re.MULTILINE
)
_VERSION_FILE_LIMIT: Final = 64 * 1024


def _script_on_path(context: CacheContext, script: str) -> Path | None:
    names = [f"{script}.exe", script] if context.os_family == "windows" else [script]
    for entry in (_common.getenv(context, "PATH") or "").split(os.pathsep):
        directory = context.project_directory / entry  # an empty or relative entry: the cwd
        for name in names:
            candidate = directory / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    return None


def _version_in(package: Path) -> str | None:
    try:
        text = read_text_file(package / "version.py", limit=_VERSION_FILE_LIMIT)
    except UnreadableFileError:
        return None
    match = _VERSION_LINE.search(text or "")
    return match.group(1) if match else None


def _import_path(context: CacheContext, script: str) -> list[Path]:
    """The directories the tool ``script`` imports from, first first (``PYTHONPATH`` alone when
    the script is not found)."""
    found_script = _script_on_path(context, script)
    if found_script is None:
        return _import_dirs.pythonpath(context)
    return _import_dirs.import_directories(context, found_script)


def _library_version(context: CacheContext, script: str, package: tuple[str, ...]) -> str | None:
    """The version of ``package`` (``("platformdirs",)``) that the tool ``script`` imports."""
    if not _common.native(context):
        return None
    for directory in _import_path(context, script):
        location = directory.joinpath(*package)
        if location.is_dir():
            return _version_in(location)
    return None


def platformdirs_rules(
    context: CacheContext,
    script: str,
    package: tuple[str, ...] = ("platformdirs",),
    *,
    unknown: str | None = None,
) -> _platformdirs.Platformdirs:
    """The rules of the platformdirs the tool ``script`` imports (``package`` in its import path:
    pipenv's is vendored in the pip it patches); of release ``unknown`` when it is not found
    (None: the newest rules)."""
    version = _library_version(context, script, package) or unknown
    return _platformdirs.Platformdirs.of(version, script)


def _normalized(name: str) -> str:
    """A distribution name as wheels spell it in ``<name>-<version>.dist-info``."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata_release(metadata: Path, distribution: str) -> str | None:
    """``Version`` of a ``METADATA`` file whose ``Name`` is ``distribution`` (None: unreadable).

    As written there: ``releases`` checks its shape before anything uses it.
    """
    try:
        text = read_text_file(metadata, limit=MAX_CONFIG_BYTES, what="package metadata")
    except UnreadableFileError:
        return None
    headers: dict[str, str] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            break  # the headers end at the first blank line; the description follows
        name, separator, value = line.partition(":")
        if separator and name.strip() in ("Name", "Version"):
            headers.setdefault(name.strip(), value.strip())
    if _normalized(headers.get("Name", "")) != _normalized(distribution):
        return None
    return headers.get("Version") or None


def distribution_version(context: CacheContext, script: str, distribution: str) -> str | None:
    """The release of ``distribution`` installed where the tool ``script`` imports from.

    Read from its ``<name>-<version>.dist-info/METADATA`` in the first directory that holds
    one; two there (a broken install) or an unreadable one is ``None``: unknown.
    """
    if not _common.native(context):
        return None
    pattern = f"{_normalized(distribution)}-*.dist-info"
    for directory in _import_path(context, script):
        try:
            found = [path for path in directory.glob(pattern) if path.is_dir()]
        except OSError:
            continue
        if found:
            return (
                _metadata_release(found[0] / "METADATA", distribution) if len(found) == 1 else None
            )
    return None
