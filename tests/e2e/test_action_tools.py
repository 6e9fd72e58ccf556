"""The action with the real uv and poetry, end to end under act: miss, prune, save, then hit.

Each scenario is a project locked here by the real tool (``tests/toolsenv.py``) against a
local index on 127.0.0.1 serving one sdist, ``cpd-e2e-built``, that needs no build requirement
(its own in-tree PEP 517 backend) and builds into a wheel tagged for the building interpreter's
ABI (``cp311-cp311-linux_<arch>``): what is worth caching. Two jobs run on one cache server:

1. a new runner (empty HOME, so the tool's default cache directory under ``$XDG_CACHE_HOME`` is
   empty): the action misses; the tool downloads the sdist and builds the wheel into its cache;
   the prune sub-action (``re-actors/cache-python-deps/prune@release/v1``) shrinks the cache and
   reports bytes before and after; the action's post step saves what is left, the action's
   provenance record (written by its record step into the new cache directory) included;
2. another new runner: an exact hit restores exactly what the first job saved, and the tool
   installs from it: ``uv sync --offline``; poetry (which has no offline mode) fetches only the
   project's index page, neither the sdist nor a build.

The jobs' HOME, XDG folders and tool caches are inside the tests' temporary folders.
"""

from __future__ import annotations

import hashlib
import io
import os
import platform
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from cache_python_deps.github import human_size
from tests.e2e.act_harness import ActRun, ActSession, commit_workspace
from tests.e2e.scenario_support import (
    CPD_STEP,
    RECORD_FILE,
    LocalIndex,
    declared_outputs,
    entry_members,
    entry_record,
    key_is_valid,
    new_session,
    os_key_pattern,
    pinned_cache_actions,
    require_e2e_tools,
    stored_keys,
)
from tests.markdown_check import summary_problems
from tests.support import require_interpreter
from tests.toolsenv import tool_executable

pytestmark = pytest.mark.e2e

INTERPRETER = "pyenv-3.11.7"
UV_WORKFLOW = "action-tools-uv.yml"
POETRY_WORKFLOW = "action-tools-poetry.yml"

PACKAGE = "cpd-e2e-built"
DIST = "cpd_e2e_built"
VERSION = "1.0"
SDIST = f"{DIST}-{VERSION}.tar.gz"
BUILT_TAG = f"cp311-cp311-linux_{platform.machine()}"
BUILT_WHEEL = f"{DIST}-{VERSION}-{BUILT_TAG}.whl"
MODULE_VALUE = f"{PACKAGE} {VERSION} built from source for {BUILT_TAG}"

#: Variables of this process that would reach the jobs (they inherit it) or the lock commands.
_FOREIGN_VARIABLES = re.compile(r"(UV_|POETRY_|PDM_|PIPENV_|VIRTUAL_ENV|CONDA_).*")
# The prune sub-action's log group (its job summary says the same with the path as code).
_PRUNED = re.compile(r"::group::pruned (\w+) cache (\S+): (\d+) bytes before, (\d+) bytes after")
PRUNE_STEP_NAME = "Prune the cache before it is saved"  # the step in prune/action.yml

# --------------------------------------------------------------------------------------------
# The sdist and the index serving it

_BACKEND = '''\
"""A PEP 517 backend needing nothing installed: builds cpd-e2e-built for this interpreter."""

import base64
import hashlib
import os
import sys
import sysconfig
import zipfile


def _tag():
    python = "cp%d%d" % sys.version_info[:2]
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return python + "-" + python + "-" + platform


def _record(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "sha256=" + digest


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    tag = _tag()
    dist_info = "cpd_e2e_built-1.0.dist-info"
    members = {
        "cpd_e2e_built.py": (
            "VALUE = %r\\n" % ("cpd-e2e-built 1.0 built from source for " + tag)
        ).encode(),
        dist_info + "/METADATA": b"Metadata-Version: 2.1\\nName: cpd-e2e-built\\nVersion: 1.0\\n",
        dist_info + "/WHEEL": (
            "Wheel-Version: 1.0\\nGenerator: cpd-e2e\\nRoot-Is-Purelib: false\\nTag: %s\\n" % tag
        ).encode(),
    }
    record = "".join("%s,%s,%d\\n" % (n, _record(d), len(d)) for n, d in members.items())
    members[dist_info + "/RECORD"] = (record + dist_info + "/RECORD,,\\n").encode()
    name = "cpd_e2e_built-1.0-%s.whl" % tag
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return name
'''

_SDIST_FILES = {
    "pyproject.toml": (
        "[build-system]\n"
        "requires = []\n"
        'build-backend = "cpd_e2e_backend"\n'
        'backend-path = ["."]\n'
        "\n"
        "[project]\n"
        f'name = "{PACKAGE}"\n'
        f'version = "{VERSION}"\n'
    ),
    "cpd_e2e_backend.py": _BACKEND,
    "PKG-INFO": f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: {VERSION}\n",
}


def build_sdist(dest: Path) -> Path:
    """The sdist of cpd-e2e-built (no wheel exists anywhere: installers must build one)."""
    dest.mkdir(parents=True, exist_ok=True)
    sdist = dest / SDIST
    with tarfile.open(sdist, "w:gz") as archive:
        for name, text in _SDIST_FILES.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(f"{DIST}-{VERSION}/{name}")
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return sdist


SDIST_DOWNLOAD = f"GET /files/{SDIST}"
PROJECT_PAGE = f"GET /simple/{PACKAGE}/"


# --------------------------------------------------------------------------------------------
# Projects, locked by the real tools


def uv_project(index_url: str) -> dict[str, str]:
    """No ``[tool.uv]`` in pyproject.toml (``auto`` would pick uv from it): the index is in
    ``uv.toml``, so only ``uv.lock`` tells ``auto`` that this is a uv project."""
    return {
        "pyproject.toml": (
            "[project]\n"
            'name = "cpd-e2e-uv-project"\n'
            'version = "0"\n'
            'requires-python = ">=3.11"\n'
            f'dependencies = ["{PACKAGE}=={VERSION}"]\n'
        ),
        "uv.toml": f'[[index]]\nname = "local"\nurl = "{index_url}"\ndefault = true\n',
    }


def poetry_project(index_url: str) -> dict[str, str]:
    return {
        "pyproject.toml": (
            "[project]\n"
            'name = "cpd-e2e-poetry-project"\n'
            'version = "0"\n'
            'requires-python = ">=3.11"\n'
            f'dependencies = ["{PACKAGE}=={VERSION}"]\n'
            "\n"
            "[tool.poetry]\n"
            "package-mode = false\n"
            "\n"
            "[[tool.poetry.source]]\n"
            'name = "local"\n'
            f'url = "{index_url}/"\n'
            'priority = "primary"\n'
        )
    }


def clean_environment(home: Path, python: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """An environment for the lock commands: nothing of this user's, everything temporary."""
    return {
        "PATH": os.pathsep.join([str(python.parent), os.environ.get("PATH", os.defpath)]),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "LANG": "C.UTF-8",
        **extra,
    }


def lock_project(
    project: Path, command: list[str], environment: Mapping[str, str], lock_file: str
) -> str:
    """Run the tool's lock command in ``project``; return the lock file it wrote."""
    completed = subprocess.run(
        command,
        cwd=project,
        env=dict(environment),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, f"{command} failed:\n{completed.stdout}\n{completed.stderr}"
    return (project / lock_file).read_text(encoding="utf-8")


def hash_files_digest(directory: Path, names: list[str]) -> str:
    """What GitHub's hashFiles() gives for these files, in this order."""
    combined = hashlib.sha256()
    for name in names:
        combined.update(hashlib.sha256((directory / name).read_bytes()).digest())
    return combined.hexdigest()


# --------------------------------------------------------------------------------------------
# Running the two jobs


@dataclass(frozen=True)
class ToolJobs:
    """The two jobs of one scenario and what they leave behind."""

    session: ActSession
    first: ActRun
    second: ActRun
    python: Path
    tools_bin: Path
    cache_dir: Path
    #: hashFiles() of the tool's dependency files in the workspace, sorted by name.
    dependency_digest: str
    first_requests: list[str]
    second_requests: list[str]

    @property
    def key(self) -> str:
        return self.first.output(CPD_STEP, "cache-key-for-dependencies")

    def saved_files(self) -> list[str]:
        """The files of the saved entry, relative to the cache directory, sorted."""
        workspace = self.first.output("inspect", "workspace")
        assert workspace, "the first job reported no workspace"
        prefix = os.path.relpath(self.cache_dir, workspace)
        members = entry_members(self.session, self.key)
        outside = [m for m in members if m.rstrip("/") != prefix and not m.startswith(prefix + "/")]
        assert not outside, f"the entry holds more than {prefix}: {outside}"
        return sorted(
            member.removeprefix(prefix + "/")
            for member in members
            if member.startswith(prefix + "/") and not member.endswith("/")
        )


def listing(run: ActRun, name: str) -> list[str]:
    """A cache listing the workflow wrote (``find . ! -type d``), without the ``./``."""
    return [line.removeprefix("./") for line in run.artifact(name).splitlines() if line]


def prune_report(run: ActRun, lock: Path) -> tuple[str, str, int, int]:
    """(tool, directory, bytes before, bytes after) as the prune sub-action printed them.

    The lock file (read from the workspace, the project-directory default) names the one
    version built, so nothing was superseded.
    """
    found = {match.groups() for match in _PRUNED.finditer(run.log)}
    assert len(found) == 1, f"expected one prune report, found {found}\n{run.log_tail()}"
    ((tool, directory, before, after),) = found
    superseded = f"no built wheel superseded by {lock.name} {lock}; kept 1 in use"
    assert superseded in run.log
    summary = run.step_summary(PRUNE_STEP_NAME)
    assert summary_problems(summary) == [], summary
    head = (
        f"### cache-python-deps prune\n\n**Pruned**: the {tool} cache in `{directory}` went "
        f"from {human_size(int(before))} to {human_size(int(after))} ("
    )
    tail = f" removed).\n\n- no built wheel superseded by {lock.name} `{lock}`; kept 1 in use"
    assert summary.startswith(head) and summary.endswith(tail), summary
    assert re.fullmatch(r"[0-9]+ entr(y|ies)", summary[len(head) : -len(tail)]), summary
    return tool, directory, int(before), int(after)


def run_tool_jobs(
    tmp_path_factory: pytest.TempPathFactory,
    index: LocalIndex,
    *,
    tool: str,
    tool_input: str,
    workflow: str,
    cache_subdirectory: str,
    dependency_files: list[str],
    lock: tuple[list[str], str],
    project_files: Mapping[str, str],
    lock_environment: Mapping[str, str],
) -> ToolJobs:
    require_e2e_tools()
    python = require_interpreter(INTERPRETER)
    executable = tool_executable(tool)
    root = tmp_path_factory.mktemp(tool)

    # Lock the project with the real tool, its cache apart from the jobs' (so job 1 misses).
    project = root / "project"
    project.mkdir()
    for name, text in project_files.items():
        (project / name).write_text(text, encoding="utf-8")
    lock_home = root / "lock-home"
    lock_home.mkdir()
    command, lock_file = lock
    locked = lock_project(
        project,
        [str(executable), *command],
        clean_environment(lock_home, python, lock_environment),
        lock_file,
    )
    assert SDIST in locked  # the lock names the sdist: there is no wheel to take instead

    home = root / "home"
    session = new_session(
        root / "act", home=home, pip_cache=root / "pip-cache", workflows=(workflow,)
    )
    for name in (*project_files, lock_file):
        shutil.copyfile(project / name, session.workspace / name)
    commit_workspace(session.workspace, f"a {tool} project")
    digest = hash_files_digest(session.workspace, sorted(dependency_files))

    # Only this tool on the jobs' PATH (the tools' venv also holds a python).
    tools_bin = root / "tools-bin"
    tools_bin.mkdir()
    (tools_bin / tool).symlink_to(executable)
    env = {
        "E2E_TOOLS_BIN": str(tools_bin),
        "E2E_PYTHON_BIN": str(python.parent),
        "E2E_PYTHON": str(python),
        "E2E_TOOL": tool_input,
        "UV_PYTHON": str(python),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if _FOREIGN_VARIABLES.fullmatch(name)]:
            patch.delenv(name)
        index.take_requests()
        first = session.run(workflow, env=env, cache_actions=pinned_cache_actions()).check()
        first_requests = index.take_requests()
        # A new runner: nothing in HOME, so the tool's cache directory is empty again.
        # (E2E_OFFLINE: the uv workflow syncs with --offline; poetry has no such mode.)
        shutil.rmtree(home)
        home.mkdir()
        second = session.run(
            workflow, env={**env, "E2E_OFFLINE": "true"}, cache_actions=pinned_cache_actions()
        ).check()
        second_requests = index.take_requests()
    return ToolJobs(
        session=session,
        first=first,
        second=second,
        python=python,
        tools_bin=tools_bin,
        cache_dir=home / ".cache" / cache_subdirectory,
        dependency_digest=digest,
        first_requests=first_requests,
        second_requests=second_requests,
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    served = LocalIndex(
        tmp_path_factory.mktemp("sdist-index"),
        project=PACKAGE,
        build=build_sdist,
        cache_headers=False,
    ).start()
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="module")
def uv_jobs(tmp_path_factory: pytest.TempPathFactory, index: LocalIndex) -> ToolJobs:
    python = require_interpreter(INTERPRETER)
    return run_tool_jobs(
        tmp_path_factory,
        index,
        tool="uv",
        tool_input="auto",
        workflow=UV_WORKFLOW,
        cache_subdirectory="uv",
        dependency_files=["pyproject.toml", "uv.lock"],
        lock=(["lock"], "uv.lock"),
        project_files=uv_project(index.url),
        lock_environment={
            "UV_CACHE_DIR": str(tmp_path_factory.mktemp("uv-lock-cache")),
            "UV_PYTHON": str(python),
            "UV_PYTHON_DOWNLOADS": "never",
        },
    )


@pytest.fixture(scope="module")
def poetry_jobs(tmp_path_factory: pytest.TempPathFactory, index: LocalIndex) -> ToolJobs:
    return run_tool_jobs(
        tmp_path_factory,
        index,
        tool="poetry",
        tool_input="poetry",
        workflow=POETRY_WORKFLOW,
        cache_subdirectory="pypoetry",
        dependency_files=["poetry.lock", "pyproject.toml"],
        lock=(["lock", "--no-interaction"], "poetry.lock"),
        project_files=poetry_project(index.url),
        lock_environment={"POETRY_CACHE_DIR": str(tmp_path_factory.mktemp("poetry-lock-cache"))},
    )


# --------------------------------------------------------------------------------------------
# Assertions shared by both tools


def check_first_job_misses(jobs: ToolJobs, tool: str) -> dict[str, str]:
    outputs = declared_outputs(jobs.first)
    key = outputs["cache-key-for-dependencies"]
    assert outputs["cache-enabled"] == "true"
    assert outputs["skip-reason"] == ""
    assert jobs.first.output(CPD_STEP, "tool") == tool
    assert (
        outputs["cache-hit"] == "false"
    )  # from the record step (a miss leaves actions/cache's unset)
    assert outputs["cache-matched-key"] == ""
    assert outputs["abi-tag"] == "cp311"
    assert outputs["is-stable-abi"] == "true"
    assert os_key_pattern().fullmatch(outputs["cache-key-for-os"])
    # The interpreter prefix is the restore key: everything but the dependency hash.
    restore_prefix = f"{outputs['cache-key-for-os']}cpython-cp311-3.11-{tool}.1-tool-"
    assert outputs["cache-key-for-python-interpreter"] == restore_prefix
    assert outputs["restore-keys"] == restore_prefix
    # The key hashes the project's own dependency files (no cache-key-for-dependency-files).
    assert key == restore_prefix + jobs.dependency_digest
    assert key_is_valid(key)
    # The directory the action caches is the tool's default one, as the tool itself says.
    assert outputs["cache-directory-path"] == str(jobs.cache_dir)
    assert jobs.first.output("inspect", f"{tool}-cache-dir") == str(jobs.cache_dir)
    assert jobs.first.output("inspect", tool) == str(jobs.tools_bin / tool)
    # Nothing was restored: the record step made the directory for this job's record.
    assert listing(jobs.first, "restored.txt") == [RECORD_FILE]
    # The sdist was downloaded once and built into an ABI-tagged wheel, which the job imports.
    assert jobs.first_requests.count(SDIST_DOWNLOAD) == 1
    assert jobs.first.output("install", "value") == MODULE_VALUE
    return outputs


def check_prune_after_install(jobs: ToolJobs, tool: str) -> list[str]:
    """The prune report matches the cache before and after; returns what was left."""
    assert jobs.first.step("prune").outcome == "success"
    workspace = Path(jobs.first.output("inspect", "workspace"))
    lock = workspace / {"uv": "uv.lock", "poetry": "poetry.lock"}[tool]
    reported_tool, directory, before, after = prune_report(jobs.first, lock)
    assert reported_tool == tool
    assert directory == os.path.realpath(jobs.cache_dir)
    assert before == int(jobs.first.output("install", "bytes"))
    assert after == int(jobs.first.output("pruned", "bytes"))
    assert 0 < after < before
    kept = listing(jobs.first, "pruned.txt")
    built = [name for name in kept if name.endswith("/" + BUILT_WHEEL)]
    assert len(built) == 1, kept
    assert RECORD_FILE in kept  # prune keeps the action's provenance record
    return kept


def check_post_step_saved_the_pruned_cache(jobs: ToolJobs) -> None:
    assert stored_keys(jobs.session) == [jobs.key.lower()]
    assert jobs.saved_files() == listing(jobs.first, "pruned.txt")
    record = entry_record(jobs.session, jobs.key)
    assert record is not None
    assert record["key"] == jobs.key
    assert record["saved_by"]["run_id"] == jobs.first.run_id


def check_second_job_hits(jobs: ToolJobs) -> None:
    outputs = declared_outputs(jobs.second)
    assert outputs["cache-enabled"] == "true"
    assert outputs["cache-key-for-dependencies"] == jobs.key
    assert outputs["cache-directory-path"] == str(jobs.cache_dir)
    assert outputs["cache-hit"] == "true"
    assert outputs["cache-matched-key"].lower() == jobs.key.lower()
    # Exactly what the first job saved came back, before the tool ran.
    assert listing(jobs.second, "restored.txt") == listing(jobs.first, "pruned.txt")
    assert jobs.second.output("install", "value") == MODULE_VALUE
    # An exact hit saves nothing (entries are immutable).
    assert stored_keys(jobs.session) == [jobs.key.lower()]


# --------------------------------------------------------------------------------------------
# 1. uv


def test_uv_first_job_misses_and_uv_builds_into_its_cache(uv_jobs: ToolJobs) -> None:
    check_first_job_misses(uv_jobs, "uv")
    # tool: auto picked uv from uv.lock alone: pyproject.toml has no [tool.uv].
    assert "[tool." not in (uv_jobs.session.workspace / "pyproject.toml").read_text("utf-8")
    log = uv_jobs.first.artifact("install.log")
    assert f"Building {PACKAGE}=={VERSION}" in log
    assert f"+ {PACKAGE}=={VERSION}" in log


def test_uv_prune_keeps_the_built_wheel_and_drops_the_rest(uv_jobs: ToolJobs) -> None:
    kept = check_prune_after_install(uv_jobs, "uv")
    (built,) = [name for name in kept if name.endswith("/" + BUILT_WHEEL)]
    assert re.fullmatch(
        rf"sdists-v\d+/index/[0-9a-f]+/{PACKAGE}/{VERSION}/[^/]+/{BUILT_WHEEL}", built
    )
    assert str(Path(built).parent / "metadata.msgpack") in kept
    # uv cache prune --ci: no unpacked source, no unzipped wheel, no unreferenced archive.
    assert not [name for name in kept if "/src/" in name or name.startswith("archive-v")]
    assert not [name for name in kept if name.startswith("wheels-v")]
    assert "CACHEDIR.TAG" in kept


def test_uv_post_step_saves_the_pruned_cache(uv_jobs: ToolJobs) -> None:
    check_post_step_saved_the_pruned_cache(uv_jobs)


def test_uv_second_job_hits_and_syncs_offline_from_the_restored_cache(
    uv_jobs: ToolJobs,
) -> None:
    check_second_job_hits(uv_jobs)
    assert uv_jobs.second.output("inspect", "uv-cache-dir") == str(uv_jobs.cache_dir)
    log = uv_jobs.second.artifact("install.log")
    assert "Building" not in log  # the wheel built by the first job was installed
    assert f"+ {PACKAGE}=={VERSION}" in log
    assert uv_jobs.second_requests == []  # --offline: the index was never asked


# --------------------------------------------------------------------------------------------
# 2. poetry


def test_poetry_first_job_misses_and_poetry_builds_into_its_cache(poetry_jobs: ToolJobs) -> None:
    check_first_job_misses(poetry_jobs, "poetry")
    log = poetry_jobs.first.artifact("install.log")
    assert "Building wheel" in log
    assert f"Installing {PACKAGE} ({VERSION})" in log
    # poetry made its virtualenv from the interpreter the action keyed on.
    base = poetry_jobs.first.output("install", "python")
    assert Path(base).resolve() == poetry_jobs.python.resolve()


def test_poetry_prune_keeps_the_built_wheel_and_drops_virtualenvs(poetry_jobs: ToolJobs) -> None:
    kept = check_prune_after_install(poetry_jobs, "poetry")
    (built,) = [name for name in kept if name.endswith("/" + BUILT_WHEEL)]
    assert built.startswith("artifacts/")
    # The sdist stays beside the wheel built from it; the job's virtualenv goes.
    assert str(Path(built).parent / SDIST) in kept
    assert not [name for name in kept if not name.startswith("artifacts/") and name != RECORD_FILE]
    assert "virtualenvs" in poetry_jobs.first.log  # listed among the removed entries


def test_poetry_post_step_saves_the_pruned_cache(poetry_jobs: ToolJobs) -> None:
    check_post_step_saved_the_pruned_cache(poetry_jobs)


def test_poetry_second_job_hits_and_installs_from_the_restored_cache(
    poetry_jobs: ToolJobs,
) -> None:
    check_second_job_hits(poetry_jobs)
    assert poetry_jobs.second.output("inspect", "poetry-cache-dir") == str(poetry_jobs.cache_dir)
    log = poetry_jobs.second.artifact("install.log")
    assert f"Installing {PACKAGE} ({VERSION})" in log
    assert "Building wheel" not in log  # the wheel built by the first job was reused
    # poetry has no offline mode: it reads the project's index page, but never the sdist.
    assert SDIST_DOWNLOAD not in poetry_jobs.second_requests
    assert set(poetry_jobs.second_requests) <= {PROJECT_PAGE}
