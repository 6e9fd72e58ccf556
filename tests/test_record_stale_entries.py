"""The record step after a failed restore, and with ``delete-stale-entries``: the keys step run
for real, the restore simulated, the REST API the local server GitHub's description keeps honest.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cache_python_deps.entries.client import parse_timestamp
from cache_python_deps.entries.stale import NOTES_LEAD, cache_versions
from cache_python_deps.provenance import parse_record
from cache_python_deps.record_file import RECORD_NAME
from tests.github_api_server import GitHubApiServer, api_server, cache_entry
from tests.github_openapi import (
    CACHE_USAGE,
    DELETE_CACHE_BY_ID,
    LIST_CACHES,
)
from tests.markdown_check import foreign_elements
from tests.test_github_mode import Runner
from tests.test_record_step import Job

REPOSITORY = "octo/repo"  # the Job's GITHUB_REPOSITORY
TOKEN = "ghs_RecordStepToken0123456789abcdef"
FAILED = "the restore failed part way: actions/cache reported no hit but left "


@pytest.fixture
def server() -> Iterator[GitHubApiServer]:
    yield from api_server(repository=REPOSITORY, token=TOKEN)


def api(server: GitHubApiServer, job: Job, **extra: str) -> dict[str, str]:
    """The record step's variables for the API, and the keys step's directory state."""
    return {
        "GITHUB_API_URL": server.base_url,
        "CPD_TOKEN": TOKEN,
        "CPD_DIRECTORY_BEFORE": job.keys["directory-before"],
        **extra,
    }


def version(job: Job) -> str:
    """A cache version actions/cache gives entries of the job's directory."""
    return sorted(cache_versions(job.keys["cache-directory-path"]))[0]


def keys_step_time(job: Job) -> datetime:
    return parse_timestamp(parse_record(job.keys["record"]).saved_by.time)


def entry(job: Job, key: str, *, age: timedelta, **options: Any) -> dict[str, Any]:
    """An entry created ``age`` before the job's keys step ran (negative: after it)."""
    options.setdefault("version", version(job))
    created = keys_step_time(job) - age
    return cache_entry(key, created=created, last_accessed=created, **options)


def leave_partial_restore(directory: Path) -> None:
    """What tar leaves of a truncated archive: some files, the last one cut short."""
    (directory / "http-v2" / "a").mkdir(parents=True)
    (directory / "http-v2" / "a" / "body").write_bytes(b"x" * 4096)
    (directory / "wheels").mkdir()
    (directory / "wheels" / "pkg-1.0-py3-none-any.whl").write_bytes(b"PK\x03\x04cut")


def warnings(job: Job) -> list[str]:
    prefix = "::warning title=cache-python-deps::"
    return [line[len(prefix) :] for line in job.printed.splitlines() if line.startswith(prefix)]


def deletions(server: GitHubApiServer) -> list[str]:
    return [request.path for request in server.deletions()]


DELETED_TABLE = "| deleted entry | ref | size | why |"


def stale_part(job: Job) -> str:
    """The job summary's part on stale entries: from its table, or its first note, on."""
    summary = job.summary.read_text()
    for start in (DELETED_TABLE, f"- {NOTES_LEAD}"):
        if start in summary:
            return summary[summary.index(start) :]
    raise AssertionError(f"no part on stale entries in:\n{summary}")


def says_nothing_of_stale_entries(job: Job) -> bool:
    summary = job.summary.read_text()
    return DELETED_TABLE not in summary and NOTES_LEAD not in summary


# -- the input and the keys step -------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "true", "True", "yes", "1", "on", "false", "no", "0", "off"])
def test_delete_stale_entries_accepts_every_boolean_spelling(tmp_path: Path, value: str) -> None:
    runner = Runner(tmp_path)
    assert runner.run(CPD_DELETE_STALE_ENTRIES=value) == 0
    assert runner.outputs["cache-enabled"] == "true"


def test_a_delete_stale_entries_typo_is_refused_as_the_other_inputs_are(tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    assert runner.run(CPD_DELETE_STALE_ENTRIES="ture") == 0
    assert runner.outputs["cache-enabled"] == "false"
    assert runner.outputs["skip-reason"] == (
        "caching skipped: input delete-stale-entries is 'ture'; expected true or false"
    )
    assert runner.run(CPD_DELETE_STALE_ENTRIES="ture", CPD_FAIL_ON_ERROR="true") == 1


def test_the_keys_step_notes_the_directory_before_the_restore_quietly(tmp_path: Path) -> None:
    runner = Runner(tmp_path)
    cache = tmp_path / "cache"
    lookup = {"CPD_CACHE_DIRECTORY_LOOKUP_COMMAND": f"echo {cache}"}
    assert runner.run(**lookup) == 0
    assert runner.outputs["directory-before"] == "absent"
    assert "directory-before" not in runner.printed  # an output for the record step alone
    cache.mkdir()
    assert runner.run(**lookup) == 0
    assert runner.outputs["directory-before"] == "empty"
    (cache / "x").write_text("")
    assert runner.run(**lookup) == 0
    assert runner.outputs["directory-before"] == "present"


# -- a failed restore ------------------------------------------------------------------------


def test_what_a_failed_restore_left_is_removed_and_said_once(tmp_path: Path) -> None:
    job = Job(tmp_path)
    assert job.keys["directory-before"] == "absent"
    leave_partial_restore(job.directory)
    outputs = job.record_step("", CPD_DIRECTORY_BEFORE=job.keys["directory-before"])
    assert outputs == {"cache-matched-key": "", "cache-hit": "false"}
    # Only this job's record is left, for the save at the end of the job.
    assert sorted(path.name for path in job.directory.iterdir()) == [RECORD_NAME]
    (warning,) = warnings(job)
    assert warning.startswith(FAILED + f"2 files in {job.directory}; they were removed")
    assert "the damaged entry was not found in the API's listing" in warning
    summary = job.summary.read_text()
    assert "nothing was restored" not in summary
    assert (
        "**Restore failed part way**: actions/cache reported no hit but left 2 files in "
        f"`{job.directory}`; they were removed, nothing of them is used; the damaged entry was "
        "not found in the API's listing."
    ) in summary.splitlines()
    assert "- cache entries not looked up: no token (the token input is empty)" in summary
    assert foreign_elements(summary) == set()


def test_a_failed_restore_into_an_empty_directory_leaves_it_empty(tmp_path: Path) -> None:
    job = Job(tmp_path)
    job.directory.mkdir(parents=True)
    job = Job(tmp_path)  # the keys step again, now that the directory exists
    assert job.keys["directory-before"] == "empty"
    leave_partial_restore(job.directory)
    job.record_step("", CPD_DIRECTORY_BEFORE="empty", CPD_SAVE="false")
    assert job.directory.is_dir()
    assert list(job.directory.iterdir()) == []


def test_a_self_hosted_runners_own_cache_is_left_alone(tmp_path: Path) -> None:
    job = Job(tmp_path)
    job.directory.mkdir(parents=True)
    (job.directory / "own.txt").write_text("the runner's")
    job = Job(tmp_path)
    assert job.keys["directory-before"] == "present"
    leave_partial_restore(job.directory)
    job.record_step("", CPD_DIRECTORY_BEFORE="present")
    assert (job.directory / "own.txt").read_text() == "the runner's"
    assert (job.directory / "wheels" / "pkg-1.0-py3-none-any.whl").exists()
    assert warnings(job) == []


@pytest.mark.parametrize("cache_hit", ["true", "false"])
def test_a_restore_that_reported_a_hit_is_never_cleaned(tmp_path: Path, cache_hit: str) -> None:
    job = Job(tmp_path)
    leave_partial_restore(job.directory)
    job.record_step(cache_hit, CPD_DIRECTORY_BEFORE="absent")
    assert (job.directory / "wheels" / "pkg-1.0-py3-none-any.whl").exists()
    assert not any(FAILED in warning for warning in warnings(job))


def test_a_half_restored_virtualenv_is_removed_whole(tmp_path: Path) -> None:
    job = Job(tmp_path, kind="venv")
    assert job.keys["directory-before"] == "absent"
    (job.directory / "bin").mkdir(parents=True)
    (job.directory / "bin" / "python").symlink_to("/usr/bin/python3")
    (job.directory / "pyvenv.cfg").write_text("home = /usr/bin\n")
    job.record_step("", CPD_DIRECTORY_BEFORE="absent")
    assert not job.directory.exists()
    assert Path("/usr/bin/python3").exists()
    (warning,) = warnings(job)
    assert warning.startswith(FAILED + "2 files in")


def test_a_forged_directory_state_cleans_nothing(tmp_path: Path) -> None:
    job = Job(tmp_path)
    leave_partial_restore(job.directory)
    job.record_step("", CPD_DIRECTORY_BEFORE="absent\n::error::x")
    assert (job.directory / "wheels").is_dir()


# -- the damaged entry -----------------------------------------------------------------------


def test_with_the_input_the_damaged_entry_is_deleted_by_id_with_the_token(
    tmp_path: Path, server: GitHubApiServer
) -> None:
    job = Job(tmp_path)
    damaged = entry(job, job.primary, age=timedelta(days=1), size=123_000_000)
    older = entry(job, job.primary.rsplit("-", 1)[0] + "-olddeps", age=timedelta(days=3))
    server.entries = [damaged, older]
    leave_partial_restore(job.directory)
    job.record_step("", **api(server, job, CPD_DELETE_STALE_ENTRIES="yes"))
    assert deletions(server) == [f"/repos/{REPOSITORY}/actions/caches/{damaged['id']}"]
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    assert [r.operation_id for r in server.requests] == [
        LIST_CACHES,
        DELETE_CACHE_BY_ID,
        CACHE_USAGE,
    ]
    assert server.entries == [older]
    (warning,) = warnings(job)
    assert warning.endswith(
        f"; the damaged entry {job.primary} (refs/heads/main) was deleted, so this job's save "
        "replaces it"
    )
    summary = job.summary.read_text()
    section = stale_part(job)
    assert (
        f"| `{job.primary}` | `refs/heads/main` | 123 MB | damaged: this run's restore of it "
        "failed part way |"
    ) in section
    assert "- stale entries: deleted 1 entry" in section
    assert "- after: the repository's caches use 50 MB of the 10 GB limit" in section
    assert (
        f"; the damaged entry `{job.primary}` (`refs/heads/main`) was deleted, so this job's "
        "save replaces it."
    ) in summary
    assert f"cache-python-deps: deleted: {job.primary} | refs/heads/main | 123 MB" in job.printed
    assert TOKEN not in job.printed + summary
    assert foreign_elements(summary) == set()


def test_an_entry_with_this_key_that_appears_after_the_keys_step_is_not_deleted(
    tmp_path: Path, server: GitHubApiServer
) -> None:
    # The race: another job saved this very key after this job's keys step, so after (or
    # while) this job restored. Whatever failed here, that entry may be a good one.
    job = Job(tmp_path)
    fresh = entry(job, job.primary, age=-timedelta(seconds=2))
    server.entries = [fresh]
    leave_partial_restore(job.directory)
    job.record_step("", **api(server, job, CPD_DELETE_STALE_ENTRIES="true"))
    assert deletions(server) == []
    assert server.entries == [fresh]
    (warning,) = warnings(job)
    assert warning.endswith(
        f"; the entry with this key, {job.primary} (refs/heads/main), was created after this "
        "job started (another job's save?): not deleted"
    )


def test_without_the_input_the_damaged_entry_is_named_not_deleted(
    tmp_path: Path, server: GitHubApiServer
) -> None:
    job = Job(tmp_path)
    server.entries = [entry(job, job.primary, age=timedelta(days=1))]
    leave_partial_restore(job.directory)
    job.record_step("", **api(server, job))
    assert deletions(server) == []
    (warning,) = warnings(job)
    assert warning.endswith(
        f"; the entry {job.primary} (refs/heads/main) is damaged: every run fails to restore "
        "it until it is deleted or the key changes (delete-stale-entries: true, with "
        "permissions actions: write, deletes it)"
    )
    assert says_nothing_of_stale_entries(job)


def test_without_a_failed_restore_nothing_is_deleted(
    tmp_path: Path, server: GitHubApiServer
) -> None:
    # Same key listed, no hit, but nothing left behind: no evidence of damage.
    job = Job(tmp_path)
    server.entries = [entry(job, job.primary, age=timedelta(days=1))]
    job.record_step("", **api(server, job, CPD_DELETE_STALE_ENTRIES="true"))
    assert deletions(server) == []
    assert warnings(job) == []


def test_content_left_in_a_directory_that_had_some_is_no_evidence(
    tmp_path: Path, server: GitHubApiServer
) -> None:
    job = Job(tmp_path)
    job.directory.mkdir(parents=True)
    (job.directory / "own.txt").write_text("the runner's")
    job = Job(tmp_path)
    server.entries = [entry(job, job.primary, age=timedelta(days=1))]
    leave_partial_restore(job.directory)
    job.record_step("", **api(server, job, CPD_DELETE_STALE_ENTRIES="true"))
    assert deletions(server) == []
    assert (job.directory / "own.txt").exists()
    assert warnings(job) == []


def test_a_run_that_may_not_save_deletes_nothing(tmp_path: Path, server: GitHubApiServer) -> None:
    job = Job(tmp_path)
    server.entries = [entry(job, job.primary, age=timedelta(days=1))]
    leave_partial_restore(job.directory)
    job.record_step("", **api(server, job, CPD_DELETE_STALE_ENTRIES="true", CPD_SAVE="false"))
    assert deletions(server) == []
    (warning,) = warnings(job)
    assert warning.endswith("is damaged; not deleted: this run may not save")


@pytest.mark.parametrize(
    ("status", "headers", "reason"),
    [
        (
            403,
            {},
            "the token may not delete caches (403): the job needs `permissions: actions: write`",
        ),
        (404, {}, "already gone (404)"),
        (
            429,
            {"retry-after": "60"},
            "the GitHub API rate limit is exhausted for this token; try again later",
        ),
    ],
)
def test_a_refused_deletion_is_one_line_and_never_fails_the_step(
    tmp_path: Path, server: GitHubApiServer, status: int, headers: dict[str, str], reason: str
) -> None:
    job = Job(tmp_path)
    server.entries = [entry(job, job.primary, age=timedelta(days=1))]
    server.fail(status, headers=headers, operations=(DELETE_CACHE_BY_ID,))
    leave_partial_restore(job.directory)
    outputs = job.record_step("", **api(server, job, CPD_DELETE_STALE_ENTRIES="true"))
    assert outputs["cache-hit"] == "false"
    (warning,) = warnings(job)
    assert warning.endswith(f"could not be deleted: {reason}")
    section = stale_part(job)
    failures = [line for line in section.splitlines() if "not deleted" in line]
    assert len(failures) == 1
    assert reason.replace("`", "") in failures[0].replace("`", "")


def test_no_network_is_one_line(tmp_path: Path) -> None:
    job = Job(tmp_path)
    leave_partial_restore(job.directory)
    job.record_step(
        "",
        GITHUB_API_URL="http://127.0.0.1:9",
        CPD_TOKEN=TOKEN,
        CPD_DIRECTORY_BEFORE="absent",
        CPD_DELETE_STALE_ENTRIES="true",
    )
    (warning,) = warnings(job)
    assert warning.endswith(
        "the damaged entry was not found in the API's listing (the API could "
        "not be reached: Connection refused)"
    )
    assert stale_part(job).strip().splitlines() == [
        "- stale entries: cache entries not looked up: the API could not be reached: "
        "Connection refused"
    ]


# -- superseded entries after an exact hit ---------------------------------------------------


def exact_hit(tmp_path: Path) -> Job:
    """A job whose directory holds what an exact hit restored."""
    first = Job(tmp_path / "one")
    first.record_step("")
    job = Job(tmp_path / "two")
    (job.directory).mkdir(parents=True)
    (job.directory / RECORD_NAME).write_bytes((first.directory / RECORD_NAME).read_bytes())
    return job


def test_an_exact_hit_with_the_input_deletes_exactly_the_superseded_entries(
    tmp_path: Path, server: GitHubApiServer
) -> None:
    job = exact_hit(tmp_path)
    prefix = job.keys["restore-keys"]
    other_interpreter = prefix.replace("-cpython-", "-pypy-") + "deps"
    restored = entry(job, job.primary, age=timedelta(hours=2))
    stale = [
        entry(job, prefix + "deps-old", age=timedelta(days=2)),
        entry(job, prefix + "deps-older", age=timedelta(days=3)),
    ]
    kept = [
        restored,
        entry(job, prefix + "deps-newer", age=timedelta(hours=1)),
        entry(job, prefix + "deps-branch", age=timedelta(days=2), ref="refs/heads/feature"),
        entry(job, prefix + "deps-path", age=timedelta(days=2), version="b" * 64),
        entry(job, other_interpreter, age=timedelta(days=2)),
        entry(job, prefix + "not a key", age=timedelta(days=2)),
    ]
    server.entries = [*stale, *kept]
    outputs = job.record_step("true", **api(server, job, CPD_DELETE_STALE_ENTRIES="on"))
    assert outputs == {"cache-matched-key": job.primary, "cache-hit": "true"}
    assert deletions(server) == [
        f"/repos/{REPOSITORY}/actions/caches/{stale[1]['id']}",
        f"/repos/{REPOSITORY}/actions/caches/{stale[0]['id']}",
    ]
    assert server.entries == kept
    listing = server.requests_for(LIST_CACHES)[0]
    assert listing.query["key"] == [prefix]
    assert listing.query["sort"] == ["created_at"]
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    section = stale_part(job)
    assert (
        f"| `{prefix}deps-older` | `refs/heads/main` | 50 MB | superseded by `{job.primary}` |"
        in (section)
    )
    assert "- stale entries: deleted 2 entries" in section
    assert "- after: the repository's caches use 300 MB of the 10 GB limit (3%) in 6 entries" in (
        section
    )
    assert warnings(job) == []


def test_an_exact_hit_without_the_input_asks_the_api_nothing(
    tmp_path: Path, server: GitHubApiServer
) -> None:
    job = exact_hit(tmp_path)
    prefix = job.keys["restore-keys"]
    server.entries = [
        entry(job, job.primary, age=timedelta(hours=2)),
        entry(job, prefix + "deps-old", age=timedelta(days=2)),
    ]
    job.record_step("true", **api(server, job))
    assert server.requests == []
    assert says_nothing_of_stale_entries(job)


@pytest.mark.parametrize(
    "extra",
    [
        {"CPD_SAVE": "false"},  # save-cache: false, or an event that never saves
        {"CPD_SAVE": "TRUE"},  # only the keys step's own word counts
    ],
)
def test_an_exact_hit_on_a_run_that_may_not_save_deletes_nothing(
    tmp_path: Path, server: GitHubApiServer, extra: dict[str, str]
) -> None:
    job = exact_hit(tmp_path)
    prefix = job.keys["restore-keys"]
    server.entries = [
        entry(job, job.primary, age=timedelta(hours=2)),
        entry(job, prefix + "deps-old", age=timedelta(days=2)),
    ]
    job.record_step("true", **api(server, job, CPD_DELETE_STALE_ENTRIES="true", **extra))
    assert server.requests == []
    assert stale_part(job).strip() == (
        "- stale entries: not deleted: this run may not save (save-cache: false, or an event "
        "that never saves)"
    )


def test_the_deletions_fit_the_lookups_two_second_budget(
    tmp_path: Path, server: GitHubApiServer
) -> None:
    job = exact_hit(tmp_path)
    prefix = job.keys["restore-keys"]
    server.entries = [entry(job, job.primary, age=timedelta(hours=1))] + [
        entry(job, prefix + f"deps-{index}", age=timedelta(days=2, minutes=index))
        for index in range(5)
    ]
    server.delay = 0.5  # each answer: four are more than the two seconds
    started = datetime.now(timezone.utc)
    job.record_step("true", **api(server, job, CPD_DELETE_STALE_ENTRIES="true"))
    elapsed = datetime.now(timezone.utc) - started
    assert elapsed < timedelta(seconds=4)  # 2 s budget; the rest is the step itself
    assert "not deleted: the API did not answer in time" in stale_part(job)
    assert len(server.entries) >= 4
