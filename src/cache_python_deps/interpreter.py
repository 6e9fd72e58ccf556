"""Run the probe in a target interpreter and turn its answer into a validated ``InterpreterInfo``.

All subprocess and timeout handling lives here; everything downstream works on plain data.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from cache_python_deps import file_names
from cache_python_deps.errors import ProbeError

PROBE_SCRIPT = Path(__file__).with_name("probe.py")
PROBE_TIMEOUT_SECONDS = 5.0
SUPPORTED_PROBE_FORMAT = 3
# The probe stops its pip search past 32 directories; a longer answer is not the probe's.
MAX_PIP_SEARCH_ENTRIES = 64
MAX_PATH_LENGTH = 4096
MAX_PIP_VERSION_LENGTH = 64
PIP_SEARCH_GROUPS = frozenset({"venv", "user", "base"})
PIP_STATES = frozenset({"found", "absent", "unknown"})
_VERSION_CHARACTERS = frozenset(
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+!_-"
)
# Longest releaselevel accepted (CPython has four; other implementations may spell their own).
MAX_RELEASELEVEL_LENGTH = 32
# Bounds of a list of paths in the probe's answer (a handful of site directories).
MAX_LISTED_PATHS = 64


class VersionInfo(NamedTuple):
    """A ``sys.version_info``-like 5-tuple."""

    major: int
    minor: int
    micro: int
    releaselevel: str
    serial: int

    def __str__(self) -> str:
        """PEP 440 spelling: 3.12.1, 3.14.0a2, 3.13.0rc1; 3.11.7.dev0 for other levels."""
        base = f"{self.major}.{self.minor}.{self.micro}"
        if self.releaselevel == "final":
            return base
        suffix = {"alpha": "a", "beta": "b", "candidate": "rc"}.get(self.releaselevel)
        if suffix:
            return f"{base}{suffix}{self.serial}"
        return f"{base}.{self.releaselevel}{self.serial}"


class PipSearchEntry(NamedTuple):
    """One directory ``python -m pip`` searches for pip, as the probe found it.

    ``group``: ``venv`` (the virtualenv's site-packages), ``user`` (the user site) or ``base``
    (the base interpreter's site-packages), each with the directories its .pth files add.
    ``state``: ``found`` (``version`` read from pip's ``__init__.py``, None when unreadable),
    ``absent``, or ``unknown`` (something there the probe could not read: no certain answer).
    """

    group: str
    directory: str
    state: str
    version: str | None


class InterpreterInfo(NamedTuple):
    """Everything the probe reports about one interpreter install."""

    implementation_name: str
    implementation_version: VersionInfo
    # __graalpython__.get_graalvm_version() on GraalPy: its own release, with a '-dev' suffix on
    # development builds (None elsewhere).
    graalvm_version: str | None
    version_info: VersionInfo
    sys_version: str
    ext_suffix: str | None
    soabi: str | None
    abiflags: str | None
    py_gil_disabled: bool | None
    py_debug: bool
    with_pymalloc: bool | None
    max_unicode: int
    pointer_bits: int
    machine: str
    # platform.mac_ver()[2] on macOS: the architecture the process runs as (None elsewhere).
    mac_machine: str | None
    system: str
    sysconfig_platform: str | None
    libc_family: str | None
    libc_version: str | None
    os_id: str | None
    os_version: str | None
    executable: str
    base_executable: str | None
    prefix: str
    base_prefix: str
    # The directories ``python -m pip`` searches for pip, in sys.path order, up to the first
    # pip (see probe.pip_search); pip_location.find_pip decides which pip the job runs.
    pip_search: tuple[PipSearchEntry, ...]
    # Where the installation outside any virtual environment keeps installed distributions:
    # site-packages (or Debian's dist-packages) and the user site, those that exist (probe.py's
    # ``base_site_directories``). Empty when the probe did not say (recorded probes).
    site_directories: tuple[str, ...] = ()

    @classmethod
    def from_probe(cls, data: Mapping[str, Any]) -> InterpreterInfo:
        """Validate the probe's JSON object; raise ValueError naming the first bad field."""
        if data.get("probe_format") != SUPPORTED_PROBE_FORMAT:
            raise ValueError(f"unknown probe format {data.get('probe_format')!r}")
        with_pymalloc = data.get("with_pymalloc")
        return cls(
            implementation_name=_str(data, "implementation_name").lower(),
            implementation_version=_version(data, "implementation_version"),
            graalvm_version=_optional_str(data, "graalvm_version"),
            version_info=_version(data, "version_info"),
            sys_version=_str(data, "sys_version"),
            ext_suffix=_optional_str(data, "ext_suffix"),
            soabi=_optional_str(data, "soabi"),
            abiflags=_optional_str(data, "abiflags"),
            py_gil_disabled=_optional_bool(data, "py_gil_disabled"),
            py_debug=bool(_optional_bool(data, "py_debug")),
            with_pymalloc=None if with_pymalloc is None else bool(with_pymalloc),
            max_unicode=_int(data, "max_unicode"),
            pointer_bits=_int(data, "pointer_bits"),
            machine=_str(data, "machine"),
            mac_machine=_optional_str(data, "mac_machine"),
            system=_str(data, "system"),
            sysconfig_platform=_optional_str(data, "sysconfig_platform"),
            libc_family=_optional_str(data, "libc_family"),
            libc_version=_optional_str(data, "libc_version"),
            os_id=_optional_str(data, "os_id"),
            os_version=_optional_str(data, "os_version"),
            executable=_str(data, "executable"),
            base_executable=_optional_str(data, "base_executable"),
            prefix=_str(data, "prefix"),
            base_prefix=_str(data, "base_prefix"),
            pip_search=_pip_search(data),
            site_directories=_optional_str_list(data, "site_directories"),
        )


def _str(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is {value!r}, expected a non-empty string")
    return value


def _optional_str(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} is {value!r}, expected a string")
    return value


def _pip_search(data: Mapping[str, Any]) -> tuple[PipSearchEntry, ...]:
    value = data.get("pip_search")
    if not isinstance(value, list) or len(value) > MAX_PIP_SEARCH_ENTRIES:
        raise ValueError(
            f"pip_search is {str(value)[:80]!r}, expected a list of at most"
            f" {MAX_PIP_SEARCH_ENTRIES} entries"
        )
    return tuple(_pip_search_entry(item) for item in value)


def _pip_search_entry(item: object) -> PipSearchEntry:
    if isinstance(item, list) and len(item) == 4:
        group, directory, state, version = item
        valid = (
            group in PIP_SEARCH_GROUPS
            and isinstance(directory, str)
            and 0 < len(directory) <= MAX_PATH_LENGTH
            and state in PIP_STATES
            and (version is None or (state == "found" and _is_version(version)))
        )
        if valid:
            return PipSearchEntry(group, directory, state, version)
    raise ValueError(
        f"pip_search has the entry {str(item)[:80]!r}, expected [group, directory, state, version]"
    )


def _is_version(value: object) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_PIP_VERSION_LENGTH
        and set(value) <= _VERSION_CHARACTERS
    )


def _optional_str_list(data: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = data.get(name)
    if value is None:
        return ()
    if (
        not isinstance(value, list)
        or len(value) > MAX_LISTED_PATHS
        or not all(isinstance(item, str) and 0 < len(item) <= MAX_PATH_LENGTH for item in value)
    ):
        raise ValueError(f"{name} is {value!r:.200}, expected a short list of paths")
    return tuple(value)


def _optional_bool(data: Mapping[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"{name} is {value!r}, expected true, false or null")


def _int(data: Mapping[str, Any], name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} is {value!r}, expected an integer")
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 31


def _releaselevel(value: object) -> str | None:
    """A releaselevel of any spelling (lower-cased), or None when it is not a short word.

    CPython uses alpha, beta, candidate and final; other implementations map their own levels
    onto these or report others (dev, snapshot...): any word is accepted, and only ``final``
    means a release (see identity.stability_of).
    """
    if not isinstance(value, str) or not 0 < len(value) <= MAX_RELEASELEVEL_LENGTH:
        return None
    level = value.strip().lower()
    return level if level.isascii() and level.isalnum() else None


def _version(data: Mapping[str, Any], name: str) -> VersionInfo:
    value = data.get(name)
    level = _releaselevel(value[3]) if isinstance(value, list) and len(value) == 5 else None
    if (
        not isinstance(value, list)
        or len(value) != 5
        or not all(_is_int(part) for part in (*value[:3], value[4]))
        or level is None
    ):
        raise ValueError(f"{name} is {value!r}, expected a version_info 5-tuple")
    return VersionInfo(value[0], value[1], value[2], level, value[4])


def resolve_interpreter(python: str) -> Path:
    """Turn ``--python`` (a path or a command on PATH) into an executable file path."""
    candidate = Path(python).expanduser()
    if os.sep in python or (os.altsep and os.altsep in python) or candidate.is_file():
        if not candidate.exists():
            raise ProbeError(f"Python interpreter {python!r} does not exist")
        if candidate.is_dir():
            raise ProbeError(f"Python interpreter {python!r} is a directory, not an executable")
        return candidate
    found = shutil.which(python)
    if found is None:
        raise ProbeError(f"Python interpreter {python!r} was not found on PATH")
    return Path(found)


def is_running_interpreter(
    executable: Path,
    *,
    running: str | None = None,
    ignore_case: bool | None = None,
    same_file: Callable[[str, str], bool] = os.path.samefile,
) -> bool:
    """Whether ``executable`` is the very interpreter running this code.

    Only the same path counts: another name for the same binary may be a virtualenv's launcher
    (another prefix), and a shim may run something else. Where the OS ignores case (macOS,
    Windows: ``python.EXE`` is ``python.exe``), a path differing only in case counts when it is
    the same file (a case-sensitive volume or directory may hold both). The facts default to
    this process (``sys.executable``) and this system.
    """
    running = sys.executable if running is None else running
    if not running:
        return False
    # abspath, not resolve(): a symlink to the same binary is not the same interpreter.
    given, own = os.path.abspath(executable), os.path.abspath(running)  # noqa: PTH100
    if given == own:
        return True
    ignore_case = file_names.ignores_case() if ignore_case is None else ignore_case
    if not ignore_case or file_names.caseless(given) != file_names.caseless(own):
        return False
    try:
        return same_file(given, own)
    except OSError:
        return False


def probe_in_process() -> InterpreterInfo:
    """The probe's facts about the running interpreter, without starting it again.

    The probe's facts go through the same validation as those of a probe run in a child
    process (tests/test_probe_in_process.py checks that both paths give identical answers on
    every real interpreter); skipping the JSON round trip and the imports of the child-process
    path keeps this path, the usual one, fast.
    """

    # Importing the probe stays off the paths that only read an identity (the record step).
    from cache_python_deps import probe  # noqa: PLC0415

    try:
        # The probe is untyped: it runs on Python 2.7 too.
        return InterpreterInfo.from_probe(probe.collect())  # type: ignore[no-untyped-call]
    except ValueError as error:  # pragma: no cover - the probe and its parser are ours
        raise ProbeError(f"the running interpreter gave an invalid probe result: {error}") from None


def probe_interpreter(python: str, *, timeout: float = PROBE_TIMEOUT_SECONDS) -> InterpreterInfo:
    """The validated facts of ``python``, or ProbeError.

    The interpreter running this code is probed in-process; any other runs the probe script in
    a child process (``-E -s -S``), bounded in time and output.
    """
    executable = resolve_interpreter(python)
    if is_running_interpreter(executable):
        return probe_in_process()
    # Only this path starts a child: its imports cost nothing on the in-process one.
    # Child processes stay off the measured start-up path (the running Python probed in-process).
    from cache_python_deps.subprocesses import BoundedRunError, run_bounded  # noqa: PLC0415

    marker = f"CPD-{os.urandom(8).hex()}"
    command = [str(executable), "-E", "-s", "-S", str(PROBE_SCRIPT), marker]
    try:
        completed = run_bounded(command, timeout=timeout)
    except BoundedRunError as error:
        raise ProbeError(f"probing Python interpreter {python!r} {error}") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ProbeError(f"Python interpreter {python!r} could not be run: {reason}") from None
    if completed.returncode != 0:
        last_line = _last_line(completed.stderr)
        detail = f": {last_line}" if last_line else ""
        raise ProbeError(
            f"probing Python interpreter {python!r} failed with exit code "
            f"{completed.returncode}{detail}"
        )
    return parse_probe_output(completed.stdout, marker, python)


def parse_probe_output(stdout: bytes, marker: str, python: str) -> InterpreterInfo:
    """Find the framed JSON in the probe's stdout and validate it."""
    import json  # noqa: PLC0415 - only a child's answer is JSON: off the measured path

    text = stdout.decode("utf-8", "replace")
    start = text.find(marker)
    end = text.find(marker, start + len(marker)) if start >= 0 else -1
    if start < 0 or end < 0:
        raise ProbeError(f"Python interpreter {python!r} gave no probe result")
    try:
        data = json.loads(text[start + len(marker) : end])
        if not isinstance(data, dict):
            raise ValueError("the probe result is not a JSON object")
        return InterpreterInfo.from_probe(data)
    except ValueError as error:
        raise ProbeError(
            f"Python interpreter {python!r} gave an invalid probe result: {error}"
        ) from None


def _last_line(output: bytes) -> str:
    lines = output.decode("utf-8", "replace").strip().splitlines()
    return lines[-1].strip()[:200] if lines else ""
