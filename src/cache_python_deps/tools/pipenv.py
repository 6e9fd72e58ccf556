"""Pipenv: its ``PIPENV_CACHE_DIR`` setting, computed in-process.

Order (pipenv's ``environments.Setting`` and ``load_dot_env``, checked against pipenv 2026.x):

1. ``PIPENV_CACHE_DIR`` from the project's ``.env`` file: pipenv loads it with override before
   any command (unless ``PIPENV_DONT_LOAD_ENV`` or ``PYTHON_DOTENV_DISABLED``); the file is
   ``PIPENV_DOTENV_LOCATION``, else ``.env`` next to the Pipfile (``PIPENV_PIPFILE``, else the
   nearest ``Pipfile`` within ``PIPENV_MAX_DEPTH`` directories upwards, else the project
   directory).
2. ``PIPENV_CACHE_DIR`` from the environment.
3. ``platformdirs.user_cache_dir("pipenv")`` (pip's vendored copy): ``~/.cache/pipenv``,
   ``~/Library/Caches/pipenv``, ``%LOCALAPPDATA%\\pipenv\\pipenv\\Cache``; that copy (4.10) takes
   any non-blank ``XDG_CACHE_HOME``, even a relative one.

Pipenv hands the directory to pip as ``PIP_CACHE_DIR``, so it has pip's layout (``http-v2/``,
``wheels/``) plus pipenv's ``pipenv-manifests/``. ``~`` is expanded as pip expands its cache
directory. A boolean-like value (``1``, ``true``...) is read by pipenv as a boolean, not a path:
CacheDirectoryError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools import _common
from cache_python_deps.tools.base import CacheContext

__all__ = ["PIPENV", "PipenvTool"]

_VARIABLE: Final = "PIPENV_CACHE_DIR"
_BOOLEAN_WORDS: Final = frozenset({"0", "false", "no", "off", "1", "true", "yes", "on"})
_DOTENV_DISABLING_WORDS: Final = frozenset({"1", "true", "t", "yes", "y"})
_DEFAULT_MAX_DEPTH: Final = 10

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


def parse_dotenv(text: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The variables a .env file sets, ``${VAR}`` expanded as pipenv loads it (with override)."""
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


def _pipfile_directory(context: CacheContext) -> Path:
    pipfile = _common.getenv(context, "PIPENV_PIPFILE")
    if pipfile:
        return _common.resolve_path(context, pipfile, expand=False).parent
    if _is_set(context, "PIPENV_NO_INHERIT"):
        levels = 1
    else:
        try:
            levels = int(_common.getenv(context, "PIPENV_MAX_DEPTH") or _DEFAULT_MAX_DEPTH)
        except ValueError as error:
            raise CacheDirectoryError("PIPENV_MAX_DEPTH must be an integer") from error
    found = _common.find_upwards(context, "Pipfile", max_levels=levels)
    return context.project_directory if found is None else found.parent


def dotenv_file(context: CacheContext) -> Path | None:
    """The .env file pipenv would load for this context, or ``None`` if it loads none."""
    disabled = (_common.getenv(context, "PYTHON_DOTENV_DISABLED") or "").casefold()
    if _is_set(context, "PIPENV_DONT_LOAD_ENV") or disabled in _DOTENV_DISABLING_WORDS:
        return None
    location = _common.getenv(context, "PIPENV_DOTENV_LOCATION")
    if location:
        return _common.resolve_path(context, location, expand=False)
    return _pipfile_directory(context) / ".env"


def _from_dotenv(context: CacheContext) -> str | None:
    path = dotenv_file(context)
    if path is None or not _common.is_file(context, path):
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CacheDirectoryError(f"cannot read {path}: {error}") from error
    return parse_dotenv(text, context.environ).get(_VARIABLE)


def default_cache_directory(context: CacheContext) -> Path:
    """Pipenv's cache directory when ``PIPENV_CACHE_DIR`` is not set."""
    return _common.user_cache_dir(context, "pipenv", xdg_absolute_only=False)


class PipenvTool:
    """Pipenv (``pipenv install`` / ``pipenv sync``); pip's cache layout under its own root."""

    name: Final = "pipenv"
    # Bump when this project's idea of pipenv's cache changes incompatibly.
    cache_layout_version: Final = "1"
    dependency_file_patterns: Final = ("Pipfile.lock", "Pipfile")
    marker_files: Final = ("Pipfile.lock", "Pipfile")

    def cache_directory(self, context: CacheContext) -> Path:
        """The ``PIPENV_CACHE_DIR`` pipenv would hand to pip, made absolute."""
        from_dotenv = _from_dotenv(context)
        value = from_dotenv if from_dotenv is not None else _common.getenv(context, _VARIABLE)
        if value is None:
            return default_cache_directory(context)
        if not value.strip():
            raise CacheDirectoryError(f"{_VARIABLE} is set but empty")
        if value.strip().lower() in _BOOLEAN_WORDS:
            raise CacheDirectoryError(f"{_VARIABLE}={value!r} is read by pipenv as a boolean")
        return _common.resolve_path(context, value, expand=True)


PIPENV: Final = PipenvTool()
