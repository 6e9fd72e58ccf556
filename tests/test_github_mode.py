"""The action's entry point: outputs, job summary and annotations as the runner reads them."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from cache_python_deps.github import annotation, format_outputs
from cache_python_deps.steps.keys import main
from cache_python_deps.steps.prune import main as prune_main

DELIMITED = re.compile(r"^([a-z-]+)<<(CPD_EOF_[0-9a-f]{32})\n(.*?)\n\2\n", re.DOTALL | re.MULTILINE)


def parse_outputs(text: str) -> dict[str, str]:
    """Read GITHUB_OUTPUT the way the runner does (heredoc form only)."""
    return {name: value for name, _, value in DELIMITED.findall(text)}


class Runner:
    """A fake runner: the files and variables a step gets, and what the step printed."""

    def __init__(self, directory: Path) -> None:
        self.output = directory / "output"
        self.summary = directory / "summary"
        self.output.touch()
        self.summary.touch()
        (directory / "requirements.txt").write_text("click\n")
        self.environ = {
            "GITHUB_OUTPUT": str(self.output),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_WORKSPACE": str(directory),
            "CPD_PYTHON": sys.executable,
            "PATH": "/usr/bin:/bin",
        }
        self.printed = ""

    def run(self, **inputs: str) -> int:
        stdout = io.StringIO()
        code = main({**self.environ, **inputs}, stdout)
        self.printed = stdout.getvalue()
        return code

    @property
    def outputs(self) -> dict[str, str]:
        return parse_outputs(self.output.read_text())


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path)


def test_outputs_survive_newlines_and_injection_attempts() -> None:
    hostile = "a\nb=c\nEOF\n::set-output name=x::y"
    text = format_outputs({"skip-reason": hostile, "plain": "v"})
    assert parse_outputs(text) == {"skip-reason": hostile, "plain": "v"}


def test_annotation_stays_one_workflow_command() -> None:
    line = annotation("warning", "bad\ninput %0A here", title="a, b")
    assert "\n" not in line
    assert line == "::warning title=a%2C b::bad%0Ainput %250A here"


def test_every_original_output_is_written(runner: Runner) -> None:
    assert runner.run() == 0
    outputs = runner.outputs
    for name in (
        "cache-directory-path",
        "cache-key-for-os",
        "cache-key-for-dependencies",
        "cache-key-for-python-interpreter",
        "is-stable-abi",
    ):
        assert outputs[name], name
    assert outputs["cache-enabled"] == "true"
    assert outputs["cache-key-for-dependencies"].startswith(outputs["restore-keys"])
    assert outputs["cache-key-for-dependencies"].startswith(outputs["cache-key-for-os"])
    # The record step writes the job summary's section, after the restore.
    assert runner.summary.read_text() == ""
    assert "::group::cache-python-deps" in runner.printed


def test_bad_input_skips_caching_without_failing(runner: Runner) -> None:
    assert runner.run(CPD_PYTHON="/no/python") == 0
    assert runner.printed.startswith("::warning title=cache-python-deps::")
    assert runner.outputs["cache-enabled"] == "false"
    assert "does not exist" in runner.outputs["skip-reason"]
    assert "skipped" in runner.summary.read_text()


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("CPD_TOOL", "conda", "input tool is 'conda'"),
        ("CPD_CACHE_KIND", "docker", "input cache-kind is 'docker'"),
        ("CPD_UNSTABLE_ABI", "maybe", "input unstable-abi is 'maybe'"),
        ("CPD_CACHE_ON_RELEASE_EVENTS", "sure", "input cache-on-release-events is 'sure'"),
    ],
)
def test_invalid_input_values_are_named(
    runner: Runner, name: str, value: str, complaint: str
) -> None:
    assert runner.run(**{name: value}) == 0
    assert complaint in runner.outputs["skip-reason"]


def test_bad_input_fails_the_step_when_asked(runner: Runner) -> None:
    assert runner.run(CPD_PYTHON="/no/python", CPD_FAIL_ON_ERROR="true") == 1
    assert runner.printed.startswith("::error title=cache-python-deps::")


def test_release_events_do_not_cache(runner: Runner) -> None:
    assert runner.run(GITHUB_EVENT_NAME="release") == 0
    assert "::notice title=Caching skipped::" in runner.printed
    assert runner.outputs["cache-enabled"] == "false"


def test_release_events_cache_when_opted_in(runner: Runner) -> None:
    assert runner.run(GITHUB_EVENT_NAME="release", CPD_CACHE_ON_RELEASE_EVENTS="true") == 0
    assert runner.outputs["cache-enabled"] == "true"


def test_outside_a_runner_it_says_so_in_one_line_and_goes_on(tmp_path: Path) -> None:
    stdout = io.StringIO()
    assert main({}, stdout) == 0
    printed = stdout.getvalue()
    assert printed.count("\n") == 1
    assert printed.startswith("::warning title=cache-python-deps::caching skipped: GITHUB_OUTPUT")


def test_outside_a_runner_fails_when_asked(tmp_path: Path) -> None:
    stdout = io.StringIO()
    assert main({"CPD_FAIL_ON_ERROR": "true"}, stdout) == 1
    assert stdout.getvalue().startswith("::error title=cache-python-deps::GITHUB_OUTPUT")


@pytest.mark.parametrize("where", ["directory", "missing-parent", "full-disk"])
def test_an_unwritable_output_file_is_one_line_never_a_traceback(
    runner: Runner, tmp_path: Path, where: str
) -> None:
    target = {
        "directory": tmp_path,
        "missing-parent": tmp_path / "no" / "such" / "output",
        "full-disk": Path("/dev/full"),
    }[where]
    assert runner.run(GITHUB_OUTPUT=str(target)) == 0
    lines = runner.printed.splitlines()
    assert lines[-1].startswith("::warning title=cache-python-deps::caching skipped: cannot write")
    assert "Traceback" not in runner.printed
    assert runner.run(GITHUB_OUTPUT=str(target), CPD_FAIL_ON_ERROR="true") == 1
    assert runner.printed.splitlines()[-1].startswith("::error title=cache-python-deps::cannot")


def test_an_unwritable_summary_is_a_notice_and_the_step_goes_on(runner: Runner) -> None:
    runner.summary.unlink()
    runner.summary.mkdir()
    # A tag push: caching is off, so the keys step writes the job's section itself.
    tag = {"GITHUB_REF": "refs/tags/v1.0.0"}
    assert runner.run(**tag) == 0
    assert "::notice title=cache-python-deps::no job summary: cannot write" in runner.printed
    assert runner.outputs["cache-enabled"] == "false"
    assert runner.outputs["cache-key-for-dependencies"].startswith("cpd-2-")
    assert runner.run(**tag, CPD_FAIL_ON_ERROR="true") == 0


def test_an_unexpected_error_skips_caching_instead_of_failing_the_build(
    runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr("cache_python_deps.steps.keys.decide_caching", broken)
    assert runner.run() == 0
    assert runner.printed.splitlines()[-1] == (
        "::warning title=cache-python-deps::caching skipped: unexpected ZeroDivisionError: "
        "division by zero"
    )
    assert runner.outputs["cache-enabled"] == "false"
    assert runner.run(CPD_FAIL_ON_ERROR="true") == 1
    assert runner.printed.splitlines()[-1].startswith("::error title=cache-python-deps::unexpected")


def test_prune_sub_action_reports_bytes_and_keeps_built_wheels(tmp_path: Path) -> None:
    cache = tmp_path / "pip-cache"
    (cache / "http-v2" / "a").mkdir(parents=True)
    (cache / "http-v2" / "a" / "download").write_bytes(b"x" * 100)
    (cache / "wheels" / "b").mkdir(parents=True)
    (cache / "wheels" / "b" / "built.whl").write_bytes(b"y" * 10)
    stdout = io.StringIO()
    code = prune_main({"CPD_CACHE_DIRECTORY_PATH": str(cache), "CPD_TOOL": "pip"}, stdout)
    assert code == 0
    assert f"pruned pip cache {cache}: 110 bytes before, 10 bytes after" in stdout.getvalue()
    assert (cache / "wheels" / "b" / "built.whl").exists()
    assert not (cache / "http-v2").exists()


def test_prune_sub_action_drops_built_wheels_for_an_unstable_abi(tmp_path: Path) -> None:
    cache = tmp_path / "pip-cache"
    (cache / "wheels" / "b").mkdir(parents=True)
    (cache / "wheels" / "b" / "built.whl").write_bytes(b"y")
    environ = {"CPD_CACHE_DIRECTORY_PATH": str(cache), "CPD_IS_STABLE_ABI": "false"}
    assert prune_main(environ, io.StringIO()) == 0
    assert not (cache / "wheels" / "b" / "built.whl").exists()


def test_prune_sub_action_warns_when_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\n")
    stdout = io.StringIO()
    assert prune_main({"CPD_CACHE_DIRECTORY_PATH": str(project)}, stdout) == 0
    assert stdout.getvalue().startswith("::warning title=prune::cache not pruned: refusing")
    assert (project / "pyproject.toml").exists()
    failing = {"CPD_CACHE_DIRECTORY_PATH": str(project), "CPD_FAIL_ON_ERROR": "true"}
    assert prune_main(failing, io.StringIO()) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", "true"), ("true", "true"), ("false", "false"), ("no", "false"), ("0", "false")],
)
def test_save_cache_accepts_every_boolean_spelling(
    runner: Runner, value: str, expected: str
) -> None:
    assert runner.run(CPD_SAVE_CACHE=value) == 0
    assert runner.outputs["save-cache"] == expected
    assert runner.outputs["cache-enabled"] == "true"


def test_save_cache_typo_is_refused_not_taken_as_true(runner: Runner) -> None:
    assert runner.run(CPD_SAVE_CACHE="flase") == 0
    assert runner.outputs["cache-enabled"] == "false"
    assert runner.outputs["save-cache"] == "false"
    assert "input save-cache is 'flase'" in runner.outputs["skip-reason"]


def test_skipped_summary_says_skipped_once(runner: Runner) -> None:
    assert runner.run(CPD_PYTHON="/no/python") == 0
    assert runner.summary.read_text().lower().count("skipped") == 1


_AS_STRANGER = """
import io, os, sys
sys.path.insert(0, sys.argv[1])
from cache_python_deps.steps.keys import main
os.setgid(54321)
os.setuid(54321)  # a user the password database does not know
stdout = io.StringIO()
status = main({k: v for k, v in os.environ.items() if k != "HOME"}, stdout)
print(stdout.getvalue(), end="")
sys.exit(status)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become a user with no home")
def test_home_unset_for_a_user_missing_from_the_password_database() -> None:
    # pytest's own temporary folders are private to root: this one is reachable by the stranger.
    with tempfile.TemporaryDirectory() as shared:
        _run_as_a_stranger_without_home(Path(shared))


def _run_as_a_stranger_without_home(tmp_path: Path) -> None:
    tmp_path.chmod(0o777)
    output = tmp_path / "output"
    output.touch()
    output.chmod(0o666)
    src = Path(__file__).resolve().parents[1] / "src"
    environ = {
        "GITHUB_OUTPUT": str(output),
        "GITHUB_WORKSPACE": str(tmp_path),
        "CPD_PYTHON": "/usr/bin/python3",
        "PATH": "/usr/bin:/bin",
    }
    completed = subprocess.run(
        ["/usr/bin/python3", "-c", _AS_STRANGER, str(src)],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    assert completed.stdout.splitlines() == [
        "::warning title=cache-python-deps::caching skipped: the home directory is unknown: "
        "HOME is unset and the user has none"
    ]
    assert parse_outputs(output.read_text())["cache-enabled"] == "false"
