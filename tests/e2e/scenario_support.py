"""Support for the action's end-to-end scenarios (``test_action_*.py``).

* :class:`LocalIndex`: a package index on 127.0.0.1 serving one small wheel (``e2e-sample``,
  built here), with the cache headers PyPI sends, so that a real ``pip download`` fills pip's
  HTTP cache. It records every request: a wheel served from a restored cache is never fetched.
* :func:`new_session`: an :class:`ActSession` whose runs use the project's ``action.yml``
  (mapped as ``re-actors/cache-python-deps@release/v1``) with ``actions/cache`` at the commit
  ``action.yml`` pins served by the local stand-in, and whose jobs keep HOME, pip's cache and
  config inside temporary folders.
* :func:`pip_run`: one job of ``action-pip.yml``; :func:`make_seed` runs a first one whose
  cache server later tests start from (:meth:`Seed.new_session`), so it runs once per module.
* Cache contents are checked on the server's side too: :func:`stored_keys`,
  :func:`entry_members`, :func:`entry_record`.
* What the action said: :func:`workflow_annotations` (with titles), :func:`record_summary`
  (the job summary's section its record step wrote, with :func:`status_line`,
  :func:`table_rows`, :func:`summary_notes`, :func:`stale_part` to read it),
  :func:`cache_steps_run` (which of its inner cache steps ran).
* GitHub's REST API over act's cache server: :func:`api_entries` lists act's entries as the
  API would, :func:`delete_in_act` deletes an entry the API deleted from act's server too, and
  :func:`damage_entry` truncates an entry's archive in the server's folder.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import json
import os
import platform
import re
import shutil
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.act_harness import (
    REPO_ROOT,
    WORKFLOWS_DIR,
    ActRun,
    ActSession,
    CacheEntry,
    ensure_cache_standin_installed,
    missing_tools,
)
from tests.github_api_server import cache_entry
from tests.markdown_check import summary_problems

ACTION_REFERENCE = "re-actors/cache-python-deps@release/v1"
PIP_WORKFLOW = "action-pip.yml"
VENV_WORKFLOW = "action-venv.yml"
ORIGINAL_USAGE_WORKFLOW = "action-original-usage.yml"
CPD_STEP = "cpd"  # the id of the action's step in every action-*.yml workflow
MARKER = "e2e-marker.txt"  # what the workflows write into the cache directory after a miss
#: The provenance record the action keeps in the cached directory (src/.../provenance.py).
RECORD_FILE = ".cache-python-deps.json"
#: What the workflows copy the record into ($E2E_ARTIFACTS_DIR) after the action's steps.
RECORD_ARTIFACT = "record.json"
#: Names of the action's inner steps (action.yml), as act logs them.
KEYS_STEP_NAME = "Compute ABI-exact cache keys"
RESTORE_AND_SAVE_STEP_NAME = "Restore the cache (saved at the end of the job)"
RESTORE_ONLY_STEP_NAME = "Restore the cache (never saved)"
RECORD_STEP_NAME = "Check what was restored"

SAMPLE_PROJECT = "e2e-sample"
SAMPLE_VERSION = "1.0"
SAMPLE_WHEEL = f"e2e_sample-{SAMPLE_VERSION}-py3-none-any.whl"
SAMPLE_MODULE_VALUE = "e2e-sample 1.0 from the local index"

#: The outputs action.yml declares (act also exposes undeclared inner outputs: ignore those).
DECLARED_OUTPUTS = (
    "cache-directory-path",
    "cache-key-for-os",
    "cache-key-for-python-interpreter",
    "cache-key-for-dependencies",
    "restore-keys",
    "is-stable-abi",
    "cache-enabled",
    "skip-reason",
    "abi-tag",
    "tool",
    "cache-hit",
    "cache-matched-key",
)
#: The outputs of the original re-actors/cache-python-deps@release/v1.
ORIGINAL_OUTPUTS = (
    "cache-directory-path",
    "cache-key-for-os",
    "cache-key-for-dependencies",
    "cache-key-for-python-interpreter",
    "is-stable-abi",
)

_CACHE_ACTION_PIN = re.compile(r"uses:\s*actions/cache(?:/[\w-]+)?@([0-9a-f]{40})\b")


def action_tree_override() -> Path | None:
    """``$E2E_ACTION_TREE``: a folder to run as the action instead of the working tree.

    For checking that the scenarios catch a broken action (a modified copy, e.g. made with
    :func:`tests.e2e.act_harness.snapshot_tree`), or for running them against a release.
    """
    value = os.environ.get("E2E_ACTION_TREE", "")
    return Path(value) if value else None


def pinned_cache_actions(action_file: Path | None = None) -> tuple[str, ...]:
    """``actions/cache@<sha>`` for every commit action.yml pins (its restore/ subaction too).

    The harness serves ``actions/cache/restore@<sha>`` from the mapping of
    ``actions/cache@<sha>``, so one reference per commit is enough.
    """
    if action_file is None:
        action_file = (action_tree_override() or REPO_ROOT) / "action.yml"
    shas = sorted(set(_CACHE_ACTION_PIN.findall(action_file.read_text(encoding="utf-8"))))
    if not shas:
        raise AssertionError(f"{action_file} pins no actions/cache commit")
    return tuple(f"actions/cache@{sha}" for sha in shas)


def require_e2e_tools() -> None:
    """Skip (fail under CI) without act, node, npm, git, tar or zstd; install the stand-in."""
    missing = missing_tools()
    if missing:
        message = "end-to-end tests need: " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    ensure_cache_standin_installed()


# --------------------------------------------------------------------------------------------
# A local package index


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def build_sample_wheel(dest: Path) -> Path:
    """A valid pure-Python wheel of ``e2e-sample`` 1.0 (one module, ``e2e_sample``)."""
    dist_info = f"e2e_sample-{SAMPLE_VERSION}.dist-info"
    members = {
        "e2e_sample.py": f"VALUE = {SAMPLE_MODULE_VALUE!r}\n".encode(),
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {SAMPLE_PROJECT}\nVersion: {SAMPLE_VERSION}\n"
        ).encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: cache-python-deps-e2e\n"
            b"Root-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in members.items())
    members[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / SAMPLE_WHEEL
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return wheel


class _IndexHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; every request path goes into ``requests``."""

    requests: list[str]
    cache_headers: bool

    def end_headers(self) -> None:
        if self.cache_headers:
            # pip caches only what the server allows, and only for trusted (or HTTPS) hosts.
            self.send_header("Cache-Control", "max-age=31536000, immutable")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        self.requests.append(f"{self.command} {self.path}")


@dataclass
class LocalIndex:
    """A PEP 503 index on 127.0.0.1 (a thread of this process) with one file of one project.

    By default it serves the sample wheel with PyPI's cache headers; ``project`` and ``build``
    (which writes the distribution into the folder it is given) serve something else.
    """

    root: Path
    project: str = SAMPLE_PROJECT
    build: Callable[[Path], Path] = build_sample_wheel
    cache_headers: bool = True
    requests: list[str] = field(default_factory=list)
    _server: http.server.ThreadingHTTPServer | None = None

    def start(self) -> LocalIndex:
        distribution = self.build(self.root / "files")
        digest = hashlib.sha256(distribution.read_bytes()).hexdigest()
        page = self.root / "simple" / self.project / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            "<!DOCTYPE html><html><body>"
            f'<a href="../../files/{distribution.name}#sha256={digest}">{distribution.name}</a>'
            "</body></html>\n",
            encoding="utf-8",
        )
        handler = type(
            "Handler",
            (_IndexHandler,),
            {"requests": self.requests, "cache_headers": self.cache_headers},
        )
        self._server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(self.root))
        )
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the index is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/simple"

    def take_requests(self) -> list[str]:
        """The requests served since the last call."""
        taken = list(self.requests)
        self.requests.clear()
        return taken

    def wheel_downloads(self) -> int:
        """How many times the wheel itself was fetched so far."""
        return sum(1 for line in self.requests if line == f"GET /files/{SAMPLE_WHEEL}")


def serve_local_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    """The body of a module-scoped fixture: one index (one URL) for every run of a module.

    pip's HTTP cache is keyed on the URL, port included: runs sharing a cache share the index.
    """
    index = LocalIndex(tmp_path_factory.mktemp("index")).start()
    try:
        yield index
    finally:
        index.stop()


# --------------------------------------------------------------------------------------------
# Sessions and runs


def job_environment(home: Path, pip_cache: Path) -> dict[str, str]:
    """Keep every job's HOME, pip cache and pip configuration inside the test's folders."""
    return {
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "PIP_CACHE_DIR": str(pip_cache),
        "PIP_CONFIG_FILE": os.devnull,  # no /etc/pip.conf or user file: only what is set here
        "PIP_FIND_LINKS": "",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        "PIP_NO_PYTHON_VERSION_WARNING": "1",
    }


def new_session(
    base: Path,
    *,
    home: Path,
    pip_cache: Path,
    workflows: tuple[str, ...] = (PIP_WORKFLOW,),
    seed_cache_server: Path | None = None,
) -> ActSession:
    """A session running the working tree's action; optionally a copy of a seeded cache server.

    The copy keeps every entry's "version" valid only when ``pip_cache`` (the cached path
    string) is the one the seeding session used, and the workspace depth is the same (keep
    ``base`` at the same depth, e.g. ``tmp_path / "act"`` for every test).
    """
    if seed_cache_server is not None:
        shutil.copytree(seed_cache_server, base / "cache-server")
    home.mkdir(parents=True, exist_ok=True)
    session = ActSession(base, env=job_environment(home, pip_cache))
    action_tree = action_tree_override()
    if action_tree is None:
        # What a runner downloads for `uses:`: proves the release archive holds all it needs.
        session.map_repository(ACTION_REFERENCE, REPO_ROOT, release=True)
    else:
        session.map_repository(ACTION_REFERENCE, action_tree, snapshot=False)
    for workflow in workflows:
        session.add_workflow(WORKFLOWS_DIR / workflow)
    return session


def encode_dependency_hash(value: str) -> str:
    """How a dependency hash reaches the workflows (act's --env cannot carry a newline)."""
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def pip_run(
    session: ActSession,
    *,
    python: Path | str,
    dependency_hash: str,
    payload: str,
    index: LocalIndex | None = None,
    clear: Path | None = None,
    event: str = "push",
    event_payload: Mapping[str, Any] | None = None,
    inputs: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    extra_args: Iterable[str] = (),
) -> ActRun:
    """One job of action-pip.yml: a new runner (``clear`` removed first, as on a new machine).

    ``inputs`` are further E2E_* variables by their suffix, e.g. ``{"SAVE_CACHE": "false"}``;
    ``env`` other job variables (``GITHUB_API_URL``), ``extra_args`` further act options.
    """
    if clear is not None:
        shutil.rmtree(clear, ignore_errors=True)
    job_env = {
        "E2E_PYTHON": str(python),
        "E2E_DEPS_HASH_B64": encode_dependency_hash(dependency_hash),
        "E2E_PAYLOAD": payload,
        "E2E_INDEX_URL": index.url if index is not None else "",
        **{f"E2E_{name}": value for name, value in (inputs or {}).items()},
    }
    return session.run(
        PIP_WORKFLOW,
        env={**job_env, **(env or {})},
        event=event,
        event_payload=event_payload,
        cache_actions=pinned_cache_actions(),
        extra_args=extra_args,
    )


@dataclass(frozen=True)
class Seed:
    """A first job of action-pip.yml on an empty cache server, for tests to start from a copy.

    Copying the cache server gives every test the same starting entry without running the
    seeding job again; each test's own jobs stay out of the others' way.
    """

    session: ActSession
    run: ActRun
    pip_cache: Path
    payload: str
    wheel_downloads: int

    @property
    def key(self) -> str:
        return self.run.output(CPD_STEP, "cache-key-for-dependencies")

    @property
    def files(self) -> int:
        """Regular files in the saved entry (pip's HTTP cache, the marker, the record)."""
        return sum(1 for name in entry_members(self.session, self.key) if not name.endswith("/"))

    @property
    def record(self) -> dict[str, Any]:
        """The provenance record inside the saved entry."""
        record = entry_record(self.session, self.key)
        assert record is not None, f"the seed's entry {self.key!r} holds no provenance record"
        return record

    def new_session(self, tmp_path: Path) -> ActSession:
        """A session under ``tmp_path / "act"`` whose cache server is a copy of the seed's.

        Its base must be as deep as the seed's (both ``<basetemp>/<name>/act``): the cached
        path is stored relative to the workspace.
        """
        return new_session(
            tmp_path / "act",
            home=tmp_path / "home",
            pip_cache=self.pip_cache,
            seed_cache_server=self.session.cache_server_dir,
        )


def make_seed(
    tmp_path_factory: pytest.TempPathFactory,
    *,
    python: Path,
    dependency_hash: str,
    payload: str,
    index: LocalIndex | None = None,
    inputs: Mapping[str, str] | None = None,
) -> Seed:
    """Run the seeding job (it must succeed) under ``<basetemp>/seedN/act``."""
    require_e2e_tools()
    root = tmp_path_factory.mktemp("seed")
    # One path for every session that copies the seed: an entry's "version" hashes it.
    pip_cache = tmp_path_factory.mktemp("shared") / "pip-cache"
    session = new_session(root / "act", home=root / "home", pip_cache=pip_cache)
    run = pip_run(
        session,
        python=python,
        dependency_hash=dependency_hash,
        payload=payload,
        index=index,
        clear=pip_cache,
        inputs=inputs,
    ).check()
    downloads = index.wheel_downloads() if index is not None else 0
    return Seed(session, run, pip_cache, payload, downloads)


# --------------------------------------------------------------------------------------------
# Assertions


def declared_outputs(run: ActRun, step_id: str = CPD_STEP) -> dict[str, str]:
    """The action step's declared outputs ('' when unset, as in expressions)."""
    return {name: run.output(step_id, name) for name in DECLARED_OUTPUTS}


def stored_keys(session: ActSession) -> list[str]:
    """Keys of the complete entries on the cache server, oldest first (lowercased by act)."""
    return [entry.key for entry in session.cache_entries() if entry.complete]


def entry_members(session: ActSession, key: str) -> list[str]:
    """Paths inside the archive of the entry saved under ``key`` (compared ignoring case)."""
    matches = [e for e in session.cache_entries() if e.complete and e.key == key.lower()]
    assert len(matches) == 1, f"expected one entry {key!r}, have {stored_keys(session)}"
    return matches[0].members()


def workflow_commands(run: ActRun, level: str) -> list[str]:
    """Messages of the ``::<level> ...::message`` workflow commands in the log."""
    pattern = re.compile(rf"::{level}(?: [^:]*)?::(.*)$", re.MULTILINE)
    return [match.group(1).strip() for match in pattern.finditer(run.log)]


def workflow_annotations(run: ActRun, level: str) -> list[tuple[str, str]]:
    """``(title, message)`` of the ``::<level> title=...::message`` commands in the log."""
    pattern = re.compile(rf"::{level}(?: title=([^:]*))?::(.*)$", re.MULTILINE)
    return [
        (unescape_property(match.group(1) or ""), match.group(2).strip())
        for match in pattern.finditer(run.log)
    ]


def unescape_property(value: str) -> str:
    """A workflow-command property as the runner decodes it (``%3A`` -> ``:``...)."""
    for escaped, plain in (("%3A", ":"), ("%2C", ","), ("%0D", "\r"), ("%0A", "\n"), ("%25", "%")):
        value = value.replace(escaped, plain)
    return value


def record_summary(run: ActRun) -> str:
    """The job summary's section the action's record step wrote (src/.../summary.py), checked
    for its layout: one heading, the status line first, tables, no element a value added."""
    markdown = run.step_summary(RECORD_STEP_NAME)
    assert summary_problems(markdown) == [], markdown
    return markdown


def status_line(markdown: str) -> str:
    """The section's status line: the paragraph after its heading."""
    return markdown.split("\n\n")[1]


def table_rows(markdown: str, header: str) -> list[str]:
    """The rows of the table whose first header cell is ``header`` (none: no such table)."""
    lines = markdown.splitlines()
    starts = [index for index, line in enumerate(lines) if line.startswith(f"| {header} |")]
    if not starts:
        return []
    rows = []
    for line in lines[starts[0] + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def summary_notes(markdown: str) -> list[str]:
    """The section's bullet lines."""
    return [line for line in markdown.splitlines() if line.startswith("- ")]


def stale_part(markdown: str) -> str:
    """The section's part on stale entries: from its table of deletions, or its first note."""
    for start in ("| deleted entry |", "- stale entries: "):
        if start in markdown:
            return markdown[markdown.index(start) :]
    raise AssertionError(f"no part on stale entries in:\n{markdown}")


def cache_steps_run(run: ActRun) -> list[str]:
    """Which of the action's actions/cache steps ran, as ``Main <name>``/``Post <name>``."""
    names = (RESTORE_AND_SAVE_STEP_NAME, RESTORE_ONLY_STEP_NAME)
    pattern = re.compile(r"⭐ Run (Main|Post) (.*)$", re.MULTILINE)
    return [
        f"{match.group(1)} {match.group(2)}"
        for match in pattern.finditer(run.log)
        if match.group(2) in names
    ]


def record_artifact(run: ActRun) -> dict[str, Any] | None:
    """The provenance record the workflow found in the cache directory after the action."""
    path = run.artifacts_dir / RECORD_ARTIFACT
    if not path.is_file():
        return None
    record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return record


def entry_record(session: ActSession, key: str) -> dict[str, Any] | None:
    """The provenance record inside the entry saved under ``key`` (None when it has none)."""
    (entry,) = [e for e in session.cache_entries() if e.complete and e.key == key.lower()]
    names = [name for name in entry.members() if name.rsplit("/", 1)[-1] == RECORD_FILE]
    if not names:
        return None
    assert len(names) == 1, names
    record: dict[str, Any] = json.loads(entry.read_member(names[0]))
    return record


def os_key_pattern() -> re.Pattern[str]:
    """What ``cache-key-for-os`` must be on this host (Linux, glibc): arch and libc exactly."""
    libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    name, _, version = libc.partition(" ")
    return re.compile(
        rf"cpd-2-linux-[a-z0-9.]+-{re.escape(platform.machine())}-64bit-"
        rf"{re.escape(name + version)}-"
    )


def key_is_valid(key: str) -> bool:
    """What actions/cache accepts: at most 512 characters, no comma, no whitespace."""
    return 0 < len(key) <= 512 and re.fullmatch(r"[^\s,]+", key) is not None


# --------------------------------------------------------------------------------------------
# GitHub's REST API over act's cache server


def api_entries(session: ActSession, *, ref: str = "refs/heads/main") -> list[dict[str, Any]]:
    """act's complete entries as GitHub's API lists them: the same ids, keys (lowercased, as
    act keeps them), versions, sizes and times; act scopes nothing, so all are on ``ref``."""
    return [
        cache_entry(
            entry.key,
            ref=ref,
            size=entry.size,
            version=entry.version,
            created=entry.created_at,
            last_accessed=entry.used_at or entry.created_at,
            entry_id=entry.id,
        )
        for entry in session.cache_entries()
        if entry.complete
    ]


def delete_in_act(session: ActSession) -> Callable[[dict[str, Any]], None]:
    """An API server's ``on_delete``: the entry goes from act's cache server too.

    Its archive is removed; act drops an entry whose archive is gone the next time a lookup
    finds it (its handler's ``find``), so neither a restore nor a save sees it again.
    """

    def forget(entry: dict[str, Any]) -> None:
        for archive in (session.cache_server_dir / "cache").glob(f"*/{int(entry['id'])}"):
            archive.unlink()

    return forget


def damage_entry(session: ActSession, key: str, *, keep: float = 0.5) -> CacheEntry:
    """Truncate the archive of the entry saved under ``key`` to ``keep`` of its bytes, as an
    interrupted upload leaves it; the server still serves it (and its size in the database)."""
    matches = [e for e in session.cache_entries() if e.complete and e.key == key.lower()]
    assert len(matches) == 1, f"expected one entry {key!r}, have {stored_keys(session)}"
    (entry,) = matches
    assert entry.archive is not None
    size = entry.archive.stat().st_size
    with entry.archive.open("r+b") as archive:
        archive.truncate(int(size * keep))
    return entry
