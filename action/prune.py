"""Run the prune sub-action from this checkout of the action, with the standard library only.

run.sh starts it with ``-E -s -S``; it must parse on any Python (see keys.py).
"""

import os
import sys

TOO_OLD = 86
if sys.version_info < (3, 10):
    sys.exit(TOO_OLD)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src"))

from cache_python_deps.action import prune_main  # noqa: E402

sys.exit(prune_main())
