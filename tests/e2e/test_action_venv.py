"""The action caching a virtualenv (``cache-kind: venv``), end to end under act.

A venv is only valid for the very interpreter install it was made from (``pyvenv.cfg`` and
``bin/python`` name it), so it is restored into that install only: pyenv's 3.11.7 gets its venv
back, Debian's 3.11 (same ABI, another install) starts from nothing.

act runs each job in a new workspace folder, so the default ``./.venv`` cannot be restored by a
later job here (actions/cache's "version" hashes the absolute path, fixed on GitHub): the
round trip uses a fixed folder given by ``cache-directory-lookup-command``, and one job checks
that the default is ``$GITHUB_WORKSPACE/.venv`` and what it saves.

The action's record step writes its provenance record into a virtualenv only when one exists
already (restored): it never creates the directory, since tools refuse to create a venv over a
non-empty one. So an entry saved by a job that created its venv has no record, and a restored
venv whose record names another identity is removed and made anew.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.act_harness import ActRun, ActSession
from tests.e2e.scenario_support import (
    CPD_STEP,
    RECORD_FILE,
    SAMPLE_MODULE_VALUE,
    VENV_WORKFLOW,
    LocalIndex,
    declared_outputs,
    entry_members,
    entry_record,
    key_is_valid,
    new_session,
    pinned_cache_actions,
    record_artifact,
    record_summary,
    require_e2e_tools,
    serve_local_index,
    status_line,
    stored_keys,
    table_rows,
    workflow_annotations,
)
from tests.support import require_interpreter

pytestmark = pytest.mark.e2e

LOOKUP_COMMAND = 'echo "$E2E_VENV"'  # run by the action in the job's environment


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    yield from serve_local_index(tmp_path_factory)


@pytest.fixture
def session(tmp_path: Path) -> ActSession:
    require_e2e_tools()
    return new_session(
        tmp_path / "act",
        home=tmp_path / "home",
        pip_cache=tmp_path / "pip-cache",
        workflows=(VENV_WORKFLOW,),
    )


def venv_job(
    session: ActSession,
    *,
    python: Path,
    index: LocalIndex,
    deps: str,
    payload: str,
    venv: Path | None,
    tamper_abi_tag: str = "",
) -> ActRun:
    """One job on a new runner; ``venv`` None: the default directory, else the lookup command.

    ``tamper_abi_tag``: rewrite the venv's provenance record to claim it before the save.
    """
    shutil.rmtree(session.env["PIP_CACHE_DIR"], ignore_errors=True)  # pip's own cache too
    env = {
        "E2E_PYTHON": str(python),
        "E2E_DEPS": deps,
        "E2E_INDEX_URL": index.url,
        "E2E_PAYLOAD": payload,
        "E2E_TAMPER_ABI_TAG": tamper_abi_tag,
    }
    if venv is not None:
        shutil.rmtree(venv, ignore_errors=True)  # a new runner: no venv yet
        env |= {"E2E_VENV": str(venv), "E2E_LOOKUP_COMMAND": LOOKUP_COMMAND}
    return session.run(VENV_WORKFLOW, env=env, cache_actions=pinned_cache_actions()).check()


def test_venv_is_restored_only_into_the_same_interpreter_install(
    session: ActSession, index: LocalIndex, tmp_path: Path
) -> None:
    pyenv = require_interpreter("pyenv-3.11.7")
    debian = require_interpreter("debian-3.11")
    venv = tmp_path / "venv"

    first = venv_job(
        session, python=pyenv, index=index, deps="venv-deps", payload="pyenv venv", venv=venv
    )
    outputs = declared_outputs(first)
    key = outputs["cache-key-for-dependencies"]
    assert outputs["cache-enabled"] == "true"
    assert outputs["cache-directory-path"] == str(venv)
    assert outputs["cache-hit"] == "false"
    assert outputs["cache-matched-key"] == ""
    assert outputs["abi-tag"] == "cp311"
    # The venv key names the exact version and the install, past the ABI fields; the
    # interpreter prefix and the restore key are the key without the dependency hash.
    interpreter_key = outputs["cache-key-for-python-interpreter"]
    assert interpreter_key.startswith(outputs["cache-key-for-os"] + "cpython-cp311-3.11-pip.2-")
    assert "-venv.3.11.7." in interpreter_key
    assert key == interpreter_key + "venv-deps"
    assert key_is_valid(key)
    assert outputs["restore-keys"] == interpreter_key
    assert first.output("inspect", "existed") == "false"
    assert first.step("create").outcome == "success"
    assert first.output("use", "value") == SAMPLE_MODULE_VALUE
    assert stored_keys(session) == [key.lower()]
    members = entry_members(session, key)
    assert any(name.endswith("/venv/pyvenv.cfg") for name in members)
    assert any(
        name.endswith("/venv/lib/python3.11/site-packages/e2e_sample.py") for name in members
    )
    # The venv did not exist at the record step, which never creates one: no record saved.
    assert not any(name.endswith(f"/venv/{RECORD_FILE}") for name in members)
    assert "no provenance record in the virtualenv: it does not exist yet" in first.log

    # The same install on a new runner: the venv comes back and runs without being rebuilt.
    second = venv_job(
        session, python=pyenv, index=index, deps="venv-deps", payload="unused", venv=venv
    )
    assert second.output(CPD_STEP, "cache-key-for-dependencies") == key
    assert second.output(CPD_STEP, "cache-hit") == "true"
    assert second.output(CPD_STEP, "cache-matched-key").lower() == key.lower()
    assert second.output("inspect", "existed") == "true"
    assert second.output("inspect", "restored") == "pyenv venv"
    assert record_artifact(second) is None
    assert status_line(record_summary(second)) == (
        "**Exact hit**: restored the entry saved under this job's key; it has no provenance "
        "record (saved before records existed, or its directory was emptied)."
    )
    assert second.step("create").outcome == "skipped"
    assert second.output("use", "value") == SAMPLE_MODULE_VALUE
    assert second.output("use", "version") == "3.11.7"
    assert stored_keys(session) == [key.lower()]

    # Same ABI, another install (Debian's 3.11.2): neither the key nor the restore key matches.
    other = venv_job(
        session, python=debian, index=index, deps="venv-deps", payload="debian venv", venv=venv
    )
    other_outputs = declared_outputs(other)
    other_key = other_outputs["cache-key-for-dependencies"]
    # The same ABI fields, another venv kind (exact version and install).
    abi_prefix = interpreter_key.partition("-venv.")[0]
    assert other_outputs["cache-key-for-python-interpreter"].startswith(abi_prefix + "-venv.")
    assert "-venv.3.11.2." in other_key
    assert other_key != key
    assert not key.startswith(other_outputs["restore-keys"])
    assert other_outputs["cache-hit"] == "false"
    assert other_outputs["cache-matched-key"] == ""
    assert other.output("inspect", "existed") == "false"
    assert other.output("inspect", "restored") == ""
    assert other.step("create").outcome == "success"
    assert other.output("use", "version") == "3.11.2"
    assert other.output("use", "base") == "/usr/bin/python3.11"
    assert stored_keys(session) == [key.lower(), other_key.lower()]


def test_venv_defaults_to_dot_venv_in_the_workspace(session: ActSession, index: LocalIndex) -> None:
    job = venv_job(
        session,
        python=require_interpreter("pyenv-3.11.7"),
        index=index,
        deps="default-dir",
        payload="default venv",
        venv=None,
    )
    outputs = declared_outputs(job)
    workspace = job.output("inspect", "workspace")
    assert workspace
    assert outputs["cache-directory-path"] == f"{workspace}/.venv"
    assert outputs["cache-enabled"] == "true"
    assert job.output("use", "value") == SAMPLE_MODULE_VALUE
    key = outputs["cache-key-for-dependencies"]
    assert stored_keys(session) == [key.lower()]
    # Saved relative to the workspace, as actions/cache does: restorable into ./.venv.
    members = entry_members(session, key)
    assert ".venv/pyvenv.cfg" in members
    assert ".venv/e2e-marker.txt" in members


def test_tampered_record_removes_the_restored_virtualenv(
    session: ActSession, index: LocalIndex, tmp_path: Path
) -> None:
    pyenv = require_interpreter("pyenv-3.11.7")
    venv = tmp_path / "venv"
    first = venv_job(session, python=pyenv, index=index, deps="deps-a", payload="a", venv=venv)
    first_key = first.output(CPD_STEP, "cache-key-for-dependencies")

    # New dependencies: the venv comes back through the restore key, so it exists at the record
    # step, which writes this job's record into it; a later step rewrites the record to claim
    # another ABI tag before the post step saves (a poisoned entry).
    poisoning = venv_job(
        session,
        python=pyenv,
        index=index,
        deps="deps-b",
        payload="b",
        venv=venv,
        tamper_abi_tag="cp313",
    )
    key = poisoning.output(CPD_STEP, "cache-key-for-dependencies")
    assert poisoning.output(CPD_STEP, "cache-hit") == "false"
    assert poisoning.output("inspect", "restored") == "a"
    # The restored entry has no record (its venv was created after the action's step), so
    # which entry came back is unknown: actions/cache's main step does not say.
    assert poisoning.output(CPD_STEP, "cache-matched-key") == ""
    assert (record_artifact(poisoning) or {}).get("key") == key
    assert stored_keys(session) == [first_key.lower(), key.lower()]
    poisoned = entry_record(session, key)
    assert poisoned is not None
    assert poisoned["components"]["abi tag"] == "cp313"
    assert poisoned["key"] == poisoning.output("tamper", "key")

    # The poisoned entry is an exact hit: the action removes the venv instead of using it.
    hit = venv_job(session, python=pyenv, index=index, deps="deps-b", payload="c", venv=venv)
    outputs = declared_outputs(hit)
    assert outputs["cache-key-for-dependencies"] == key
    assert outputs["cache-hit"] == "false"
    assert outputs["cache-matched-key"] == ""
    assert workflow_annotations(hit, "warning") == [
        (
            "cache-python-deps",
            "the restored virtualenv was removed: its record is for another abi tag (tampered "
            "with, or restored through another restore key); it will be created anew",
        )
    ]
    assert hit.output("inspect", "existed") == "false"
    assert hit.step("create").outcome == "success"
    assert hit.output("use", "value") == SAMPLE_MODULE_VALUE
    assert hit.output("use", "version") == "3.11.7"
    summary = record_summary(hit)
    assert status_line(summary) == (
        "**Restored virtualenv removed**: its record is for another abi tag (tampered with, or "
        "restored through another restore key); it will be created anew."
    )
    assert "| differs in abi tag | `cp313` -> `cp311` |" in table_rows(summary, "restored entry")
    # actions/cache had an exact hit, so its post step saved nothing.
    assert stored_keys(session) == [first_key.lower(), key.lower()]
