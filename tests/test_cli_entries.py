"""``cache-python-deps diff`` and ``entries``: through click's CliRunner and as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cache_python_deps.cli import main, repository_from_remote
from tests.github_api_server import DEFAULT_REPOSITORY, GitHubApiServer, api_server, cache_entry
from tests.github_openapi import DELETE_CACHES_BY_KEY, LIST_CACHES

TOKEN = "ghp_CliTokenMustNeverShow0000"
PIP_312 = "cpd-2-linux-ubuntu24.04-x86_64-64bit-glibc2.39-cpython-cp312-3.12-pip.2-tool-0a1b2c"
PIP_313 = "cpd-2-linux-ubuntu24.04-x86_64-64bit-glibc2.39-cpython-cp313-3.13-pip.2-tool-0a1b2c"
CLEARED = ("GITHUB_", "CPD_", "GH_TOKEN")


def key_options(dependency_hash: str) -> tuple[str, ...]:
    """Options for a key that needs no tool's cache directory (a virtualenv's is ./.venv)."""
    return ("--cache-kind", "venv", "--dependency-hash", dependency_hash)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project directory as the working directory, with no runner or token variables."""
    directory = tmp_path / "project"
    directory.mkdir()
    monkeypatch.chdir(directory)
    for name in list(os.environ):
        if name.startswith(CLEARED):
            monkeypatch.delenv(name)
    # git must not find the repository this test suite lives in.
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    return directory


@pytest.fixture
def server() -> Iterator[GitHubApiServer]:
    yield from api_server(token=TOKEN)


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# -- diff ------------------------------------------------------------------------------------


def test_diff_names_each_differing_component_with_both_values(workdir: Path) -> None:
    code, out, err = invoke("diff", PIP_312, PIP_313)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["abi", "tag", "cp312", "->", "cp313"]
    assert lines[1].split() == ["abi", "epoch", "3.12", "->", "3.13"]
    assert lines[-1].startswith("another interpreter ABI")
    assert len(lines) == 3


def test_diff_of_equal_keys_says_so(workdir: Path) -> None:
    code, out, _ = invoke("diff", PIP_312, PIP_312)
    assert code == 0
    assert out == "the same key\n"


def test_diff_reads_a_restore_key_and_the_original_actions_keys(workdir: Path) -> None:
    restore_key = PIP_312.rsplit("-", 1)[0] + "-"
    code, out, _ = invoke("diff", restore_key, PIP_312)
    assert code == 0
    assert out.splitlines()[-1] == "the first is a prefix of the other (a restore key matches it)"
    original = "Linux-python-dep-cache-stable-" + "ab" * 64 + "-" + "ab" * 64 + "-0a1b2c"
    code, out, _ = invoke("diff", original, PIP_312)
    assert code == 0
    assert "key format  original -> 2" in out
    assert "original action" in out.splitlines()[-1]


@pytest.mark.parametrize(
    "text",
    ["Linux-node-958aff96db2d", "cpd-2-linux-\x1b[31mred", "cpd-2-x\n::warning::injected"],
)
def test_diff_of_a_text_that_is_no_key_of_ours_is_one_line_and_exit_1(
    workdir: Path, text: str
) -> None:
    code, out, err = invoke("diff", PIP_312, text)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("cache-python-deps: error: ")
    assert "\x1b" not in err
    assert "\n::" not in err


# -- entries ---------------------------------------------------------------------------------


def print_key(*options: str) -> str:
    code, out, err = invoke(*options, "--print-key")
    assert code == 0, err
    return out.strip()


def api_environment(server: GitHubApiServer, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_API_URL": server.base_url,
        "GITHUB_REPOSITORY": DEFAULT_REPOSITORY,
        "GITHUB_REF": "refs/heads/main",
        "GH_TOKEN": TOKEN,
        **extra,
    }


def test_entries_explains_the_key_print_key_computes(
    workdir: Path, server: GitHubApiServer
) -> None:
    primary = print_key(*key_options("newdeps"))
    old = primary.rsplit("-", 1)[0] + "-olddeps"
    server.entries = [cache_entry(old, last_accessed=datetime.now(timezone.utc))]
    code, out, err = invoke(*key_options("newdeps"), "entries", env=api_environment(server))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"key: {primary}"
    assert lines[1].startswith("why no exact hit: same interpreter, dependencies changed")
    assert any(old in line and "refs/heads/main (readable)" in line for line in lines)
    assert TOKEN not in out + err
    (request,) = server.requests_for("actions/get-actions-cache-list")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_entries_takes_the_ref_from_the_option(workdir: Path, server: GitHubApiServer) -> None:
    primary = print_key(*key_options("d"))
    server.entries = [cache_entry(primary, ref="refs/heads/feature-x")]
    environment = api_environment(server)
    code, out, _ = invoke(
        *key_options("d"), "entries", "--ref", "refs/heads/feature-y", env=environment
    )
    assert code == 0
    # Outside a checkout the default branch is unknown: the answer says what it hinges on.
    assert "on refs/heads/feature-x, which this run can read only if that is the default" in out


@pytest.mark.parametrize(
    ("status", "words"), [(403, "actions: read"), (404, "GitHub Enterprise Server")]
)
def test_entries_reports_an_api_refusal_in_one_line(
    workdir: Path, server: GitHubApiServer, status: int, words: str
) -> None:
    server.fail(status)
    code, out, err = invoke(*key_options("d"), "entries", env=api_environment(server))
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert words in err
    assert TOKEN not in err


def test_entries_without_a_token_says_which_variables_it_reads(
    workdir: Path, server: GitHubApiServer
) -> None:
    environment = api_environment(server)
    del environment["GH_TOKEN"]
    code, _, err = invoke(*key_options("d"), "entries", env=environment)
    assert code == 1
    assert "401" in err
    assert "no GH_TOKEN or GITHUB_TOKEN set" in err


def test_entries_takes_repository_and_default_branch_from_the_git_checkout(
    workdir: Path, server: GitHubApiServer
) -> None:
    git = ["git", "-C", str(workdir)]
    subprocess.run([*git, "init", "-q", "-b", "feature-y"], check=True)
    remote = f"git@github.com:{DEFAULT_REPOSITORY}.git"
    subprocess.run([*git, "remote", "add", "origin", remote], check=True)
    subprocess.run(
        [*git, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk"], check=True
    )
    primary = print_key(*key_options("d"))
    server.entries = [cache_entry(primary.rsplit("-", 1)[0] + "-old", ref="refs/heads/trunk")]
    environment = api_environment(server)
    del environment["GITHUB_REPOSITORY"], environment["GITHUB_REF"]
    code, out, err = invoke(*key_options("d"), "entries", env=environment)
    assert code == 0, err
    assert "refs/heads/trunk (readable)" in out  # trunk is origin's default branch


def test_entries_without_any_repository_is_one_line(workdir: Path) -> None:
    code, _, err = invoke("entries")
    assert code == 1
    assert err == (
        "cache-python-deps: error: no repository: pass --repository OWNER/NAME "
        "(no GITHUB_REPOSITORY, no origin)\n"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/octo-org/hello-world.git",
        "https://github.com/octo-org/hello-world",
        "git@github.com:octo-org/hello-world.git",
        "ssh://git@ghe.example.com/octo-org/hello-world/",
    ],
)
def test_repository_from_a_remote_url(url: str) -> None:
    assert repository_from_remote(url) == "octo-org/hello-world"


def test_entries_as_a_real_process(workdir: Path, server: GitHubApiServer) -> None:
    server.entries = [
        cache_entry(PIP_312, last_accessed=datetime.now(timezone.utc) - timedelta(days=9))
    ]
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(CLEARED)
    }
    environment.update(api_environment(server, GITHUB_TOKEN=TOKEN))
    del environment["GH_TOKEN"]  # GITHUB_TOKEN is read too
    completed = subprocess.run(
        [sys.executable, "-m", "cache_python_deps", *key_options("d"), "entries"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert f"{PIP_312} | refs/heads/main (readable)" in completed.stdout
    assert "9 days ago: evicted after 7 days unused" in completed.stdout
    assert TOKEN not in completed.stdout + completed.stderr


# -- entries --delete / --delete-stale-entries / --dry-run -----------------------------------

PR_REF = "refs/pull/42/merge"
PREFIX_312 = PIP_312.rsplit("-", 1)[0] + "-"


def pull_request_entries() -> list[dict[str, Any]]:
    """A closed pull request's entries, and others that must stay."""
    now = datetime.now(timezone.utc)
    return [
        cache_entry(PIP_312, ref=PR_REF, created=now - timedelta(days=2)),
        cache_entry(PREFIX_312 + "newer", ref=PR_REF, created=now - timedelta(days=1)),
        cache_entry(PIP_313, ref=PR_REF, created=now - timedelta(days=3)),
        cache_entry(PIP_312, ref="refs/heads/main", created=now - timedelta(days=9)),
        cache_entry("setup-python-Linux-x64-pip-0123", ref=PR_REF),
    ]


def test_entries_delete_removes_every_entry_of_the_action_in_the_ref(
    workdir: Path, server: GitHubApiServer
) -> None:
    server.entries = pull_request_entries()
    kept = [server.entries[3], server.entries[4]]
    code, out, err = invoke("entries", "--ref", PR_REF, "--delete", env=api_environment(server))
    assert code == 0, err
    assert server.entries == kept
    deletions = server.requests_for(DELETE_CACHES_BY_KEY)
    assert sorted(request.query["key"][0] for request in deletions) == sorted(
        [PIP_312, PREFIX_312 + "newer", PIP_313]
    )
    assert all(request.query["ref"] == [PR_REF] for request in deletions)
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    (listing,) = server.requests_for(LIST_CACHES)
    assert listing.query["ref"] == [PR_REF]
    lines = out.splitlines()
    assert lines[0] == f"ref: {PR_REF}"
    assert f"deleted: {PIP_312} | {PR_REF} | 50 MB | an entry of {PR_REF}" in lines
    assert "deleted 3 entries" in lines
    assert TOKEN not in out + err


def test_entries_dry_run_deletes_nothing_and_names_what_it_would_delete(
    workdir: Path, server: GitHubApiServer
) -> None:
    server.entries = pull_request_entries()
    before = list(server.entries)
    code, out, err = invoke(
        "entries", "--ref", PR_REF, "--delete", "--dry-run", env=api_environment(server)
    )
    assert code == 0, err
    assert server.entries == before
    assert server.deletions() == []
    lines = out.splitlines()
    would = [line for line in lines if line.startswith("would delete: ")]
    assert [line.split(" | ")[0].removeprefix("would delete: ") for line in would] == [
        before[0]["key"],
        before[1]["key"],
        before[2]["key"],
    ]
    assert "dry run: 3 entries would be deleted" in lines


def test_entries_delete_stale_entries_keeps_each_prefixs_newest(
    workdir: Path, server: GitHubApiServer
) -> None:
    server.entries = pull_request_entries()
    stale = server.entries[0]
    code, out, err = invoke(
        "entries", "--ref", PR_REF, "--delete-stale-entries", env=api_environment(server)
    )
    assert code == 0, err
    assert [entry["id"] for entry in server.deleted] == [stale["id"]]
    (request,) = server.deletions()
    assert request.path == f"/repos/{DEFAULT_REPOSITORY}/actions/caches/{stale['id']}"
    assert f"deleted: {PIP_312} | {PR_REF} | 50 MB | superseded by {PREFIX_312}newer" in out


def test_entries_delete_stale_entries_dry_run_takes_the_ref_from_github_ref(
    workdir: Path, server: GitHubApiServer
) -> None:
    server.entries = pull_request_entries()
    environment = api_environment(server, GITHUB_REF=PR_REF)
    code, out, _ = invoke("entries", "--delete-stale-entries", "--dry-run", env=environment)
    assert code == 0
    assert server.deletions() == []
    assert out.splitlines()[-1] == "dry run: 1 entry would be deleted"


def test_entries_delete_refused_is_one_line_and_exit_1(
    workdir: Path, server: GitHubApiServer
) -> None:
    server.entries = pull_request_entries()
    server.fail(403, operations=(DELETE_CACHES_BY_KEY,))
    code, out, err = invoke("entries", "--ref", PR_REF, "--delete", env=api_environment(server))
    assert code == 1
    assert (
        "3 entries not deleted: the token may not delete caches (403): the job needs "
        "`permissions: actions: write`"
    ) in out.splitlines()
    assert len(server.deletions()) == 1  # a refusal stops the rest
    assert err == "cache-python-deps: error: some entries were not deleted (see above)\n"


def test_entries_delete_of_an_entry_already_gone_is_no_failure(
    workdir: Path, server: GitHubApiServer
) -> None:
    server.entries = pull_request_entries()[:1]
    server.fail(404, operations=(DELETE_CACHES_BY_KEY,))
    code, out, _ = invoke("entries", "--ref", PR_REF, "--delete", env=api_environment(server))
    assert code == 0
    assert f"not deleted: {PIP_312}: already gone (404)" in out.splitlines()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ("--delete",),
            "--delete needs --ref REF: the ref whose entries go (e.g. refs/pull/42/merge)",
        ),
        (
            ("--ref", PR_REF, "--delete", "--delete-stale-entries"),
            "--delete and --delete-stale-entries exclude each other: pick one",
        ),
        (("--dry-run",), "--dry-run goes with --delete or --delete-stale-entries"),
    ],
)
def test_entries_deletion_options_are_checked_first(
    workdir: Path, server: GitHubApiServer, arguments: tuple[str, ...], message: str
) -> None:
    code, _, err = invoke("entries", *arguments, env=api_environment(server))
    assert code == 1
    assert err == f"cache-python-deps: error: {message}\n"
    assert server.requests == []
