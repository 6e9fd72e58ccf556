"""A local stand-in for GitHub's REST API cache endpoints, kept honest by GitHub's own description.

``GitHubApiServer`` serves ``GET /repos/{owner}/{repo}/actions/caches`` (key-prefix and ref
filters, sorting, GitHub's paging with a ``Link`` header), ``.../actions/cache/usage`` and the
two deletions, ``DELETE .../actions/caches/{cache_id}`` (204, or 404 for an entry it does not
hold) and ``DELETE .../actions/caches?key=&ref=`` (every entry of that exact key, in that ref
when given; 200 listing them, or 404 when there is none) on 127.0.0.1, for tests and for
workflows run under act (point ``GITHUB_API_URL`` at ``base_url``). A deleted entry leaves
``entries`` and goes to ``deleted``, and ``on_delete`` (when set) is called with it: the e2e
tests use that to delete it from act's cache server too. It can answer with an error status
(403, 404, 429, with any headers), wait before answering, trickle its body, or send a body given
verbatim.

Every request it receives and every response it sends is validated against the OpenAPI
description of ``@octokit/openapi`` (see ``github_openapi``); each violation is collected in
``validation_errors`` and ``assert_valid()`` fails on any. The ``api_server`` helper below does
that at the end of every test that uses it, so a test cannot pass on a request or an answer
GitHub would not send.

Usage::

    with GitHubApiServer(entries=[cache_entry("cpd-2-...")]) as server:
        ...  # GITHUB_API_URL=server.base_url
    server.assert_valid()
"""

from __future__ import annotations

import json
import math
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from tests.github_openapi import (
    CACHE_USAGE,
    DELETE_CACHE_BY_ID,
    DELETE_CACHES_BY_KEY,
    LIST_CACHES,
    Operation,
    documented_default,
    match_operation,
    request_errors,
    response_errors,
)

DEFAULT_REPOSITORY = "octo-org/hello-world"
API_VERSION = "2022-11-28"
MEDIA_TYPE = "application/vnd.github+json"
MAX_PER_PAGE = 100  # the description's "(max 100)"


def timestamp(moment: datetime) -> str:
    """A datetime as GitHub writes it: ``2019-01-24T22:45:36.000Z``."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


_next_id = iter(range(1000, 10**9))


def cache_entry(
    key: str,
    *,
    ref: str = "refs/heads/main",
    size: int = 50_000_000,
    last_accessed: datetime | None = None,
    created: datetime | None = None,
    version: str = "a" * 64,
    entry_id: int | None = None,
) -> dict[str, Any]:
    """One ``actions_caches`` item shaped as the API sends it."""
    last_accessed = last_accessed or datetime.now(timezone.utc)
    return {
        "id": next(_next_id) if entry_id is None else entry_id,
        "ref": ref,
        "key": key,
        "version": version,
        "last_accessed_at": timestamp(last_accessed),
        "created_at": timestamp(created or last_accessed - timedelta(hours=1)),
        "size_in_bytes": size,
    }


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server received it (header names lower-cased)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    operation_id: str = ""


@dataclass
class Failure:
    """An error answer: status, extra headers, and GitHub's error body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "error"


_MESSAGES = {
    401: "Bad credentials",
    403: "Resource not accessible by integration",
    404: "Not Found",
    429: "API rate limit exceeded",
}


class GitHubApiServer:
    """The cache endpoints of one repository, on 127.0.0.1, validated against the description."""

    def __init__(
        self,
        repository: str = DEFAULT_REPOSITORY,
        *,
        entries: Iterable[dict[str, Any]] = (),
        usage: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> None:
        self.repository = repository
        self.entries = list(entries)
        # None: computed from the entries, as GitHub does.
        self.usage = usage
        # When set, requests must carry ``Authorization: Bearer <token>`` (else 401).
        self.token = token
        self.deleted: list[dict[str, Any]] = []
        self.on_delete: Callable[[dict[str, Any]], None] | None = None
        # Called with each request received, before it is answered (a test's doings "meanwhile").
        self.on_request: Callable[[RecordedRequest], None] | None = None
        self.failures: dict[str, Failure] = {}
        self.bodies: dict[str, object] = {}
        self.delay = 0.0
        self.trickle = 0.0
        self.requests: list[RecordedRequest] = []
        self.validation_errors: list[str] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- configuration ---------------------------------------------------------------------

    def fail(
        self,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        operations: Iterable[str] = (LIST_CACHES, CACHE_USAGE),
    ) -> None:
        """Answer the operations with an error status (and headers), as GitHub does."""
        for operation in operations:
            self.failures[operation] = Failure(
                status, dict(headers or {}), _MESSAGES.get(status, "error")
            )

    def send_body(self, operation: str, body: object) -> None:
        """Answer ``operation`` with this JSON body verbatim (e.g. a malformed one)."""
        self.bodies[operation] = body

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> GitHubApiServer:
        """Listen on a free port of 127.0.0.1."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.api = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening; a handler still waiting (delay, trickle) gives up at once."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> GitHubApiServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """What ``GITHUB_API_URL`` would be."""
        assert self._server is not None, "the server is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def assert_valid(self) -> None:
        """Fail when any request or response broke GitHub's description."""
        with self._lock:
            errors = list(self.validation_errors)
        assert not errors, "the fake GitHub API broke its OpenAPI description:\n" + "\n".join(
            errors
        )

    def requests_for(self, operation: str) -> list[RecordedRequest]:
        """The requests recorded for one operation."""
        return [request for request in self.requests if request.operation_id == operation]

    def deletions(self) -> list[RecordedRequest]:
        """The DELETE requests received, in order."""
        return [request for request in self.requests if request.method == "DELETE"]

    # -- answers -----------------------------------------------------------------------------

    def _record(self, request: RecordedRequest, errors: list[str]) -> None:
        with self._lock:
            self.requests.append(request)
            self.validation_errors.extend(errors)

    def _listing(
        self, query: dict[str, list[str]], operation: Operation, path: str
    ) -> tuple[dict[str, Any], dict[str, str]]:
        def one(name: str) -> Any:
            values = query.get(name)
            return values[0] if values else documented_default(operation, name)

        matching = [
            entry
            for entry in self.entries
            if (not one("key") or str(entry.get("key", "")).startswith(one("key")))
            and (not one("ref") or entry.get("ref") == one("ref"))
        ]
        sort = one("sort")
        matching.sort(key=lambda entry: entry.get(sort) or 0, reverse=one("direction") == "desc")
        per_page = min(int(one("per_page")), MAX_PER_PAGE)
        page = max(int(one("page")), 1)
        last = max(1, math.ceil(len(matching) / per_page))
        body = {
            "total_count": len(matching),
            "actions_caches": matching[(page - 1) * per_page : page * per_page],
        }
        return body, self._link_header(path, query, page, last)

    def _link_header(
        self, path: str, query: dict[str, list[str]], page: int, last: int
    ) -> dict[str, str]:
        links = []
        for relation, target in (
            ("prev", page - 1),
            ("next", page + 1),
            ("last", last),
            ("first", 1),
        ):
            wanted = (relation in ("prev", "first") and page > 1) or (
                relation in ("next", "last") and page < last
            )
            if wanted:
                target_query = {name: values[0] for name, values in query.items()}
                target_query["page"] = str(target)
                url = f"{self.base_url}{path}?{urllib.parse.urlencode(target_query)}"
                links.append(f'<{url}>; rel="{relation}"')
        return {"Link": ", ".join(links)} if links else {}

    def _delete(
        self, operation: Operation, path_parameters: dict[str, str], query: dict[str, list[str]]
    ) -> tuple[int, object]:
        """Remove what a deletion names: (204, None), (200, the list deleted) or (404, ...)."""
        if operation.operation_id == DELETE_CACHE_BY_ID:
            wanted = str(path_parameters.get("cache_id"))
            gone = [entry for entry in self.entries if str(entry.get("id")) == wanted]
        else:
            key = (query.get("key") or [""])[0]
            refs = query.get("ref")
            ref = refs[0] if refs else None
            gone = [
                entry
                for entry in self.entries
                if entry.get("key") == key and (ref is None or entry.get("ref") == ref)
            ]
        if not gone:
            return 404, None
        with self._lock:
            self.entries = [entry for entry in self.entries if entry not in gone]
            self.deleted.extend(gone)
        for entry in gone:
            if self.on_delete is not None:
                self.on_delete(entry)
        if operation.operation_id == DELETE_CACHE_BY_ID:
            return 204, None
        return 200, {"total_count": len(gone), "actions_caches": gone}

    def _usage(self) -> dict[str, Any]:
        if self.usage is not None:
            return self.usage
        return {
            "full_name": self.repository,
            "active_caches_size_in_bytes": sum(
                int(e.get("size_in_bytes", 0)) for e in self.entries
            ),
            "active_caches_count": len(self.entries),
        }


class _Handler(BaseHTTPRequestHandler):
    server_version = "fake-github-api/1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    @property
    def api(self) -> GitHubApiServer:
        return self.server.api  # type: ignore[attr-defined, no-any-return]

    def do_GET(self) -> None:
        self._serve("GET")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        api = self.api
        parsed = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        headers = {name.lower(): value for name, value in self.headers.items()}
        matched = match_operation(parsed.path, method)
        if matched is None:
            request = RecordedRequest(method, parsed.path, query, headers)
            api._record(request, [f"request: {method} {parsed.path} is not an operation it serves"])
            self._send_raw(404, {}, json.dumps({"message": "Not Found"}).encode())
            return
        operation, path_parameters = matched
        request = RecordedRequest(method, parsed.path, query, headers, operation.operation_id)
        errors = request_errors(operation, path_parameters, query)
        errors += _header_errors(headers)
        api._record(request, errors)
        if api.on_request is not None:
            api.on_request(request)
        if api._stopping.wait(api.delay):
            return
        owner_repo = f"{path_parameters['owner']}/{path_parameters['repo']}"
        failure = api.failures.get(operation.operation_id)
        if api.token is not None and headers.get("authorization") != f"Bearer {api.token}":
            failure = Failure(401, message=_MESSAGES[401])
        elif owner_repo.lower() != api.repository.lower():
            failure = Failure(404, message=_MESSAGES[404])
        if failure is not None:
            body: object = {
                "message": failure.message,
                "documentation_url": "https://docs.github.com/rest/actions/cache",
                "status": str(failure.status),
            }
            self._answer(operation, failure.status, failure.headers, body)
            return
        extra: dict[str, str] = {}
        status = 200
        if operation.operation_id in api.bodies:
            body = api.bodies[operation.operation_id]
        elif operation.operation_id == LIST_CACHES:
            body, extra = api._listing(query, operation, parsed.path)
        elif operation.operation_id in (DELETE_CACHE_BY_ID, DELETE_CACHES_BY_KEY):
            status, body = api._delete(operation, path_parameters, query)
            if status == 404:
                body = {
                    "message": _MESSAGES[404],
                    "documentation_url": "https://docs.github.com/rest/actions/cache",
                    "status": "404",
                }
        else:
            body = api._usage()
        self._answer(operation, status, extra, body)

    def _answer(
        self, operation: Operation, status: int, headers: dict[str, str], body: object
    ) -> None:
        api = self.api
        errors = response_errors(operation, status, headers, body)
        with api._lock:
            api.validation_errors.extend(errors)
        self._send_raw(status, headers, b"" if body is None else json.dumps(body).encode())

    def _send_raw(self, status: int, headers: dict[str, str], data: bytes) -> None:
        api = self.api
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-GitHub-Media-Type", "github.v3; format=json")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if api.trickle <= 0:
                self.wfile.write(data)
                return
            for index in range(len(data)):
                if api._stopping.wait(api.trickle):
                    return
                self.wfile.write(data[index : index + 1])
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its deadline): nothing to answer


def _header_errors(headers: dict[str, str]) -> list[str]:
    """GitHub's documented request headers (not part of the OpenAPI description)."""
    errors = []
    if headers.get("accept") != MEDIA_TYPE:
        errors.append(f"request: Accept is {headers.get('accept')!r}, not {MEDIA_TYPE}")
    if headers.get("x-github-api-version") != API_VERSION:
        errors.append(f"request: X-GitHub-Api-Version is not {API_VERSION}")
    if not headers.get("user-agent"):
        errors.append("request: GitHub requires a User-Agent header")
    return errors


def api_server(**options: Any) -> Iterator[GitHubApiServer]:
    """A started server for a pytest fixture; at teardown it must have seen no violation."""
    with GitHubApiServer(**options) as server:
        yield server
    server.assert_valid()
