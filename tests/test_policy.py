"""Caching decisions: unstable ABIs, and events where a cache could be poisoned."""

from __future__ import annotations

import pytest

from cache_python_deps.identity import Stability
from cache_python_deps.policy import (
    UNTRUSTED_TRIGGER_EVENTS,
    CachingDecision,
    UnstableAbiPolicy,
    decide_caching,
)

GITHUB = "https://github.com"
GHES = "https://ghes.example.com"


def decide(
    event: str,
    *,
    ref: str = "refs/heads/main",
    server: str = GITHUB,
    opt_in: bool = False,
    save_cache: bool = True,
) -> CachingDecision:
    return decide_caching(
        stability=Stability.STABLE,
        unstable_abi=UnstableAbiPolicy.SKIP,
        event_name=event,
        ref=ref,
        server_url=server,
        cache_on_release_events=opt_in,
        save_cache=save_cache,
    )


def test_unstable_abi_is_skipped_by_default_policy() -> None:
    decision = decide_caching(stability=Stability.UNSTABLE, unstable_abi=UnstableAbiPolicy.SKIP)
    assert not decision.enabled
    assert not decision.save
    assert "unstable" in decision.reason


def test_unstable_abi_is_cached_when_isolated() -> None:
    decision = decide_caching(stability=Stability.UNSTABLE, unstable_abi=UnstableAbiPolicy.ISOLATE)
    assert decision.enabled
    assert decision.save


@pytest.mark.parametrize("stability", [Stability.STABLE, Stability.EXPERIMENTAL])
def test_stable_and_experimental_abis_are_cached(stability: Stability) -> None:
    assert decide_caching(stability=stability, unstable_abi=UnstableAbiPolicy.SKIP).enabled


@pytest.mark.parametrize(
    ("event", "ref"), [("release", "refs/tags/v1.0.0"), ("push", "refs/tags/v1")]
)
@pytest.mark.parametrize("server", [GITHUB, GHES])
def test_release_contexts_do_not_cache_unless_opted_in(event: str, ref: str, server: str) -> None:
    decision = decide(event, ref=ref, server=server)
    assert not decision.enabled
    assert not decision.save
    assert "cache-on-release-events" in decision.reason
    opted_in = decide(event, ref=ref, server=server, opt_in=True)
    assert opted_in.enabled
    assert opted_in.save


@pytest.mark.parametrize("event", sorted(UNTRUSTED_TRIGGER_EVENTS))
@pytest.mark.parametrize("opt_in", [False, True])
def test_untrusted_triggers_restore_on_github_dot_com_and_never_save(
    event: str, opt_in: bool
) -> None:
    decision = decide(event, opt_in=opt_in)
    assert decision.enabled
    assert not decision.save
    assert decision.restore_only
    assert "never save" in decision.reason


@pytest.mark.parametrize("event", sorted(UNTRUSTED_TRIGGER_EVENTS))
def test_untrusted_triggers_on_ghes_are_off_unless_opted_in_and_then_restore_only(
    event: str,
) -> None:
    decision = decide(event, server=GHES)
    assert not decision.enabled
    assert not decision.save
    assert "cache-on-release-events" in decision.reason
    opted_in = decide(event, server=GHES, opt_in=True)
    assert opted_in.restore_only


@pytest.mark.parametrize("event", sorted(UNTRUSTED_TRIGGER_EVENTS))
def test_save_cache_true_cannot_make_an_untrusted_trigger_save(event: str) -> None:
    assert not decide(event, save_cache=True, opt_in=True).save


def test_a_lookalike_server_url_is_not_github_dot_com() -> None:
    assert not decide("issue_comment", server="https://github.com.evil.example").enabled
    assert decide("issue_comment", server="https://GitHub.com/").restore_only


@pytest.mark.parametrize(
    "event",
    [
        "push",
        "pull_request",
        "pull_request_review",
        "schedule",
        "workflow_dispatch",
        "repository_dispatch",
        "merge_group",
        "",
    ],
)
@pytest.mark.parametrize("server", [GITHUB, GHES])
def test_ordinary_events_restore_and_save(event: str, server: str) -> None:
    decision = decide(event, server=server)
    assert decision.enabled
    assert decision.save
    assert decision.reason == ""


def test_save_cache_false_restores_only() -> None:
    decision = decide("push", save_cache=False)
    assert decision.restore_only
    assert "save-cache" in decision.reason
