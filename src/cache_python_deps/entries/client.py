"""Read, and delete, the repository's cache entries through the GitHub REST API (stdlib only).

Endpoints: ``GET /repos/{owner}/{repo}/actions/caches`` (filtered by key prefix and ref, sorted,
paged), ``GET /repos/{owner}/{repo}/actions/cache/usage``, and the two deletions,
``DELETE .../actions/caches/{cache_id}`` (one entry) and ``DELETE .../actions/caches?key=&ref=``
(every entry of an exact key in a ref; the answer lists them).

A lookup may carry a ``Tidy``: a pure plan that picks, from the listing, the entries to delete.
They are deleted (at most ``Tidy.limit``) after the listing and before the usage is read, so the
usage is the one after; all of it within the lookup's one deadline.

This runs in the action after the restore, where it must never slow the job down nor fail it:

- one deadline (about two seconds) covers every request together, paging included; a worker
  thread holds the requests, so even a server that trickles bytes cannot hold the caller longer;
- at most a few pages of 100 entries are read, and each response body is size-limited;
- every field of every response is validated (the API is untrusted input);
- every failure (no permission, no such endpoint on GHES, rate limits, timeouts, network errors,
  malformed bodies) becomes a short plain reason in the result, never an exception;
- the token travels only in the ``Authorization`` header: it is never logged, never part of a
  reason, and never sent after a redirect (redirects are not followed);
- the server's clock is read from the listing's ``Date`` header (``Lookup.clock_offset``), so
  that a time taken on the runner can be compared with the API's ``created_at``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import IO, TYPE_CHECKING, Final, NamedTuple, TypeVar

if TYPE_CHECKING:  # the HTTP modules load only when a request is made (see _Client)
    import urllib.error
    import urllib.request

DEFAULT_TIMEOUT: Final = 2.0
DEFAULT_MAX_PAGES: Final = 3
PER_PAGE: Final = 100
# Most deletions one lookup makes unless its Tidy says otherwise.
DEFAULT_MAX_DELETIONS: Final = 20
API_VERSION: Final = "2022-11-28"
# 100 entries are about 40 KB of JSON; anything far larger is not a real answer.
MAX_RESPONSE_BYTES: Final = 1024 * 1024
# Bounds on the text fields (GitHub caps keys at 512 characters; refs are short).
MAX_KEY_LENGTH: Final = 512
MAX_REF_LENGTH: Final = 1024
MAX_VERSION_LENGTH: Final = 256

_REPOSITORY: Final = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_HEADER_SAFE: Final = re.compile(r"[\x21-\x7e]+")
_CHUNK: Final = 64 * 1024
_T = TypeVar("_T")


class CacheEntry(NamedTuple):
    """One cache entry as the API lists it (every field validated)."""

    id: int
    ref: str
    key: str
    version: str
    last_accessed_at: datetime
    created_at: datetime | None
    size_in_bytes: int


class CacheUsage(NamedTuple):
    """The repository's cache use: the sum of its active entries' sizes, and their number."""

    active_caches_size_in_bytes: int
    active_caches_count: int


class CacheListing(NamedTuple):
    """Entries matching a key prefix, newest use first, and how many exist in all."""

    entries: tuple[CacheEntry, ...]
    total_count: int

    @property
    def complete(self) -> bool:
        """False when more entries exist than were read (the page limit)."""
        return len(self.entries) >= self.total_count


class Doomed(NamedTuple):
    """An entry a plan chose to delete, and why: a phrase (see ``miss_report.Phrase``) of our
    words, and untrusted values kept apart until rendered."""

    entry: CacheEntry
    why: tuple[str, ...]


class Deletion(NamedTuple):
    """One deletion tried: ``problem`` is None when the API deleted the entry."""

    doomed: Doomed
    problem: str | None = None

    @property
    def deleted(self) -> bool:
        return self.problem is None


# A plan: the listing and the server clock's offset from this machine's in, what to delete out.
Plan = Callable[[CacheListing, timedelta | None], Sequence[Doomed]]


class Tidy(NamedTuple):
    """What to delete after the listing: ``plan`` picks, at most ``limit`` go.

    ``dry_run`` deletes nothing (the plan's choice is still reported); ``by_key`` deletes with
    ``DELETE ?key=&ref=`` (every entry of that key in that ref) instead of one entry by id.
    """

    plan: Plan
    limit: int = DEFAULT_MAX_DELETIONS
    dry_run: bool = False
    by_key: bool = False


class Lookup(NamedTuple):
    """What the API said: a listing and the usage when it answered, else a plain reason.

    With a ``Tidy``: ``planned`` is what its plan chose (cut to its limit), ``deletions`` what
    was tried (empty for a dry run), and ``not_deleted`` says in one line why the planned entries
    after the last deletion tried were not (a refusal, the deadline).
    """

    listing: CacheListing | None
    usage: CacheUsage | None
    problem: str | None
    clock_offset: timedelta | None = None
    planned: tuple[Doomed, ...] = ()
    deletions: tuple[Deletion, ...] = ()
    not_deleted: str | None = None


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
    import email.message  # noqa: PLC0415 - see above: the record step's path without a request
    import urllib.request  # noqa: PLC0415

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


# Why a refusal stops every further deletion: the next one would be refused alike.
_STOPS_DELETING: Final = frozenset({401, 403, 429})
ALREADY_GONE: Final = "already gone (404)"


def _http_reason(error: urllib.error.HTTPError, method: str = "GET") -> str:
    status = error.code
    headers = error.headers
    remaining = headers.get("x-ratelimit-remaining") if headers else None
    retry_after = headers.get("retry-after") if headers else None
    if status == 429 or (status == 403 and (remaining == "0" or retry_after is not None)):
        return "the GitHub API rate limit is exhausted for this token; try again later"
    reasons = _DELETE_REASONS if method == "DELETE" else _REASONS
    if status in reasons:
        return reasons[status]
    if 300 <= status < 400:
        return f"the API redirected ({status}); redirects are not followed"
    return f"the API answered HTTP {status}"


_REASONS: Final = {
    401: "the token was refused (401): it is missing, expired or invalid",
    403: "the token may not list caches (403): the job needs `permissions: actions: read`",
    404: (
        "the cache API was not found (404): GitHub Enterprise Server without it, "
        "or a repository this token cannot see"
    ),
}
_DELETE_REASONS: Final = {
    **_REASONS,
    403: "the token may not delete caches (403): the job needs `permissions: actions: write`",
    # The listing just answered for this repository: the entry went in between.
    404: ALREADY_GONE,
}


class _HttpRefusal(ApiProblem):
    """The API answered with an error status (the message is the plain reason)."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status


class _Answer:
    """A decoded answer: its JSON (None for an empty body, set once the body is read), ``Link``
    and ``Date`` headers, and when it was received."""

    def __init__(self, link: str | None, date: str | None) -> None:
        self.data: object = None
        self.link = link
        self.date = date
        self.received = datetime.now(timezone.utc)


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
        answer = self.send("GET", path, query)
        return answer.data, answer.link

    def send(self, method: str, path: str, query: Mapping[str, str | int]) -> _Answer:
        """``<method> <base>/<path>?<query>``: the decoded answer (None for an empty body)."""
        # Loaded by _opener already: named here, still off the path of a run without a request.
        import http.client  # noqa: PLC0415
        import urllib.error  # noqa: PLC0415
        import urllib.request  # noqa: PLC0415

        url = f"{self.base}/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, method=method)  # noqa: S310 - http(s) checked
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", API_VERSION)
        request.add_header("User-Agent", "cache-python-deps")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with self.opener.open(request, timeout=self._remaining()) as response:
                body = self._read(response)
                answer = _Answer(response.headers.get("Link"), response.headers.get("Date"))
        except urllib.error.HTTPError as error:
            error.close()
            raise _HttpRefusal(_http_reason(error, method), error.code) from None
        except (TimeoutError, OSError) as error:
            raise ApiProblem(_network_reason(error)) from None
        except http.client.HTTPException:
            raise ApiProblem("the API connection broke off mid-answer") from None
        if not body.strip():
            return answer
        try:
            answer.data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ApiProblem("the API answered with a body that is not JSON") from None
        return answer

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
    import urllib.error  # noqa: PLC0415 - loaded by the request that failed, none before

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


def clock_offset(date_header: str | None, received: datetime) -> timedelta | None:
    """How far the server's clock (an HTTP ``Date`` header) is ahead of ours; None if unknown.

    ``Date`` has whole seconds and is stamped before the answer travels, so the offset comes out
    up to a second and the network's delay too small: a time converted with it lands earlier on
    the server's clock than it was, never later.
    """
    if not date_header:
        return None
    import email.utils  # noqa: PLC0415 - only after a request: off the path of a run without one

    try:
        server_time = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        return None
    if server_time.tzinfo is None:
        return None
    return server_time - received


def _list_entries(
    client: _Client,
    key_prefix: str,
    max_pages: int,
    *,
    ref: str | None = None,
    sort: str = "last_accessed_at",
    clock: list[timedelta | None] | None = None,
) -> CacheListing:
    entries: list[CacheEntry] = []
    total = 0
    for page in range(1, max_pages + 1):
        query: dict[str, str | int] = {"key": key_prefix}
        if ref is not None:
            query["ref"] = ref
        query.update({"sort": sort, "direction": "desc", "per_page": PER_PAGE, "page": page})
        answer = client.send("GET", "caches", query)
        if clock is not None and page == 1:
            clock.append(clock_offset(answer.date, answer.received))
        try:
            total, page_entries = parse_listing_page(answer.data)
        except ValueError as error:
            raise ApiProblem(f"the API answered with an unexpected cache list ({error})") from None
        entries.extend(page_entries)
        if not page_entries or not has_next_page(answer.link) or len(entries) >= total:
            break
    return CacheListing(entries=tuple(entries), total_count=max(total, len(entries)))


def _delete(client: _Client, doomed: Sequence[Doomed], by_key: bool) -> tuple[Deletion, ...]:
    """Delete ``doomed`` in order; stops at a refusal that would refuse the rest (raised)."""
    done: list[Deletion] = []
    if by_key:
        groups: dict[tuple[str, str], list[Doomed]] = {}
        for item in doomed:
            groups.setdefault((item.entry.key, item.entry.ref), []).append(item)
        batches = list(groups.items())
    else:
        batches = [((item.entry.key, item.entry.ref), [item]) for item in doomed]
    for (key, ref), items in batches:
        try:
            if by_key:
                answer = client.send("DELETE", "caches", {"key": key, "ref": ref})
                try:
                    parse_listing_page(answer.data)
                except ValueError as error:
                    raise ApiProblem(
                        f"the API answered a deletion unexpectedly ({error})"
                    ) from None
            else:
                client.send("DELETE", f"caches/{items[0].entry.id}", {})
        except _HttpRefusal as refusal:
            if refusal.status in _STOPS_DELETING:
                raise _Stopped(str(refusal), tuple(done)) from None
            done.extend(Deletion(item, str(refusal)) for item in items)
            continue
        except ApiProblem as problem:
            raise _Stopped(str(problem), tuple(done)) from None
        done.extend(Deletion(item) for item in items)
    return tuple(done)


class _Stopped(ApiProblem):
    """Deleting stopped: the reason, and the deletions made before."""

    def __init__(self, reason: str, done: tuple[Deletion, ...]) -> None:
        super().__init__(reason)
        self.done = done


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
    ref: str | None = None,
    sort: str = "last_accessed_at",
    tidy: Tidy | None = None,
) -> Lookup:
    """The entries whose key starts with ``key_prefix`` (newest first by ``sort``; only
    ``ref``'s when given), after ``tidy``'s deletions, and the usage.

    Never raises for anything the network, the server or the environment does: a failure is a
    ``Lookup`` with ``problem`` (or, for deletions, ``not_deleted``) set, and whatever was
    read or done before it.
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
    clock: list[timedelta | None] = []
    planned: list[Doomed] = []
    deletions: list[Deletion] = []
    not_deleted: list[str] = []

    def work() -> CacheUsage:
        listing.append(
            _list_entries(client, key_prefix, max_pages, ref=ref, sort=sort, clock=clock)
        )
        if tidy is not None:
            planned.extend(tidy.plan(listing[0], clock[0] if clock else None)[: tidy.limit])
            if planned and not tidy.dry_run:
                try:
                    deletions.extend(_delete(client, planned, tidy.by_key))
                except _Stopped as stopped:
                    deletions.extend(stopped.done)
                    not_deleted.append(str(stopped))
        return _usage(client)

    def result(usage: CacheUsage | None, problem: str | None) -> Lookup:
        unexplained = len(planned) > len(deletions) and not (tidy and tidy.dry_run)
        if unexplained and not not_deleted:
            # The deadline (or a failure) came in the middle of the deletions.
            not_deleted.append(problem or "unexpected end of the deletions")
        return Lookup(
            listing[0] if listing else None,
            usage,
            problem,
            clock_offset=clock[0] if clock else None,
            planned=tuple(planned),
            deletions=tuple(deletions),
            not_deleted=not_deleted[0] if not_deleted else None,
        )

    try:
        usage = _within_deadline(work, timeout)
    except ApiProblem as problem:
        return result(None, str(problem))
    except Exception as error:  # a bug must not fail the job either
        return result(None, f"unexpected {type(error).__name__}")
    return result(usage, None)
