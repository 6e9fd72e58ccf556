"""scripts/changelog_section.py: one release's CHANGELOG.md section, for its release notes."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "changelog_section.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("changelog_section", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


changelog_section = _load_script()

CHANGELOG = """\
# Changelog

Intro text that belongs to no release.

## [Unreleased]

### Fixed

- Something not released yet.

## [1.2.0] - 2026-11-30

### Added

- An input.

#### Details

- A level-4 heading stays inside the section.

## [1.1.10] - 2026-10-01

- Ten.

## [1.1.1] - 2026-09-01

- One.

## [1.0.0] - 2026-08-01

- The first release.

[unreleased]: https://github.com/re-actors/cache-python-deps/compare/v1.2.0...HEAD
[1.2.0]: https://github.com/re-actors/cache-python-deps/compare/v1.1.10...v1.2.0
"""


def run_script(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPT), *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_section_runs_from_its_heading_to_the_next_release() -> None:
    section = changelog_section.find_section(CHANGELOG, "1.2.0")
    assert section == (
        "### Added\n\n- An input.\n\n#### Details\n\n- A level-4 heading stays inside the section."
    )


def test_a_version_never_matches_a_longer_one() -> None:
    assert changelog_section.find_section(CHANGELOG, "1.1.1") == "- One."
    assert changelog_section.find_section(CHANGELOG, "1.1.10") == "- Ten."


def test_the_last_section_leaves_out_the_files_link_definitions() -> None:
    assert changelog_section.find_section(CHANGELOG, "1.0.0") == "- The first release."


@pytest.mark.parametrize("version", ["1.3.0", "1.2", "2.0.0"])
def test_a_release_without_a_section_is_refused(version: str) -> None:
    with pytest.raises(
        changelog_section.ChangelogError, match=re.escape(f"no '## [{version}]' section")
    ):
        changelog_section.find_section(CHANGELOG, version)


def test_an_empty_section_is_refused() -> None:
    text = "## [1.0.1] - 2026-12-01\n\n\n## [1.0.0] - 2026-08-01\n\n- First.\n"
    with pytest.raises(changelog_section.ChangelogError, match="empty"):
        changelog_section.find_section(text, "1.0.1")


def test_a_version_with_two_sections_is_refused() -> None:
    text = "## [1.0.0] - 2026-08-01\n\n- A.\n\n## [1.0.0] - 2026-08-02\n\n- B.\n"
    with pytest.raises(
        changelog_section.ChangelogError, match=re.escape("2 '## [1.0.0]' sections")
    ):
        changelog_section.find_section(text, "1.0.0")


@pytest.mark.parametrize(("text", "version"), [("1.2.3", "1.2.3"), ("v1.2.3", "1.2.3")])
def test_the_tag_or_the_bare_version_is_accepted(text: str, version: str) -> None:
    assert changelog_section.parse_version(text) == version


@pytest.mark.parametrize("text", ["1.2", "v1", "1.2.3rc1", "release-1.2.3", "", "1.2.3\n4"])
def test_anything_but_a_release_version_is_refused(text: str) -> None:
    with pytest.raises(changelog_section.ChangelogError, match="not a release version"):
        changelog_section.parse_version(text)


def test_the_command_prints_the_section_of_the_tag(tmp_path: Path) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(CHANGELOG, encoding="utf-8")
    completed = run_script("v1.1.1", "--changelog", str(changelog))
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "- One.\n", "")


def test_the_command_fails_with_one_line_when_the_section_is_missing(tmp_path: Path) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(CHANGELOG, encoding="utf-8")
    completed = run_script("9.9.9", "--changelog", str(changelog))
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert completed.stderr.count("\n") == 1
    assert "no '## [9.9.9]' section" in completed.stderr


def test_the_command_reads_the_repositorys_changelog_from_any_directory(tmp_path: Path) -> None:
    # tmp_path has no CHANGELOG.md: "no section" (not "No such file") means the repository's
    # changelog was found and read. 0.0.0 never has a section.
    completed = run_script("0.0.0", cwd=tmp_path)
    assert completed.returncode == 1
    assert "no '## [0.0.0]' section" in completed.stderr
