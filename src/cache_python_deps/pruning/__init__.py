"""Per-tool rules for pruning a cache before it is saved (used by ``cache_python_deps.prune``).

Each tool module has ``is_cache(names)`` (whether top-level names show that a directory is that
tool's cache) and ``prune(tree, unstable_abi=...)``, which removes entries through a
``CacheTree`` only; where the tool keeps downloads and built wheels in top-level directories of
their own (pip, pipenv, pdm), a ``TopLevelLayout`` named ``LAYOUT`` provides both.
"""
