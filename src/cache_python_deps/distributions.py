"""Distribution names and versions as packaging reads them, and the built wheels a bump superseded.

Pure functions on text (stdlib only: the action's run-time path installs nothing):

- ``canonical_name``: PEP 503 normalisation (runs of ``-``, ``_``, ``.`` become one ``-``, lower
  case), what ``packaging.utils.canonicalize_name`` returns.
- ``canonical_version``: the PEP 440 normal form with the release's trailing zeros dropped, what
  ``packaging.utils.canonicalize_version(Version(text))`` returns; ``None`` where packaging's
  ``Version`` refuses the text. Two versions are equal for packaging exactly when these agree.
- ``parse_wheel_filename``: the name and version of a wheel file name (PEP 427 as packaging reads
  it); ``None`` for a name that does not parse.
- ``InUse`` and ``verdict``: whether a built wheel is superseded, i.e. its distribution is named by
  the dependencies in use (a lock file or an environment) at other versions only.

tests/test_distributions.py holds each against packaging itself.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Final, NamedTuple

__all__ = [
    "InUse",
    "NotRead",
    "Verdict",
    "WheelName",
    "canonical_name",
    "canonical_version",
    "is_valid_name",
    "parse_wheel_filename",
    "verdict",
]

# The core metadata spec's ``Name``: ASCII letters and digits, with ``.``, ``_`` and ``-`` inside.
_VALID_NAME: Final = re.compile(r"[a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9]", re.IGNORECASE | re.ASCII)
_SEPARATOR_RUNS: Final = re.compile(r"[-_.]+")
# A wheel file name's escaped distribution name (word characters and dots; PEP 427).
_WHEEL_NAME_PART: Final = re.compile(r"[\w.]+")
# PEP 427: a build tag starts with a digit.
_BUILD_TAG: Final = re.compile(r"[0-9]", re.ASCII)

# PEP 440's grammar (its appendix B), matched case-insensitively after surrounding whitespace.
_VERSION: Final = re.compile(
    r"""
    v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?:[-_.]?(?P<pre_letter>alpha|beta|preview|pre|rc|a|b|c)[-_.]?(?P<pre_number>[0-9]+)?)?
    (?:
        -(?P<post_implicit>[0-9]+)
        |
        [-_.]?(?P<post_letter>post|rev|r)[-_.]?(?P<post_number>[0-9]+)?
    )?
    (?:[-_.]?(?P<dev_letter>dev)[-_.]?(?P<dev_number>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
    """,
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)
_PRE_RELEASE_SPELLING: Final = {"alpha": "a", "beta": "b", "c": "rc", "pre": "rc", "preview": "rc"}
_LOCAL_SEPARATORS: Final = re.compile(r"[-_.]")


def canonical_name(name: str) -> str:
    """PEP 503's normalised form of a distribution name."""
    return _SEPARATOR_RUNS.sub("-", name).lower()


def is_valid_name(name: str) -> bool:
    """Whether ``name`` is a valid distribution name (the core metadata spec's ``Name``)."""
    return _VALID_NAME.fullmatch(name) is not None


def _number(text: str | None) -> int:
    return int(text) if text else 0


def canonical_version(text: str) -> str | None:
    """The canonical form of a PEP 440 version, trailing release zeros dropped; None if invalid."""
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        return None
    release = [int(part) for part in match["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    parts = []
    epoch = _number(match["epoch"])
    if epoch:
        parts.append(f"{epoch}!")
    parts.append(".".join(str(part) for part in release))
    if match["pre_letter"]:
        letter = match["pre_letter"].lower()
        parts.append(f"{_PRE_RELEASE_SPELLING.get(letter, letter)}{_number(match['pre_number'])}")
    if match["post_implicit"] is not None:
        parts.append(f".post{int(match['post_implicit'])}")
    elif match["post_letter"]:
        parts.append(f".post{_number(match['post_number'])}")
    if match["dev_letter"]:
        parts.append(f".dev{_number(match['dev_number'])}")
    if match["local"]:
        local = _LOCAL_SEPARATORS.split(match["local"])
        parts.append("+" + ".".join(str(int(p)) if p.isdigit() else p.lower() for p in local))
    return "".join(parts)


class WheelName(NamedTuple):
    """The distribution a wheel file holds, as its file name says."""

    name: str  # canonical (PEP 503)
    version: str  # canonical (see ``canonical_version``)


def parse_wheel_filename(filename: str) -> WheelName | None:
    """The canonical name and version in a wheel file name, or None when it does not parse.

    ``{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl``: the name is escaped (word
    characters and dots, no ``__``), the version valid PEP 440, the build tag starts with a
    digit, and no part is empty.
    """
    if not filename.endswith(".whl"):
        return None
    parts = filename[: -len(".whl")].split("-")
    if len(parts) not in (5, 6) or not all(parts):
        return None
    name, version = parts[0], canonical_version(parts[1])
    if _WHEEL_NAME_PART.fullmatch(name) is None or "__" in name or version is None:
        return None
    if len(parts) == 6 and _BUILD_TAG.match(parts[2]) is None:
        return None
    return WheelName(canonical_name(name), version)


class InUse(NamedTuple):
    """The distributions the dependencies in use name, each with every version it is named at."""

    # What named them, in our words ("uv.lock", "the environment of"), and where: a path, shown
    # escaped for each sink (it comes from the workspace or the interpreter).
    what: str
    where: str
    # Canonical name -> canonical versions it is named at.
    versions: Mapping[str, frozenset[str]]
    # Canonical names named at least once at a version that could not be read.
    unknown_versions: frozenset[str] = frozenset()


class NotRead(NamedTuple):
    """Nothing says what is in use: every built wheel is kept, for this one-line reason.

    The reason names paths and quotes files: escape it for each sink.
    """

    reason: str


class Verdict(enum.Enum):
    """What the dependencies in use say about one built wheel."""

    SUPERSEDED = "superseded"  # its distribution is named, at other versions only
    IN_USE = "in use"  # named at its version
    NOT_NAMED = "not named"  # its distribution is not named (another environment's, maybe)
    VERSION_UNKNOWN = "version unknown"  # named at a version that could not be read
    UNPARSED = "unparsed"  # its file name does not parse as a wheel's


def verdict(in_use: InUse, filename: str) -> Verdict:
    """Whether the built wheel ``filename`` is superseded by what is in use (see ``Verdict``)."""
    wheel = parse_wheel_filename(filename)
    if wheel is None:
        return Verdict.UNPARSED
    if wheel.name in in_use.unknown_versions:
        return Verdict.VERSION_UNKNOWN
    versions = in_use.versions.get(wheel.name)
    if versions is None:
        return Verdict.NOT_NAMED
    return Verdict.IN_USE if wheel.version in versions else Verdict.SUPERSEDED
