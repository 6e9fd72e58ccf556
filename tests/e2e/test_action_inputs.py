"""Inputs through the real action, end to end under act: bad and hostile values (inputs, and a
cache directory from a lookup command or a committed config file that must not be cached), and
a job written for the original ``re-actors/cache-python-deps@release/v1`` running unchanged."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.act_harness import ActSession, commit_workspace
from tests.e2e.scenario_support import (
    CPD_STEP,
    ORIGINAL_OUTPUTS,
    ORIGINAL_USAGE_WORKFLOW,
    RECORD_STEP_NAME,
    LocalIndex,
    cache_steps_run,
    declared_outputs,
    entry_members,
    key_is_valid,
    new_session,
    os_key_pattern,
    pinned_cache_actions,
    pip_run,
    require_e2e_tools,
    serve_local_index,
    stored_keys,
    workflow_commands,
)
from tests.support import require_interpreter

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    yield from serve_local_index(tmp_path_factory)


@pytest.fixture
def session(tmp_path: Path) -> ActSession:
    require_e2e_tools()
    return new_session(tmp_path / "act", home=tmp_path / "home", pip_cache=tmp_path / "pip-cache")


# --------------------------------------------------------------------------------------------
# 7. bad inputs: a warning and no caching, or a failed step with fail-on-error


@dataclass(frozen=True)
class BadInput:
    """One bad input: the interpreter (None: pyenv 3.11.7), E2E_* inputs, the message expected."""

    python: str | None
    inputs: dict[str, str]
    message: str


BAD_INPUTS = {
    "failing-lookup-command": BadInput(
        python=None,
        inputs={"LOOKUP_COMMAND": "echo lookup exploded >&2; exit 3"},
        message=(
            "cache directory lookup command 'echo lookup exploded >&2; exit 3' failed with "
            "exit code 3: lookup exploded"
        ),
    ),
    "missing-python-path": BadInput(
        python="/nonexistent/bin/python3",
        inputs={},
        message="Python interpreter '/nonexistent/bin/python3' does not exist",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_skips_caching_with_a_warning(
    session: ActSession, tmp_path: Path, case: str
) -> None:
    spec = BAD_INPUTS[case]
    python = spec.python or require_interpreter("pyenv-3.11.7")
    job = pip_run(
        session,
        python=str(python),
        dependency_hash="deps-1",
        payload="unused",
        clear=tmp_path / "pip-cache",
        inputs=spec.inputs,
    ).check()  # the job goes on

    assert job.step(CPD_STEP).outcome == "success"
    outputs = declared_outputs(job)
    assert outputs["cache-enabled"] == "false"
    assert outputs["skip-reason"] == f"caching skipped: {spec.message}"
    assert outputs["is-stable-abi"] == "false"
    # The record step runs only when caching is on; without it cache-hit is false.
    assert outputs["cache-hit"] == "false"
    assert outputs["cache-matched-key"] == ""
    assert f"Run Main {RECORD_STEP_NAME}" not in job.log
    assert outputs["cache-key-for-dependencies"] == ""
    assert outputs["cache-directory-path"] == ""
    assert workflow_commands(job, "warning") == [f"caching skipped: {spec.message}"]
    assert workflow_commands(job, "error") == []
    assert job.step("inspect").outcome == "skipped"
    assert stored_keys(session) == []
    assert "Cache saved" not in job.log


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_with_fail_on_error_fails_the_step(
    session: ActSession, tmp_path: Path, case: str
) -> None:
    spec = BAD_INPUTS[case]
    python = spec.python or require_interpreter("pyenv-3.11.7")
    job = pip_run(
        session,
        python=str(python),
        dependency_hash="deps-1",
        payload="unused",
        clear=tmp_path / "pip-cache",
        inputs={**spec.inputs, "FAIL_ON_ERROR": "true"},
    )

    assert not job.ok
    assert job.step(CPD_STEP).outcome == "failure"
    assert workflow_commands(job, "error") == [spec.message]
    assert job.step("inspect").outcome == "skipped"
    assert stored_keys(session) == []


@dataclass(frozen=True)
class UnsafeDirectory:
    """A cache directory that must never reach actions/cache, and the warning expected.

    ``message`` may name ``{home}`` (the job's HOME) and ``{workspace}`` (act's job folder);
    ``files`` are committed to the workspace, which the job then checks out.
    """

    inputs: dict[str, str]
    message: str
    files: dict[str, str] = field(default_factory=dict)


UNSAFE_DIRECTORIES = {
    "lookup-prints-two-lines": UnsafeDirectory(
        inputs={"LOOKUP_COMMAND": "echo /tmp/one; echo /tmp/two"},
        message=(
            "cache directory lookup command 'echo /tmp/one; echo /tmp/two' printed 2 lines; "
            "expected one path"
        ),
    ),
    "lookup-prints-a-glob": UnsafeDirectory(
        inputs={"LOOKUP_COMMAND": "echo '/tmp/e2e-caches/*'"},
        message=(
            "refusing to cache '/tmp/e2e-caches/*' from --cache-directory-lookup-command: "
            "it holds *, which actions/cache reads as glob syntax"
        ),
    ),
    "lookup-prints-home": UnsafeDirectory(
        inputs={"LOOKUP_COMMAND": 'echo "$HOME"'},
        message=(
            "refusing to cache '{home}' from --cache-directory-lookup-command: "
            "it is a home directory or holds one"
        ),
    ),
    "committed-uv-toml-cache-dir-root": UnsafeDirectory(
        inputs={"TOOL": "uv", "CHECKOUT": "true"},
        files={"uv.toml": 'cache-dir = "/"\n'},
        message=(
            "refusing to cache '/' from cache-dir in {workspace}/uv.toml: it is the root directory"
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(UNSAFE_DIRECTORIES))
def test_unsafe_cache_directory_skips_caching_with_one_warning_naming_its_source(
    session: ActSession, tmp_path: Path, case: str
) -> None:
    spec = UNSAFE_DIRECTORIES[case]
    for name, text in spec.files.items():
        (session.workspace / name).write_text(text, encoding="utf-8")
    if spec.files:
        commit_workspace(session.workspace, f"commit {', '.join(spec.files)}")
    job = pip_run(
        session,
        python=require_interpreter("pyenv-3.11.7"),
        dependency_hash="deps-1",
        payload="unused",
        clear=tmp_path / "pip-cache",
        inputs=spec.inputs,
    ).check()  # the job goes on

    workspace = job.output("inputs", "workspace")  # act's job folder, gone after the job
    assert workspace
    message = spec.message.format(home=session.env["HOME"], workspace=workspace)
    assert workflow_commands(job, "warning") == [f"caching skipped: {message}"]
    assert workflow_commands(job, "error") == []
    outputs = declared_outputs(job)
    assert outputs["cache-enabled"] == "false"
    assert outputs["skip-reason"] == f"caching skipped: {message}"
    assert outputs["cache-directory-path"] == ""
    # Neither actions/cache step ran: nothing was restored into it, nothing saved from it.
    assert cache_steps_run(job) == []
    assert job.step("inspect").outcome == "skipped"
    assert stored_keys(session) == []


def hostile_dependency_hash(canary: Path) -> str:
    """Commas, newlines, command substitutions, quotes, an expression, padded to 10 kB."""
    head = (
        "requirements.txt,constraints.txt\n"
        f"$(touch {canary})\n"
        f"`touch {canary}`\n"
        f"'; touch {canary}; echo '\"\n"
        "${{ github.token }}\n"
        "cache-enabled=false\n"
        "tabs\tand spaces, and more commas,,,\n"
    )
    return head + "x" * (10 * 1024 - len(head))


def test_hostile_dependency_hash_gives_a_valid_key_and_caching_works(
    session: ActSession, tmp_path: Path
) -> None:
    canary = tmp_path / "injected"
    hostile = hostile_dependency_hash(canary)
    python = require_interpreter("pyenv-3.11.7")
    first = pip_run(
        session,
        python=python,
        dependency_hash=hostile,
        payload="hostile job",
        clear=tmp_path / "pip-cache",
    ).check()

    outputs = declared_outputs(first)
    key = outputs["cache-key-for-dependencies"]
    assert outputs["cache-enabled"] == "true"
    assert workflow_commands(first, "warning") == []
    assert key_is_valid(key)
    # The value reached the action byte for byte and was hashed, not pasted, into the key.
    assert key == (
        outputs["restore-keys"] + "sha256." + hashlib.sha256(hostile.encode()).hexdigest()
    )
    assert not canary.exists()
    assert outputs["cache-hit"] == "false"
    assert stored_keys(session) == [key.lower()]

    # The same hostile value, now with fail-on-error: still no error, and an exact hit.
    second = pip_run(
        session,
        python=python,
        dependency_hash=hostile,
        payload="unused",
        clear=tmp_path / "pip-cache",
        inputs={"FAIL_ON_ERROR": "true"},
    ).check()
    assert second.output(CPD_STEP, "cache-key-for-dependencies") == key
    assert second.output(CPD_STEP, "cache-hit") == "true"
    assert second.output("inspect", "restored") == "hostile job"
    assert not canary.exists()
    assert stored_keys(session) == [key.lower()]


# --------------------------------------------------------------------------------------------
# 8. a workflow written for the original action runs unchanged


def hash_files(*contents: bytes) -> str:
    """GitHub's hashFiles(): SHA-256 over the SHA-256 digests of the matched files, in order."""
    combined = hashlib.sha256()
    for content in contents:
        combined.update(hashlib.sha256(content).digest())
    return combined.hexdigest()


def test_original_usage_runs_unchanged_with_every_original_output(
    tmp_path: Path, index: LocalIndex
) -> None:
    require_e2e_tools()
    pip_cache = tmp_path / "pip-cache"
    session = new_session(
        tmp_path / "act",
        home=tmp_path / "home",
        pip_cache=pip_cache,
        workflows=(ORIGINAL_USAGE_WORKFLOW,),
    )
    requirements = b"e2e-sample==1.0\n"
    (session.workspace / "requirements.txt").write_bytes(requirements)
    commit_workspace(session.workspace, "add requirements.txt")
    # pyenv's 3.12.1, "set up" first on PATH (the job's python would otherwise be 3.11).
    python_bin = require_interpreter("pyenv-3.12.1").parent
    downloads = index.wheel_downloads()
    job = session.run(
        ORIGINAL_USAGE_WORKFLOW,
        env={
            "E2E_PYTHON_BIN": str(python_bin),
            "PIP_INDEX_URL": index.url,
            "PIP_TRUSTED_HOST": "127.0.0.1",
        },
        cache_actions=pinned_cache_actions(),
    ).check()

    outputs = {name: job.output("pip-cache", name) for name in ORIGINAL_OUTPUTS}
    assert all(outputs.values()), outputs
    assert outputs["cache-directory-path"] == str(pip_cache)
    # The original default lookup command, `python -Im pip cache dir`, says the same.
    assert job.output("check", "pip-cache-dir") == str(pip_cache)
    assert job.output("check", "python") == f"{python_bin}/python"
    assert os_key_pattern().fullmatch(outputs["cache-key-for-os"])
    assert outputs["cache-key-for-python-interpreter"] == (
        outputs["cache-key-for-os"] + "cpython-cp312-3.12-pip.2-tool-"
    )
    key = outputs["cache-key-for-dependencies"]
    assert key == outputs["cache-key-for-python-interpreter"] + hash_files(requirements)
    assert outputs["is-stable-abi"] == "true"
    assert job.output("pip-cache", "cache-hit") == "false"

    # It cached what pip downloaded for the install step.
    assert index.wheel_downloads() == downloads + 1
    assert stored_keys(session) == [key.lower()]
    members = entry_members(session, key)
    assert any("/pip-cache/http" in name and not name.endswith("/") for name in members)
