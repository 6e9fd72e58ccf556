"""Where a tool's script imports its packages from, worked out without running any Python.

A console script (``poetry``, ``pdm``, ``pipenv``) names its interpreter in its first line. That
interpreter's ``site`` puts, after ``PYTHONPATH`` (which the caller adds):

- in a virtual environment (a ``pyvenv.cfg`` beside its ``bin``): the environment's
  ``site-packages``; with ``include-system-site-packages = true`` then the user site and the
  base interpreter's directories (``home`` in ``pyvenv.cfg``), in that order;
- for a system interpreter: the user site, then its prefix's ``lib/pythonX.Y/site-packages``
  (and ``lib64``), and for Debian's and Ubuntu's ``/usr`` Pythons ``/usr/local/lib/pythonX.Y/
  dist-packages``, ``/usr/lib/python3/dist-packages`` and ``/usr/lib/pythonX.Y/dist-packages``.

The user site is ``$PYTHONUSERBASE`` (else ``~/.local``) ``/lib/pythonX.Y/site-packages`` (for a
macOS framework build, ``~/Library/Python/X.Y`` and ``lib/python/site-packages``), left
out by ``-s`` or ``-I`` in the script's first line, by ``PYTHONNOUSERSITE``, and in a virtual
environment without the system's packages. (Checked against ``sys.path`` of Debian's
``python3.11`` and pyenv's 3.11.7, plainly and in ``--system-site-packages`` environments.) A
packaging tool installed into a ``--system-site-packages`` environment, or with ``pip install
--user``, imports libraries such as platformdirs from the system's or the user's directories when
those already satisfy it: Ubuntu 24.04's python3-platformdirs is 4.2.0.

A script without such a first line (uv's binary, a Windows launcher), or one whose interpreter
is not there, falls back to the directories of the environment above the script
(``<env>/bin/tool``). Files are read bounded, through ``safe_files``; nothing is executed.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Final

from cache_python_deps.errors import UnreadableFileError
from cache_python_deps.safe_files import read_regular_file, read_text_file
from cache_python_deps.tools import _common
from cache_python_deps.tools.base import CacheContext

_SCRIPT_HEAD_LIMIT: Final = 64 * 1024
_PYVENV_LIMIT: Final = 64 * 1024
_VERSION_IN_NAME: Final = re.compile(r"python(\d+\.\d+)")
# pip's wrapper for interpreter paths too long (or spaced) for a first line:
#   #!/bin/sh
#   '''exec' "/a long/path/bin/python" "$0" "$@"
_EXEC_WRAPPER: Final = re.compile(r"""^'''exec' (?:"([^"]+)"|(\S+)) "\$0" "\$@"$""")
_DEBIAN_PREFIX: Final = Path("/usr")


def _script_head(script: Path) -> list[str]:
    """The first two lines of ``script`` (none: a binary, a large file, unreadable)."""
    try:
        data = read_regular_file(script, limit=_SCRIPT_HEAD_LIMIT, what="script")
    except UnreadableFileError:
        return []
    if not data or not data.startswith(b"#!"):
        return []
    return data[:4096].decode("utf-8", "replace").splitlines()[:2]


def _interpreter_line(context: CacheContext, script: Path) -> list[str]:
    """The interpreter and its options as the script's first line names them (empty: none)."""
    head = _script_head(script)
    if not head:
        return []
    try:
        words = shlex.split(head[0][2:])
    except ValueError:
        return []
    if words[:1] == ["/bin/sh"] and len(head) > 1:
        wrapped = _EXEC_WRAPPER.match(head[1])
        return [wrapped.group(1) or wrapped.group(2)] if wrapped else []
    if words and Path(words[0]).name == "env" and len(words) > 1:
        found = _on_path(context, words[1])
        return [str(found), *words[2:]] if found else []
    return words


def _on_path(context: CacheContext, name: str) -> Path | None:
    for entry in (_common.getenv(context, "PATH") or "").split(os.pathsep):
        candidate = context.project_directory / entry / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _pyvenv_settings(path: Path) -> dict[str, str]:
    try:
        text = read_text_file(path, limit=_PYVENV_LIMIT, what="pyvenv.cfg") or ""
    except UnreadableFileError:
        return {}
    settings = {}
    for line in text.splitlines():
        key, separator, value = line.partition("=")
        if separator:
            settings[key.strip().lower()] = value.strip()
    return settings


def _python_version(interpreter: Path, prefix: Path, settings: dict[str, str]) -> str | None:
    """``X.Y`` of an interpreter: from ``pyvenv.cfg``, its real name, or its only ``lib``."""
    version = settings.get("version_info") or settings.get("version") or ""
    parts = version.split(".")
    if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
        return f"{parts[0]}.{parts[1]}"
    named = _VERSION_IN_NAME.fullmatch(Path(os.path.realpath(interpreter)).name)
    if named:
        return named.group(1)
    found = [path.name[len("python") :] for path in (prefix / "lib").glob("python3.*")]
    return found[0] if len(found) == 1 else None


def _user_site(
    context: CacheContext, interpreter: Path, version: str, *, environment: bool
) -> list[Path]:
    """The user site of ``X.Y`` (``environment``: whether ``PYTHONUSERBASE`` counts).

    A macOS framework build (``Python.framework``) has ``~/Library/Python/X.Y`` for its base
    and ``lib/python/site-packages`` under it.
    """
    framework = context.os_family == "macos" and "Python.framework" in os.path.realpath(interpreter)
    base = _common.getenv(context, "PYTHONUSERBASE") if environment else None
    if not base:
        home = _common.getenv(context, "HOME") or _common.account_home(context)
        if not home:
            return []
        default = Path("Library", "Python", version) if framework else Path(".local")
        base = str(Path(home) / default)
    tail = Path("lib", "python") if framework else Path("lib", f"python{version}")
    return [context.project_directory / base / tail / "site-packages"]


def _system_site(prefix: Path, version: str) -> list[Path]:
    if prefix == _DEBIAN_PREFIX and (prefix / "lib" / "python3" / "dist-packages").is_dir():
        return [
            Path("/usr/local/lib") / f"python{version}" / "dist-packages",
            prefix / "lib" / "python3" / "dist-packages",
            prefix / "lib" / f"python{version}" / "dist-packages",
        ]
    return [
        prefix / "lib" / f"python{version}" / "site-packages",
        prefix / "lib64" / f"python{version}" / "site-packages",
    ]


def pythonpath(context: CacheContext) -> list[Path]:
    """``PYTHONPATH``'s directories (relative ones: to the working directory)."""
    entries = (_common.getenv(context, "PYTHONPATH") or "").split(os.pathsep)
    return [context.project_directory / entry for entry in entries if entry]


def _beside(script: Path) -> list[Path]:
    """The library directories of the environment above ``script`` (``<env>/bin/tool``)."""
    environment = Path(os.path.realpath(script)).parent.parent
    found = sorted((environment / "lib").glob("python3*/site-packages"))
    found += sorted((environment / "lib").glob("python3*/dist-packages"))
    return [
        *found,
        environment / "lib" / "python3" / "dist-packages",
        environment / "Lib" / "site-packages",
    ]


def import_directories(context: CacheContext, script: Path) -> list[Path]:
    """The directories the tool ``script`` imports from, first first, ``PYTHONPATH`` included."""
    line = [] if context.os_family == "windows" else _interpreter_line(context, Path(script))
    if not line or not Path(line[0]).is_absolute() or not Path(line[0]).is_file():
        return [*pythonpath(context), *_beside(script)]
    interpreter, options = Path(line[0]), "".join(word for word in line[1:] if word[:1] == "-")
    isolated = "I" in options
    ignore_environment = isolated or "E" in options
    user_site = not (isolated or "s" in options)
    if not ignore_environment and _common.getenv(context, "PYTHONNOUSERSITE"):
        user_site = False
    first = [] if ignore_environment else pythonpath(context)
    environment = interpreter.parent.parent
    settings = _pyvenv_settings(environment / "pyvenv.cfg")
    if settings:
        version = _python_version(interpreter, environment, settings)
        own = sorted((environment / "lib").glob("python3*/site-packages"))
        if settings.get("include-system-site-packages", "").lower() != "true" or not version:
            return [*first, *own]
        base_prefix = Path(settings.get("home", "")).parent
        base_interpreter = Path(settings.get("executable") or interpreter)
        users = _user_site(context, base_interpreter, version, environment=not ignore_environment)
        return [*first, *own, *(users if user_site else []), *_system_site(base_prefix, version)]
    prefix = Path(os.path.realpath(interpreter)).parent.parent
    version = _python_version(interpreter, prefix, settings)
    if version is None:
        return [*first, *_beside(script)]
    users = _user_site(context, interpreter, version, environment=not ignore_environment)
    return [*first, *(users if user_site else []), *_system_site(prefix, version)]
