"""The probe script's own JSON encoder (it avoids the json module to start faster)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cache_python_deps import probe
from tests.support import require_interpreter

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text())
# Lists of lists too: the pip search is a list of [group, directory, state, version].
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5), max_leaves=20)


@given(st.dictionaries(st.text(), VALUES, max_size=8))
def test_probe_json_round_trips_through_the_json_module(mapping: dict[str, object]) -> None:
    encoded = probe.json_object(mapping)
    assert encoded.isascii()
    assert json.loads(encoded) == mapping


def test_probe_output_is_one_framed_json_line() -> None:
    completed = subprocess.run(
        [sys.executable, "-E", "-s", "-S", probe.__file__, "MARK"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in completed.stdout.splitlines() if line]
    assert len(lines) == 1
    assert lines[0].startswith("MARK{") and lines[0].endswith("}MARK")
    assert json.loads(lines[0][4:-4])["sys_version"] == sys.version


def test_probe_runs_unchanged_on_python_2_7() -> None:
    python27 = require_interpreter("pyenv-2.7.18")
    completed = subprocess.run(
        [str(python27), "-E", "-s", "-S", probe.__file__, "MARK"],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(completed.stdout.strip()[4:-4])
    assert data["version_info"][:2] == [2, 7]
    assert data["implementation_name"] == "cpython"
    # Its pip, found through Python 2.7's site.getsitepackages (which takes no prefixes).
    real = subprocess.run(
        [str(python27), "-m", "pip", "--version"], capture_output=True, text=True, check=True
    )
    matched = re.match(r"pip (\S+) from (.+) \(python ", real.stdout)
    assert matched, real.stdout
    version, package = matched.groups()
    assert data["pip_search"][-1] == ["base", str(Path(package).parent), "found", version]
