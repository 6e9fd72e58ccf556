"""Read the repository's cache entries and cache usage from the GitHub REST API (stdlib only).

Two endpoints: ``GET /repos/{owner}/{repo}/actions/caches`` (filtered by key prefix, sorted by
last use, newest first, paged) and ``GET /repos/{owner}/{repo}/actions/cache/usage``.

This runs in the action after a cache miss, where it must never slow the job down nor fail it:

- one deadline (about two seconds) covers every request together, paging included; a worker
  thread holds the requests, so even a server that trickles bytes cannot hold the caller longer;
- at most a few pages of 100 entries are read, and each response body is size-limited;
- every field of every response is validated (the API is untrusted input);
- every failure (no permission, no such endpoint on GHES, rate limits, timeouts, network errors,
  malformed bodies) becomes a short plain reason in the result, never an exception;
- the token travels only in the ``Authorization`` header: it is never logged, never part of a
  reason, and never sent after a redirect (redirects are not followed).
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Final, TypeVar

if TYPE_CHECKING:  # the HTTP modules load only when a request is made (see _Client)
    import urllib.error
    import urllib.request

DEFAULT_TIMEOUT: Final = 2.0
DEFAULT_MAX_PAGES: Final = 3
PER_PAGE: Final = 100
API_VERSION: Final = "2022-11-28"
# 100 entries are about 40 KB of JSON; anything far larger is not a real answer.
MAX_RESPONSE_BYTES: Final = 1024 * 1024
# Bounds on the text fields (GitHub caps keys at 512 characters; refs are short).
MAX_KEY_LENGTH: Final = 512
MAX_REF_LENGTH: Final = 1024
MAX_VERSION_LENGTH: Final = 256
MAX_FULL_NAME_LENGTH: Final = 256

_REPOSITORY: Final = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_HEADER_SAFE: Final = re.compile(r"[\x21-\x7e]+")
_CHUNK: Final = 64 * 1024
_T = TypeVar("_T")


@dataclass(frozen=True)
class CacheEntry:
    """One cache entry as the API lists it (every field validated)."""

    id: int
    ref: str
    key: str
    version: str
    last_accessed_at: datetime
    created_at: datetime | None
    size_in_bytes: int


@dataclass(frozen=True)
class CacheUsage:
    """The repository's cache use: the sum of its active entries' sizes, and their number."""

    full_name: str
    active_caches_size_in_bytes: int
    active_caches_count: int


@dataclass(frozen=True)
class CacheListing:
    """Entries matching a key prefix, newest use first, and how many exist in all."""

    entries: tuple[CacheEntry, ...]
    total_count: int

    @property
    def complete(self) -> bool:
        """False when more entries exist than were read (the page limit)."""
        return len(self.entries) >= self.total_count


@dataclass(frozen=True)
class Lookup:
    """What the API said: a listing and the usage when it answered, else a plain reason."""

    listing: CacheListing | None
    usage: CacheUsage | None
    problem: str | None


class ApiProblem(Exception):
    """A request failed; the message is a short plain reason without the token."""


def api_base_url(value: str | None, default: str = "https://api.github.com") -> str:
    """The API base (``GITHUB_API_URL``): http(s) only, no credentials, no query; no trailing /."""
    text = (value or "").strip() or default
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ApiProblem("the API URL is not an http(s) URL")
    if parsed.username or parsed.password or parsed.query or parsed.fragment:
        raise ApiProblem("the API URL must not carry credentials, a query or a fragment")
    return text.rstrip("/")


def valid_repository(value: str | None) -> str:
    """``owner/name`` as GitHub spells repositories, else ApiProblem."""
    text = (value or "").strip()
    if not _REPOSITORY.fullmatch(text) or text.split("/")[1] in (".", ".."):
        raise ApiProblem("the repository is not of the form owner/name")
    return text


def parse_timestamp(value: object) -> datetime:
    """An RFC 3339 date-time (``2019-01-24T22:45:36.000Z``), timezone-aware; else ValueError."""
    if not isinstance(value, str):
        raise ValueError("not a string")
    match = _RFC3339.fullmatch(value)
    if not match:
        raise ValueError("not an RFC 3339 date-time")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    micros = int((match.group(7) or "0")[:6].ljust(6, "0"))
    if match.group(8):
        zone = timezone.utc
    else:
        offset = timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        zone = timezone(-offset if match.group(9) == "-" else offset)
    return datetime(year, month, day, hour, minute, min(second, 59), micros, tzinfo=zone)


def _field(data: Mapping[str, object], name: str, kind: type[_T]) -> _T:
    value = data.get(name)
    # bool is an int in Python, never in JSON Schema.
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{name} is not {kind.__name__}")
    return value


def _bounded_text(data: Mapping[str, object], name: str, limit: int) -> str:
    value = _field(data, name, str)
    if len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")
    return value


def _count(data: Mapping[str, object], name: str) -> int:
    value = _field(data, name, int)
    if value < 0:
        raise ValueError(f"{name} is negative")
    return value


def parse_entry(data: object) -> CacheEntry:
    """One ``actions_caches`` item, validated field by field (ValueError if malformed)."""
    if not isinstance(data, dict):
        raise ValueError("an entry is not an object")
    created = data.get("created_at")
    version = data.get("version", "")
    if not isinstance(version, str) or len(version) > MAX_VERSION_LENGTH:
        raise ValueError("version is not a short string")
    return CacheEntry(
        id=_count(data, "id"),
        ref=_bounded_text(data, "ref", MAX_REF_LENGTH),
        key=_bounded_text(data, "key", MAX_KEY_LENGTH),
        version=version,
        last_accessed_at=parse_timestamp(data.get("last_accessed_at")),
        created_at=None if created is None else parse_timestamp(created),
        size_in_bytes=_count(data, "size_in_bytes"),
    )


def parse_listing_page(data: object) -> tuple[int, list[CacheEntry]]:
    """``total_count`` and the entries of one page of the list-caches answer."""
    if not isinstance(data, dict):
        raise ValueError("the answer is not an object")
    items = data.get("actions_caches")
    if not isinstance(items, list) or len(items) > PER_PAGE:
        raise ValueError("actions_caches is not a list of at most one page")
    return _count(data, "total_count"), [parse_entry(item) for item in items]


def parse_usage(data: object) -> CacheUsage:
    """The cache-usage answer, validated field by field."""
    if not isinstance(data, dict):
        raise ValueError("the answer is not an object")
    return CacheUsage(
        full_name=_bounded_text(data, "full_name", MAX_FULL_NAME_LENGTH),
        active_caches_size_in_bytes=_count(data, "active_caches_size_in_bytes"),
        active_caches_count=_count(data, "active_caches_count"),
    )


def has_next_page(link_header: str | None) -> bool:
    """Whether a ``Link`` header announces a ``rel="next"`` page.

    Only the announcement is used: the next URL is built from our own base, never taken from
    the response (a hostile answer must not steer the token elsewhere).
    """
    if not link_header:
        return False
    return any("next" in _rels(part) for part in link_header.split(","))


def _rels(link_part: str) -> list[str]:
    match = re.search(r';\s*rel="?([^";]*)"?', link_part)
    return match.group(1).split() if match else []


def _opener() -> urllib.request.OpenerDirector:
    """An opener that refuses redirects: a 3xx is an error, and the token never goes elsewhere.

    The HTTP modules (and ssl) are imported here, by the first request: a run that makes none
    (an exact hit, no token) never pays for them.
    """
    import email.message  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415
    from typing import IO  # noqa: PLC0415

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(
            self,
            req: urllib.request.Request,
            fp: IO[bytes],
            code: int,
            msg: str,
            headers: email.message.Message,
            newurl: str,
        ) -> None:
            return None

    # build_opener keeps the proxy handler (HTTPS_PROXY on self-hosted runners).
    return urllib.request.build_opener(NoRedirect())


def _http_reason(error: urllib.error.HTTPError) -> str:
    status = error.code
    headers = error.headers
    remaining = headers.get("x-ratelimit-remaining") if headers else None
    retry_after = headers.get("retry-after") if headers else None
    if status == 429 or (status == 403 and (remaining == "0" or retry_after is not None)):
        return "the GitHub API rate limit is exhausted for this token; try again later"
    if status == 401:
        return "the token was refused (401): it is missing, expired or invalid"
    if status == 403:
        return "the token may not list caches (403): the job needs `permissions: actions: read`"
    if status == 404:
        return (
            "the cache API was not found (404): GitHub Enterprise Server without it, "
            "or a repository this token cannot see"
        )
    if 300 <= status < 400:
        return f"the API redirected ({status}); redirects are not followed"
    return f"the API answered HTTP {status}"


class _Client:
    """Requests against one repository with one deadline; raises ApiProblem."""

    def __init__(self, base_url: str, repository: str, token: str | None, deadline: float):
        self.base = f"{base_url}/repos/{repository}/actions"
        self.token = token
        self.deadline = deadline
        self.opener = _opener()

    def _remaining(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ApiProblem("the API did not answer in time")
        return remaining

    def get(self, path: str, query: Mapping[str, str | int]) -> tuple[object, str | None]:
        """The decoded JSON of ``GET <base>/<path>?<query>``, and its ``Link`` header."""
        import http.client  # noqa: PLC0415 - loaded by _opener already
        import urllib.error  # noqa: PLC0415
        import urllib.request  # noqa: PLC0415

        url = f"{self.base}/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, method="GET")  # noqa: S310 - http(s) checked
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", API_VERSION)
        request.add_header("User-Agent", "cache-python-deps")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with self.opener.open(request, timeout=self._remaining()) as response:
                body = self._read(response)
                link = response.headers.get("Link")
        except urllib.error.HTTPError as error:
            error.close()
            raise ApiProblem(_http_reason(error)) from None
        except (TimeoutError, OSError) as error:
            raise ApiProblem(_network_reason(error)) from None
        except http.client.HTTPException:
            raise ApiProblem("the API connection broke off mid-answer") from None
        try:
            return json.loads(body.decode("utf-8")), link
        except (UnicodeDecodeError, ValueError):
            raise ApiProblem("the API answered with a body that is not JSON") from None

    def _read(self, response: object) -> bytes:
        chunks: list[bytes] = []
        size = 0
        read = getattr(response, "read")  # noqa: B009 - an http.client response
        while True:
            self._remaining()
            chunk = read(_CHUNK)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise ApiProblem(f"the API answer is larger than {MAX_RESPONSE_BYTES} bytes")
            chunks.append(chunk)


def _network_reason(error: BaseException) -> str:
    import urllib.error  # noqa: PLC0415 - loaded by the request that failed

    if isinstance(error, TimeoutError) or "timed out" in str(error):
        return "the API did not answer in time"
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            return "the API did not answer in time"
        detail = reason.strerror if isinstance(reason, OSError) and reason.strerror else ""
        return f"the API could not be reached{f': {detail}' if detail else ''}"
    detail = error.strerror if isinstance(error, OSError) and error.strerror else ""
    return f"the API could not be reached{f': {detail}' if detail else ''}"


def _list_entries(client: _Client, key_prefix: str, max_pages: int) -> CacheListing:
    entries: list[CacheEntry] = []
    total = 0
    for page in range(1, max_pages + 1):
        query: dict[str, str | int] = {
            "key": key_prefix,
            "sort": "last_accessed_at",
            "direction": "desc",
            "per_page": PER_PAGE,
            "page": page,
        }
        data, link = client.get("caches", query)
        try:
            total, page_entries = parse_listing_page(data)
        except ValueError as error:
            raise ApiProblem(f"the API answered with an unexpected cache list ({error})") from None
        entries.extend(page_entries)
        if not page_entries or not has_next_page(link) or len(entries) >= total:
            break
    return CacheListing(entries=tuple(entries), total_count=max(total, len(entries)))


def _usage(client: _Client) -> CacheUsage:
    data, _ = client.get("cache/usage", {})
    try:
        return parse_usage(data)
    except ValueError as error:
        raise ApiProblem(f"the API answered with an unexpected cache usage ({error})") from None


def _within_deadline(work: Callable[[], _T], timeout: float) -> _T:
    """Run ``work`` in a daemon thread and wait for it at most ``timeout`` seconds."""
    outcome: list[_T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # handed back to the caller's thread
            failure.append(error)

    worker = threading.Thread(target=target, name="cache-entries", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise ApiProblem("the API did not answer in time")
    if failure:
        raise failure[0]
    return outcome[0]


def look_up_caches(
    api_url: str | None,
    repository: str | None,
    token: str | None,
    *,
    key_prefix: str,
    timeout: float = DEFAULT_TIMEOUT,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Lookup:
    """The entries whose key starts with ``key_prefix`` (newest use first) and the usage.

    Never raises for anything the network, the server or the environment does: a failure is a
    ``Lookup`` with ``problem`` set (and whatever was read before it).
    """
    try:
        base = api_base_url(api_url)
        repo = valid_repository(repository)
    except ApiProblem as problem:
        return Lookup(None, None, str(problem))
    if token and not _HEADER_SAFE.fullmatch(token):
        # http.client would quote the bad value in its error message: never let it.
        return Lookup(None, None, "the token has characters no HTTP header may carry")
    deadline = time.monotonic() + timeout
    client = _Client(base, repo, token or None, deadline)
    listing: list[CacheListing] = []

    def work() -> CacheUsage:
        listing.append(_list_entries(client, key_prefix, max_pages))
        return _usage(client)

    try:
        usage = _within_deadline(work, timeout)
    except ApiProblem as problem:
        return Lookup(listing[0] if listing else None, None, str(problem))
    except Exception as error:  # a bug must not fail the job either
        return Lookup(listing[0] if listing else None, None, f"unexpected {type(error).__name__}")
    return Lookup(listing[0], usage, None)
