"""Run one step of the action from this checkout of it, with the standard library only.

Usage (by run.sh): ``python -E -s -S launch.py keys|record|prune``. No PYTHON* variables, no
site-packages, nothing installed. It must parse on any Python (2.7 included): it first says it
started (``CPD_STARTED_FILE``), and a Python too old for the action's code says so by its exit
code (86); the code itself writes its exit status to ``CPD_DONE_FILE`` when it finishes, which
is how run.sh tells it from an interpreter that exits without running it.
"""

import os
import sys

STARTED = os.environ.get("CPD_STARTED_FILE")
if STARTED:
    open(STARTED, "w").close()

TOO_OLD = 86
if sys.version_info < (3, 10):
    sys.exit(TOO_OLD)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src"))

from cache_python_deps.steps import launch_named  # noqa: E402

sys.exit(launch_named(sys.argv[1:]))
