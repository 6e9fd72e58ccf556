"""Proof that the harness works: the actions/cache v5.0.5 stand-in against act's cache server.

Each ``run`` is one act invocation, i.e. one job on a fresh runner (empty RUNNER_TEMP) that
shares the cache server with the session's other runs. The assertions pin what the real
actions/cache v5.0.5 does, so that the project's action cannot come to rely on more: the main
step of ``actions/cache`` outputs only ``cache-hit``, ``actions/cache/restore`` also outputs
the primary and matched keys, and the post step saves only after a successful job without an
exact hit, a failed save being a warning.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.act_harness import WORKFLOWS_DIR, ActRun, ActSession

pytestmark = pytest.mark.e2e

ROUNDTRIP = "cache-roundtrip.yml"
RESTORE_SAVE = "cache-restore-save.yml"


@pytest.fixture
def session(act_session: ActSession, tmp_path: Path) -> ActSession:
    act_session.add_workflow(WORKFLOWS_DIR / ROUNDTRIP)
    act_session.add_workflow(WORKFLOWS_DIR / RESTORE_SAVE)
    # The same path string in every run: actions/cache's "version" hashes the path list.
    act_session.env["E2E_CACHE_PATH"] = str(tmp_path / "cache-target")
    return act_session


def cache_path(session: ActSession) -> Path:
    return Path(session.env["E2E_CACHE_PATH"])


def run(
    session: ActSession,
    workflow: str,
    key: str,
    payload: str,
    *,
    restore_key: str = "",
    **extra: str,
) -> ActRun:
    """One job, starting with the cache folder removed (as on a new runner)."""
    shutil.rmtree(cache_path(session), ignore_errors=True)
    env = {"E2E_KEY": key, "E2E_RESTORE_KEY": restore_key, "E2E_PAYLOAD": payload, **extra}
    return session.run(workflow, env=env)


def stored_keys(session: ActSession) -> list[str]:
    return [entry.key for entry in session.cache_entries() if entry.complete]


def test_save_exact_hit_and_restore_key_match(session: ActSession) -> None:
    first = run(session, ROUNDTRIP, "E2E-Key-1", "one").check()
    assert first.output("before", "runner-temp-leftovers") == "0"
    assert first.step("cache").outcome == "success"
    assert first.step("cache").outputs == {}  # a miss leaves even cache-hit unset
    assert first.output("inspect", "restored") == ""
    (entry,) = session.cache_entries()
    assert (entry.key, entry.complete) == ("e2e-key-1", True)  # act's server lowercases keys
    assert entry.archive is not None
    assert entry.archive.is_file()
    assert any(member.endswith("/cache-target/payload.txt") for member in entry.members())

    # A new job: fresh RUNNER_TEMP, cache folder gone, same cache server, another run id.
    second = run(session, ROUNDTRIP, "E2E-Key-1", "two").check()
    assert first.run_id and second.run_id and first.run_id != second.run_id
    assert second.output("before", "run-id") == second.run_id
    assert second.output("before", "runner-temp-leftovers") == "0"
    assert second.output("before", "cache-path-existed") == "false"
    # The main step of actions/cache publishes cache-hit and nothing else (no keys).
    assert second.step("cache").outputs == {"cache-hit": "true"}
    assert second.output("inspect", "restored") == "one"
    assert "not saving cache" in second.log
    assert stored_keys(session) == ["e2e-key-1"]  # no save after an exact hit

    third = run(session, ROUNDTRIP, "E2E-Key-2", "three", restore_key="E2E-Key-").check()
    assert third.step("cache").outputs == {"cache-hit": "false"}  # no matched key either
    assert third.output("inspect", "restored") == "one"
    assert stored_keys(session) == ["e2e-key-1", "e2e-key-2"]  # saved: not an exact hit

    # Exact matches ignore case, as on GitHub.
    fourth = run(session, ROUNDTRIP, "e2e-KEY-2", "four").check()
    assert fourth.output("cache", "cache-hit") == "true"
    assert fourth.output("inspect", "restored") == "three"
    assert stored_keys(session) == ["e2e-key-1", "e2e-key-2"]


def test_post_step_saves_only_after_success_and_a_failed_save_is_a_warning(
    session: ActSession,
) -> None:
    failed_job = run(session, ROUNDTRIP, "Post-1", "never saved", E2E_FAIL_JOB="true")
    assert not failed_job.ok
    assert failed_job.step("fail").outcome == "failure"
    assert failed_job.step("inspect").outcome == "success"
    assert stored_keys(session) == []  # post-if: success()

    # Nothing to archive at the end of the job: the save fails, the job does not.
    nothing = run(session, ROUNDTRIP, "Post-1", "", E2E_NO_WRITE="true").check()
    assert "[warning]Path Validation Error" in nothing.log
    assert "Cache saved with key" not in nothing.log
    assert stored_keys(session) == []

    saved = run(session, ROUNDTRIP, "Post-1", "saved").check()
    assert "Cache saved with key: Post-1" in saved.log
    assert stored_keys(session) == ["post-1"]


def test_restore_only_never_saves_and_save_only_saves(session: ActSession) -> None:
    run(session, ROUNDTRIP, "Base-1", "seed").check()
    assert stored_keys(session) == ["base-1"]

    restored = run(session, RESTORE_SAVE, "Base-2", "not saved", restore_key="Base-").check()
    assert restored.output("restore", "cache-hit") == "false"
    assert restored.output("restore", "cache-primary-key") == "Base-2"
    assert restored.output("restore", "cache-matched-key").lower() == "base-1"
    assert "Cache restored from key" in restored.log
    assert restored.output("inspect", "restored") == "seed"
    assert restored.step("save").outcome == "skipped"
    assert stored_keys(session) == ["base-1"]

    # The restore-only job saved nothing under Base-2: a later job misses it.
    follow_up = run(session, ROUNDTRIP, "Base-2", "after").check()
    assert follow_up.output("cache", "cache-hit") == ""
    assert follow_up.output("inspect", "restored") == ""
    assert stored_keys(session) == ["base-1", "base-2"]

    saved = run(session, RESTORE_SAVE, "Base-3", "saved explicitly", E2E_SAVE="true").check()
    # A miss: the primary key is published, cache-hit and the matched key are not.
    assert saved.step("restore").outputs == {"cache-primary-key": "Base-3"}
    assert saved.step("save").outcome == "success"
    assert stored_keys(session) == ["base-1", "base-2", "base-3"]

    # actions/cache/save: a failed save is a warning annotation, never a failed step.
    failed = run(session, RESTORE_SAVE, "Base-4", "", E2E_SAVE="true", E2E_NO_WRITE="true").check()
    assert failed.step("save").outcome == "success"
    assert "::warning::Cache save failed." in failed.log
    assert stored_keys(session) == ["base-1", "base-2", "base-3"]

    again = run(session, RESTORE_SAVE, "Base-3", "unused").check()
    assert again.output("restore", "cache-hit") == "true"
    assert again.output("inspect", "restored") == "saved explicitly"


def test_lookup_only_and_fail_on_cache_miss(session: ActSession) -> None:
    run(session, ROUNDTRIP, "Look-1", "looked up").check()

    lookup = run(session, ROUNDTRIP, "Look-1", "x", E2E_LOOKUP_ONLY="true").check()
    assert lookup.output("cache", "cache-hit") == "true"
    assert lookup.output("inspect", "restored") == ""  # found, not downloaded

    failed = run(session, ROUNDTRIP, "Look-2", "x", E2E_FAIL_ON_MISS="true")
    assert not failed.ok
    assert failed.step("cache").outcome == "failure"
    assert failed.step("inspect").outcome == "skipped"
    assert "fail-on-cache-miss" in failed.log


SAMPLE_LOG = """\
[wf/job] ⭐ Run Main outer/action@v1
[wf/job] ⭐ Run Main First inner step
[wf/job]   | some output
[wf/job]   ✅  Success - Main First inner step [10.5ms]
[wf/job]   ⚙  ::set-output:: x=1
[wf/job]   ⚙  Summary - ### Title

| a | b |

- [not a log line] note
[wf/job] ⭐ Run Main Second inner step
[wf/job]   ❌  Failure - Main Second inner step [3ms]
[wf/job]   ⚙  Summary - second
[wf/job]   ✅  Success - Main outer/action@v1 [20ms]
[wf/job]   ⚙  Summary - second
[wf/job] 🏁  Job succeeded
"""


def test_step_summaries_are_read_back_from_acts_log(tmp_path: Path) -> None:
    """act prints each step's summary after the line that says the step finished."""
    run = ActRun((), 0, SAMPLE_LOG, 0.0, tmp_path, tmp_path / "r.json", tmp_path)
    assert run.step_summaries() == [
        ("First inner step", "### Title\n\n| a | b |\n\n- [not a log line] note"),
        ("Second inner step", "second"),
        ("outer/action@v1", "second"),
    ]
    assert run.step_summary("First inner step").startswith("### Title")
    with pytest.raises(AssertionError, match="no job summary from step 'Third'"):
        run.step_summary("Third")
