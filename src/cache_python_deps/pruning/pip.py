"""pip's cache: drop the downloads, keep the wheels pip built from source.

Layout (pip's ``cache.py`` and ``network/cache.py``): ``http-v2/`` (pip >= 23.3) and ``http/``
(older pip) hold HTTP responses, i.e. downloaded wheels, sdists and index pages: the same for
every interpreter and fetched again cheaply. ``wheels/`` holds wheels pip built from sdists, under
a path hashed from the link and the interpreter's name and X.Y version: the slow, ABI-sensitive
part worth keeping, dropped too when the ABI is unstable (a pre-release's wheels would be reused
by the next pre-release). ``selfcheck/`` (pip's version check) is kept.
"""

from __future__ import annotations

from typing import Final

from cache_python_deps.pruning._layout import TopLevelLayout

LAYOUT: Final = TopLevelLayout(
    markers=("http-v2", "http", "wheels", "selfcheck", "selfcheck.json"),
    downloads=("http-v2", "http"),
    built=("wheels",),
)
