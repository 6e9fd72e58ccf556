"""The REST API client, against the local server that GitHub's OpenAPI description keeps honest."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from cache_python_deps.entries.client import (
    MAX_RESPONSE_BYTES,
    PER_PAGE,
    CacheListing,
    Doomed,
    Lookup,
    Tidy,
    clock_offset,
    has_next_page,
    look_up_caches,
    parse_entry,
    parse_timestamp,
)
from tests.github_api_server import (
    DEFAULT_REPOSITORY,
    GitHubApiServer,
    api_server,
    cache_entry,
)
from tests.github_openapi import (
    CACHE_USAGE,
    DELETE_CACHE_BY_ID,
    DELETE_CACHES_BY_KEY,
    LIST_CACHES,
    documented_default,
    load_description,
    locked_version,
)

TOKEN = "ghs_S3cretTokenValue0123456789"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
KEY = "cpd-2-linux-ubuntu24.04-x86_64-64bit-glibc2.39-cpython-cp312-3.12-pip.2-tool-{}"


@pytest.fixture
def server() -> Iterator[GitHubApiServer]:
    yield from api_server(token=TOKEN)


def entries(count: int) -> list[dict[str, Any]]:
    return [
        cache_entry(KEY.format(f"dep{i}"), last_accessed=NOW - timedelta(minutes=i))
        for i in range(count)
    ]


def look_up(server: GitHubApiServer, **options: Any) -> Lookup:
    options.setdefault("key_prefix", "cpd-")
    return look_up_caches(server.base_url, DEFAULT_REPOSITORY, TOKEN, **options)


def test_all_pages_are_read_newest_use_first(server: GitHubApiServer) -> None:
    server.entries = entries(2 * PER_PAGE + 50)
    lookup = look_up(server)
    assert lookup.problem is None
    assert lookup.listing is not None
    assert lookup.listing.complete
    assert len(lookup.listing.entries) == len(server.entries)
    used = [entry.last_accessed_at for entry in lookup.listing.entries]
    assert used == sorted(used, reverse=True)
    pages = [request.query["page"] for request in server.requests_for(LIST_CACHES)]
    assert pages == [["1"], ["2"], ["3"]]


def test_each_listing_request_asks_for_the_prefix_sorted_by_last_use(
    server: GitHubApiServer,
) -> None:
    server.entries = entries(3)
    look_up(server, key_prefix="cpd-2-linux-")
    (request,) = server.requests_for(LIST_CACHES)
    assert request.query == {
        "key": ["cpd-2-linux-"],
        "sort": ["last_accessed_at"],
        "direction": ["desc"],
        "per_page": [str(PER_PAGE)],
        "page": ["1"],
    }
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"


def test_paging_stops_at_the_page_limit(server: GitHubApiServer) -> None:
    server.entries = entries(5 * PER_PAGE)
    lookup = look_up(server, max_pages=2)
    assert lookup.listing is not None
    assert len(lookup.listing.entries) == 2 * PER_PAGE
    assert lookup.listing.total_count == 5 * PER_PAGE
    assert not lookup.listing.complete
    assert len(server.requests_for(LIST_CACHES)) == 2


def test_only_entries_under_the_prefix_are_listed(server: GitHubApiServer) -> None:
    server.entries = [*entries(2), cache_entry("Linux-node-958aff96db2d")]
    lookup = look_up(server)
    assert lookup.listing is not None
    assert {entry.key for entry in lookup.listing.entries} == {
        KEY.format("dep0"),
        KEY.format("dep1"),
    }


def test_the_usage_is_read(server: GitHubApiServer) -> None:
    server.entries = entries(4)
    lookup = look_up(server)
    assert lookup.usage is not None
    assert lookup.usage.active_caches_count == 4
    assert lookup.usage.active_caches_size_in_bytes == sum(e["size_in_bytes"] for e in entries(4))


@pytest.mark.parametrize(
    ("status", "headers", "reason"),
    [
        (403, {}, "actions: read"),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1764590400"}, "rate limit"),
        (403, {"retry-after": "60"}, "rate limit"),
        (429, {"retry-after": "60"}, "rate limit"),
        (404, {}, "GitHub Enterprise Server"),
        (500, {}, "HTTP 500"),
    ],
)
def test_an_error_status_is_one_plain_reason(
    server: GitHubApiServer, status: int, headers: dict[str, str], reason: str
) -> None:
    server.entries = entries(2)
    server.fail(status, headers=headers)
    lookup = look_up(server)
    assert lookup.listing is None
    assert lookup.problem is not None
    assert reason in lookup.problem
    assert TOKEN not in lookup.problem
    assert len(server.requests) == 1  # no retry, no usage request after a refusal


def test_a_refused_token_is_named_without_its_value(server: GitHubApiServer) -> None:
    lookup = look_up_caches(server.base_url, DEFAULT_REPOSITORY, "ghs_wrong", key_prefix="cpd-")
    assert lookup.problem is not None
    assert "401" in lookup.problem
    assert "ghs_wrong" not in lookup.problem


def test_a_usage_failure_keeps_the_listing(server: GitHubApiServer) -> None:
    server.entries = entries(2)
    server.fail(404, operations=[CACHE_USAGE])
    lookup = look_up(server)
    assert lookup.listing is not None
    assert len(lookup.listing.entries) == 2
    assert lookup.usage is None
    assert lookup.problem is not None
    assert "404" in lookup.problem


def test_a_slow_server_costs_no_more_than_the_deadline(server: GitHubApiServer) -> None:
    server.entries = entries(2)
    server.delay = 10.0
    started = time.monotonic()
    lookup = look_up(server, timeout=0.5)
    elapsed = time.monotonic() - started
    assert lookup.problem == "the API did not answer in time"
    assert elapsed < 1.5


def test_a_trickling_answer_costs_no_more_than_the_deadline(server: GitHubApiServer) -> None:
    server.entries = entries(5)
    server.trickle = 0.05  # about a minute for the whole body
    started = time.monotonic()
    lookup = look_up(server, timeout=0.5)
    elapsed = time.monotonic() - started
    assert lookup.problem == "the API did not answer in time"
    assert elapsed < 1.5


def test_the_deadline_covers_all_pages_together(server: GitHubApiServer) -> None:
    server.entries = entries(3 * PER_PAGE)
    server.delay = 0.3
    lookup = look_up(server, timeout=0.7)
    assert lookup.problem == "the API did not answer in time"
    assert len(server.requests) <= 3


def test_no_network_is_one_plain_reason() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    lookup = look_up_caches(
        f"http://127.0.0.1:{port}", DEFAULT_REPOSITORY, TOKEN, key_prefix="cpd-"
    )
    assert lookup.problem is not None
    assert lookup.problem.startswith("the API could not be reached")
    assert TOKEN not in lookup.problem


@pytest.mark.parametrize(
    ("field", "value", "breaks_the_description"),
    [
        ("size_in_bytes", "12", True),
        ("size_in_bytes", True, True),
        ("key", 12, True),
        ("last_accessed_at", "yesterday", True),
        ("ref", None, True),
        # Within the description, but never sent by GitHub (negative size, key over 512).
        ("size_in_bytes", -1, False),
        ("key", "k" * 600, False),
    ],
)
def test_a_malformed_entry_is_refused_and_the_server_flags_it(
    field: str, value: object, breaks_the_description: bool
) -> None:
    entry = cache_entry(KEY.format("x"))
    entry[field] = value
    with GitHubApiServer(token=TOKEN) as server:
        server.send_body(LIST_CACHES, {"total_count": 1, "actions_caches": [entry]})
        lookup = look_up(server)
    assert lookup.listing is None
    assert lookup.problem is not None
    assert "unexpected cache list" in lookup.problem
    assert bool(server.validation_errors) is breaks_the_description
    if breaks_the_description:
        with pytest.raises(AssertionError, match="broke its OpenAPI description"):
            server.assert_valid()


def test_a_response_with_an_undocumented_field_fails_validation() -> None:
    entry = {**cache_entry(KEY.format("x")), "scope": "refs/heads/main"}
    with GitHubApiServer(token=TOKEN) as server:
        server.send_body(LIST_CACHES, {"total_count": 1, "actions_caches": [entry]})
        look_up(server)
    assert any("scope" in error for error in server.validation_errors)


def test_a_request_the_description_does_not_allow_fails_validation() -> None:
    with GitHubApiServer() as server:
        url = f"{server.base_url}/repos/{DEFAULT_REPOSITORY}/actions/caches?sort=bogus&colour=red"
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        with (
            contextlib.suppress(urllib.error.HTTPError),
            urllib.request.urlopen(request, timeout=5),
        ):
            pass
    errors = "\n".join(server.validation_errors)
    assert "request query sort" in errors
    assert "colour is not documented" in errors
    assert "Accept" in errors
    with pytest.raises(AssertionError):
        server.assert_valid()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("caches", "query parameter key is required"),  # a deletion by key without its key
        ("caches/twelve", "request path cache_id"),  # an id that is no integer
        ("caches/12?ref=refs/heads/main", "ref is not documented"),  # by id takes no ref
    ],
)
def test_a_deletion_the_description_does_not_allow_fails_validation(
    path: str, expected: str
) -> None:
    with GitHubApiServer() as server:
        url = f"{server.base_url}/repos/{DEFAULT_REPOSITORY}/actions/{path}"
        request = urllib.request.Request(url, method="DELETE", headers=_HEADERS)
        with (
            contextlib.suppress(urllib.error.HTTPError),
            urllib.request.urlopen(request, timeout=5),
        ):
            pass
    assert expected in "\n".join(server.validation_errors)
    with pytest.raises(AssertionError):
        server.assert_valid()


_HEADERS = {
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
    "User-Agent": "test",
}


def test_an_oversized_answer_is_refused() -> None:
    with GitHubApiServer(token=TOKEN) as server:
        padding = "y" * MAX_RESPONSE_BYTES
        server.send_body(LIST_CACHES, {"total_count": 0, "actions_caches": [], "x": padding})
        lookup = look_up(server)
    assert lookup.problem is not None
    assert "larger than" in lookup.problem


class _Redirect(BaseHTTPRequestHandler):
    seen_authorization: ClassVar[list[str | None]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        _Redirect.seen_authorization.append(self.headers.get("Authorization"))
        self.send_response(301)
        self.send_header("Location", f"http://{self.headers['Host']}/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_a_redirect_is_not_followed_so_the_token_goes_nowhere_else() -> None:
    httpd = HTTPServer(("127.0.0.1", 0), _Redirect)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        lookup = look_up_caches(base, DEFAULT_REPOSITORY, TOKEN, key_prefix="cpd-")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert lookup.problem is not None
    assert "redirected" in lookup.problem
    assert len(_Redirect.seen_authorization) == 1


@pytest.mark.parametrize(
    ("api_url", "repository", "token"),
    [
        ("file:///etc/passwd", DEFAULT_REPOSITORY, TOKEN),
        ("https://user:pass@example.invalid", DEFAULT_REPOSITORY, TOKEN),
        ("https://example.invalid", "not a repository", TOKEN),
        ("https://example.invalid", "../../x/y", TOKEN),
        ("https://example.invalid", DEFAULT_REPOSITORY, f"{TOKEN}\r\nX-Injected: 1"),
    ],
)
def test_bad_settings_are_refused_before_any_request(
    api_url: str, repository: str, token: str
) -> None:
    lookup = look_up_caches(api_url, repository, token, key_prefix="cpd-", timeout=0.5)
    assert lookup.listing is None
    assert lookup.problem is not None
    assert TOKEN not in lookup.problem
    assert "could not be reached" not in lookup.problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-01-24T22:45:36.000Z", datetime(2019, 1, 24, 22, 45, 36, tzinfo=timezone.utc)),
        (
            "2022-12-07T16:23:18.9766667Z",
            datetime(2022, 12, 7, 16, 23, 18, 976666, tzinfo=timezone.utc),
        ),
        ("2026-11-30T10:00:00+01:00", datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)),
    ],
)
def test_timestamps_as_github_writes_them(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("text", ["2019-01-24", "2019-13-24T22:45:36Z", "now", ""])
def test_anything_else_is_not_a_timestamp(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_timestamp(text)


def test_an_entry_without_created_at_or_version_is_still_read() -> None:
    entry = cache_entry(KEY.format("x"))
    del entry["created_at"], entry["version"]
    parsed = parse_entry(entry)
    assert parsed.created_at is None
    assert parsed.version == ""


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ('<https://api.github.com/r?page=2>; rel="next", <https://x?page=5>; rel="last"', True),
        ('<https://x?page=1>; rel="prev", <https://x?page=1>; rel="first"', False),
        ("<https://x?page=2>; rel=next", True),
    ],
)
def test_the_link_header_announces_the_next_page(header: str | None, expected: bool) -> None:
    assert has_next_page(header) is expected


def test_the_server_plays_the_operations_of_the_installed_description() -> None:
    description = load_description()
    assert description.version == locked_version()
    paths = {
        op.operation_id: (op.method, op.path_template) for op in description.operations.values()
    }
    assert paths == {
        LIST_CACHES: ("GET", "/repos/{owner}/{repo}/actions/caches"),
        CACHE_USAGE: ("GET", "/repos/{owner}/{repo}/actions/cache/usage"),
        DELETE_CACHE_BY_ID: ("DELETE", "/repos/{owner}/{repo}/actions/caches/{cache_id}"),
        DELETE_CACHES_BY_KEY: ("DELETE", "/repos/{owner}/{repo}/actions/caches"),
    }


def test_the_server_pages_by_the_documented_default_when_not_asked(
    server: GitHubApiServer,
) -> None:
    server.entries = entries(45)
    url = f"{server.base_url}/repos/{DEFAULT_REPOSITORY}/actions/caches"
    request = urllib.request.Request(
        url,
        headers={
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Authorization": f"Bearer {TOKEN}",
        },
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body = json.load(response)
        link = response.headers["Link"]
    default = documented_default(load_description().operations[LIST_CACHES], "per_page")
    assert len(body["actions_caches"]) == default
    assert body["total_count"] == 45
    assert 'rel="next"' in link
    assert 'rel="last"' in link


# -- the server's clock and deletions --------------------------------------------------------


def test_the_servers_clock_is_read_from_the_listings_date_header(server: GitHubApiServer) -> None:
    lookup = look_up(server)
    assert lookup.clock_offset is not None
    # The same machine's clock: only the Date header's whole seconds and the trip apart.
    assert timedelta(seconds=-2) < lookup.clock_offset <= timedelta(seconds=1)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Tue, 01 Dec 2026 12:00:05 GMT", timedelta(seconds=5)),
        ("Tue, 01 Dec 2026 11:58:00 GMT", timedelta(minutes=-2)),
        (None, None),
        ("", None),
        ("yesterday", None),
        ("Tue, 01 Dec 2026 12:00:05", None),  # no zone: no clock
    ],
)
def test_the_clock_offset_of_a_date_header(header: str | None, expected: timedelta | None) -> None:
    assert clock_offset(header, NOW) == expected


def doom_all(listing: CacheListing, _clock: timedelta | None) -> list[Doomed]:
    return [Doomed(entry, ("test",)) for entry in listing.entries]


def test_a_dry_run_plans_and_deletes_nothing(server: GitHubApiServer) -> None:
    server.entries = entries(3)
    lookup = look_up(server, tidy=Tidy(doom_all, dry_run=True))
    assert len(lookup.planned) == 3
    assert lookup.deletions == ()
    assert server.deletions() == []
    assert lookup.usage is not None


def test_deletions_stop_at_the_plans_limit_and_the_usage_is_read_after(
    server: GitHubApiServer,
) -> None:
    server.entries = entries(5)
    lookup = look_up(server, tidy=Tidy(doom_all, limit=2))
    assert [item.deleted for item in lookup.deletions] == [True, True]
    assert len(server.entries) == 3
    assert lookup.usage is not None and lookup.usage.active_caches_count == 3
    assert [r.operation_id for r in server.requests][-1] == CACHE_USAGE


def test_a_deletion_by_key_must_answer_with_a_cache_list(server: GitHubApiServer) -> None:
    server.entries = entries(1)
    server.send_body(DELETE_CACHES_BY_KEY, {"total_count": "one"})
    lookup = look_up(server, tidy=Tidy(doom_all, by_key=True))
    assert lookup.deletions == ()
    assert lookup.not_deleted is not None
    assert lookup.not_deleted.startswith("the API answered a deletion unexpectedly")
    server.validation_errors.clear()  # the malformed body was this test's own


def test_a_plan_that_fails_is_a_reason_not_an_exception(server: GitHubApiServer) -> None:
    def broken(listing: CacheListing, _clock: timedelta | None) -> list[Doomed]:
        raise KeyError("bug")

    lookup = look_up(server, tidy=Tidy(broken))
    assert lookup.problem == "unexpected KeyError"
    assert server.deletions() == []


def test_a_ref_filter_lists_only_that_refs_entries_over_every_page(
    server: GitHubApiServer,
) -> None:
    server.entries = [
        cache_entry(KEY.format(f"dep{i}"), ref="refs/pull/7/merge" if i % 2 else "refs/heads/main")
        for i in range(250)
    ]
    lookup = look_up(server, ref="refs/pull/7/merge", sort="created_at")
    assert lookup.listing is not None
    assert len(lookup.listing.entries) == lookup.listing.total_count == 125
    assert {entry.ref for entry in lookup.listing.entries} == {"refs/pull/7/merge"}
    requests = server.requests_for(LIST_CACHES)
    assert [request.query["page"] for request in requests] == [["1"], ["2"]]
    assert all(request.query["ref"] == ["refs/pull/7/merge"] for request in requests)
    assert all(request.query["sort"] == ["created_at"] for request in requests)
