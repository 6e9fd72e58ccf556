"""Benchmark: ``cache-python-deps --print-key`` against the original action's equivalent work.

The original action (re-actors/cache-python-deps, release/v1) computes its key with an inline
Python step, then runs ``python -Im pip cache dir`` in bash. This script times both, interleaved,
in one run on this machine, and prints both medians and their ratio (ours / original).

Pass ``--original-action DIR`` (a checkout of the original's release/v1) to run its own inline
step, taken from its action.yml at run time; this repository does not contain its code. Without
it, a stand-in doing the same work (hash ``sys.version``, write four outputs) is timed instead and
the figures are labelled so.

    python benchmarks/print_key.py --original-action ../cache-python-deps-v1 --runs 30
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import yaml  # a development dependency (requirements/dev.txt)

STAND_IN_STEP = """\
import hashlib, os, sys
stable = sys.version_info.releaselevel == "final"
digest = hashlib.sha512(sys.version.encode()).hexdigest()
prefix = "Linux-python-dep-cache-" + ("stable" if stable else "unstable")
with open(os.environ["GITHUB_OUTPUT"], "a") as outputs:
    print("is-stable-abi=" + str(stable).lower(), file=outputs)
    print("restore-key-fallback-prefix=" + prefix, file=outputs)
    print("restore-key-prefix=" + prefix + "-" + digest, file=outputs)
    print("cache-entry-key=" + prefix + "-" + digest + "-" + digest + "-deps", file=outputs)
"""


def original_inline_step(action_directory: Path, dependency_hash: str) -> str:
    """The original's ``shell: python`` step, its two expressions filled in as Actions would."""
    action = yaml.safe_load((action_directory / "action.yml").read_text())
    for step in action["runs"]["steps"]:
        if step.get("shell") == "python":
            script: str = step["run"]
            return script.replace("${{ runner.os }}", "Linux").replace(
                "${{ inputs.cache-key-for-dependency-files }}", dependency_hash
            )
    raise SystemExit(f"no 'shell: python' step in {action_directory / 'action.yml'}")


def timed(command: Sequence[str], *, cwd: Path, env: dict[str, str]) -> float:
    """Wall time of one run, in seconds; a failing command aborts the benchmark."""
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed ({completed.returncode}): {completed.stderr.decode()}"
        )
    return elapsed


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--original-action", type=Path, help="checkout of the original action")
    parser.add_argument("--python", default=sys.executable, help="interpreter being keyed")
    parser.add_argument("--cli-python", default=sys.executable, help="Python running our CLI")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    options = parser.parse_args(argv)

    dependency_hash = "0" * 64
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        project = scratch / "project"
        project.mkdir()
        (project / "requirements.txt").write_text("click==8.1.7\nplatformdirs==4.3.6\n")
        if options.original_action:
            step = original_inline_step(options.original_action, dependency_hash)
            label = "original action's inline step"
        else:
            step = STAND_IN_STEP
            label = "stand-in for the original's inline step"
        step_file = scratch / "step.py"
        step_file.write_text(step)
        env = dict(os.environ, GITHUB_OUTPUT=str(scratch / "output"))
        # An installed package has its bytecode compiled at install time; with this variable an
        # editable checkout would recompile on every run, which no user of a release sees.
        env.pop("PYTHONDONTWRITEBYTECODE", None)

        original_commands = [
            [options.python, str(step_file)],
            [
                "bash",
                "-c",
                'echo "dir=$("$0" -Im pip cache dir)" >> "$GITHUB_OUTPUT"',
                options.python,
            ],
        ]
        ours = [
            options.cli_python,
            "-m",
            "cache_python_deps",
            "--print-key",
            "--python",
            options.python,
        ]

        def original_once() -> float:
            return sum(timed(command, cwd=project, env=env) for command in original_commands)

        def ours_once() -> float:
            return timed(ours, cwd=project, env=env)

        for _ in range(options.warmup):
            original_once()
            ours_once()
        original_times, our_times = [], []
        for _ in range(options.runs):
            original_times.append(original_once())
            our_times.append(ours_once())

    original_median = statistics.median(original_times) * 1000
    our_median = statistics.median(our_times) * 1000
    print(f"interpreter keyed: {options.python}")
    print(f"runs: {options.runs} each, interleaved, after {options.warmup} warm-up runs")
    print(f"original ({label} + python -Im pip cache dir): median {original_median:.1f} ms")
    print(f"cache-python-deps --print-key:                 median {our_median:.1f} ms")
    print(f"ratio (ours / original): {our_median / original_median:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
