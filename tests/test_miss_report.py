"""Why there was no exact hit, in one line and in the parts of the job summary a person
understands."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cache_python_deps.entries.client import CacheEntry, CacheListing, CacheUsage, Lookup
from cache_python_deps.entries.miss_report import (
    DEFAULT_STORAGE_LIMIT_BYTES,
    MissReport,
    Scope,
    default_branch_from_event,
    explain,
    explain_without_exact_hit,
    human_age,
)
from cache_python_deps.github import human_size, phrase_markdown
from cache_python_deps.keys import COMPONENT_NAMES
from cache_python_deps.summary import notes_list
from tests.github_api_server import DEFAULT_REPOSITORY, GitHubApiServer, api_server, cache_entry
from tests.github_openapi import CACHE_USAGE, LIST_CACHES

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
TOKEN = "ghs_NeverShowThisToken42"
PRIMARY = "cpd-2-linux-ubuntu24.04-x86_64-64bit-glibc2.39-cpython-cp313-3.13-pip.2-tool-newdeps"
MAIN = Scope(ref="refs/heads/main", default_branch="main", base_ref=None)
FEATURE = Scope(ref="refs/heads/feature-y", default_branch="main", base_ref=None)


def summary_part(report: MissReport) -> str:
    """What the record step shows of a report in the job summary (see steps/record.py): the
    why, the nearest entries, the notes."""
    parts = (phrase_markdown(report.why), report.entries_markdown, notes_list(report.notes))
    return "\n\n".join(part for part in parts if part)


def key(**changes: str) -> str:
    """PRIMARY with some components replaced (names with underscores for spaces)."""
    fields = PRIMARY.split("-", len(COMPONENT_NAMES) - 1)
    for name, value in changes.items():
        fields[COMPONENT_NAMES.index(name.replace("_", " "))] = value
    return "-".join(fields)


_ids = iter(range(1, 10**6))


def entry(
    text: str,
    *,
    ref: str = "refs/heads/main",
    unused: timedelta = timedelta(hours=2),
    size: int = 0,
) -> CacheEntry:
    return CacheEntry(
        id=next(_ids),
        ref=ref,
        key=text,
        version="v",
        last_accessed_at=NOW - unused,
        created_at=None,
        size_in_bytes=size or 123_000_000,
    )


def lookup(*entries: CacheEntry, used: int | None = None, total: int | None = None) -> Lookup:
    usage = CacheUsage(
        active_caches_size_in_bytes=sum(e.size_in_bytes for e in entries) if used is None else used,
        active_caches_count=len(entries),
    )
    listing = CacheListing(entries=entries, total_count=len(entries) if total is None else total)
    return Lookup(listing=listing, usage=usage, problem=None)


def report_for(
    *entries: CacheEntry, scope: Scope = MAIN, matched_key: str | None = None
) -> MissReport:
    return explain(PRIMARY, scope, lookup(*entries), NOW, matched_key=matched_key)


def headline(report: MissReport) -> str:
    return report.log_line.removeprefix("cache-python-deps: no exact hit: ")


def test_first_run() -> None:
    report = report_for()
    assert headline(report) == "first run: this repository has no cache entry of this action yet"
    assert "| nearest entry |" not in summary_part(report)


def test_new_interpreter_names_the_interpreters_that_have_entries() -> None:
    report = report_for(
        entry(key(abi_tag="cp312", abi_epoch="3.12")),
        entry(key(abi_tag="cp311", abi_epoch="3.11"), unused=timedelta(hours=5)),
    )
    assert headline(report) == (
        "no entry for cp313 yet, entries exist for cp312 and cp311: first run of this interpreter"
    )
    assert "no entry for `cp313` yet, entries exist for `cp312` and `cp311`" in (
        summary_part(report)
    )


def test_new_dependencies_on_a_readable_ref() -> None:
    report = report_for(entry(key(dependencies="olddeps")))
    assert headline(report).startswith("same interpreter, dependencies changed")
    assert "dependencies `olddeps`" in summary_part(report)


def test_a_partial_restore_names_the_entry_it_restored() -> None:
    old = key(dependencies="olddeps")
    report = report_for(entry(old), matched_key=old)
    assert f"restored {old} by the restore key (a partial restore)" in report.log_line


def test_an_entry_on_a_sibling_branch_is_out_of_this_refs_scope() -> None:
    report = report_for(entry(PRIMARY, ref="refs/heads/feature-x"), scope=FEATURE)
    text = headline(report)
    assert text.startswith(
        "an entry with this very key exists, but it is on refs/heads/feature-x, "
        "which this ref's scope (refs/heads/feature-y) cannot read"
    )
    assert "(other scope)" in summary_part(report)


def test_the_same_key_on_the_default_branch_is_readable_from_a_branch() -> None:
    report = report_for(entry(PRIMARY, ref="refs/heads/main"), scope=FEATURE)
    assert "was not restored" in headline(report)
    assert "(readable)" in summary_part(report)


def test_a_pull_request_reads_its_base_branch() -> None:
    scope = Scope(ref="refs/pull/7/merge", default_branch="main", base_ref="release/v1")
    report = report_for(entry(key(dependencies="old"), ref="refs/heads/release/v1"), scope=scope)
    assert headline(report).startswith("same interpreter, dependencies changed:")


def test_dependencies_changed_but_the_nearest_entry_is_in_another_scope() -> None:
    report = report_for(entry(key(dependencies="old"), ref="refs/heads/feature-x"), scope=FEATURE)
    text = headline(report)
    assert text.startswith("same interpreter, dependencies changed; the nearest entry cannot help")
    assert "refs/heads/feature-x" in text


def test_without_a_known_default_branch_the_scope_is_said_to_depend_on_it() -> None:
    scope = Scope(ref="refs/heads/feature-y", default_branch=None, base_ref=None)
    report = report_for(entry(PRIMARY, ref="refs/heads/trunk"), scope=scope)
    assert "can read only if that is the default branch" in headline(report)


def test_an_entry_unused_for_eight_days_is_evicted() -> None:
    report = report_for(entry(PRIMARY, unused=timedelta(days=8, hours=1)))
    assert headline(report) == (
        "the entry with this key was last used 8 days ago: evicted after 7 days unused"
    )


def test_an_entry_unused_for_six_days_is_about_to_be_evicted() -> None:
    report = report_for(entry(key(dependencies="old"), unused=timedelta(days=6, hours=3)))
    assert "6 days ago: evicted when 7 days unused, unless a run uses it first" in (
        summary_part(report)
    )


def test_near_the_repositorys_limit_there_is_a_notice() -> None:
    used = int(DEFAULT_STORAGE_LIMIT_BYTES * 0.93)
    report = explain(PRIMARY, MAIN, lookup(entry(PRIMARY), used=used), NOW)
    assert report.notice is not None
    assert f"{human_size(used)} of the {human_size(DEFAULT_STORAGE_LIMIT_BYTES)} limit (93%)" in (
        report.notice
    )
    assert "evicts the least recently used" in report.notice


def test_far_from_the_limit_there_is_no_notice_but_the_use_is_shown() -> None:
    used = DEFAULT_STORAGE_LIMIT_BYTES // 5
    report = explain(PRIMARY, MAIN, lookup(entry(PRIMARY), used=used), NOW)
    assert report.notice is None
    assert f"{human_size(used)} of the" in summary_part(report)


def test_each_entry_shows_its_size_and_last_use() -> None:
    report = report_for(entry(key(dependencies="old"), size=2_500_000, unused=timedelta(hours=3)))
    row = next(line for line in summary_part(report).splitlines() if "`old`" in line)
    assert "| 2.5 MB | 3 hours ago |" in row


def test_a_key_format_change_is_explained() -> None:
    report = report_for(entry(key(key_format="1")))
    assert headline(report).startswith("entries exist only in key format 1")


def test_a_runner_image_change_is_explained() -> None:
    report = report_for(entry(key(os_release="ubuntu22.04")))
    assert headline(report) == (
        "no entry for os release ubuntu24.04 yet, entries exist for ubuntu22.04: "
        "the runner image changed"
    )


def test_a_tool_change_is_explained() -> None:
    report = report_for(entry(key(tool="uv.1")))
    assert "first run with this tool" in headline(report)


def test_a_virtualenv_of_another_install_is_explained() -> None:
    venv = key(cache_kind="venv.3.13.1.aaaaaaaaaaaa")
    other = key(cache_kind="venv.3.13.0.bbbbbbbbbbbb")
    report = explain(venv, MAIN, lookup(entry(other)), NOW)
    assert "no virtualenv for this interpreter install yet" in headline(report)


def test_the_nearest_entries_come_first() -> None:
    far = entry(key(abi_tag="cp311", abi_epoch="3.11"), unused=timedelta(minutes=1))
    near = entry(key(dependencies="old"), unused=timedelta(days=2))
    report = report_for(far, near)
    rows = [line for line in summary_part(report).splitlines() if line.startswith("| `")]
    assert "`old`" in rows[0]
    assert "cp311" in rows[1]


def test_a_partial_listing_says_so() -> None:
    listing = lookup(entry(key(dependencies="old")), total=750)
    report = explain(PRIMARY, MAIN, listing, NOW)
    assert "most recently used of 750 entries" in summary_part(report)


@pytest.mark.parametrize(
    "problem",
    [
        "the token may not list caches (403): the job needs `permissions: actions: read`",
        "the cache API was not found (404): GitHub Enterprise Server without it, or a repository",
        "the API did not answer in time",
        "the GitHub API rate limit is exhausted for this token; try again later",
    ],
)
def test_a_failed_lookup_is_one_line_and_nothing_more(problem: str) -> None:
    report = explain(PRIMARY, MAIN, Lookup(None, None, problem), NOW)
    assert (
        report.log_line
        == f"cache-python-deps: no exact hit: cache entries not looked up: {problem}"
    )
    assert report.notice is None
    assert not report.explained
    assert summary_part(report) == f"cache entries not looked up: {problem}"  # the one line


HOSTILE = [
    "refs/heads/x\n::warning::pwned",
    "refs/heads/##[error]boom",
    "refs/heads/<script>alert(1)</script>",
    "refs/heads/`code`|pipe|",
    "refs/heads/\r::error::carriage",
    "::add-mask::refs",
]


def _outside_code_spans(markdown: str) -> str:
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", markdown)


def test_hostile_text_from_the_api_stays_inert_everywhere() -> None:
    listed = [entry(key(dependencies="old"), ref=ref) for ref in HOSTILE]
    stranger = entry("cpd-2-x\n::warning::stranger`|<b>", ref="refs/heads/main")
    scope = Scope(ref=HOSTILE[0], default_branch="main", base_ref=None)
    report = explain(PRIMARY, scope, lookup(*listed, stranger), NOW)
    for line in (report.log_line, *report.text_lines):
        assert "\n" not in line
        assert "\r" not in line
        assert not line.lstrip().startswith("::")
        assert "##[" not in line
    markdown_lines = summary_part(report).splitlines()
    rows = [line for line in markdown_lines if line.startswith("| `")]
    assert len(rows) == 5  # one row per shown entry: no line break got through
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 6  # five cells, no pipe got through
    outside = _outside_code_spans(summary_part(report))
    for needle in ("<script>", "<b>", "::warning", "::error", "##[", "pwned", "stranger"):
        assert needle not in outside
    assert not any(line.lstrip().startswith("::") for line in markdown_lines)


def test_human_units() -> None:
    assert human_size(999) == "999 B"
    assert human_size(1_500) == "1.5 kB"
    assert human_size(10 * 1000**3) == "10 GB"
    assert human_age(timedelta(seconds=30)) == "just now"
    assert human_age(timedelta(minutes=1)) == "1 minute ago"
    assert human_age(timedelta(days=8, hours=23)) == "8 days ago"


# -- the I/O edge: environment, event payload, the API ---------------------------------------


@pytest.fixture
def server() -> Iterator[GitHubApiServer]:
    yield from api_server(token=TOKEN)


def runner_environment(server: GitHubApiServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"default_branch": "trunk"}}))
    return {
        "GITHUB_API_URL": server.base_url,
        "GITHUB_REPOSITORY": DEFAULT_REPOSITORY,
        "GITHUB_REF": "refs/heads/feature-y",
        "GITHUB_BASE_REF": "",
        "GITHUB_EVENT_PATH": str(event),
        "CPD_TOKEN": TOKEN,
        **extra,
    }


def served(text: str, **options: Any) -> dict[str, Any]:
    options.setdefault("last_accessed", NOW - timedelta(hours=1))
    return cache_entry(text, **options)


def test_the_runners_environment_and_the_event_give_the_scope(
    server: GitHubApiServer, tmp_path: Path
) -> None:
    server.entries = [served(key(dependencies="old"), ref="refs/heads/trunk")]
    report = explain_without_exact_hit(runner_environment(server, tmp_path), PRIMARY, now=NOW)
    assert headline(report).startswith("same interpreter, dependencies changed:")
    assert "(readable)" in summary_part(report)
    (request,) = server.requests_for(LIST_CACHES)
    assert request.query["key"] == ["cpd-"]
    assert len(server.requests_for(CACHE_USAGE)) == 1


def test_the_restore_steps_matched_key_is_read_from_the_environment(
    server: GitHubApiServer, tmp_path: Path
) -> None:
    old = key(dependencies="old")
    server.entries = [served(old, ref="refs/heads/trunk")]
    environment = runner_environment(server, tmp_path, CPD_RESTORE_MATCHED_KEY=old)
    report = explain_without_exact_hit(environment, PRIMARY, now=NOW)
    assert "a partial restore" in report.log_line


def test_without_a_token_no_request_is_made(server: GitHubApiServer, tmp_path: Path) -> None:
    environment = runner_environment(server, tmp_path, CPD_TOKEN="")
    report = explain_without_exact_hit(environment, PRIMARY, now=NOW)
    assert "no token" in report.log_line
    assert server.requests == []


@pytest.mark.parametrize(
    ("status", "headers", "words"),
    [
        (403, {}, "actions: read"),
        (404, {}, "GitHub Enterprise Server"),
        (429, {"retry-after": "30"}, "rate limit"),
    ],
)
def test_api_refusals_are_one_line_and_never_show_the_token(
    server: GitHubApiServer, tmp_path: Path, status: int, headers: dict[str, str], words: str
) -> None:
    server.fail(status, headers=headers)
    report = explain_without_exact_hit(runner_environment(server, tmp_path), PRIMARY, now=NOW)
    assert words in report.log_line
    for text in (report.log_line, summary_part(report), *report.text_lines):
        assert TOKEN not in text


def test_a_timeout_is_one_line(server: GitHubApiServer, tmp_path: Path) -> None:
    server.delay = 5.0
    environment = runner_environment(server, tmp_path)
    report = explain_without_exact_hit(environment, PRIMARY, now=NOW, timeout=0.3)
    assert report.log_line.endswith("cache entries not looked up: the API did not answer in time")


def test_hostile_entries_from_the_api_stay_inert(server: GitHubApiServer, tmp_path: Path) -> None:
    server.entries = [served(key(dependencies="old"), ref=ref) for ref in HOSTILE]
    report = explain_without_exact_hit(runner_environment(server, tmp_path), PRIMARY, now=NOW)
    assert "\n" not in report.log_line
    assert "<script>" not in _outside_code_spans(summary_part(report))
    assert TOKEN not in summary_part(report)


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        json.dumps({"repository": {"default_branch": "a\nb"}}),
        json.dumps({"repository": {"default_branch": 7}}),
        json.dumps({"repository": "x"}),
        json.dumps(["x"]),
    ],
)
def test_an_unusable_event_payload_leaves_the_default_branch_unknown(
    tmp_path: Path, payload: str
) -> None:
    event = tmp_path / "event.json"
    event.write_text(payload)
    assert default_branch_from_event(str(event)) is None


def test_the_event_payload_must_be_a_regular_file(tmp_path: Path) -> None:
    assert default_branch_from_event(str(tmp_path)) is None
    assert default_branch_from_event(str(tmp_path / "missing.json")) is None
    assert default_branch_from_event(None) is None


def test_an_unexpected_error_in_the_explanation_never_escapes(
    server: GitHubApiServer, tmp_path: Path
) -> None:
    server.entries = [served(key(dependencies="old"))]
    naive_now = NOW.replace(tzinfo=None)  # cannot be compared with the API's aware timestamps
    report = explain_without_exact_hit(runner_environment(server, tmp_path), PRIMARY, now=naive_now)
    assert (
        report.log_line == "cache-python-deps: no exact hit: no explanation: unexpected TypeError"
    )


def test_a_partial_restore_is_named_whatever_the_nearest_entry() -> None:
    old = key(dependencies="old")
    report = report_for(
        entry(PRIMARY, ref="refs/heads/feature-x"), entry(old), scope=FEATURE, matched_key=old
    )
    assert headline(report).startswith("an entry with this very key exists, but it is on")
    assert headline(report).endswith(f"; restored {old} by the restore key instead")
