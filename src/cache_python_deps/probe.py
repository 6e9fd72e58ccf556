"""Report facts about the interpreter running this file, as framed JSON on stdout.

This file is executed by the *target* interpreter with ``-E -s -S``, which may be anything from
CPython 2.7 to a 3.14 pre-release, PyPy or GraalPy. So it is stdlib-only, imports nothing from
this package, and uses no syntax newer than 2.7 (no f-strings, no annotations, no ``:=``).

Usage: ``python -E -s -S probe.py MARKER``. The JSON object is printed on one line between two
copies of MARKER, so anything else the interpreter prints cannot be mistaken for it.

It is on the hot path of every run, so it imports as little as it can: no ``json`` and no
``platform`` on Linux (both pull in ``re`` and friends, which would double its start-up time).
"""

import errno
import os
import stat
import struct
import sys

try:
    import sysconfig
except ImportError:  # pragma: no cover - every supported interpreter has it
    sysconfig = None  # type: ignore[assignment]

PROBE_FORMAT = 3


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


# -- where ``python -m pip`` imports pip from ------------------------------------------------
# site.py builds sys.path at start-up: the virtualenv's site-packages, the user site, then the
# base interpreter's (each directory followed by the path lines of its .pth files). The probe
# runs with -S, so it asks the target's own site module for those directories (a distribution's
# patched getsitepackages included) and looks for pip in each, in that order. It reads only
# pyvenv.cfg, .pth files and pip/__init__.py there: bounded regular files outside /proc, /sys and
# /dev, opened non-blocking; it never imports or runs anything from them.

# A pyvenv.cfg, a .pth file, pip/__init__.py: real ones are at most a few KiB.
MAX_READ_BYTES = 64 * 1024
# A site-packages directory with more entries, or with more .pth files, is not listed.
MAX_DIRECTORY_ENTRIES = 100000
MAX_PTH_FILES = 256
# The search stops (answering "unknown") past this many directories: a bounded answer.
MAX_SEARCHED_DIRECTORIES = 32
MAX_VERSION_LENGTH = 64
PSEUDO_FILESYSTEMS = ("/proc", "/sys", "/dev")
VERSION_CHARACTERS = frozenset(
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+!_-"
)
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)
_MISSING = (errno.ENOENT, errno.ENOTDIR)


def in_pseudo_filesystem(path):
    if os.name != "posix":
        return False
    real = os.path.realpath(path)
    return any(real == top or real.startswith(top + "/") for top in PSEUDO_FILESYSTEMS)


def read_bounded(path):
    """(content, refused): the bytes of a regular file of at most MAX_READ_BYTES, else None.

    ``refused`` is False when nothing is there, True when something is that was not read (not a
    regular file, too large, in a pseudo file system, unreadable, changed while opened).
    """
    try:
        before = os.stat(path)
    except OSError as error:
        return None, error.errno not in _MISSING
    except (ValueError, TypeError):  # a NUL in the path (TypeError on Python 2.7)
        return None, True
    if not stat.S_ISREG(before.st_mode) or before.st_size > MAX_READ_BYTES:
        return None, True
    if in_pseudo_filesystem(path):
        return None, True
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None, True
    try:
        opened = os.fstat(descriptor)
        same = (opened.st_dev, opened.st_ino) == (before.st_dev, before.st_ino)
        if not stat.S_ISREG(opened.st_mode) or not same:
            return None, True
        chunks = []
        size = 0
        while size <= MAX_READ_BYTES:
            chunk = os.read(descriptor, MAX_READ_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_READ_BYTES:
            return None, True
        return b"".join(chunks), False
    except OSError:
        return None, True
    finally:
        os.close(descriptor)


def venv_config_path():
    """The pyvenv.cfg site.py reads (beside the executable, else one level up), or None."""
    executable = os.environ.get("__PYVENV_LAUNCHER__") or sys.executable
    if not executable:
        return None
    executable_directory = os.path.dirname(os.path.abspath(executable))
    for directory in (executable_directory, os.path.dirname(executable_directory)):
        candidate = os.path.join(directory, "pyvenv.cfg")
        if os.path.isfile(candidate):
            return candidate
    return None


def site_prefix():
    """sys.prefix as site.py would set it: -S skips site, which is what detects a virtualenv."""
    if venv_config_path() is not None:
        executable = os.environ.get("__PYVENV_LAUNCHER__") or sys.executable
        return text(os.path.dirname(os.path.dirname(os.path.abspath(executable))))
    return text(sys.prefix)


def includes_system_site_packages(path):
    """pyvenv.cfg's include-system-site-packages as site.py reads it (default true); None when
    the file cannot be read as site.py would read it."""
    content, _ = read_bounded(path)
    if content is None:
        return None
    try:
        lines = content.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None
    value = "true"
    for line in lines:
        if "=" in line:
            key, _, rest = line.partition("=")
            if key.strip().lower() == "include-system-site-packages":
                value = rest.strip().lower()
    return value == "true"


def pip_version_line(content):
    """pip's ``__version__`` from its __init__.py, or None."""
    for line in content.splitlines():
        if line.startswith(b"__version__"):
            value = text(line.partition(b"=")[2].strip().strip(b"\"'"))
            if 0 < len(value) <= MAX_VERSION_LENGTH and set(value) <= VERSION_CHARACTERS:
                return value
            return None
    return None


def pip_in(directory):
    """(state, version) of the pip package in a sys.path directory: found, absent or unknown."""
    package = os.path.join(directory, "pip")
    content, refused = read_bounded(os.path.join(package, "__init__.py"))
    if content is not None:
        return "found", pip_version_line(content)
    if refused or os.path.isdir(package):
        # Something Python may import as pip (a namespace portion, a package without source)
        # that cannot be read as a file: not a certain "no".
        return "unknown", None
    return "absent", None


def hidden(path):
    """Whether a .pth file has the hidden flag (macOS) or attribute (Windows): skipped, as by
    the Pythons released since January 2024 (gh-113659; those before read it)."""
    try:
        status = os.lstat(path)
    except OSError:
        return False
    flags = getattr(status, "st_flags", 0) & getattr(stat, "UF_HIDDEN", 0x8000)
    attributes = getattr(status, "st_file_attributes", 0) & 2  # FILE_ATTRIBUTE_HIDDEN
    return bool(flags or attributes)


def pth_names(directory):
    """The .pth files site.py reads in ``directory``, in its order; None past the bounds.

    Names starting with a dot are skipped, as by the Pythons released since January 2024.
    """
    names = []
    count = 0
    try:
        if hasattr(os, "scandir"):
            iterator = os.scandir(directory)
            try:
                for entry in iterator:
                    count += 1
                    if count > MAX_DIRECTORY_ENTRIES:
                        return None
                    names.append(entry.name)
            finally:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()
        else:  # Python 2.7
            names = os.listdir(directory)
            if len(names) > MAX_DIRECTORY_ENTRIES:
                return None
    except OSError:
        return []  # site.py skips a directory it cannot list
    names = sorted(name for name in names if name.endswith(".pth") and not name.startswith("."))
    return names if len(names) <= MAX_PTH_FILES else None


def pth_directories(directory):
    """The paths the path lines of ``directory``'s .pth files add, in site.py's order.

    Lines starting with ``import`` are code, never run here (nor any sitecustomize): they are
    taken to add nothing. None when a .pth file cannot be read whole (nothing certain then).
    """
    names = pth_names(directory)
    if names is None:
        return None
    added = []
    for name in names:
        if hidden(os.path.join(directory, name)):
            continue
        content, refused = read_bounded(os.path.join(directory, name))
        if content is None:
            if refused:
                return None
            continue
        try:
            lines = content.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            return None
        for line in lines:
            if line.startswith("#") or not line.strip():
                continue
            if line.startswith("import ") or line.startswith("import\t"):
                continue
            added.append(os.path.join(directory, line.rstrip()))
    return added


def site_directories(prefixes, venv_prefix):
    """The target's own ``site.getsitepackages(prefixes)``, as site.main() calls it.

    In a virtualenv site.py has set sys.prefix first, and Debian's patched function lists the
    virtualenv's site-packages only then: sys.prefix is set as site.py sets it for the call.
    """
    previous = sys.prefix
    try:
        import site

        if venv_prefix is not None:
            sys.prefix = venv_prefix
        try:
            return list(site.getsitepackages(prefixes))
        except TypeError:  # Python 2.7's takes no argument: it reads site.PREFIXES
            saved = site.PREFIXES
            site.PREFIXES = list(prefixes)
            try:
                return list(site.getsitepackages())
            finally:
                site.PREFIXES = saved
    except Exception:
        version = "python%d.%d" % sys.version_info[:2]
        if os.name == "nt":
            return [
                path
                for prefix in prefixes
                for path in (prefix, os.path.join(prefix, "Lib", "site-packages"))
            ]
        return [os.path.join(prefix, "lib", version, "site-packages") for prefix in prefixes]
    finally:
        sys.prefix = previous


def user_site_directory():
    """The user site directory as the target's site.py computes it (None: it has none)."""
    try:
        import site

        return site.getusersitepackages() or None
    except Exception:
        return None


class PipSearch(object):
    """The sys.path directories ``python -m pip`` searches, with what each holds."""

    def __init__(self):
        self.entries = []
        self.seen = set()

    def full(self):
        return len(self.entries) >= MAX_SEARCHED_DIRECTORIES

    def add(self, group, directory, state, version=None):
        self.entries.append([group, text(directory), state, version])
        return state != "absent"

    def path_entry(self, group, path):
        """Look in one sys.path entry; True when the search of ``group`` ends there."""
        key = os.path.normcase(os.path.abspath(path))
        if key in self.seen:
            return False
        self.seen.add(key)
        if self.full():
            return self.add(group, path, "unknown")
        if os.path.isdir(path):
            return self.add(group, path, *pip_in(path))
        # A zip on sys.path (an egg): pip may be inside when its name says so.
        named_pip = os.path.basename(path).lower().startswith("pip")
        return self.add(group, path, "unknown" if named_pip else "absent")

    def site_directory(self, group, directory):
        """site.addsitedir: the directory, then its .pth path lines; True when pip was decided."""
        try:
            if not os.path.isdir(directory):
                return False
        except (ValueError, TypeError):  # a NUL in the path
            return False
        if os.path.normcase(os.path.abspath(directory)) in self.seen:
            return False  # its .pth files were read where it came first
        if self.path_entry(group, directory):
            return True
        added = pth_directories(directory)
        if added is None:
            return self.add(group, directory, "unknown")
        for path in added:
            try:
                exists = os.path.exists(path)
            except (ValueError, TypeError):  # a NUL in the line: site.py skips it
                continue
            if exists and self.path_entry(group, path):
                return True
        return False

    def group(self, group, directories):
        for directory in directories:
            if self.site_directory(group, directory):
                return True
        return False


def pip_search(prefix):
    """Where ``python -m pip`` would look for pip, in sys.path order, up to the first pip.

    Each entry is [group, directory, state, version]: group venv, user or base; state found
    (version read from pip/__init__.py, or None), absent, or unknown (something there cannot be
    read). The user group is listed whenever the interpreter's own configuration enables the
    user site: whether the job's environment disables it is for the caller to decide, so the
    base group is searched on past a pip in the user site.
    """
    search = PipSearch()
    base_prefixes = [
        text(getattr(sys, "base_prefix", sys.prefix)),
        text(getattr(sys, "base_exec_prefix", sys.exec_prefix)),
    ]
    config = venv_config_path()
    venv_prefix = prefix if config is not None else None
    if venv_prefix is not None:
        if search.group("venv", site_directories([venv_prefix], venv_prefix)):
            return search.entries
        include_system = includes_system_site_packages(config)
        if include_system is None:
            search.add("venv", config, "unknown")
            return search.entries
        if not include_system:
            return search.entries
    user_site = user_site_directory()
    if user_site is not None:
        search.group("user", [user_site])
    search.group("base", site_directories(base_prefixes, venv_prefix))
    return search.entries


def base_site_directories():
    """The existing directories a normal start outside a virtual environment reads installed
    distributions from: the target's own ``site.getsitepackages()`` of the base prefixes, then
    the user site (prune reads which versions are installed there).

    Computed by site's own functions, which read no ``.pth`` file and import nothing installed.
    The base prefixes, not ``sys.prefix``: run with ``-S`` inside a virtual environment, or
    in-process after site set ``sys.prefix`` to it, the answer is the same (prune reads a
    virtual environment's own directories without starting it).
    """
    prefixes = []
    for name in ("base_prefix", "base_exec_prefix"):
        value = getattr(sys, name, None) or getattr(sys, name.replace("base_", ""), None)
        if value and text(value) not in prefixes:
            prefixes.append(text(value))
    found = []
    for directory in site_directories(prefixes, None) + [user_site_directory()]:
        directory = text(directory) if directory else None
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
        "pip_search": pip_search(prefix),
        "base_prefix": text(getattr(sys, "base_prefix", sys.prefix)),
        "site_directories": base_site_directories(),
    }


def main():
    marker = sys.argv[1] if len(sys.argv) > 1 else "CPD-PROBE"
    payload = json_object(collect())
    sys.stdout.write("\n%s%s%s\n" % (marker, payload, marker))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
