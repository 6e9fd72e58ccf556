"""Cache directories of uv, poetry, pipenv and pdm, computed in-process.

Three layers of checks:

- per-OS defaults with the OS family passed in (no patching of the host);
- our platformdirs rules against platformdirs' own Unix, macOS and Windows classes;
- ``tools``: equality with the real tools (``uv cache dir``, ``poetry config cache-dir``,
  ``pdm config cache_dir``, pipenv's own settings object) run in an isolated HOME, over defaults,
  ``XDG_*``, each tool's variable, and user, system and project config files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import platformdirs.macos
import platformdirs.unix
import platformdirs.windows
import pytest

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools import _common, get_tool
from cache_python_deps.tools.base import CacheContext, OSFamily
from cache_python_deps.tools.pipenv import parse_dotenv
from cache_python_deps.tools.poetry import config_directory as poetry_config_directory
from tests.toolsenv import tool_executable

HOMES: dict[OSFamily, str] = {"linux": "/home/u", "macos": "/Users/u", "windows": "C:\\Users\\u"}
LOCAL = "C:\\Users\\u\\AppData\\Local"


def context(
    os_family: OSFamily,
    environ: Mapping[str, str] | None = None,
    *,
    project: Path,
    home: str | Path | None = None,
) -> CacheContext:
    return CacheContext(
        os_family=os_family,
        environ=dict(environ or {}),
        home=Path(home if home is not None else HOMES[os_family]),
        interpreter_prefix=Path(sys.prefix),
        project_directory=project,
    )


def cache_dir(tool: str, ctx: CacheContext) -> str:
    return str(get_tool(tool).cache_directory(ctx))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "project"
    directory.mkdir()
    return directory


# -- per-OS defaults ----------------------------------------------------------------------------

DEFAULTS: dict[str, dict[OSFamily, str]] = {
    "uv": {
        "linux": "/home/u/.cache/uv",
        "macos": "/Users/u/.cache/uv",
        "windows": f"{LOCAL}\\uv\\cache",
    },
    "poetry": {
        "linux": "/home/u/.cache/pypoetry",
        "macos": "/Users/u/Library/Caches/pypoetry",
        "windows": f"{LOCAL}\\pypoetry\\Cache",
    },
    "pdm": {
        "linux": "/home/u/.cache/pdm",
        "macos": "/Users/u/Library/Caches/pdm",
        "windows": f"{LOCAL}\\pdm\\pdm\\Cache",
    },
    "pipenv": {
        "linux": "/home/u/.cache/pipenv",
        "macos": "/Users/u/Library/Caches/pipenv",
        "windows": f"{LOCAL}\\pipenv\\pipenv\\Cache",
    },
}
DEFAULT_CASES = [(tool, family) for tool in DEFAULTS for family in DEFAULTS[tool]]


@pytest.mark.parametrize(("tool", "os_family"), DEFAULT_CASES)
def test_default_per_os(tool: str, os_family: OSFamily, project: Path) -> None:
    environ = {"LOCALAPPDATA": LOCAL} if os_family == "windows" else {}
    assert (
        cache_dir(tool, context(os_family, environ, project=project)) == DEFAULTS[tool][os_family]
    )


@pytest.mark.parametrize("tool", DEFAULTS)
def test_windows_without_localappdata_uses_the_profile(tool: str, project: Path) -> None:
    assert cache_dir(tool, context("windows", project=project)) == DEFAULTS[tool]["windows"]


@pytest.mark.parametrize("tool", DEFAULTS)
def test_windows_variable_names_are_case_insensitive(tool: str, project: Path) -> None:
    ctx = context("windows", {"LocalAppData": "D:\\Local"}, project=project)
    assert cache_dir(tool, ctx).startswith("D:\\Local\\")


@pytest.mark.parametrize(("tool", "os_family"), DEFAULT_CASES)
def test_xdg_cache_home(tool: str, os_family: OSFamily, project: Path) -> None:
    environ = {"XDG_CACHE_HOME": "/xdg/cache", "LOCALAPPDATA": LOCAL}
    app = {"uv": "uv", "poetry": "pypoetry", "pdm": "pdm", "pipenv": "pipenv"}[tool]
    expected = DEFAULTS[tool]["windows"] if os_family == "windows" else f"/xdg/cache/{app}"
    assert cache_dir(tool, context(os_family, environ, project=project)) == expected


@pytest.mark.parametrize("tool", DEFAULTS)
def test_relative_xdg_cache_home(tool: str, project: Path) -> None:
    # Current platformdirs and uv ignore it; pipenv's (pip's vendored) platformdirs takes it.
    ctx = context("linux", {"XDG_CACHE_HOME": " relative/cache "}, project=project)
    expected = str(project / "relative/cache/pipenv")
    assert cache_dir(tool, ctx) == (expected if tool == "pipenv" else DEFAULTS[tool]["linux"])


def test_uv_on_macos_keeps_an_existing_library_caches_directory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "Library" / "Caches" / "uv").mkdir(parents=True)
    ctx = context("macos", {"XDG_CACHE_HOME": "/xdg"}, project=tmp_path, home=home)
    assert cache_dir("uv", ctx) == str(home / "Library" / "Caches" / "uv")


def test_uv_on_windows_ignores_platformdirs_overrides(project: Path) -> None:
    environ = {"LOCALAPPDATA": LOCAL, "WIN_PD_OVERRIDE_LOCAL_APPDATA": "D:\\Other"}
    assert cache_dir("uv", context("windows", environ, project=project)) == f"{LOCAL}\\uv\\cache"
    assert cache_dir("pdm", context("windows", environ, project=project)).startswith("D:\\Other")


# -- environment variables ----------------------------------------------------------------------

TOOL_VARIABLES = {
    "uv": "UV_CACHE_DIR",
    "poetry": "POETRY_CACHE_DIR",
    "pdm": "PDM_CACHE_DIR",
    "pipenv": "PIPENV_CACHE_DIR",
}


@pytest.mark.parametrize(("tool", "variable"), TOOL_VARIABLES.items())
def test_tool_variable_wins(tool: str, variable: str, project: Path) -> None:
    environ = {variable: "/from/env", "XDG_CACHE_HOME": "/xdg"}
    assert cache_dir(tool, context("linux", environ, project=project)) == "/from/env"


@pytest.mark.parametrize(("tool", "variable"), TOOL_VARIABLES.items())
def test_relative_tool_variable_is_relative_to_the_project(
    tool: str, variable: str, project: Path
) -> None:
    ctx = context("linux", {variable: "rel/cache"}, project=project)
    assert cache_dir(tool, ctx) == str(project / "rel/cache")


@pytest.mark.parametrize(("tool", "variable"), TOOL_VARIABLES.items())
def test_tilde_in_tool_variable(tool: str, variable: str, project: Path) -> None:
    # uv takes the value literally; the Python tools expand ``~``.
    expected = str(project / "~/c") if tool == "uv" else "/home/u/c"
    assert cache_dir(tool, context("linux", {variable: "~/c"}, project=project)) == expected


@pytest.mark.parametrize(("tool", "variable"), TOOL_VARIABLES.items())
def test_empty_tool_variable_is_an_error(tool: str, variable: str, project: Path) -> None:
    with pytest.raises(CacheDirectoryError, match=variable):
        get_tool(tool).cache_directory(context("linux", {variable: ""}, project=project))


def test_windows_tool_variable_keeps_windows_paths(project: Path) -> None:
    ctx = context("windows", {"PDM_CACHE_DIR": "D:\\pdm-cache"}, project=project)
    assert cache_dir("pdm", ctx) == "D:\\pdm-cache"
    ctx = context("windows", {"POETRY_CACHE_DIR": "~\\pc"}, project=project)
    assert cache_dir("poetry", ctx) == "C:\\Users\\u\\pc"


# -- uv settings --------------------------------------------------------------------------------


def _home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_uv_no_cache_is_an_error(project: Path) -> None:
    with pytest.raises(CacheDirectoryError, match="disabled"):
        get_tool("uv").cache_directory(context("linux", {"UV_NO_CACHE": "yes"}, project=project))


def test_uv_no_cache_false_and_invalid(project: Path) -> None:
    ctx = context("linux", {"UV_NO_CACHE": "0"}, project=project)
    assert cache_dir("uv", ctx) == DEFAULTS["uv"]["linux"]
    with pytest.raises(CacheDirectoryError, match="UV_NO_CACHE"):
        get_tool("uv").cache_directory(context("linux", {"UV_NO_CACHE": "maybe"}, project=project))


def test_uv_config_layers(tmp_path: Path, project: Path) -> None:
    home = _home(tmp_path)
    ctx = context("linux", {"XDG_CONFIG_DIRS": str(tmp_path / "sys")}, project=project, home=home)
    _write(tmp_path / "sys/uv/uv.toml", 'cache-dir = "/system"\n')
    assert cache_dir("uv", ctx) == "/system"
    _write(home / ".config/uv/uv.toml", 'cache-dir = "/user"\n')
    assert cache_dir("uv", ctx) == "/user"
    _write(project / "pyproject.toml", '[tool.uv]\ncache-dir = "/pyproject"\n')
    assert cache_dir("uv", ctx) == "/pyproject"
    _write(project / "uv.toml", 'cache-dir = "/uv-toml"\n')
    assert cache_dir("uv", ctx) == "/uv-toml"
    env_ctx = context("linux", {**ctx.environ, "UV_CACHE_DIR": "/env"}, project=project, home=home)
    assert cache_dir("uv", env_ctx) == "/env"


def test_uv_config_file_and_no_config(tmp_path: Path, project: Path) -> None:
    _write(project / "uv.toml", 'cache-dir = "/project"\n')
    custom = _write(tmp_path / "custom.toml", 'cache-dir = "/custom"\n')
    ctx = context("linux", {"UV_CONFIG_FILE": str(custom)}, project=project)
    assert cache_dir("uv", ctx) == "/custom"
    ctx = context("linux", {"UV_NO_CONFIG": "true"}, project=project)
    assert cache_dir("uv", ctx) == DEFAULTS["uv"]["linux"]
    with pytest.raises(CacheDirectoryError, match="does not exist"):
        cache_dir("uv", context("linux", {"UV_CONFIG_FILE": "missing.toml"}, project=project))


def test_uv_project_settings_search_upwards_and_skip_other_pyprojects(project: Path) -> None:
    _write(project / "uv.toml", 'cache-dir = "relative"\n')
    child = project / "a" / "b"
    _write(child / "pyproject.toml", "[tool.black]\n")
    # A relative cache-dir is relative to the working directory, not to the config file.
    assert cache_dir("uv", context("linux", project=child)) == str(child / "relative")
    _write(child / "pyproject.toml", "[tool.uv\n")  # unparsable: uv warns and goes on
    assert cache_dir("uv", context("linux", project=child)) == str(child / "relative")
    _write(child / "pyproject.toml", "[tool.uv]\n")  # a [tool.uv] table stops the search
    assert cache_dir("uv", context("linux", project=child)) == DEFAULTS["uv"]["linux"]


def test_uv_no_cache_in_config_and_explicit_false_in_env(project: Path) -> None:
    _write(project / "uv.toml", 'no-cache = true\ncache-dir = "/c"\n')
    with pytest.raises(CacheDirectoryError):
        cache_dir("uv", context("linux", project=project))
    assert cache_dir("uv", context("linux", {"UV_NO_CACHE": "false"}, project=project)) == "/c"


def test_uv_invalid_config_is_an_error(project: Path) -> None:
    _write(project / "uv.toml", "cache-dir = 5\n")
    with pytest.raises(CacheDirectoryError, match="cache-dir must be a string"):
        cache_dir("uv", context("linux", project=project))
    _write(project / "uv.toml", "cache-dir = \n")
    with pytest.raises(CacheDirectoryError, match="cannot parse"):
        cache_dir("uv", context("linux", project=project))


def test_no_file_is_read_for_another_os(project: Path) -> None:
    _write(project / "uv.toml", 'cache-dir = "/project"\n')
    other: OSFamily = "linux" if os.name == "nt" else "windows"
    assert "project" not in cache_dir("uv", context(other, project=project))


# -- poetry settings ----------------------------------------------------------------------------


def test_poetry_config_layers(tmp_path: Path, project: Path) -> None:
    home = _home(tmp_path)
    ctx = context("linux", project=project / "sub", home=home)
    _write(home / ".config/pypoetry/config.toml", 'cache-dir = "/global"\n')
    assert cache_dir("poetry", ctx) == "/global"
    _write(project / "poetry.toml", 'cache-dir = "/local"\n')
    assert cache_dir("poetry", ctx) == "/global", "poetry.toml counts only beside pyproject.toml"
    _write(project / "pyproject.toml", "[tool.poetry]\n")
    assert cache_dir("poetry", ctx) == "/local"
    env = {"POETRY_CACHE_DIR": "/env"}
    assert cache_dir("poetry", context("linux", env, project=project, home=home)) == "/env"


def test_poetry_config_dir_variable_and_xdg(tmp_path: Path, project: Path) -> None:
    _write(tmp_path / "pc/config.toml", 'cache-dir = "~/from-config-dir"\n')
    ctx = context("linux", {"POETRY_CONFIG_DIR": str(tmp_path / "pc")}, project=project)
    assert cache_dir("poetry", ctx) == "/home/u/from-config-dir"
    _write(tmp_path / "xdg/pypoetry/config.toml", 'cache-dir = "rel"\n')
    ctx = context("linux", {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}, project=project)
    assert cache_dir("poetry", ctx) == str(project / "rel")


def test_poetry_config_dir_per_os(project: Path) -> None:
    environ = {"APPDATA": "C:\\Users\\u\\AppData\\Roaming", "XDG_CONFIG_HOME": "/x"}
    expected: dict[OSFamily, str] = {
        "linux": "/x/pypoetry",
        "macos": "/x/pypoetry",
        "windows": "C:\\Users\\u\\AppData\\Roaming\\pypoetry",
    }
    for os_family, directory in expected.items():
        assert (
            str(poetry_config_directory(context(os_family, environ, project=project))) == directory
        )


# -- pdm settings -------------------------------------------------------------------------------


def test_pdm_config_layers(tmp_path: Path, project: Path) -> None:
    home = _home(tmp_path)
    base = {"XDG_CONFIG_DIRS": str(tmp_path / "sys")}
    ctx = context("linux", base, project=project / "sub", home=home)
    _write(tmp_path / "sys/pdm/config.toml", 'cache_dir = "/site"\n')
    assert cache_dir("pdm", ctx) == "/site"
    _write(home / ".config/pdm/config.toml", 'cache_dir = "/global"\n')
    assert cache_dir("pdm", ctx) == "/global"
    _write(project / "pyproject.toml", "[project]\nname = 'p'\n")
    _write(project / "pdm.toml", 'cache_dir = "/project"\n')
    assert cache_dir("pdm", ctx) == "/project"
    _write(project / ".pdm.toml", 'cache_dir = "/legacy"\n')
    with pytest.raises(CacheDirectoryError, match="refuses"):
        cache_dir("pdm", ctx)
    (project / ".pdm.toml").unlink()
    env_ctx = context("linux", {**base, "PDM_CACHE_DIR": "/env"}, project=project, home=home)
    assert cache_dir("pdm", env_ctx) == "/env"


def test_pdm_config_file_variable(tmp_path: Path, project: Path) -> None:
    custom = _write(tmp_path / "custom.toml", 'cache_dir = "~/custom"\n')
    ctx = context("linux", {"PDM_CONFIG_FILE": str(custom)}, project=project)
    assert cache_dir("pdm", ctx) == "/home/u/custom"


def test_pdm_project_without_pyproject_is_the_working_directory(project: Path) -> None:
    _write(project / "pdm.toml", 'cache_dir = "here"\n')
    assert cache_dir("pdm", context("linux", project=project)) == str(project / "here")


# -- pipenv settings ----------------------------------------------------------------------------


def test_pipenv_dotenv_beside_the_pipfile(tmp_path: Path, project: Path) -> None:
    _write(project / "Pipfile", "[packages]\n")
    _write(project / ".env", 'PIPENV_CACHE_DIR="${HOME}/from-dotenv"  # comment\n')
    environ = {"HOME": "/h", "PIPENV_CACHE_DIR": "/env"}
    ctx = context("linux", environ, project=project / "deep" / "er")
    assert cache_dir("pipenv", ctx) == "/h/from-dotenv"
    no_load = {**environ, "PIPENV_DONT_LOAD_ENV": "1"}
    assert cache_dir("pipenv", context("linux", no_load, project=project)) == "/env"
    no_inherit = {**environ, "PIPENV_NO_INHERIT": "1"}
    assert cache_dir("pipenv", context("linux", no_inherit, project=project / "deep")) == "/env"


def test_pipenv_dotenv_location(tmp_path: Path, project: Path) -> None:
    dotenv = _write(tmp_path / "elsewhere.env", "export PIPENV_CACHE_DIR=/located\n")
    ctx = context("linux", {"PIPENV_DOTENV_LOCATION": str(dotenv)}, project=project)
    assert cache_dir("pipenv", ctx) == "/located"


@pytest.mark.parametrize("value", ["1", "true", "off", "No"])
def test_pipenv_boolean_value_is_an_error(value: str, project: Path) -> None:
    with pytest.raises(CacheDirectoryError, match="boolean"):
        cache_dir("pipenv", context("linux", {"PIPENV_CACHE_DIR": value}, project=project))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=1\n", {"A": "1"}),
        ("export A = spaced value   # comment\n", {"A": "spaced value"}),
        ("A='single ${X} \\' q'\n", {"A": "single x ' q"}),
        ('A="dq \\"x\\" ${Y:-dflt}"\n', {"A": 'dq "x" dflt'}),
        ("# comment\n\nA=a\nbroken line\nB=${A}b\n", {"A": "a", "B": "ab"}),
        ('A="multi\nline"\n', {"A": "multi\nline"}),
        ("A=a#not-a-comment\n", {"A": "a#not-a-comment"}),
        ("'Q K'=v\n", {"Q K": "v"}),
    ],
)
def test_parse_dotenv(text: str, expected: dict[str, str]) -> None:
    assert parse_dotenv(text, {"X": "x"}) == expected


# -- our platformdirs rules against platformdirs itself ------------------------------------------

PLATFORMDIRS_APPS: list[tuple[str, Literal[False] | None]] = [
    ("pypoetry", False),
    ("pdm", None),
    ("pipenv", None),
    ("pip", None),
]
PlatformDirs = (
    type[platformdirs.unix.Unix]
    | type[platformdirs.macos.MacOS]
    | type[platformdirs.windows.Windows]
)
PLATFORMDIRS_CLASSES: dict[OSFamily, PlatformDirs] = {
    "linux": platformdirs.unix.Unix,
    "macos": platformdirs.macos.MacOS,
    "windows": platformdirs.windows.Windows,
}


def _platformdirs_environ(os_family: OSFamily, xdg: bool) -> dict[str, str]:
    if os_family == "windows":
        return {
            "WIN_PD_OVERRIDE_LOCAL_APPDATA": LOCAL,
            "WIN_PD_OVERRIDE_APPDATA": "C:\\Users\\u\\AppData\\Roaming",
        }
    environ = {"HOME": HOMES[os_family]}
    if xdg:
        environ |= {"XDG_CACHE_HOME": "/xc", "XDG_CONFIG_HOME": "/xg", "XDG_CONFIG_DIRS": "/sd"}
    return environ


@pytest.mark.parametrize("xdg", [False, True])
@pytest.mark.parametrize("os_family", ["linux", "macos", "windows"])
@pytest.mark.parametrize(("appname", "appauthor"), PLATFORMDIRS_APPS)
def test_user_dirs_match_platformdirs(
    monkeypatch: pytest.MonkeyPatch,
    project: Path,
    appname: str,
    appauthor: Literal[False] | None,
    os_family: OSFamily,
    xdg: bool,
) -> None:
    environ = _platformdirs_environ(os_family, xdg)
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    ctx = context(os_family, environ, project=project)
    dirs = PLATFORMDIRS_CLASSES[os_family](appname, appauthor)

    def same(ours: Path, theirs: str) -> None:
        assert str(ours).replace("\\", "/") == theirs.replace("\\", "/")

    same(_common.user_cache_dir(ctx, appname, appauthor=appauthor), dirs.user_cache_dir)
    same(_common.user_config_dir(ctx, appname, appauthor=appauthor), dirs.user_config_dir)
    roaming = PLATFORMDIRS_CLASSES[os_family](appname, appauthor, roaming=True)
    same(
        _common.user_config_dir(ctx, appname, appauthor=appauthor, roaming=True),
        roaming.user_config_dir,
    )
    if os_family == "linux":
        same(_common.site_config_dir(ctx, appname, appauthor=appauthor), dirs.site_config_dir)


# -- the real tools -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """Environment and files (``{root}`` stands for the scenario's directory) of one check."""

    name: str
    environ: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    cwd: str = "project"


def _scenarios() -> Iterator[tuple[str, Scenario]]:
    yield from _common_scenarios()
    yield from _uv_scenarios()
    yield from _poetry_scenarios()
    yield from _pdm_scenarios()
    yield from _pipenv_scenarios()


def _common_scenarios() -> Iterator[tuple[str, Scenario]]:
    for tool, variable in TOOL_VARIABLES.items():
        yield tool, Scenario("default")
        yield tool, Scenario("xdg", {"XDG_CACHE_HOME": "{root}/xdg"})
        yield tool, Scenario("xdg-relative", {"XDG_CACHE_HOME": "rel/xdg"})
        yield tool, Scenario("variable", {variable: "{root}/from-env"})
        yield tool, Scenario("variable-relative", {variable: "rel-cache"})


def _uv_scenarios() -> Iterator[tuple[str, Scenario]]:
    user = {"home/.config/uv/uv.toml": 'cache-dir = "{root}/user"\n'}
    project = {"project/uv.toml": 'cache-dir = "{root}/project-uv-toml"\n'}
    yield "uv", Scenario("tilde-literal", {"UV_CACHE_DIR": "~/tilde"})
    yield "uv", Scenario("user-config", files=user)
    yield (
        "uv",
        Scenario(
            "xdg-config",
            {"XDG_CONFIG_HOME": "{root}/cfg"},
            {"cfg/uv/uv.toml": 'cache-dir = "/x"\n'},
        ),
    )
    yield "uv", Scenario("system-config", files={"sys/uv/uv.toml": 'cache-dir = "{root}/sys"\n'})
    yield "uv", Scenario("project-over-user", files=user | project)
    yield "uv", Scenario("env-over-project", {"UV_CACHE_DIR": "{root}/env"}, files=project)
    yield (
        "uv",
        Scenario(
            "parent-pyproject-relative",
            files={"project/pyproject.toml": '[tool.uv]\ncache-dir = "in-config"\n'},
            cwd="project/sub",
        ),
    )
    yield (
        "uv",
        Scenario(
            "skip-pyproject-without-tool-uv",
            files={
                "project/pyproject.toml": "[project]\nname = 'p'\n",
                "uv.toml": 'cache-dir="/r"',
            },
        ),
    )
    yield (
        "uv",
        Scenario(
            "config-file", {"UV_CONFIG_FILE": "{root}/custom.toml"}, project | {"custom.toml": ""}
        ),
    )
    yield "uv", Scenario("no-config", {"UV_NO_CONFIG": "1"}, files=user | project)
    yield (
        "uv",
        Scenario(
            "env-no-cache-false",
            {"UV_NO_CACHE": "0"},
            {"project/uv.toml": 'no-cache = true\ncache-dir = "/kept"\n'},
        ),
    )


def _poetry_scenarios() -> Iterator[tuple[str, Scenario]]:
    pyproject = {"project/pyproject.toml": "[project]\nname = 'p'\nversion = '1'\n"}
    local = {"project/poetry.toml": 'cache-dir = "{root}/local"\n'}
    glob = {"home/.config/pypoetry/config.toml": 'cache-dir = "{root}/global"\n'}
    yield "poetry", Scenario("tilde", {"POETRY_CACHE_DIR": "~/tilde"})
    yield "poetry", Scenario("global-config", files=glob)
    yield "poetry", Scenario("global-config-tilde", files={next(iter(glob)): 'cache-dir="~/t"'})
    yield (
        "poetry",
        Scenario(
            "xdg-config",
            {"XDG_CONFIG_HOME": "{root}/cfg"},
            {"cfg/pypoetry/config.toml": "cache-dir='/x'"},
        ),
    )
    yield (
        "poetry",
        Scenario(
            "config-dir-variable",
            {"POETRY_CONFIG_DIR": "{root}/pc"},
            {"pc/config.toml": 'cache-dir = "{root}/pc-cache"\n'},
        ),
    )
    yield "poetry", Scenario("local-over-global", files=pyproject | local | glob, cwd="project/sub")
    yield "poetry", Scenario("env-over-local", {"POETRY_CACHE_DIR": "/e"}, pyproject | local)


def _pdm_scenarios() -> Iterator[tuple[str, Scenario]]:
    pyproject = {"project/pyproject.toml": "[project]\nname = 'p'\nversion = '1'\n"}
    local = {"project/pdm.toml": 'cache_dir = "{root}/local"\n'}
    glob = {"home/.config/pdm/config.toml": 'cache_dir = "{root}/global"\n'}
    yield "pdm", Scenario("tilde", {"PDM_CACHE_DIR": "~/tilde"})
    yield "pdm", Scenario("global-config", files=glob)
    yield "pdm", Scenario("site-config", files={"sys/pdm/config.toml": 'cache_dir = "/site"\n'})
    yield (
        "pdm",
        Scenario(
            "xdg-config",
            {"XDG_CONFIG_HOME": "{root}/cfg"},
            {"cfg/pdm/config.toml": "cache_dir='/x'"},
        ),
    )
    yield (
        "pdm",
        Scenario(
            "config-file-variable",
            {"PDM_CONFIG_FILE": "{root}/custom.toml"},
            {"custom.toml": 'cache_dir = "{root}/custom"\n'},
        ),
    )
    yield "pdm", Scenario("project-over-global", files=pyproject | local | glob, cwd="project/sub")
    yield (
        "pdm",
        Scenario(
            "legacy-project-file-other-keys",
            files=pyproject | local | {"project/.pdm.toml": "[python]\nuse_venv = true\n"},
        ),
    )
    yield "pdm", Scenario("project-without-pyproject", files=local)
    yield "pdm", Scenario("env-over-project", {"PDM_CACHE_DIR": "/e"}, pyproject | local)


def _pipenv_scenarios() -> Iterator[tuple[str, Scenario]]:
    pipfile = {"project/Pipfile": "[packages]\n"}
    dotenv = {"project/.env": "export PIPENV_CACHE_DIR='{root}/dotenv'\n"}
    yield "pipenv", Scenario("dotenv", files=pipfile | dotenv)
    yield "pipenv", Scenario("dotenv-from-subdirectory", files=pipfile | dotenv, cwd="project/a/b")
    yield "pipenv", Scenario("dotenv-without-pipfile", files=dotenv)
    yield (
        "pipenv",
        Scenario(
            "dotenv-over-env", {"PIPENV_CACHE_DIR": "/env"}, pipfile | dotenv, cwd="project/a"
        ),
    )
    yield (
        "pipenv",
        Scenario(
            "dotenv-interpolation",
            {"BASE": "{root}/base"},
            pipfile | {"project/.env": 'PIPENV_CACHE_DIR="${BASE}/x" # c\n'},
        ),
    )
    yield (
        "pipenv",
        Scenario(
            "dont-load-env",
            {"PIPENV_DONT_LOAD_ENV": "1", "PIPENV_CACHE_DIR": "/e"},
            pipfile | dotenv,
        ),
    )
    yield (
        "pipenv",
        Scenario(
            "dotenv-location",
            {"PIPENV_DOTENV_LOCATION": "{root}/other.env"},
            {"other.env": "PIPENV_CACHE_DIR={root}/located\n"},
        ),
    )


SCENARIOS = sorted(_scenarios(), key=lambda item: (item[0], item[1].name))

# What each tool prints for its cache directory (pipenv has no command: ask its settings object
# after loading .env as its command line does).
_PIPENV_SCRIPT = (
    "from pipenv.project import Project\n"
    "from pipenv.utils.environment import load_dot_env\n"
    "project = Project()\n"
    "load_dot_env(project, quiet=True)\n"
    "print(project.s.PIPENV_CACHE_DIR)\n"
)
_COMMANDS: dict[str, tuple[str, ...]] = {
    "uv": ("uv", "cache", "dir"),
    "poetry": ("poetry", "config", "cache-dir"),
    "pdm": ("pdm", "config", "cache_dir"),
    "pipenv": ("python", "-c", _PIPENV_SCRIPT),
}


def _tool_command(tool: str) -> list[str]:
    executable, *arguments = _COMMANDS[tool]
    return [str(tool_executable(executable)), *arguments]


def _printed(completed: subprocess.CompletedProcess[str]) -> str:
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip().splitlines()[-1]


def _tool_answer(tool: str, environ: dict[str, str], cwd: Path) -> str:
    completed = subprocess.run(
        _tool_command(tool),
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return _printed(completed)


def _as_the_tool_uses_it(tool: str, printed: str, home: Path, cwd: Path) -> str:
    """The printed value as a path the tool opens: ``~`` expanded (not by uv), made absolute."""
    if tool != "uv" and (printed == "~" or printed.startswith("~/")):
        printed = str(home) + printed[1:]
    return str(cwd / printed)  # an absolute printed path replaces cwd


def _materialize(scenario: Scenario, root: Path) -> tuple[dict[str, str], Path]:
    for name, text in scenario.files.items():
        _write(root / name, text.replace("{root}", str(root)))
    cwd = root / scenario.cwd
    cwd.mkdir(parents=True, exist_ok=True)
    (root / "home").mkdir(exist_ok=True)
    environ = {
        "PATH": os.pathsep.join([str(tool_executable("python").parent), "/usr/bin", "/bin"]),
        "HOME": str(root / "home"),
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
        "PDM_CHECK_UPDATE": "false",
        "XDG_CONFIG_DIRS": str(root / "sys"),
    }
    environ |= {key: value.replace("{root}", str(root)) for key, value in scenario.environ.items()}
    return environ, cwd


@dataclass(frozen=True)
class RealRun:
    """One scenario run by the real tool."""

    root: Path
    cwd: Path
    environ: dict[str, str]
    completed: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RealRun]:
    """Every scenario run by its tool, several at a time (each tool start costs ~0.5-1 s)."""
    commands = {tool: _tool_command(tool) for tool in _COMMANDS}  # skips without the tools

    def run(tool: str, scenario: Scenario) -> RealRun:
        root = tmp_path_factory.mktemp(f"{tool}-{scenario.name}").resolve()
        environ, cwd = _materialize(scenario, root)
        completed = subprocess.run(
            commands[tool],
            cwd=cwd,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return RealRun(root, cwd, environ, completed)

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {f"{tool}-{s.name}": pool.submit(run, tool, s) for tool, s in SCENARIOS}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.tools
@pytest.mark.parametrize(
    ("tool", "scenario"), SCENARIOS, ids=[f"{tool}-{s.name}" for tool, s in SCENARIOS]
)
def test_matches_the_real_tool(
    tool: str, scenario: Scenario, real_runs: dict[str, RealRun]
) -> None:
    run = real_runs[f"{tool}-{scenario.name}"]
    printed = _printed(run.completed)
    ctx = CacheContext(
        os_family="linux" if sys.platform.startswith("linux") else "macos",
        environ=run.environ,
        home=run.root / "home",
        interpreter_prefix=Path(sys.prefix),
        project_directory=run.cwd,
    )
    assert cache_dir(tool, ctx) == _as_the_tool_uses_it(tool, printed, run.root / "home", run.cwd)


@pytest.mark.tools
def test_pdm_refuses_cache_dir_in_a_legacy_project_file(tmp_path: Path) -> None:
    files = {
        "project/pyproject.toml": "[project]\nname = 'p'\n",
        "project/.pdm.toml": "cache_dir='/l'",
    }
    environ, cwd = _materialize(Scenario("legacy", files=files), tmp_path.resolve())
    completed = subprocess.run(
        [str(tool_executable("pdm")), "config", "cache_dir"],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode != 0
    assert "not allowed to set in project config" in completed.stderr
    ctx = CacheContext("linux", environ, tmp_path / "home", Path(sys.prefix), cwd)
    with pytest.raises(CacheDirectoryError, match="refuses"):
        get_tool("pdm").cache_directory(ctx)


@pytest.mark.tools
def test_uv_no_cache_really_is_a_temporary_directory(tmp_path: Path) -> None:
    environ, cwd = _materialize(Scenario("no-cache", {"UV_NO_CACHE": "1"}), tmp_path.resolve())
    first = _tool_answer("uv", environ, cwd)
    assert first != _tool_answer("uv", environ, cwd), "uv should pick a new directory per run"
    ctx = CacheContext("linux", environ, tmp_path / "home", Path(sys.prefix), cwd)
    with pytest.raises(CacheDirectoryError):
        get_tool("uv").cache_directory(ctx)
