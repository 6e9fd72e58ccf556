"""The path rules with macOS's facts, on any machine: a case-insensitive disk (APFS, HFS+ as
formatted by default) and the places macOS keeps under ``~/Library``.

The last test runs on macOS only: the engine with this system's own facts.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pytest

from cache_python_deps.cache_path import PathFacts, path_problem
from cache_python_deps.engine import Request, run
from cache_python_deps.errors import UnsafeCachePathError
from cache_python_deps.file_names import host_os_family
from cache_python_deps.keys import CacheKind
from cache_python_deps.tools import TOOL_NAMES, get_tool
from cache_python_deps.tools.base import CacheContext
from cache_python_deps.tools.pip import _VENDORED_PLATFORMDIRS

# A GitHub-hosted macOS runner's facts.
MACOS = PathFacts(
    os_family="macos",
    homes=("/Users/runner",),
    workspace="/Users/runner/work/repo/repo",
    protected=("/Users/runner/hostedtoolcache", "/Users/runner/work/_actions/re-actors/cpd/v1"),
)


def refused(path: str, facts: PathFacts = MACOS) -> str:
    problem = path_problem(path, facts)
    assert problem is not None, f"{path!r} was accepted"
    return problem


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


PIP_VERSIONS = (None, "20.3", *(f"{major}.{minor}" for (major, minor), _ in _VENDORED_PLATFORMDIRS))


def _default_directories(home: Path, environ: dict[str, str]) -> list[tuple[str, str]]:
    """Every tool's default cache directory on macOS, as the tools' own rules compute it."""
    found = []
    for tool in TOOL_NAMES:
        for pip_version in PIP_VERSIONS if tool == "pip" else (None,):
            context = CacheContext(
                os_family="macos",
                environ=environ,
                home=home,
                interpreter_prefix=Path("/nonexistent/prefix"),
                project_directory=Path("/nonexistent/project"),
                pip_version=pip_version,
            )
            location = get_tool(tool).cache_directory(context)
            found.append((f"{tool} {pip_version or ''}", str(location.path)))
    return found


def test_every_tools_default_directory_on_macos_passes(tmp_path: Path) -> None:
    runner = _default_directories(Path("/Users/runner"), {"HOME": "/Users/runner"})
    # uv keeps ~/Library/Caches/uv when it already exists (older uv made it).
    legacy_home = tmp_path / "runner"
    (legacy_home / "Library" / "Caches" / "uv").mkdir(parents=True)
    legacy = _default_directories(legacy_home, {"HOME": str(legacy_home)})
    assert ("uv ", f"{legacy_home}/Library/Caches/uv") in legacy
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
    project = tmp_path / "project"
    project.mkdir()
    request = Request(
        python=sys.executable,
        tool="uv",
        kind=CacheKind.TOOL,
        dependency_hash="abc",
        lookup_command=None,
        project_directory=project,
        environ={"UV_CACHE_DIR": str(home).upper() + "/.SSH/uv", "HOME": str(home)},
        home=home,
    )
    with pytest.raises(UnsafeCachePathError, match=r"home directory's \.ssh"):
        run(request)
