"""Fixtures of the end-to-end tests (workflows under act, offline, with a real cache server)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.act_harness import ActSession, ensure_cache_standin_installed, missing_tools


@pytest.fixture
def act_session(tmp_path: Path) -> ActSession:
    """A fresh workspace (a git repository) and cache server under ``tmp_path/act``.

    Skips when act, node, npm, git, tar or zstd is missing, except under CI (``CI`` set), where
    a missing tool fails the test instead of hiding it.
    """
    missing = missing_tools()
    if missing:
        message = "end-to-end tests need: " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    ensure_cache_standin_installed()
    return ActSession(tmp_path / "act")
