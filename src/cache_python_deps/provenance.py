"""The provenance record: a small JSON file the action keeps inside the cached directory.

It says which key an entry was saved under, the identity that key was made from, and the run
that saved it. After a restore it tells which entry came back (``cache-matched-key``: the real
``actions/cache`` step outputs only ``cache-hit``), what differs from this job's key, and
whether the entry's identity is this job's at all. It is then replaced by this job's record, so
that the entry saved at the end of the job carries its own key.

A record comes from a cache that anyone able to open a pull request may have written: it is read
with a size limit, every field is validated (type, length, characters), and nothing of it is
shown without escaping. An invalid record is treated like a missing one, with its reason.

The file name starts with a dot and sits at the top of the directory, where none of the tools
looks for files of its own (checked against pip, uv, poetry, pipenv and pdm in the tests).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, NamedTuple

from cache_python_deps import __version__
from cache_python_deps.errors import UnreadableFileError
from cache_python_deps.keys import (
    COMPONENT_NAMES,
    CacheKeys,
    differing_components,
    is_valid_key,
)
from cache_python_deps.record_file import RECORD_NAME, temporary_name
from cache_python_deps.safe_files import read_text_file

RECORD_FORMAT: Final = 1
MAX_RECORD_BYTES: Final = 64 * 1024

# Every component but these says which interpreter and cache an entry is for.
NOT_IDENTITY: Final = frozenset({"dependencies"})

_COMPONENT_VALUE: Final = re.compile(r"[A-Za-z0-9._+=-]{1,200}")
_REPOSITORY: Final = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
_DIGITS: Final = re.compile(r"[0-9]{1,20}")
_SHA: Final = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_TIME: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_PRINTABLE: Final = re.compile(r"[^\x00-\x1f\x7f\u2028\u2029]{1,255}")
_URL: Final = re.compile(r"https?://[A-Za-z0-9.:-]{1,200}")


class InvalidRecordError(ValueError):
    """A record that is not what this action writes: the message says which field and why."""


class SavedBy(NamedTuple):
    """The run that saved an entry (from the runner's ``GITHUB_*`` variables)."""

    repository: str | None
    workflow: str | None
    run_id: str | None
    run_attempt: str | None
    ref: str | None
    sha: str | None
    server_url: str | None
    time: str


class Record(NamedTuple):
    """One provenance record: the key, its components by name, and the run that saved it."""

    key: str
    components: tuple[tuple[str, str], ...]
    saved_by: SavedBy
    interpreter: str | None = None
    written_by: str | None = None

    def component(self, name: str) -> str | None:
        """The value of one named component."""
        return dict(self.components).get(name)

    def differences(self, other: Record) -> tuple[str, ...]:
        """Names of the components whose values differ from ``other``'s, in key order."""
        return differing_components(dict(self.components), dict(other.components))

    @property
    def is_virtualenv(self) -> bool:
        """Whether the entry is a virtualenv: its cache kind is ``venv.<install>``."""
        return (self.component("cache kind") or "").startswith("venv.")

    def identity_differences(self, other: Record) -> tuple[str, ...]:
        """Differing components that say which interpreter, tool or kind an entry is for."""
        return tuple(name for name in self.differences(other) if name not in NOT_IDENTITY)


def _optional(environ: Mapping[str, str], name: str, pattern: re.Pattern[str]) -> str | None:
    value = environ.get(name, "")
    return value if pattern.fullmatch(value) else None


def saved_by_this_run(environ: Mapping[str, str], now: str) -> SavedBy:
    """This run, from the runner's variables (any that are malformed are left out)."""
    return SavedBy(
        repository=_optional(environ, "GITHUB_REPOSITORY", _REPOSITORY),
        workflow=_optional(environ, "GITHUB_WORKFLOW", _PRINTABLE),
        run_id=_optional(environ, "GITHUB_RUN_ID", _DIGITS),
        run_attempt=_optional(environ, "GITHUB_RUN_ATTEMPT", _DIGITS),
        ref=_optional(environ, "GITHUB_REF", _PRINTABLE),
        sha=_optional(environ, "GITHUB_SHA", _SHA),
        server_url=_optional(environ, "GITHUB_SERVER_URL", _URL),
        time=now,
    )


def record_for(keys: CacheKeys, saved_by: SavedBy, interpreter: str | None = None) -> Record:
    """This job's record for its primary key."""
    components = tuple((component.name, component.value) for component in keys.components)
    return Record(
        key=keys.primary,
        components=components,
        saved_by=saved_by,
        interpreter=interpreter,
        written_by=f"cache-python-deps {__version__}",
    )


def to_json(record: Record) -> str:
    """The record as the compact JSON written into the cache directory."""
    saved_by = record.saved_by
    data: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "written_by": record.written_by,
        "key": record.key,
        "components": dict(record.components),
        "interpreter": record.interpreter,
        "saved_by": {
            "repository": saved_by.repository,
            "workflow": saved_by.workflow,
            "run_id": saved_by.run_id,
            "run_attempt": saved_by.run_attempt,
            "ref": saved_by.ref,
            "sha": saved_by.sha,
            "server_url": saved_by.server_url,
            "time": saved_by.time,
        },
    }
    return json.dumps(data, indent=1, ensure_ascii=True) + "\n"


def _field(data: Mapping[str, Any], name: str, pattern: re.Pattern[str], *, required: bool) -> Any:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidRecordError(f"its {name} is missing or malformed")
    return value


def parse_record(text: str) -> Record:
    """Validate a record's JSON field by field; InvalidRecordError names the first bad one."""
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidRecordError("it is not JSON") from None
    if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
        raise InvalidRecordError("it is not a record of a format this action writes")
    components = data.get("components")
    if not isinstance(components, dict) or list(components) != list(COMPONENT_NAMES):
        raise InvalidRecordError("its components are missing or not the ones of a key")
    for name, value in components.items():
        if not isinstance(value, str) or not _COMPONENT_VALUE.fullmatch(value):
            raise InvalidRecordError(f"its component {name!r} is malformed")
    key = data.get("key")
    if not isinstance(key, str) or not is_valid_key(key):
        raise InvalidRecordError("its key is missing or not a valid cache key")
    if key != "-".join(components.values()):
        raise InvalidRecordError("its key does not match its components")
    saved = data.get("saved_by")
    if not isinstance(saved, dict):
        raise InvalidRecordError("its saved_by is missing")
    saved_by = SavedBy(
        repository=_field(saved, "repository", _REPOSITORY, required=False),
        workflow=_field(saved, "workflow", _PRINTABLE, required=False),
        run_id=_field(saved, "run_id", _DIGITS, required=False),
        run_attempt=_field(saved, "run_attempt", _DIGITS, required=False),
        ref=_field(saved, "ref", _PRINTABLE, required=False),
        sha=_field(saved, "sha", _SHA, required=False),
        server_url=_field(saved, "server_url", _URL, required=False),
        time=_field(saved, "time", _TIME, required=True),
    )
    return Record(
        key=key,
        components=tuple(components.items()),
        saved_by=saved_by,
        interpreter=_field(data, "interpreter", _PRINTABLE, required=False),
        written_by=_field(data, "written_by", _PRINTABLE, required=False),
    )


class ReadResult(NamedTuple):
    """What was found in a directory: a valid record, or why there is none."""

    record: Record | None
    problem: str | None = None


def read_record(directory: Path) -> ReadResult:
    """Read the record in ``directory``: bounded, validated; never raises for bad content."""
    path = directory / RECORD_NAME
    try:
        text = read_text_file(path, limit=MAX_RECORD_BYTES, what="provenance record")
    except UnreadableFileError as error:
        return ReadResult(None, str(error))
    if text is None:
        return ReadResult(None, None)
    try:
        return ReadResult(parse_record(text))
    except InvalidRecordError as error:
        return ReadResult(None, f"the provenance record is not valid: {error}")


def write_record(directory: Path, record: Record, *, create: bool) -> bool:
    """Replace the record in ``directory``; False when the directory does not exist.

    ``create`` makes the directory first (a tool cache; never a virtualenv, which tools refuse
    to create over a non-empty directory). The file is written beside its final name and
    renamed over it, without following a symlink a restored entry may have put there.
    """
    if create:
        directory.mkdir(parents=True, exist_ok=True)
    if not directory.is_dir() or directory.is_symlink():
        return False
    target = directory / RECORD_NAME
    temporary = directory / temporary_name(os.getpid())
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(temporary, flags, 0o644)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(to_json(record))
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return True
