"""The tools' own releases: which one is installed, which rules it has, and up to which release
this project's rules were checked.

The tools changed their directory rules between releases. Each change is a named ``Gate`` (the
first release with the new rule) that a tool module asks about with ``ToolRelease.since``, as
``_platformdirs`` does for platformdirs; tests/test_tool_dirs.py runs the real tool on both sides
of every gate. The installed release is found without starting the tool: pip's from the probe
(``CacheContext.pip_version``), the others' from the ``METADATA`` of their distribution where
their script on ``PATH`` imports from (see ``_installed``). Unknown (not found, unreadable, not
shaped like a release, another OS's paths): the newest rules, and nothing is said.

``CHECKED`` is the one table of the newest release of each tool the rules were compared with:
the real-tool suite runs those (tests/tools-requirements.txt; pip's is the development
environment's). A newer release of a tool *line* than the one checked is said in ``--explain``
and the job summary (``rules_notice``). What a line is follows each tool's versioning:

- pip: ``YY.N``. Calendar versions; each quarterly release may change the rules (26.2 and 26.3
  did), and pip's vendored platformdirs release is known only up to the one checked.
- uv: ``0.N`` while uv is 0.x (its minor releases carry the breaking changes, 0.12.0 did), then
  the major version.
- poetry, pdm: the major version (semantic versioning).
- pipenv: the year (calendar versions ``YYYY.N.M``; its platformdirs is read from its own files,
  so its monthly releases matter less).

The weekly drift workflow (.github/workflows/tool-drift.yml) runs the real-tool suite against
each tool's newest release, so a changed rule is a red run there before it is a user's report.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from cache_python_deps.tools._platformdirs import version_tuple
from cache_python_deps.tools.base import CacheContext

# The newest release of each tool whose rules the real-tool suite checked.
CHECKED: Final = {
    "pip": "26.3",
    "uv": "0.13.9",
    "poetry": "2.5.1",
    "pdm": "2.29.4",
    "pipenv": "2026.10.3",
}
# A release as a tool reports it: PEP 440 characters only, bounded (it is shown to people).
_RELEASE_TEXT: Final = re.compile(r"[0-9][0-9A-Za-z.+!_-]{0,63}")


class Gate(NamedTuple):
    """The first release of ``tool`` with a rule (``rule`` says which, for tests and readers)."""

    tool: str
    release: tuple[int, ...]
    rule: str


class ToolRelease(NamedTuple):
    """One release of a tool (``version`` None: unknown, the newest rules)."""

    tool: str
    version: tuple[int, ...] | None

    def since(self, gate: Gate) -> bool:
        """Whether this release has the rule ``gate`` introduced."""
        assert gate.tool == self.tool, (gate, self.tool)
        return self.version is None or self.version >= gate.release


def installed_version(context: CacheContext, tool: str) -> str | None:
    """The release of ``tool`` the context's user runs, when it can be told without starting it."""
    if tool == "pip":
        found = context.pip_version
    else:
        # Finding a tool's script and its distribution stays off pip's keys step (measured).
        from cache_python_deps.tools import _installed  # noqa: PLC0415

        found = _installed.distribution_version(context, tool, tool)
    return found if found is not None and _RELEASE_TEXT.fullmatch(found) else None


def installed_release(context: CacheContext, tool: str) -> ToolRelease:
    """The rules of the installed ``tool`` (the newest rules when its release is unknown)."""
    return ToolRelease(tool, version_tuple(installed_version(context, tool)))


def _line(tool: str, version: tuple[int, ...]) -> tuple[int, ...]:
    """The part of a version that names a release line whose rules may differ (see above)."""
    if tool == "pip" or (tool == "uv" and version[0] == 0):
        return version[:2]
    return version[:1]


def is_newer_line(tool: str, version: str) -> bool:
    """Whether ``version`` of ``tool`` is of a newer line than the release ``CHECKED`` names."""
    found, checked = version_tuple(version), version_tuple(CHECKED[tool])
    if found is None or checked is None:
        return False
    return _line(tool, found) > _line(tool, checked)


def rules_notice(context: CacheContext, tool: str) -> str | None:
    """One line when the installed ``tool`` is newer than the rules know; None otherwise."""
    version = installed_version(context, tool)
    if version is None or tool not in CHECKED or not is_newer_line(tool, version):
        return None
    return (
        f"rules checked up to {tool} {CHECKED[tool]}; this is {tool} {version}: "
        f"if {tool} uses another cache directory, please report it"
    )
