"""The sdist and wheel as published: built with ``python -m build``, inspected, and installed into a
fresh virtual environment where the command line must run without the source tree."""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import subprocess
import sys
import tarfile
import venv
import zipfile
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from pathlib import Path

import pytest

from cache_python_deps import __version__

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "src" / "cache_python_deps"
NAME = "cache-python-deps"
DIST_NAME = "cache_python_deps"
TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Distributions:
    sdist: Path
    wheel: Path


def _clean_environment() -> dict[str, str]:
    """This process's environment without what would let the source tree or our settings leak in."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTHON", "CPD_", "PIP_REQUIRE", "VIRTUAL_ENV"))
    }


def _run(command: list[str], cwd: Path) -> str:
    completed = subprocess.run(
        command,
        cwd=cwd,
        env=_clean_environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert completed.returncode == 0, (
        f"{command} exited with {completed.returncode}\n"
        f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    )
    return completed.stdout


@pytest.fixture(scope="module")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> Distributions:
    """The sdist, and the wheel built from it (build's default), as a release would make them."""
    if importlib.util.find_spec("build") is None:
        pytest.fail("python -m build is needed: pip install -r requirements/dev.txt")
    outdir = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--outdir", str(outdir)]
    if importlib.util.find_spec("hatchling") is not None:
        # The backend is here already: no isolated environment to fill from the package index.
        command.append("--no-isolation")
    _run([*command, str(ROOT)], cwd=outdir)
    sdists = sorted(outdir.glob("*.tar.gz"))
    wheels = sorted(outdir.glob("*.whl"))
    assert len(sdists) == 1, sdists
    assert len(wheels) == 1, wheels
    return Distributions(sdist=sdists[0], wheel=wheels[0])


def _wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def _wheel_file(wheel: Path, name: str) -> bytes:
    dist_info = f"{DIST_NAME}-{__version__}.dist-info"
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(f"{dist_info}/{name}")


def _metadata(wheel: Path) -> Message:
    return BytesParser().parsebytes(_wheel_file(wheel, "METADATA"))


def _unconditional_requirement_names(metadata: Message) -> set[str]:
    names = set()
    for requirement in metadata.get_all("Requires-Dist") or []:
        if "extra ==" in requirement:
            continue
        match = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert match, requirement
        names.add(match.group(0).lower().replace("_", "-"))
    return names


def test_distribution_files_are_named_for_the_version(distributions: Distributions) -> None:
    assert distributions.sdist.name == f"{DIST_NAME}-{__version__}.tar.gz"
    # Pure Python: one wheel for every interpreter and platform.
    assert distributions.wheel.name == f"{DIST_NAME}-{__version__}-py3-none-any.whl"


def test_wheel_metadata(distributions: Distributions) -> None:
    metadata = _metadata(distributions.wheel)
    assert metadata["Name"] == NAME
    assert metadata["Version"] == __version__
    assert metadata["Requires-Python"] == ">=3.10"
    assert (metadata["License-Expression"] or metadata["License"]) == "BSD-3-Clause"
    assert "LICENSE" in (metadata.get_all("License-File") or [])
    classifiers = metadata.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3.10" in classifiers
    assert "Typing :: Typed" in classifiers
    requirements = _unconditional_requirement_names(metadata)
    assert "click" in requirements
    assert "platformdirs" not in requirements  # only the tests use it (the oracle)


def test_wheel_entry_point(distributions: Distributions) -> None:
    entry_points = configparser.ConfigParser()
    entry_points.read_string(_wheel_file(distributions.wheel, "entry_points.txt").decode())
    assert dict(entry_points["console_scripts"]) == {NAME: "cache_python_deps.cli:main"}


def test_wheel_holds_every_module_and_no_tests(distributions: Distributions) -> None:
    names = set(_wheel_names(distributions.wheel))
    expected = {
        f"{DIST_NAME}/{path.relative_to(PACKAGE_DIR).as_posix()}"
        for path in PACKAGE_DIR.rglob("*")
        if path.suffix in (".py", ".typed")
    }
    assert expected <= names, sorted(expected - names)
    assert not [name for name in names if name.startswith("tests/")]
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)


def test_sdist_is_complete_and_clean(distributions: Distributions) -> None:
    with tarfile.open(distributions.sdist) as archive:
        members = archive.getnames()
        pkg_info = archive.extractfile(f"{DIST_NAME}-{__version__}/PKG-INFO")
        assert pkg_info is not None
        metadata = BytesParser().parsebytes(pkg_info.read())
    assert metadata["Name"] == NAME
    assert metadata["Version"] == __version__
    top = f"{DIST_NAME}-{__version__}/"
    relative = {name.removeprefix(top) for name in members}
    assert {"pyproject.toml", "LICENSE", "README.md", "src/cache_python_deps/probe.py"} <= relative
    leaked = [
        name
        for name in relative
        if re.search(r"(^|/)(\.venv[^/]*|node_modules|__pycache__|\.git|\.mypy_cache)(/|$)", name)
    ]
    assert not leaked, leaked[:10]


def test_installed_wheel_runs_without_the_source_tree(
    distributions: Distributions, tmp_path: Path
) -> None:
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    scripts = environment / ("Scripts" if os.name == "nt" else "bin")
    suffix = ".exe" if os.name == "nt" else ""
    python = str(scripts / f"python{suffix}")
    workdir = tmp_path / "project"
    workdir.mkdir()
    pip_install = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _run([*pip_install, str(distributions.wheel)], cwd=workdir)

    show_module = "import cache_python_deps; print(cache_python_deps.__file__)"
    module_file = _run([python, "-c", show_module], cwd=workdir)
    assert Path(module_file.strip()).resolve().is_relative_to(environment.resolve())

    version = _run([str(scripts / f"{NAME}{suffix}"), "--version"], cwd=workdir)
    assert version.strip() == f"{NAME}, version {__version__}"

    key = _run([python, "-m", "cache_python_deps", "--print-key"], cwd=workdir).strip()
    assert key.startswith("cpd-2-"), key
    assert "\n" not in key
