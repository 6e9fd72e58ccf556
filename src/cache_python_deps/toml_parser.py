"""The TOML parser this Python has: the standard library's ``tomllib`` (3.11+), else ``tomli``.

The action runs its code isolated with nothing installed, so on Python 3.10 it has none: callers
say so in one line (a config file cannot be read; a lock file is passed over). The CLI depends on
``tomli`` for 3.10.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def toml_loads() -> Callable[[str], dict[str, Any]] | None:
    """``tomllib.loads`` or ``tomli.loads``; ``None`` when neither is importable."""
    for module_name in ("tomllib", "tomli"):
        try:
            loads: Callable[[str], dict[str, Any]] = importlib.import_module(module_name).loads
        except ImportError:
            continue
        return loads
    return None
