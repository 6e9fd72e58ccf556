"""The command line, through click's CliRunner and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cache_python_deps import __version__
from cache_python_deps.cli import main
from tests.support import require_interpreter

KEY_PREFIX = "cpd-2-linux-"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project directory with one requirements file, as the working directory."""
    directory = tmp_path / "project"
    directory.mkdir()
    (directory / "requirements.txt").write_text("click==8.1.7\n")
    monkeypatch.chdir(directory)
    for name in list(os.environ):
        if name.startswith("CPD_"):
            monkeypatch.delenv(name)
    yield directory


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_print_key_prints_one_valid_line(project: Path) -> None:
    code, out, err = invoke("--print-key")
    assert code == 0, err
    assert out.count("\n") == 1
    key = out.strip()
    assert key.startswith(KEY_PREFIX)
    assert f"-cp{sys.version_info.major}{sys.version_info.minor}-" in key


def test_print_key_changes_with_the_dependency_files(project: Path) -> None:
    before = invoke("--print-key")[1]
    (project / "requirements.txt").write_text("click==8.1.8\n")
    after = invoke("--print-key")[1]
    assert before != after
    assert before.rsplit("-", 1)[0] == after.rsplit("-", 1)[0]


def test_json_reports_everything_computed(project: Path) -> None:
    code, out, _ = invoke("--json")
    assert code == 0
    report = json.loads(out)
    assert report["key_format_version"] == 2
    assert report["tool"] == "pip"
    assert report["cache_kind"] == "tool"
    assert report["dependency_files"] == ["requirements.txt"]
    assert report["primary_key"].startswith(report["restore_keys"][0])
    assert report["interpreter"]["sys_version"] == sys.version
    assert report["is_stable_abi"] is (sys.version_info.releaselevel == "final")
    assert report["abi_tag"] in report["primary_key"]
    assert Path(report["cache_directory"]).is_absolute()


def test_explain_names_every_component_and_its_source(project: Path) -> None:
    code, out, _ = invoke("--explain")
    assert code == 0
    for line in ("abi tag", "abi epoch", "libc", "os release", "requirements.txt", "restore key"):
        assert line in out
    assert "sysconfig" in out


def test_dependency_hash_option_and_environment_variable(project: Path) -> None:
    by_option = invoke("--print-key", "--dependency-hash", "feedface")[1].strip()
    by_env = invoke("--print-key", env={"CPD_DEPENDENCY_HASH": "feedface"})[1].strip()
    assert by_option == by_env
    assert by_option.endswith("-tool-feedface")


def test_venv_kind_differs_from_tool_kind(project: Path) -> None:
    tool = invoke("--print-key")[1]
    venv = invoke("--print-key", "--cache-kind", "venv")[1]
    assert tool != venv
    assert "-venv." in venv


def test_another_interpreter_is_probed(project: Path) -> None:
    python27 = require_interpreter("pyenv-2.7.18")
    code, out, err = invoke("--print-key", "--python", str(python27))
    assert code == 0, err
    assert "-cpython-cp27mu-2.7-" in out


def test_lookup_command_overrides_the_directory(project: Path, tmp_path: Path) -> None:
    code, out, _ = invoke("--json", "--cache-directory-lookup-command", f"echo {tmp_path}/custom")
    assert code == 0
    assert json.loads(out)["cache_directory"] == f"{tmp_path}/custom"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--python", "/no/such/python"], "does not exist"),
        (["--cache-directory-lookup-command", "exit 4"], "failed with exit code 4"),
        (["--cache-directory-lookup-command", "true"], "printed nothing"),
        (["--dependency-hash", "x" * 70_000], "at most"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(project: Path, args: list[str], message: str) -> None:
    code, out, err = invoke("--print-key", *args)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("cache-python-deps: error: ")
    assert message in err


def test_unknown_tool_is_a_usage_error(project: Path) -> None:
    code, _, err = invoke("--print-key", "--tool", "conda")
    assert code == 2
    assert "conda" in err


def test_version_and_help(project: Path) -> None:
    assert invoke("--version")[1].strip() == f"cache-python-deps, version {__version__}"
    help_text = invoke("--help")[1]
    for option in ("--print-key", "--json", "--explain", "--python", "--tool", "--cache-kind"):
        assert option in help_text
    assert "CPD_" in help_text


def test_real_subprocess_python_dash_m(project: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "cache_python_deps", "--print-key"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == invoke("--print-key")[1].strip()


def test_real_subprocess_error_has_no_traceback(project: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "cache_python_deps", "--print-key", "--python", "/nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip().count("\n") == 0


def test_prune_subcommand_keeps_built_wheels(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "pip-cache"
    (cache / "http-v2").mkdir(parents=True)
    (cache / "http-v2" / "download").write_bytes(b"x" * 50)
    (cache / "wheels").mkdir()
    (cache / "wheels" / "built.whl").write_bytes(b"y" * 5)
    code, out, err = invoke("--tool", "pip", "prune", "--directory", str(cache), "--stable-abi")
    assert code == 0, err
    assert out.splitlines() == [
        f"pruned pip cache {cache}: 55 bytes before, 5 bytes after (1 entries removed)",
        f"no built wheel superseded by the environment of {sys.executable}; "
        "kept 1 whose file name does not parse",
    ]


def test_prune_subcommand_finds_the_cache_like_print_key(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "found-cache"
    (cache / "http-v2").mkdir(parents=True)
    (cache / "http-v2" / "download").write_bytes(b"x")
    code, out, err = invoke("prune", env={"PIP_CACHE_DIR": str(cache)})
    assert code == 0, err
    assert f"pruned pip cache {cache}: 1 bytes before, 0 bytes after" in out


def test_prune_subcommand_refusal_is_one_line(project: Path) -> None:
    code, out, err = invoke("prune", "--directory", str(project), "--stable-abi")
    assert code == 1
    assert out == ""
    assert err.startswith("cache-python-deps: error: refusing to prune")
    assert err.count("\n") == 1


def test_a_file_as_project_directory_is_a_usage_error(project: Path, tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("x")
    code, out, err = invoke("--print-key", "--project-directory", str(not_a_directory))
    assert code == 2
    assert out == ""
    assert "is a file" in err
    assert "Traceback" not in err


def test_explain_shows_hostile_values_as_inert_text(tmp_path: Path, project: Path) -> None:
    # A project directory whose name holds a line break, a workflow command and a terminal escape.
    hostile = tmp_path / "p\n::error::x \x1b[31m"
    hostile.mkdir()
    (hostile / "requirements.txt").write_text("click\n")
    code, out, _ = invoke("--explain", "--project-directory", str(hostile))
    assert code == 0
    assert "\x1b" not in out
    assert not any(line.lstrip().startswith("::") for line in out.splitlines())
    assert "p\\n::error::x \\x1b[31m" in out
