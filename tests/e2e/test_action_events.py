"""The cache-poisoning guard, end to end under act.

On events where a cache written from an untrusted branch could reach a release (a ``release``,
``pull_request_target``, ``workflow_run``, a tag push), the action neither restores nor saves,
and says why in a notice; ``cache-on-release-events: true`` opts back in.

The module seeds the cache server with a push job (pyenv 3.11.7, ``deps-1``). The jobs under
test use ``deps-2``: had caching run, the restore key would have restored the seed's entry and
the post step would have saved a new one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.act_harness import ActSession
from tests.e2e.scenario_support import (
    CPD_STEP,
    Seed,
    declared_outputs,
    make_seed,
    pip_run,
    stored_keys,
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
TAG_PUSH = {"ref": "refs/tags/v1.0.0"}
WORKFLOW_RUN = {
    "action": "completed",
    "workflow_run": {"name": "ci", "conclusion": "success", "head_branch": "contributor-branch"},
}
OPT_IN = "set cache-on-release-events: true to opt in"

GUARDED_EVENTS: dict[str, tuple[str, dict[str, Any], str]] = {
    "release": (
        "release",
        RELEASE,
        f"caching is off for 'release' events, where a poisoned cache could reach a release; "
        f"{OPT_IN}",
    ),
    "pull_request_target": (
        "pull_request_target",
        PULL_REQUEST_TARGET,
        "caching is off for 'pull_request_target' events, where a poisoned cache could reach a "
        f"release; {OPT_IN}",
    ),
    "workflow_run": (
        "workflow_run",
        WORKFLOW_RUN,
        "caching is off for 'workflow_run' events, where a poisoned cache could reach a "
        f"release; {OPT_IN}",
    ),
    "tag-push": (
        "push",
        TAG_PUSH,
        f"caching is off for tag pushes, where a poisoned cache could reach a release; {OPT_IN}",
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


@pytest.mark.parametrize("case", sorted(GUARDED_EVENTS))
def test_guarded_event_neither_restores_nor_saves_and_says_why(
    seed: Seed, session: ActSession, case: str
) -> None:
    event, payload, reason = GUARDED_EVENTS[case]
    job = pip_run(
        session,
        python=require_interpreter("pyenv-3.11.7"),
        dependency_hash="deps-2",
        payload=f"{case} job",
        clear=seed.pip_cache,
        event=event,
        event_payload=payload,
    ).check()

    outputs = declared_outputs(job)
    assert outputs["cache-enabled"] == "false"
    assert outputs["skip-reason"] == reason
    assert workflow_commands(job, "notice") == [reason]
    assert workflow_commands(job, "warning") == []
    # The keys are still computed and reported; only restoring and saving are off.
    assert outputs["cache-key-for-dependencies"] == deps_2_key(seed)
    assert outputs["cache-directory-path"] == str(seed.pip_cache)
    assert outputs["cache-hit"] == "false"
    assert outputs["cache-matched-key"] == ""
    assert job.output("inspect", "restored") == ""
    assert job.output("inspect", "files") == "0"
    assert job.step("write").outcome == "success"  # there was something to save
    assert "Cache saved" not in job.log
    assert stored_keys(session) == [seed.key.lower()]


def test_cache_on_release_events_opts_back_in(seed: Seed, session: ActSession) -> None:
    python = require_interpreter("pyenv-3.11.7")
    opt_in = {"CACHE_ON_RELEASE_EVENTS": "true"}

    def job(event: str, payload: dict[str, Any], name: str) -> dict[str, str]:
        run = pip_run(
            session,
            python=python,
            dependency_hash="deps-2",
            payload=name,
            clear=seed.pip_cache,
            event=event,
            event_payload=payload,
            inputs=opt_in,
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
