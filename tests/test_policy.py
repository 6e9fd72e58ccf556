"""Caching decisions: unstable ABIs and events where a cache could be poisoned."""

from __future__ import annotations

import pytest

from cache_python_deps.identity import Stability
from cache_python_deps.policy import UnstableAbiPolicy, decide_caching


def test_unstable_abi_is_skipped_by_default_policy() -> None:
    decision = decide_caching(stability=Stability.UNSTABLE, unstable_abi=UnstableAbiPolicy.SKIP)
    assert not decision.enabled
    assert "unstable" in decision.reason


def test_unstable_abi_is_cached_when_isolated() -> None:
    decision = decide_caching(stability=Stability.UNSTABLE, unstable_abi=UnstableAbiPolicy.ISOLATE)
    assert decision.enabled


@pytest.mark.parametrize("stability", [Stability.STABLE, Stability.EXPERIMENTAL])
def test_stable_and_experimental_abis_are_cached(stability: Stability) -> None:
    assert decide_caching(stability=stability, unstable_abi=UnstableAbiPolicy.SKIP).enabled


@pytest.mark.parametrize(
    ("event", "ref"),
    [
        ("release", "refs/tags/v1.0.0"),
        ("pull_request_target", "refs/heads/main"),
        ("workflow_run", "refs/heads/main"),
        ("push", "refs/tags/v1.2.3"),
    ],
)
def test_release_contexts_do_not_cache_unless_opted_in(event: str, ref: str) -> None:
    decision = decide_caching(
        stability=Stability.STABLE, unstable_abi=UnstableAbiPolicy.SKIP, event_name=event, ref=ref
    )
    assert not decision.enabled
    assert "cache-on-release-events" in decision.reason
    opted_in = decide_caching(
        stability=Stability.STABLE,
        unstable_abi=UnstableAbiPolicy.SKIP,
        event_name=event,
        ref=ref,
        cache_on_release_events=True,
    )
    assert opted_in.enabled


@pytest.mark.parametrize("event", ["push", "pull_request", "schedule", "workflow_dispatch"])
def test_ordinary_events_cache(event: str) -> None:
    decision = decide_caching(
        stability=Stability.STABLE,
        unstable_abi=UnstableAbiPolicy.SKIP,
        event_name=event,
        ref="refs/heads/main",
    )
    assert decision.enabled
