"""Run the action's key step from this checkout of the action, with the standard library only.

run.sh starts it with ``-E -s -S``: no PYTHON* variables, no site-packages, nothing installed.
It must parse on any Python (2.7 included) so that a too-old one can say so by its exit code.
"""

import os
import sys

TOO_OLD = 86
if sys.version_info < (3, 10):
    sys.exit(TOO_OLD)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src"))

from cache_python_deps.action import main  # noqa: E402

sys.exit(main())
