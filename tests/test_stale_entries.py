"""Which cache entries go: the damaged one a failed restore tried, and superseded ones (pure).

Each "never" of the rules has a test that offers exactly that entry and checks it stays.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import pytest

from cache_python_deps.entries.client import (
    CacheEntry,
    CacheListing,
    Deletion,
    Doomed,
    Lookup,
    parse_entry,
)
from cache_python_deps.entries.miss_report import Scope
from cache_python_deps.entries.stale import (
    DAMAGED_WHY,
    MAX_DELETIONS_PER_RUN,
    UNKNOWN_CLOCK_ALLOWANCE,
    DamagedEntryRule,
    cache_versions,
    deletion_markdown,
    deletion_text_lines,
    entries_of_ref,
    restore_order,
    server_time,
    superseded_entries,
    superseded_in_ref,
)
from cache_python_deps.github import Untrusted
from tests.e2e.act_harness import STANDIN_DIR
from tests.github_api_server import cache_entry
from tests.markdown_check import foreign_elements

PREFIX = "cpd-2-linux-ubuntu24.04-x86_64-64bit-glibc2.39-cpython-cp312-3.12-pip.2-tool-"
PRIMARY = PREFIX + "deps-new"
PATH = "/home/runner/.cache/pip"
VERSIONS = cache_versions(PATH)
VERSION = sorted(VERSIONS)[0]
OTHER_PATH_VERSION = sorted(cache_versions("/home/runner/work/repo/repo/.pip-cache"))[0]
MAIN = "refs/heads/main"
FEATURE = "refs/heads/feature"
PR = "refs/pull/7/merge"
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)  # the keys step's time
SCOPE = Scope(ref=MAIN, default_branch="main", base_ref=None)
PR_SCOPE = Scope(ref=PR, default_branch="main", base_ref="feature")


def entry(
    key: str,
    *,
    ref: str = MAIN,
    created: datetime = T0 - timedelta(days=1),
    version: str = VERSION,
    entry_id: int | None = None,
) -> CacheEntry:
    return parse_entry(
        cache_entry(
            key, ref=ref, created=created, last_accessed=created, version=version, entry_id=entry_id
        )
    )


def superseded(entries: Sequence[CacheEntry], scope: Scope = SCOPE, **options: int) -> list[str]:
    doomed = superseded_entries(
        entries, primary_key=PRIMARY, scope=scope, versions=VERSIONS, **options
    )
    return [item.entry.key for item in doomed]


# -- cache versions: what actions/cache computes ---------------------------------------------


def test_cache_versions_hold_what_the_real_actions_cache_library_computes() -> None:
    node = shutil.which("node")
    library = STANDIN_DIR / "node_modules" / "@actions" / "cache" / "lib" / "internal"
    if node is None or not (library / "cacheUtils.js").is_file():
        pytest.skip("node and the actions/cache stand-in's node_modules are needed")
    script = (
        f"const u = require({json.dumps(str(library / 'cacheUtils.js'))});"
        "const out = [];"
        "for (const m of ['zstd-without-long', 'zstd', 'gzip']) {"
        f"  out.push(u.getCacheVersion([{json.dumps(PATH)}], m, false));"
        "}"
        "console.log(JSON.stringify(out));"
    )
    completed = subprocess.run(
        [node, "-e", script], capture_output=True, text=True, timeout=60, check=True
    )
    computed = json.loads(completed.stdout)
    assert len(set(computed)) == 3
    assert set(computed) <= VERSIONS
    assert not set(computed) & cache_versions(PATH + "/")


# -- superseded entries after an exact hit ---------------------------------------------------


def test_older_entries_of_this_ref_and_prefix_are_superseded_oldest_first() -> None:
    entries = [
        entry(PRIMARY, created=T0 - timedelta(hours=1)),
        entry(PREFIX + "deps-b", created=T0 - timedelta(days=2)),
        entry(PREFIX + "deps-a", created=T0 - timedelta(days=3)),
    ]
    assert superseded(entries) == [PREFIX + "deps-a", PREFIX + "deps-b"]
    doomed = superseded_entries(entries, primary_key=PRIMARY, scope=SCOPE, versions=VERSIONS)
    assert doomed[0].why == ("superseded by ", PRIMARY)


def test_never_another_refs_entries() -> None:
    entries = [
        entry(PRIMARY, created=T0 - timedelta(hours=1)),
        entry(PREFIX + "deps-a", ref=FEATURE, created=T0 - timedelta(days=3)),
        entry(PREFIX + "deps-b", ref=PR, created=T0 - timedelta(days=3)),
    ]
    assert superseded(entries) == []


@pytest.mark.parametrize(
    "other",
    [
        # another interpreter, another tool, another kind, another key format
        "cpd-2-linux-ubuntu24.04-x86_64-64bit-glibc2.39-cpython-cp311-3.11-pip.2-tool-deps-a",
        "cpd-2-linux-ubuntu24.04-x86_64-64bit-glibc2.39-cpython-cp312-3.12-uv.1-tool-deps-a",
        "cpd-2-linux-ubuntu24.04-x86_64-64bit-glibc2.39-cpython-cp312-3.12-pip.2-venv.3.12.1.ab-d",
        "cpd-1-linux-ubuntu24.04-x86_64-64bit-glibc2.39-cpython-cp312-3.12-pip.2-tool-deps-a",
    ],
)
def test_never_another_prefixs_entries(other: str) -> None:
    entries = [entry(PRIMARY, created=T0), entry(other, created=T0 - timedelta(days=3))]
    assert superseded(entries) == []


@pytest.mark.parametrize(
    "stranger",
    [
        # starts with the prefix but is no key this action writes (a field it never writes)
        PREFIX + "deps a",
        PREFIX + "deps,a",
        # the original action's key and someone else's key
        "Linux-python-dep-cache-stable-" + "ab" * 64 + "-" + "ab" * 64 + "-deps",
        "setup-python-Linux-x64-24.04-python-3.12.1-pip-0123",
    ],
)
def test_never_a_key_that_is_not_this_actions_format(stranger: str) -> None:
    entries = [entry(PRIMARY, created=T0), entry(stranger, created=T0 - timedelta(days=3))]
    assert superseded(entries) == []


def test_never_the_entry_just_restored_nor_another_of_its_key() -> None:
    entries = [
        entry(PRIMARY, created=T0 - timedelta(hours=1)),
        # the same key once more, older (act's server keeps such twins), and in other case
        entry(PRIMARY, created=T0 - timedelta(days=2)),
        entry(PRIMARY.upper().replace("CPD-", "cpd-"), created=T0 - timedelta(days=2)),
    ]
    assert superseded(entries) == []


def test_never_a_newer_one() -> None:
    entries = [
        entry(PRIMARY, created=T0 - timedelta(days=1)),
        entry(PREFIX + "deps-later", created=T0 - timedelta(hours=1)),
        entry(PREFIX + "deps-same-second", created=T0 - timedelta(days=1)),
    ]
    assert superseded(entries) == []


def test_never_another_version_nor_one_without_a_creation_time() -> None:
    undated = cache_entry(PREFIX + "deps-undated", ref=MAIN, version=VERSION)
    del undated["created_at"]
    entries = [
        entry(PRIMARY, created=T0),
        entry(
            PREFIX + "deps-elsewhere", created=T0 - timedelta(days=3), version=OTHER_PATH_VERSION
        ),
        parse_entry(undated),
    ]
    assert superseded(entries) == []


def test_the_anchor_must_be_a_primary_entry_this_run_can_read() -> None:
    # The primary key exists only in a scope this run cannot read, or of another path.
    unreadable = [
        entry(PRIMARY, ref=FEATURE, created=T0),
        entry(PREFIX + "deps-a", created=T0 - timedelta(days=3)),
    ]
    assert superseded(unreadable) == []
    other_path = [
        entry(PRIMARY, created=T0, version=OTHER_PATH_VERSION),
        entry(PREFIX + "deps-a", created=T0 - timedelta(days=3), version=OTHER_PATH_VERSION),
    ]
    assert superseded(other_path) == []


def test_a_pull_request_hit_on_the_default_branch_supersedes_only_its_own_entries() -> None:
    entries = [
        entry(PRIMARY, ref=MAIN, created=T0 - timedelta(hours=1)),
        entry(PREFIX + "deps-pr-old", ref=PR, created=T0 - timedelta(days=1)),
        entry(PREFIX + "deps-main-old", ref=MAIN, created=T0 - timedelta(days=1)),
    ]
    assert superseded(entries, PR_SCOPE) == [PREFIX + "deps-pr-old"]


def test_a_run_without_a_ref_deletes_nothing() -> None:
    entries = [entry(PRIMARY, created=T0), entry(PREFIX + "a", created=T0 - timedelta(days=1))]
    assert superseded(entries, Scope(ref=None, default_branch="main", base_ref=None)) == []


def test_at_most_twenty_go_in_one_run_the_oldest() -> None:
    stale = [
        entry(PREFIX + f"deps-{index:02d}", created=T0 - timedelta(days=2, minutes=index))
        for index in range(30)
    ]
    kept = superseded([entry(PRIMARY, created=T0), *stale])
    assert len(kept) == MAX_DELETIONS_PER_RUN == 20
    assert kept == [PREFIX + f"deps-{index:02d}" for index in range(29, 9, -1)]


# -- the damaged entry a failed restore tried ------------------------------------------------


def rule(scope: Scope = SCOPE) -> DamagedEntryRule:
    return DamagedEntryRule(primary_key=PRIMARY, scope=scope, versions=VERSIONS, keys_step_time=T0)


def damaged(
    entries: Sequence[CacheEntry], *, offset: timedelta | None = timedelta(0), scope: Scope = SCOPE
) -> CacheEntry | None:
    return rule(scope).damaged(entries, offset)


def test_the_primary_entry_created_before_the_keys_step_is_the_damaged_one() -> None:
    bad = entry(PRIMARY, created=T0 - timedelta(days=1))
    assert damaged([bad, entry(PREFIX + "deps-old")]) == bad
    listing = CacheListing(entries=(bad,), total_count=1)
    (doomed,) = rule().plan(listing, timedelta(0))
    assert doomed.entry == bad
    assert doomed.why == DAMAGED_WHY


def test_an_entry_with_this_key_created_after_the_keys_step_is_never_deleted() -> None:
    # A concurrent job saved the key after this job's keys step (so after or during its
    # restore): it may be a fresh, good entry this restore never tried.
    fresh = entry(PRIMARY, created=T0 + timedelta(seconds=1))
    assert damaged([fresh]) is None
    assert damaged([entry(PRIMARY, created=T0)]) is None  # the same second: not before


def test_a_fresh_save_in_the_nearest_ref_spares_an_older_one_further_away() -> None:
    # The restore looks in this run's own ref first: if that entry is the fresh one, the
    # default branch's older entry with this key was not what failed.
    entries = [
        entry(PRIMARY, ref=PR, created=T0 + timedelta(seconds=5)),
        entry(PRIMARY, ref=MAIN, created=T0 - timedelta(days=1)),
    ]
    assert damaged(entries, scope=PR_SCOPE) is None


@pytest.mark.parametrize(
    ("refs", "expected"),
    [
        ((PR, FEATURE, MAIN), PR),  # this run's own ref first
        ((FEATURE, MAIN), FEATURE),  # then the pull request's base branch
        ((MAIN,), MAIN),  # then the default branch
    ],
)
def test_the_entry_tried_is_the_one_of_the_nearest_ref(
    refs: tuple[str, ...], expected: str
) -> None:
    entries = [entry(PRIMARY, ref=ref) for ref in refs]
    found = damaged(entries, scope=PR_SCOPE)
    assert found is not None and found.ref == expected


def test_never_an_entry_of_a_ref_this_run_cannot_surely_read() -> None:
    assert damaged([entry(PRIMARY, ref="refs/heads/other")]) is None
    unknown_default = Scope(ref=FEATURE, default_branch=None, base_ref=None)
    assert damaged([entry(PRIMARY, ref=MAIN)], scope=unknown_default) is None
    assert restore_order(unknown_default, MAIN) is None


def test_never_another_version_nor_another_key() -> None:
    assert damaged([entry(PRIMARY, version=OTHER_PATH_VERSION)]) is None
    assert damaged([entry(PREFIX + "deps-old"), entry(PREFIX + "deps-new-x")]) is None


def test_keys_are_compared_ignoring_case() -> None:
    shouted = entry(PRIMARY.replace("deps-new", "DEPS-NEW"))
    assert damaged([shouted]) == shouted


def test_the_keys_step_time_is_read_on_the_apis_clock() -> None:
    # The runner's clock is 5 minutes fast: an entry saved (server time) 2 minutes after the
    # keys step really ran looks older than the runner's reading, but not on the API's clock.
    created = T0 - timedelta(minutes=3)
    concurrent = entry(PRIMARY, created=created)
    assert damaged([concurrent], offset=timedelta(0)) == concurrent  # clocks agreed
    assert damaged([concurrent], offset=-timedelta(minutes=5)) is None
    # Without the API's Date header a fixed allowance stands in for the offset.
    assert server_time(T0, None) == T0 - UNKNOWN_CLOCK_ALLOWANCE
    assert damaged([concurrent], offset=None) is None
    assert damaged([entry(PRIMARY, created=T0 - timedelta(minutes=6))], offset=None) is not None


# -- the command line's rules for one ref ----------------------------------------------------


def test_every_entry_of_this_action_in_a_closed_pull_requests_ref() -> None:
    entries = [
        entry(PRIMARY, ref=PR, entry_id=1),
        entry(PREFIX + "deps-a", ref=PR, entry_id=2),
        entry(PREFIX + "deps-main", ref=MAIN, entry_id=3),
        entry("setup-python-Linux-x64-pip-0123", ref=PR, entry_id=4),
    ]
    doomed = entries_of_ref(entries, ref=PR, limit=100)
    assert [item.entry.id for item in doomed] == [1, 2]


def test_the_superseded_rule_for_every_prefix_of_a_ref() -> None:
    cp311 = PREFIX.replace("cp312-3.12", "cp311-3.11")
    entries = [
        entry(PREFIX + "new", created=T0),
        entry(PREFIX + "old", created=T0 - timedelta(days=1)),
        entry(cp311 + "new", created=T0 - timedelta(days=5)),
        entry(cp311 + "old", created=T0 - timedelta(days=6)),
        entry(PREFIX + "other-path", created=T0 - timedelta(days=2), version=OTHER_PATH_VERSION),
        entry(PREFIX + "feature", ref=FEATURE, created=T0 - timedelta(days=9)),
    ]
    doomed = superseded_in_ref(entries, ref=MAIN, limit=100)
    assert [item.entry.key for item in doomed] == [cp311 + "old", PREFIX + "old"]


# -- how deletions read: untrusted keys and refs stay inert ----------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        "refs/heads/x\n::error::owned",
        "refs/heads/<img src=x onerror=alert(1)>",
        "`| x |`",
        "##[error]y",
    ],
)
def test_hostile_refs_and_keys_in_deletions_are_escaped_for_each_sink(hostile: str) -> None:
    doomed = Doomed(entry(PREFIX + "deps-a", ref=hostile), ("superseded by ", Untrusted(hostile)))
    lookup = Lookup(
        CacheListing(entries=(doomed.entry,), total_count=1),
        None,
        None,
        planned=(doomed,),
        deletions=(Deletion(doomed), Deletion(doomed, problem="already gone (404)")),
    )
    markdown = deletion_markdown(lookup)
    assert foreign_elements(markdown) == set()
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(rows) == 3  # the header, its rule and one entry: no row or line from a value
    assert all(len(re.findall(r"(?<!\\)\|", row)) == 5 for row in rows)  # four cells each
    for line in deletion_text_lines(lookup):
        assert "\n" not in line and "##[" not in line and not line.lstrip().startswith("::")
