"""Per-tool rules for pruning a cache before it is saved (used by ``cache_python_deps.prune``).

Each tool module has ``MARKERS`` (top-level names of which at least one shows that a directory
is that tool's cache) and ``prune(tree, unstable_abi=...)``, which removes entries through a
``CacheTree`` only.
"""
