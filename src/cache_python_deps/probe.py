"""Report facts about the interpreter running this file, as framed JSON on stdout.

This file is executed by the *target* interpreter with ``-E -s -S``, which may be anything from
CPython 2.7 to a 3.14 pre-release, PyPy or GraalPy. So it is stdlib-only, imports nothing from
this package, and uses no syntax newer than 2.7 (no f-strings, no annotations, no ``:=``).

Usage: ``python -E -s -S probe.py MARKER``. The JSON object is printed on one line between two
copies of MARKER, so anything else the interpreter prints cannot be mistaken for it.

It is on the hot path of every run, so it imports as little as it can: no ``json`` and no
``platform`` on Linux (both pull in ``re`` and friends, which would double its start-up time).
"""

import os
import struct
import sys

try:
    import sysconfig
except ImportError:  # pragma: no cover - every supported interpreter has it
    sysconfig = None  # type: ignore[assignment]

PROBE_FORMAT = 2


def config_var(name):
    if sysconfig is None:
        return None
    try:
        return sysconfig.get_config_var(name)
    except Exception:
        return None


def text(value):
    """A JSON-friendly str (or None) whatever the Python version."""
    if value is None:
        return None
    if not isinstance(value, str):
        try:
            value = value.decode("utf-8", "replace")
        except AttributeError:
            value = str(value)
    return value


def version_tuple(info):
    if info is None:
        return None
    return [info[0], info[1], info[2], text(info[3]), info[4]]


def implementation_facts():
    implementation = getattr(sys, "implementation", None)
    if implementation is not None:
        name = implementation.name
        version = version_tuple(implementation.version)
    else:  # Python 2.7
        name = "pypy" if hasattr(sys, "pypy_version_info") else "cpython"
        version = version_tuple(sys.version_info)
    pypy_version = getattr(sys, "pypy_version_info", None)
    if pypy_version is not None:
        version = version_tuple(pypy_version)
    return text(name), version


def glibc_version():
    try:
        value = os.confstr("CS_GNU_LIBC_VERSION")
        if value:
            parts = value.split()
            if len(parts) == 2 and parts[0] == "glibc":
                return parts[1]
    except (AttributeError, OSError, ValueError):
        pass
    try:
        import ctypes

        process = ctypes.CDLL(None)
        function = process.gnu_get_libc_version
        function.restype = ctypes.c_char_p
        return text(function())
    except Exception:
        return None


def elf_interpreter(path):
    """The PT_INTERP path of an ELF executable, or None."""
    try:
        handle = open(path, "rb")
    except (IOError, OSError):
        return None
    try:
        header = handle.read(64)
        if len(header) < 64 or header[:4] != b"\x7fELF":
            return None
        is_64 = header[4:5] == b"\x02"
        endian = "<" if header[5:6] == b"\x01" else ">"
        if is_64:
            (phoff,) = struct.unpack(endian + "Q", header[32:40])
            phentsize, phnum = struct.unpack(endian + "HH", header[54:58])
        else:
            (phoff,) = struct.unpack(endian + "I", header[28:32])
            phentsize, phnum = struct.unpack(endian + "HH", header[42:46])
        for index in range(phnum):
            handle.seek(phoff + index * phentsize)
            entry = handle.read(phentsize)
            (p_type,) = struct.unpack(endian + "I", entry[:4])
            if p_type != 3:  # PT_INTERP
                continue
            if is_64:
                (offset,) = struct.unpack(endian + "Q", entry[8:16])
                (size,) = struct.unpack(endian + "Q", entry[32:40])
            else:
                (offset,) = struct.unpack(endian + "I", entry[4:8])
                (size,) = struct.unpack(endian + "I", entry[16:20])
            handle.seek(offset)
            return text(handle.read(size).rstrip(b"\x00"))
    except (IOError, OSError, struct.error):
        return None
    finally:
        handle.close()
    return None


def musl_version(loader):
    """Run the musl loader, which prints its version on stderr."""
    try:
        import subprocess

        process = subprocess.Popen([loader], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, stderr = process.communicate()
    except (IOError, OSError):
        return None
    for line in text(stderr).splitlines():
        if line.startswith("Version "):
            return line.split()[1]
    return None


def graalvm_version(name):
    """GraalPy's own release, as ``__graalpython__.get_graalvm_version()`` reports it (else None).

    GraalPy 24.x reports the Python version in ``sys.implementation.version`` and, up to 24.1, a
    fixed releaselevel 'alpha' even for releases; this string is its release and carries a
    '-dev' suffix on development builds (the rule GraalPy's own patched pip follows).
    """
    if name != "graalpy":
        return None
    try:
        import __graalpython__  # type: ignore[import-not-found]  # GraalPy's built-in module

        return text(__graalpython__.get_graalvm_version()) or None
    except Exception:  # GraalPy before 23.1 lacks the function
        return None


def libc_facts(system):
    if system != "Linux":
        return None, None
    version = glibc_version()
    if version:
        return "glibc", version
    loader = elf_interpreter(sys.executable)
    if loader and "musl" in loader:
        return "musl", musl_version(loader)
    return None, None


def os_release():
    """ID and VERSION_ID from os-release (Linux)."""
    values = {}
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            handle = open(path)
        except (IOError, OSError):
            continue
        try:
            for line in handle:
                if "=" not in line:
                    continue
                key, _, value = line.strip().partition("=")
                values[key] = value.strip().strip("\"'")
        finally:
            handle.close()
        break
    return values.get("ID"), values.get("VERSION_ID")


def system_and_machine():
    """platform.system() and platform.machine(), without importing platform where uname exists."""
    uname = getattr(os, "uname", None)
    if uname is not None:
        result = uname()
        return text(result[0]), text(result[4])
    import platform

    return text(platform.system()), text(platform.machine())


def mac_ver():
    """platform.mac_ver() with the real macOS version (release, machine the process runs as).

    Without SYSTEM_VERSION_COMPAT=0, Pythons built against old SDKs report 10.16 for every
    macOS 11+. The variable is restored afterwards: the probe may run inside the caller.
    """
    import platform

    previous = os.environ.get("SYSTEM_VERSION_COMPAT")
    os.environ["SYSTEM_VERSION_COMPAT"] = "0"
    try:
        release, _, machine = platform.mac_ver()
    finally:
        if previous is None:
            del os.environ["SYSTEM_VERSION_COMPAT"]
        else:
            os.environ["SYSTEM_VERSION_COMPAT"] = previous
    return text(release) or None, text(machine) or None


def os_facts(system):
    """(OS id, OS version, the machine macOS says the process runs as)."""
    if system == "Linux":
        os_id, os_version = os_release()
        return os_id, os_version, None
    if system == "Darwin":
        release, machine = mac_ver()
        return "macos", release, machine
    import platform

    if system == "Windows":
        return "windows", text(platform.version()) or None, None
    return text(system.lower()) or None, text(platform.release()) or None, None


def json_string(value):
    """A JSON string literal, ASCII only (the json module would import re: too slow here)."""
    if not isinstance(value, type("")):
        value = value.decode("utf-8", "replace")
    out = ['"']
    for char in value:
        code = ord(char)
        if char == '"' or char == "\\":
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code > 0xFFFF:
            code -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 | (code >> 10), 0xDC00 | (code & 0x3FF)))
        else:
            out.append("\\u%04x" % code)
    out.append('"')
    return "".join(out)


def json_value(value):
    """Encode the few types the probe reports: None, bool, int, str and lists of them."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(json_value(item) for item in value) + "]"
    if isinstance(value, int) or type(value).__name__ == "long":
        return str(int(value))
    return json_string(value)


def json_object(mapping):
    # type: (dict[str, object]) -> str
    items = sorted(mapping.items())
    return "{" + ", ".join(json_string(k) + ": " + json_value(v) for k, v in items) + "}"


def base_executable():
    candidate = getattr(sys, "_base_executable", None) or sys.executable
    if not candidate:
        return None
    return text(os.path.realpath(candidate))


def site_prefix():
    """sys.prefix as site.py would set it: -S skips site, which is what detects a virtualenv."""
    executable = os.environ.get("__PYVENV_LAUNCHER__") or sys.executable
    if executable:
        executable_directory = os.path.dirname(os.path.abspath(executable))
        candidate = os.path.dirname(executable_directory)
        for directory in (executable_directory, candidate):
            if os.path.isfile(os.path.join(directory, "pyvenv.cfg")):
                return text(candidate)
    return text(sys.prefix)


def pip_version(prefix):
    """The version of the pip that ``python -I -m pip`` would import, read from its source.

    pip's rules for finding its cache directory changed between releases, so they depend on it.
    """
    try:
        import site

        directories = site.getsitepackages([prefix])
    except Exception:  # 2.7's takes no prefixes
        version = "python%d.%d" % sys.version_info[:2]
        directories = [
            os.path.join(prefix, "lib", version, "site-packages"),
            os.path.join(prefix, "Lib", "site-packages"),
        ]
    for directory in directories:
        try:
            handle = open(os.path.join(directory, "pip", "__init__.py"))
        except (IOError, OSError):
            continue
        try:
            for line in handle:
                if line.startswith("__version__"):
                    return text(line.split("=", 1)[1].strip().strip("\"'"))
        finally:
            handle.close()
        return None
    return None


def site_directories():
    """The existing directories a normal start outside a virtual environment reads installed
    distributions from: ``site.getsitepackages()`` of the base prefixes, then the user site.

    Computed by site's own functions, which read no ``.pth`` file and import nothing installed.
    The base prefixes, not ``sys.prefix``: run with ``-S`` inside a virtual environment, or
    in-process after site set ``sys.prefix`` to it, the answer is the same (prune reads a
    virtual environment's own directories without starting it).
    """
    prefixes = []
    for name in ("base_prefix", "base_exec_prefix"):
        value = getattr(sys, name, None) or getattr(sys, name.replace("base_", ""), None)
        if value and value not in prefixes:
            prefixes.append(value)
    found = []
    candidates = []
    try:
        import site

        try:
            candidates = list(site.getsitepackages(prefixes))
        except TypeError:  # Python 2.7's takes no prefixes (and has no base prefix)
            candidates = list(site.getsitepackages())
        candidates.append(site.getusersitepackages())
    except Exception:  # a virtualenv's own site.py on Python 2.7 lacks these
        pass
    for directory in candidates:
        directory = text(directory)
        if directory and directory not in found and os.path.isdir(directory):
            found.append(directory)
    return found


def collect():
    system, machine = system_and_machine()
    name, implementation_version = implementation_facts()
    libc_family, libc_version = libc_facts(system)
    os_id, os_version, mac_machine = os_facts(system)
    gil_disabled = config_var("Py_GIL_DISABLED")
    prefix = site_prefix()
    return {
        "probe_format": PROBE_FORMAT,
        "implementation_name": name,
        "implementation_version": implementation_version,
        "graalvm_version": graalvm_version(name),
        "version_info": version_tuple(sys.version_info),
        "sys_version": text(sys.version),
        "ext_suffix": text(config_var("EXT_SUFFIX") or config_var("SO")),
        "soabi": text(config_var("SOABI")),
        "abiflags": text(getattr(sys, "abiflags", None)),
        "py_gil_disabled": bool(gil_disabled) if gil_disabled is not None else None,
        "py_debug": bool(config_var("Py_DEBUG")) or hasattr(sys, "gettotalrefcount"),
        "with_pymalloc": config_var("WITH_PYMALLOC"),
        "max_unicode": sys.maxunicode,
        "pointer_bits": struct.calcsize("P") * 8,
        "machine": machine,
        "mac_machine": mac_machine,
        "system": system,
        "sysconfig_platform": text(sysconfig.get_platform()) if sysconfig else None,
        "libc_family": libc_family,
        "libc_version": libc_version,
        "os_id": os_id,
        "os_version": os_version,
        "executable": text(sys.executable),
        "base_executable": base_executable(),
        "prefix": prefix,
        "pip_version": pip_version(prefix),
        "base_prefix": text(getattr(sys, "base_prefix", sys.prefix)),
        "site_directories": site_directories(),
    }


def main():
    marker = sys.argv[1] if len(sys.argv) > 1 else "CPD-PROBE"
    payload = json_object(collect())
    sys.stdout.write("\n%s%s%s\n" % (marker, payload, marker))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
