"""Pipenv: its ``PIPENV_CACHE_DIR`` setting, computed in-process.

Order (pipenv's ``environments.Setting`` and ``load_dot_env``, checked against pipenv 2026.x):

1. ``PIPENV_CACHE_DIR`` from the project's ``.env`` file: pipenv loads it with override before
   any command (unless ``PIPENV_DONT_LOAD_ENV`` or ``PYTHON_DOTENV_DISABLED``); the file is
   ``PIPENV_DOTENV_LOCATION``, else ``.env`` next to the Pipfile (``PIPENV_PIPFILE``, else the
   nearest ``Pipfile`` within ``PIPENV_MAX_DEPTH`` directories upwards, else the project
   directory).
2. ``PIPENV_CACHE_DIR`` from the environment.
3. ``platformdirs.user_cache_dir("pipenv")`` of the platformdirs vendored in the pip pipenv
   patches (found from the ``pipenv`` script on ``PATH``; 4.10.0, pipenv 2026.10's, when it is
   not found): ``~/.cache/pipenv``, ``~/Library/Caches/pipenv``,
   ``%LOCALAPPDATA%\\pipenv\\pipenv\\Cache``; 4.10.0 takes any non-blank ``XDG_CACHE_HOME``,
   stripped, even a relative one or one that starts with ``~``, and ``HOME`` as it is.

Pipenv hands the directory to pip as ``PIP_CACHE_DIR``, so it has pip's layout (``http-v2/``,
``wheels/``) plus pipenv's ``pipenv-manifests/``, and pip expands ``~`` in it (the value's or
``XDG_CACHE_HOME``'s): the directory pip installs from is taken. (Pipenv's own
``pipenv-manifests/`` then lands in a directory literally named ``~``; it is cheap to rebuild.)
A boolean-like value (``1``, ``true``...) is read by pipenv as a boolean, not a path:
CacheDirectoryError. pip's ownership check applies (see ``pip``): pip disables a cache its user
does not own (root) or cannot write (anyone else).

The ``.env`` file is read as python-dotenv reads it (UTF-8; a leading byte-order mark dropped
from pipenv 2026.10.0, which vendors python-dotenv 1.2.4: before, the mark is part of the first
name), bounded: one that is not a regular file is skipped as pipenv skips it; an oversized one is
a one-line error. The pipenv on ``PATH`` decides (its release from its ``METADATA``, see
``releases``; the newest rules when it is not found); checked against pipenv 2026.9.1,
2026.10.0 and 2026.10.3.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.safe_files import read_text_file
from cache_python_deps.tools import _common, _installed, _platformdirs, pip
from cache_python_deps.tools._layout import TopLevelLayout
from cache_python_deps.tools.base import CacheContext, CacheLocation, LockFile, Tool
from cache_python_deps.tools.releases import Gate, installed_release

__all__ = ["PIPENV"]

_VARIABLE: Final = "PIPENV_CACHE_DIR"
_BOOLEAN_WORDS: Final = frozenset({"0", "false", "no", "off", "1", "true", "yes", "on"})
_DOTENV_DISABLING_WORDS: Final = frozenset({"1", "true", "t", "yes", "y"})
_DEFAULT_MAX_DEPTH: Final = 10
_DOTENV_DROPS_BYTE_ORDER_MARK: Final = Gate(
    "pipenv", (2026, 10, 0), "a byte-order mark at the start of .env is dropped"
)

# One ``KEY=value`` binding of a .env file, as python-dotenv reads it.
_BINDING: Final = re.compile(
    r"""[^\S\r\n]*(?:export[^\S\r\n]+)?
    (?:'(?P<quoted_key>[^']+)'|(?P<key>[^=\#\s]+))
    [^\S\r\n]*=[^\S\r\n]*
    (?:'(?P<single>(?:\\.|[^'\\])*)'
      |"(?P<double>(?:\\.|[^"\\])*)"
      |(?P<bare>[^\r\n]*))""",
    re.VERBOSE | re.DOTALL,
)
_LINE_TAIL: Final = re.compile(r"[^\S\r\n]*(?:#[^\r\n]*)?(?:\r\n|\n|\r|$)")
_REST_OF_LINE: Final = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)?")
_SINGLE_ESCAPES: Final = re.compile(r"\\([\\'])")
_DOUBLE_ESCAPES: Final = re.compile(r"\\([\\'\"abfnrtv])")
_DOUBLE_ESCAPE_VALUES: Final = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
}  # fmt: skip
_REFERENCE: Final = re.compile(r"\$\{(?P<name>[^}:]*)(?::-(?P<default>[^}]*))?\}")


def _binding_value(match: re.Match[str]) -> str:
    if match["single"] is not None:
        return _SINGLE_ESCAPES.sub(lambda m: m[1], match["single"])
    if match["double"] is not None:
        return _DOUBLE_ESCAPES.sub(lambda m: _DOUBLE_ESCAPE_VALUES.get(m[1], m[1]), match["double"])
    return re.sub(r"\s+#.*", "", match["bare"]).rstrip()


def _interpolate(value: str, variables: Mapping[str, str]) -> str:
    def replace(reference: re.Match[str]) -> str:
        return variables.get(reference["name"], reference["default"] or "")

    return _REFERENCE.sub(replace, value)


def parse_dotenv(
    text: str, environ: Mapping[str, str], *, drop_byte_order_mark: bool = True
) -> dict[str, str]:
    """The variables a .env file sets, ``${VAR}`` expanded as pipenv loads it (with override).

    ``drop_byte_order_mark``: python-dotenv 1.2.4 drops a leading byte-order mark (older ones
    keep it, in the first name).
    """
    if drop_byte_order_mark:
        text = text.removeprefix("\ufeff")
    values: dict[str, str] = {}
    position = 0
    while position < len(text):
        match = _BINDING.match(text, position)
        tail = _LINE_TAIL.match(text, match.end()) if match else None
        if match is None or tail is None:
            line = _REST_OF_LINE.match(text, position)
            position = line.end() if line and line.end() > position else position + 1
            continue
        key = match["quoted_key"] or match["key"]
        values[key] = _interpolate(_binding_value(match), {**environ, **values})
        position = max(tail.end(), position + 1)
    return values


def _is_set(context: CacheContext, name: str) -> bool:
    """pipenv's reading of a flag: set and not one of its false words."""
    value = _common.getenv(context, name) or ""
    return bool(value) and value.lower() not in {"0", "false", "no", "off"}


def _pipfile(context: CacheContext) -> Path:
    """The Pipfile pipenv uses: ``PIPENV_PIPFILE``, else the nearest one (see the docstring)."""
    pipfile = _common.getenv(context, "PIPENV_PIPFILE")
    if pipfile:
        return _common.resolve_path(context, pipfile, expand=False)
    if _is_set(context, "PIPENV_NO_INHERIT"):
        levels = 1
    else:
        try:
            levels = int(_common.getenv(context, "PIPENV_MAX_DEPTH") or _DEFAULT_MAX_DEPTH)
        except ValueError as error:
            raise CacheDirectoryError("PIPENV_MAX_DEPTH must be an integer") from error
    found = _common.find_upwards(context, "Pipfile", max_levels=levels)
    return context.project_directory / "Pipfile" if found is None else found


def _pipfile_directory(context: CacheContext) -> Path:
    return _pipfile(context).parent


def dotenv_file(context: CacheContext) -> Path | None:
    """The .env file pipenv would load for this context, or ``None`` if it loads none."""
    disabled = (_common.getenv(context, "PYTHON_DOTENV_DISABLED") or "").casefold()
    if _is_set(context, "PIPENV_DONT_LOAD_ENV") or disabled in _DOTENV_DISABLING_WORDS:
        return None
    location = _common.getenv(context, "PIPENV_DOTENV_LOCATION")
    if location:
        return _common.resolve_path(context, location, expand=False)
    return _pipfile_directory(context) / ".env"


def _from_dotenv(context: CacheContext) -> tuple[str, Path] | None:
    """``PIPENV_CACHE_DIR`` as the .env file sets it, and the file."""
    path = dotenv_file(context)
    if path is None or not _common.is_file(context, path):
        return None  # pipenv loads only a regular file (a FIFO or a device is skipped)
    text = read_text_file(path, what=".env file") or ""
    release = installed_release(context, "pipenv")
    drop_mark = release.since(_DOTENV_DROPS_BYTE_ORDER_MARK)
    value = parse_dotenv(text, context.environ, drop_byte_order_mark=drop_mark).get(_VARIABLE)
    return None if value is None else (value, path)


# The platformdirs of the pip pipenv 2026.10 patches, for a pipenv whose own is not found.
_PIPENV_PLATFORMDIRS: Final = "4.10.0"
_VENDORED: Final = ("pipenv", "patched", "pip", "_vendor", "platformdirs")


def _default_value(context: CacheContext) -> str:
    """``user_cache_dir("pipenv")`` before pip expands and normalises it."""
    dirs = _installed.platformdirs_rules(context, "pipenv", _VENDORED, unknown=_PIPENV_PLATFORMDIRS)
    return _platformdirs.user_cache_dir(context, dirs, "pipenv")


def cache_location(context: CacheContext) -> CacheLocation:
    """The ``PIPENV_CACHE_DIR`` pipenv hands to pip, expanded by pip, made absolute."""
    from_dotenv = _from_dotenv(context)
    value: str | None = _common.getenv(context, _VARIABLE)
    source = _VARIABLE
    if from_dotenv is not None:
        value, source = from_dotenv[0], f"{_VARIABLE} in {from_dotenv[1]}"
    if value is None:
        value, source = _default_value(context), "pipenv's default"
    elif not value.strip():
        raise CacheDirectoryError(f"{source} is set but empty")
    elif value.strip().lower() in _BOOLEAN_WORDS:
        raise CacheDirectoryError(f"{_VARIABLE}={value!r} from {source} is a boolean to pipenv")
    location = CacheLocation(_common.resolve_path(context, value, expand=True), source)
    pip.check_ownership(context, location)  # pip, which pipenv runs, disables it otherwise
    return location


def lock_file(context: CacheContext) -> LockFile:
    """``<Pipfile>.lock`` beside the Pipfile pipenv uses (pipenv's ``lockfile.location``)."""
    pipfile = _pipfile(context)
    return LockFile(pipfile.with_name(f"{pipfile.name}.lock"), "pipfile")


# -- pruning ---------------------------------------------------------------------------------
# Pipenv hands its cache to pip (``PIP_CACHE_DIR``, ``pipenv/utils/pip.py``), so pip's rules
# apply to ``http-v2/``, ``http/`` and ``wheels/``. Pipenv adds ``pipenv-manifests/`` (index
# pages it parsed: downloads, dropped) and points ``PIP_DESTINATION_DIR`` at ``pkgs/``
# (downloads, dropped).

LAYOUT: Final = TopLevelLayout(
    # Bump when this project's idea of pipenv's cache changes incompatibly.
    version="1",
    entries=pip.LAYOUT.entries | {"pipenv-manifests", "pkgs"},
    downloads=(*pip.LAYOUT.downloads, "pipenv-manifests", "pkgs"),
    built=pip.LAYOUT.built,
)

# -- the tool ----------------------------------------------------------------------------------
_DEPENDENCY_FILE_PATTERNS: Final = ("Pipfile.lock", "Pipfile")
PIPENV: Final = Tool("pipenv", _DEPENDENCY_FILE_PATTERNS, cache_location, LAYOUT, lock_file)
