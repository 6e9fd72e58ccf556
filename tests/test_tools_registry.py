"""The tool registry: lookup by name, lazy imports, and ``auto`` detection on sample projects."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cache_python_deps.errors import UnknownToolError
from cache_python_deps.tools import TOOL_NAMES, detect_tool, get_tool
from cache_python_deps.tools.base import CacheContext, Tool


def _write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_get_tool_returns_the_named_tool(name: str) -> None:
    tool = get_tool(name)
    assert tool.name == name
    assert tool.layout.version
    assert tool.dependency_file_patterns
    assert callable(tool.cache_directory)


def test_get_tool_ignores_case_and_surrounding_space() -> None:
    assert get_tool(" UV ").name == "uv"


# The files whose presence makes ``auto`` pick each tool (pip is the fallback).
MARKERS = {
    "uv": ("uv.lock",),
    "poetry": ("poetry.lock",),
    "pipenv": ("Pipfile.lock", "Pipfile"),
    "pdm": ("pdm.lock",),
}


def test_every_tool_is_one_spec() -> None:
    for name in TOOL_NAMES:
        tool = get_tool(name)
        assert isinstance(tool, Tool)
        assert all(isinstance(pattern, str) for pattern in tool.dependency_file_patterns)


@pytest.mark.parametrize("name", MARKERS)
def test_dependency_files_are_top_level_and_cover_the_markers(name: str) -> None:
    tool = get_tool(name)
    assert not any("**" in pattern or "/" in pattern for pattern in tool.dependency_file_patterns)
    for marker in MARKERS[name]:
        assert any(fnmatch.fnmatch(marker, p) for p in tool.dependency_file_patterns), marker


@pytest.mark.parametrize("name", ["npm", "", "auto", "pip3"])
def test_unknown_tool_is_one_line_listing_the_valid_names(name: str) -> None:
    with pytest.raises(UnknownToolError) as caught:
        get_tool(name)
    message = str(caught.value)
    assert "\n" not in message
    for valid in TOOL_NAMES:
        assert valid in message


def test_get_pip_imports_no_other_tool_module() -> None:
    script = (
        "import json, sys; from cache_python_deps.tools import get_tool; get_tool('pip'); "
        "print(json.dumps([m for m in sys.modules if m.startswith('cache_python_deps.tools.')]))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(completed.stdout))
    assert not loaded & {f"cache_python_deps.tools.{n}" for n in ("uv", "poetry", "pipenv", "pdm")}


def test_importing_a_tool_module_imports_no_tool_and_no_toml_parser() -> None:
    script = (
        "import sys; import cache_python_deps.tools.uv, cache_python_deps.tools.poetry, "
        "cache_python_deps.tools.pipenv, cache_python_deps.tools.pdm; "
        "print(sorted(m for m in ('poetry', 'pdm', 'pipenv', 'platformdirs', 'tomllib', "
        "'subprocess') if m in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-S", "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(Path(__file__).parents[1] / "src")},
    )
    assert completed.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"uv.lock": "", "pyproject.toml": "[project]\nname='p'\n"}, "uv"),
        ({"poetry.lock": "", "pyproject.toml": "[tool.poetry]\nname='p'\n"}, "poetry"),
        ({"pdm.lock": ""}, "pdm"),
        ({"Pipfile.lock": "{}", "Pipfile": ""}, "pipenv"),
        ({"Pipfile": "[packages]\n"}, "pipenv"),
        ({"requirements.txt": "six\n"}, "pip"),
        ({}, "pip"),
        ({"pyproject.toml": "[project]\nname='p'\n"}, "pip"),
    ],
)
def test_detect_tool_from_lock_files(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    assert detect_tool(_write(tmp_path, files)).name == expected


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("[tool.poetry]\nname = 'p'\n", "poetry"),
        ("[tool.uv]\ndev-dependencies = []\n", "uv"),
        ("[tool.pdm]\ndistribution = true\n", "pdm"),
        # pdm-backend's build configuration says nothing about the installer.
        ("[tool.pdm.build]\nincludes = ['src']\n", "pip"),
        ("[tool.pdm.version]\nsource = 'scm'\n", "pip"),
        # Two tools configured and no lock file: ambiguous, so pip.
        ("[tool.poetry]\nname = 'p'\n[tool.uv]\n", "pip"),
        ("[tool.black]\nline-length = 100\n", "pip"),
    ],
)
def test_detect_tool_from_pyproject_without_lock(tmp_path: Path, table: str, expected: str) -> None:
    _write(tmp_path, {"pyproject.toml": f"[project]\nname = 'p'\n{table}"})
    assert detect_tool(tmp_path).name == expected


def test_several_lock_files_follow_the_fixed_order(tmp_path: Path) -> None:
    _write(tmp_path, {"uv.lock": "", "poetry.lock": "", "pdm.lock": "", "Pipfile.lock": "{}"})
    assert detect_tool(tmp_path).name == "uv"
    (tmp_path / "uv.lock").unlink()
    assert detect_tool(tmp_path).name == "poetry"
    (tmp_path / "poetry.lock").unlink()
    assert detect_tool(tmp_path).name == "pdm"


def test_several_lock_files_pyproject_naming_one_of_them_decides(tmp_path: Path) -> None:
    _write(tmp_path, {"uv.lock": "", "poetry.lock": "", "pyproject.toml": "[tool.poetry]\n"})
    assert detect_tool(tmp_path).name == "poetry"


def test_several_lock_files_pyproject_naming_another_tool_keeps_the_order(tmp_path: Path) -> None:
    _write(tmp_path, {"poetry.lock": "", "pdm.lock": "", "pyproject.toml": "[tool.uv]\n"})
    assert detect_tool(tmp_path).name == "poetry"


def test_a_broken_pyproject_does_not_break_detection(tmp_path: Path) -> None:
    _write(tmp_path, {"pyproject.toml": "[tool.poetry\n"})
    assert detect_tool(tmp_path).name == "pip"
    _write(tmp_path, {"uv.lock": "", "pdm.lock": ""})
    assert detect_tool(tmp_path).name == "uv"


def test_detection_looks_at_the_project_directory_only(tmp_path: Path) -> None:
    _write(tmp_path, {"poetry.lock": ""})
    child = tmp_path / "child"
    child.mkdir()
    assert detect_tool(child).name == "pip"


def test_a_directory_named_like_a_lock_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").mkdir()
    assert detect_tool(tmp_path).name == "pip"


@pytest.mark.parametrize(("name", "marker"), [(n, m) for n in MARKERS for m in MARKERS[n]])
def test_marker_files_make_auto_pick_the_tool(tmp_path: Path, name: str, marker: str) -> None:
    _write(tmp_path, {marker: "{}"})
    assert detect_tool(tmp_path) is get_tool(name)


def test_detected_tool_answers_a_cache_directory(tmp_path: Path) -> None:
    _write(tmp_path, {"uv.lock": ""})
    context = CacheContext(
        os_family="linux",
        environ={"UV_NO_CONFIG": "1"},
        home=tmp_path / "home",
        interpreter_prefix=Path(sys.prefix),
        project_directory=tmp_path,
    )
    assert detect_tool(tmp_path).cache_directory(context).path == tmp_path / "home/.cache/uv"
