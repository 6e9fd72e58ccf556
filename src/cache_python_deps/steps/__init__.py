"""The action's steps, as ``action/launch.py`` runs them: ``keys`` (before the restore),
``record`` (after it) and ``prune`` (the prune sub-action, at the end of the job).

Each step is a module with a ``main(environ=None, stdout=None) -> int``, run through
``runtime.run_step``; this table names them. A step's module is imported only when that step
runs: the record step never loads the key engine, the keys step never loads the REST client.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Final

from cache_python_deps.steps.runtime import launch

STEPS: Final = {
    "keys": "cache_python_deps.steps.keys",
    "record": "cache_python_deps.steps.record",
    "prune": "cache_python_deps.steps.prune",
}


def launch_named(arguments: list[str]) -> int:
    """``launch`` the step named by the launcher's one argument (keys, record or prune)."""
    name = arguments[0] if len(arguments) == 1 else ""
    if name not in STEPS:
        sys.stderr.write(f"usage: launch.py {'|'.join(STEPS)} (not {' '.join(arguments)!r})\n")
        return 2
    main: Callable[[], int] = importlib.import_module(STEPS[name]).main
    return launch(main)
