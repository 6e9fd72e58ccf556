"""The action caching pip's cache, end to end under act: hits, ABI boundaries, restore keys.

One job of ``action-pip.yml`` per run: the action (the working tree, as
``re-actors/cache-python-deps@release/v1``) restores pip's cache, its record step writes the
job's provenance record into it, real pip downloads ``e2e-sample`` from a local index through
it, the workflow leaves a marker file in the cache directory after a miss, and the action's
post step saves. Every job starts on a "new runner": fresh RUNNER_TEMP and pip's cache
directory removed.

The module seeds one cache server with a pyenv 3.11.7 job (dependency hash ``deps-1``); each
test starts from a copy of it, so the scenarios are independent and the seed job runs once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.act_harness import ActRun, ActSession
from tests.e2e.scenario_support import (
    CPD_STEP,
    RECORD_FILE,
    RESTORE_ONLY_STEP_NAME,
    LocalIndex,
    Seed,
    cache_steps_run,
    declared_outputs,
    entry_members,
    entry_record,
    key_is_valid,
    make_seed,
    os_key_pattern,
    pip_run,
    record_artifact,
    record_summary,
    serve_local_index,
    stored_keys,
    table_rows,
    workflow_annotations,
)
from tests.support import require_interpreter

pytestmark = pytest.mark.e2e

DEPS_1 = "deps-1"
SEED_PAYLOAD = "written by the pyenv 3.11.7 job"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    yield from serve_local_index(tmp_path_factory)


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory, index: LocalIndex) -> Seed:
    return make_seed(
        tmp_path_factory,
        python=require_interpreter("pyenv-3.11.7"),
        dependency_hash=DEPS_1,
        payload=SEED_PAYLOAD,
        index=index,
        inputs={"PIP_CACHE_DIR_CHECK": "true"},
    )


@pytest.fixture
def session(seed: Seed, tmp_path: Path) -> ActSession:
    return seed.new_session(tmp_path)


def run_job(
    session: ActSession, seed: Seed, index: LocalIndex, python: Path, deps: str, payload: str
) -> ActRun:
    return pip_run(
        session,
        python=python,
        dependency_hash=deps,
        payload=payload,
        index=index,
        clear=seed.pip_cache,
    ).check()


# --------------------------------------------------------------------------------------------
# 1. miss and save, then an exact hit


def test_first_job_misses_and_saves_pips_cache(seed: Seed) -> None:
    outputs = declared_outputs(seed.run)
    key = outputs["cache-key-for-dependencies"]
    assert outputs["cache-enabled"] == "true"
    assert outputs["skip-reason"] == ""
    assert outputs["cache-hit"] == "false"
    assert outputs["cache-matched-key"] == ""
    assert outputs["abi-tag"] == "cp311"
    assert outputs["is-stable-abi"] == "true"
    # The action found pip's cache directory as pip itself does (PIP_CACHE_DIR here).
    assert outputs["cache-directory-path"] == str(seed.pip_cache)
    assert seed.run.output("pip", "cache-dir") == str(seed.pip_cache)
    # The OS-wide prefix ends with its closing dash; the interpreter prefix is the restore key:
    # everything but the dependency hash (ABI, stability, tool and kind).
    assert os_key_pattern().fullmatch(outputs["cache-key-for-os"])
    assert outputs["cache-key-for-python-interpreter"] == (
        outputs["cache-key-for-os"] + "cpython-cp311-3.11-pip.2-tool-"
    )
    assert outputs["restore-keys"] == outputs["cache-key-for-python-interpreter"]
    assert key == outputs["cache-key-for-python-interpreter"] + DEPS_1
    assert key_is_valid(key)

    # Nothing was restored; the record step made the directory and wrote this job's record.
    assert seed.run.output("inspect", "restored") == ""
    assert seed.run.output("inspect", "files") == "1"
    record = record_artifact(seed.run)
    assert record is not None
    assert record["key"] == key
    assert record["saved_by"]["run_id"] == seed.run.run_id
    assert seed.run.output("pip", "used-cache") == "false"
    assert seed.wheel_downloads == 1
    assert stored_keys(seed.session) == [key.lower()]
    members = entry_members(seed.session, key)
    assert any(name.endswith("/pip-cache/e2e-marker.txt") for name in members)
    assert any("/pip-cache/http" in name and not name.endswith("/") for name in members)
    assert any(name.endswith(f"/pip-cache/{RECORD_FILE}") for name in members)
    assert seed.record == record  # saved as the record step wrote it
    assert seed.files >= 3  # the marker, the record and at least the wheel's cached response


def test_second_job_is_an_exact_hit_with_the_first_jobs_files(
    seed: Seed, session: ActSession, index: LocalIndex
) -> None:
    downloads = index.wheel_downloads()
    second = run_job(
        session, seed, index, require_interpreter("pyenv-3.11.7"), DEPS_1, "second job"
    )

    outputs = declared_outputs(second)
    assert outputs["cache-hit"] == "true"
    assert outputs["cache-key-for-dependencies"] == seed.key
    assert outputs["cache-matched-key"].lower() == seed.key.lower()
    assert second.output("inspect", "restored") == SEED_PAYLOAD
    assert second.output("inspect", "files") == str(seed.files)
    # pip took the wheel from the restored cache: the index never served it again.
    assert second.output("pip", "used-cache") == "true"
    assert index.wheel_downloads() == downloads
    assert second.step("write").outcome == "skipped"
    assert stored_keys(session) == [seed.key.lower()]  # an exact hit saves nothing


# --------------------------------------------------------------------------------------------
# 2. the same ABI from another build


def test_same_abi_from_another_build_is_an_exact_hit(
    seed: Seed, session: ActSession, index: LocalIndex
) -> None:
    downloads = index.wheel_downloads()
    debian = run_job(session, seed, index, require_interpreter("debian-3.11"), DEPS_1, "debian job")

    outputs = declared_outputs(debian)
    assert outputs["abi-tag"] == "cp311"
    assert outputs["cache-key-for-dependencies"] == seed.key
    assert outputs["cache-hit"] == "true"
    assert outputs["cache-matched-key"].lower() == seed.key.lower()
    # The job summary (the record step's section, from the keys step's facts): Debian's build.
    assert "| python version | `3.11.2` |  |" in table_rows(record_summary(debian), "this job")
    assert debian.output("inspect", "restored") == SEED_PAYLOAD
    assert debian.output("pip", "used-cache") == "true"  # Debian's pip reads pyenv pip's cache
    assert index.wheel_downloads() == downloads
    assert stored_keys(session) == [seed.key.lower()]


# --------------------------------------------------------------------------------------------
# 3. another ABI never gets the 3.11 cache


@pytest.mark.parametrize(
    ("interpreter", "abi_tag", "implementation"),
    [
        ("pyenv-3.12.1", "cp312", "cpython-"),
        ("debian-pypy3", "pypy39_pp73", "pypy7.3."),  # PyPy's own release is part of its ABI
        ("debian-3.11-debug", "cp311d", "cpython-"),
    ],
    ids=["cpython-3.12", "pypy-3.9", "cpython-3.11-debug"],
)
def test_another_abi_restores_nothing_from_the_311_cache(
    seed: Seed,
    session: ActSession,
    index: LocalIndex,
    interpreter: str,
    abi_tag: str,
    implementation: str,
) -> None:
    downloads = index.wheel_downloads()
    other = run_job(
        session, seed, index, require_interpreter(interpreter), DEPS_1, f"{interpreter} job"
    )

    outputs = declared_outputs(other)
    assert outputs["cache-enabled"] == "true"
    assert outputs["abi-tag"] == abi_tag
    interpreter_key = outputs["cache-key-for-python-interpreter"]
    assert interpreter_key.startswith(outputs["cache-key-for-os"] + implementation)
    assert f"-{abi_tag}-" in interpreter_key
    assert interpreter_key.endswith("-pip.2-tool-")
    key = outputs["cache-key-for-dependencies"]
    assert key == interpreter_key + DEPS_1
    assert key != seed.key
    # No prefix the action outputs reaches the 3.11 entry, except the OS-wide one.
    assert not seed.key.startswith(outputs["restore-keys"])
    assert not seed.key.startswith(interpreter_key)
    assert seed.key.startswith(outputs["cache-key-for-os"])
    assert outputs["cache-hit"] == "false"
    assert outputs["cache-matched-key"] == ""
    assert other.output("inspect", "restored") == ""
    assert other.output("inspect", "files") == "1"  # only this job's own record
    assert (record_artifact(other) or {}).get("key") == key
    assert other.output("pip", "used-cache") == "false"
    assert index.wheel_downloads() == downloads + 1
    assert stored_keys(session) == [seed.key.lower(), key.lower()]


# --------------------------------------------------------------------------------------------
# 4. new dependencies: restored through the restore key, saved under the new key


def test_changed_dependency_hash_restores_the_same_abis_entry_through_the_restore_key(
    seed: Seed, session: ActSession, index: LocalIndex
) -> None:
    downloads = index.wheel_downloads()
    changed = run_job(
        session, seed, index, require_interpreter("pyenv-3.11.7"), "deps-2", "deps-2 job"
    )

    outputs = declared_outputs(changed)
    key = outputs["cache-key-for-dependencies"]
    assert key == seed.key.removesuffix(DEPS_1) + "deps-2"
    assert outputs["restore-keys"] == seed.key.removesuffix(DEPS_1)
    assert outputs["cache-hit"] == "false"
    assert outputs["cache-matched-key"].lower() == seed.key.lower()
    assert changed.output("inspect", "restored") == SEED_PAYLOAD
    assert changed.output("inspect", "files") == str(seed.files)
    assert changed.output("pip", "used-cache") == "true"
    assert index.wheel_downloads() == downloads
    assert stored_keys(session) == [seed.key.lower(), key.lower()]  # saved: not an exact hit
    assert any(name.endswith("/pip-cache/e2e-marker.txt") for name in entry_members(session, key))
    # The seed's record was replaced by this job's, so the new entry names its own key.
    saved_record = entry_record(session, key)
    assert saved_record is not None
    assert saved_record["key"] == key
    assert saved_record["saved_by"]["run_id"] == changed.run_id
    assert workflow_annotations(changed, "warning") == []


# --------------------------------------------------------------------------------------------
# 5. save-cache: false restores and never saves


def test_save_cache_false_restores_but_never_saves(
    seed: Seed, session: ActSession, index: LocalIndex
) -> None:
    python = require_interpreter("pyenv-3.11.7")
    restore_only = pip_run(
        session,
        python=python,
        dependency_hash="deps-3",
        payload="restore-only job",
        index=index,
        clear=seed.pip_cache,
        inputs={"SAVE_CACHE": "false"},
    ).check()

    outputs = declared_outputs(restore_only)
    key = outputs["cache-key-for-dependencies"]
    assert key == seed.key.removesuffix(DEPS_1) + "deps-3"
    assert outputs["cache-enabled"] == "true"
    assert outputs["cache-hit"] == "false"
    assert outputs["cache-matched-key"].lower() == seed.key.lower()
    assert workflow_annotations(restore_only, "notice") == [
        ("Restore only", "restore only: save-cache is false")
    ]
    # actions/cache/restore ran instead of actions/cache: there is no post step to save.
    assert cache_steps_run(restore_only) == [f"Main {RESTORE_ONLY_STEP_NAME}"]
    assert restore_only.output("inspect", "restored") == SEED_PAYLOAD
    # A job that never saves leaves the restored record as it was.
    assert record_artifact(restore_only) == seed.record
    assert restore_only.step("write").outcome == "success"  # there was something to save
    assert "Cache saved" not in restore_only.log
    assert stored_keys(session) == [seed.key.lower()]

    # Nothing was saved under deps-3: the next job gets the seed's entry again, not its own.
    later = run_job(session, seed, index, python, "deps-3", "later job")
    assert later.output(CPD_STEP, "cache-key-for-dependencies") == key
    assert later.output(CPD_STEP, "cache-hit") == "false"
    assert later.output(CPD_STEP, "cache-matched-key").lower() == seed.key.lower()
    assert later.output("inspect", "restored") == SEED_PAYLOAD
    assert stored_keys(session) == [seed.key.lower(), key.lower()]
