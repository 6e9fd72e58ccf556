"""Benchmark: the action's main step against the original action's, side by side under act.

The original action (re-actors/cache-python-deps, release/v1) is a composite of an inline
``shell: python`` step, a bash step running ``python -Im pip cache dir`` and ``actions/cache@v4``.
This repository's action is a composite of its key step (``action/run.sh``), ONE cache step
(``actions/cache``, whose post step saves; or ``actions/cache/restore`` when the job never saves)
and its record step (``action/run.sh`` again: the provenance record and the matched key).
This script runs the same workflow (``benchmarks/workflows/main-step.yml``) under act, offline,
once per action and run, interleaved (the order alternates from pair to pair), and compares the
time of each action's MAIN step: the composite step as a whole, from its start to its last inner
step's end. Job setup and the post (save) steps are not part of it. This repository never holds
the original's code: pass a folder holding its ``action.yml`` with ``--original-action``.

    .venv/bin/python benchmarks/action_main_step.py \
        --original-action /tmp/original-cache-python-deps --runs 8

Both actions get the same implementation of actions/cache: the harness's local stand-in by
default, or, with ``--cache-action DIR``, a checkout of the real actions/cache (its bundled
``dist/``; any release that runs on the host's Node), mapped for every reference either action
makes.

How it runs (``tests/e2e/act_harness.py`` does the act part)
------------------------------------------------------------
* One workspace (a git repository holding the workflow). ``re-actors/cache-python-deps@release/v1``
  is mapped with ``--local-repository`` to ``--original-action`` for one run and to a snapshot of
  this working tree (taken once, at the start) for the other. Every ``actions/cache`` reference
  found in either ``action.yml`` (``@v4`` for the original, ``@<sha>`` and ``/restore@<sha>`` for
  ours) is mapped to the same folder: the harness's local stand-in for actions/cache (which
  loads ``@actions/cache`` from ``node_modules``, so each of its steps takes longer than the real,
  bundled one) or ``--cache-action``. Both actions have one cache step in their main step.
* Every run is cold: a fresh ``--action-cache-path`` (so an empty RUNNER_TEMP, as on a hosted
  runner), a fresh, empty cache server folder (so the restore misses), and a fresh, empty HOME
  (so the pip cache directory both actions look up is under it, and ``~/.cache`` of this machine
  is never touched). The benchmark checks the miss and the outputs of every run.
* The same interpreter for both: by default the directory of the real interpreter behind
  ``python`` on PATH (here pyenv's 3.11.7, found by asking it for ``sys.executable``) is put first
  on the job's PATH, as actions/setup-python does on GitHub. ``--keep-path`` leaves PATH as it
  is, so that ``python`` is whatever is first there (with pyenv: its shim, a bash script that adds
  tens of milliseconds to every start of Python).
* ``--warmup`` pairs run first and are not counted (the first act run of a session pays for cold
  disk caches).

How it measures
---------------
* Primary figure: act's own timing. act logs the end of every step as
  ``✅  Success - Main <step name> [<Go duration>]``; the composite step is named
  ``Action under test`` in the workflow, and its line's duration covers everything act does for
  it in the main phase: reading (copying) the action's folder, evaluating its expressions, every
  inner step, and collecting its outputs. The inner steps' own lines (between
  ``⭐ Run Main Action under test`` and that line) give the breakdown; what is left
  (composite minus the sum of its inner steps) is act's own work around them.
* Cross-check: ``date +%s%N`` stamps written by a step before and a step after the action,
  minus the same interval around an empty step (``run: "true"``) in the same job. This is the
  action's cost beyond an empty step's, measured from outside act; it drifts from act's figure by
  the few milliseconds act spends starting any step.
* Printed for both: median, min and max in ms, and the ratio of the medians (ours / original),
  for act's timing and for the stamps; then the median of each inner step. The median of the
  ratios within each back-to-back pair is printed too: it moves less than the ratio of medians
  when the machine's load changes during the benchmark.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.e2e.act_harness import (  # noqa: E402
    ActRun,
    ensure_cache_standin_installed,
    make_workspace,
    missing_tools,
    run_workflow,
    snapshot_tree,
)

WORKFLOW = Path(__file__).resolve().parent / "workflows" / "main-step.yml"
ACTION_REFERENCE = "re-actors/cache-python-deps@release/v1"
#: The ``name:`` of the step that uses the action, as act logs it.
ACTION_STEP = "Action under test"
#: The ratio the latest issue on it keeps (ours / original, medians; an earlier one asked 0.7).
LIMIT = 0.8
ORIGINAL = "original"
OURS = "ours"

_CACHE_USES = re.compile(r"^\s*-?\s*uses:\s*actions/cache(?:/[A-Za-z0-9_.-]+)?@([^\s#]+)", re.M)
_STEP_START = re.compile(r"^\[[^\]]*\]\s+⭐\s+Run\s+Main\s+(?P<name>.*?)\s*$")
_STEP_END = re.compile(
    r"^\[[^\]]*\]\s+(?:✅\s+Success|❌\s+Failure)\s+-\s+Main\s+(?P<name>.*?)\s+\[(?P<took>[^\]]+)\]\s*$"
)
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|µs|μs|us|ns)")
_UNIT_MS = {
    "h": 3_600_000.0,
    "m": 60_000.0,
    "s": 1000.0,
    "ms": 1.0,
    "µs": 1e-3,
    "μs": 1e-3,
    "us": 1e-3,
    "ns": 1e-6,
}


class BenchmarkError(RuntimeError):
    """A run did not do what the benchmark needs (act failed, a cache hit, unparsable log)."""


def parse_go_duration(text: str) -> float:
    """Milliseconds in a Go ``time.Duration`` string as act logs it (``1.2s``, ``435.7ms``)."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise BenchmarkError(f"not a Go duration: {text!r}")
    return sum(float(number) * _UNIT_MS[unit] for number, unit in parts)


@dataclass(frozen=True)
class StepTimes:
    """act's timing of one composite step (ms) and of its inner steps, in order."""

    total: float
    inner: tuple[tuple[str, float], ...]


def composite_step_times(log: str, step_name: str = ACTION_STEP) -> StepTimes:
    """The main-phase duration act logged for ``step_name`` and for each step inside it."""
    inner: list[tuple[str, float]] = []
    inside = False
    for line in log.splitlines():
        if not inside:
            started = _STEP_START.match(line)
            inside = started is not None and started["name"] == step_name
            continue
        ended = _STEP_END.match(line)
        if ended is None:
            continue
        took = parse_go_duration(ended["took"])
        if ended["name"] == step_name:
            return StepTimes(total=took, inner=tuple(inner))
        inner.append((ended["name"], took))
    raise BenchmarkError(f"act logged no end of the main step {step_name!r}")


@dataclass(frozen=True)
class Sample:
    """One cold run of one action."""

    action: str
    act_ms: float
    stamped_ms: float
    inner: tuple[tuple[str, float], ...]
    wall_s: float


def _stamp(run: ActRun, name: str) -> int:
    return int(run.artifact(name).strip())


def _check(run: ActRun, action: str, home: Path) -> None:
    """Fail unless the run went through the whole cold path (keys, lookup, a miss)."""
    if not run.ok:
        why = "timed out" if run.timed_out else f"exited {run.returncode}"
        raise BenchmarkError(f"{action}: act {why}\n{run.log_tail()}")
    outputs = run.step("action").outputs
    if not outputs.get("cache-key-for-dependencies"):
        raise BenchmarkError(f"{action}: no cache key computed\n{run.log_tail()}")
    if action == OURS and outputs.get("cache-enabled") != "true":
        raise BenchmarkError(f"{action}: caching was skipped\n{run.log_tail()}")
    if action == ORIGINAL and outputs.get("is-stable-abi") != "true":
        raise BenchmarkError(f"{action}: the original skipped caching\n{run.log_tail()}")
    if not outputs.get("cache-directory-path", "").startswith(str(home)):
        raise BenchmarkError(
            f"{action}: cache directory {outputs.get('cache-directory-path')!r} not under the"
            f" run's HOME {home}"
        )
    if "Cache not found for input keys" not in run.log or outputs.get("cache-hit") == "true":
        raise BenchmarkError(f"{action}: not a cache miss (the run must be cold)\n{run.log_tail()}")


def cache_action_references(*action_files: Path) -> tuple[str, ...]:
    """``actions/cache@<ref>`` for every ref of actions/cache (or a sub-action) in the files."""
    refs: set[str] = set()
    for action_file in action_files:
        refs.update(_CACHE_USES.findall(action_file.read_text(encoding="utf-8")))
    return tuple(f"actions/cache@{ref}" for ref in sorted(refs))


def real_python() -> Path:
    """The interpreter ``python`` on PATH runs (through a pyenv shim, if that is what is there)."""
    completed = subprocess.run(
        ["python", "-c", "import sys; print(sys.executable)"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(completed.stdout.strip())


@dataclass
class Bench:
    """The folders and settings shared by every run."""

    base: Path
    actions: Mapping[str, Path]
    cache_actions: tuple[str, ...]
    cache_action: Path | None
    job_path: str
    dependency_hash: str
    workspace: Path
    count: int = 0

    def run(self, action: str) -> Sample:
        """One cold job with ``action``; its timing."""
        self.count += 1
        label = f"{self.count:03d}-{action}"
        home = self.base / "home" / label
        home.mkdir(parents=True)
        repositories = {ACTION_REFERENCE: self.actions[action]}
        if self.cache_action is not None:
            repositories.update(dict.fromkeys(self.cache_actions, self.cache_action))
        started = time.monotonic()
        run = run_workflow(
            self.workspace / ".github" / "workflows" / WORKFLOW.name,
            workdir=self.workspace,
            cache_server_dir=self.base / "cache-server" / label,
            run_dir=self.base / "runs" / label,
            env={"BENCH_DEPENDENCY_HASH": self.dependency_hash},
            local_repositories=repositories,
            cache_actions=self.cache_actions,
            process_env={"HOME": str(home), "PATH": self.job_path},
        )
        wall = time.monotonic() - started
        _check(run, action, home)
        times = composite_step_times(run.log)
        stamped_ns = (_stamp(run, "action-after") - _stamp(run, "action-before")) - (
            _stamp(run, "empty-after") - _stamp(run, "empty-before")
        )
        return Sample(action, times.total, stamped_ns / 1e6, times.inner, wall)


def _ms(values: Sequence[float]) -> str:
    return (
        f"median {statistics.median(values):7.1f}   min {min(values):7.1f}   max {max(values):7.1f}"
    )


def report(samples: Sequence[Sample], runs: int, warmup: int, python: str) -> float:
    """Print the figures; return the ratio of act-timed medians (ours / original)."""
    by_action = {
        action: [sample for sample in samples if sample.action == action]
        for action in (ORIGINAL, OURS)
    }
    print(
        f"main step of each action under act, cold (fresh RUNNER_TEMP, empty cache server),"
        f" {runs} runs each, interleaved, after {warmup} warm-up pair(s)"
    )
    print(f"python on the job's PATH: {python}")
    print()
    print("act's timing of the composite step (ms):")
    medians: dict[str, float] = {}
    for action, taken in by_action.items():
        values = [sample.act_ms for sample in taken]
        medians[action] = statistics.median(values)
        print(f"  {action:<9} {_ms(values)}")
    ratio = medians[OURS] / medians[ORIGINAL]
    verdict = "meets" if ratio <= LIMIT else "MISSES"
    print(f"  ratio ours/original (medians): {ratio:.2f}  ({verdict} the {LIMIT} goal)")
    paired = [
        {sample.action: sample.act_ms for sample in pair}
        for pair in zip(samples[0::2], samples[1::2], strict=True)
    ]
    per_pair = [pair[OURS] / pair[ORIGINAL] for pair in paired]
    print(
        f"  ratio within each back-to-back pair: median {statistics.median(per_pair):.2f},"
        f" min {min(per_pair):.2f}, max {max(per_pair):.2f}"
    )
    print()
    print("date +%s%N stamps around the step, minus the same around an empty step (ms):")
    stamped: dict[str, float] = {}
    for action, taken in by_action.items():
        values = [sample.stamped_ms for sample in taken]
        stamped[action] = statistics.median(values)
        print(f"  {action:<9} {_ms(values)}")
    print(f"  ratio ours/original (medians): {stamped[OURS] / stamped[ORIGINAL]:.2f}")
    print()
    print("breakdown, act's timing of each inner step (median ms):")
    for action, taken in by_action.items():
        print(f"  {action}:")
        names = list(dict.fromkeys(name for sample in taken for name, _ in sample.inner))
        for name in names:
            values = [took for sample in taken for step, took in sample.inner if step == name]
            print(f"    {statistics.median(values):7.1f}  {name} (ran {len(values)}/{len(taken)})")
        rest = [sample.act_ms - sum(took for _, took in sample.inner) for sample in taken]
        print(f"    {statistics.median(rest):7.1f}  act around them (copying the action folder,")
        print("             expressions, outputs)")
    print()
    print("each run (ms, act's timing / stamped):")
    for number, sample in enumerate(samples, 1):
        inner = ", ".join(f"{took:.0f}" for _, took in sample.inner)
        print(
            f"  {number:3d} {sample.action:<9} {sample.act_ms:7.1f} / {sample.stamped_ms:7.1f}"
            f"   inner [{inner}]   job {sample.wall_s:.1f} s"
        )
    return ratio


def add_action_options(parser: argparse.ArgumentParser) -> None:
    """The options naming the actions a benchmark runs: the original, and actions/cache."""
    parser.add_argument(
        "--original-action",
        type=Path,
        required=True,
        help="a folder holding the original action (re-actors/cache-python-deps release/v1)",
    )
    parser.add_argument(
        "--cache-action",
        type=Path,
        help="a checkout of the real actions/cache (its bundled dist/), for every cache step of"
        " both actions (default: the local stand-in, on the same @actions/cache)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_action_options(parser)
    parser.add_argument("--runs", type=int, default=10, help="runs of each action (default 10)")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted pairs first (default 1)")
    parser.add_argument(
        "--python",
        type=Path,
        help="interpreter whose folder goes first on the job's PATH (default: the one `python`"
        " on PATH runs)",
    )
    parser.add_argument(
        "--keep-path",
        action="store_true",
        help="leave PATH as it is (with pyenv, `python` is then its shim)",
    )
    parser.add_argument(
        "--keep-files", action="store_true", help="keep the runs' folders (act logs) and say where"
    )
    options = parser.parse_args(argv)

    original = options.original_action.resolve()
    if not (original / "action.yml").is_file():
        parser.error(f"no action.yml in {original}")
    if options.runs < 1 or options.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")
    missing = missing_tools()
    if missing:
        raise SystemExit("this benchmark needs: " + ", ".join(missing))
    ensure_cache_standin_installed()

    job_path = os.environ.get("PATH", "")
    if not options.keep_path:
        python = (options.python or real_python()).absolute()
        job_path = os.pathsep.join([str(python.parent), job_path])
    python_seen = shutil.which("python", path=job_path) or "(none)"
    # Nothing from this machine's own pip configuration steers the lookup: HOME is per run.
    for name in ("PIP_CACHE_DIR", "XDG_CACHE_HOME", "PIP_CONFIG_FILE"):
        os.environ.pop(name, None)

    base = Path(tempfile.mkdtemp(prefix="cpd-bench-main-step-"))
    try:
        # What a runner downloads for `uses:` (act copies the mapped folder at every use).
        ours = snapshot_tree(REPO_ROOT, base / "repositories" / "ours", release=True)
        workspace = make_workspace(base / "workspace", workflows=[WORKFLOW])
        bench = Bench(
            base=base,
            actions={ORIGINAL: original, OURS: ours},
            cache_actions=cache_action_references(original / "action.yml", ours / "action.yml"),
            cache_action=options.cache_action.resolve() if options.cache_action else None,
            job_path=job_path,
            dependency_hash=hashlib.sha256(b"click==8.1.7\n").hexdigest(),
            workspace=workspace,
        )
        samples: list[Sample] = []
        for pair in range(options.warmup + options.runs):
            order = (ORIGINAL, OURS) if pair % 2 == 0 else (OURS, ORIGINAL)
            taken = [bench.run(action) for action in order]
            if pair >= options.warmup:
                samples.extend(taken)
        report(samples, options.runs, options.warmup, python_seen)
    except BenchmarkError as error:
        options.keep_files = True
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        if options.keep_files:
            print(f"\nrun folders (act.log in each): {base / 'runs'}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
