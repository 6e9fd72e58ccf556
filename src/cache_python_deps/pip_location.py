"""Which pip ``python -m pip`` runs in the job: the probe's search, seen with the job's eyes.

The probe (run in the target with ``-E -s -S``) lists the directories site.py would put on
``sys.path`` for a plain ``python -m pip``, in order, with what each holds (``pip_search``):
the virtualenv's site-packages, the user site, the base interpreter's site-packages, and the
directories their ``.pth`` path lines add. Two things it cannot know are the job's: whether its
environment switches the user site off, and who runs it. This module applies them, as site.py's
``check_enableusersite`` does:

- ``PYTHONNOUSERSITE`` set to a non-empty value in the job's environment (what ``-s`` does);
- a process whose real and effective uid (or gid) differ.

(A virtualenv without system site packages switches the user site off too: the probe then lists
no user site.) The action follows ``python -m pip`` and the ``pip`` scripts, which see the user
site, not ``python -I -m pip``, which does not: that is what the job's own steps run.

Then the first directory that decides: a pip found (its version, or None when its
``__init__.py`` has none readable), or something the probe could not read (unknown). None at
all is a certain "no pip", except when ``PYTHONPATH`` is set: its entries come first on
``sys.path`` and the probe does not search them, so the answer is unknown then. Only a certain
"no pip" is refused; an unknown pip proceeds with the rules ``tools.pip`` takes for a pip of
unknown version.

Pure: every fact is a parameter.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

from cache_python_deps.interpreter import PipSearchEntry

PipState = Literal["found", "absent", "unknown"]


class ProcessIds(NamedTuple):
    """The real and effective user and group ids of the process that runs pip (None: no such
    ids, as on Windows)."""

    uid: int | None
    euid: int | None
    gid: int | None
    egid: int | None

    @classmethod
    def current(cls) -> ProcessIds:
        """This process's ids: the job's steps run as the user the action runs as."""
        if not hasattr(os, "geteuid"):
            return cls(None, None, None, None)
        return cls(os.getuid(), os.geteuid(), os.getgid(), os.getegid())


class PipLocation(NamedTuple):
    """The pip ``python -m pip`` imports in the job, as far as it can be told."""

    state: PipState
    # The version read from its ``__init__.py`` (None: absent, unknown, or none readable).
    version: str | None
    # Where it was found or where the search could not tell (None for absent).
    directory: str | None
    # One phrase for messages: where it is, or why it is not known.
    reason: str


def user_site_switched_off(environ: Mapping[str, str], ids: ProcessIds) -> str | None:
    """Why the job's ``python`` skips the user site (None: it does not)."""
    if environ.get("PYTHONNOUSERSITE"):
        return "PYTHONNOUSERSITE is set"
    if ids.uid != ids.euid or ids.gid != ids.egid:
        return "the real and effective user or group ids differ"
    return None


def find_pip(
    search: Sequence[PipSearchEntry], *, environ: Mapping[str, str], ids: ProcessIds
) -> PipLocation:
    """The pip ``python -m pip`` runs in a job with ``environ``, run by ``ids``."""
    skip_user_site = user_site_switched_off(environ, ids) is not None
    for entry in search:
        if entry.group == "user" and skip_user_site:
            continue
        if entry.state == "found":
            version = f"pip {entry.version}" if entry.version else "a pip of unknown version"
            return PipLocation(
                "found", entry.version, entry.directory, f"{version} in {entry.directory}"
            )
        if entry.state == "unknown":
            return PipLocation(
                "unknown", None, entry.directory, f"{entry.directory} cannot be read safely"
            )
    if environ.get("PYTHONPATH"):
        return PipLocation(
            "unknown", None, None, "PYTHONPATH is set and its directories are not searched"
        )
    return PipLocation("absent", None, None, "no directory python -m pip searches has pip")
