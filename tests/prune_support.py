"""Helpers for the prune tests: trees on disk, listings, running prune as another user, and
distributions (sdists with an in-tree build backend, wheels) served by a local package index."""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import io
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
# The user an unprivileged prune runs as when the tests run as root (root ignores modes).
NOBODY = 65534


def make_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Create files (``name/`` alone makes an empty directory) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return root


def listing(root: Path) -> set[str]:
    """Every entry below ``root`` (symlinks not followed), relative, ``/``-separated."""
    found = set()
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            found.add((Path(directory) / name).relative_to(root).as_posix())
    return found


def snapshot(root: Path) -> dict[str, tuple[int, bytes | str | None]]:
    """Mode and content (file bytes, link target) of every entry below ``root`` and of root."""
    state: dict[str, tuple[int, bytes | str | None]] = {}
    for name in [".", *sorted(listing(root))]:
        path = root / name
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            content: bytes | str | None = str(path.readlink())
        elif stat.S_ISREG(info.st_mode):
            content = path.read_bytes()
        else:
            content = None
        state[name] = (info.st_mode, content)
    return state


def is_root() -> bool:
    """Whether this process runs as root (mode bits do not stop it)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


@contextmanager
def shared_directory() -> Iterator[Path]:
    """A fresh directory that another user can reach (pytest's tmp_path is private to root)."""
    directory = Path(tempfile.mkdtemp(prefix="cpd-prune-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        for path in [directory, *directory.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(directory)


def give_to_unprivileged_user(*paths: Path) -> None:
    """Hand the trees to the user ``run_unprivileged`` runs as (a no-op unless root)."""
    if not is_root():
        return
    for top in paths:
        for path in [top, *top.rglob("*")]:
            os.chown(path, NOBODY, NOBODY, follow_symlinks=False)


def _unprivileged_python() -> str:
    """A Python that the unprivileged user can start (the test's own may live in root's home)."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"):
        check = (
            subprocess.run(
                [candidate, "-c", "import sys; assert sys.version_info >= (3, 10)"],
                user=NOBODY,
                group=NOBODY,
                extra_groups=[],
                capture_output=True,
                check=False,
            )
            if Path(candidate).exists()
            else None
        )
        if check is not None and check.returncode == 0:
            return candidate
    pytest.skip("no Python 3.10+ that an unprivileged user can start")


def run_unprivileged(
    code: str,
    *arguments: str,
    environ: Mapping[str, str] | None = None,
    extra_path: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with this repository's ``src`` importable, as a user that modes apply to.

    As root it runs as ``nobody`` with a system Python; otherwise as the current user.
    """
    prelude = f"import sys; sys.path[:0] = {[str(SRC), *extra_path]!r}\n"
    environ = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **(environ or {})}
    if is_root():
        return subprocess.run(
            [_unprivileged_python(), "-E", "-s", "-c", prelude + code, *arguments],
            env=environ,
            user=NOBODY,
            group=NOBODY,
            extra_groups=[],
            cwd="/",
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    return subprocess.run(
        [sys.executable, "-E", "-s", "-c", prelude + code, *arguments],
        env=environ,
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


# -- distributions and a package index ----------------------------------------------------------
# An sdist built here carries an in-tree build backend (PEP 517 ``backend-path``), so building it
# needs nothing from outside; with ``NO_BUILD`` set in the environment the backend refuses to
# build, which tells a wheel taken from the cache from one built again.

NO_BUILD = "CPD_TEST_NO_BUILD"

_BACKEND = """
import base64, hashlib, os, zipfile

def _fields():
    fields = {}
    with open("PKG-INFO") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    return fields["Name"], fields["Version"]

def _line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (name, digest, len(data))

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    if os.environ.get("CPD_TEST_NO_BUILD"):
        raise RuntimeError("building is off (CPD_TEST_NO_BUILD)")
    name, version = _fields()
    dist_info = "%s-%s.dist-info" % (name, version)
    files = {
        name + ".py": ("VERSION = %r\\n" % version).encode(),
        dist_info + "/METADATA": (
            "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (name, version)
        ).encode(),
        dist_info + "/WHEEL": (
            b"Wheel-Version: 1.0\\nGenerator: cpd-test\\n"
            b"Root-Is-Purelib: true\\nTag: py3-none-any\\n"
        ),
    }
    filename = "%s-%s-py3-none-any.whl" % (name, version)
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as archive:
        lines = []
        for member, data in files.items():
            archive.writestr(member, data)
            lines.append(_line(member, data))
        lines.append(dist_info + "/RECORD,,")
        archive.writestr(dist_info + "/RECORD", "\\n".join(lines) + "\\n")
    return filename

def get_requires_for_build_wheel(config_settings=None):
    return []
"""


def sdist(name: str, version: str) -> bytes:
    """A source distribution of ``name`` (one module, ``<name>.py``) at ``version``."""
    members = {
        "pyproject.toml": (
            '[build-system]\nrequires = []\nbuild-backend = "cpd_backend"\nbackend-path = ["."]\n'
            f'\n[project]\nname = "{name}"\nversion = "{version}"\n'
        ),
        "cpd_backend.py": _BACKEND,
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for member, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{version}/{member}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def wheel(name: str, version: str) -> bytes:
    """A pure wheel of ``name`` at ``version`` (one module, ``<name>.py``), as indexes serve."""
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": f"VERSION = {version!r}\n".encode(),
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
        ),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        record = []
        for member, data in files.items():
            archive.writestr(member, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{member},sha256={digest.decode()},{len(data)}")
        record.append(f"{dist_info}/RECORD,,")
        archive.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return buffer.getvalue()


class _IndexHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; distributions marked cacheable for a year, as PyPI does."""

    def end_headers(self) -> None:
        if self.path.startswith("/files/"):
            self.send_header("Cache-Control", "max-age=31536000, public")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass(frozen=True)
class LocalIndex:
    """A simple (PEP 503) index on 127.0.0.1 whose distributions can be taken away."""

    url: str
    host: str
    files: Path

    def withdraw_distributions(self) -> None:
        """Serve the index pages but no distribution any more (404)."""
        self.files.rename(self.files.with_name("withdrawn"))


@contextmanager
def serve_index(
    root: Path, distributions: Iterable[tuple[str, str, bytes]]
) -> Iterator[LocalIndex]:
    """Serve ``(project, file name, content)`` distributions as a simple index under ``root``."""
    files = root / "files"
    files.mkdir(parents=True)
    pages: dict[str, list[str]] = {}
    for project, filename, data in distributions:
        (files / filename).write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        link = f'<a href="../../files/{filename}#sha256={digest}">{filename}</a>'
        pages.setdefault(project, []).append(link)
    for project, links in pages.items():
        page = root / "simple" / project / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text("\n".join(links) + "\n")
    handler = functools.partial(_IndexHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host = f"127.0.0.1:{server.server_address[1]}"
    try:
        yield LocalIndex(url=f"http://{host}/simple", host=host, files=files)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
