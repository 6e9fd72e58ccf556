"""Benchmark: whole jobs with and without a dependency cache, under act, as users wait for them.

For pip, uv and poetry, a project of 34 installed distributions (four built from sdists; see
``benchmarks/warm_job_project.py``) is installed in the job ``benchmarks/workflows/warm-job.yml``
with each cache variant:

* no cache;
* the original action (``re-actors/cache-python-deps`` release/v1: pip's cache; pip only);
* this action with the tool's cache (``cache-kind: tool``), unpruned and pruned (the prune
  sub-action as the job's last step);
* this action with a virtualenv (``cache-kind: venv``, ``.venv``).

Each variant runs, on its own cache server (a series):

1. a cold job: empty cache, the dependencies of state 0 installed, the entry saved;
2. a warm job: the exact key hit (state 0 again);
3. a bump job: state 1 (``pyperclip``, ``markupsafe`` and ``sqlalchemy`` moved), restored by the
   restore key, the new entry saved.

A job's time is what the job spends on dependencies: from a timestamp written just before the
cache step to one written after the install (and the prune step), plus act's timing of the
post step that saves the entry. Steps every variant shares (act's start, the checkout) are left
out. The bytes are the size of the entry the job saved, as act's cache server stores it
(tar + zstd, what counts against a repository's 10 GB). Variants are interleaved: round-robin
over every (tool, variant) for the cold jobs, then the warm ones, then the bumps, the order
reversed every other repetition, and the table shows medians over ``--repetitions``. Ratios
compare each figure with the same tool's no-cache job and, for pip, with the original's.

Then the growth series (``--bumps``, 10 by default; not timed): every tool cache of the first
repetition (the original's included; a venv holds only what is installed) goes on from state 1
through state 10, one bump per job, each restoring the previous entry by the restore key and
saving a new one; its last entry is compared with a fresh entry of state 10 (a cold job on
an empty cache server).

Everything runs offline: every job installs from a local index on 127.0.0.1 that this script
builds once from the registry (``pip download`` of every file the pins need, including the
bump versions and the build requirements) into ``--index-dir`` (default
``~/.cache/cache-python-deps-benchmarks/warm-job-index``, outside the repository) and reuses.
The uv and poetry lock files are made by the real tools against that index once per index URL
and kept there too. The index answers at loopback speed unless ``--index-latency-ms`` and
``--index-mbps`` say otherwise; act's cache server is on loopback too.

    .venv/bin/python benchmarks/warm_job.py --original-action PATH/TO/original-checkout \\
        --cache-action PATH/TO/actions-cache-checkout --repetitions 3

The interpreter keyed and installed into is the real one behind ``python`` on PATH (pyenv's
3.11.7 here) unless ``--python`` says otherwise; uv and poetry come from ``.venv-tools``
(``scripts/dev-setup.sh``). When the prune sub-action of the tree under test declares the
``python-path`` or ``project-directory`` inputs (read from its ``prune/action.yml`` at run time,
or forced with ``--prune-inputs``), the prune step passes the job's ``.venv`` interpreter and
the workspace. The benchmark prints; it never asserts a timing. It fails only when a job does
not do what its row claims (act fails, an exact hit misses, a bump does not restore by the
restore key).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import yaml  # noqa: E402 - a development dependency (requirements/dev.txt)
from tests.e2e.act_harness import (  # noqa: E402
    ActRun,
    commit_workspace,
    ensure_cache_standin_installed,
    make_workspace,
    missing_tools,
    read_cache_entries,
    run_workflow,
    snapshot_tree,
)

from benchmarks.action_main_step import (  # noqa: E402
    add_action_options,
    cache_action_references,
    parse_go_duration,
    real_python,
)
from benchmarks.package_index import IndexServer, build_index  # noqa: E402
from benchmarks.warm_job_project import (  # noqa: E402
    BUMPS,
    LOCK_COMMANDS,
    LOCK_FILES,
    TOOLS,
    built_from_source,
    bumped,
    dependency_hash,
    download_layers,
    installed_pins,
    project_files,
)
from benchmarks.warm_job_report import (  # noqa: E402
    BUMP,
    COLD,
    PHASES,
    WARM,
    Growth,
    Job,
    Variant,
    format_bytes,
    goals,
    summarize,
    table,
    variants_for,
)

WORKFLOW = Path(__file__).resolve().parent / "workflows" / "warm-job.yml"
ACTION_REFERENCE = "re-actors/cache-python-deps@release/v1"
DEFAULT_INDEX_DIR = Path("~/.cache/cache-python-deps-benchmarks/warm-job-index")
DEFAULT_INDEX_PORT = 47311
#: The marker line of the workflow's prune step where further inputs go.
PRUNE_INPUTS_MARKER = "# bench: further prune inputs"
#: Inputs of a newer prune sub-action, and what the benchmark passes to each.
PRUNE_INPUT_VALUES: Mapping[str, str] = {
    "python-path": "${{ env.BENCH_VENV }}/bin/python",
    "project-directory": "${{ github.workspace }}",
}
#: The workflow's steps that use a cache action (their post steps save), as act names them.
CACHE_STEP_NAMES = ("Original action", "This action")

_FOREIGN_VARIABLES = re.compile(
    r"(PIP_|UV_|POETRY_|PDM_|PIPENV_|VIRTUAL_ENV|CONDA_|XDG_|PYTHON|CPD_|BENCH_).*"
)
#: act's line at the end of a step: ``✅  Success - Main <name> [<Go duration>]``.
_STEP_END = re.compile(
    r"^\[[^\]]*\]\s+(?:✅\s+Success|❌\s+Failure)\s+-\s+(?P<phase>Main|Post)\s+"
    r"(?P<name>.*?)\s+\[(?P<took>[^\]]+)\]\s*$"
)
_RESTORED = re.compile(r"Cache restored from key: (?P<key>\S+)")
_NOT_FOUND = "Cache not found for input keys"


class BenchmarkError(RuntimeError):
    """A job did not do what the benchmark needs (act failed, an unexpected hit or miss)."""


# --------------------------------------------------------------------------------------------
# What runs


def job_plan(tools: Sequence[str], repetitions: int) -> list[tuple[int, str, str, Variant]]:
    """``(repetition, phase, tool, variant)`` in the order the jobs run.

    Per repetition: every series' cold job, then every warm job, then every bump, round-robin
    over (tool, variant), the order reversed every other repetition. The no-cache variant runs
    only cold (every job of it is cold).
    """
    series = [(tool, variant) for tool in tools for variant in variants_for(tool)]
    plan = []
    for repetition in range(repetitions):
        order = series if repetition % 2 == 0 else series[::-1]
        for phase in PHASES:
            plan += [
                (repetition, phase, tool, variant)
                for tool, variant in order
                if variant.caches or phase == COLD
            ]
    return plan


def phase_state(phase: str) -> int:
    """The dependency state a phase installs."""
    return 1 if phase == BUMP else 0


def with_prune_inputs(workflow_text: str, inputs: Iterable[str]) -> str:
    """The workflow with the prune step's extra ``inputs`` in place of the marker line."""
    lines = workflow_text.splitlines(keepends=True)
    marked = [index for index, line in enumerate(lines) if line.strip() == PRUNE_INPUTS_MARKER]
    if len(marked) != 1:
        raise BenchmarkError(f"{WORKFLOW.name} must hold the line {PRUNE_INPUTS_MARKER!r} once")
    index = marked[0]
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    added = [f"{indent}{name}: {PRUNE_INPUT_VALUES[name]}\n" for name in inputs]
    return "".join([*lines[:index], *added, *lines[index + 1 :]])


def declared_prune_inputs(prune_action: Path) -> tuple[str, ...]:
    """Which of :data:`PRUNE_INPUT_VALUES` the prune sub-action's action.yml declares."""
    action = yaml.safe_load(prune_action.read_text(encoding="utf-8"))
    declared = action.get("inputs") or {}
    return tuple(name for name in PRUNE_INPUT_VALUES if name in declared)


def step_times(log: str, phase: str, names: Iterable[str]) -> float:
    """The sum of act's durations (ms) of the ``phase`` (Main, Post) of steps named ``names``."""
    wanted = set(names)
    total = 0.0
    for line in log.splitlines():
        ended = _STEP_END.match(line)
        if ended is not None and ended["phase"] == phase and ended["name"] in wanted:
            total += parse_go_duration(ended["took"])
    return total


def restore_outcome(log: str, primary_key: str, previous_key: str | None) -> str:
    """miss, exact or restore-key, from what actions/cache logged (keys compare lowercased)."""
    restored = _RESTORED.search(log)
    if restored is None:
        if _NOT_FOUND in log:
            return "miss"
        raise BenchmarkError("actions/cache logged neither a restore nor a miss")
    key = restored["key"].lower()
    if key == primary_key.lower():
        return "exact"
    if previous_key is not None and key == previous_key.lower():
        return "restore-key"
    return f"other entry ({restored['key']})"


#: What each phase must restore (the no-cache variant has no cache step).
EXPECTED_RESTORE = {COLD: "miss", WARM: "exact", BUMP: "restore-key"}


# --------------------------------------------------------------------------------------------
# Running jobs


@dataclass
class Series:
    """One variant of one tool in one repetition: its own cache server, runner HOME and run
    folder, each at the same path for every job (the cache's version hashes the cached path,
    as on GitHub, where HOME and the workspace never move)."""

    tool: str
    variant: Variant
    folder: Path
    keys: list[str] = field(default_factory=list)

    @property
    def cache_server(self) -> Path:
        return self.folder / "cache-server"

    @property
    def home(self) -> Path:
        return self.folder / "home"

    @property
    def venv(self) -> Path:
        return self.folder / "venv"

    @property
    def run_dir(self) -> Path:
        return self.folder / "run"


def slug(*parts: object) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", "-".join(map(str, parts))).strip("-").lower()


@dataclass
class Bench:
    """The folders, the index and the settings every job shares."""

    base: Path
    index: IndexServer
    locks: Mapping[tuple[str, int], str]
    python: Path
    tool_bins: Mapping[str, Path]
    actions: Mapping[str, Path]
    cache_actions: tuple[str, ...]
    cache_action: Path | None
    prune_inputs: tuple[str, ...]
    keep_logs: Path | None
    log: Callable[[str], None] = print
    count: int = 0
    workspaces: dict[str, Path] = field(default_factory=dict)
    current_state: dict[str, int] = field(default_factory=dict)

    def workspace(self, tool: str, state: int) -> Path:
        """The tool's workspace (one path per tool) holding the project of ``state``."""
        workspace = self.workspaces.get(tool)
        if workspace is None:
            workflow = self.base / "workflow" / WORKFLOW.name
            workflow.parent.mkdir(parents=True, exist_ok=True)
            workflow.write_text(
                with_prune_inputs(WORKFLOW.read_text(encoding="utf-8"), self.prune_inputs),
                encoding="utf-8",
            )
            workspace = make_workspace(self.base / "workspaces" / tool, workflows=[workflow])
            self.workspaces[tool] = workspace
        if self.current_state.get(tool) != state:
            for name, text in self.project(tool, state).items():
                (workspace / name).write_text(text, encoding="utf-8")
            commit_workspace(workspace, f"{tool} dependencies, state {state}")
            self.current_state[tool] = state
        return workspace

    def project(self, tool: str, state: int) -> dict[str, str]:
        files = project_files(tool, state, self.index.url)
        if tool in LOCK_FILES:
            files[LOCK_FILES[tool]] = self.locks[tool, state]
        return files

    def series(self, tool: str, variant: Variant, label: object) -> Series:
        return Series(tool, variant, self.base / "series" / slug(tool, variant.label, label))

    def run(self, series: Series, phase: str, state: int, repetition: int) -> Job:
        """One job of ``series``: a new runner (empty HOME) on the series' cache server."""
        self.count += 1
        workspace = self.workspace(series.tool, state)
        shutil.rmtree(series.run_dir, ignore_errors=True)
        shutil.rmtree(series.home, ignore_errors=True)
        shutil.rmtree(series.venv, ignore_errors=True)
        series.home.mkdir(parents=True)
        files = self.project(series.tool, state)
        variant = series.variant
        path_prefix = [str(self.python.parent)]
        if series.tool in self.tool_bins:
            path_prefix.insert(0, str(self.tool_bins[series.tool]))
        env = {
            "BENCH_PATH_PREFIX": os.pathsep.join(path_prefix),
            "BENCH_PYTHON": str(self.python),
            "BENCH_TOOL": series.tool,
            "BENCH_ACTION": variant.action,
            "BENCH_CACHE_KIND": variant.cache_kind or "none",
            "BENCH_PRUNE": "true" if variant.prune else "false",
            "BENCH_DEPENDENCY_HASH": dependency_hash(files),
            "BENCH_VENV": str(series.venv),
            "BENCH_LOOKUP_COMMAND": 'echo "$BENCH_VENV"' if variant.cache_kind == "venv" else "",
            "PIP_INDEX_URL": self.index.url,
            "PIP_TRUSTED_HOST": "127.0.0.1",  # pip caches plain-HTTP answers only from these
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "PIP_PROGRESS_BAR": "off",
            "UV_PYTHON": str(self.python),
            "UV_PYTHON_DOWNLOADS": "never",
            "POETRY_NO_INTERACTION": "1",
        }
        repositories: dict[str, Path] = {}
        if variant.caches:
            repositories[ACTION_REFERENCE] = self.actions[variant.action]
        else:  # the steps are skipped, but act still reads the action: any folder will do
            repositories[ACTION_REFERENCE] = self.actions["ours"]
        if self.cache_action is not None:
            repositories.update(dict.fromkeys(self.cache_actions, self.cache_action))
        process_env = {"HOME": str(series.home)}  # see forget_foreign_variables()
        self.index.take_traffic()
        run = run_workflow(
            workspace / ".github" / "workflows" / WORKFLOW.name,
            workdir=workspace,
            cache_server_dir=series.cache_server,
            run_dir=series.run_dir,
            env=env,
            local_repositories=repositories,
            cache_actions=self.cache_actions,
            process_env=process_env,
            timeout=900,
        )
        requests, sent = self.index.take_traffic()
        if self.keep_logs is not None:
            self.keep_logs.mkdir(parents=True, exist_ok=True)
            target = self.keep_logs / f"{self.count:03d}-{series.folder.name}-{phase}-{state}.log"
            shutil.copyfile(series.run_dir / "act.log", target)
        job = self._measure(run, series, phase, state, repetition, requests, sent)
        self.log(
            f"  {self.count:3d}  {series.tool:<6} {variant.label:<19} {phase:<5} state {state:2d}"
            f"  {job.job_ms / 1000:6.1f} s (install {job.install_ms / 1000:5.1f} s)"
            f"  restored: {job.restored:<11}"
            f"  entry {format_bytes(job.entry_bytes):>9}  index {requests:3d} requests,"
            f" {format_bytes(sent)}"
        )
        return job

    def _measure(
        self,
        run: ActRun,
        series: Series,
        phase: str,
        state: int,
        repetition: int,
        requests: int,
        sent: int,
    ) -> Job:
        what = f"{series.tool} / {series.variant.label} / {phase} (state {state})"
        if not run.ok:
            why = "timed out" if run.timed_out else f"exited {run.returncode}"
            raise BenchmarkError(f"{what}: act {why}\n{run.log_tail()}")
        start = int(run.artifact("start"))
        end = int(run.artifact("end"))
        restored, entry_bytes = "none", None
        if series.variant.caches:
            step = "cpd" if series.variant.action == "ours" else "original"
            key = run.output(step, "cache-key-for-dependencies").strip()
            if not key:
                raise BenchmarkError(f"{what}: no cache key\n{run.log_tail()}")
            previous = series.keys[-1] if series.keys else None
            restored = restore_outcome(run.log, key, previous)
            expected = EXPECTED_RESTORE.get(phase, "restore-key")
            if restored != expected:
                raise BenchmarkError(f"{what}: restored {restored}, expected {expected}")
            if series.variant.action == "ours" and run.output("cpd", "cache-enabled") != "true":
                raise BenchmarkError(f"{what}: caching was skipped\n{run.log_tail()}")
            entry_bytes = entry_size(series.cache_server, key)
            if entry_bytes is None and restored != "exact":
                raise BenchmarkError(f"{what}: no entry saved under {key}")
            if not series.keys or series.keys[-1] != key:
                series.keys.append(key)
        return Job(
            tool=series.tool,
            variant=series.variant,
            phase=phase,
            repetition=repetition,
            state=state,
            main_ms=(end - start) / 1e6,
            save_ms=step_times(run.log, "Post", CACHE_STEP_NAMES),
            install_ms=step_times(run.log, "Main", ["Install the dependencies"]),
            entry_bytes=entry_bytes,
            restored=restored,
            index_requests=requests,
            index_bytes=sent,
        )


def entry_size(cache_server: Path, key: str) -> int | None:
    """Bytes of the complete entry stored under ``key`` (act stores keys lowercased)."""
    for entry in read_cache_entries(cache_server):
        if entry.key == key.lower() and entry.complete:
            if entry.archive is not None:
                return entry.archive.stat().st_size
            return entry.size
    return None


# --------------------------------------------------------------------------------------------
# Lock files


def lock_files(
    tools: Iterable[str],
    states: Iterable[int],
    *,
    index_url: str,
    store: Path,
    python: Path,
    executables: Mapping[str, Path],
    log: Callable[[str], None] = print,
) -> dict[tuple[str, int], str]:
    """The lock file of each (tool, state), made by the real tool against the index, kept in
    ``store`` under a name that hashes everything it depends on (so a new index URL, pin or
    tool release makes a new one)."""
    locks: dict[tuple[str, int], str] = {}
    for tool in tools:
        if tool not in LOCK_FILES:
            continue
        version = subprocess.run(
            [str(executables[tool]), "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for state in states:
            files = project_files(tool, state, index_url)
            digest = hashlib.sha256(
                "\0".join([version, *(f"{n}\0{t}" for n, t in sorted(files.items()))]).encode()
            ).hexdigest()[:20]
            kept = store / f"{tool}-{digest}.lock"
            if not kept.is_file():
                log(f"locking the {tool} project of state {state} ({version})")
                kept.parent.mkdir(parents=True, exist_ok=True)
                text = _lock(tool, files, python=python, executable=executables[tool])
                kept.write_text(text, encoding="utf-8")
            locks[tool, state] = kept.read_text(encoding="utf-8")
    return locks


def _lock(tool: str, files: Mapping[str, str], *, python: Path, executable: Path) -> str:
    with tempfile.TemporaryDirectory(prefix=f"warm-job-lock-{tool}-") as scratch_name:
        scratch = Path(scratch_name)
        project = scratch / "project"
        project.mkdir()
        for name, text in files.items():
            (project / name).write_text(text, encoding="utf-8")
        home = scratch / "home"
        env = {
            name: value
            for name, value in os.environ.items()
            if not _FOREIGN_VARIABLES.fullmatch(name)
        }
        env.update(
            {
                "HOME": str(home),
                "PATH": os.pathsep.join([str(python.parent), os.environ.get("PATH", "")]),
                "UV_PYTHON": str(python),
                "UV_PYTHON_DOWNLOADS": "never",
                "UV_CACHE_DIR": str(scratch / "uv-cache"),
                "POETRY_CACHE_DIR": str(scratch / "poetry-cache"),
            }
        )
        completed = subprocess.run(
            [str(executable), *LOCK_COMMANDS[tool]],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if completed.returncode != 0:
            raise BenchmarkError(
                f"{tool} lock failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
            )
        return (project / LOCK_FILES[tool]).read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Main


def stage_original(original: Path, ours: Path, dest: Path) -> Path:
    """The original action's files, plus this action's ``prune/`` (act reads every action a job
    names before the job starts, even one whose step is skipped; the original has no prune)."""
    shutil.copytree(original, dest, ignore=shutil.ignore_patterns(".git"))
    shutil.copytree(ours / "prune", dest / "prune")
    return dest


def tool_bins(base: Path, tools: Iterable[str], tools_venv: Path) -> dict[str, Path]:
    """A folder per tool holding only that tool (the tools' venv also holds a python)."""
    bins = {}
    for tool in tools:
        if tool == "pip":
            continue
        executable = tools_venv / "bin" / tool
        if not executable.is_file():
            raise BenchmarkError(f"{executable} is missing: run scripts/dev-setup.sh")
        folder = base / "tools" / tool
        folder.mkdir(parents=True)
        (folder / tool).symlink_to(executable)
        bins[tool] = folder
    return bins


def machine_description() -> str:
    """Cores, load and OS, for the report's header."""
    try:
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        load = "unknown"
    release = ""
    try:
        for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                release = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {release or sys.platform}, load average {load}"


def prune_inputs_for(choice: str, prune_action: Path) -> tuple[str, ...]:
    """The further prune inputs to pass: as the sub-action declares them (auto), all, or none."""
    if choice == "auto":
        return declared_prune_inputs(prune_action)
    return tuple(PRUNE_INPUT_VALUES) if choice == "yes" else ()


def prepare(
    options: argparse.Namespace, base: Path, server: IndexServer, log: Callable[[str], None]
) -> Bench:
    """The actions, lock files and tools every job uses."""
    python = (options.python or real_python()).absolute()
    tools = tuple(options.tools)
    ours = snapshot_tree(options.action_tree, base / "repositories" / "ours", release=True)
    original = stage_original(
        options.original_action.resolve(), ours, base / "repositories" / "original"
    )
    locks = lock_files(
        tools,
        range(max(options.bumps, 1) + 1),
        index_url=server.url,
        store=options.index_dir.expanduser().resolve() / "locks",
        python=python,
        executables={tool: options.tools_venv / "bin" / tool for tool in tools if tool != "pip"},
        log=log,
    )
    return Bench(
        base=base,
        index=server,
        locks=locks,
        python=python,
        tool_bins=tool_bins(base, tools, options.tools_venv),
        actions={"original": original, "ours": ours},
        cache_actions=cache_action_references(original / "action.yml", ours / "action.yml"),
        cache_action=options.cache_action.resolve() if options.cache_action else None,
        prune_inputs=prune_inputs_for(options.prune_inputs, ours / "prune" / "action.yml"),
        keep_logs=options.keep_logs.resolve() if options.keep_logs else None,
        log=log,
    )


def timed_jobs(
    bench: Bench, tools: Sequence[str], repetitions: int
) -> tuple[list[Job], dict[tuple[int, str, Variant], Series]]:
    """Every job of :func:`job_plan`, and the series they ran in."""
    jobs: list[Job] = []
    series: dict[tuple[int, str, Variant], Series] = {}
    for repetition, phase, tool, variant in job_plan(tools, repetitions):
        current = series.setdefault(
            (repetition, tool, variant), bench.series(tool, variant, f"r{repetition}")
        )
        jobs.append(bench.run(current, phase, phase_state(phase), repetition))
    return jobs, series


def growth_series(
    bench: Bench,
    jobs: Sequence[Job],
    series: Mapping[tuple[int, str, Variant], Series],
    bumps: int,
) -> list[Growth]:
    """The first repetition's cached series, bumped on to state ``bumps``; a fresh entry each."""
    growth = []
    for (repetition, tool, variant), current in series.items():
        if repetition != 0 or not variant.accumulates:
            continue
        sizes = [
            job.entry_bytes or 0
            for job in jobs
            if (job.repetition, job.tool, job.variant) == (0, tool, variant) and job.phase != WARM
        ]
        for state in range(2, bumps + 1):
            sizes.append(bench.run(current, BUMP, state, repetition).entry_bytes or 0)
        fresh = bench.run(bench.series(tool, variant, f"fresh-{bumps}"), COLD, bumps, 0)
        growth.append(Growth(tool, variant, tuple(sizes), fresh.entry_bytes or 0))
    return growth


def report(header: Sequence[str], jobs: Sequence[Job], growth: Sequence[Growth]) -> list[str]:
    """Everything the benchmark prints at the end."""
    rows = summarize(jobs)
    return [
        *header,
        "",
        *table(rows, growth),
        "",
        "Goals:",
        *goals(rows, growth),
        "",
        f"at the end: {machine_description()}",
    ]


def forget_foreign_variables() -> list[str]:
    """Remove this machine's tool and interpreter settings from this process's environment.

    act runs the jobs with this process's environment (the harness only adds to it): a
    ``PIP_FIND_LINKS`` or ``PYTHONDONTWRITEBYTECODE`` here would reach every job, as it never
    does on a hosted runner. Returns the names removed.
    """
    names = sorted(name for name in os.environ if _FOREIGN_VARIABLES.fullmatch(name))
    for name in names:
        del os.environ[name]
    return names


def run_benchmark(options: argparse.Namespace, log: Callable[[str], None]) -> int:
    index_dir = options.index_dir.expanduser().resolve()
    log(f"index: {index_dir}")
    # Downloads go through this machine's ordinary pip configuration; nothing after them does.
    build_index(index_dir, download_layers(), python=(options.python or real_python()), log=log)
    log(f"not passed to the jobs: {', '.join(forget_foreign_variables()) or 'nothing'}")
    server = IndexServer(
        index_dir,
        port=options.index_port,
        latency_ms=options.index_latency_ms,
        megabytes_per_second=options.index_mbps,
    ).start()
    base = Path(tempfile.mkdtemp(prefix="cpd-bench-warm-job-"))
    try:
        bench = prepare(options, base, server, log)
        header = header_lines(options, bench.python, server, bench.prune_inputs)
        for line in header:
            log(line)
        jobs, series = timed_jobs(bench, options.tools, options.repetitions)
        growth = []
        if options.bumps:
            log(f"growth series: {options.bumps} bumps per cached variant (first repetition)")
            growth = growth_series(bench, jobs, series, options.bumps)
        print("\n".join(report(header, jobs, growth)))
    finally:
        server.stop()
        if options.keep_files:
            print(f"\nrun folders: {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 0


def header_lines(
    options: argparse.Namespace, python: Path, server: IndexServer, prune_inputs: Sequence[str]
) -> list[str]:
    states = ", ".join(str(pin) for pin in built_from_source(0))
    bump = ", ".join(f"{name} {old} -> {new}" for name, old, new in bumped(1))
    speed = "loopback speed"
    if options.index_latency_ms or options.index_mbps:
        speed = (
            f"{options.index_latency_ms:g} ms per request, {options.index_mbps or 'unlimited'} MB/s"
        )
    return [
        f"machine: {machine_description()}",
        f"interpreter: {python}",
        f"project: {len(installed_pins(0))} distributions installed, built from sdists: {states}",
        f"bump (state 0 -> 1): {bump}",
        f"index: {server.url} ({speed})",
        "actions/cache: "
        + (str(options.cache_action) if options.cache_action else "the local stand-in"),
        f"prune inputs passed beyond the original three: {', '.join(prune_inputs) or 'none'}",
        f"repetitions: {options.repetitions} (medians)",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_action_options(parser)
    parser.add_argument(
        "--action-tree",
        type=Path,
        default=REPO_ROOT,
        help="the git working tree to run as this action (default: this one)",
    )
    parser.add_argument("--repetitions", type=int, default=3, help="of every timed job (default 3)")
    parser.add_argument(
        "--bumps",
        type=int,
        default=BUMPS,
        choices=range(BUMPS + 1),
        metavar=f"0..{BUMPS}",
        help=f"bumps in the growth series (default {BUMPS}; 0 skips it)",
    )
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--python", type=Path, help="the interpreter (default: `python` on PATH)")
    parser.add_argument(
        "--tools-venv",
        type=Path,
        default=REPO_ROOT / ".venv-tools",
        help="the virtualenv holding uv and poetry (default: .venv-tools)",
    )
    parser.add_argument(
        "--index-dir",
        type=Path,
        default=DEFAULT_INDEX_DIR,
        help=f"where the downloaded index is kept (default: {DEFAULT_INDEX_DIR})",
    )
    parser.add_argument("--index-port", type=int, default=DEFAULT_INDEX_PORT)
    parser.add_argument("--index-latency-ms", type=float, default=0.0)
    parser.add_argument("--index-mbps", type=float, default=0.0, help="MB/s (0: unlimited)")
    parser.add_argument(
        "--prune-inputs",
        choices=("auto", "yes", "no"),
        default="auto",
        help="pass python-path and project-directory to the prune step: when its action.yml"
        " declares them (auto), always, or never",
    )
    parser.add_argument("--keep-logs", type=Path, help="copy every job's act log into this folder")
    parser.add_argument("--keep-files", action="store_true", help="keep the run folders")
    options = parser.parse_args(argv)
    if not (options.original_action / "action.yml").is_file():
        parser.error(f"no action.yml in {options.original_action}")
    if options.repetitions < 1:
        parser.error("--repetitions must be at least 1")
    missing = missing_tools()
    if missing:
        raise SystemExit("this benchmark needs: " + ", ".join(missing))
    ensure_cache_standin_installed()
    try:
        return run_benchmark(options, lambda line: print(line, file=sys.stderr, flush=True))
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    started = time.monotonic()
    status = main()
    print(f"took {(time.monotonic() - started) / 60:.1f} min", file=sys.stderr)
    raise SystemExit(status)
