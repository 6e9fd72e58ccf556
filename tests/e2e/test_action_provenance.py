"""The provenance record, the job summary and the miss explanation, end to end under act.

The real ``actions/cache`` main step outputs only ``cache-hit``, so the action's record step
(after the restore) says which entry came back from the provenance record inside it, checks that
the record's identity is this job's, writes this job's record for the save at the end of the job,
and explains in the job summary why there was no exact hit, from the repository's cache entries
as GitHub's REST API lists them.

Under act the API is ``tests/github_api_server.py`` (checked against GitHub's OpenAPI
description), which a test starts and hands to the job as ``GITHUB_API_URL`` (``act --env``
overrides act's own value); it lists what act's cache server holds, as GitHub would. act gives a
job the ``github.token`` of its ``GITHUB_TOKEN`` secret (``--secret``), which is the action's
default ``token`` input; the server answers 401 to any other. ``--insecure-secrets`` keeps act
from masking the token in the log, so that a token printed by the action would show there.

The job summary is read from act's log (see ``act_harness``). The module seeds one cache server
with a pyenv 3.11.7 job (``deps-1``); each test starts from a copy of it.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.act_harness import DEFAULT_REPOSITORY, ActRun, ActSession
from tests.e2e.scenario_support import (
    RESTORE_ONLY_STEP_NAME,
    Seed,
    cache_steps_run,
    declared_outputs,
    entry_record,
    make_seed,
    pip_run,
    record_artifact,
    record_summary,
    status_line,
    stored_keys,
    summary_notes,
    table_rows,
    workflow_annotations,
)
from tests.github_api_server import GitHubApiServer, api_server, cache_entry
from tests.support import require_interpreter

pytestmark = pytest.mark.e2e

DEPS_1 = "deps-1"
SEED_PAYLOAD = "written by the seeding job"
#: The job token act hands out (as the GITHUB_TOKEN secret); random, so a leak is findable.
TOKEN = f"e2e-job-token-{secrets.token_hex(12)}"
WITH_TOKEN = ("--secret", f"GITHUB_TOKEN={TOKEN}", "--insecure-secrets")
LIST_CACHES_PATH = f"/repos/{DEFAULT_REPOSITORY}/actions/caches"
CACHE_USAGE_PATH = f"/repos/{DEFAULT_REPOSITORY}/actions/cache/usage"
NO_TOKEN_NOTE = "- cache entries not looked up: no token (the token input is empty)"
NO_RECORD = (
    "it has no provenance record (saved before records existed, or its directory was emptied)"
)


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    return make_seed(
        tmp_path_factory,
        python=require_interpreter("pyenv-3.11.7"),
        dependency_hash=DEPS_1,
        payload=SEED_PAYLOAD,
    )


@pytest.fixture
def session(seed: Seed, tmp_path: Path) -> ActSession:
    return seed.new_session(tmp_path)


@pytest.fixture
def api() -> Iterator[GitHubApiServer]:
    """The REST API of the workspace's repository; every request and answer is validated."""
    yield from api_server(repository=DEFAULT_REPOSITORY, token=TOKEN)


def mirror_cache_entries(api: GitHubApiServer, session: ActSession) -> None:
    """List what act's cache server holds, as GitHub's API would (on the default branch)."""
    api.entries = [
        cache_entry(entry.key, size=entry.size, version=entry.version)
        for entry in session.cache_entries()
        if entry.complete
    ]


def job(
    session: ActSession,
    seed: Seed,
    *,
    deps: str,
    payload: str,
    interpreter: str = "pyenv-3.11.7",
    api: GitHubApiServer | None = None,
    inputs: dict[str, str] | None = None,
) -> ActRun:
    """One job of action-pip.yml on a new runner; with ``api``: its URL and the job token."""
    return pip_run(
        session,
        python=require_interpreter(interpreter),
        dependency_hash=deps,
        payload=payload,
        clear=seed.pip_cache,
        inputs=inputs,
        env={"GITHUB_API_URL": api.base_url} if api is not None else None,
        extra_args=WITH_TOKEN if api is not None else (),
    ).check()


def head_commit(workspace: Path) -> str:
    """The workspace's last commit: the ``GITHUB_SHA`` of the jobs run from it since."""
    completed = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=workspace, capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def provenance_rows(seed: Seed) -> list[str]:
    """The summary's table rows naming the seed's entry and the run that saved it."""
    return [
        f"| key | `{seed.key}` |",
        f"| repository | `{DEFAULT_REPOSITORY}` |",
        "| workflow | `action-pip` |",
        f"| run | `{seed.run.run_id}` attempt `1` |",
        "| ref | `refs/heads/main` |",
        f"| commit | `{head_commit(seed.session.workspace)}` |",
    ]


def check_api_requests(api: GitHubApiServer, run: ActRun, paths: list[str]) -> None:
    """The server saw these requests, each with the job token, which the log never shows."""
    assert [request.path for request in api.requests] == paths
    for request in api.requests:
        assert request.headers.get("authorization") == f"Bearer {TOKEN}"
    listing = api.requests[0]
    assert listing.query["key"] == ["cpd-"]  # every entry of this action, any key format
    assert TOKEN not in run.log


# --------------------------------------------------------------------------------------------
# 1. which entry came back, and what the summary says of it


def test_exact_hit_matches_the_primary_key_and_asks_the_api_nothing(
    seed: Seed, session: ActSession, api: GitHubApiServer
) -> None:
    mirror_cache_entries(api, session)
    hit = job(session, seed, deps=DEPS_1, payload="unused", api=api)

    outputs = declared_outputs(hit)
    assert outputs["cache-hit"] == "true"
    assert outputs["cache-matched-key"] == outputs["cache-key-for-dependencies"] == seed.key
    assert hit.output("inspect", "restored") == SEED_PAYLOAD
    # An exact hit is never saved again: the seed's record stays as it was.
    assert record_artifact(hit) == seed.record
    summary = record_summary(hit)
    assert status_line(summary) == "**Exact hit**: restored the entry saved under this job's key."
    restored = table_rows(summary, "restored entry")
    assert restored[:6] == provenance_rows(seed)
    assert not any(row.startswith("| differs in ") for row in restored)
    assert table_rows(summary, "nearest entry") == []
    assert api.requests == []  # no API call at all after an exact hit
    assert workflow_annotations(hit, "warning") == []
    assert stored_keys(session) == [seed.key.lower()]


def test_partial_restore_names_the_entry_and_the_api_explains_the_miss(
    seed: Seed, session: ActSession, api: GitHubApiServer
) -> None:
    mirror_cache_entries(api, session)
    changed = job(session, seed, deps="deps-2", payload="deps-2 job", api=api)

    outputs = declared_outputs(changed)
    key = outputs["cache-key-for-dependencies"]
    assert key == seed.key.removesuffix(DEPS_1) + "deps-2"
    assert outputs["cache-hit"] == "false"
    # actions/cache said only "false": the entry's own record named it (act's server would
    # have said it lowercased).
    assert outputs["cache-matched-key"] == seed.key
    assert changed.output("inspect", "restored") == SEED_PAYLOAD
    summary = record_summary(changed)
    assert status_line(summary) == (
        f"**Partial restore**: restored `{seed.key}` by the restore key: same interpreter, "
        "dependencies changed (`deps-1` -> `deps-2`)."
    )
    assert f"| key | `{key}` |  |" in table_rows(summary, "this job")
    restored = table_rows(summary, "restored entry")
    assert restored[:6] == provenance_rows(seed)
    assert restored[-1] == "| differs in dependencies | `deps-1` -> `deps-2` |"
    (row,) = table_rows(summary, "nearest entry")
    assert row.startswith(
        f"| `{seed.key.lower()}` | `refs/heads/main` (readable) | dependencies `{DEPS_1}` |"
    )
    assert any(
        line.startswith("- the repository's caches use ") and line.endswith(" in 1 entry")
        for line in summary_notes(summary)
    )
    assert (
        f"| cache-python-deps: no exact hit: same interpreter, dependencies changed: restored "
        f"{seed.key} by the restore key (a partial restore)"
    ) in changed.log
    check_api_requests(api, changed, [LIST_CACHES_PATH, CACHE_USAGE_PATH])
    assert workflow_annotations(changed, "warning") == []
    assert workflow_annotations(changed, "notice") == []

    # This job's record replaced the seed's: the new entry names its own key and run.
    assert stored_keys(session) == [seed.key.lower(), key.lower()]
    saved = entry_record(session, key)
    assert saved is not None
    assert saved["key"] == key
    assert saved["saved_by"]["run_id"] == changed.run_id


def test_first_run_of_another_interpreter_is_explained_from_the_api(
    seed: Seed, session: ActSession, api: GitHubApiServer
) -> None:
    mirror_cache_entries(api, session)
    other = job(session, seed, deps=DEPS_1, payload="3.12 job", interpreter="pyenv-3.12.1", api=api)

    outputs = declared_outputs(other)
    assert outputs["cache-hit"] == "false"
    assert outputs["cache-matched-key"] == ""
    summary = record_summary(other)
    assert status_line(summary) == (
        "**Miss**: no entry for `cp312` yet, entries exist for `cp311`: first run of this "
        "interpreter."
    )
    assert table_rows(summary, "restored entry") == []
    nearest = table_rows(summary, "nearest entry")
    assert any(line.startswith(f"| `{seed.key.lower()}` |") for line in nearest)
    check_api_requests(api, other, [LIST_CACHES_PATH, CACHE_USAGE_PATH])
    assert workflow_annotations(other, "warning") == []


def test_api_refusal_is_one_quiet_summary_line(
    seed: Seed, session: ActSession, api: GitHubApiServer
) -> None:
    mirror_cache_entries(api, session)
    api.fail(403)
    refused = job(session, seed, deps="deps-2", payload="deps-2 job", api=api)

    reason = "the token may not list caches (403): the job needs `permissions: actions: read`"
    summary = record_summary(refused)
    assert status_line(summary).startswith(f"**Partial restore**: restored `{seed.key}` by ")
    assert f"- cache entries not looked up: {reason}" in summary_notes(summary)
    assert table_rows(summary, "nearest entry") == []
    assert f"| cache-python-deps: no exact hit: cache entries not looked up: {reason}" in (
        refused.log
    )
    assert workflow_annotations(refused, "warning") == []
    assert workflow_annotations(refused, "notice") == []
    check_api_requests(api, refused, [LIST_CACHES_PATH])  # no usage lookup after a refusal
    # The cache itself worked as usual.
    assert refused.output("inspect", "restored") == SEED_PAYLOAD
    key = refused.output("cpd", "cache-key-for-dependencies")
    assert stored_keys(session) == [seed.key.lower(), key.lower()]


# --------------------------------------------------------------------------------------------
# 2. an entry saved without a record


def test_entry_without_a_record_matches_by_actions_cache_restore_or_not_at_all(
    seed: Seed, session: ActSession
) -> None:
    # A 3.12 entry whose record was deleted before the save: the only one for 3.12.
    first = job(
        session,
        seed,
        deps="deps-x",
        payload="saved without a record",
        interpreter="pyenv-3.12.1",
        inputs={"DROP_RECORD": "true"},
    )
    assert first.step("drop-record").outcome == "success"
    key_x = first.output("cpd", "cache-key-for-dependencies")
    assert entry_record(session, key_x) is None

    # Restore only: actions/cache/restore names the entry it restored, record or not.
    restore_only = job(
        session,
        seed,
        deps="deps-z",
        payload="unused",
        interpreter="pyenv-3.12.1",
        inputs={"SAVE_CACHE": "false"},
    )
    assert cache_steps_run(restore_only) == [f"Main {RESTORE_ONLY_STEP_NAME}"]
    assert restore_only.output("inspect", "restored") == "saved without a record"
    matched = restore_only.output("cpd", "cache-matched-key")
    assert matched.lower() == key_x.lower()  # act's server keeps keys lowercased
    assert restore_only.output("cpd", "cache-hit") == "false"
    assert status_line(record_summary(restore_only)) == (
        f"**Partial restore**: restored `{matched}` by the restore key; {NO_RECORD}. Restore "
        "only: save-cache is false."
    )

    # actions/cache (restore, then save): its main step names no key, the entry neither.
    partial = job(session, seed, deps="deps-y", payload="deps-y job", interpreter="pyenv-3.12.1")
    assert partial.output("inspect", "restored") == "saved without a record"
    assert partial.output("cpd", "cache-hit") == "false"
    assert partial.output("cpd", "cache-matched-key") == ""
    summary = record_summary(partial)
    assert status_line(summary) == (
        f"**Partial restore**: restored an entry by the restore key; which one is unknown: "
        f"{NO_RECORD}."
    )
    # Without an API to ask (act gives no token unless told), the explanation is one line.
    assert summary_notes(summary) == [NO_TOKEN_NOTE]
    assert workflow_annotations(partial, "warning") == []
    key_y = partial.output("cpd", "cache-key-for-dependencies")
    assert (entry_record(session, key_y) or {}).get("key") == key_y

    # An exact hit of the entry without a record: the primary key is the matched key.
    hit = job(session, seed, deps="deps-x", payload="unused", interpreter="pyenv-3.12.1")
    assert hit.output("cpd", "cache-hit") == "true"
    assert hit.output("cpd", "cache-matched-key") == key_x
    summary = record_summary(hit)
    assert status_line(summary) == (
        f"**Exact hit**: restored the entry saved under this job's key; {NO_RECORD}."
    )
    assert table_rows(summary, "nearest entry") == []
    assert stored_keys(session) == [seed.key.lower(), key_x.lower(), key_y.lower()]


# --------------------------------------------------------------------------------------------
# 3. a record claiming another identity


def test_tampered_record_in_a_tool_cache_is_a_warning_and_the_cache_is_kept(
    seed: Seed, session: ActSession
) -> None:
    # New dependencies: the seed's entry comes back, the record step writes this job's record,
    # and a later step rewrites it to claim another ABI tag before the post step saves.
    poisoning = job(
        session, seed, deps="deps-t", payload="poisoned", inputs={"TAMPER_ABI_TAG": "cp313"}
    )
    key = poisoning.output("cpd", "cache-key-for-dependencies")
    poisoned = entry_record(session, key)
    assert poisoned is not None
    assert poisoned["components"]["abi tag"] == "cp313"
    assert poisoned["key"] == poisoning.output("tamper", "key") != key

    hit = job(session, seed, deps="deps-t", payload="unused")
    outputs = declared_outputs(hit)
    warning = (
        "the restored cache may not be this job's: its record is for another abi tag "
        "(tampered with, or restored through another restore key)"
    )
    assert workflow_annotations(hit, "warning") == [("cache-python-deps", warning)]
    # A tool cache is kept (the tools check wheel tags themselves): still an exact hit.
    assert outputs["cache-hit"] == "true"
    assert outputs["cache-matched-key"] == key
    assert hit.output("inspect", "restored") == "poisoned"
    summary = record_summary(hit)
    assert status_line(summary) == "**Exact hit**: restored the entry saved under this job's key."
    assert "| differs in abi tag | `cp313` -> `cp311` |" in table_rows(summary, "restored entry")
    assert summary_notes(summary) == [f"- warning: {warning}"]
    assert stored_keys(session) == [seed.key.lower(), key.lower()]
