"""Config files a hostile repository (or environment) plants: a FIFO, ``/dev/zero``, a huge file.

Every file a tool module reads to find a cache directory goes through ``safe_files``: it must
neither hang (a FIFO never delivers) nor exhaust memory (``/dev/zero`` never ends). Each case
runs the real lookup in a child process under a short deadline, with a real FIFO, a real symlink
to ``/dev/zero`` and a real (sparse) file one byte over the limit in place of the file. Where
the tool itself skips such a file (pipenv loads a ``.env``, and uv a system ``uv.toml``, only
when it is a regular file; pip's configparser skips a file it cannot open), ours must skip it
too; everywhere else (where the tool would hang or read forever) the answer is a one-line
error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cache_python_deps.safe_files import MAX_CONFIG_BYTES

pytestmark = pytest.mark.skipif(os.name == "nt", reason="FIFOs and /dev/zero are Unix's")

DEADLINE_SECONDS = 20

# Runs one lookup and prints its outcome as JSON, so a hang is a timeout in the parent.
_LOOKUP = """
import json, sys
from pathlib import Path
from cache_python_deps.errors import CachePythonDepsError
from cache_python_deps.tools import get_tool
from cache_python_deps.tools.base import CacheContext
tool, environ = sys.argv[1], json.loads(sys.argv[2])
context = CacheContext("linux", environ, Path(environ["HOME"]), Path(sys.prefix), Path.cwd())
try:
    found = get_tool(tool).cache_directory(context)
except CachePythonDepsError as error:
    print(json.dumps({"error": str(error)}))
else:
    print(json.dumps({"path": str(found.path), "source": found.source}))
"""


@dataclass(frozen=True)
class Place:
    """Where a tool reads a file: the file (under the root), the environment, what to expect."""

    tool: str
    file: str
    environ: dict[str, str] = field(default_factory=dict)
    other_files: dict[str, str] = field(default_factory=dict)
    # What the tool does with a FIFO or a device there: refuse (one line) or skip the file.
    skips_special_files: bool = False


PLACES = [
    Place("pip", "custom.conf", {"PIP_CONFIG_FILE": "{root}/custom.conf"}),
    Place("pip", "home/.config/pip/pip.conf"),
    Place("uv", "project/uv.toml"),
    Place("uv", "project/pyproject.toml"),
    Place("uv", "home/.config/uv/uv.toml"),
    Place("uv", "custom.toml", {"UV_CONFIG_FILE": "{root}/custom.toml"}),
    # uv looks for a system uv.toml that is_file(): it passes over a FIFO or a device.
    Place("uv", "sys/uv/uv.toml", {"XDG_CONFIG_DIRS": "{root}/sys"}, skips_special_files=True),
    Place("poetry", "home/.config/pypoetry/config.toml"),
    Place("poetry", "home/.config/pypoetry/auth.toml"),
    Place("poetry", "project/pyproject.toml", other_files={"project/poetry.toml": ""}),
    Place(
        "poetry",
        "project/poetry.toml",
        other_files={"project/pyproject.toml": "[tool.poetry]\npackage-mode = false\n"},
    ),
    Place("pdm", "project/pdm.toml"),
    Place("pdm", "home/.config/pdm/config.toml"),
    Place("pdm", "sys/pdm/config.toml", {"XDG_CONFIG_DIRS": "{root}/sys"}),
    Place("pipenv", "project/.env", skips_special_files=True),
]


def _plant(kind: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:  # a sparse file: one byte over the limit, no disk space used
        with path.open("wb") as handle:
            handle.truncate(MAX_CONFIG_BYTES + 1)


def _look_up(place: Place, root: Path) -> dict[str, str]:
    for name, text in place.other_files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "home").mkdir(exist_ok=True)
    (root / "project").mkdir(exist_ok=True)
    environ = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(root / "home"),
        "XDG_CONFIG_DIRS": str(root / "no-system-config"),
    }
    environ |= {key: value.replace("{root}", str(root)) for key, value in place.environ.items()}
    completed = subprocess.run(
        [sys.executable, "-c", _LOOKUP, place.tool, json.dumps(environ)],
        cwd=root / "project",
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,  # a hang fails the test instead of stalling the run
        check=True,
    )
    outcome: dict[str, str] = json.loads(completed.stdout)
    return outcome


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "oversized"])
@pytest.mark.parametrize("place", PLACES, ids=[f"{p.tool}-{p.file}" for p in PLACES])
def test_hostile_file_is_refused_or_skipped(place: Place, kind: str, tmp_path: Path) -> None:
    root = tmp_path.resolve()
    _plant(kind, root / place.file)
    outcome = _look_up(place, root)
    if place.skips_special_files and kind != "oversized":
        assert "path" in outcome, outcome  # skipped, as the tool skips it
        assert place.file not in outcome["source"]
        return
    assert "error" in outcome, outcome
    message = outcome["error"]
    assert "\n" not in message
    assert str(root / place.file) in message or place.file.rsplit("/", 1)[-1] in message


def test_pip_skips_a_config_file_that_is_a_directory(tmp_path: Path) -> None:
    # pip's configparser skips a file it cannot open; a directory is one.
    root = tmp_path.resolve()
    (root / "home/.config/pip/pip.conf").mkdir(parents=True)
    outcome = _look_up(Place("pip", "home/.config/pip/pip.conf"), root)
    assert outcome.get("source") == "pip's default", outcome


def test_a_regular_config_file_of_the_same_places_is_read(tmp_path: Path) -> None:
    """The control: the same places with a small regular file are read, not refused."""
    root = tmp_path.resolve()
    path = root / "project" / "uv.toml"
    path.parent.mkdir(parents=True)
    path.write_text(f'cache-dir = "{root}/configured"\n')
    outcome = _look_up(Place("uv", "project/uv.toml"), root)
    assert outcome == {"path": f"{root}/configured", "source": f"cache-dir in {path}"}
