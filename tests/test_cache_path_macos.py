"""The path rules with macOS's facts, on any machine: a case-insensitive disk (APFS, HFS+ as
formatted by default) and the places macOS keeps under ``~/Library``.

The last test runs on macOS only: the engine with this system's own facts.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from cache_python_deps.cache_path import PathFacts, path_problem
from cache_python_deps.engine import run
from cache_python_deps.errors import UnsafeCachePathError
from cache_python_deps.file_names import host_os_family
from tests import path_rules_support as support

# A GitHub-hosted macOS runner's facts.
MACOS = PathFacts(
    os_family="macos",
    homes=("/Users/runner",),
    workspace="/Users/runner/work/repo/repo",
    protected=("/Users/runner/hostedtoolcache", "/Users/runner/work/_actions/re-actors/cpd/v1"),
)


def refused(path: str, facts: PathFacts = MACOS) -> str:
    return support.refused(path, facts)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/users/runner", "home directory"),
        ("/USERS/RUNNER", "home directory"),
        ("/users", "system directory"),
        ("/USERS/RUNNER/.ssh", "home directory's .ssh"),
        ("/Users/runner/.SSH", "home directory's .ssh"),
        ("/Users/runner/.Ssh/id_ed25519", "home directory's .ssh"),
        ("/Users/runner/.GnuPG", "home directory's .gnupg"),
        ("/Users/runner/.Cache", "whole .cache"),
        ("/USR/local/x", "system directory /usr"),
        ("/usr/LOCAL/bin", "system directory /usr"),
        ("/library/Keychains", "system directory /Library"),
        ("/LIBRARY/Application Support/x", "system directory /Library"),
        ("/system/Library", "system directory /System"),
        ("/ETC", "system directory /etc"),
        ("/Private/Etc/hosts", "system directory /private/etc"),
        ("/TMP", "system directory"),
        ("/users/runner/work", "workspace"),
        ("/Users/Runner/Work/Repo/Repo", "workspace"),
        ("/users/runner/HOSTEDTOOLCACHE/Python/3.12.1", "tool cache"),
    ],
)
def test_names_differing_only_in_case_are_the_same_place(path: str, problem: str) -> None:
    assert problem in refused(path)


def test_names_differing_only_in_unicode_normalisation_are_the_same_place() -> None:
    # APFS and HFS+ find "josé" whichever way its "é" is encoded, and whatever its case.
    home = unicodedata.normalize("NFC", "/Users/josé")
    path = unicodedata.normalize("NFD", "/Users/JOSÉ/.ssh")
    assert not path.startswith(home) and not path.lower().startswith(home)
    facts = PathFacts(os_family="macos", homes=(home,))
    assert "home directory's .ssh" in refused(path, facts)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/Users/runner/Library", "home directory's whole Library"),
        ("/Users/runner/library/", "home directory's whole Library"),
        ("/Users/runner/Library/Caches", "home directory's whole Library/Caches"),
        ("/Users/runner/LIBRARY/CACHES", "home directory's whole Library/Caches"),
        ("/Users/runner/Library/Application Support", "whole Library/Application Support"),
        ("/Users/runner/Library/Preferences", "whole Library/Preferences"),
        ("/Users/runner/Library/Containers", "whole Library/Containers"),
        ("/Users/runner/Library/Group Containers", "whole Library/Group Containers"),
        ("/Users/runner/Library/Keychains", "home directory's Library/Keychains"),
        ("/Users/runner/Library/Keychains/login.keychain-db", "Library/Keychains"),
        ("/users/runner/library/keychains/signing", "Library/Keychains"),
        ("/Users/runner/Library/Cookies", "home directory's Library/Cookies"),
        ("/Users/runner/Library/LaunchAgents", "home directory's Library/LaunchAgents"),
        ("/Users/runner/Library/LaunchAgents/evil", "Library/LaunchAgents"),
        ("/opt/homebrew", "system directory /opt/homebrew"),
        ("/opt/homebrew/bin", "system directory /opt/homebrew"),
        ("/Users/Shared", "system directory"),
    ],
)
def test_macos_protected_places_are_refused(path: str, problem: str) -> None:
    assert problem in refused(path)


@pytest.mark.parametrize(
    "path",
    [
        "/Users/runner/Library/Caches/pip",
        "/users/runner/library/caches/pip",  # pip's cache, spelled otherwise
        "/Users/runner/Library/Caches/pypoetry",
        "/Users/runner/Library/Application Support/pdm/venvs",
        "/Users/runner/Library/Developer/Xcode/DerivedData",
        "/Users/runner/.cache/uv",
        "/Users/runner/work/repo/repo/.venv",
        "/Users/runner/work/_temp/cache",
        "/private/var/folders/ab/xyz/T/pip-cache",
        "/opt/pip-cache",
    ],
)
def test_macos_cache_directories_pass(path: str) -> None:
    assert path_problem(path, MACOS) is None


def test_every_tools_default_directory_on_macos_passes(tmp_path: Path) -> None:
    project = "/Users/runner/work/repo/repo"
    runner = support.default_directories(
        "macos", "/Users/runner", {"HOME": "/Users/runner"}, project
    )
    # uv keeps ~/Library/Caches/uv when it already exists (older uv made it).
    legacy_home = tmp_path / "runner"
    (legacy_home / "Library" / "Caches" / "uv").mkdir(parents=True)
    legacy = support.default_directories("macos", legacy_home, {"HOME": str(legacy_home)}, project)
    assert ("uv", f"{legacy_home}/Library/Caches/uv") in legacy
    legacy_facts = PathFacts(os_family="macos", homes=(str(legacy_home),))
    problems = [
        (tool, path, path_problem(path, facts))
        for facts, directories in ((MACOS, runner), (legacy_facts, legacy))
        for tool, path in directories
    ]
    assert [problem for problem in problems if problem[2] is not None] == []
    assert {path for _, path, _ in problems} >= {
        "/Users/runner/Library/Caches/pip",
        "/Users/runner/Library/Caches/pypoetry",
        "/Users/runner/Library/Caches/pipenv",
        "/Users/runner/Library/Caches/pdm",
        "/Users/runner/.cache/uv",
    }


@pytest.mark.skipif(host_os_family() != "macos", reason="the engine with macOS's own facts")
def test_on_macos_the_home_spelled_otherwise_is_refused(tmp_path: Path) -> None:
    home = Path.home()
    cache = str(home).upper() + "/.SSH/uv"
    with pytest.raises(UnsafeCachePathError, match=r"home directory's \.ssh"):
        run(support.uv_cache_request(tmp_path / "project", cache, home))
