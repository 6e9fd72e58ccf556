"""Whether to restore and save a cache at all: pure decisions from identity and run context."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from cache_python_deps.identity import Stability


class UnstableAbiPolicy(enum.Enum):
    """What to do for an interpreter whose ABI may change between builds (pre-releases)."""

    # Do not cache at all (the original action's behaviour).
    SKIP = "skip"
    # Cache under a key holding the exact pre-release and a hash of the build.
    ISOLATE = "isolate"


# Events where a cache written by another (possibly untrusted) branch could reach a release.
UNTRUSTED_CACHE_EVENTS = frozenset({"release", "pull_request_target", "workflow_run"})


@dataclass(frozen=True)
class CachingDecision:
    """Whether caching goes ahead, and the reason to show the user when it does not."""

    enabled: bool
    reason: str


def decide_caching(
    *,
    stability: Stability,
    unstable_abi: UnstableAbiPolicy,
    event_name: str | None = None,
    ref: str | None = None,
    cache_on_release_events: bool = False,
) -> CachingDecision:
    """Apply the unstable-ABI policy and the cache-poisoning guard."""
    if stability is Stability.UNSTABLE and unstable_abi is UnstableAbiPolicy.SKIP:
        return CachingDecision(
            False,
            "the interpreter's ABI is unstable (a pre-release or development build); "
            "set unstable-abi: isolate to cache it under its exact build",
        )
    if not cache_on_release_events:
        if event_name in UNTRUSTED_CACHE_EVENTS:
            return CachingDecision(
                False,
                f"caching is off for '{event_name}' events, where a poisoned cache could reach a "
                "release; set cache-on-release-events: true to opt in",
            )
        if ref and ref.startswith("refs/tags/"):
            return CachingDecision(
                False,
                "caching is off for tag pushes, where a poisoned cache could reach a release; "
                "set cache-on-release-events: true to opt in",
            )
    return CachingDecision(True, "")
