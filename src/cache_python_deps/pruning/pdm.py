"""PDM's cache: keep the wheels it built, drop downloads and unpacked packages.

Layout (pdm's ``project/core.py``, ``models/caches.py`` and ``cli/commands/cache.py``):
``http/`` is the HTTP cache (downloaded distributions and index pages: dropped); ``wheels/``
holds wheels pdm built from sdists, keyed by the link and the target environment (kept; dropped
when the ABI is unstable); ``packages/`` holds wheels unpacked for ``install.cache`` (re-made from
the wheels: dropped, like uv's unzipped archives under ``uv cache prune --ci``). ``hashes/``,
``metadata/`` and the rest are small and kept.
"""

from __future__ import annotations

from typing import Final

from cache_python_deps.pruning._layout import TopLevelLayout

LAYOUT: Final = TopLevelLayout(
    markers=("http", "wheels", "packages", "hashes", "metadata"),
    downloads=("http", "packages"),
    built=("wheels",),
)
