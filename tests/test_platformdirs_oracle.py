"""Our platformdirs rules against platformdirs itself, release by release (differential tests).

Hypothesis generates environments (``HOME`` empty, relative or unset; ``XDG_*`` values blank,
padded, relative, starting with ``~``; ``XDG_CONFIG_DIRS`` lists with empty and relative
entries; Windows folder variables and overrides) and compares ``_platformdirs`` with the real
``Unix``, ``MacOS`` and ``Windows`` classes, which run on any host, of every platformdirs
release the tools use: the copies vendored in the pips of this machine's interpreters and in
pipenv's patched pip, the ones installed beside poetry and pdm and in this environment (the
test extra), and the releases on each side of every rule change (installed by
``tests/toolsenv.py``). Each release is imported under a name
of its own, so several live in one process. Where platformdirs raises (no home, an
``XDG_CONFIG_DIRS`` of separators only in 4.6 to 4.11.2), ours must raise a one-line
CacheDirectoryError.

pip's own directories (its default cache, its global and user config files) are compared the same
way on Windows, where its platformdirs reads the ``WIN_PD_OVERRIDE_*`` variables from pip 26.2,
with the copy vendored in each real pip on this machine.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import pwd
import re
import sys
import types
import unittest.mock
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools import _platformdirs, pip
from cache_python_deps.tools.base import CacheContext, OSFamily
from tests.support import _pyenv_root
from tests.toolsenv import (
    DEFAULT_VENV,
    ENV_VAR,
    PLATFORMDIRS_RELEASES,
    platformdirs_target,
    release_environment,
    tools_venv,
)

_VERSION = re.compile(r"""^__version__\s*=\s*(?:version\s*=\s*)?["']([^"']+)["']""", re.M)


def _pyenv_vendored(version: str) -> Path:
    minor = ".".join(version.split(".")[:2])
    site = _pyenv_root() / "versions" / version / "lib" / f"python{minor}" / "site-packages"
    return site / "pip" / "_vendor" / "platformdirs"


def _tools_site() -> Path:
    return next((tools_venv() / "lib").glob("python3*/site-packages"))


def _version_at(package: Path) -> str | None:
    """The release of the platformdirs package at ``package`` (None: none there)."""
    version_file = package / "version.py"
    if not version_file.is_file():
        return None
    found = _VERSION.search(version_file.read_text(encoding="utf-8"))
    return found.group(1) if found else None


def _as_found(version: str, locate: Callable[[], Path]) -> dict[str, Callable[[], Path]]:
    """``{release: locate}``, keyed by the release really there when it already is (the drift
    check, scripts/tool_drift.py, puts newer ones in place); else by ``version``, located (and
    the tools venv made) only when the test runs."""
    existing = Path(os.environ.get(ENV_VAR) or DEFAULT_VENV).absolute()
    if next((existing / "lib").glob("python3*/site-packages"), None) is not None:
        found = _version_at(locate())
        if found is not None:
            return {found: locate}
    return {version: locate}


def _this_pips_platformdirs() -> Path:
    return Path(importlib.import_module("pip").__file__ or "").parent / "_vendor" / "platformdirs"


# Where each release the tools use lives on this machine (release -> its package directory).
_VENDORED: dict[str, Callable[[], Path]] = {
    "2.4.1": lambda: _pyenv_vendored("3.7.16"),  # pip 22.0
    "2.6.2": lambda: _pyenv_vendored("3.9.18"),  # pip 23.0
    "3.8.1": lambda: _pyenv_vendored("3.11.7"),  # pip 23.2
    "4.2.2": lambda: _pyenv_vendored("3.13.0"),  # pip 24.2
    # pip 26.3, this environment's
    _version_at(_this_pips_platformdirs()) or "4.12.4": _this_pips_platformdirs,
    **_as_found(  # pipenv 2026.10's patched pip
        "4.10.0",
        lambda: _tools_site() / "pipenv" / "patched" / "pip" / "_vendor" / "platformdirs",
    ),
    **_as_found("4.14.8", lambda: _tools_site() / "platformdirs"),  # poetry's and pdm's
}


def _test_environment_platformdirs() -> dict[str, Callable[[], Path]]:
    """The platformdirs of the test extra (this environment's), whatever its release."""
    spec = importlib.util.find_spec("platformdirs")
    if spec is None or not spec.submodule_search_locations:
        return {}
    package = Path(next(iter(spec.submodule_search_locations)))
    found = _VERSION.search((package / "version.py").read_text(encoding="utf-8"))
    return {found.group(1): lambda: package} if found else {}


_VENDORED |= _test_environment_platformdirs()
_INSTALLED = {
    version: functools.partial(platformdirs_target, version) for version in PLATFORMDIRS_RELEASES
}
RELEASES = sorted({**_VENDORED, **_INSTALLED}, key=lambda v: _platformdirs.version_tuple(v) or ())


@dataclass(frozen=True)
class Release:
    """One platformdirs release, imported under a name of its own."""

    version: str
    unix: Any
    macos: Any
    windows: Any


@functools.cache
def load_release(version: str) -> Release:
    """Import platformdirs ``version``'s Unix, MacOS and Windows classes without its __init__."""
    if version in _INSTALLED:
        package = _INSTALLED[version]() / "platformdirs"
    else:
        package = _VENDORED[version]()
    return _import_release(package, version)


def _import_release(package: Path, version: str) -> Release:
    """The classes of the platformdirs at ``package``, which must be release ``version``."""
    if not package.is_dir():
        if os.environ.get("CPD_ALLOW_MISSING_INTERPRETERS"):
            pytest.skip(f"platformdirs {version} is not at {package}")
        pytest.fail(f"platformdirs {version} is not at {package}")
    found = _VERSION.search((package / "version.py").read_text(encoding="utf-8"))
    assert found is not None and found.group(1) == version, f"{package} is not {version}"
    # One name per copy (a release installed alone and pip's vendored copy of it are two).
    where = hashlib.sha256(str(package.resolve()).encode()).hexdigest()[:12]
    alias = f"_platformdirs_{version.replace('.', '_')}_{where}"
    if alias not in sys.modules:
        # An empty package in place of its __init__ (which picks a class with absolute imports).
        module = types.ModuleType(alias)
        module.__path__ = [str(package)]
        module.__spec__ = importlib.machinery.ModuleSpec(alias, None, is_package=True)
        module.__spec__.submodule_search_locations = [str(package)]
        sys.modules[alias] = module
    windows = importlib.import_module(f"{alias}.windows")
    # Off Windows, resolve known folders from their variables (what the shell returns on a
    # normal profile), uncached: some releases pick ctypes and raise, some cache the answer.
    for resolver in ("_RESOLVE_WIN_FOLDER", "_resolve_win_folder"):
        if hasattr(windows, resolver):
            setattr(windows, resolver, windows.get_win_folder_from_env_vars)
            break
    else:
        setattr(windows, "get_win_folder", windows.get_win_folder_from_env_vars)  # noqa: B010
    return Release(
        version,
        importlib.import_module(f"{alias}.unix").Unix,
        importlib.import_module(f"{alias}.macos").MacOS,
        windows.Windows,
    )


# -- environments ---------------------------------------------------------------------------

_UNSET = None
_HOMES = st.sampled_from([_UNSET, "", "/h/home", "/h/home/", "rel/home", "/", " /h/sp"])
_XDG = st.sampled_from([_UNSET, "", "  ", "/x/a", " /x/a ", "rel/a", "~/a", "/x/a/", "~"])
_XDG_LIST = st.sampled_from(
    [
        _UNSET,
        "",
        ":",
        " : ",
        "/s/a:/s/b",
        "::/s/a",
        " /s/a : /s/b ",
        "rel:/s/b",
        "~/s:/s/b",
        "/s/a::",
    ]
)
_WINDOWS_OVERRIDE = st.sampled_from([_UNSET, "", "  ", "D:\\Over", "relative\\x", " D:\\Sp "])
APPS: list[tuple[str, Literal[False] | None]] = [
    ("pypoetry", False),
    ("pdm", None),
    ("pipenv", None),
    ("pip", False),
]


def _posix_environ(draw: st.DrawFn) -> dict[str, str]:
    environ = {
        "HOME": draw(_HOMES),
        "XDG_CACHE_HOME": draw(_XDG),
        "XDG_CONFIG_HOME": draw(_XDG),
        "XDG_DATA_HOME": draw(_XDG),
        "XDG_CONFIG_DIRS": draw(_XDG_LIST),
        "XDG_DATA_DIRS": draw(_XDG_LIST),
    }
    return {name: value for name, value in environ.items() if value is not None}


def _windows_environ(draw: st.DrawFn) -> dict[str, str]:
    environ = {
        "LOCALAPPDATA": "C:\\Users\\u\\AppData\\Local",
        "APPDATA": "C:\\Users\\u\\AppData\\Roaming",
        "ALLUSERSPROFILE": "C:\\ProgramData",
        "USERPROFILE": "C:\\Users\\u",
        "WIN_PD_OVERRIDE_LOCAL_APPDATA": draw(_WINDOWS_OVERRIDE),
        "WIN_PD_OVERRIDE_APPDATA": draw(_WINDOWS_OVERRIDE),
        "WIN_PD_OVERRIDE_COMMON_APPDATA": draw(_WINDOWS_OVERRIDE),
    }
    return {name: value for name, value in environ.items() if value is not None}


@st.composite
def environments(draw: st.DrawFn, os_family: OSFamily) -> dict[str, str]:
    """An environment the ``os_family`` class of platformdirs reads."""
    return _windows_environ(draw) if os_family == "windows" else _posix_environ(draw)


# -- the comparison -------------------------------------------------------------------------


def _account_home() -> str:
    return pwd.getpwuid(os.getuid()).pw_dir


def _theirs(instance: Any, prop: str) -> str | type[BaseException]:
    try:
        answer: str = getattr(instance, prop)
    except (RuntimeError, IndexError) as error:
        return type(error)
    return answer


def _ours(compute: Callable[[], str]) -> str | type[BaseException]:
    try:
        result = compute()
    except CacheDirectoryError as error:
        assert "\n" not in str(error)
        return RuntimeError
    return result


def _same(
    os_family: OSFamily, ours: str | type[BaseException], theirs: str | type[BaseException]
) -> bool:
    if isinstance(theirs, type):
        return ours is RuntimeError  # platformdirs raised: so must we
    if os_family == "windows" and isinstance(ours, str):
        assert isinstance(theirs, str)
        # On this host the Windows class joins with "/"; the folders are the same.
        return os.path.normpath(ours.replace("\\", "/")) == os.path.normpath(
            theirs.replace("\\", "/")
        )
    return ours == theirs


def _our_answers(
    context: CacheContext, dirs: _platformdirs.Platformdirs, app: tuple[str, Any], roaming: bool
) -> dict[str, Callable[[], str]]:
    """Our rule for each property platformdirs answers (``site_config_dir``: the first one)."""
    appname, appauthor = app
    return {
        "user_cache_dir": functools.partial(
            _platformdirs.user_cache_dir, context, dirs, appname, appauthor=appauthor
        ),
        "user_config_dir": functools.partial(
            _platformdirs.user_dir,
            context,
            dirs,
            "config",
            appname,
            appauthor=appauthor,
            roaming=roaming,
        ),
        "user_data_dir": functools.partial(
            _platformdirs.user_dir,
            context,
            dirs,
            "data",
            appname,
            appauthor=appauthor,
            roaming=roaming,
        ),
        "site_config_dir": lambda: _platformdirs.site_config_dirs(
            context, dirs, appname, appauthor=appauthor
        )[0],
    }


def _compare(release: Release, os_family: OSFamily, environ: dict[str, str]) -> None:
    classes = {"linux": release.unix, "macos": release.macos, "windows": release.windows}
    context = CacheContext(
        os_family=os_family,
        environ=environ,
        home=Path(_account_home()),
        interpreter_prefix=Path(sys.prefix),
        project_directory=Path.cwd(),
    )
    dirs = _platformdirs.Platformdirs.of(release.version, "tool")
    with unittest.mock.patch.dict(os.environ, environ, clear=True):
        for app in APPS:
            for roaming in (False, True):
                instance = classes[os_family](*app, roaming=roaming)
                for prop, ours_compute in _our_answers(context, dirs, app, roaming).items():
                    theirs, ours = _theirs(instance, prop), _ours(ours_compute)
                    assert _same(os_family, ours, theirs), (
                        f"platformdirs {release.version} {os_family} {prop}{app}, "
                        f"roaming={roaming}, with {environ}: theirs {theirs!r}, ours {ours!r}"
                    )
            if os_family == "linux":  # macOS multipath adds a Homebrew prefix we do not know
                instance = classes[os_family](*app, multipath=True)
                theirs = _theirs(instance, "site_config_dir")
                ours = _ours(
                    lambda app=app: ":".join(  # type: ignore[misc]
                        _platformdirs.site_config_dirs(
                            context, dirs, app[0], appauthor=app[1], multipath=True
                        )
                    )
                )
                assert _same(os_family, ours, theirs), (
                    f"platformdirs {release.version} site_config_dir{app}, multipath, "
                    f"with {environ}: theirs {theirs!r}, ours {ours!r}"
                )


_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("version", RELEASES)
@pytest.mark.parametrize("os_family", ["linux", "macos", "windows"])
def test_rules_match_platformdirs(version: str, os_family: OSFamily) -> None:
    release = load_release(version)

    @_SETTINGS
    @given(environments(os_family))
    def check(environ: dict[str, str]) -> None:
        _compare(release, os_family, environ)

    check()


def test_every_rule_change_has_releases_on_both_sides() -> None:
    """The releases compared straddle each version where a rule of ours changes."""
    known = [_platformdirs.version_tuple(version) for version in RELEASES]
    thresholds = [
        value
        for name, value in vars(_platformdirs).items()
        if name.startswith("_") and isinstance(value, tuple) and len(value) == 3
    ]
    assert thresholds, "the rule thresholds moved: update this test"
    for threshold in thresholds:
        assert any(v is not None and v < threshold for v in known), threshold
        assert any(v is not None and v >= threshold for v in known), threshold


# -- pip's directories on Windows, against each real pip's own vendored copy ------------------


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


# Real pips on each side of the platformdirs that reads WIN_PD_OVERRIDE_*: where each is.
_PIPS: dict[str, Callable[[], Path]] = {
    "pip 26.0": lambda: _site_packages(release_environment("pip-26.0")) / "pip",
    "pipenv's patched pip 26.2": lambda: _tools_site() / "pipenv" / "patched" / "pip",
    "this environment's pip": lambda: Path(importlib.import_module("pip").__file__ or "").parent,
}


@pytest.mark.parametrize("which", _PIPS)
def test_pips_windows_directories_follow_its_vendored_platformdirs(which: str) -> None:
    package = _PIPS[which]()
    found = re.search(r'__version__ = "([^"]+)"', (package / "__init__.py").read_text())
    assert found is not None, package
    pip_version = found.group(1)
    vendored = package / "_vendor" / "platformdirs"
    windows = _import_release(vendored, pip.vendored_platformdirs(pip_version)).windows

    @_SETTINGS
    @given(environments("windows"))
    def check(environ: dict[str, str]) -> None:
        context = CacheContext(
            os_family="windows",
            environ=environ,
            home=Path("C:\\Users\\u"),
            interpreter_prefix=Path("C:\\Python313"),
            project_directory=Path("C:\\work"),
            pip_version=pip_version,
        )
        # pip's appdirs: user_cache_dir("pip"), site_config_dirs("pip"), user_config_dir("pip").
        with unittest.mock.patch.dict(os.environ, environ, clear=True):
            theirs = {
                "cache": windows("pip", appauthor=False).user_cache_dir,
                "global config": windows("pip", appauthor=False, multipath=True).site_config_dir,
                "user config": windows("pip", appauthor=False, roaming=True).user_config_dir,
            }
        files = pip.config_file_paths(context)  # global, legacy user, user, site
        ours = {
            "cache": pip.default_cache_directory(context),
            "global config": files[0].removesuffix("\\pip.ini"),
            "user config": files[2].removesuffix("\\pip.ini"),
        }
        for name, directory in theirs.items():
            assert _same("windows", ours[name], directory), (
                f"pip {pip_version} {name} with {environ}: theirs {directory!r}, "
                f"ours {ours[name]!r}"
            )

    check()
