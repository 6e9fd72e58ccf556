"""The cache-poisoning guard, end to end under act.

- Tag pushes and ``release`` events neither restore nor save, and say why in a notice;
  ``cache-on-release-events: true`` opts back in.
- Events someone without write access can trigger (``pull_request_target``, ``issue_comment``,
  ``workflow_run``...) restore but never save on github.com, where such runs get read-only
  cache tokens; on GitHub Enterprise Server (act's ``--github-instance``, which makes
  ``GITHUB_SERVER_URL`` another server) they neither restore nor save, unless opted in, and
  then only restore.

The module seeds the cache server with a push job (pyenv 3.11.7, ``deps-1``). The jobs under
test use ``deps-2`` and write into the cache directory: had caching run in full, the restore key
would have restored the seed's entry and the post step would have saved a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.act_harness import ActRun, ActSession
from tests.e2e.scenario_support import (
    CPD_STEP,
    RESTORE_ONLY_STEP_NAME,
    Seed,
    cache_steps_run,
    declared_outputs,
    make_seed,
    pip_run,
    record_artifact,
    stored_keys,
    workflow_annotations,
    workflow_commands,
)
from tests.support import require_interpreter

pytestmark = pytest.mark.e2e

SEED_PAYLOAD = "written by a push job"
RELEASE = {"action": "published", "release": {"tag_name": "v1.0.0", "name": "v1.0.0"}}
PULL_REQUEST_TARGET = {
    "action": "opened",
    "number": 7,
    "pull_request": {
        "number": 7,
        "head": {"ref": "contributor-branch", "sha": "1" * 40},
        "base": {"ref": "main", "sha": "2" * 40},
    },
}
ISSUE_COMMENT = {
    "action": "created",
    "issue": {"number": 7, "title": "please run the tests"},
    "comment": {"id": 1, "body": "/test"},
}
TAG_PUSH = {"ref": "refs/tags/v1.0.0"}
WORKFLOW_RUN = {
    "action": "completed",
    "workflow_run": {"name": "ci", "conclusion": "success", "head_branch": "contributor-branch"},
}
OPT_IN = "set cache-on-release-events: true to opt in"
OPTED_IN = {"CACHE_ON_RELEASE_EVENTS": "true"}
#: act's GitHub Enterprise Server mode: GITHUB_SERVER_URL https://ghes.example.com.
GHES = ("--github-instance", "ghes.example.com")


def restore_only_reason(event: str) -> str:
    return (
        f"restore only: '{event}' events can be triggered without write access, so they never save"
    )


def off_on_ghes_reason(event: str) -> str:
    return (
        f"caching is off for '{event}' events outside github.com: they can be triggered without "
        "write access, and this server may have let such runs write the default branch's "
        f"cache; {OPT_IN} (restore only)"
    )


@dataclass(frozen=True)
class EventJob:
    """A job's event, its payload, act options (the server) and E2E_* inputs."""

    event: str
    payload: dict[str, Any]
    act_options: tuple[str, ...] = ()
    inputs: dict[str, str] = field(default_factory=dict)


CACHING_OFF: dict[str, tuple[EventJob, str]] = {
    "release": (
        EventJob("release", RELEASE),
        f"caching is off for 'release' events, where a poisoned cache could reach a release; "
        f"{OPT_IN}",
    ),
    "tag-push": (
        EventJob("push", TAG_PUSH),
        f"caching is off for tag pushes, where a poisoned cache could reach a release; {OPT_IN}",
    ),
    "pull_request_target-on-ghes": (
        EventJob("pull_request_target", PULL_REQUEST_TARGET, GHES),
        off_on_ghes_reason("pull_request_target"),
    ),
    "issue_comment-on-ghes": (
        EventJob("issue_comment", ISSUE_COMMENT, GHES),
        off_on_ghes_reason("issue_comment"),
    ),
}

RESTORE_ONLY: dict[str, EventJob] = {
    "pull_request_target": EventJob("pull_request_target", PULL_REQUEST_TARGET),
    "issue_comment": EventJob("issue_comment", ISSUE_COMMENT),
    "workflow_run": EventJob("workflow_run", WORKFLOW_RUN),
    "pull_request_target-on-ghes-opted-in": EventJob(
        "pull_request_target", PULL_REQUEST_TARGET, GHES, OPTED_IN
    ),
}


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    return make_seed(
        tmp_path_factory,
        python=require_interpreter("pyenv-3.11.7"),
        dependency_hash="deps-1",
        payload=SEED_PAYLOAD,
    )


@pytest.fixture
def session(seed: Seed, tmp_path: Path) -> ActSession:
    return seed.new_session(tmp_path)


def deps_2_key(seed: Seed) -> str:
    return seed.key.removesuffix("deps-1") + "deps-2"


def event_job(seed: Seed, session: ActSession, case: str, job: EventJob) -> ActRun:
    return pip_run(
        session,
        python=require_interpreter("pyenv-3.11.7"),
        dependency_hash="deps-2",
        payload=f"{case} job",
        clear=seed.pip_cache,
        event=job.event,
        event_payload=job.payload,
        inputs=job.inputs,
        extra_args=job.act_options,
    ).check()


@pytest.mark.parametrize("case", sorted(CACHING_OFF))
def test_guarded_event_neither_restores_nor_saves_and_says_why(
    seed: Seed, session: ActSession, case: str
) -> None:
    spec, reason = CACHING_OFF[case]
    job = event_job(seed, session, case, spec)

    outputs = declared_outputs(job)
    assert outputs["cache-enabled"] == "false"
    assert outputs["skip-reason"] == reason
    assert workflow_annotations(job, "notice") == [("Caching skipped", reason)]
    assert workflow_commands(job, "warning") == []
    # The keys are still computed and reported; only restoring and saving are off.
    assert outputs["cache-key-for-dependencies"] == deps_2_key(seed)
    assert outputs["cache-directory-path"] == str(seed.pip_cache)
    # Neither actions/cache step ran, nor the record step: cache-hit is false, as documented.
    assert cache_steps_run(job) == []
    assert outputs["cache-hit"] == "false"
    assert outputs["cache-matched-key"] == ""
    assert job.output("inspect", "restored") == ""
    assert job.output("inspect", "files") == "0"
    assert job.step("write").outcome == "success"  # there was something to save
    assert "Cache saved" not in job.log
    assert stored_keys(session) == [seed.key.lower()]


@pytest.mark.parametrize("case", sorted(RESTORE_ONLY))
def test_untrusted_trigger_restores_through_the_restore_key_and_never_saves(
    seed: Seed, session: ActSession, case: str
) -> None:
    spec = RESTORE_ONLY[case]
    job = event_job(seed, session, case, spec)

    outputs = declared_outputs(job)
    reason = restore_only_reason(spec.event)
    assert outputs["cache-enabled"] == "true"
    assert outputs["skip-reason"] == reason
    assert workflow_annotations(job, "notice") == [("Restore only", reason)]
    assert workflow_commands(job, "warning") == []
    assert outputs["cache-key-for-dependencies"] == deps_2_key(seed)
    # actions/cache/restore restored the seed's entry through the restore key.
    assert cache_steps_run(job) == [f"Main {RESTORE_ONLY_STEP_NAME}"]
    assert outputs["cache-hit"] == "false"
    assert outputs["cache-matched-key"].lower() == seed.key.lower()
    assert job.output("inspect", "restored") == SEED_PAYLOAD
    assert record_artifact(job) == seed.record  # a job that never saves writes no record
    # It wrote into the cache directory, and still nothing was saved.
    assert job.step("write").outcome == "success"
    assert "Cache saved" not in job.log
    assert stored_keys(session) == [seed.key.lower()]


def test_cache_on_release_events_opts_back_in(seed: Seed, session: ActSession) -> None:
    python = require_interpreter("pyenv-3.11.7")

    def job(event: str, payload: dict[str, Any], name: str) -> dict[str, str]:
        run = pip_run(
            session,
            python=python,
            dependency_hash="deps-2",
            payload=name,
            clear=seed.pip_cache,
            event=event,
            event_payload=payload,
            inputs=OPTED_IN,
        ).check()
        assert workflow_commands(run, "notice") == []
        return {
            **declared_outputs(run),
            "restored": run.output("inspect", "restored"),
        }

    release = job("release", RELEASE, "release job")
    assert release["cache-enabled"] == "true"
    assert release["skip-reason"] == ""
    assert release["cache-hit"] == "false"
    assert release["cache-matched-key"].lower() == seed.key.lower()  # through the restore key
    assert release["restored"] == SEED_PAYLOAD
    assert stored_keys(session) == [seed.key.lower(), deps_2_key(seed).lower()]

    tag = job("push", TAG_PUSH, "tag job")
    assert tag["cache-enabled"] == "true"
    assert tag["cache-hit"] == "true"
    assert tag["cache-matched-key"].lower() == deps_2_key(seed).lower()
    assert tag["restored"] == "release job"
    assert stored_keys(session) == [seed.key.lower(), deps_2_key(seed).lower()]


def test_seed_was_an_ordinary_push_that_cached(seed: Seed) -> None:
    """The guard is about events, not the action: the seeding push job cached as usual."""
    assert seed.run.output(CPD_STEP, "cache-enabled") == "true"
    assert workflow_commands(seed.run, "notice") == []
    assert stored_keys(seed.session) == [seed.key.lower()]
