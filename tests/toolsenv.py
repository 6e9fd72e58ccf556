"""The virtual environments holding the real uv, poetry, pipenv and pdm for ``tools`` tests.

``CPD_TOOLS_VENV`` names the one with the releases the rules are checked up to (default:
``.venv-tools`` at the top of the repository, which ``scripts/dev-setup.sh`` fills). An existing
environment is reused as it is; a missing one is created and filled from
``tests/tools-requirements.txt`` (this needs the package index).

Older releases, on each side of the tools' own rule changes, live in one environment each under
``CPD_TOOL_RELEASES`` (default: ``.venv-tool-releases``), listed in ``tests/tool-releases.txt``;
``ensure_tool_releases`` (run by ``scripts/dev-setup.sh``) installs those missing or changed, and
a test asking for one installs it on first use.

Other platformdirs releases (those whose rules differ, see ``cache_python_deps.tools.
_platformdirs``) are installed alone, each into its own folder under the environment
(``pip install --no-deps --target``), on first use: the oracle tests import them under another
name, and the real poetry and pdm run with one of them first on ``PYTHONPATH``.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
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
RELEASES_ENV_VAR = "CPD_TOOL_RELEASES"
RELEASES = Path(__file__).with_name("tool-releases.txt")
DEFAULT_RELEASES = Path(__file__).resolve().parent.parent / ".venv-tool-releases"
_STAMP = "cpd-tool-release.txt"  # the line of tool-releases.txt an environment was made from
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


# -- older releases --------------------------------------------------------------------------


@functools.cache
def tool_releases() -> dict[str, tuple[str, ...]]:
    """The environments of tests/tool-releases.txt: name -> its requirements."""
    releases: dict[str, tuple[str, ...]] = {}
    for line in RELEASES.read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) > 1:
            releases[words[0]] = tuple(words[1:])
    return releases


def releases_directory() -> Path:
    """Where the older releases' environments live."""
    return Path(os.environ.get(RELEASES_ENV_VAR) or DEFAULT_RELEASES).absolute()


def _stamp(name: str) -> str:
    return " ".join((name, *tool_releases()[name])) + "\n"


def _install_release(name: str) -> Path:
    """Make the environment of one line of tests/tool-releases.txt (words: see that file)."""
    venv = releases_directory() / name
    stamp = venv / _STAMP
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == _stamp(name):
        return venv
    words = tool_releases()[name]
    options = [word.removeprefix("venv:") for word in words if word.startswith("venv:")]
    removed = [word.removeprefix("uninstall:") for word in words if word.startswith("uninstall:")]
    user = [word.removeprefix("user:") for word in words if word.startswith("user:")]
    requirements = [word for word in words if ":" not in word]
    # Made in place (scripts name their interpreter's path); the stamp, written last, marks it
    # complete, so an interrupted install is redone.
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    # No pip of its own (the tools need none): this interpreter's pip installs into it.
    command = [sys.executable, "-m", "venv", "--without-pip", *options, str(venv)]
    subprocess.run(command, check=True)
    python = str(_executable(venv, "python"))
    pip = [sys.executable, "-m", "pip", "--python", python]
    subprocess.run([*pip, "install", "-q", *requirements], check=True)
    if removed:
        subprocess.run([*pip, "uninstall", "-q", "-y", *removed], check=True)
    if user:
        target = release_user_site(name)
        install = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target"]
        subprocess.run([*install, str(target), *user], check=True)
    stamp.write_text(_stamp(name), encoding="utf-8")
    return venv


def release_user_base(name: str) -> Path | None:
    """The ``PYTHONUSERBASE`` of release environment ``name`` (None: it has no user packages)."""
    if not any(word.startswith("user:") for word in tool_releases()[name]):
        return None
    return releases_directory() / name / "userbase"


def release_user_site(name: str) -> Path:
    """The user site under ``release_user_base(name)``, in this Python's user scheme (the
    environment's Python is this one's; a macOS framework build has a scheme of its own)."""
    base = release_user_base(name)
    assert base is not None, name
    scheme = sysconfig.get_preferred_scheme("user")
    return Path(sysconfig.get_path("purelib", scheme, vars={"userbase": str(base)}))


def ensure_tool_releases() -> None:
    """Install every environment of tests/tool-releases.txt that is missing or changed."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(_install_release, tool_releases()))


@functools.cache
def release_environment(name: str) -> Path:
    """The environment ``name`` of tests/tool-releases.txt, installed on first use."""
    return _install_release(name)


def release_executable(name: str, executable: str) -> Path:
    """An executable (``uv``, ``poetry``, ``python``...) of the release environment ``name``."""
    path = _executable(release_environment(name), executable)
    if not path.exists():
        pytest.fail(f"{path} is missing: reinstall it from {RELEASES.name}")
    return path
