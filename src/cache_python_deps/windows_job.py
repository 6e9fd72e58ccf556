"""Windows Job objects through ctypes (standard library only): a child's whole tree, ended at once.

A child put in a job takes every process it starts into the job with it, and the job can be
ended as a whole even after the child itself has exited, which ``taskkill /T`` cannot (it walks
parent links, and a grandchild whose parent is gone has none). The job is made kill-on-close: if
the Python holding its handle dies (run.sh's time limit kills python.exe, which in Git Bash ends
that process only), Windows closes the handle and ends the tree too.

Only ``create_job_holding`` and ``end_job`` touch the Windows API; the structure layout is
plain ctypes and is checked on any OS against the sizes Windows documents.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any, Final

# winnt.h
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: Final = 0x00002000
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS: Final = 9  # JobObjectExtendedLimitInformation
PROCESS_TERMINATE: Final = 0x0001
PROCESS_SET_QUOTA: Final = 0x0100
# The exit code of every process a job's end terminates.
ENDED_EXIT_CODE: Final = 1


# Fixed-size fields (a DWORD is 32 bits on Windows, a c_ulong is 64 bits on Linux), so that the
# layout is Windows' own on any OS: LARGE_INTEGER, DWORD, SIZE_T and ULONG_PTR.
class JobObjectBasicLimitInformation(ctypes.Structure):
    """JOBOBJECT_BASIC_LIMIT_INFORMATION."""

    _fields_ = (
        ("PerProcessUserTimeLimit", ctypes.c_int64),
        ("PerJobUserTimeLimit", ctypes.c_int64),
        ("LimitFlags", ctypes.c_uint32),
        ("MinimumWorkingSetSize", ctypes.c_size_t),
        ("MaximumWorkingSetSize", ctypes.c_size_t),
        ("ActiveProcessLimit", ctypes.c_uint32),
        ("Affinity", ctypes.c_size_t),
        ("PriorityClass", ctypes.c_uint32),
        ("SchedulingClass", ctypes.c_uint32),
    )


class IoCounters(ctypes.Structure):
    """IO_COUNTERS."""

    _fields_ = tuple(
        (name, ctypes.c_uint64)
        for name in (
            "ReadOperationCount",
            "WriteOperationCount",
            "OtherOperationCount",
            "ReadTransferCount",
            "WriteTransferCount",
            "OtherTransferCount",
        )
    )


class JobObjectExtendedLimitInformation(ctypes.Structure):
    """JOBOBJECT_EXTENDED_LIMIT_INFORMATION."""

    _fields_ = (
        ("BasicLimitInformation", JobObjectBasicLimitInformation),
        ("IoInfo", IoCounters),
        ("ProcessMemoryLimit", ctypes.c_size_t),
        ("JobMemoryLimit", ctypes.c_size_t),
        ("PeakProcessMemoryUsed", ctypes.c_size_t),
        ("PeakJobMemoryUsed", ctypes.c_size_t),
    )


def kill_on_close_limits() -> JobObjectExtendedLimitInformation:
    """The job's limits: none but ending every process in it when its last handle closes."""
    limits = JobObjectExtendedLimitInformation()
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    return limits


@functools.cache
def _kernel32() -> Any:  # pragma: no cover - Windows
    """kernel32 with the signatures used here (handles are pointer-sized)."""
    kernel32 = getattr(ctypes, "WinDLL")("kernel32", use_last_error=True)  # noqa: B009 - Windows only
    handle, dword, boolean = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int
    signatures = {
        "CreateJobObjectW": ((ctypes.c_void_p, ctypes.c_wchar_p), handle),
        "SetInformationJobObject": ((handle, ctypes.c_int, ctypes.c_void_p, dword), boolean),
        "OpenProcess": ((dword, boolean, dword), handle),
        "AssignProcessToJobObject": ((handle, handle), boolean),
        "TerminateJobObject": ((handle, ctypes.c_uint), boolean),
        "CloseHandle": ((handle,), boolean),
    }
    for name, (argtypes, restype) in signatures.items():
        function = getattr(kernel32, name)
        function.argtypes, function.restype = argtypes, restype
    return kernel32


def _last_error() -> int:  # pragma: no cover - Windows
    return int(getattr(ctypes, "get_last_error")())  # noqa: B009 - Windows only


def create_job_holding(pid: int) -> int | None:  # pragma: no cover - Windows
    """A kill-on-close job holding process ``pid``, or None when Windows refuses one.

    Called right after the child starts: a grandchild it started before that is outside the
    job (the caller's ``taskkill /T`` fallback still reaches it while the child lives).
    """
    kernel32 = _kernel32()
    job = kernel32.CreateJobObjectW(None, None)
    if not job:
        return None
    limits = kill_on_close_limits()
    process = None
    try:
        if not kernel32.SetInformationJobObject(
            job,
            JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS,
            ctypes.byref(limits),
            ctypes.sizeof(limits),
        ):
            raise OSError(_last_error(), "SetInformationJobObject failed")
        process = kernel32.OpenProcess(PROCESS_SET_QUOTA | PROCESS_TERMINATE, False, pid)
        if not process or not kernel32.AssignProcessToJobObject(job, process):
            raise OSError(_last_error(), "AssignProcessToJobObject failed")
    except OSError:
        kernel32.CloseHandle(job)
        return None
    finally:
        if process:
            kernel32.CloseHandle(process)
    return int(job)


def end_job(job: int) -> None:  # pragma: no cover - Windows
    """End every process in the job, then close it."""
    kernel32 = _kernel32()
    kernel32.TerminateJobObject(job, ENDED_EXIT_CODE)
    kernel32.CloseHandle(job)
