"""Pipenv's cache: pip's layout (pipenv hands the directory to pip) plus pipenv's own files.

Pipenv sets ``PIP_CACHE_DIR`` to its cache (``pipenv/utils/pip.py``), so the rules of pip apply
to ``http-v2/``, ``http/`` and ``wheels/``. Pipenv adds ``pipenv-manifests/`` (index pages it
parsed: downloads, dropped) and may point ``PIP_DESTINATION_DIR`` at ``pkgs/`` (downloads,
dropped).
"""

from __future__ import annotations

from typing import Final

from cache_python_deps.pruning import pip
from cache_python_deps.pruning._layout import TopLevelLayout

LAYOUT: Final = TopLevelLayout(
    markers=(*pip.LAYOUT.markers, "pipenv-manifests"),
    downloads=(*pip.LAYOUT.downloads, "pipenv-manifests", "pkgs"),
    built=pip.LAYOUT.built,
)
