"""Failed restores and stale entries over several runs, end to end under act.

A damaged entry is made the way an interrupted upload leaves one: its archive, in act's cache
server folder, is truncated to half its bytes. The entries hold a few files of random bytes
(``E2E_BALLAST_FILES``), so that the archive has several zstd blocks and tar extracts some files
before it fails, as the real actions/cache does (the stand-in is built on the real
``@actions/cache``): it warns ``Failed to restore``, reports no hit and leaves those files.

act's server accepts a save of a key it has; GitHub refuses it, which is why a damaged entry
is never replaced there. The jobs here run with ``E2E_REFUSE_EXISTING_KEYS=true``, which gives
the stand-in GitHub's refusal (see its README). GitHub's REST API is the local server of
``tests/github_api_server.py`` (checked against GitHub's OpenAPI description), listing what
act's server holds (``api_entries``); a deletion through it deletes the entry in act's server
too (``delete_in_act``). The job token is act's ``GITHUB_TOKEN`` secret, the action's default
``token`` input; the API server refuses any other.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cache_python_deps.entries.client import parse_timestamp
from tests.e2e.act_harness import (
    DEFAULT_REPOSITORY,
    ActRun,
    ActSession,
    CacheEntry,
    commit_workspace,
)
from tests.e2e.scenario_support import (
    CPD_STEP,
    RECORD_FILE,
    VENV_WORKFLOW,
    LocalIndex,
    api_entries,
    damage_entry,
    delete_in_act,
    new_session,
    pinned_cache_actions,
    pip_run,
    record_summary,
    require_e2e_tools,
    serve_local_index,
    stale_part,
    status_line,
    stored_keys,
    workflow_annotations,
)
from tests.github_api_server import GitHubApiServer, cache_entry
from tests.github_openapi import CACHE_USAGE, DELETE_CACHE_BY_ID, LIST_CACHES
from tests.support import require_interpreter

pytestmark = pytest.mark.e2e

INTERPRETER = "pyenv-3.11.7"
TOKEN = f"e2e-job-token-{secrets.token_hex(12)}"
WITH_TOKEN = ("--secret", f"GITHUB_TOKEN={TOKEN}", "--insecure-secrets")
CACHES_PATH = f"/repos/{DEFAULT_REPOSITORY}/actions/caches"
#: 8 files of 192 KiB of random bytes: an archive of about 1.5 MB, a dozen zstd blocks.
BALLAST = "8"
FAILED = "the restore failed part way: actions/cache reported no hit but left "
NOT_DELETED_HINT = (
    "is damaged: every run fails to restore it until it is deleted or the key changes "
    "(delete-stale-entries: true, with permissions actions: write, deletes it)"
)
REFUSED_SAVE = "Failed to save: Unable to reserve cache with key "


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    yield from serve_local_index(tmp_path_factory)


@pytest.fixture
def api() -> Iterator[GitHubApiServer]:
    with GitHubApiServer(repository=DEFAULT_REPOSITORY, token=TOKEN) as server:
        yield server
    server.assert_valid()


def api_env(api: GitHubApiServer, **inputs: str) -> dict[str, str]:
    """Job variables: the API, GitHub's refusal of taken keys, and E2E_* inputs by suffix."""
    return {
        "GITHUB_API_URL": api.base_url,
        "E2E_REFUSE_EXISTING_KEYS": "true",
        **{f"E2E_{name}": value for name, value in inputs.items()},
    }


def damage(session: ActSession, key: str) -> CacheEntry:
    """Damage the entry of ``key``; return once it is older than the next job's keys step can
    see as "before" (both clocks read in whole seconds), as an entry of an earlier run is."""
    entry = damage_entry(session, key)
    assert entry.created_at is not None
    wait = (entry.created_at + timedelta(seconds=2.5) - datetime.now(timezone.utc)).total_seconds()
    if wait > 0:
        time.sleep(wait)
    return entry


def our_warnings(run: ActRun) -> list[str]:
    return [message for title, message in workflow_annotations(run, "warning") if title]


def restore_failed_in_actions_cache(run: ActRun) -> bool:
    """actions/cache's own warning (an annotation without a title) that tar failed."""
    return any(
        message.startswith("Failed to restore: ")
        for title, message in workflow_annotations(run, "warning")
        if not title
    )


def left_files(warning: str) -> int:
    assert warning.startswith(FAILED), warning
    return int(warning.removeprefix(FAILED).split(" ", 1)[0])


def deletion_paths(api: GitHubApiServer) -> list[str]:
    return [request.path for request in api.deletions()]


def check_job_token(api: GitHubApiServer, run: ActRun) -> None:
    assert api.requests, "the action asked the API nothing"
    for request in api.requests:
        assert request.headers.get("authorization") == f"Bearer {TOKEN}"
    assert TOKEN not in run.log


def archive_bytes(session: ActSession, key: str) -> int:
    (entry,) = [e for e in session.cache_entries() if e.complete and e.key == key.lower()]
    assert entry.archive is not None
    return entry.archive.stat().st_size


# --------------------------------------------------------------------------------------------
# pip: the damage found, not deleted (the save refused), then deleted and replaced


@dataclass(frozen=True)
class PipRuns:
    session: ActSession
    api: GitHubApiServer
    index: LocalIndex
    first: ActRun
    damaged_id: int
    without_input: ActRun
    again: ActRun
    with_input: ActRun
    healed: ActRun
    downloads: list[int]  # the index's wheel downloads after each run
    key: str
    stored_after: list[list[int]]  # the ids act held after each run
    api_requests: list[list[str]]  # the API operations of each run
    deleted_paths: list[list[str]]  # the DELETE requests of each run


@pytest.fixture(scope="module")
def pip_runs(tmp_path_factory: pytest.TempPathFactory, index: LocalIndex) -> Iterator[PipRuns]:
    require_e2e_tools()
    python = require_interpreter(INTERPRETER)
    root = tmp_path_factory.mktemp("damaged-pip")
    pip_cache = root / "pip-cache"
    session = new_session(root / "act", home=root / "home", pip_cache=pip_cache)
    with GitHubApiServer(repository=DEFAULT_REPOSITORY, token=TOKEN) as api:
        api.on_delete = delete_in_act(session)
        runs: list[ActRun] = []
        downloads: list[int] = []
        before = index.wheel_downloads()
        stored: list[list[int]] = []
        requests: list[list[str]] = []
        deleted: list[list[str]] = []

        def job(payload: str, **inputs: str) -> ActRun:
            api.entries = api_entries(session)
            api.requests.clear()
            run = pip_run(
                session,
                python=python,
                dependency_hash="deps-1",
                payload=payload,
                index=index,
                clear=pip_cache,
                env=api_env(api, BALLAST_FILES=BALLAST, **inputs),
                extra_args=WITH_TOKEN,
            ).check()
            runs.append(run)
            downloads.append(index.wheel_downloads() - before)
            stored.append([entry.id for entry in session.cache_entries() if entry.complete])
            requests.append([request.operation_id for request in api.requests])
            deleted.append(deletion_paths(api))
            check_job_token(api, run)
            return run

        first = job("first")
        key = first.output(CPD_STEP, "cache-key-for-dependencies")
        damaged = damage(session, key)
        job("without the input")
        job("again without the input")
        job("with the input", DELETE_STALE_ENTRIES="true")
        job("exact hit", DELETE_STALE_ENTRIES="true")
        without_input, again, with_input, healed = runs[1:]
        yield PipRuns(
            session=session,
            api=api,
            index=index,
            first=first,
            damaged_id=damaged.id,
            without_input=without_input,
            again=again,
            with_input=with_input,
            healed=healed,
            downloads=downloads,
            key=key,
            stored_after=stored,
            api_requests=requests,
            deleted_paths=deleted,
        )
    api.assert_valid()


def test_pip_the_damaged_entry_fails_every_restore_and_the_job_still_succeeds(
    pip_runs: PipRuns,
) -> None:
    for run in (pip_runs.without_input, pip_runs.again, pip_runs.with_input):
        assert restore_failed_in_actions_cache(run), run.log_tail()
        assert run.output(CPD_STEP, "cache-hit") == "false"
        assert run.output(CPD_STEP, "cache-matched-key") == ""
        # The step after the action sees nothing of the failed restore: only this job's record
        # (written for the save), then pip downloads the wheel anew and works.
        assert run.artifact("restored.txt").splitlines() == [f"./{RECORD_FILE}"]
        assert run.output("inspect", "restored") == ""
        assert run.output("pip", "used-cache") == "false"
        assert run.step("pip").outcome == "success"
    assert pip_runs.downloads == [1, 2, 3, 4, 4]


def test_pip_a_warning_says_why_once(pip_runs: PipRuns) -> None:
    for run in (pip_runs.without_input, pip_runs.again):
        (warning,) = our_warnings(run)
        assert left_files(warning) > 0
        assert "; they were removed, nothing of them is used; the entry " in warning
        assert warning.endswith(f"{pip_runs.key.lower()} (refs/heads/main) {NOT_DELETED_HINT}")
    (warning,) = our_warnings(pip_runs.with_input)
    assert left_files(warning) > 0
    assert warning.endswith(
        f"; the damaged entry {pip_runs.key.lower()} (refs/heads/main) was deleted, so this "
        "job's save replaces it"
    )


def test_pip_without_the_input_nothing_is_deleted_and_the_save_is_refused(
    pip_runs: PipRuns,
) -> None:
    # GitHub's immutability: the damaged entry stays, so the next run fails the same way.
    for run, stored in zip(
        (pip_runs.without_input, pip_runs.again), pip_runs.stored_after[1:3], strict=True
    ):
        assert REFUSED_SAVE + pip_runs.key in run.log
        assert stored == [pip_runs.damaged_id]
    assert pip_runs.api_requests[1] == pip_runs.api_requests[2] == [LIST_CACHES, CACHE_USAGE]


def test_pip_with_the_input_the_damaged_entry_is_deleted_and_this_runs_save_replaces_it(
    pip_runs: PipRuns,
) -> None:
    run = pip_runs.with_input
    assert pip_runs.api_requests[3] == [
        LIST_CACHES,
        DELETE_CACHE_BY_ID,
        CACHE_USAGE,
    ]
    assert pip_runs.deleted_paths[3] == [f"{CACHES_PATH}/{pip_runs.damaged_id}"]
    assert [paths for index, paths in enumerate(pip_runs.deleted_paths) if index != 3] == [[]] * 4
    assert REFUSED_SAVE not in run.log
    assert f"Cache saved with key: {pip_runs.key}" in run.log
    (replacement,) = pip_runs.stored_after[3]
    assert replacement != pip_runs.damaged_id
    summary = record_summary(run)
    assert status_line(summary).startswith("**Restore failed part way**: actions/cache reported ")
    section = stale_part(summary)
    assert (
        f"| `{pip_runs.key.lower()}` | `refs/heads/main` |" in section
        and "| damaged: this run's restore of it failed part way |" in section
    )
    assert "- stale entries: deleted 1 entry" in section
    assert "- after: the repository's caches use " in section


def test_pip_the_next_run_is_an_exact_hit_of_the_replacement(pip_runs: PipRuns) -> None:
    run = pip_runs.healed
    assert run.output(CPD_STEP, "cache-hit") == "true"
    assert run.output("inspect", "restored") == "with the input"
    assert run.output("pip", "used-cache") == "true"
    assert not restore_failed_in_actions_cache(run)
    assert our_warnings(run) == []
    # An exact hit with the input: the listing and the usage, nothing superseded to delete.
    assert pip_runs.api_requests[4] == [LIST_CACHES, CACHE_USAGE]
    summary = record_summary(run)
    assert status_line(summary).startswith("**Exact hit**")
    assert "- stale entries: nothing to delete" in stale_part(summary)


# --------------------------------------------------------------------------------------------
# a virtualenv: never left half-restored


def venv_run(
    session: ActSession,
    api: GitHubApiServer,
    python: Path,
    index: LocalIndex,
    payload: str,
    venv: Path,
) -> ActRun:
    """A job on a new runner (no virtualenv yet) caching ``venv``, one path for every job."""
    shutil.rmtree(venv, ignore_errors=True)
    api.entries = api_entries(session)
    api.requests.clear()
    return session.run(
        VENV_WORKFLOW,
        env={
            "E2E_VENV": str(venv),
            "E2E_LOOKUP_COMMAND": 'echo "$E2E_VENV"',
            "E2E_PYTHON": str(python),
            "E2E_DEPS": "venv-deps-1",
            "E2E_INDEX_URL": index.url,
            "E2E_PAYLOAD": payload,
            **api_env(api, BALLAST_FILES=BALLAST, DELETE_STALE_ENTRIES="true"),
        },
        cache_actions=pinned_cache_actions(),
        extra_args=WITH_TOKEN,
    ).check()


def test_venv_a_half_restored_virtualenv_is_removed_and_replaced(
    tmp_path: Path, index: LocalIndex, api: GitHubApiServer
) -> None:
    require_e2e_tools()
    python = require_interpreter(INTERPRETER)
    session = new_session(
        tmp_path / "act",
        home=tmp_path / "home",
        pip_cache=tmp_path / "pip-cache",
        workflows=(VENV_WORKFLOW,),
    )
    api.on_delete = delete_in_act(session)
    venv = tmp_path / "venv"
    first = venv_run(session, api, python, index, "first venv", venv)
    key = first.output(CPD_STEP, "cache-key-for-dependencies")
    damaged = damage(session, key)

    failed = venv_run(session, api, python, index, "rebuilt venv", venv)
    assert restore_failed_in_actions_cache(failed), failed.log_tail()
    # The step after the action finds no virtualenv at all, creates it anew, and it runs.
    assert failed.output("inspect", "existed") == "false"
    assert failed.step("create").outcome == "success"
    assert failed.output("use", "value") == "e2e-sample 1.0 from the local index"
    (warning,) = our_warnings(failed)
    assert left_files(warning) > 0
    assert warning.endswith("was deleted, so this job's save replaces it")
    assert deletion_paths(api) == [f"{CACHES_PATH}/{damaged.id}"]
    check_job_token(api, failed)
    (replacement,) = [e.id for e in session.cache_entries() if e.complete]
    assert replacement != damaged.id

    hit = venv_run(session, api, python, index, "unused", venv)
    assert hit.output(CPD_STEP, "cache-hit") == "true"
    assert hit.output("inspect", "restored") == "rebuilt venv"
    assert hit.output("use", "value") == "e2e-sample 1.0 from the local index"
    assert our_warnings(hit) == []


# --------------------------------------------------------------------------------------------
# uv: its cache, pruned, damaged, replaced


def test_uv_a_damaged_cache_is_cleaned_deleted_and_replaced(
    tmp_path_factory: pytest.TempPathFactory, api: GitHubApiServer
) -> None:
    from tests.e2e import test_action_tools as tools  # noqa: PLC0415 - its uv project

    require_e2e_tools()
    python = require_interpreter(INTERPRETER)
    root = tmp_path_factory.mktemp("damaged-uv")
    sdist_index = LocalIndex(
        root / "index", project=tools.PACKAGE, build=tools.build_sdist, cache_headers=False
    ).start()
    try:
        runs = _uv_runs(root, sdist_index, api, python, tools)
    finally:
        sdist_index.stop()
    failed, hit, session, damaged_id, deleted = runs
    assert restore_failed_in_actions_cache(failed), failed.log_tail()
    # uv's cache holds nothing of the failed restore but this job's record; uv builds again.
    assert tools.listing(failed, "restored.txt") == [RECORD_FILE]
    assert failed.output("install", "value") == tools.MODULE_VALUE
    (warning,) = our_warnings(failed)
    assert left_files(warning) > 0
    assert warning.endswith("was deleted, so this job's save replaces it")
    assert deleted == [f"{CACHES_PATH}/{damaged_id}"]
    assert hit.output(CPD_STEP, "cache-hit") == "true"
    assert hit.output("install", "value") == tools.MODULE_VALUE  # synced --offline
    assert our_warnings(hit) == []
    assert len(stored_keys(session)) == 1


def _uv_runs(
    root: Path, index: LocalIndex, api: GitHubApiServer, python: Path, tools: Any
) -> tuple[ActRun, ActRun, ActSession, int, list[str]]:
    executable = tools.tool_executable("uv")
    project = root / "project"
    project.mkdir()
    files = tools.uv_project(index.url)
    for name, text in files.items():
        (project / name).write_text(text, encoding="utf-8")
    lock_home = root / "lock-home"
    lock_home.mkdir()
    tools.lock_project(
        project,
        [str(executable), "lock"],
        tools.clean_environment(
            lock_home,
            python,
            {
                "UV_CACHE_DIR": str(root / "lock-cache"),
                "UV_PYTHON": str(python),
                "UV_PYTHON_DOWNLOADS": "never",
            },
        ),
        "uv.lock",
    )
    home = root / "home"
    session = new_session(
        root / "act", home=home, pip_cache=root / "pip-cache", workflows=(tools.UV_WORKFLOW,)
    )
    for name in (*files, "uv.lock"):
        shutil.copyfile(project / name, session.workspace / name)
    commit_workspace(session.workspace, "a uv project")
    tools_bin = root / "tools-bin"
    tools_bin.mkdir()
    (tools_bin / "uv").symlink_to(executable)
    api.on_delete = delete_in_act(session)
    env = {
        "E2E_TOOLS_BIN": str(tools_bin),
        "E2E_PYTHON_BIN": str(python.parent),
        "E2E_PYTHON": str(python),
        "E2E_TOOL": "auto",
        "UV_PYTHON": str(python),
        "UV_PYTHON_DOWNLOADS": "never",
        **api_env(api, BALLAST_FILES=BALLAST, DELETE_STALE_ENTRIES="true"),
    }

    def job(**extra: str) -> ActRun:
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir()
        api.entries = api_entries(session)
        api.requests.clear()
        return session.run(
            tools.UV_WORKFLOW,
            env={**env, **extra},
            cache_actions=pinned_cache_actions(),
            extra_args=WITH_TOKEN,
        ).check()

    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("UV_")]:
            patch.delenv(name)
        first = job()
        key = first.output(CPD_STEP, "cache-key-for-dependencies")
        damaged = damage(session, key)
        failed = job()
        check_job_token(api, failed)
        deleted = deletion_paths(api)
        hit = job(E2E_OFFLINE="true")
    return failed, hit, session, damaged.id, deleted


# --------------------------------------------------------------------------------------------
# the race: an entry with this key appears after the restore


def pip_jobs(
    tmp_path: Path, index: LocalIndex, api: GitHubApiServer
) -> tuple[ActSession, Callable[..., ActRun]]:
    """A session of action-pip.yml jobs on new runners, with the API; its job function takes
    the dependency hash, the payload and E2E_* inputs by suffix."""
    require_e2e_tools()
    python = require_interpreter(INTERPRETER)
    pip_cache = tmp_path / "pip-cache"
    session = new_session(tmp_path / "act", home=tmp_path / "home", pip_cache=pip_cache)
    api.on_delete = delete_in_act(session)

    def job(deps: str, payload: str, **inputs: str) -> ActRun:
        return pip_run(
            session,
            python=python,
            dependency_hash=deps,
            payload=payload,
            index=index,
            clear=pip_cache,
            env=api_env(api, **inputs),
            extra_args=WITH_TOKEN,
        ).check()

    return session, job


def test_an_entry_with_this_key_saved_after_the_restore_is_not_deleted(
    tmp_path: Path, index: LocalIndex, api: GitHubApiServer
) -> None:
    session, pip_job = pip_jobs(tmp_path, index, api)

    def job(deps: str, payload: str) -> ActRun:
        return pip_job(deps, payload, BALLAST_FILES=BALLAST, DELETE_STALE_ENTRIES="true")

    api.entries = api_entries(session)
    first = job("deps-1", "first")
    old_key = first.output(CPD_STEP, "cache-key-for-dependencies")
    damage(session, old_key)
    new_key = old_key.removesuffix("deps-1") + "deps-2"
    # This job restores deps-1 by its restore key and that fails. Meanwhile another job saves
    # deps-2, this job's own key: it is in the API's listing when this job's record step asks.
    api.entries = api_entries(session)

    def another_jobs_save(request: Any) -> None:
        if request.operation_id == LIST_CACHES and not any(
            entry["key"] == new_key for entry in api.entries
        ):
            now = datetime.now(timezone.utc)
            version = api.entries[0]["version"]
            api.entries.append(
                cache_entry(new_key, version=version, created=now, last_accessed=now)
            )

    api.on_request = another_jobs_save
    api.requests.clear()
    racing = job("deps-2", "racing")
    assert restore_failed_in_actions_cache(racing), racing.log_tail()
    assert racing.artifact("restored.txt").splitlines() == [f"./{RECORD_FILE}"]
    assert api.deletions() == []
    (warning,) = our_warnings(racing)
    assert warning.endswith(
        f"; the entry with this key, {new_key} (refs/heads/main), was created after this job "
        "started (another job's save?): not deleted"
    )
    check_job_token(api, racing)


# --------------------------------------------------------------------------------------------
# superseded entries after an exact hit


def test_an_exact_hit_deletes_exactly_the_superseded_entries_only_with_the_input(
    tmp_path: Path, index: LocalIndex, api: GitHubApiServer
) -> None:
    session, job = pip_jobs(tmp_path, index, api)
    old = job("deps-1", "deps-1 job")
    job("deps-2", "deps-2 job")
    old_key = old.output(CPD_STEP, "cache-key-for-dependencies")
    prefix = old.output(CPD_STEP, "cache-key-for-python-interpreter")
    ours = api_entries(session)
    (old_entry,) = [entry for entry in ours if entry["key"] == old_key.lower()]
    (new_entry,) = [entry for entry in ours if entry["key"] != old_key.lower()]
    created = parse_timestamp(old_entry["created_at"])
    version = old_entry["version"]

    def decoy(key: str, **options: Any) -> dict[str, Any]:
        options.setdefault("version", version)
        options.setdefault("created", created - timedelta(days=1))
        return cache_entry(key, **options)

    decoys = [
        decoy(prefix + "deps-branch", ref="refs/heads/feature"),  # another ref
        decoy(prefix.replace("-cp311-", "-cp312-") + "deps-0"),  # another prefix
        decoy(prefix + "deps 0"),  # not this action's format
        decoy(prefix + "deps-path", version="c" * 64),  # another cache path
        # newer than the entry restored
        decoy(prefix + "deps-3", created=parse_timestamp(new_entry["created_at"]) + timedelta(1)),
    ]

    api.entries = [*ours, *decoys]
    api.requests.clear()
    without = job("deps-2", "unused")
    assert without.output(CPD_STEP, "cache-hit") == "true"
    assert api.requests == []  # without the input: nothing asked, nothing deleted
    assert "stale entries" not in record_summary(without)

    api.entries = [*api_entries(session), *decoys]
    api.requests.clear()
    hit = job("deps-2", "unused", DELETE_STALE_ENTRIES="true")
    assert hit.output(CPD_STEP, "cache-hit") == "true"
    assert deletion_paths(api) == [f"{CACHES_PATH}/{old_entry['id']}"]
    check_job_token(api, hit)
    assert [entry["id"] for entry in api.entries] == [
        new_entry["id"],
        *(entry["id"] for entry in decoys),
    ]
    # act's server keeps a record of the entry until a lookup finds its archive gone.
    archives = {e.id: e.archive for e in session.cache_entries() if e.complete}
    assert archives[old_entry["id"]] is None
    assert archives[new_entry["id"]] is not None
    section = stale_part(record_summary(hit))
    assert f"| `{old_key.lower()}` | `refs/heads/main` |" in section
    assert f"| superseded by `{new_entry['key']}` |" in section
    assert our_warnings(hit) == []
