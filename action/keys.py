"""Run the action's key step with the standard library only, from this checkout of the action.

Started with ``python -I``: no user site-packages, no PYTHON* variables, nothing installed.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from cache_python_deps.action import main

raise SystemExit(main())
