"""The directory handed to actions/cache: attacks on it are refused with one line naming where
the value came from; ordinary cache directories pass. Linux's facts here; macOS's and Windows'
in test_cache_path_macos.py and test_cache_path_windows.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from cache_python_deps.cache_path import (
    PathFacts,
    home_directories,
    path_problem,
    real_path,
    validate_cache_path,
)
from cache_python_deps.engine import run
from cache_python_deps.errors import UnsafeCachePathError
from cache_python_deps.file_names import host_os_family
from tests.path_rules_support import uv_cache_request

RUNNER = PathFacts(
    os_family="linux",
    homes=("/home/runner", "/root"),
    workspace="/home/runner/work/repo/repo",
    protected=("/opt/hostedtoolcache", "/home/runner/work/_actions/re-actors/cpd/v1"),
)


@pytest.mark.parametrize(
    "path",
    [
        "/home/runner/.cache/pip",
        "/home/runner/.cache/uv",
        "/home/runner/work/repo/repo/.venv",
        "/home/runner/work/_temp/cache",
        "/tmp/pip-cache",
        "/var/cache/pip",
        "/github/home/.cache/pip",
        "/Users/runner/Library/Caches/pip",
    ],
)
def test_ordinary_cache_directories_pass(path: str) -> None:
    assert path_problem(path, RUNNER) is None


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/home/runner/.cache/pip\n/etc", "not one line"),
        ("/home/runner/.cache/pip\r/etc", "not one line"),
        ("/x\x1b[31m", "not one line"),
        ("/home/runner/.cache/*", "glob syntax"),
        ("/home/runner/.cache/pip?", "glob syntax"),
        ("/home/runner/[ab]", "glob syntax"),
        ("/home/runner/{a,b}", "glob syntax"),
        ("/home/runner/a\\*", "glob syntax"),
        ("!/home/runner/.cache/pip", "pattern syntax"),
        ("#/home/runner", "pattern syntax"),
        ("~/.cache/pip", "pattern syntax"),
        (" /home/runner/.cache/pip", "whitespace"),
        ("/home/runner/.cache/pip ", "whitespace"),
        ("relative/dir", "not an absolute path"),
        ("", "empty"),
        ("/", "root directory"),
        ("//", "root directory"),
        ("/home/runner", "home directory"),
        ("/home/runner/", "home directory"),
        ("/home/runner/../runner", "home directory"),
        ("/home", "system directory"),
        ("/root", "system directory"),
        ("/home/runner/work", "workspace"),
        ("/home/runner/work/repo/repo", "workspace"),
        ("/home/runner/.ssh", ".ssh"),
        ("/home/runner/.ssh/keys", ".ssh"),
        ("/root/.gnupg/x", ".gnupg"),
        ("/home/runner/.docker", ".docker"),
        ("/home/runner/.aws/cache", ".aws"),
        ("/home/runner/.kube", ".kube"),
        ("/home/runner/.config/gh", ".config/gh"),
        ("/home/runner/.config/autostart/x", ".config/autostart"),
        ("/home/runner/.local/bin", ".local/bin"),
        ("/home/runner/.local/bin/pip", ".local/bin"),
        ("/home/runner/.cache", "whole .cache"),
        ("/home/runner/.config", "whole .config"),
        ("/usr", "system directory /usr"),
        ("/usr/lib/python3/dist-packages", "system directory /usr"),
        ("/etc/pip", "system directory /etc"),
        ("/lib64", "system directory"),
        ("/var", "system directory"),
        ("/tmp", "system directory"),
        ("/opt", "system directory"),
        ("/opt/hostedtoolcache/Python/3.12.1", "tool cache"),
        ("/opt/hostedtoolcache", "tool cache"),
        ("/home/runner/work/_actions", "tool cache or the action itself"),
    ],
)
def test_dangerous_paths_are_refused(path: str, problem: str) -> None:
    found = path_problem(path, RUNNER)
    assert found is not None and problem in found


def test_the_refusal_names_the_source_in_one_escaped_line() -> None:
    with pytest.raises(UnsafeCachePathError) as error:
        validate_cache_path(
            "/\n::error::x", source="cache-dir in /w/uv.toml\n::warning::y", facts=RUNNER
        )
    message = str(error.value)
    assert "\n" not in message
    assert "from cache-dir in /w/uv.toml" in message
    assert message.startswith("refusing to cache ")


def test_a_symlink_to_a_system_directory_is_refused_by_its_real_path(tmp_path: Path) -> None:
    link = tmp_path / "cache"
    link.symlink_to("/etc")
    with pytest.raises(UnsafeCachePathError, match=r"the real path of .*system directory /etc"):
        validate_cache_path(str(link), source="UV_CACHE_DIR", facts=RUNNER, real_path="/etc")


def test_home_directories_come_from_variables_and_the_password_database() -> None:
    homes = home_directories(("/home/a", None, "relative"), ["/root", "/", "/home/a"])
    assert homes == ("/home/a", "/root")


@pytest.mark.parametrize("path", ["/HOME/runner", "/home/runner/.SSH", "/USR/local/x", "/Etc"])
def test_linux_names_keep_their_case(path: str) -> None:
    # ext4 and the like compare bytes: these are other directories than /home/runner or /usr.
    assert path_problem(path, RUNNER) is None


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/HOME/runner", "home directory"),
        ("/home/runner/.SSH", ".ssh"),
        ("/USR/local/x", "system directory /usr"),
    ],
)
def test_the_case_switch_makes_any_os_compare_names_caselessly(path: str, problem: str) -> None:
    # A case-folding directory on Linux (ext4's casefold) is what a macOS or Windows disk is.
    found = path_problem(path, RUNNER._replace(case_insensitive=True))
    assert found is not None and problem in found


def test_path_facts_default_to_this_system() -> None:
    facts = PathFacts()
    assert facts.os_family == host_os_family()
    assert facts.ignores_case == (host_os_family() != "linux")


def test_a_link_in_a_path_not_created_yet_is_followed(tmp_path: Path) -> None:
    # actions/cache would create "new" where the link leads: in /etc.
    (tmp_path / "link").symlink_to("/etc")
    request = uv_cache_request(tmp_path / "project", str(tmp_path / "link" / "new"), tmp_path)
    with pytest.raises(UnsafeCachePathError, match=r"the real path of .*system directory /etc"):
        run(request)


def test_a_path_the_os_cannot_resolve_has_no_real_path() -> None:
    assert real_path("/tmp/a\x00b") is None
    # The path as given is refused for its NUL all the same.
    with pytest.raises(UnsafeCachePathError, match="not one line"):
        validate_cache_path("/tmp/a\x00b", source="X", facts=RUNNER, real_path=None)
