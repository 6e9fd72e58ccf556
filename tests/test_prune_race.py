"""Prune under a concurrent attacker: a directory in the cache keeps turning into a symlink.

Another process swaps the uv bucket ``environments-v2`` for a symlink to an outside directory
and back, as fast as it can, while prune empties that bucket. The outside directory holds
canaries with the very names of the bucket's entries, so any removal that resolves the bucket's
path at the wrong moment lands on a canary. Each iteration asserts every canary survives with
its content and mode. (The path-based prune this project had before failed this test: see the
report that introduced it.)
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from cache_python_deps.errors import CachePythonDepsError
from cache_python_deps.prune import prune_cache
from tests.prune_support import make_tree, snapshot

ITERATIONS = 150
ENTRIES = 60

# Runs in its own process, so that the swaps really overlap prune's system calls.
_SWAPPER = r"""
import ctypes, os, sys
bucket, link, outside, stop, ready = sys.argv[1:6]
os.symlink(outside, link)
# renameat2(RENAME_EXCHANGE) swaps the two names atomically: the bucket's path is always either
# the real directory or the symlink, never missing. The symlink stays in place only briefly.
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
def exchange():
    if libc.renameat2(AT_FDCWD, bucket.encode(), AT_FDCWD, link.encode(), RENAME_EXCHANGE):
        raise OSError(ctypes.get_errno(), "renameat2")
open(ready, "w").close()
swaps = 0
while not os.path.exists(stop):
    exchange()
    exchange()
    swaps += 1
print(swaps)
"""


def _start_swapper(bucket: Path, link: Path, outside: Path, stop: Path) -> subprocess.Popen[str]:
    ready = stop.with_name("ready")
    process = subprocess.Popen(
        [
            sys.executable,
            "-E",
            "-S",
            "-c",
            _SWAPPER,
            *map(str, (bucket, link, outside, stop, ready)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert process.poll() is None, "the swapper died"
        assert time.monotonic() < deadline, "the swapper did not start"
        time.sleep(0.001)
    return process


def test_a_directory_swapped_for_a_symlink_never_leads_prune_outside(tmp_path: Path) -> None:
    names = {f"entry-{number:03}": f"cache {number}" for number in range(ENTRIES)}
    outside = make_tree(tmp_path / "outside", dict.fromkeys(names, "canary"))
    for canary in outside.iterdir():
        canary.chmod(0o640)
    before = snapshot(outside)
    pruned_runs = swaps = 0
    unexpected: list[str] = []
    for iteration in range(ITERATIONS):
        work = tmp_path / f"run-{iteration}"
        cache = make_tree(
            work / "cache",
            {"CACHEDIR.TAG": "", **{f"environments-v2/{n}": t for n, t in names.items()}},
        )
        stop = work / "stop"
        swapper = _start_swapper(cache / "environments-v2", work / "link", outside, stop)
        try:
            report = prune_cache("uv", cache, unstable_abi=False)
            pruned_runs += bool(report.removed_entries)
        except CachePythonDepsError:
            pass  # refusing, or stopping when the tree changes under it, is a safe outcome
        except Exception as error:  # reported after the canaries are checked
            unexpected.append(f"{type(error).__name__}: {error}")
        finally:
            stop.touch()
            output, _ = swapper.communicate(timeout=30)
            swaps += int(output or 0)
        assert snapshot(outside) == before, f"iteration {iteration} touched the outside directory"
    assert not unexpected, f"not a one-line error: {unexpected[0]}"
    assert swaps > ITERATIONS, "the swapper hardly ran: the race was not exercised"
    assert pruned_runs, "prune never removed anything: the race was not exercised"
