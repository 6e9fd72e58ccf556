"""Print the CHANGELOG.md section of one release, for its GitHub release notes.

Usage: ``python scripts/changelog_section.py VERSION [--changelog PATH]``

``VERSION`` is ``X.Y.Z`` (a leading ``v``, as in the tag, is accepted). The section is the text
under the Keep a Changelog heading ``## [X.Y.Z] - YYYY-MM-DD`` up to the next ``## `` heading,
without surrounding blank lines and without the link definitions (``[X.Y.Z]: https://...``)
that close the file. A release with no section, or an empty one, is refused (exit code 1): the
release workflow runs this before anything is published. Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"

_VERSION = re.compile(r"v?(?P<version>[0-9]+\.[0-9]+\.[0-9]+)")
_LEVEL_2_HEADING = re.compile(r"##(?!#)")
_LINK_DEFINITION = re.compile(r"\[[^\]]+\]:\s")


class ChangelogError(ValueError):
    """The changelog has no usable section for the version asked."""


def parse_version(text: str) -> str:
    """``X.Y.Z`` from ``X.Y.Z`` or ``vX.Y.Z``; anything else is refused."""
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        raise ChangelogError(f"not a release version (X.Y.Z or vX.Y.Z): {text!r}")
    return match.group("version")


def _is_heading_of(line: str, version: str) -> bool:
    # "## [1.2.3] - 2026-12-01", "## [1.2.3]" or "## 1.2.3": never "## [1.2.30]" or "[1.2.3rc1]".
    pattern = rf"##\s+\[?v?{re.escape(version)}\]?(?:\s|$)"
    return re.match(pattern, line) is not None


def find_section(changelog: str, version: str) -> str:
    """The body of ``version``'s section in the changelog's text, stripped."""
    lines = changelog.splitlines()
    starts = [index for index, line in enumerate(lines) if _is_heading_of(line, version)]
    if not starts:
        raise ChangelogError(f"no '## [{version}]' section in the changelog")
    if len(starts) > 1:
        raise ChangelogError(f"{len(starts)} '## [{version}]' sections in the changelog")
    body: list[str] = []
    for line in lines[starts[0] + 1 :]:
        if _LEVEL_2_HEADING.match(line):
            break
        body.append(line)
    # The link definitions at the end of the file belong to the whole changelog, not to
    # the last section before them.
    while body and (not body[-1].strip() or _LINK_DEFINITION.match(body[-1])):
        body.pop()
    text = "\n".join(body).strip("\n")
    if not text.strip():
        raise ChangelogError(f"the '## [{version}]' section of the changelog is empty")
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="changelog_section.py",
        description="Print one release's section of CHANGELOG.md.",
    )
    parser.add_argument("version", help="X.Y.Z or vX.Y.Z")
    parser.add_argument(
        "--changelog",
        type=Path,
        default=DEFAULT_CHANGELOG,
        help="the changelog to read (default: the repository's CHANGELOG.md)",
    )
    args = parser.parse_args(argv)
    try:
        version = parse_version(args.version)
        section = find_section(args.changelog.read_text(encoding="utf-8"), version)
    except (ChangelogError, OSError) as error:
        print(f"changelog_section.py: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(section + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
