"""What the action's steps and ``--print-key`` load on every run, cold.

Value types are NamedTuples (CONTRIBUTING.md): ``dataclasses`` (which imports ``inspect``, ``ast``
and ``tokenize``) costs about 4 ms to import and a fifth of a millisecond per class, paid by every
keys and record step. Importing every module of the package, as the runner's Python does
(``-E -s -S``, no click), must load neither.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).parents[1] / "src"

SCRIPT = """
import importlib, json, os, sys
sys.path.insert(0, sys.argv[1])
names = []
for folder, _, files in os.walk(os.path.join(sys.argv[1], "cache_python_deps")):
    package = os.path.relpath(folder, sys.argv[1]).replace(os.sep, ".")
    for file in sorted(files):
        if file.endswith(".py") and file not in ("cli.py", "__main__.py"):
            names.append(package if file == "__init__.py" else package + "." + file[:-3])
for name in names:
    importlib.import_module(name)
heavy = [m for m in ("dataclasses", "inspect") if m in sys.modules]
print(json.dumps({"imported": len(names), "heavy": heavy}))
"""


def test_no_module_of_the_package_loads_dataclasses_or_inspect() -> None:
    completed = subprocess.run(
        [sys.executable, "-E", "-s", "-S", "-c", SCRIPT, str(SOURCE)],
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(completed.stdout)
    assert found["imported"] > 40  # every module, the steps and tools included
    assert found["heavy"] == []
