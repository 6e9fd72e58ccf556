"""The user's home directory, as the action's steps and the CLI find it (one lookup for both)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def home_directory(environ: Mapping[str, str]) -> Path | None:
    """``Path.home()``; else an absolute ``HOME``; None when neither HOME nor the password
    database has one (a uid missing from it, HOME unset: a container's odd user)."""
    try:
        return Path.home()
    except (RuntimeError, KeyError, OSError):  # KeyError: Python 3.10's pathlib
        value = environ.get("HOME", "")
        return Path(value) if value and Path(value).is_absolute() else None
