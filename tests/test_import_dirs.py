"""Where a tool's script imports from, worked out without running Python, against ``sys.path``
of the real interpreters: Debian's ``python3.11`` (its ``dist-packages``), pyenv's builds, their
virtual environments with and without ``--system-site-packages``, with a user site, ``-s`` and
``-I`` in the script's first line, ``PYTHONNOUSERSITE``, ``PYTHONUSERBASE`` and ``PYTHONPATH``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cache_python_deps.tools._import_dirs import import_directories
from cache_python_deps.tools.base import CacheContext
from tests.support import require_interpreter

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX script layouts")

INTERPRETERS = ["debian-3.11", "pyenv-3.11.7", "pyenv-3.13.0", "pyenv-3.9.18"]
LAYOUTS = ["plain", "venv", "system-site-venv"]
# (words after the interpreter in the script's first line, extra environment)
VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "default": ("", {}),
    "no-user-site-option": (" -s", {}),
    "isolated": (" -I", {"PYTHONPATH": "{root}/pythonpath"}),
    "pythonnousersite": ("", {"PYTHONNOUSERSITE": "1"}),
    "pythonuserbase": ("", {"PYTHONUSERBASE": "{root}/userbase"}),
    "pythonpath": ("", {"PYTHONPATH": "{root}/pythonpath:relative"}),
}


def _version(python: Path) -> str:
    code = "import sys; print('%d.%d' % sys.version_info[:2])"
    return subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout


def _interpreter(root: Path, base: Path, layout: str) -> Path:
    if layout == "plain":
        return base
    options = ["--system-site-packages"] if layout == "system-site-venv" else []
    venv = root / "venv"
    subprocess.run([base, "-m", "venv", "--without-pip", *options, venv], check=True)
    return venv / "bin" / "python"


def _absolute(cwd: Path, entry: str) -> str:
    """``entry`` made absolute against ``cwd``, without resolving links."""
    return os.path.normpath(cwd / entry)


def _site_entries(python: Path, options: str, environ: dict[str, str], cwd: Path) -> list[str]:
    """``sys.path``'s site directories (``.pth`` additions and the standard library left out)."""
    code = "import json, sys; print(json.dumps(sys.path))"
    command = [str(python), *options.split(), "-c", code]
    completed = subprocess.run(
        command, capture_output=True, text=True, check=True, env=environ, cwd=cwd
    )
    entries: list[str] = json.loads(completed.stdout)
    pythonpath = [_absolute(cwd, e) for e in environ.get("PYTHONPATH", "").split(":") if e]
    keep = []
    for entry in entries:
        absolute = _absolute(cwd, entry) if entry else ""
        named = Path(entry).name in ("site-packages", "dist-packages")
        if absolute and Path(absolute).is_dir() and (named or absolute in pythonpath):
            keep.append(absolute)
    return keep


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", INTERPRETERS)
def test_import_directories_are_sys_paths(
    tmp_path: Path, name: str, layout: str, variant: str
) -> None:
    root = tmp_path.resolve()
    python = _interpreter(root, require_interpreter(name), layout)
    version = _version(python).strip()
    home, cwd = root / "home", root / "project"
    for directory in (
        home / ".local" / "lib" / f"python{version}" / "site-packages",
        root / "userbase" / "lib" / f"python{version}" / "site-packages",
        root / "pythonpath",
        cwd / "relative",
    ):
        directory.mkdir(parents=True)
    options, extra = VARIANTS[variant]
    environ = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    environ |= {key: value.replace("{root}", str(root)) for key, value in extra.items()}
    script = root / "bin" / "tool"
    script.parent.mkdir()
    script.write_text(f"#!{python}{options}\nimport sys\n")
    script.chmod(0o755)

    real = _site_entries(python, options, environ, cwd)
    context = CacheContext("linux", environ, home, Path(sys.prefix), cwd)
    ours = [_absolute(cwd, str(path)) for path in import_directories(context, script)]
    assert [path for path in ours if Path(path).is_dir()] == real


def test_pip_s_long_path_wrapper_is_followed(tmp_path: Path) -> None:
    """pip writes ``#!/bin/sh`` and an ``exec`` line when the interpreter's path is too long."""
    venv = tmp_path / ("long" * 40) / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    script = tmp_path / "tool"
    script.write_text(
        f"#!/bin/sh\n'''exec' \"{venv}/bin/python\" \"$0\" \"$@\"\n' '''\nimport sys\n"
    )
    context = CacheContext("linux", {"PATH": ""}, tmp_path, Path(sys.prefix), tmp_path)
    assert import_directories(context, script)[0] == site


def test_a_binary_falls_back_to_the_environment_above_it(tmp_path: Path) -> None:
    """uv's wheel puts its binary in ``<env>/bin``: no first line to follow."""
    binary = tmp_path / "env" / "bin" / "uv"
    binary.parent.mkdir(parents=True)
    binary.write_bytes(b"\x7fELF" + bytes(64))
    site = tmp_path / "env" / "lib" / "python3.12" / "site-packages"
    site.mkdir(parents=True)
    context = CacheContext("linux", {"PATH": ""}, tmp_path, Path(sys.prefix), tmp_path)
    assert import_directories(context, binary)[0] == site


def test_a_macos_framework_build_has_its_own_user_site(tmp_path: Path) -> None:
    """``~/Library/Python/X.Y/lib/python/site-packages`` (CPython's ``osx_framework_user``)."""
    framework = tmp_path / "Library/Frameworks/Python.framework/Versions/3.12"
    python = framework / "bin" / "python3.12"
    python.parent.mkdir(parents=True)
    python.write_text("")
    script = tmp_path / "poetry"
    script.write_text(f"#!{python}\n")
    home = tmp_path / "home"
    context = CacheContext("macos", {"HOME": str(home)}, home, Path(sys.prefix), tmp_path)
    found = import_directories(context, script)
    assert found[0] == home / "Library/Python/3.12/lib/python/site-packages"
    assert found[1] == framework / "lib/python3.12/site-packages"
    context = CacheContext(
        "macos", {"HOME": str(home), "PYTHONUSERBASE": "/ub"}, home, Path(sys.prefix), tmp_path
    )
    assert import_directories(context, script)[0] == Path("/ub/lib/python/site-packages")
