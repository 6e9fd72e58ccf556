"""The virtual environment holding the real uv, poetry, pipenv and pdm for ``tools`` tests.

``CPD_TOOLS_VENV`` names it (default: ``.venv-tools`` at the top of the repository, which
``scripts/dev-setup.sh`` fills). An existing environment is reused as it is; a missing one is
created and filled from ``tests/tools-requirements.txt`` (this needs the package index).

Other platformdirs releases (those whose rules differ, see ``cache_python_deps.tools.
_platformdirs``) are installed alone, each into its own folder under the environment
(``pip install --no-deps --target``), on first use: the oracle tests import them under another
name, and the real poetry and pdm run with one of them first on ``PYTHONPATH``.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

ENV_VAR = "CPD_TOOLS_VENV"
# The releases on each side of every platformdirs rule change the tools are exposed to.
PLATFORMDIRS_RELEASES = (
    "4.5.1",
    "4.11.7",
    "4.11.8",
    "4.11.13",
    "4.11.14",
    "4.12.0",
    "4.14.0",
    "4.14.2",
    "4.14.3",
)
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


def platformdirs_target(version: str) -> Path:
    """A folder holding platformdirs ``version`` alone (its ``platformdirs`` package inside)."""
    target = tools_venv() / "platformdirs-releases" / version
    if not (target / "platformdirs" / "__init__.py").is_file():
        python = str(_executable(tools_venv(), "python"))
        command = [python, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target)]
        subprocess.run([*command, f"platformdirs=={version}"], check=True)
    return target
