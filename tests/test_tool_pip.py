"""pip's cache directory, found in-process, against real pip.

Each real-pip case builds an isolated world under a temporary root (home, XDG directories,
config files, a project directory used as the working directory), runs ``<python> -m pip cache
dir`` in it and asks ``cache_location(context, "cache")`` about the same world. The runs
are started all at once, in parallel, the first time a case needs one (pip costs ~0.5 s a call).
What is cached is the directory ``pip install`` uses (``PIP.cache_directory``): the install
cases build a wheel from a local sdist with real ``pip install`` and read where pip stored it.

The per-OS tests pass the OS family, environment and home in, so they run on any host.
"""

from __future__ import annotations

import importlib
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools.base import CacheContext, OSFamily, Tool
from cache_python_deps.tools.pip import (
    PIP,
    cache_location,
    config_file_paths,
    default_cache_directory,
    read_config_file,
    vendored_platformdirs,
)
from tests.support import run_as_user

HOST_FAMILY: OSFamily = (
    "windows" if sys.platform == "win32" else "macos" if sys.platform == "darwin" else "linux"
)


# --------------------------------------------------------------------------------------------
# The cases: each describes a world; {root} stands for its temporary root directory.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One world to ask real pip and our function about."""

    id: str
    env: Mapping[str, str | None] = field(default_factory=dict)  # None removes the variable
    files: Mapping[str, str] = field(default_factory=dict)  # path under root -> content
    symlinks: Mapping[str, str] = field(default_factory=dict)  # link -> target, under root
    venv: bool = False  # run pip from a fresh venv at {root}/venv (its pip.conf: site config)
    # What real pip should print, to catch a case that exercises nothing (None: refuses).
    expect: str | None = "{root}/home/.cache/pip"
    everywhere: bool = False  # also run on the other real interpreters, not only this one
    # Expectations that changed with pip: (major, minor) of the first pip they hold for.
    expect_since: Mapping[tuple[int, int], str | None] = field(default_factory=dict)

    def expected_for(self, pip_version: str) -> str | None:
        """What real pip of ``pip_version`` should print."""
        version = tuple(int(part) for part in pip_version.split(".")[:2])
        changes = [since for since in self.expect_since if since <= version]
        return self.expect_since[max(changes)] if changes else self.expect


def _conf(section: str, key: str, value: str) -> str:
    return f"[{section}]\n{key} = {value}\n"


GLOBAL_CONF = "xdg-config-dirs/pip/pip.conf"
USER_CONF = "xdg-config-home/pip/pip.conf"
LEGACY_CONF = "home/.pip/pip.conf"
DEFAULT = "{root}/home/.cache/pip"
XDG_DEFAULT = "{root}/xdg-cache-home/pip"
NO_XDG_CACHE = {"XDG_CACHE_HOME": None}

CASES = [
    Case("default", env=NO_XDG_CACHE, everywhere=True),
    Case("xdg_cache_home", expect=XDG_DEFAULT, everywhere=True),
    Case("xdg_cache_home_blank_is_unset", env={"XDG_CACHE_HOME": "  "}),
    Case(
        "xdg_cache_home_tilde",
        env={"XDG_CACHE_HOME": "~/xdg"},
        expect="{root}/home/xdg/pip",
        # pip 26.3's platformdirs ignores a relative XDG_CACHE_HOME ("~" is not expanded).
        expect_since={(26, 3): DEFAULT},
        everywhere=True,
    ),
    Case("env_absolute", env={"PIP_CACHE_DIR": "{root}/env-cache"}, expect="{root}/env-cache"),
    Case(
        "env_tilde",
        env={"PIP_CACHE_DIR": "~/tilde-cache"},
        expect="{root}/home/tilde-cache",
    ),
    Case(
        "env_relative_to_working_directory",
        env={"PIP_CACHE_DIR": "rel/cache"},
        expect="{root}/project/rel/cache",
        everywhere=True,
    ),
    Case("env_dotdot", env={"PIP_CACHE_DIR": "../up/./cache/"}, expect="{root}/up/cache"),
    Case("env_empty_is_ignored", env={"PIP_CACHE_DIR": ""}, expect=XDG_DEFAULT),
    Case(
        "env_variable_name_case_after_prefix",
        env={"PIP_Cache_Dir": "{root}/mixed"},
        expect="{root}/mixed",
    ),
    *(
        Case(f"no_cache_dir_{value.lower()}", env={"PIP_NO_CACHE_DIR": value}, expect=None)
        for value in ("true", "false", "1", "0", "off", "YES")
    ),
    Case("no_cache_dir_invalid", env={"PIP_NO_CACHE_DIR": "maybe"}, expect=None, everywhere=True),
    Case("no_cache_dir_empty_is_ignored", env={"PIP_NO_CACHE_DIR": ""}, expect=XDG_DEFAULT),
    Case(
        "no_cache_dir_beats_cache_dir",
        env={"PIP_NO_CACHE_DIR": "no", "PIP_CACHE_DIR": "{root}/env-cache"},
        expect=None,
    ),
    Case(
        "global_config",
        files={GLOBAL_CONF: _conf("global", "cache-dir", "{root}/global-cache")},
        expect="{root}/global-cache",
    ),
    Case(
        "global_config_later_xdg_dir_wins",
        env={"XDG_CONFIG_DIRS": "{root}/first:{root}/second"},
        files={
            "first/pip/pip.conf": _conf("global", "cache-dir", "{root}/first-cache"),
            "second/pip/pip.conf": _conf("global", "cache-dir", "{root}/second-cache"),
        },
        expect="{root}/second-cache",
    ),
    Case(
        "user_config",
        files={USER_CONF: _conf("global", "cache-dir", "{root}/user-cache")},
        expect="{root}/user-cache",
    ),
    Case(
        "user_config_default_location",
        env={"XDG_CONFIG_HOME": None},
        files={"home/.config/pip/pip.conf": _conf("global", "cache-dir", "{root}/user-cache")},
        expect="{root}/user-cache",
    ),
    Case(
        "user_config_legacy",
        files={LEGACY_CONF: _conf("global", "cache-dir", "{root}/legacy-cache")},
        expect="{root}/legacy-cache",
    ),
    Case(
        "user_config_new_overrides_legacy",
        files={
            LEGACY_CONF: _conf("global", "cache-dir", "{root}/legacy-cache"),
            USER_CONF: _conf("global", "cache-dir", "{root}/user-cache"),
        },
        expect="{root}/user-cache",
    ),
    Case(
        "user_config_overrides_global",
        files={
            GLOBAL_CONF: _conf("global", "cache-dir", "{root}/global-cache"),
            USER_CONF: _conf("global", "cache-dir", "{root}/user-cache"),
        },
        expect="{root}/user-cache",
    ),
    Case(
        "site_config_of_a_venv",
        files={"venv/pip.conf": _conf("global", "cache-dir", "{root}/site-cache")},
        venv=True,
        expect="{root}/site-cache",
        everywhere=True,
    ),
    Case(
        "site_config_overrides_user",
        files={
            USER_CONF: _conf("global", "cache-dir", "{root}/user-cache"),
            "venv/pip.conf": _conf("global", "cache-dir", "{root}/site-cache"),
        },
        venv=True,
        expect="{root}/site-cache",
    ),
    Case(
        "pip_config_file",
        env={"PIP_CONFIG_FILE": "{root}/custom.conf"},
        files={"custom.conf": _conf("global", "cache-dir", "{root}/custom-cache")},
        expect="{root}/custom-cache",
    ),
    Case(
        "pip_config_file_overrides_site",
        env={"PIP_CONFIG_FILE": "{root}/custom.conf"},
        files={
            "custom.conf": _conf("global", "cache-dir", "{root}/custom-cache"),
            "venv/pip.conf": _conf("global", "cache-dir", "{root}/site-cache"),
        },
        venv=True,
        expect="{root}/custom-cache",
    ),
    Case(
        "pip_config_file_relative_to_working_directory",
        env={"PIP_CONFIG_FILE": "custom.conf"},
        files={"project/custom.conf": _conf("global", "cache-dir", "{root}/custom-cache")},
        expect="{root}/custom-cache",
    ),
    Case(
        "pip_config_file_existing_suppresses_user_config",
        env={"PIP_CONFIG_FILE": "{root}/custom.conf"},
        files={
            "custom.conf": _conf("global", "timeout", "10"),
            USER_CONF: _conf("global", "cache-dir", "{root}/user-cache"),
            LEGACY_CONF: _conf("global", "cache-dir", "{root}/legacy-cache"),
            GLOBAL_CONF: _conf("global", "cache-dir", "{root}/global-cache"),
        },
        expect="{root}/global-cache",
        everywhere=True,
    ),
    Case(
        "pip_config_file_missing_keeps_user_config",
        env={"PIP_CONFIG_FILE": "{root}/missing.conf"},
        files={USER_CONF: _conf("global", "cache-dir", "{root}/user-cache")},
        expect="{root}/user-cache",
    ),
    Case(
        "pip_config_file_devnull_skips_every_file",
        env={"PIP_CONFIG_FILE": os.devnull},
        files={
            GLOBAL_CONF: _conf("global", "cache-dir", "{root}/global-cache"),
            USER_CONF: _conf("global", "no-cache-dir", "true"),
            "venv/pip.conf": _conf("global", "cache-dir", "{root}/site-cache"),
        },
        venv=True,
        expect=XDG_DEFAULT,
    ),
    Case(
        "pip_config_file_devnull_keeps_environment",
        env={"PIP_CONFIG_FILE": os.devnull, "PIP_CACHE_DIR": "{root}/env-cache"},
        expect="{root}/env-cache",
    ),
    Case(
        "cache_section_overrides_global_section",
        files={USER_CONF: "[cache]\ncache-dir = {root}/cache-section\n[global]\ncache-dir = x\n"},
        expect="{root}/cache-section",
    ),
    Case(
        "cache_section_of_global_file_beats_global_section_of_site_file",
        files={
            GLOBAL_CONF: _conf("cache", "cache-dir", "{root}/global-file-cache-section"),
            "venv/pip.conf": _conf("global", "cache-dir", "{root}/site-cache"),
        },
        venv=True,
        expect="{root}/global-file-cache-section",
    ),
    Case(
        "other_command_section_is_ignored",
        files={USER_CONF: _conf("install", "cache-dir", "{root}/install-section")},
        expect=XDG_DEFAULT,
    ),
    Case(
        "environment_overrides_config_files",
        env={"PIP_CACHE_DIR": "{root}/env-cache", "PIP_CONFIG_FILE": "{root}/custom.conf"},
        files={
            "custom.conf": _conf("cache", "cache-dir", "{root}/custom-cache"),
            USER_CONF: _conf("global", "cache-dir", "{root}/user-cache"),
        },
        expect="{root}/env-cache",
    ),
    Case(
        "config_key_with_underscore",
        files={USER_CONF: _conf("global", "cache_dir", "{root}/underscore")},
        expect="{root}/underscore",
    ),
    Case(
        "config_key_as_long_option",
        files={USER_CONF: _conf("global", "--Cache-Dir", "{root}/long-option")},
        expect="{root}/long-option",
    ),
    Case(
        "config_value_with_tilde",
        files={USER_CONF: _conf("global", "cache-dir", "~/from-config")},
        expect="{root}/home/from-config",
    ),
    Case(
        "config_value_relative_to_working_directory",
        files={USER_CONF: _conf("global", "cache-dir", "from-config")},
        expect="{root}/project/from-config",
    ),
    Case(
        "config_empty_value_in_user_file_unsets_global_file",
        files={
            GLOBAL_CONF: _conf("global", "cache-dir", "{root}/global-cache"),
            USER_CONF: "[global]\ncache-dir =\n",
        },
        expect=XDG_DEFAULT,
    ),
    Case(
        "config_default_section_reaches_present_sections",
        files={USER_CONF: "[DEFAULT]\ncache-dir = {root}/defaults\n[global]\n"},
        expect="{root}/defaults",
    ),
    Case(
        "config_no_cache_dir",
        files={USER_CONF: _conf("global", "no-cache-dir", "false")},
        expect=None,
        everywhere=True,
    ),
    Case(
        "config_no_cache_dir_in_cache_section",
        files={USER_CONF: "[cache]\nno-cache-dir = on\n[global]\ncache-dir = {root}/x\n"},
        expect=None,
    ),
    Case(
        "config_no_cache_dir_invalid",
        files={GLOBAL_CONF: _conf("global", "no-cache-dir", "sometimes")},
        expect=None,
    ),
    Case(
        "config_file_malformed",
        files={USER_CONF: "cache-dir = {root}/no-section-header\n"},
        expect=None,
    ),
    Case(
        "symlinked_cache_dir_is_resolved",
        env={"PIP_CACHE_DIR": "{root}/link"},
        symlinks={"link": "real"},
        expect="{root}/real",
    ),
    Case(
        "symlinked_default_cache_parent_is_resolved",
        env=NO_XDG_CACHE,
        symlinks={"home/.cache": "../elsewhere"},
        expect="{root}/elsewhere/pip",
    ),
    # HOME empty or relative: os.path.expanduser takes it as it is, and so did pip's vendored
    # platformdirs until pip 26.3 (platformdirs 4.12.4 asks the password database for "").
    Case(
        "home_empty",
        env={"HOME": "", "XDG_CACHE_HOME": None},
        expect="/.cache/pip",
        expect_since={(26, 3): "{account}/.cache/pip"},
        everywhere=True,
    ),
    Case(
        "home_relative",
        env={"HOME": "relhome", "XDG_CACHE_HOME": None},
        expect="{root}/project/relhome/.cache/pip",
        everywhere=True,
    ),
    Case(
        "home_empty_tilde_in_pip_cache_dir",
        env={"HOME": "", "PIP_CACHE_DIR": "~/tilde"},
        expect="/tilde",
        everywhere=True,
    ),
]
CASES_BY_ID = {case.id: case for case in CASES}
assert len(CASES_BY_ID) == len(CASES), "case ids must be unique"


# --------------------------------------------------------------------------------------------
# Real interpreters and the parallel pip runs.
# --------------------------------------------------------------------------------------------


def _pyenv_python(version: str) -> Path:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    return root / "versions" / version / "bin" / "python"


INTERPRETERS: dict[str, Path] = {
    "this": Path(sys.executable),
    "cpython-3.9": _pyenv_python("3.9.18"),
    "cpython-3.13": _pyenv_python("3.13.0"),
}


@dataclass(frozen=True)
class Interpreter:
    """A real interpreter with a pip that has ``pip cache`` (20.1+)."""

    executable: Path
    prefix: Path  # its sys.prefix
    pip_parent: Path  # the directory holding its ``pip`` package
    pip_version: str


@dataclass(frozen=True)
class PipRun:
    """One world and what real pip printed in it."""

    root: Path
    context: CacheContext
    returncode: int
    stdout: str
    stderr: str


def _clean_environ() -> dict[str, str]:
    """This process's environment without PIP_* and XDG_* variables (set on this machine)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "XDG_"))}


def _interpreter(name: str) -> Interpreter | str:
    """The named interpreter, or the reason it cannot be used."""
    executable = INTERPRETERS[name]
    if not executable.exists():
        return f"interpreter {name} is not installed at {executable}"
    script = (
        "import os, sys, pip; print(sys.prefix); print(pip.__version__);"
        " print(os.path.dirname(os.path.dirname(pip.__file__)))"
    )
    completed = subprocess.run(
        [executable, "-c", script],
        check=False,
        capture_output=True,
        text=True,
        env=_clean_environ(),
    )
    if completed.returncode != 0:
        return f"interpreter {name} at {executable} has no importable pip"
    prefix, version, parent = completed.stdout.splitlines()[-3:]
    if tuple(int(part) for part in version.split(".")[:2]) < (20, 1):
        return f"pip {version} of {name} predates the `pip cache` command (pip 20.1)"
    return Interpreter(executable, Path(prefix), Path(parent), version)


def _sys_prefix(python: Path) -> Path:
    completed = subprocess.run(
        [python, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True, check=True
    )
    return Path(completed.stdout.strip())


def _substitute(text: str, root: Path) -> str:
    """``{root}``: the world's root; ``{account}``: this user's home in the password database."""
    account = pwd.getpwuid(os.getuid()).pw_dir if hasattr(os, "getuid") else ""
    return text.replace("{root}", str(root)).replace("{account}", account)


def _build_world(root: Path, case: Case, interpreter: Interpreter) -> tuple[list[str], PipRun]:
    """Create the case's files under ``root``; the pip command and the world (not yet run)."""
    for name in ("home", "project"):
        (root / name).mkdir()
    python, prefix = interpreter.executable, interpreter.prefix
    env = _clean_environ()
    env.update(
        HOME=str(root / "home"),
        XDG_CONFIG_HOME=str(root / "xdg-config-home"),
        XDG_CONFIG_DIRS=str(root / "xdg-config-dirs"),
        XDG_CACHE_HOME=str(root / "xdg-cache-home"),
    )
    if case.venv:
        venv = root / "venv"
        subprocess.run([python, "-m", "venv", "--without-pip", venv], check=True, env=env)
        python = venv / ("Scripts/python.exe" if HOST_FAMILY == "windows" else "bin/python")
        prefix = _sys_prefix(python)
        env["PYTHONPATH"] = str(interpreter.pip_parent)
    for variable, value in case.env.items():
        if value is None:
            env.pop(variable, None)
        else:
            env[variable] = _substitute(value, root)
    for relative, content in case.files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_substitute(content, root))
    for link, target in case.symlinks.items():
        (root / link).parent.mkdir(parents=True, exist_ok=True)
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        (root / link).symlink_to(target)
    context = CacheContext(
        os_family=HOST_FAMILY,
        environ=env,
        home=root / "home",
        interpreter_prefix=prefix,
        project_directory=root / "project",
        pip_version=interpreter.pip_version,
    )
    command = [str(python), "-m", "pip", "cache", "dir"]
    return command, PipRun(root, context, returncode=-1, stdout="", stderr="")


def _run(command: list[str], world: PipRun) -> PipRun:
    completed = subprocess.run(
        command,
        check=False,
        cwd=world.context.project_directory,
        env=dict(world.context.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return PipRun(
        world.root, world.context, completed.returncode, completed.stdout, completed.stderr
    )


class PipOracle:
    """Runs real ``pip cache dir`` for (interpreter, case) pairs, many at a time."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._factory = tmp_path_factory
        self._interpreters: dict[str, Interpreter | str] = {}
        self._runs: dict[tuple[str, str], PipRun] = {}

    def interpreter(self, name: str) -> Interpreter | str:
        if name not in self._interpreters:
            self._interpreters[name] = _interpreter(name)
        return self._interpreters[name]

    def prefetch(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Build the worlds of ``pairs`` and run pip in all of them in parallel."""
        pending: dict[tuple[str, str], tuple[list[str], PipRun]] = {}
        for name, case_id in pairs:
            interpreter = self.interpreter(name)
            key = (name, case_id)
            if isinstance(interpreter, str) or key in self._runs or key in pending:
                continue
            root = self._factory.mktemp(f"{name}-{case_id}"[:60], numbered=True)
            pending[key] = _build_world(root, CASES_BY_ID[case_id], interpreter)
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            futures = {key: pool.submit(_run, *job) for key, job in pending.items()}
            self._runs.update({key: future.result() for key, future in futures.items()})

    def run(self, name: str, case_id: str) -> PipRun:
        interpreter = self.interpreter(name)
        if isinstance(interpreter, str):
            pytest.skip(interpreter)
        self.prefetch([(name, case_id)])
        return self._runs[(name, case_id)]


@pytest.fixture(scope="session")
def pip_oracle(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> PipOracle:
    """The oracle, with every real-pip run of this session's selected tests already done."""
    oracle = PipOracle(tmp_path_factory)
    wanted = []
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "interpreter_name" in params and "case_id" in params:
            wanted.append((params["interpreter_name"], params["case_id"]))
    oracle.prefetch(wanted)
    return oracle


def _touches_cache(config_file: Path) -> bool:
    """Whether a config file the worlds cannot hide (/etc/pip.conf, a real sys.prefix's) sets
    cache options, or cannot be read."""
    try:
        return any("cache" in key for key in read_config_file(config_file))
    except CacheDirectoryError:
        return True


def _check_expectations(run: PipRun) -> bool:
    """Whether a case's "expect" applies: Linux rules, and no hidden config touching the cache."""
    hidden = (Path("/etc/pip.conf"), run.context.interpreter_prefix / "pip.conf")
    return HOST_FAMILY == "linux" and not any(_touches_cache(path) for path in hidden)


REAL_PIP_PARAMS = [
    pytest.param(name, case.id, id=f"{name}:{case.id}")
    for name in INTERPRETERS
    for case in CASES
    if name == "this" or case.everywhere
]


@pytest.mark.parametrize(("interpreter_name", "case_id"), REAL_PIP_PARAMS)
def test_matches_real_pip_cache_dir(
    pip_oracle: PipOracle, interpreter_name: str, case_id: str
) -> None:
    run = pip_oracle.run(interpreter_name, case_id)
    case = CASES_BY_ID[case_id]
    assert run.context.pip_version is not None
    expected = case.expected_for(run.context.pip_version)
    if run.returncode != 0:
        with pytest.raises(CacheDirectoryError) as raised:
            cache_location(run.context, "cache")
        assert "\n" not in str(raised.value)
        if _check_expectations(run):
            assert expected is None, f"real pip refused unexpectedly: {run.stderr}"
        return
    printed = run.stdout.strip().splitlines()[-1]
    assert str(cache_location(run.context, "cache").path) == printed
    if _check_expectations(run):
        assert expected is not None, f"real pip accepted the case and printed {printed}"
        assert printed == _substitute(expected, run.root.resolve())


# --------------------------------------------------------------------------------------------
# Per-OS rules, with the OS family, environment and home passed in (no patching).
# --------------------------------------------------------------------------------------------


def fake_context(
    os_family: OSFamily,
    environ: Mapping[str, str],
    home: Path,
    prefix: str = "/opt/python",
    project: Path | None = None,
    pip_version: str | None = None,
) -> CacheContext:
    return CacheContext(
        os_family=os_family,
        environ=environ,
        home=home,
        interpreter_prefix=Path(prefix),
        project_directory=project or home,
        pip_version=pip_version,
    )


WINDOWS_ENV = {
    "USERPROFILE": "C:\\Users\\runneradmin",
    "LOCALAPPDATA": "C:\\Users\\runneradmin\\AppData\\Local",
    "APPDATA": "C:\\Users\\runneradmin\\AppData\\Roaming",
    "PROGRAMDATA": "C:\\ProgramData",
    "PIP_CONFIG_FILE": "nul",  # pip's os.devnull on Windows: no config file is read
}
WINDOWS_HOME = Path("C:\\Users\\runneradmin")


def test_pip_is_a_tool_without_a_lock_file(tmp_path: Path) -> None:
    tool: Tool = PIP
    assert tool.name == "pip"
    assert tool.layout.version == "2"  # part of the key: "pip.2"
    assert {"requirements*.txt", "pyproject.toml", "setup.py"} <= set(tool.dependency_file_patterns)
    assert tool.lock_file(fake_context("linux", {}, tmp_path)) is None


def test_linux_default_is_dot_cache(tmp_path: Path) -> None:
    home = tmp_path.resolve()
    context = fake_context("linux", {"PIP_CONFIG_FILE": "/dev/null"}, home)
    assert default_cache_directory(context) == f"{home}/.cache/pip"
    if HOST_FAMILY != "windows":
        assert PIP.cache_directory(context).path == home / ".cache" / "pip"


def test_linux_default_follows_xdg_cache_home(tmp_path: Path) -> None:
    context = fake_context("linux", {"XDG_CACHE_HOME": "/srv/cache"}, tmp_path)
    assert default_cache_directory(context) == "/srv/cache/pip"


def test_linux_relative_xdg_cache_home_is_relative_to_working_directory(tmp_path: Path) -> None:
    # pip up to 26.2 uses the value as it is (pip 26.3's platformdirs ignores a relative one).
    home = tmp_path.resolve()
    environ = {"XDG_CACHE_HOME": "rel", "PIP_CONFIG_FILE": "/dev/null"}
    context = fake_context("linux", environ, home, project=home / "project")
    assert default_cache_directory(context) == "rel/pip"
    if HOST_FAMILY != "windows":
        assert PIP.cache_directory(context).path == home / "project" / "rel" / "pip"


def test_macos_default_is_library_caches_and_ignores_xdg(tmp_path: Path) -> None:
    home = tmp_path.resolve()
    environ = {"XDG_CACHE_HOME": "/elsewhere", "PIP_CONFIG_FILE": "/dev/null"}
    context = fake_context("macos", environ, home)
    assert default_cache_directory(context) == f"{home}/Library/Caches/pip"
    if HOST_FAMILY != "windows":
        assert PIP.cache_directory(context).path == home / "Library" / "Caches" / "pip"


def test_windows_default_is_local_appdata_pip_cache_lowercased() -> None:
    context = fake_context("windows", WINDOWS_ENV, WINDOWS_HOME)
    assert default_cache_directory(context) == "C:\\Users\\runneradmin\\AppData\\Local\\pip\\Cache"
    if HOST_FAMILY != "windows":  # a Windows host would also resolve the path on its disk
        expected = "c:\\users\\runneradmin\\appdata\\local\\pip\\cache"
        assert str(PIP.cache_directory(context).path) == expected


def test_windows_variable_names_are_case_insensitive() -> None:
    environ = {"localappdata": "D:\\Profiles\\Me\\Local", "pip_config_file": "nul"}
    context = fake_context("windows", environ, WINDOWS_HOME)
    assert default_cache_directory(context) == "D:\\Profiles\\Me\\Local\\pip\\Cache"


def test_windows_without_local_appdata_falls_back_under_home() -> None:
    context = fake_context("windows", {"PIP_CONFIG_FILE": "nul"}, WINDOWS_HOME)
    expected = "c:\\users\\runneradmin\\appdata\\local\\pip\\cache"
    assert str(PIP.cache_directory(context).path) == expected


@pytest.mark.skipif(HOST_FAMILY == "windows", reason="checks the lexical normalisation")
def test_windows_pip_cache_dir_is_expanded_and_normalised() -> None:
    environ = {**WINDOWS_ENV, "PIP_CACHE_DIR": "~/Caches/../PipCache"}
    context = fake_context("windows", environ, WINDOWS_HOME)
    assert str(PIP.cache_directory(context).path) == "c:\\users\\runneradmin\\pipcache"


def test_windows_no_cache_dir_refuses() -> None:
    environ = {**WINDOWS_ENV, "PIP_NO_CACHE_DIR": "0"}
    with pytest.raises(CacheDirectoryError, match=r"disabled.*PIP_NO_CACHE_DIR"):
        PIP.cache_directory(fake_context("windows", environ, WINDOWS_HOME))


def test_windows_config_files_in_pip_order() -> None:
    environ = {k: v for k, v in WINDOWS_ENV.items() if k != "PIP_CONFIG_FILE"}
    context = fake_context("windows", environ, WINDOWS_HOME, prefix="C:\\Python313")
    assert config_file_paths(context) == [
        "C:\\ProgramData\\pip\\pip.ini",
        "C:\\Users\\runneradmin\\pip\\pip.ini",
        "C:\\Users\\runneradmin\\AppData\\Roaming\\pip\\pip.ini",
        "C:\\Python313\\pip.ini",
    ]


def test_windows_devnull_is_nul() -> None:
    environ = {**WINDOWS_ENV, "PIP_CONFIG_FILE": "nul"}
    assert config_file_paths(fake_context("windows", environ, WINDOWS_HOME)) == []


def test_macos_config_files_in_pip_order(tmp_path: Path) -> None:
    context = fake_context("macos", {"XDG_CONFIG_HOME": "/ignored"}, tmp_path, prefix="/venv")
    assert config_file_paths(context) == [
        "/Library/Application Support/pip/pip.conf",
        f"{tmp_path}/.pip/pip.conf",
        f"{tmp_path}/.config/pip/pip.conf",  # no ~/Library/Application Support/pip yet
        "/venv/pip.conf",
    ]


def test_macos_user_config_prefers_existing_application_support(tmp_path: Path) -> None:
    (tmp_path / "Library" / "Application Support" / "pip").mkdir(parents=True)
    context = fake_context("macos", {}, tmp_path, prefix="/venv")
    assert config_file_paths(context)[2] == f"{tmp_path}/Library/Application Support/pip/pip.conf"


def test_macos_homebrew_prefix_adds_its_share_directory(tmp_path: Path) -> None:
    prefix = "/opt/homebrew/opt/python@3.13/Frameworks/Python.framework/Versions/3.13"
    context = fake_context("macos", {}, tmp_path, prefix=prefix)
    assert config_file_paths(context)[:2] == [
        "/opt/homebrew/share/pip/pip.conf",
        "/Library/Application Support/pip/pip.conf",
    ]


def test_linux_config_files_in_pip_order(tmp_path: Path) -> None:
    context = fake_context("linux", {}, tmp_path, prefix="/venv")
    assert config_file_paths(context) == [
        "/etc/xdg/pip/pip.conf",
        "/etc/pip.conf",
        f"{tmp_path}/.pip/pip.conf",
        f"{tmp_path}/.config/pip/pip.conf",
        "/venv/pip.conf",
    ]


@pytest.mark.skipif(HOST_FAMILY == "windows", reason="needs the file to exist for pip on Linux")
def test_linux_pip_config_file_comes_last_and_replaces_user_files(tmp_path: Path) -> None:
    custom = tmp_path / "custom.conf"
    custom.write_text("[global]\n")
    environ = {"XDG_CONFIG_DIRS": "/a:/b", "PIP_CONFIG_FILE": str(custom)}
    context = fake_context("linux", environ, tmp_path, prefix="/venv")
    assert config_file_paths(context) == [
        "/a/pip/pip.conf",
        "/b/pip/pip.conf",
        "/etc/pip.conf",
        "/venv/pip.conf",
        str(custom),
    ]


def test_refusal_names_the_source_on_one_line(tmp_path: Path) -> None:
    config = tmp_path / "pip.conf"
    config.write_text("[install]\nno-cache-dir = perhaps\n")
    context = fake_context(HOST_FAMILY, {"PIP_CONFIG_FILE": str(config)}, tmp_path)
    with pytest.raises(CacheDirectoryError) as raised:
        PIP.cache_directory(context)
    message = str(raised.value)
    assert "\n" not in message
    assert str(config) in message
    assert "'perhaps'" in message


def test_importing_does_not_import_pip() -> None:
    script = "import sys, cache_python_deps.tools.pip; assert 'pip' not in sys.modules"
    subprocess.run([sys.executable, "-c", script], check=True)


@pytest.mark.parametrize(
    ("pip_version", "expected"),
    [
        (None, "/Users/me/Library/Caches/pip"),
        ("26.1", "/Users/me/Library/Caches/pip"),
        ("26.2", "/xdg/cache/pip"),
        ("26.3", "/xdg/cache/pip"),
    ],
)
def test_macos_honours_xdg_cache_home_from_pip_26_2(pip_version: str | None, expected: str) -> None:
    context = fake_context(
        "macos", {"XDG_CACHE_HOME": "/xdg/cache"}, Path("/Users/me"), pip_version=pip_version
    )
    assert default_cache_directory(context) == expected


_LOCAL = "C:\\Users\\runneradmin\\AppData\\Local\\pip\\Cache"


@pytest.mark.parametrize(
    ("pip_version", "override", "expected"),
    [
        (None, "D:\\Caches", _LOCAL),  # an unknown pip: platformdirs 4.5, no override
        ("26.1", "D:\\Caches", _LOCAL),
        ("26.2", " D:\\Caches ", "D:\\Caches\\pip\\Cache"),  # 4.10.0: any value, stripped
        ("26.2", "rel", "rel\\pip\\Cache"),
        ("26.3", "rel", _LOCAL),  # 4.12.4: a fully qualified one only
        ("26.3", "D:\\Caches", "D:\\Caches\\pip\\Cache"),
    ],
)
def test_windows_local_appdata_override_from_pip_26_2(
    pip_version: str | None, override: str, expected: str
) -> None:
    environ = {**WINDOWS_ENV, "WIN_PD_OVERRIDE_LOCAL_APPDATA": override}
    context = fake_context("windows", environ, WINDOWS_HOME, pip_version=pip_version)
    assert default_cache_directory(context) == expected


@pytest.mark.parametrize(
    ("pip_version", "expected"),
    [("23.2.1", "/work/rel/pip"), ("26.2", "/work/rel/pip"), ("26.3.1", "/home/me/.cache/pip")],
)
def test_relative_xdg_cache_home_is_ignored_from_pip_26_3(pip_version: str, expected: str) -> None:
    context = fake_context(
        "linux",
        {"XDG_CACHE_HOME": "rel"},
        Path("/home/me"),
        project=Path("/work"),
        pip_version=pip_version,
    )
    assert str(PIP.cache_directory(context).path) == expected


# --------------------------------------------------------------------------------------------
# What is cached: the directory real `pip install` stores the wheels it builds in.
# --------------------------------------------------------------------------------------------

# A source distribution with an in-tree build backend and no build requirements, so real pip
# builds (and caches) a wheel from it offline, in its isolated build environment.
_BACKEND = """
import base64, hashlib, zipfile

NAME, VERSION = "tinypkg", "1.0"
INFO = NAME + "-" + VERSION + ".dist-info"


def _line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (name, digest, len(data))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    metadata = "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION)
    wheel = "Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    files = {
        NAME + "/__init__.py": b"",
        INFO + "/METADATA": metadata.encode(),
        INFO + "/WHEEL": wheel.encode(),
    }
    record = [_line(name, data) for name, data in files.items()] + [INFO + "/RECORD,,"]
    filename = "%s-%s-py3-none-any.whl" % (NAME, VERSION)
    with zipfile.ZipFile(wheel_directory + "/" + filename, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr(INFO + "/RECORD", "\\n".join(record) + "\\n")
    return filename
"""
_PYPROJECT = '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
_STORED = re.compile(r"Stored in directory: (\S+)")


@pytest.fixture(scope="session")
def find_links(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A find-links directory holding the sdist ``tinypkg-1.0.tar.gz``."""
    root = tmp_path_factory.mktemp("sdist")
    source = root / "tinypkg-1.0"
    source.mkdir()
    (source / "pyproject.toml").write_text(_PYPROJECT)
    (source / "backend.py").write_text(_BACKEND)
    links = root / "links"
    links.mkdir()
    with tarfile.open(links / "tinypkg-1.0.tar.gz", "w:gz") as archive:
        archive.add(source, arcname="tinypkg-1.0")
    return links


def _install_section(key: str, value: str) -> Mapping[str, str]:
    return {USER_CONF: _conf("install", key, value)}


# Each: (case, what `pip install` should use: a path, or None for "caching disabled").
INSTALL_CASES = [
    (Case("install_default", env=NO_XDG_CACHE), DEFAULT),
    (
        Case(
            "install_section_moves_the_install_cache",
            files=_install_section("cache-dir", "{root}/ic"),
        ),
        "{root}/ic",
    ),
    (
        Case("cache_section_does_not", files={USER_CONF: _conf("cache", "cache-dir", "{root}/cc")}),
        XDG_DEFAULT,
    ),
    (
        Case(
            "install_section_over_global_section",
            files={USER_CONF: "[global]\ncache-dir = {root}/g\n[install]\ncache-dir = {root}/i\n"},
        ),
        "{root}/i",
    ),
    (
        Case(
            "environment_over_install_section",
            env={"PIP_CACHE_DIR": "{root}/env"},
            files=_install_section("cache-dir", "{root}/ic"),
        ),
        "{root}/env",
    ),
    (Case("install_no_cache_dir", files=_install_section("no-cache-dir", "true")), None),
    (
        Case(
            "cache_section_no_cache_dir_does_not",
            files={USER_CONF: _conf("cache", "no-cache-dir", "1")},
        ),
        XDG_DEFAULT,
    ),
]
INSTALL_PARAMS = [
    pytest.param(name, case, expected, id=f"{name}:{case.id}")
    for name in INTERPRETERS
    for case, expected in INSTALL_CASES
    if name == "this" or case.id == "install_section_moves_the_install_cache"
]


@pytest.fixture(scope="session")
def install_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, find_links: Path
) -> dict[str, tuple[PipRun, str]]:
    """Every selected install case run by real ``pip install`` (what it printed), in parallel."""
    oracle = PipOracle(tmp_path_factory)
    jobs: dict[str, tuple[list[str], PipRun]] = {}
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "install_case" not in params:
            continue
        name, case = params["install_interpreter"], params["install_case"]
        interpreter = oracle.interpreter(name)
        key = f"{name}:{case.id}"
        if isinstance(interpreter, str) or key in jobs:
            continue
        root = tmp_path_factory.mktemp(key.replace(":", "-")[:60])
        command, world = _build_world(root, case, interpreter)
        install = [command[0], "-m", "pip", "install", "--no-index", "--find-links"]
        jobs[key] = (
            [*install, str(find_links), "--target", str(root / "target"), "tinypkg"],
            world,
        )
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(_run, *job) for key, job in jobs.items()}
        done = {key: future.result() for key, future in futures.items()}
    return {key: (run, run.stdout + run.stderr) for key, run in done.items()}


@pytest.mark.parametrize(("install_interpreter", "install_case", "expected"), INSTALL_PARAMS)
def test_cache_directory_is_where_pip_install_stores_its_wheels(
    install_runs: dict[str, tuple[PipRun, str]],
    install_interpreter: str,
    install_case: Case,
    expected: str | None,
) -> None:
    key = f"{install_interpreter}:{install_case.id}"
    if key not in install_runs:
        pytest.skip(f"interpreter {install_interpreter} is not installed")
    run, output = install_runs[key]
    assert run.returncode == 0, output
    stored = _STORED.search(output)
    assert stored is not None, output
    if expected is None:
        assert "pip-ephem-wheel-cache" in stored.group(1), output  # pip cached nothing
        with pytest.raises(CacheDirectoryError, match="disabled"):
            PIP.cache_directory(run.context)
        return
    ours = PIP.cache_directory(run.context).path
    assert stored.group(1).startswith(f"{ours}/wheels/"), output
    if HOST_FAMILY == "linux":
        assert str(ours) == _substitute(expected, run.root.resolve())


def test_install_section_source_names_the_section(tmp_path: Path) -> None:
    config = tmp_path / "pip.conf"
    config.write_text(f"[install]\ncache-dir = {tmp_path}/ic\n")
    context = fake_context(HOST_FAMILY, {"PIP_CONFIG_FILE": str(config)}, tmp_path)
    assert PIP.cache_directory(context).source == f"[install] cache-dir in {config}"
    assert cache_location(context, "cache").source == "pip's default"


# --------------------------------------------------------------------------------------------
# pip's ownership check: a cache pip disables is refused, with the reason and the fix.
# --------------------------------------------------------------------------------------------

OTHER_UID = 54321  # a uid with no entry in the password database


@pytest.fixture
def shared_directory() -> Iterator[Path]:
    """A directory any user may enter (pytest's own are private to their owner), removed after."""
    directory = Path(tempfile.mkdtemp(prefix="cpd-pip-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory)


def _need_root() -> None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("the ownership checks need root (to own, and to switch users)")


def _context_for(home: Path, project: Path, uid: int, environ: Mapping[str, str]) -> CacheContext:
    return CacheContext(
        os_family="linux",
        environ={"HOME": str(home), "PIP_CONFIG_FILE": os.devnull, **environ},
        home=home,
        interpreter_prefix=Path(sys.prefix),
        project_directory=project,
        pip_version=importlib_pip_version(),
        effective_uid=uid,
    )


def importlib_pip_version() -> str:
    import pip  # noqa: PLC0415 - this environment's pip, the one the checks below run

    return pip.__version__


def _real_pip_cache_dir(home: Path, project: Path, environ: Mapping[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "cache", "dir"],
        cwd=project,
        env={**_clean_environ(), "HOME": str(home), "PIP_CONFIG_FILE": os.devnull, **environ},
        capture_output=True,
        text=True,
        check=False,
    )
    return completed.stdout + completed.stderr if completed.returncode else ""


def test_root_with_a_home_it_does_not_own_is_refused_like_pip(shared_directory: Path) -> None:
    """A GitHub container job: root runs pip, HOME=/github/home belongs to the runner's user."""
    _need_root()
    root = shared_directory
    home, project = root / "github-home", root / "project"
    home.mkdir()
    project.mkdir()
    os.chown(home, 1001, 1001)
    failure = _real_pip_cache_dir(home, project, {})
    assert "not owned or is not writable" in failure  # real pip disables its cache
    with pytest.raises(CacheDirectoryError) as raised:
        PIP.cache_directory(_context_for(home, project, 0, {}))
    message = str(raised.value)
    assert "\n" not in message
    assert str(home) in message and "uid 1001" in message and "PIP_CACHE_DIR" in message
    assert "pip's default" in message
    # The fix the message gives works, for real pip and for us.
    owned = root / "owned-cache"
    owned.mkdir()
    fixed = {"PIP_CACHE_DIR": str(owned)}
    assert _real_pip_cache_dir(home, project, fixed) == ""
    assert PIP.cache_directory(_context_for(home, project, 0, fixed)).path == owned


_OURS_AS_OTHER_USER = """
import json, os, sys
from pathlib import Path
from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools.pip import PIP
from cache_python_deps.tools.base import CacheContext
import pip
environ = json.loads(sys.argv[1])
context = CacheContext("linux", environ, Path(environ["HOME"]), Path(sys.prefix), Path.cwd(),
                       pip_version=pip.__version__, effective_uid=os.geteuid())
try:
    print(PIP.cache_directory(context).path)
except CacheDirectoryError as error:
    print("refused: " + str(error))
"""


def _run_as_other_user(command: list[str], environ: dict[str, str], cwd: Path) -> str:
    completed = run_as_user(OTHER_UID, command, cwd=cwd, env=environ, timeout=120)
    return f"{completed.returncode}\n{completed.stdout}{completed.stderr}"


def test_another_user_with_a_home_it_cannot_write_is_refused_like_pip(
    shared_directory: Path,
) -> None:
    """For any user but root, pip asks whether the nearest existing directory is writable."""
    _need_root()
    with pytest.raises(KeyError):
        pwd.getpwuid(OTHER_UID)
    # A Python the other user may start (this test's may live in root's private home).
    python = shutil.which("python3", path="/usr/bin")
    if python is None:
        pytest.skip("no system python3 another user may start")
    root = shared_directory
    home, project = root / "home", root / "project"
    home.mkdir(mode=0o755)  # root's, not writable by the other user
    project.mkdir()
    source = str(Path(__file__).resolve().parent.parent / "src")
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(home), "PIP_CONFIG_FILE": os.devnull}
    ours_command = [
        python,
        "-I",
        "-c",
        f"import sys; sys.path.insert(0, {source!r})\n{_OURS_AS_OTHER_USER}",
        json.dumps(environ),
    ]
    real = _run_as_other_user([python, "-m", "pip", "cache", "dir"], environ, project)
    assert not real.startswith("0\n") and "not owned or is not writable" in real, real
    ours = _run_as_other_user(ours_command, environ, project)
    assert ours.startswith("0\nrefused: pip disables its cache"), ours
    assert f"uid {OTHER_UID}" in ours and "PIP_CACHE_DIR" in ours
    home.chmod(0o777)  # now it may write there: pip and we agree the cache is used
    real = _run_as_other_user([python, "-m", "pip", "cache", "dir"], environ, project)
    ours = _run_as_other_user(ours_command, environ, project)
    assert real == ours == f"0\n{home}/.cache/pip\n"


# --------------------------------------------------------------------------------------------
# An interpreter without pip: tool pip says so.
# --------------------------------------------------------------------------------------------


def test_an_interpreter_without_pip_is_refused_with_the_reason(tmp_path: Path) -> None:
    from cache_python_deps.engine import Request, locate  # noqa: PLC0415
    from cache_python_deps.keys import CacheKind  # noqa: PLC0415

    venv = tmp_path / "no-pip"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    real = subprocess.run(
        [python, "-m", "pip", "--version"], capture_output=True, text=True, check=False
    )
    assert real.returncode != 0 and "No module named pip" in real.stderr
    request = Request(
        python=str(python),
        tool="pip",
        kind=CacheKind.TOOL,
        dependency_hash=None,
        lookup_command=None,
        project_directory=tmp_path,
        environ={**_clean_environ(), "PIP_CACHE_DIR": str(tmp_path / "cache")},
        home=tmp_path,
    )
    with pytest.raises(CacheDirectoryError) as raised:
        locate(request)
    assert "has no pip" in str(raised.value) and "\n" not in str(raised.value)
    with_pip = request._replace(python=sys.executable)
    assert locate(with_pip).cache_directory == tmp_path / "cache"


# --------------------------------------------------------------------------------------------
# The platformdirs each pip vendors (the rules follow it), read from the pips on this machine.
# --------------------------------------------------------------------------------------------


def _local_pips() -> list[Path]:
    pips = [Path(importlib.import_module("pip").__file__ or "").parent]
    pips += [
        Path(p)
        for p in sorted(
            Path(_pyenv_python("3.9.18")).parent.parent.parent.glob(
                "*/lib/python*/site-packages/pip"
            )
        )
    ]
    return [p for p in pips if (p / "_vendor" / "vendor.txt").is_file()]


def test_vendored_platformdirs_matches_each_pips_vendor_txt() -> None:
    pips = _local_pips()
    assert len(pips) >= 3, pips
    for package in pips:
        version = re.search(r'__version__ = "([^"]+)"', (package / "__init__.py").read_text())
        vendored = re.search(
            r"platformdirs==(\S+)", (package / "_vendor" / "vendor.txt").read_text()
        )
        if version is None or vendored is None:
            continue  # a pip from before platformdirs (appdirs): not modelled
        assert vendored_platformdirs(version.group(1)) == vendored.group(1), package
