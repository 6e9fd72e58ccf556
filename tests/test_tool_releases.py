"""The tools' releases: read without starting the tool, gated rules, and the notice for a release
newer than the rules were checked against (``--explain``, the job summary, ``--json``)."""

from __future__ import annotations

import importlib
import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cache_python_deps.cli import main as cli_main
from cache_python_deps.safe_files import MAX_CONFIG_BYTES
from cache_python_deps.steps.keys import main as action_main
from cache_python_deps.steps.record import main as record_main
from cache_python_deps.tools import TOOL_NAMES, releases
from cache_python_deps.tools._platformdirs import version_tuple
from cache_python_deps.tools.base import CacheContext
from cache_python_deps.tools.releases import (
    CHECKED,
    Gate,
    installed_version,
    is_newer_line,
    rules_notice,
)
from tests.test_github_mode import parse_outputs
from tests.toolsenv import REQUIREMENTS, tool_releases

# -- a tool installed as pip, pipx and uv tool install them, without running it ---------------


def _install(root: Path, tool: str, metadata: str | None, *, version: str = "1.0") -> Path:
    """A fake environment with ``bin/<tool>`` and its ``dist-info``; returns its ``bin``.

    The script records that it ran: reading the release must never start the tool.
    """
    environment = root / f"{tool}-env"
    bin_directory = environment / "bin"
    bin_directory.mkdir(parents=True)
    script = bin_directory / tool
    script.write_text(f"#!/bin/sh\ntouch '{root}/ran'\nexit 1\n")
    script.chmod(0o755)
    info = environment / "lib" / "python3.11" / "site-packages" / f"{tool}-{version}.dist-info"
    info.mkdir(parents=True)
    if metadata is not None:
        (info / "METADATA").write_text(metadata, encoding="utf-8")
    return bin_directory


def _metadata(tool: str, version: str) -> str:
    return f"Metadata-Version: 2.4\nName: {tool}\nVersion: {version}\n\nVersion: 99.0 (text)\n"


def _context(
    tmp_path: Path, path: str = "", *, pip_version: str | None = None, **environ: str
) -> CacheContext:
    return CacheContext(
        os_family="windows" if os.name == "nt" else "linux",
        environ={"PATH": path, **environ},
        home=tmp_path / "home",
        interpreter_prefix=Path(sys.prefix),
        project_directory=tmp_path,
        pip_version=pip_version,
    )


@pytest.mark.parametrize("tool", ["uv", "poetry", "pdm", "pipenv"])
def test_release_is_read_from_metadata_without_running_the_tool(tmp_path: Path, tool: str) -> None:
    bin_directory = _install(tmp_path, tool, _metadata(tool, "2.0.1"), version="2.0.1")
    context = _context(tmp_path, f"{tmp_path / 'empty'}{os.pathsep}{bin_directory}")
    assert installed_version(context, tool) == "2.0.1"
    assert not (tmp_path / "ran").exists()


def test_release_of_a_symlinked_script_is_its_environments(tmp_path: Path) -> None:
    """pipx and ``uv tool`` put a symlink on PATH; the environment is where it points."""
    bin_directory = _install(tmp_path, "poetry", _metadata("poetry", "1.8.5"))
    shims = tmp_path / "local-bin"
    shims.mkdir()
    (shims / "poetry").symlink_to(bin_directory / "poetry")
    assert installed_version(_context(tmp_path, str(shims)), "poetry") == "1.8.5"


def test_first_tool_on_path_decides(tmp_path: Path) -> None:
    first = _install(tmp_path / "a", "uv", _metadata("uv", "0.11.15"))
    second = _install(tmp_path / "b", "uv", _metadata("uv", "0.14.0"))
    path = os.pathsep.join([str(first), str(second)])
    assert installed_version(_context(tmp_path, path), "uv") == "0.11.15"


def _fifo(path: Path) -> None:
    os.mkfifo(path)


@pytest.mark.parametrize(
    ("case", "prepare"),
    [
        ("no METADATA", lambda info: None),
        ("METADATA is a directory", lambda info: (info / "METADATA").mkdir()),
        ("METADATA is a FIFO", lambda info: _fifo(info / "METADATA")),
        (
            "METADATA is oversized",
            lambda info: (info / "METADATA").write_text(
                _metadata("uv", "0.14.0") + "x" * MAX_CONFIG_BYTES
            ),
        ),
        ("not UTF-8", lambda info: (info / "METADATA").write_bytes(b"Name: uv\nVersion: \xff\n")),
        ("another name", lambda info: (info / "METADATA").write_text(_metadata("ruff", "0.14.0"))),
        ("no version", lambda info: (info / "METADATA").write_text("Name: uv\n")),
        (
            "a hostile version",
            lambda info: (info / "METADATA").write_text(
                _metadata("uv", "0.14.0\x1b[31m::error::x")
            ),
        ),
        (
            "two installs",
            lambda info: [
                (info / "METADATA").write_text(_metadata("uv", "0.14.0")),
                (info.parent / "uv-0.15.0.dist-info").mkdir(),
                (info.parent / "uv-0.15.0.dist-info" / "METADATA").write_text(
                    _metadata("uv", "0.15.0")
                ),
            ],
        ),
    ],
)
def test_an_unreadable_release_is_unknown_and_says_nothing(
    tmp_path: Path, case: str, prepare: object
) -> None:
    bin_directory = _install(tmp_path, "uv", None, version="0.14.0")
    info = bin_directory.parent / "lib" / "python3.11" / "site-packages" / "uv-0.14.0.dist-info"
    assert callable(prepare)
    prepare(info)
    context = _context(tmp_path, str(bin_directory))
    assert installed_version(context, "uv") is None, case
    assert rules_notice(context, "uv") is None, case
    assert releases.installed_release(context, "uv").version is None, case  # newest rules


def test_no_tool_on_path_is_unknown(tmp_path: Path) -> None:
    context = _context(tmp_path, str(tmp_path))
    for tool in ("uv", "poetry", "pdm", "pipenv"):
        assert installed_version(context, tool) is None
        assert rules_notice(context, tool) is None


def test_another_os_is_never_read(tmp_path: Path) -> None:
    bin_directory = _install(tmp_path, "uv", _metadata("uv", "0.14.0"))
    other = CacheContext(
        os_family="linux" if os.name == "nt" else "windows",
        environ={"PATH": str(bin_directory)},
        home=tmp_path,
        interpreter_prefix=Path(sys.prefix),
        project_directory=tmp_path,
    )
    assert installed_version(other, "uv") is None


# -- the release lines, and the notice ---------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "version", "newer"),
    [
        # uv 0.x: each minor release is a line of its own (0.12.0 brought breaking changes).
        ("uv", "0.14.0", True),
        ("uv", "1.0.0", True),
        ("uv", "0.13.9", False),
        ("uv", "0.13.99", False),
        ("uv", "0.12.0", False),
        # poetry, pdm: semantic versioning, the major version.
        ("poetry", "3.0.0", True),
        ("poetry", "2.9.0", False),
        ("poetry", "2.5.1", False),
        ("poetry", "1.8.5", False),
        ("pdm", "3.0.0", True),
        ("pdm", "2.30.0", False),
        # pipenv: calendar versions, the year.
        ("pipenv", "2027.0.0", True),
        ("pipenv", "2026.11.0", False),
        ("pipenv", "2024.4.1", False),
        # pip: calendar versions YY.N, each release (26.2 and 26.3 changed the rules).
        ("pip", "26.4", True),
        ("pip", "27.0", True),
        ("pip", "26.3.1", False),
        ("pip", "26.3", False),
        ("pip", "25.0", False),
    ],
)
def test_newer_line(tool: str, version: str, newer: bool) -> None:
    assert is_newer_line(tool, version) is newer


def test_notice_names_the_release_checked_and_the_one_found(tmp_path: Path) -> None:
    bin_directory = _install(tmp_path, "uv", _metadata("uv", "0.14.0"))
    notice = rules_notice(_context(tmp_path, str(bin_directory)), "uv")
    assert notice is not None
    assert notice.startswith(f"rules checked up to uv {CHECKED['uv']}; this is uv 0.14.0")
    assert "\n" not in notice


@pytest.mark.parametrize("version", ["0.13.9", "0.13.0", "0.11.15"])
def test_no_notice_for_the_release_checked_or_an_older_one(tmp_path: Path, version: str) -> None:
    bin_directory = _install(tmp_path, "uv", _metadata("uv", version))
    assert rules_notice(_context(tmp_path, str(bin_directory)), "uv") is None


def test_pip_notice_comes_from_the_probed_pip_version(tmp_path: Path) -> None:
    assert rules_notice(_context(tmp_path, pip_version="27.0"), "pip") is not None
    assert rules_notice(_context(tmp_path, pip_version=CHECKED["pip"]), "pip") is None
    assert rules_notice(_context(tmp_path, pip_version=None), "pip") is None


# -- where it is said ---------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    directory = tmp_path / "project"
    directory.mkdir()
    (directory / "requirements.txt").write_text("click\n")
    monkeypatch.chdir(directory)
    yield directory


def _invoke(*args: str, path: str) -> str:
    unset = ("UV_CACHE_DIR", "UV_NO_CACHE", "UV_CONFIG_FILE", "CPD_TOOL", "CPD_PYTHON")
    environ: dict[str, str | None] = {"PATH": path, **dict.fromkeys(unset)}
    result = CliRunner().invoke(cli_main, list(args), env=environ, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize(("version", "said"), [("0.14.0", True), (CHECKED["uv"], False)])
def test_explain_and_json_say_a_newer_release(
    tmp_path: Path, project: Path, version: str, said: bool
) -> None:
    bin_directory = _install(tmp_path, "uv", _metadata("uv", version))
    path = f"{bin_directory}{os.pathsep}/usr/bin{os.pathsep}/bin"
    explained = _invoke("--explain", "--tool", "uv", "--python", sys.executable, path=path)
    line = f"rules checked up to uv {CHECKED['uv']}; this is uv {version}"
    assert (line in explained) is said
    assert ("tool rules" in explained) is said
    report = json.loads(_invoke("--json", "--tool", "uv", "--python", sys.executable, path=path))
    assert (report["rules_notice"] is not None) is said


@pytest.mark.parametrize(("version", "said"), [("3.0.0", True), ("2.5.0", False)])
def test_job_summary_says_a_newer_release(tmp_path: Path, version: str, said: bool) -> None:
    bin_directory = _install(tmp_path, "poetry", _metadata("poetry", version))
    (tmp_path / "poetry.lock").write_text("")
    summary, output = tmp_path / "summary", tmp_path / "output"
    summary.touch()
    output.touch()
    environ = {
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_WORKSPACE": str(tmp_path),
        "CPD_PYTHON": sys.executable,
        "CPD_TOOL": "poetry",
        "HOME": str(tmp_path / "home"),
        "PATH": f"{bin_directory}{os.pathsep}/usr/bin{os.pathsep}/bin",
    }
    assert action_main(environ, io.StringIO()) == 0
    keys = parse_outputs(output.read_text())
    assert keys["cache-enabled"] == "true"
    # The record step, after the restore (a miss here), writes the job's summary section.
    output.write_text("")
    record_environ = {
        **environ,
        "CPD_CACHE_DIRECTORY_PATH": keys["cache-directory-path"],
        "CPD_RECORD": keys["record"],
        "CPD_SUMMARY_FACTS": keys["summary-facts"],
        "CPD_SAVE": keys["save-cache"],
        "CPD_CACHE_HIT": "",
        "GITHUB_API_URL": "http://127.0.0.1:9",  # nothing answers: one quiet line
    }
    assert record_main(record_environ, io.StringIO()) == 0
    text = summary.read_text()
    assert ("| tool rules |" in text) is said
    line = f"rules checked up to poetry {CHECKED['poetry']}; this is poetry {version}"
    assert (line in text) is said


# -- the table and the gates, against what the suite really runs -------------------------------


def test_checked_releases_are_the_ones_the_real_tool_suite_runs() -> None:
    """``CHECKED`` names the releases of tests/tools-requirements.txt (pip: dev-setup's newest)."""
    pinned = {}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        name, separator, version = line.split("#", 1)[0].strip().partition("==")
        if separator:
            pinned[name] = version
    assert set(CHECKED) == set(TOOL_NAMES)
    for tool in ("uv", "poetry", "pdm", "pipenv"):
        assert CHECKED[tool] == pinned[tool], tool


def _gates() -> list[Gate]:
    gates = []
    for tool in TOOL_NAMES:
        module = importlib.import_module(f"cache_python_deps.tools.{tool}")
        gates += [value for value in vars(module).values() if isinstance(value, Gate)]
    return gates


def test_every_gate_runs_the_real_tool_on_both_sides() -> None:
    """For each rule change, the real-tool suite runs the release that changed it and one
    before (tests/tool-releases.txt; test_tool_dirs.py runs every scenario on each)."""
    gates = _gates()
    assert len(gates) >= 8, gates
    releases: dict[str, list[tuple[int, ...]]] = {}
    for name, requirements in tool_releases().items():
        tool, version = name.split("-")[:2]
        assert f"{tool}=={version}" in requirements, name
        parsed = version_tuple(version)
        assert parsed is not None
        releases.setdefault(tool, []).append(parsed)
    for gate in gates:
        known = releases.get(gate.tool, [])
        assert gate.release in known, f"no {gate.tool} {gate.release} for: {gate.rule}"
        assert any(version < gate.release for version in known), f"none before: {gate.rule}"
