"""Whether to restore and save a cache at all: pure decisions from identity and run context.

Which events may restore and save (the reasoning is in docs/threat-model.md):

- Tag pushes and ``release``: neither, unless ``cache-on-release-events`` is true (a poisoned
  entry would reach a release build).
- Events that someone without write access can trigger and that run in the default branch's
  cache scope, with the repository's secrets (``pull_request_target``, ``workflow_run``,
  ``issue_comment``, ``issues``, ``discussion``, ``discussion_comment``, ``fork``, ``watch``,
  ``gollum``): never save. Restore on github.com, where since 2026-06-26 these events get
  read-only cache tokens, so the default branch's entries can only have been written by runs
  with write access; on GHES the platform may still let such runs write, so there they restore
  only with ``cache-on-release-events: true``.
- Every other event restores, and saves unless ``save-cache`` is false.
"""

from __future__ import annotations

import enum
from typing import Final, NamedTuple

from cache_python_deps.identity import Stability


class UnstableAbiPolicy(enum.Enum):
    """What to do for an interpreter whose ABI may change between builds (pre-releases)."""

    # Do not cache at all (the original action's behaviour).
    SKIP = "skip"
    # Cache under a key holding the exact pre-release and a hash of the build.
    ISOLATE = "isolate"


# Events that run with a release's trust: a poisoned cache could reach what is published.
RELEASE_EVENTS: Final = frozenset({"release"})
# Events anyone (or anyone able to comment, star, fork, edit a public wiki, or open a pull
# request from a fork) can trigger, that run in the default branch's cache scope with secrets.
UNTRUSTED_TRIGGER_EVENTS: Final = frozenset(
    {
        "pull_request_target",
        "workflow_run",
        "issue_comment",
        "issues",
        "discussion",
        "discussion_comment",
        "fork",
        "watch",
        "gollum",
    }
)
GITHUB_DOT_COM: Final = "https://github.com"


class CachingDecision(NamedTuple):
    """Whether to restore and whether to save, and the reason to show when either is off."""

    enabled: bool
    reason: str
    save: bool = True

    @property
    def restore_only(self) -> bool:
        """Restores but never saves."""
        return self.enabled and not self.save


def _restore_only_for(event: str) -> str:
    return (
        f"restore only: '{event}' events can be triggered without write access, so they never save"
    )


_RESTORE_ONLY_SAVE_CACHE: Final = "restore only: save-cache is false"
# Every reason a run restores but never saves (the job summary checks the one it is handed).
RESTORE_ONLY_REASONS: Final = frozenset(
    {_RESTORE_ONLY_SAVE_CACHE, *(_restore_only_for(event) for event in UNTRUSTED_TRIGGER_EVENTS)}
)


def _opt_in_hint() -> str:
    return "set cache-on-release-events: true to opt in"


def decide_caching(
    *,
    stability: Stability,
    unstable_abi: UnstableAbiPolicy,
    event_name: str | None = None,
    ref: str | None = None,
    server_url: str | None = None,
    cache_on_release_events: bool = False,
    save_cache: bool = True,
) -> CachingDecision:
    """Apply the unstable-ABI policy, the cache-poisoning guards and ``save-cache``."""
    if stability is Stability.UNSTABLE and unstable_abi is UnstableAbiPolicy.SKIP:
        return CachingDecision(
            False,
            "the interpreter's ABI is unstable (a pre-release or development build); "
            "set unstable-abi: isolate to cache it under its exact build",
            save=False,
        )
    event = (event_name or "").strip()
    if event in UNTRUSTED_TRIGGER_EVENTS:
        on_github_dot_com = (server_url or "").rstrip("/").lower() == GITHUB_DOT_COM
        if on_github_dot_com or cache_on_release_events:
            return CachingDecision(True, _restore_only_for(event), save=False)
        return CachingDecision(
            False,
            f"caching is off for '{event}' events outside github.com: they can be triggered "
            "without write access, and this server may have let such runs write the default "
            f"branch's cache; {_opt_in_hint()} (restore only)",
            save=False,
        )
    is_release = event in RELEASE_EVENTS or bool(ref and ref.startswith("refs/tags/"))
    if is_release and not cache_on_release_events:
        what = f"'{event}' events" if event in RELEASE_EVENTS else "tag pushes"
        return CachingDecision(
            False,
            f"caching is off for {what}, where a poisoned cache could reach a release; "
            f"{_opt_in_hint()}",
            save=False,
        )
    if not save_cache:
        return CachingDecision(True, _RESTORE_ONLY_SAVE_CACHE, save=False)
    return CachingDecision(True, "")
