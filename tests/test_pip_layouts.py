"""Keying pip on every layout this machine can have, each compared with real pip there.

For each layout, real ``python -m pip --version`` says which pip runs and where it was imported
from, and real ``python -m pip cache dir`` where its cache is; the probe's search, read through
``pip_location.find_pip``, must name the same pip (version and directory), and ``engine.locate``
the same cache directory. Where real pip fails ("No module named pip"), keying must refuse with
one line that gives the fix.

Layouts: Debian's python3 itself (with Debian's python3-pip, in ``/usr/lib/python3/dist-packages``)
and its virtualenvs (with pip, with system site packages and no pip of their own, with no pip
anywhere); pip installed with ``--user`` (a temporary home), seen or not (``PYTHONNOUSERSITE``, a
virtualenv without system site packages); pyenv's builds and their virtualenvs; Debian's PyPy and
its virtualenvs; Debian's i386 python3.11, which has no pip.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from cache_python_deps.engine import Request, locate
from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.interpreter import probe_interpreter
from cache_python_deps.keys import CacheKind
from cache_python_deps.pip_location import PipLocation, ProcessIds, find_pip
from tests.support import REAL_INTERPRETERS, require_interpreter

DEBIAN_PIP = Path("/usr/lib/python3/dist-packages")
# pip's cache-directory rules are modelled from pip 21.3 (tools/pip.py): older pips are compared
# on which pip runs only.
FIRST_MODELLED_PIP = (21, 3)


@dataclass(frozen=True)
class RealPip:
    """What real pip says in one layout (version None: ``python -m pip`` fails there)."""

    version: str | None
    directory: str | None  # where the ``pip`` package was imported from
    cache_directory: str | None
    failure: str


@dataclass(frozen=True)
class World:
    """One layout's temporary home and project, and the job's environment in it."""

    root: Path
    home: Path
    project: Path

    def environ(self, **extra: str) -> dict[str, str]:
        return {"PATH": "/usr/bin:/bin", "HOME": str(self.home), "LC_ALL": "C.UTF-8", **extra}


def _run(
    command: list[str], environ: Mapping[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        env=dict(environ),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def ask_real_pip(python: Path, environ: Mapping[str, str], cwd: Path) -> RealPip:
    version_run = _run([str(python), "-m", "pip", "--version"], environ, cwd)
    if version_run.returncode != 0:
        lines = version_run.stderr.strip().splitlines()
        return RealPip(None, None, None, lines[-1] if lines else "")
    matched = re.match(r"pip (\S+) from (.+) \(python ", version_run.stdout)
    assert matched, version_run.stdout
    version, package = matched.groups()
    cache_directory = None
    if tuple(int(part) for part in version.split(".")[:2]) >= FIRST_MODELLED_PIP:
        cache_run = _run([str(python), "-m", "pip", "cache", "dir"], environ, cwd)
        assert cache_run.returncode == 0, cache_run.stderr
        cache_directory = cache_run.stdout.strip().splitlines()[-1]
    return RealPip(version, str(Path(package).parent), cache_directory, "")


@dataclass(frozen=True)
class Ours:
    pip: PipLocation
    cache_directory: str | None
    refusal: str | None


def ask_ours(
    python: Path, environ: Mapping[str, str], world: World, monkeypatch: pytest.MonkeyPatch
) -> Ours:
    # The probe runs in the environment the action runs in, which is the job's: the target's
    # site.py finds the user site from its HOME.
    with monkeypatch.context() as patched:
        for name in ("HOME", "PYTHONUSERBASE", "PYTHONNOUSERSITE", "PYTHONPATH"):
            if name in environ:
                patched.setenv(name, environ[name])
            else:
                patched.delenv(name, raising=False)
        pip = find_pip(
            probe_interpreter(str(python)).pip_search, environ=environ, ids=ProcessIds.current()
        )
        request = Request(
            python=str(python),
            tool="pip",
            kind=CacheKind.TOOL,
            dependency_hash="0",
            lookup_command=None,
            project_directory=world.project,
            environ=environ,
            home=world.home,
        )
        try:
            return Ours(pip, str(locate(request).cache_directory), None)
        except CacheDirectoryError as error:
            return Ours(pip, None, str(error))


def assert_ours_matches(real: RealPip, ours: Ours) -> None:
    if real.version is None:
        assert "No module named pip" in real.failure
        assert ours.pip.state == "absent", ours.pip
        assert ours.refusal is not None and "\n" not in ours.refusal
        assert "has no pip" in ours.refusal and "python -m ensurepip" in ours.refusal
        return
    assert ours.pip.state == "found", ours.pip
    assert ours.pip.version == real.version
    assert ours.pip.directory is not None and real.directory is not None
    assert os.path.realpath(ours.pip.directory) == os.path.realpath(real.directory)
    assert ours.refusal is None
    if real.cache_directory is not None:
        assert ours.cache_directory == real.cache_directory


# -- the layouts -----------------------------------------------------------------------------


def _venv(base: Path, target: Path, *options: str, environ: Mapping[str, str]) -> Path:
    completed = _run([str(base), "-m", "venv", *options, str(target)], environ, target.parent)
    assert completed.returncode == 0, completed.stderr
    return target / "bin" / "python"


def _bundled_pip_wheel() -> Path:
    """A pip release other than Debian's (23.0.1): the one pyenv's 3.13 bundles for ensurepip."""
    python = require_interpreter("pyenv-3.13.0")
    bundled = python.parent.parent / "lib" / "python3.13" / "ensurepip" / "_bundled"
    wheels = sorted(bundled.glob("pip-*.whl"))
    assert wheels, f"no pip wheel in {bundled}"
    return wheels[-1]


def _install_user_pip(python: Path, world: World) -> None:
    """pip installed with ``--user`` into the world's home (no index: a local wheel)."""
    command = [str(python), "-m", "pip", "install", "--user", "--no-index", "-q"]
    command += ["--break-system-packages", str(_bundled_pip_wheel())]  # Debian's PEP 668 marker
    completed = _run(command, world.environ(), world.project)
    assert completed.returncode == 0, completed.stderr


@dataclass(frozen=True)
class Layout:
    """A layout: builds the interpreter to key and the job's environment in a world."""

    id: str
    interpreter: str  # the real interpreter (tests.support) it is made from
    build: Callable[[Path, World], tuple[Path, dict[str, str]]]
    # Where real pip is expected to come from (None: nowhere), so that a layout that is not
    # what its name says fails rather than passing vacuously.
    expected: Callable[[Path, World], Path | None]


def _plain(base: Path, world: World) -> tuple[Path, dict[str, str]]:
    return base, world.environ()


def _venv_with_pip(base: Path, world: World) -> tuple[Path, dict[str, str]]:
    return _venv(base, world.root / "venv", environ=world.environ()), world.environ()


def _system_site_venv(base: Path, world: World) -> tuple[Path, dict[str, str]]:
    options = ("--system-site-packages", "--without-pip")
    return _venv(base, world.root / "venv", *options, environ=world.environ()), world.environ()


def _venv_without_pip(base: Path, world: World) -> tuple[Path, dict[str, str]]:
    python = _venv(base, world.root / "venv", "--without-pip", environ=world.environ())
    return python, world.environ()


def _user_pip(base: Path, world: World) -> tuple[Path, dict[str, str]]:
    _install_user_pip(base, world)
    return base, world.environ()


def _user_pip_switched_off(base: Path, world: World) -> tuple[Path, dict[str, str]]:
    _install_user_pip(base, world)
    return base, world.environ(PYTHONNOUSERSITE="1")


def _system_site_venv_and_user_pip(base: Path, world: World) -> tuple[Path, dict[str, str]]:
    _install_user_pip(base, world)
    return _system_site_venv(base, world)


def _venv_without_pip_and_user_pip(base: Path, world: World) -> tuple[Path, dict[str, str]]:
    _install_user_pip(base, world)  # a virtualenv without system site packages ignores it
    return _venv_without_pip(base, world)


def _base_site(base: Path, _: World) -> Path:
    if base.parent == Path("/usr/bin"):
        return DEBIAN_PIP  # Debian's python3-pip serves python3.11, python3.11d and pypy3
    completed = subprocess.run(
        [str(base), "-c", "import pip, os; print(os.path.dirname(os.path.dirname(pip.__file__)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(completed.stdout.strip())


def _in_venv(_: Path, world: World) -> Path:
    return next((world.root / "venv" / "lib").glob("*/site-packages"))


def _in_user_site(_: Path, world: World) -> Path:
    return next((world.home / ".local" / "lib").glob("*/site-packages"))


def _nowhere(_: Path, __: World) -> None:
    return None


LAYOUTS = [
    Layout("system", "debian-3.11", _plain, _base_site),
    Layout("venv", "debian-3.11", _venv_with_pip, _in_venv),
    Layout("system-site-venv", "debian-3.11", _system_site_venv, _base_site),
    Layout("venv-without-pip", "debian-3.11", _venv_without_pip, _nowhere),
    Layout("user-pip", "debian-3.11", _user_pip, _in_user_site),
    Layout("user-pip-nousersite", "debian-3.11", _user_pip_switched_off, _base_site),
    Layout(
        "system-site-venv-user-pip", "debian-3.11", _system_site_venv_and_user_pip, _in_user_site
    ),
    Layout("venv-without-pip-user-pip", "debian-3.11", _venv_without_pip_and_user_pip, _nowhere),
    Layout("system", "debian-3.11-debug", _plain, _base_site),
    Layout("system", "debian-pypy3", _plain, _base_site),
    Layout("venv", "debian-pypy3", _venv_with_pip, _in_venv),
    Layout("system-site-venv", "debian-pypy3", _system_site_venv, _base_site),
    Layout("venv-without-pip", "debian-pypy3", _venv_without_pip, _nowhere),
    Layout("user-pip", "debian-pypy3", _user_pip, _in_user_site),
    Layout("system", "debian-3.11-i386", _plain, _nowhere),
    Layout("venv", "pyenv-3.12.1", _venv_with_pip, _in_venv),
    Layout("system-site-venv", "pyenv-3.12.1", _system_site_venv, _base_site),
    Layout("venv-without-pip", "pyenv-3.12.1", _venv_without_pip, _nowhere),
    Layout("user-pip", "pyenv-3.11.7", _user_pip, _in_user_site),
    Layout(
        "system-site-venv-user-pip", "pyenv-3.11.7", _system_site_venv_and_user_pip, _in_user_site
    ),
    Layout("venv", "pyenv-3.13.0", _venv_with_pip, _in_venv),
    *(
        Layout("system", name, _plain, _base_site)
        for name in REAL_INTERPRETERS
        if name.startswith("pyenv-")
    ),
]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    home, project = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    project.mkdir()
    yield World(tmp_path, home, project)


@pytest.mark.parametrize(
    "layout", [pytest.param(layout, id=f"{layout.interpreter}:{layout.id}") for layout in LAYOUTS]
)
def test_keying_finds_the_pip_python_m_pip_runs(
    layout: Layout, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = require_interpreter(layout.interpreter)
    python, environ = layout.build(base, world)
    real = ask_real_pip(python, environ, world.project)
    expected = layout.expected(base, world)
    if expected is None:
        assert real.version is None, f"real pip runs from {real.directory}"
    else:
        assert real.directory is not None, real.failure
        assert os.path.realpath(real.directory) == os.path.realpath(expected)
    assert_ours_matches(real, ask_ours(python, environ, world, monkeypatch))


# -- what a user sees ------------------------------------------------------------------------


def _cli(
    python: Path, environ: Mapping[str, str], cwd: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    # This environment's Python has the package installed: no PYTHONPATH, which would tell the
    # keying that pip may come from there.
    command = [sys.executable, "-m", "cache_python_deps", "--python", str(python), *options]
    return _run(command, environ, cwd)


def test_a_virtualenv_with_no_pip_anywhere_is_one_line_with_the_fix(world: World) -> None:
    base = require_interpreter("debian-3.11")
    python, environ = _venv_without_pip(base, world)
    completed = _cli(python, environ, world.project, "--print-key")
    assert completed.returncode != 0 and completed.stdout == ""
    assert completed.stderr.count("\n") == 1, completed.stderr
    assert completed.stderr.startswith("cache-python-deps: error: the interpreter at ")
    assert "has no pip" in completed.stderr and "python -m ensurepip" in completed.stderr


def test_a_debian_virtualenv_is_keyed_and_its_pip_explained(world: World) -> None:
    base = require_interpreter("debian-3.11")
    python, environ = _venv_with_pip(base, world)
    completed = _cli(python, environ, world.project, "--explain", "--dependency-hash", "0")
    assert completed.returncode == 0, completed.stderr
    site = _in_venv(base, world)
    pip_row = next(line for line in completed.stdout.splitlines() if line.startswith("pip "))
    real = ask_real_pip(python, environ, world.project)
    assert pip_row.split(None, 1)[1] == f"pip {real.version} in {site}"


def test_a_pip_the_probe_cannot_see_is_unknown_and_keyed_with_the_unknown_pips_rules(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PYTHONPATH comes first on sys.path: real pip runs from there, where the probe does not look.
    base = require_interpreter("debian-3.11")
    python, environ = _venv_without_pip(base, world)
    environ["PYTHONPATH"] = str(_base_site(require_interpreter("pyenv-3.11.7"), world))
    real = ask_real_pip(python, environ, world.project)
    assert real.directory == environ["PYTHONPATH"]
    ours = ask_ours(python, environ, world, monkeypatch)
    assert (ours.pip.state, ours.pip.version) == ("unknown", None)
    assert ours.refusal is None and ours.cache_directory == real.cache_directory
    explained = _cli(python, environ, world.project, "--explain", "--dependency-hash", "0")
    assert "unknown: PYTHONPATH is set" in explained.stdout
