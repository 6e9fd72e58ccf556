"""Pure rules from interpreter facts to its binary identity: ABI tag, stability, epoch, platform.

Nothing here does I/O: every function takes an ``InterpreterInfo`` (real or recorded) and returns
plain values, so each rule is tested with data rather than by patching the machine.
"""

from __future__ import annotations

import enum
import hashlib
import re
from typing import NamedTuple

from cache_python_deps.interpreter import InterpreterInfo


class Stability(enum.Enum):
    """Whether caches built by this interpreter may be shared across its builds and patches."""

    STABLE = "stable"
    # A final release whose ABI is stable but officially experimental (free-threaded 3.13).
    EXPERIMENTAL = "experimental"
    # Alpha, beta, release candidate or a "+" development build: the ABI may change any time.
    UNSTABLE = "unstable"

    @property
    def shares_across_builds(self) -> bool:
        """True when patch releases and rebuilds of one X.Y may reuse each other's caches."""
        return self is not Stability.UNSTABLE


class Identity(NamedTuple):
    """What makes binary artifacts built by one interpreter usable by another."""

    os_family: str
    os_release: str
    architecture: str
    pointer_bits: int
    libc: str
    implementation: str
    abi_tag: str
    stability: Stability
    stability_reason: str
    abi_epoch: str
    exact_version: str
    # Differs between any two interpreter installs, even of one version: for virtualenv keys.
    install_fingerprint: str


_OS_FAMILIES = {"linux": "linux", "darwin": "macos", "windows": "windows"}


def short_hash(text: str, length: int = 12) -> str:
    """A short, stable hex digest for long or unsafe key parts."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def normalize(text: str) -> str:
    """Lower-case, and turn anything outside [a-z0-9._] into one underscore.

    Dashes separate key fields, so no field may contain one: that keeps every restore-key prefix
    from matching a key whose fields differ.
    """
    return re.sub(r"[^a-z0-9._]+", "_", text.lower()).strip("_")


def derive_identity(info: InterpreterInfo) -> Identity:
    """All identity rules applied to one interpreter's facts."""
    stability, reason = stability_of(info)
    return Identity(
        os_family=os_family(info),
        os_release=os_release(info),
        architecture=architecture(info),
        pointer_bits=info.pointer_bits,
        libc=libc(info),
        implementation=implementation(info),
        abi_tag=abi_tag(info),
        stability=stability,
        stability_reason=reason,
        abi_epoch=abi_epoch(info, stability),
        exact_version=exact_version(info),
        install_fingerprint=install_fingerprint(info),
    )


def os_family(info: InterpreterInfo) -> str:
    """linux, macos, windows, or the normalized platform.system() of anything else."""
    system = info.system.lower()
    return _OS_FAMILIES.get(system, normalize(system) or "unknown")


def os_release(info: InterpreterInfo) -> str:
    """Distribution and release on Linux (debian12, ubuntu24.04); the OS version elsewhere."""
    family = os_family(info)
    version = info.os_version or ""
    if family == "linux":
        release = f"{info.os_id or 'unknown'}{version}"
    elif family == "macos":
        release = _macos_release(version)
    else:
        release = version
    return normalize(release) or "unknown"


def _macos_release(version: str) -> str:
    """10.14 and 10.15 (each its own wheel platform, macosx_10_14...); 11 and later by major.

    From macOS 11 on, wheel platforms move with the major version only (packaging's
    mac_platforms), and minor updates keep binary compatibility.
    """
    parts = version.split(".")
    if parts[0] == "10" and len(parts) > 1:
        return f"10.{parts[1]}"
    return parts[0]


def _platform_tag(info: InterpreterInfo) -> str:
    """The interpreter's ``sysconfig.get_platform()``, normalized as packaging does."""
    return re.sub(r"[^a-z0-9]", "_", (info.sysconfig_platform or "").lower())


def architecture(info: InterpreterInfo) -> str:
    """The arch part of the interpreter's wheel platform, as pypa/packaging derives it.

    It follows the interpreter, not the host: ``sysconfig.get_platform()`` on Linux and Windows
    (an x64 Python emulated on an ARM64 Windows host is ``amd64``, though ``platform.machine()``
    says ``ARM64`` there from Python 3.12 on), with packaging's 32-bit adjustments on Linux (a
    32-bit interpreter on a 64-bit kernel is ``i686`` or ``armv8l`` whatever ``uname -m`` says),
    and on macOS the architecture the process runs as (``x86_64`` under Rosetta).
    """
    family = os_family(info)
    is_32bit = info.pointer_bits == 32
    if family == "macos":
        machine = (info.mac_machine or info.machine).lower()
        if is_32bit:
            return "ppc" if machine.startswith("ppc") else "i386"
        return normalize(machine) or "unknown"
    tag = _platform_tag(info)
    if family == "linux" and tag.startswith("linux_"):
        if is_32bit:
            tag = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(tag, tag)
        return tag.removeprefix("linux_")
    if family == "windows" and (tag == "win32" or tag.startswith("win_")):
        return "x86" if tag == "win32" else tag.removeprefix("win_")
    return normalize(info.machine) or "unknown"


def libc(info: InterpreterInfo) -> str:
    """glibc2.39, musl1.2.5; the platform's C runtime where there is no libc choice."""
    family = os_family(info)
    if info.libc_family:
        return normalize(f"{info.libc_family}{info.libc_version or ''}")
    if family == "macos":
        return "libsystem"
    if family == "windows":
        return "ucrt" if (info.version_info.major, info.version_info.minor) >= (3, 5) else "msvcrt"
    return "unknownlibc"


_RELEASE_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)*")


def _graalpy_release(info: InterpreterInfo) -> str | None:
    """GraalPy's own release (``24.1.0``) when the interpreter is a released GraalPy.

    GraalPy 24.x reports ``sys.version_info`` and ``sys.implementation.version`` as a CPython
    ``alpha`` whatever the build (oracle/graalpython issue 487; the level became real in 24.2,
    and 25.0 moved ``sys.implementation.version`` to GraalPy's own release). What tells a
    release from a development build is ``__graalpython__.get_graalvm_version()``: digits and
    dots for a release, a ``-dev`` (or other) suffix otherwise, as GraalPy's own patched pip
    reads it.
    """
    if info.implementation_name != "graalpy" or info.graalvm_version is None:
        return None
    version = info.graalvm_version.strip()
    return version if _RELEASE_NUMBER.fullmatch(version) else None


def implementation(info: InterpreterInfo) -> str:
    """cpython, or an alternative implementation with its own release (pypy7.3.11).

    PyPy and GraalPy ABIs move between their own releases, not only with the Python version:
    PyPy's ``pp73`` tag has stayed while 7.3.8 and 7.3.14 broke binary compatibility with
    wheels built by other 7.3.x releases (said by PyPy's maintainers, pypy/pypy issue 4816).
    """
    name = normalize(info.implementation_name)
    if name == "cpython":
        return name
    if name == "graalpy" and info.graalvm_version:
        return normalize(f"{name}{info.graalvm_version}")
    return normalize(f"{name}{info.implementation_version}")


def abi_tag(info: InterpreterInfo) -> str:
    """The wheel ABI tag, derived the way pypa/packaging derives it."""
    if info.implementation_name == "cpython":
        return _cpython_abi_tag(info)
    return _abi_tag_from_ext_suffix(info) or normalize(
        f"{info.implementation_name}{info.version_info.major}{info.version_info.minor}"
    )


def _cpython_abi_tag(info: InterpreterInfo) -> str:
    version = info.version_info
    flags = ""
    if info.py_gil_disabled:
        flags += "t"
    if info.py_debug:
        flags += "d"
    if (version.major, version.minor) < (3, 8) and info.with_pymalloc is not False:
        flags += "m"
    if (version.major, version.minor) < (3, 3) and info.max_unicode == 0x10FFFF:
        flags += "u"
    return f"cp{version.major}{version.minor}{flags}"


def _abi_tag_from_ext_suffix(info: InterpreterInfo) -> str | None:
    """``.pypy39-pp73-x86_64-linux-gnu.so`` -> ``pypy39_pp73``; GraalPy keeps three parts."""
    parts = (info.ext_suffix or "").split(".")
    if len(parts) < 3 or not parts[1]:
        return None
    soabi = parts[1]
    pieces = soabi.split("-")
    if soabi.startswith("cpython") and len(pieces) > 1:
        tag = "cp" + pieces[1]
    elif soabi.startswith("cp"):
        tag = pieces[0]
    elif soabi.startswith("pypy"):
        tag = "-".join(pieces[:2])
    elif soabi.startswith("graalpy"):
        tag = "-".join(pieces[:3])
    else:
        tag = soabi
    return normalize(tag.replace("-", "_").replace(".", "_"))


def _is_development_build(info: InterpreterInfo) -> bool:
    """CPython built from a git checkout says so with a '+' after its version number."""
    words = info.sys_version.split()
    return bool(words) and words[0].endswith("+")


def _graalpy_stability(info: InterpreterInfo) -> tuple[Stability, str] | None:
    """GraalPy's stability from its own release string (None: not GraalPy, or it has none)."""
    if info.implementation_name != "graalpy" or not info.graalvm_version:
        return None
    release = _graalpy_release(info)
    # Its version_info level says nothing (see _graalpy_release); a dev tag in the ABI does.
    if release is None or "dev" in abi_tag(info):
        return Stability.UNSTABLE, f"GraalPy {info.graalvm_version} is a development build"
    return Stability.STABLE, f"GraalPy {release} is a release"


def stability_of(info: InterpreterInfo) -> tuple[Stability, str]:
    """Stability and a one-line reason a person can read."""
    version = info.version_info
    graalpy = _graalpy_stability(info)
    if graalpy is not None:
        return graalpy
    if version.releaselevel != "final":
        return Stability.UNSTABLE, f"Python {version} is a pre-release ({version.releaselevel})"
    if _is_development_build(info):
        return Stability.UNSTABLE, f"Python {version}+ is a development build"
    own = info.implementation_version
    if info.implementation_name != "cpython" and own.releaselevel != "final":
        return (
            Stability.UNSTABLE,
            f"{info.implementation_name} {own} is a pre-release ({own.releaselevel})",
        )
    if info.py_gil_disabled and (version.major, version.minor) == (3, 13):
        return (
            Stability.EXPERIMENTAL,
            "free-threaded Python 3.13 is experimental (PEP 703); its ABI tag is separate",
        )
    return Stability.STABLE, f"Python {version} is a final release"


def abi_epoch(info: InterpreterInfo, stability: Stability) -> str:
    """X.Y for stable builds; the exact pre-release plus a build hash for unstable ones.

    Two different alphas, or two builds of one alpha, never share an epoch.
    """
    version = info.version_info
    if stability.shares_across_builds:
        return f"{version.major}.{version.minor}"
    development = "dev" if _is_development_build(info) else ""
    return normalize(f"{version}{development}.{short_hash(info.sys_version)}")


def exact_version(info: InterpreterInfo) -> str:
    """The full interpreter version, e.g. 3.11.7 or 3.14.0a2."""
    return normalize(str(info.version_info))


def install_fingerprint(info: InterpreterInfo) -> str:
    """A hash that differs between any two installs (path or build) of an interpreter."""
    base = info.base_executable or info.executable
    return short_hash(f"{base}\n{info.sys_version}")
