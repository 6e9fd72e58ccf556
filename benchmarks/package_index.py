"""A local package index for the benchmarks: files downloaded once from the registry, then served.

:func:`build_index` runs ``pip download --no-deps`` (the target interpreter's pip, with this
machine's ordinary pip configuration) for every pin of
:func:`benchmarks.warm_job_project.download_layers`, the sdists of the distributions forced from
source too, into ``<root>/files``; a manifest of what each pin resolved to makes the next run
download nothing. It checks that each distribution said to ship only sdists resolved to an sdist.

:class:`IndexServer` serves ``<root>`` on 127.0.0.1 as a PEP 503 simple index (``/simple/``,
``/simple/<project>/``, links to ``/files/<file>#sha256=...``) with the cache headers PyPI sends
for files (immutable, kept for ever), and its pages as already stale (PyPI allows them 10
minutes, and an entry restored in a later job is older than that: the installers revalidate
them), so that pip, uv and poetry fill and use their HTTP caches as they do against the real
registry. Optional latency and bandwidth limits make downloads cost what they cost on a runner;
by default the index answers at loopback speed.
"""

from __future__ import annotations

import functools
import hashlib
import html
import http.server
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from benchmarks.warm_job_project import FORCED_FROM_SOURCE, SDIST_ONLY, Pin, normalize

MANIFEST = "manifest.json"
_SDIST_SUFFIXES = (".tar.gz", ".zip")


class IndexBuildError(RuntimeError):
    """The index could not be built (a download failed, a pin resolved to the wrong kind)."""


def distribution_of(filename: str) -> Pin:
    """The normalized project name and version a wheel or sdist file name carries."""
    if filename.endswith(".whl"):
        name, version = filename[: -len(".whl")].split("-")[:2]
        return Pin(normalize(name), version)
    for suffix in _SDIST_SUFFIXES:
        if filename.endswith(suffix):
            name, _, version = filename[: -len(suffix)].rpartition("-")
            if name:
                return Pin(normalize(name), version)
    raise IndexBuildError(f"not a distribution file name: {filename!r}")


def is_sdist(filename: str) -> bool:
    return filename.endswith(_SDIST_SUFFIXES)


def _manifest(root: Path) -> dict[str, list[str]]:
    try:
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(key): [str(name) for name in value] for key, value in data.items()}


def _request_key(pin: Pin, *, sdist: bool) -> str:
    return f"{pin} (sdist)" if sdist else str(pin)


def build_index(
    root: Path, layers: Sequence[Sequence[Pin]], *, python: Path, log: Any = print
) -> list[str]:
    """Download what ``layers`` pin into ``root/files`` (once); return the files served.

    The pages list only the files of these pins: a file an older pin list downloaded stays in
    the folder but is not served."""
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(root)
    for layer in layers:
        for pins, sdist in ((list(layer), False), (_forced(layer), True)):
            missing = [pin for pin in pins if not _downloaded(manifest, files, pin, sdist=sdist)]
            if not missing:
                continue
            log(f"downloading {len(missing)} distribution(s): {' '.join(map(str, missing))}")
            got = _pip_download(missing, files, python=python, sdist=sdist)
            for pin in missing:
                matching = [name for name in got if distribution_of(name) == _normalized(pin)]
                if not matching:
                    raise IndexBuildError(f"pip download brought no file for {pin}")
                manifest[_request_key(pin, sdist=sdist)] = matching
            (root / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), "utf-8")
    _check_kinds(manifest)
    served = sorted(
        {
            name
            for layer in layers
            for pin in layer
            for sdist in (False, True)
            for name in manifest.get(_request_key(pin, sdist=sdist), [])
        }
    )
    write_simple_pages(root, served)
    return served


def _downloaded(manifest: dict[str, list[str]], files: Path, pin: Pin, *, sdist: bool) -> bool:
    names = manifest.get(_request_key(pin, sdist=sdist))
    return bool(names) and all((files / name).is_file() for name in names or ())


def _forced(layer: Iterable[Pin]) -> list[Pin]:
    return [pin for pin in layer if pin.name in FORCED_FROM_SOURCE]


def _normalized(pin: Pin) -> Pin:
    return Pin(normalize(pin.name), pin.version)


def _pip_download(pins: Sequence[Pin], dest: Path, *, python: Path, sdist: bool) -> list[str]:
    """Run pip download into a fresh folder, move the files into ``dest``; their names."""
    scratch = dest.parent / "download.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    command = [str(python), "-m", "pip", "download", "--no-deps", "--dest", str(scratch)]
    if sdist:
        command += ["--no-binary", ":all:"]
    command += [str(pin) for pin in pins]
    completed = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise IndexBuildError(
            f"{' '.join(command)} failed:\n{completed.stdout}\n{completed.stderr}"
        )
    names = sorted(path.name for path in scratch.iterdir())
    for name in names:
        (scratch / name).replace(dest / name)
    scratch.rmdir()
    return names


def _check_kinds(manifest: dict[str, list[str]]) -> None:
    """Each sdist-only pin resolved to sdists, and each forced one has an sdist too."""
    for key, names in manifest.items():
        name = key.split("==", 1)[0]
        if name in SDIST_ONLY and not all(is_sdist(file) for file in names):
            raise IndexBuildError(f"{key} is said to ship only sdists, but pip found {names}")
        if key.endswith("(sdist)") and not all(is_sdist(file) for file in names):
            raise IndexBuildError(f"{key}: pip download --no-binary brought {names}")


def write_simple_pages(root: Path, names: Iterable[str]) -> None:
    """``root/simple/`` for the files ``names`` of ``root/files``: PEP 503 pages with sha256
    fragments."""
    projects: dict[str, list[Path]] = {}
    for path in sorted(root / "files" / name for name in names):
        projects.setdefault(distribution_of(path.name).name, []).append(path)
    simple = root / "simple"
    shutil.rmtree(simple, ignore_errors=True)
    simple.mkdir()
    links = "".join(f'<a href="{name}/">{name}</a>\n' for name in sorted(projects))
    (simple / "index.html").write_text(_page("Simple index", links), encoding="utf-8")
    for name, paths in projects.items():
        anchors = "".join(
            f'<a href="../../files/{html.escape(path.name)}#sha256={_sha256(path)}">'
            f"{html.escape(path.name)}</a>\n"
            for path in paths
        )
        (simple / name).mkdir()
        (simple / name / "index.html").write_text(_page(name, anchors), encoding="utf-8")


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html><head>"
        '<meta name="pypi:repository-version" content="1.0">'
        f"<title>{html.escape(title)}</title></head><body>\n{body}</body></html>\n"
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(functools.partial(handle.read, 1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with PyPI's cache headers, optional latency and bandwidth; counts bytes."""

    server_state: _ServerState

    def end_headers(self) -> None:
        if self.path.startswith("/files/"):
            self.send_header("Cache-Control", "max-age=365000000, immutable, public")
        else:
            # PyPI allows 10 minutes; an entry restored in a later job is older than that, so
            # the pages it holds are stale: the installers revalidate them (If-Modified-Since).
            self.send_header("Cache-Control", "max-age=0, public")
        super().end_headers()

    def send_head(self) -> Any:
        if self.server_state.latency > 0:
            time.sleep(self.server_state.latency)
        return super().send_head()

    def copyfile(self, source: BinaryIO, outputfile: BinaryIO) -> None:  # type: ignore[override]
        # Counted before they are written: a client that has the bytes sees them counted.
        self.server_state.count_request()
        rate = self.server_state.bytes_per_second
        started = time.monotonic()
        sent = 0
        while data := source.read(64 * 1024):
            self.server_state.count_bytes(len(data))
            try:
                outputfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client took what it needed (uv reads a wheel's metadata by ranges)
            sent += len(data)
            if rate > 0:
                ahead = sent / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class _ServerState:
    latency: float
    bytes_per_second: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    bytes_sent: int = 0

    def count_request(self) -> None:
        with self.lock:
            self.requests += 1

    def count_bytes(self, sent: int) -> None:
        with self.lock:
            self.bytes_sent += sent

    def take(self) -> tuple[int, int]:
        """(requests, bytes) served since the last call."""
        with self.lock:
            taken = (self.requests, self.bytes_sent)
            self.requests = self.bytes_sent = 0
        return taken


@dataclass
class IndexServer:
    """Serves an index folder on 127.0.0.1 from a thread of this process."""

    root: Path
    port: int = 0
    latency_ms: float = 0.0
    megabytes_per_second: float = 0.0
    _server: http.server.ThreadingHTTPServer | None = None
    _state: _ServerState | None = None

    def start(self) -> IndexServer:
        self._state = _ServerState(self.latency_ms / 1000, self.megabytes_per_second * 1e6)
        handler = type("Handler", (_Handler,), {"server_state": self._state})
        bound = functools.partial(handler, directory=str(self.root))
        try:
            self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), bound)
        except OSError:  # the port is taken: any free one
            self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), bound)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        """The simple index's URL, with the trailing slash the tools write into lock files."""
        if self._server is None:
            raise RuntimeError("the index is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/simple/"

    def take_traffic(self) -> tuple[int, int]:
        """(requests, bytes) served since the last call."""
        if self._state is None:
            return (0, 0)
        return self._state.take()
