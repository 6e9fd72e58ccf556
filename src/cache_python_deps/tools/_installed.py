"""Which release of a library a tool's Python environment imports, found without starting it.

poetry and pdm call the platformdirs installed beside them, pipenv the copy vendored in the pip
it patches, and platformdirs' rules changed between releases (see ``_platformdirs``). The tool's
script is found on the context's ``PATH`` as a shell finds it; its environment is the directory
above the script's real location (``<env>/bin/poetry``: a virtual environment, pipx's and the
official installers' included). Python puts ``PYTHONPATH`` before the environment, so its
entries are searched first. The library's ``version.py`` is read bounded.

``None`` when nothing is found (callers then assume the newest rules), and always for another
OS's paths.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

from cache_python_deps.errors import UnreadableFileError
from cache_python_deps.safe_files import read_text_file
from cache_python_deps.tools import _common
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


def _environment_libraries(script: Path) -> list[Path]:
    """The site-packages directories of the environment holding ``script``."""
    environment = Path(os.path.realpath(script)).parent.parent
    found = sorted((environment / "lib").glob("python3*/site-packages"))
    found += sorted((environment / "lib").glob("python3*/dist-packages"))
    return [
        *found,
        environment / "lib" / "python3" / "dist-packages",
        environment / "Lib" / "site-packages",
    ]


def _pythonpath(context: CacheContext) -> list[Path]:
    entries = (_common.getenv(context, "PYTHONPATH") or "").split(os.pathsep)
    return [context.project_directory / entry for entry in entries if entry]


def _version_in(package: Path) -> str | None:
    try:
        text = read_text_file(package / "version.py", limit=_VERSION_FILE_LIMIT)
    except UnreadableFileError:
        return None
    match = _VERSION_LINE.search(text or "")
    return match.group(1) if match else None


def library_version(context: CacheContext, script: str, package: tuple[str, ...]) -> str | None:
    """The version of ``package`` (``("platformdirs",)``) that the tool ``script`` imports."""
    if not _common.native(context):
        return None
    directories = _pythonpath(context)
    found_script = _script_on_path(context, script)
    if found_script is not None:
        directories += _environment_libraries(found_script)
    for directory in directories:
        location = directory.joinpath(*package)
        if location.is_dir():
            return _version_in(location)
    return None
