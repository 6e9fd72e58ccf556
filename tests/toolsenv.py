"""The virtual environment holding the real uv, poetry, pipenv and pdm for ``tools`` tests.

``CPD_TOOLS_VENV`` names it (default: ``.venv-tools`` at the top of the repository, which
``scripts/dev-setup.sh`` fills). An existing environment is reused as it is; a missing one is
created and filled from ``tests/tools-requirements.txt`` (this needs the package index).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

ENV_VAR = "CPD_TOOLS_VENV"
REQUIREMENTS = Path(__file__).with_name("tools-requirements.txt")
DEFAULT_VENV = Path(__file__).resolve().parent.parent / ".venv-tools"
_BIN = "Scripts" if os.name == "nt" else "bin"


def _executable(venv: Path, name: str) -> Path:
    return venv / _BIN / (f"{name}.exe" if os.name == "nt" else name)


def _create(venv: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(_executable(venv, "python")), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)


@functools.cache
def tools_venv() -> Path:
    """The tools' virtual environment, created on first use when missing."""
    venv = Path(os.environ.get(ENV_VAR) or DEFAULT_VENV).absolute()
    if not _executable(venv, "python").exists():
        _create(venv)
    return venv


def tool_executable(name: str) -> Path:
    """An executable (``uv``, ``poetry``, ``pdm``, ``python``...) of the tools' environment."""
    path = _executable(tools_venv(), name)
    if not path.exists():
        pytest.fail(f"{path} is missing: reinstall {ENV_VAR} from {REQUIREMENTS.name}")
    return path
