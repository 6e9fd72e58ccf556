"""The drift check's report (scripts/tool_drift.py): what its job summary says, per tool."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from cache_python_deps.tools.releases import CHECKED
from tests.markdown_check import rendered_elements

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "tool_drift.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tool_drift", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("tool_drift", module)
    spec.loader.exec_module(module)
    return module


def test_the_report_names_each_tools_checked_and_newest_release() -> None:
    found = {**CHECKED, "uv": "0.99.0", "platformdirs": "4.99.0"}
    report = _script().report(found, 0)
    assert report.startswith("### tool drift\n\n**Every comparison passed**")
    assert f"| uv | `{CHECKED['uv']}` | `0.99.0` | a newer line" in report
    assert f"| pip | `{CHECKED['pip']}` | `{CHECKED['pip']}` | a known line |" in report
    assert "| platformdirs |  | `4.99.0` |" in report


def test_a_failed_run_says_how_pytest_ended() -> None:
    report = _script().report({**CHECKED, "platformdirs": "4.0"}, 1)
    assert "**pytest exited with 1**" in report
    assert "table" in rendered_elements(report)
