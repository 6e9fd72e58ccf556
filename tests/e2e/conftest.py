"""Fixtures of the end-to-end tests (workflows under act, offline, with a real cache server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.act_harness import ActSession
from tests.e2e.scenario_support import require_e2e_tools


@pytest.fixture
def act_session(tmp_path: Path) -> ActSession:
    """A fresh workspace (a git repository) and cache server under ``tmp_path/act``.

    Skips when act, node, npm, git, tar or zstd is missing, except under CI (``CI`` set), where
    a missing tool fails the test instead of hiding it.
    """
    require_e2e_tools()
    return ActSession(tmp_path / "act")
