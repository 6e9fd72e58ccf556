"""Cache directories of uv, poetry, pipenv and pdm, computed in-process.

Two layers of checks (platformdirs' own rules are compared in test_platformdirs_oracle.py):

- per-OS defaults with the OS family passed in (no patching of the host);
- ``tools``: equality with the real tools (``uv cache dir``, ``poetry config cache-dir``,
  ``pdm config cache_dir``, pipenv's own settings object) run in an isolated HOME, over defaults,
  ``XDG_*``, ``HOME`` empty or relative, each tool's variables, user, system, project and
  workspace config files, and poetry and pdm running on older platformdirs releases.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cache_python_deps.errors import CacheDirectoryError, CachePythonDepsError
from cache_python_deps.tools import get_tool
from cache_python_deps.tools.base import CacheContext, OSFamily
from cache_python_deps.tools.pipenv import parse_dotenv
from cache_python_deps.tools.poetry import config_directory as poetry_config_directory
from tests.support import run_as_user
from tests.toolsenv import (
    platformdirs_target,
    release_executable,
    release_user_base,
    tool_executable,
    tool_releases,
)

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
    return str(get_tool(tool).cache_directory(ctx).path)


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
def test_tilde_user_in_tool_variable(tool: str, variable: str, project: Path) -> None:
    # The Python tools expand ``~user`` too (``Path.expanduser``; pipenv's pip
    # ``os.path.expanduser``): that user's home in the password database. uv does not.
    value = f"~{pwd.getpwuid(os.getuid()).pw_name}/c"
    expected = str(project / value) if tool == "uv" else str(Path(value).expanduser())
    assert cache_dir(tool, context("linux", {variable: value}, project=project)) == expected


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
    assert cache_dir("poetry", ctx) == "/global", "poetry rejects a project without a name"
    _write(project / "pyproject.toml", "[tool.poetry]\npackage-mode = false\n")
    assert cache_dir("poetry", ctx) == "/local"
    _write(home / ".config/pypoetry/auth.toml", 'cache-dir = "/auth"\n')
    assert cache_dir("poetry", ctx) == "/local"
    (project / "poetry.toml").unlink()
    assert cache_dir("poetry", ctx) == "/auth", "poetry merges auth.toml over config.toml"
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


# -- the real tools -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """Environment and files (``{root}`` stands for the scenario's directory) of one check."""

    name: str
    environ: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # a name ending in "/": a directory
    cwd: str = "project"
    # The environment of tests/tool-releases.txt to run (None: the tools venv's release).
    release: str | None = None
    # Run only on this host (``sys.platform``), for rules of one OS.
    host: str | None = None

    @property
    def id(self) -> str:
        return self.name if self.release is None else f"{self.release}-{self.name}"


def _scenarios() -> Iterator[tuple[str, Scenario]]:
    yield from _common_scenarios()
    yield from _home_scenarios()
    yield from _uv_scenarios()
    yield from _uv_workspace_scenarios()
    yield from _poetry_scenarios()
    yield from _poetry_project_scenarios()
    yield from _poetry_auth_scenarios()
    yield from _poetry_platformdirs_scenarios()
    yield from _pdm_scenarios()
    yield from _pipenv_scenarios()
    yield from _older_platformdirs_scenarios()


def _common_scenarios() -> Iterator[tuple[str, Scenario]]:
    for tool, variable in TOOL_VARIABLES.items():
        yield tool, Scenario("default")
        yield tool, Scenario("xdg", {"XDG_CACHE_HOME": "{root}/xdg"})
        yield tool, Scenario("xdg-relative", {"XDG_CACHE_HOME": "rel/xdg"})
        yield tool, Scenario("variable", {variable: "{root}/from-env"})
        yield tool, Scenario("variable-relative", {variable: "rel-cache"})


def _home_scenarios() -> Iterator[tuple[str, Scenario]]:
    """``HOME`` empty or relative: the password database, or the working directory."""
    for tool in TOOL_VARIABLES:
        yield tool, Scenario("home-empty", {"HOME": ""})
        yield tool, Scenario("home-relative", {"HOME": "relhome"})
        yield tool, Scenario("home-relative-xdg", {"HOME": "relhome", "XDG_CACHE_HOME": "{root}/x"})


# A uv workspace: its root (with a project) lists packages/*; a member has settings of its own.
_WORKSPACE_ROOT = (
    '[project]\nname = "ws"\nversion = "1"\n'
    '[tool.uv.workspace]\nmembers = ["packages/*"]\n'
    '[tool.uv]\ncache-dir = "{root}/root-cache"\n'
)
_MEMBER = '[project]\nname = "a"\nversion = "1"\n[tool.uv]\ncache-dir = "{root}/member-cache"\n'
_WORKSPACE = {
    "project/pyproject.toml": _WORKSPACE_ROOT,
    "project/packages/a/pyproject.toml": _MEMBER,
}


def _uv_workspace_scenarios() -> Iterator[tuple[str, Scenario]]:
    member = "project/packages/a"
    yield "uv", Scenario("workspace-member-reads-the-root", files=_WORKSPACE, cwd=member)
    yield (
        "uv",
        Scenario(
            "workspace-member-uv-toml-unread",
            files=_WORKSPACE | {f"{member}/sub/uv.toml": 'cache-dir = "{root}/sub"\n'},
            cwd=f"{member}/sub",
        ),
    )
    not_listed = _WORKSPACE_ROOT.replace("packages/*", "other/*")
    yield (
        "uv",
        Scenario(
            "not-a-member-reads-its-own",
            files=_WORKSPACE | {"project/pyproject.toml": not_listed},
            cwd=member,
        ),
    )
    excluded = _WORKSPACE_ROOT.replace(
        'members = ["packages/*"]', 'members = ["packages/*"]\nexclude = ["packages/a"]'
    )
    yield (
        "uv",
        Scenario(
            "excluded-member-reads-its-own",
            files=_WORKSPACE | {"project/pyproject.toml": excluded},
            cwd=member,
        ),
    )
    plain = {
        "project/pyproject.toml": '[project]\nname = "p"\nversion = "1"\n',
        "project/sub/uv.toml": 'cache-dir = "{root}/sub"\n',
    }
    yield "uv", Scenario("project-subdirectory-uv-toml-unread", files=plain, cwd="project/sub")
    yield (
        "uv",
        Scenario("uv-project", {"UV_PROJECT": "{root}/" + member}, _WORKSPACE, cwd="elsewhere"),
    )
    yield (
        "uv",
        Scenario(
            "uv-project-relative-file", {"UV_PROJECT": "packages/a/pyproject.toml"}, _WORKSPACE
        ),
    )
    yield "uv", Scenario("uv-working-dir", {"UV_WORKING_DIR": "packages/a"}, _WORKSPACE)
    yield (
        "uv",
        Scenario(
            "uv-working-dir-relative-cache",
            {"UV_WORKING_DIR": "packages/a", "UV_CACHE_DIR": "rel"},
            _WORKSPACE,
        ),
    )
    yield "uv", Scenario("uv-working-directory", {"UV_WORKING_DIRECTORY": "packages/a"}, _WORKSPACE)
    yield (
        "uv",
        Scenario(
            "uv-working-dir-over-working-directory",
            {"UV_WORKING_DIR": "packages/a", "UV_WORKING_DIRECTORY": "nowhere"},
            _WORKSPACE,
        ),
    )


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
            "config-file-beats-no-config",
            {"UV_CONFIG_FILE": "{root}/custom.toml", "UV_NO_CONFIG": "1"},
            project | {"custom.toml": 'cache-dir = "{root}/custom"\n'},
        ),
    )
    system = {"sys/uv/uv.toml": 'cache-dir = "{root}/sys"\n'}
    yield "uv", Scenario("system-config-empty-entries", {"XDG_CONFIG_DIRS": "::{root}/sys"}, system)
    yield (
        "uv",
        Scenario(
            "system-config-first-existing", {"XDG_CONFIG_DIRS": "{root}/none:{root}/sys"}, system
        ),
    )
    yield "uv", Scenario("system-config-relative-entry", {"XDG_CONFIG_DIRS": "../sys"}, system)
    yield "uv", Scenario("no-system-config", {"UV_NO_SYSTEM_CONFIG": "1"}, system)
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
    config = next(iter(glob))
    yield (
        "poetry",
        Scenario(
            "data-dir-reference-from-env",
            {"POETRY_DATA_DIR": "{root}/data"},
            {config: 'cache-dir = "{data-dir}/cache"\n'},
        ),
    )
    yield (
        "poetry",
        Scenario(
            "data-dir-reference-from-poetry-home",
            {"POETRY_HOME": "{root}/poetry-home"},
            {config: 'cache-dir = "{data-dir}/cache"\n'},
        ),
    )
    yield (
        "poetry",
        Scenario(
            "data-dir-reference-default",
            {"XDG_DATA_HOME": "{root}/xdg-data"},
            {config: 'cache-dir = "{data-dir}/cache"\n'},
        ),
    )
    yield (
        "poetry",
        Scenario(
            "data-dir-reference-in-config",
            files={config: 'cache-dir = "{data-dir}/cache"\ndata-dir = "{root}/configured-data"\n'},
        ),
    )
    yield (
        "poetry",
        Scenario(
            "reference-in-local-to-global",
            files=pyproject
            | {"project/poetry.toml": 'cache-dir = "{data-dir}/local"\n'}
            | {config: 'data-dir = "{root}/global-data"\n'},
        ),
    )
    yield (
        "poetry",
        Scenario("unknown-reference-stays", {"POETRY_CACHE_DIR": "{root}/{nothing-here}/c"}),
    )


# pyproject.toml files poetry accepts or rejects as a project, release by release: a rejected one
# hides the project's poetry.toml from `poetry config` (poetry install stops on it).
_POETRY_PYPROJECTS = {
    "no-poetry-table": "[tool.black]\nline-length = 99\n",
    "build-system-only": '[build-system]\nrequires = ["setuptools"]\n',
    "empty-tool-poetry": "[tool.poetry]\n",
    "tool-poetry-name-version": '[tool.poetry]\nname = "a"\nversion = "1"\n',
    "tool-poetry-complete": (
        '[tool.poetry]\nname = "a"\nversion = "1"\ndescription = ""\nauthors = []\n'
    ),
    "tool-poetry-multiline-description": (
        '[tool.poetry]\nname = "a"\nversion = "1"\ndescription = """x\ny"""\nauthors = []\n'
    ),
    "tool-poetry-version-not-a-string": (
        '[tool.poetry]\nname = "a"\nversion = 1\ndescription = ""\nauthors = []\n'
    ),
    "tool-poetry-authors-not-a-list": (
        '[tool.poetry]\nname = "a"\nversion = "1"\ndescription = ""\nauthors = "me"\n'
    ),
    "package-mode-false": "[tool.poetry]\npackage-mode = false\n",
    "package-mode-not-a-boolean": '[tool.poetry]\npackage-mode = "no"\n',
    "project-table": "[project]\nname = 'p'\nversion = '1'\n",
    "project-dynamic-version": '[project]\nname = "p"\ndynamic = ["version"]\n',
    "project-dynamic-version-in-tool-poetry": (
        '[project]\nname = "p"\ndynamic = ["version"]\n[tool.poetry]\nversion = "1"\n'
    ),
    "project-name-not-a-string": "[project]\nname = 1\nversion = '1'\n",
    "project-not-a-table": 'project = "p"\n[tool.poetry]\npackage-mode = false\n',
    "tool-not-a-table": "tool = 1\n",
    "tool-poetry-not-a-table": "[tool]\npoetry = 1\n",
    "tool-poetry-name-not-a-string": '[tool.poetry]\nname = 1\nversion = "1"\n',
    "project-version-not-a-string": '[project]\nname = "p"\nversion = 1\n',
}


def _poetry_project_scenarios() -> Iterator[tuple[str, Scenario]]:
    local = {"project/poetry.toml": 'cache-dir = "{root}/local"\n'}
    glob = {"home/.config/pypoetry/config.toml": 'cache-dir = "{root}/global"\n'}
    for label, text in _POETRY_PYPROJECTS.items():
        files = {"project/pyproject.toml": text} | local | glob
        yield "poetry", Scenario(f"pyproject-{label}", files=files, cwd="project/sub")


def _poetry_auth_scenarios() -> Iterator[tuple[str, Scenario]]:
    """auth.toml, which poetry merges over config.toml (and poetry.toml over both)."""
    config = "home/.config/pypoetry/config.toml"
    auth = "home/.config/pypoetry/auth.toml"
    accepted = {"project/pyproject.toml": "[tool.poetry]\npackage-mode = false\n"}
    yield "poetry", Scenario("auth-toml", files={auth: 'cache-dir = "{root}/auth"\n'})
    yield (
        "poetry",
        Scenario(
            "auth-toml-over-config-toml",
            files={auth: 'cache-dir = "{root}/auth"\n', config: 'cache-dir = "{root}/c"\n'},
        ),
    )
    yield (
        "poetry",
        Scenario(
            "poetry-toml-over-auth-toml",
            files=accepted
            | {"project/poetry.toml": 'cache-dir = "{root}/local"\n'}
            | {auth: 'cache-dir = "{root}/auth"\n'},
        ),
    )
    yield (
        "poetry",
        Scenario(
            "auth-toml-in-config-dir-variable",
            {"POETRY_CONFIG_DIR": "{root}/pc"},
            {"pc/auth.toml": 'cache-dir = "{root}/pc-auth"\n'},
        ),
    )
    yield (
        "poetry",
        Scenario(
            "auth-toml-data-dir-reference",
            files={
                auth: 'data-dir = "{root}/auth-data"\n',
                config: 'cache-dir = "{data-dir}/cache"\n',
            },
        ),
    )


def _poetry_platformdirs_scenarios() -> Iterator[tuple[str, Scenario]]:
    """Relative XDG values: kept (relative to the working directory) by platformdirs before
    4.11.8 (poetry 1.8's 4.2.0), ignored from 4.11.8."""
    yield "poetry", Scenario("xdg-cache-padded-relative", {"XDG_CACHE_HOME": " rel/x "})
    yield (
        "poetry",
        Scenario(
            "xdg-config-relative",
            {"XDG_CONFIG_HOME": "relcfg"},
            {"project/relcfg/pypoetry/config.toml": 'cache-dir = "{root}/relcfg-cache"\n'},
        ),
    )
    yield "poetry", Scenario("xdg-data-relative", {"XDG_DATA_HOME": "reldata"}, _DATA_DIR_CONFIG)
    # Poetry 1 on macOS: a config.toml (or auth.toml) in the platformdirs 2 location wins.
    legacy = {"home/Library/Preferences/pypoetry/config.toml": 'cache-dir = "{root}/legacy"\n'}
    yield "poetry", Scenario("macos-legacy-preferences", files=legacy, host="darwin")


_DATA_DIR_CONFIG = {"home/.config/pypoetry/config.toml": 'cache-dir = "{data-dir}/cache"\n'}


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
    other = {
        "other/pyproject.toml": "[project]\nname = 'o'\nversion = '1'\n",
        "other/pdm.toml": 'cache_dir = "{root}/other"\n',
    }
    yield "pdm", Scenario("pdm-project", {"PDM_PROJECT": "{root}/other"}, pyproject | local | other)
    yield "pdm", Scenario("pdm-project-relative", {"PDM_PROJECT": "../other"}, local | other)
    yield "pdm", Scenario("pdm-project-empty", {"PDM_PROJECT": ""}, pyproject | local | other)
    site = {"sys/pdm/config.toml": 'cache_dir = "{root}/site"\n'}
    # A config path that is a directory: skipped before pdm 2.26.2, which stops on it.
    yield (
        "pdm",
        Scenario(
            "project-config-is-a-directory", files=pyproject | glob | {"project/pdm.toml/": ""}
        ),
    )
    yield (
        "pdm",
        Scenario(
            "config-file-variable-is-a-directory",
            {"PDM_CONFIG_FILE": "{root}/cfgdir"},
            {"cfgdir/": ""} | site,
        ),
    )
    yield "pdm", Scenario("site-config-empty-entries", {"XDG_CONFIG_DIRS": "::{root}/sys"}, site)
    yield (
        "pdm",
        Scenario("site-config-relative-entry", {"XDG_CONFIG_DIRS": "../sys:{root}/sys"}, site),
    )


def _pipenv_scenarios() -> Iterator[tuple[str, Scenario]]:
    pipfile = {"project/Pipfile": "[packages]\n"}
    dotenv = {"project/.env": "export PIPENV_CACHE_DIR='{root}/dotenv'\n"}
    bom = {"project/.env": "\ufeffPIPENV_CACHE_DIR={root}/bom\n"}
    yield (
        "pipenv",
        Scenario("dotenv-with-byte-order-mark", {"PIPENV_CACHE_DIR": "/e"}, pipfile | bom),
    )
    yield "pipenv", Scenario("xdg-tilde", {"XDG_CACHE_HOME": "~/xdg"})
    yield "pipenv", Scenario("xdg-padded-relative", {"XDG_CACHE_HOME": "  rel/x  "})
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


def _older_platformdirs_scenarios() -> Iterator[tuple[str, Scenario]]:
    """poetry and pdm on older platformdirs releases ({pd:VERSION}: that release's folder)."""
    cases = [
        ("4.5.1", {"HOME": ""}),
        ("4.5.1", {"XDG_CACHE_HOME": " rel/x "}),
        ("4.11.7", {"XDG_CACHE_HOME": " rel/x "}),
        ("4.11.8", {"XDG_CACHE_HOME": " rel/x "}),
        ("4.12.0", {"HOME": ""}),
        ("4.12.0", {"HOME": "relhome"}),
        ("4.14.0", {"HOME": "relhome"}),
        ("4.14.2", {"XDG_CACHE_HOME": " {root}/x "}),
        ("4.14.3", {"XDG_CACHE_HOME": " {root}/x "}),
    ]
    for tool in ("poetry", "pdm"):
        for version, environ in cases:
            label = "-".join(f"{k}={v.strip() or 'empty'}" for k, v in environ.items())
            name = f"platformdirs-{version}-{label}".replace("{root}/", "").replace("/", "_")
            yield tool, Scenario(name, {"PYTHONPATH": f"{{pd:{version}}}", **environ})


REFUSALS = [
    ("uv", Scenario("uv-project-missing", {"UV_PROJECT": "nowhere"})),
    ("uv", Scenario("uv-working-dir-missing", {"UV_WORKING_DIR": "nowhere"})),
    ("uv", Scenario("uv-working-directory-missing", {"UV_WORKING_DIRECTORY": "nowhere"})),
    ("uv", Scenario("uv-project-empty", {"UV_PROJECT": ""})),
    (
        "poetry",
        Scenario(
            "self-reference",
            files={"home/.config/pypoetry/config.toml": 'cache-dir = "{cache-dir}/x"\n'},
        ),
    ),
    (
        "uv",
        Scenario(
            "uv-project-missing-beside-a-config",
            {"UV_PROJECT": "nowhere"},
            {"project/uv.toml": 'cache-dir = "{root}/beside"\n'},
        ),
    ),
    (
        "poetry",
        Scenario(
            "unparsable-pyproject",
            files={"project/pyproject.toml": "[tool.poetry\n", "project/poetry.toml": ""},
        ),
    ),
    ("pdm", Scenario("config-file-empty", {"PDM_CONFIG_FILE": ""})),
    (
        "pdm",
        Scenario(
            "config-file-empty-with-a-global-config",
            {"PDM_CONFIG_FILE": ""},
            {"home/.config/pdm/config.toml": 'cache_dir = "{root}/global"\n'},
        ),
    ),
]


def _release_scenarios() -> Iterator[tuple[str, Scenario]]:
    """Each tool's scenarios and refusals again, on each older release of it.

    Releases on both sides of every rule change (tests/tool-releases.txt); the platformdirs
    scenarios are left out (they vary platformdirs, not the tool). ``CPD_SKIP_TOOL_RELEASES``
    leaves them all out (the drift check, scripts/tool_drift.py, runs the newest releases only).
    """
    if os.environ.get("CPD_SKIP_TOOL_RELEASES"):
        return
    own = [
        (tool, scenario)
        for tool, scenario in [*_scenarios(), *REFUSALS]
        if not scenario.name.startswith("platformdirs-")
    ]
    for release in tool_releases():
        tool = release.split("-")[0]
        for scenario_tool, scenario in own:
            if scenario_tool == tool:
                yield tool, dataclasses.replace(scenario, release=release)


SCENARIOS = sorted([*_scenarios(), *_release_scenarios()], key=lambda item: (item[0], item[1].id))

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


def _executable(name: str, release: str | None) -> Path:
    return tool_executable(name) if release is None else release_executable(release, name)


def _tool_command(tool: str, release: str | None = None) -> list[str]:
    executable, *arguments = _COMMANDS[tool]
    return [str(_executable(executable, release)), *arguments]


def _printed(completed: subprocess.CompletedProcess[str]) -> str:
    assert completed.returncode == 0, completed.stderr
    # The last line as printed: a path may start or end with spaces (an unstripped XDG value).
    return [line for line in completed.stdout.splitlines() if line.strip()][-1]


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


def _as_the_tool_uses_it(tool: str, printed: str, environ: Mapping[str, str], cwd: Path) -> str:
    """The printed value as a path the tool opens: ``~`` expanded (not by uv), made absolute.

    uv's relative paths are relative to its working directory (``UV_WORKING_DIR`` first).
    """
    if tool != "uv" and (printed == "~" or printed.startswith("~/")):
        printed = environ["HOME"] + printed[1:]
    if tool == "uv":
        cwd = cwd / (environ.get("UV_WORKING_DIR") or environ.get("UV_WORKING_DIRECTORY") or "")
    return os.path.normpath(cwd / printed)  # an absolute printed path replaces cwd


def _substitute(value: str, root: Path) -> str:
    """``{root}`` and ``{pd:VERSION}`` (a platformdirs release's folder) in a scenario value."""
    value = value.replace("{root}", str(root))
    if value.startswith("{pd:") and value.endswith("}"):
        return str(platformdirs_target(value[4:-1]))
    return value


def _materialize(scenario: Scenario, root: Path) -> tuple[dict[str, str], Path]:
    for name, text in scenario.files.items():
        if name.endswith("/"):
            (root / name).mkdir(parents=True, exist_ok=True)
        else:
            _write(root / name, text.replace("{root}", str(root)))
    cwd = root / scenario.cwd
    cwd.mkdir(parents=True, exist_ok=True)
    (root / "home").mkdir(exist_ok=True)
    tools = _executable("python", scenario.release).parent
    environ = {
        "PATH": os.pathsep.join([str(tools), "/usr/bin", "/bin"]),
        "HOME": str(root / "home"),
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
        "PDM_CHECK_UPDATE": "false",
        "XDG_CONFIG_DIRS": str(root / "sys"),
    }
    user_base = None if scenario.release is None else release_user_base(scenario.release)
    if user_base is not None:
        environ["PYTHONUSERBASE"] = str(user_base)
    environ |= {key: _substitute(value, root) for key, value in scenario.environ.items()}
    return environ, cwd


@dataclass(frozen=True)
class RealRun:
    """One scenario run by the real tool."""

    root: Path
    cwd: Path
    environ: dict[str, str]
    completed: subprocess.CompletedProcess[str]


def _is_uv_temporary_cache(tool: str, stdout: str) -> bool:
    """Whether uv printed the fresh temporary directory of a disabled cache (``no-cache``)."""
    printed = Path(stdout.strip().splitlines()[-1]) if stdout.strip() else None
    return (
        tool == "uv"
        and printed is not None
        and printed.name.startswith(".tmp")
        and printed.parent == Path(tempfile.gettempdir())
    )


def _run_id(tool: str, scenario: Scenario) -> str:
    return f"{tool}-{scenario.id}"


@pytest.fixture(scope="module")
def real_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, RealRun]:
    """The scenarios this session selected, each run by its tool, several at a time (each tool
    start costs ~0.5-1 s)."""
    selected = {item.callspec.id for item in request.session.items if hasattr(item, "callspec")}
    wanted = [(tool, s) for tool, s in SCENARIOS if _run_id(tool, s) in selected]
    releases = {(tool, s.release) for tool, s in wanted}
    commands = {key: _tool_command(*key) for key in releases}  # installs missing releases
    tmp_path_factory.getbasetemp()  # made once here, not raced for by the threads below

    def run(tool: str, scenario: Scenario) -> RealRun:
        root = tmp_path_factory.mktemp(_run_id(tool, scenario)).resolve()
        environ, cwd = _materialize(scenario, root)
        completed = subprocess.run(
            commands[(tool, scenario.release)],
            cwd=cwd,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return RealRun(root, cwd, environ, completed)

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {_run_id(tool, s): pool.submit(run, tool, s) for tool, s in wanted}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.tools
@pytest.mark.parametrize(
    ("tool", "scenario"), SCENARIOS, ids=[_run_id(tool, s) for tool, s in SCENARIOS]
)
def test_matches_the_real_tool(
    tool: str, scenario: Scenario, real_runs: dict[str, RealRun]
) -> None:
    """Ours names the directory the real tool names, or refuses (one line) where it fails."""
    if scenario.host is not None and sys.platform != scenario.host:
        pytest.skip(f"a rule of {scenario.host} hosts")
    run = real_runs[_run_id(tool, scenario)]
    ctx = CacheContext(
        os_family="linux" if sys.platform.startswith("linux") else "macos",
        environ=run.environ,
        home=run.root / "home",
        interpreter_prefix=Path(sys.prefix),
        project_directory=run.cwd,
    )
    if run.completed.returncode != 0 or _is_uv_temporary_cache(tool, run.completed.stdout):
        with pytest.raises(CachePythonDepsError) as raised:
            cache_dir(tool, ctx)
        assert "\n" not in str(raised.value)
        return
    printed = _printed(run.completed)
    assert os.path.normpath(cache_dir(tool, ctx)) == _as_the_tool_uses_it(
        tool, printed, run.environ, run.cwd
    )


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


# -- what the real tools refuse, we refuse --------------------------------------------------


@pytest.mark.tools
@pytest.mark.parametrize(
    ("tool", "scenario"), REFUSALS, ids=[f"{tool}-{s.name}" for tool, s in REFUSALS]
)
def test_refused_where_the_real_tool_fails(tool: str, scenario: Scenario, tmp_path: Path) -> None:
    environ, cwd = _materialize(scenario, tmp_path.resolve())
    completed = subprocess.run(
        _tool_command(tool), cwd=cwd, env=environ, capture_output=True, text=True, check=False
    )
    assert completed.returncode != 0, completed.stdout
    ctx = CacheContext("linux", environ, tmp_path / "home", Path(sys.prefix), cwd)
    with pytest.raises(CachePythonDepsError) as raised:
        get_tool(tool).cache_directory(ctx)
    assert "\n" not in str(raised.value)


# -- sources: where each directory came from, for one-line messages ----------------------------

SOURCES = [
    ("uv", {"UV_CACHE_DIR": "/e"}, {}, "UV_CACHE_DIR"),
    ("uv", {}, {"uv.toml": 'cache-dir = "/c"\n'}, "cache-dir in {project}/uv.toml"),
    (
        "uv",
        {},
        {"pyproject.toml": '[tool.uv]\ncache-dir = "/c"\n'},
        "[tool.uv] cache-dir in {project}/pyproject.toml",
    ),
    ("uv", {}, {}, "uv's default"),
    ("uv", {"XDG_CACHE_HOME": "/x"}, {}, "XDG_CACHE_HOME"),
    ("poetry", {"POETRY_CACHE_DIR": "/e"}, {}, "POETRY_CACHE_DIR"),
    ("poetry", {}, {}, "poetry's default"),
    (
        "poetry",
        {},
        {
            "pyproject.toml": "[project]\nname='p'\nversion='1'\n",
            "poetry.toml": 'cache-dir = "/c"\n',
        },
        "cache-dir in {project}/poetry.toml",
    ),
    ("pdm", {"PDM_CACHE_DIR": "/e"}, {}, "PDM_CACHE_DIR"),
    ("pdm", {}, {"pdm.toml": 'cache_dir = "/c"\n'}, "cache_dir in {project}/pdm.toml"),
    ("pdm", {}, {}, "pdm's default"),
    ("pipenv", {"PIPENV_CACHE_DIR": "/e"}, {}, "PIPENV_CACHE_DIR"),
    ("pipenv", {}, {".env": "PIPENV_CACHE_DIR=/c\n"}, "PIPENV_CACHE_DIR in {project}/.env"),
    ("pipenv", {}, {}, "pipenv's default"),
]


@pytest.mark.parametrize(("tool", "environ", "files", "source"), SOURCES)
def test_source_names_the_file_or_variable(
    tool: str, environ: dict[str, str], files: dict[str, str], source: str, project: Path
) -> None:
    for name, text in files.items():
        _write(project / name, text)
    found = get_tool(tool).cache_directory(context("linux", environ, project=project))
    assert found.source == source.format(project=project)


# -- homes ---------------------------------------------------------------------------------

NO_HOME_UID = 54321  # a uid with no entry in the password database


def _no_home_user() -> int:
    """A uid without a password entry that this process may switch to (it needs root)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("only root can run a process as a user missing from the password database")
    with pytest.raises(KeyError):
        pwd.getpwuid(NO_HOME_UID)
    return NO_HOME_UID


def _run_as(uid: int, command: list[str], cwd: Path, env: dict[str, str]) -> str:
    """What ``command`` prints last, run as ``uid``."""
    return _printed(run_as_user(uid, command, cwd=cwd, env=env))


@pytest.fixture
def shared_directory() -> Iterator[Path]:
    """A directory any user may enter (pytest's own are private to their owner), removed after."""
    directory = Path(tempfile.mkdtemp(prefix="cpd-shared-"))
    directory.chmod(0o777)
    yield directory
    shutil.rmtree(directory)


def _no_home_context(environ: Mapping[str, str], cwd: Path) -> CacheContext:
    return CacheContext("linux", dict(environ), None, Path(sys.prefix), cwd)


@pytest.mark.tools
def test_uv_without_any_home_uses_dot_uv_cache_in_the_working_directory(
    shared_directory: Path,
) -> None:
    uid = _no_home_user()
    cwd = shared_directory
    for environ in ({"PATH": "/usr/bin:/bin"}, {"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": "/x"}):
        printed = _run_as(uid, [str(tool_executable("uv")), "cache", "dir"], cwd, environ)
        assert printed == ".uv_cache"  # what uv really does, not what we compute
        found = get_tool("uv").cache_directory(_no_home_context(environ, cwd))
        assert found.path == cwd / printed


@pytest.mark.parametrize("tool", ["poetry", "pdm", "pipenv"])
def test_python_tools_without_any_home_are_one_line_errors(tool: str, project: Path) -> None:
    # poetry and pdm (platformdirs 4.14) raise RuntimeError; pipenv would cache in "./~".
    with pytest.raises(CacheDirectoryError) as raised:
        get_tool(tool).cache_directory(_no_home_context({}, project))
    assert "home" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_home_empty_and_relative_are_read_per_tool(project: Path) -> None:
    account = pwd.getpwuid(os.getuid()).pw_dir
    empty = {"HOME": ""}
    relative = {"HOME": "rel"}
    # uv (Rust): an empty HOME is unset, a relative one is used as it is.
    assert cache_dir("uv", context("linux", empty, project=project)) == f"{account}/.cache/uv"
    assert cache_dir("uv", context("linux", relative, project=project)) == str(
        project / "rel/.cache/uv"
    )
    # pipenv (platformdirs 4.10.0, os.path.expanduser): HOME as it is.
    assert cache_dir("pipenv", context("linux", empty, project=project)) == "/.cache/pipenv"
    assert cache_dir("pipenv", context("linux", relative, project=project)) == str(
        project / "rel/.cache/pipenv"
    )


# -- uv's user config: skipped when it cannot be read for lack of permission -------------------

_OURS_AS_ANOTHER_USER = """
import json, sys
from pathlib import Path
from cache_python_deps.tools import get_tool
from cache_python_deps.tools.base import CacheContext
environ = json.loads(sys.argv[2])
context = CacheContext("linux", environ, Path(environ["HOME"]), Path(sys.prefix), Path.cwd())
print(get_tool(sys.argv[1]).cache_directory(context).path)
"""


@pytest.mark.tools
def test_uv_skips_a_user_config_it_may_not_read(shared_directory: Path) -> None:
    uid = _no_home_user()
    root = shared_directory
    home, cwd = root / "home", root / "project"
    config = _write(home / ".config/uv/uv.toml", f'cache-dir = "{root}/user"\n')
    cwd.mkdir()
    config.chmod(0o000)
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    real = _run_as(uid, [str(tool_executable("uv")), "cache", "dir"], cwd, environ)
    # Ours runs as that user too (os.access answers for the process asking), in a Python that
    # user may start (this test's interpreter may live in root's home), stdlib-only as the action.
    source = Path(__file__).resolve().parent.parent / "src"
    script = f"import sys; sys.path.insert(0, {str(source)!r})\n{_OURS_AS_ANOTHER_USER}"
    ours = _run_as(
        uid, ["/usr/bin/python3", "-I", "-c", script, "uv", json.dumps(environ)], cwd, environ
    )
    assert real == str(home / ".cache/uv")  # uv skipped the unreadable file
    assert ours == real
    config.chmod(0o644)
    assert cache_dir("uv", context("linux", environ, project=cwd, home=home)) == f"{root}/user"


def test_pipenv_inherits_pips_ownership_check(tmp_path: Path) -> None:
    """pipenv hands its cache to pip as PIP_CACHE_DIR: pip's ownership check decides."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("only root can give a directory to another owner")
    home = tmp_path / "github-home"
    home.mkdir()
    os.chown(home, 1001, 1001)
    environ = {"HOME": str(home)}
    as_root = CacheContext("linux", environ, home, Path(sys.prefix), tmp_path, effective_uid=0)
    with pytest.raises(CacheDirectoryError, match=r"pip disables its cache: .* uid 1001"):
        get_tool("pipenv").cache_directory(as_root)
    owned = tmp_path / "owned"
    fixed = CacheContext(
        "linux",
        {**environ, "PIPENV_CACHE_DIR": str(owned)},
        home,
        Path(sys.prefix),
        tmp_path,
        effective_uid=0,
    )
    assert get_tool("pipenv").cache_directory(fixed).path == owned


# -- rules of one release, with that release "installed" (its METADATA) -----------------------


def _installed_tool(root: Path, tool: str, version: str) -> str:
    """A PATH entry with ``tool``'s script, whose environment says it is ``version``."""
    environment = root / f"{tool}-{version}"
    (environment / "bin").mkdir(parents=True)
    (environment / "bin" / tool).write_text("#!/bin/sh\nexit 1\n")
    (environment / "bin" / tool).chmod(0o755)
    info = environment / "lib/python3.11/site-packages" / f"{tool}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {tool}\nVersion: {version}\n")
    return str(environment / "bin")


@pytest.mark.parametrize(("version", "legacy"), [("1.8.5", True), ("2.0.0", False)])
def test_poetry_1_on_macos_prefers_the_legacy_preferences_directory(
    tmp_path: Path, project: Path, version: str, legacy: bool
) -> None:
    """Poetry 1.x (from 1.5) reads ~/Library/Preferences/pypoetry when a config file is there
    (read in poetry's locations.py at 1.5.0 and 1.8.5; gone in 2.0.0). Run against the real
    poetry only on macOS hosts (the ``macos-legacy-preferences`` scenario)."""
    home = _home(tmp_path)
    _write(home / "Library/Preferences/pypoetry/config.toml", 'cache-dir = "/legacy"\n')
    _write(home / "Library/Application Support/pypoetry/config.toml", 'cache-dir = "/current"\n')
    environ = {"PATH": _installed_tool(tmp_path, "poetry", version)}
    ctx = context("macos", environ, project=project, home=home)
    assert cache_dir("poetry", ctx) == ("/legacy" if legacy else "/current")
    (home / "Library/Preferences/pypoetry/config.toml").unlink()
    _write(home / "Library/Preferences/pypoetry/auth.toml", "")
    # An auth.toml alone moves poetry 1 there too (and its config.toml is not read then).
    default = str(home / "Library/Caches/pypoetry")
    assert cache_dir("poetry", ctx) == (default if legacy else "/current")
