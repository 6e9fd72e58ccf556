"""The job summary's main scenarios, each from the real steps: the keys step, a simulated
restore, then the record step (as ``test_record_step.py`` and ``test_record_stale_entries.py``
run them), with the tests' local REST API server where the record step asks the API; and the
prune sub-action on a pip cache. ``scripts/render_summaries.py`` renders them for the README,
``test_job_summary.py`` checks them.

The jobs run in a world under one temporary root that looks like a hosted runner's: HOME is
``<root>/home/runner``, the workspace ``<root>/home/runner/work/app/app``, the interpreter a
virtualenv of this Python at ``<root>/opt/hostedtoolcache/Python/<version>/x64``, and the cache
directory is the one pip's own rules find there. ``shown`` strips the root from the Markdown,
so that the pictures show the runner's paths, never this machine's.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Final

from cache_python_deps.entries.key_format import parse_key
from cache_python_deps.record_file import RECORD_NAME
from cache_python_deps.steps import keys as keys_step
from cache_python_deps.steps import prune as prune_step
from tests.github_api_server import GitHubApiServer
from tests.test_github_mode import parse_outputs
from tests.test_record_stale_entries import entry, leave_partial_restore
from tests.test_record_step import Job

REPOSITORY: Final = "octo-org/app"
TOKEN: Final = "ghs_SummaryScenarioToken0123456789"
COMMIT: Final = hashlib.sha1(b"a commit of octo-org/app").hexdigest()


def dependency_hash(text: str) -> str:
    """What ``hashFiles('requirements*.txt')`` gives: a sha256 in hex."""
    return hashlib.sha256(text.encode()).hexdigest()


DEPS_1: Final = dependency_hash("requirements.txt: click==8.1.7")
DEPS_2: Final = dependency_hash("requirements.txt: click==8.2.1")


# Each scenario's file name (docs/summaries/<name>.png) and caption, in the README's order.
TITLES: Final = {
    "exact-hit": "Exact hit",
    "partial-restore": "Partial restore (dependencies changed)",
    "miss": "Miss, explained from the repository's entries",
    "skipped": "Caching skipped (a tag push)",
    "damaged-entry": "A failed restore cleaned, its damaged entry deleted",
    "prune": "The prune sub-action",
    "pull-request": "A pull request: why no exact hit",
}


@dataclass(frozen=True)
class Scenario:
    """One rendered section: its file name, its caption, the Markdown the step wrote (``shown``),
    and the keys step's outputs of its job."""

    name: str
    title: str
    markdown: str
    keys: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class World:
    """The runner-like tree the jobs run in."""

    root: Path
    home: Path
    workspace: Path
    python: Path

    def environ(self, **extra: str) -> dict[str, str]:
        """A job's variables (what the runner and action.yml set), with ``extra``."""
        return {
            "HOME": str(self.home),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_WORKFLOW": "CI",
            "GITHUB_RUN_ID": "9126431457",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_SHA": COMMIT,
            "GITHUB_SERVER_URL": "https://github.com",
            "CPD_PYTHON": str(self.python),
            "CPD_CACHE_DIRECTORY_LOOKUP_COMMAND": "",
            **extra,
        }

    def shown(self, markdown: str) -> str:
        """The Markdown with the world's root left out of every path."""
        return markdown.replace(str(self.root), "")

    def new_runner(self) -> None:
        """A job on a new runner: nothing in HOME's caches yet."""
        shutil.rmtree(self.home / ".cache", ignore_errors=True)


def make_world(root: Path) -> World:
    """HOME, a workspace, and a virtualenv of this Python (with pip) where runners keep one."""
    version = ".".join(str(part) for part in sys.version_info[:3])
    home = root / "home" / "runner"
    workspace = home / "work" / "app" / "app"
    workspace.mkdir(parents=True)
    prefix = root / "opt" / "hostedtoolcache" / "Python" / version / "x64"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(prefix)], check=True, capture_output=True)
    python = prefix / "Scripts" / "python.exe" if os.name == "nt" else prefix / "bin" / "python"
    return World(root, home, workspace, python)


def _job(world: World, name: str, deps: str, **extra: str) -> Job:
    """A job on a new runner, its keys step run."""
    world.new_runner()
    return Job(world.root / "jobs" / name, dependency_hash=deps, environ=world.environ(**extra))


def _summary(world: World, job: Job) -> str:
    return world.shown(job.summary.read_text())


def _scenario(world: World, name: str, job: Job, markdown: str | None = None) -> Scenario:
    keys = {output: world.shown(value) for output, value in job.keys.items()}
    shown = _summary(world, job) if markdown is None else markdown
    return Scenario(name, TITLES[name], shown, keys)


def _saved_entry(world: World, name: str, deps: str) -> Path:
    """A first job that missed and wrote its record: a copy of its directory, as saved."""
    first = _job(world, name, deps)
    first.record_step("")
    saved = world.root / "saved" / name
    shutil.copytree(first.directory, saved, symlinks=True)
    return saved


def _restore(job: Job, saved: Path) -> None:
    """What actions/cache does on a hit: the entry's directory, as saved, is extracted."""
    shutil.copytree(saved, job.directory, symlinks=True)


def exact_hit(world: World) -> Scenario:
    saved = _saved_entry(world, "exact-hit-seed", DEPS_1)
    job = _job(world, "exact-hit", DEPS_1, GITHUB_RUN_ID="9127002215")
    _restore(job, saved)
    job.record_step("true")
    return _scenario(world, "exact-hit", job)


def partial_restore(world: World, server: GitHubApiServer) -> Scenario:
    """New dependencies: the entry of the old ones comes back by the restore key."""
    saved = _saved_entry(world, "partial-seed", DEPS_1)
    job = _job(world, "partial", DEPS_2, GITHUB_RUN_ID="9127310048")
    restored = job.primary.removesuffix(DEPS_2) + DEPS_1
    server.entries = [entry(job, restored, age=timedelta(hours=20), size=412_000_000)]
    _restore(job, saved)
    job.record_step("false", GITHUB_API_URL=server.base_url, CPD_TOKEN=TOKEN)
    return _scenario(world, "partial-restore", job)


# Interpreters of other jobs' entries: never this job's, whichever Python runs the tests.
_OTHER_INTERPRETERS: Final = (("cp312", "3.12"), ("cp310", "3.10"), ("cp313", "3.13"))


def other_interpreters(abi_tag: str) -> list[tuple[str, str]]:
    """Two (abi tag, abi epoch) pairs of interpreters other than ``abi_tag``."""
    return [pair for pair in _OTHER_INTERPRETERS if pair[0] != abi_tag][:2]


def _for_interpreter(key: str, abi_tag: str, epoch: str) -> str:
    """``key`` as another interpreter's job would have it."""
    components = dict(parse_key(key).components)
    components.update({"abi tag": abi_tag, "abi epoch": epoch})
    return "-".join(components.values())


def miss_explained(world: World, server: GitHubApiServer) -> Scenario:
    """No entry for this interpreter yet; the API lists those of two others."""
    job = _job(world, "miss", DEPS_1, GITHUB_RUN_ID="9127555301")
    ages_and_sizes = ((timedelta(hours=3), 412_000_000), (timedelta(days=1), 398_000_000))
    server.entries = [
        entry(job, _for_interpreter(job.primary, tag, epoch), age=age, size=size)
        for (tag, epoch), (age, size) in zip(
            other_interpreters(job.keys["abi-tag"]), ages_and_sizes, strict=True
        )
    ]
    job.record_step("", GITHUB_API_URL=server.base_url, CPD_TOKEN=TOKEN)
    return _scenario(world, "miss", job)


def pull_request(world: World, server: GitHubApiServer) -> Scenario:
    """A pull request restores main's entry by the restore key; an entry with its very key
    exists, on the branch the pull request comes from, which its scope cannot read."""
    saved = _saved_entry(world, "pull-request-seed", DEPS_1)
    event = world.root / "jobs" / "pull-request-event.json"
    event.parent.mkdir(parents=True, exist_ok=True)
    event.write_text(json.dumps({"repository": {"default_branch": "main"}}))
    job = _job(
        world,
        "pull-request",
        DEPS_2,
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_REF="refs/pull/42/merge",
        GITHUB_BASE_REF="main",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_RUN_ID="9128004467",
    )
    restored = job.primary.removesuffix(DEPS_2) + DEPS_1
    newer, older = other_interpreters(job.keys["abi-tag"])
    server.entries = [
        entry(
            job,
            job.primary,
            age=timedelta(hours=3),
            ref="refs/heads/feature/parser",
            size=415_000_000,
        ),
        entry(job, restored, age=timedelta(hours=20), size=412_000_000),
        entry(job, _for_interpreter(job.primary, *newer), age=timedelta(days=1), size=398_000_000),
        entry(job, _for_interpreter(restored, *older), age=timedelta(days=8), size=377_000_000),
    ]
    _restore(job, saved)
    job.record_step("false", GITHUB_API_URL=server.base_url, CPD_TOKEN=TOKEN)
    return _scenario(world, "pull-request", job)


def skipped(world: World) -> Scenario:
    """A tag push: caching is off (a poisoned cache could reach a release)."""
    world.new_runner()
    directory = world.root / "jobs" / "skipped"
    directory.mkdir(parents=True)
    output, summary = directory / "output", directory / "summary"
    output.touch()
    summary.touch()
    environ = world.environ(
        GITHUB_OUTPUT=str(output),
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_EVENT_NAME="push",
        GITHUB_REF="refs/tags/v2.4.0",
        CPD_DEPENDENCY_HASH=DEPS_1,
        PATH="/usr/bin:/bin",
    )
    assert keys_step.main(environ, io.StringIO()) == 0
    keys = {name: world.shown(value) for name, value in parse_outputs(output.read_text()).items()}
    return Scenario("skipped", TITLES["skipped"], world.shown(summary.read_text()), keys)


def damaged_entry(world: World, server: GitHubApiServer) -> Scenario:
    """A restore that failed part way: what it left is removed, the damaged entry deleted."""
    job = _job(world, "damaged", DEPS_1, GITHUB_RUN_ID="9127790112")
    other = _for_interpreter(job.primary, *other_interpreters(job.keys["abi-tag"])[0])
    server.entries = [
        entry(job, job.primary, age=timedelta(days=2), size=405_000_000),
        entry(job, other, age=timedelta(hours=5), size=412_000_000),
    ]
    leave_partial_restore(job.directory)
    job.record_step(
        "",
        GITHUB_API_URL=server.base_url,
        CPD_TOKEN=TOKEN,
        CPD_DIRECTORY_BEFORE=job.keys["directory-before"],
        CPD_DELETE_STALE_ENTRIES="true",
    )
    assert [path.name for path in job.directory.iterdir()] == [RECORD_NAME]
    return _scenario(world, "damaged-entry", job)


def pruned(world: World) -> Scenario:
    """The prune sub-action after a job filled pip's cache (downloads, and a wheel it built)."""
    job = _job(world, "prune", DEPS_1)
    cache = job.directory
    (cache / "http-v2" / "a" / "b").mkdir(parents=True)
    (cache / "http-v2" / "a" / "b" / "response").write_bytes(b"\0" * 3_200_000)
    built = cache / "wheels" / "ab" / "cd" / "ef"
    built.mkdir(parents=True)
    (built / "pyyaml-6.0.2-cp311-cp311-linux_x86_64.whl").write_bytes(b"PK" + b"\0" * 700_000)
    directory = world.root / "jobs" / "prune-step"
    directory.mkdir(parents=True)
    summary = directory / "summary"
    summary.touch()
    environ = world.environ(
        GITHUB_STEP_SUMMARY=str(summary),
        CPD_CACHE_DIRECTORY_PATH=str(cache),
        CPD_TOOL="pip",
        CPD_IS_STABLE_ABI="true",
        PATH="/usr/bin:/bin",
    )
    assert prune_step.main(environ, io.StringIO()) == 0
    shown = world.shown(summary.read_text())
    return _scenario(world, "prune", job, shown)


@contextmanager
def _api() -> Iterator[GitHubApiServer]:
    with GitHubApiServer(REPOSITORY, token=TOKEN) as server:
        yield server
    server.assert_valid()


def run_scenarios(root: Path) -> list[Scenario]:
    """Every scenario, in the README's order, in a new world under ``root``."""
    world = make_world(root)
    scenarios = [exact_hit(world)]
    with _api() as server:
        scenarios.append(partial_restore(world, server))
    with _api() as server:
        scenarios.append(miss_explained(world, server))
    scenarios.append(skipped(world))
    with _api() as server:
        scenarios.append(damaged_entry(world, server))
    scenarios.append(pruned(world))
    with _api() as server:
        scenarios.append(pull_request(world, server))
    return scenarios


def by_name(scenarios: list[Scenario]) -> Mapping[str, Scenario]:
    return {scenario.name: scenario for scenario in scenarios}


def remove_world(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
