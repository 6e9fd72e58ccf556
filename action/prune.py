"""Run the prune sub-action with the standard library only, from this checkout of the action."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from cache_python_deps.action import prune_main

raise SystemExit(prune_main())
