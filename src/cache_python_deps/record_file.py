"""The file name of the provenance record in a cached directory, and of its interrupted writes.

One definition for the writer (``provenance``) and for the prune rules, which accept and keep
the record (and what an interrupted write left) in any tool's cache. Kept apart from
``provenance`` so that the tool modules stay light.
"""

from __future__ import annotations

from typing import Final

RECORD_NAME: Final = ".cache-python-deps.json"
_TEMPORARY_SUFFIX: Final = ".tmp"


def temporary_name(pid: int) -> str:
    """The name a write of the record goes to first (``<record>.<pid>.tmp``), then renamed."""
    return f"{RECORD_NAME}.{pid}{_TEMPORARY_SUFFIX}"


def is_record_file(name: str) -> bool:
    """The record, or what a write of it interrupted midway left (``<record>.<pid>.tmp``)."""
    if name == RECORD_NAME:
        return True
    middle = name.removeprefix(RECORD_NAME + ".").removesuffix(_TEMPORARY_SUFFIX)
    return name.endswith(_TEMPORARY_SUFFIX) and middle != name and middle.isdigit()
