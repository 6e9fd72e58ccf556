"""Errors the CLI reports as one line on stderr with a non-zero exit, never a traceback."""


class CachePythonDepsError(Exception):
    """Base of every error whose message is meant for the user as it is."""


class ProbeError(CachePythonDepsError):
    """The target interpreter could not be probed."""


class CacheDirectoryError(CachePythonDepsError):
    """The cache directory could not be found (or the tool's cache is disabled)."""


class DependencyHashError(CachePythonDepsError):
    """The dependency hash (given or computed) cannot go into a cache key."""


class UnknownToolError(CachePythonDepsError):
    """A tool name we do not know."""


class PruneRefusedError(CachePythonDepsError):
    """Pruning was refused by one of its safety guards."""


class PruneFailedError(CachePythonDepsError):
    """Pruning stopped part-way: an entry could not be removed or read, or nests too deep."""


class InUseError(CachePythonDepsError):
    """What the dependencies in use are cannot be read (a lock file, an environment)."""


class UnreadableFileError(CachePythonDepsError):
    """A file the action must read is not a regular file, is too large, or cannot be read."""


class UnsafeCachePathError(CachePythonDepsError):
    """The directory to cache must not be handed to actions/cache (see cache_path)."""


def one_line(error: BaseException) -> str:
    """The one line the user sees for ``error``: ours as they say it, an OS error by its reason
    and file, anything else (a bug) by its type and first line."""
    if isinstance(error, CachePythonDepsError):
        return str(error)
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror}{where}"
    text = str(error).strip()
    first_line = text.splitlines()[0] if text else ""
    return f"unexpected {type(error).__name__}: {first_line}".rstrip(": ")
