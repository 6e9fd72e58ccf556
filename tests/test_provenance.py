"""The provenance record: written exactly, read defensively (it comes from a cache anyone with a
pull request may have written)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cache_python_deps.provenance import (
    MAX_RECORD_BYTES,
    Record,
    parse_record,
    read_record,
    record_for,
    saved_by_this_run,
    to_json,
    write_record,
)
from cache_python_deps.record_file import RECORD_NAME
from tests.support import recorded_keys

RUN = {
    "GITHUB_REPOSITORY": "octo/repo",
    "GITHUB_WORKFLOW": "CI",
    "GITHUB_RUN_ID": "123456",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_SERVER_URL": "https://github.com",
}


def make_record(
    dependency_hash: str = "abc123", probe: str = "cpython-3.12.7-alpine-musl-x86_64"
) -> Record:
    keys = recorded_keys(probe, dependency_hash=dependency_hash)
    return record_for(keys, saved_by_this_run(RUN, "2026-12-01T10:00:00Z"))


def test_a_record_survives_its_own_round_trip() -> None:
    record = make_record()
    assert parse_record(to_json(record)) == record
    assert record.saved_by.run_id == "123456"
    assert record.key == "-".join(value for _, value in record.components)


def test_malformed_run_variables_are_left_out_not_written() -> None:
    saved = saved_by_this_run(
        {**RUN, "GITHUB_REPOSITORY": "x\n::error::y", "GITHUB_RUN_ID": "12a"},
        "2026-12-01T10:00:00Z",
    )
    assert saved.repository is None and saved.run_id is None
    assert saved.workflow == "CI"


def test_differences_are_named_by_component() -> None:
    one, other = make_record("aaa"), make_record("bbb")
    assert one.differences(other) == ("dependencies",)
    assert one.identity_differences(other) == ()
    foreign = make_record("aaa", probe="cpython-3.12.7-alpine-musl-aarch64")
    assert foreign.identity_differences(one) == ("architecture",)


def _json(record: Record) -> dict[str, object]:
    data: dict[str, object] = json.loads(to_json(record))
    return data


def _too_long_a_key(data: dict[str, Any]) -> None:
    """Components that each pass, joined into a key longer than actions/cache takes."""
    components = data["components"]
    for name in components:
        components[name] = "x" * 100
    data["key"] = "-".join(components.values())


@pytest.mark.parametrize(
    ("mutate", "complaint"),
    [
        (lambda d: d.update(format=99), "not a record"),
        (lambda d: d.update(key=d["key"] + "x"), "does not match its components"),
        (lambda d: d["components"].update(os="linux\n::error::x"), "component 'os'"),
        (lambda d: d["components"].pop("libc"), "components are missing"),
        (lambda d: d["components"].update(extra="x"), "components are missing"),
        (lambda d: d["saved_by"].update(repository="<script>"), "repository"),
        (lambda d: d["saved_by"].update(sha="zz"), "sha"),
        (lambda d: d["saved_by"].update(time="yesterday"), "time"),
        (lambda d: d["saved_by"].update(workflow="a\u2028b"), "workflow"),
        (lambda d: d.update(saved_by=[]), "saved_by"),
        (lambda d: d.update(interpreter=7), "interpreter"),
        (lambda d: d.update(key=None), "not a valid cache key"),
        (lambda d: d.update(key="a,b"), "not a valid cache key"),
        (_too_long_a_key, "not a valid cache key"),
    ],
)
def test_every_field_is_validated(mutate: object, complaint: str) -> None:
    data = _json(make_record())
    mutate(data)  # type: ignore[operator]
    with pytest.raises(ValueError, match=complaint):
        parse_record(json.dumps(data))


def test_reading_never_raises_for_hostile_content(tmp_path: Path) -> None:
    cases = {
        "not json": b"{",
        "huge": b" " * (MAX_RECORD_BYTES + 1),
        "a list": b"[]",
        "binary": bytes(range(256)),
    }
    for name, content in cases.items():
        directory = tmp_path / name.replace(" ", "-")
        directory.mkdir()
        (directory / RECORD_NAME).write_bytes(content)
        found = read_record(directory)
        assert found.record is None, name
        assert found.problem is not None and "\n" not in found.problem, name


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory"])
def test_a_record_that_is_no_regular_file_is_ignored_without_blocking(
    tmp_path: Path, kind: str
) -> None:
    target = tmp_path / RECORD_NAME
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dev-zero":
        target.symlink_to("/dev/zero")
    else:
        target.mkdir()
    found = read_record(tmp_path)
    assert found.record is None
    assert found.problem is not None


def test_no_record_is_no_problem(tmp_path: Path) -> None:
    found = read_record(tmp_path)
    assert (found.record, found.problem) == (None, None)


def test_writing_replaces_a_symlink_and_never_writes_through_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / RECORD_NAME).symlink_to(outside)
    assert write_record(cache, make_record(), create=False)
    assert outside.read_text() == "keep me"
    assert not (cache / RECORD_NAME).is_symlink()
    assert read_record(cache).record == make_record()


def test_a_virtualenv_that_does_not_exist_yet_is_not_created(tmp_path: Path) -> None:
    venv = tmp_path / ".venv"
    assert not write_record(venv, make_record(), create=False)
    assert not venv.exists()
    assert write_record(tmp_path / "cache", make_record(), create=True)


def test_the_record_is_small_and_ascii() -> None:
    text = to_json(make_record()._replace(interpreter="/opt/pyth\u00f6n/bin/python3"))
    assert text.isascii()
    assert len(text.encode()) < 4096


def test_a_record_is_judged_the_same_without_assertions(tmp_path: Path) -> None:
    """Validity is decided by checks, not by assertions that ``python -O`` removes."""
    data = _json(make_record())
    _too_long_a_key(data)
    (tmp_path / "record.json").write_text(json.dumps(data))
    script = (
        "import sys; from pathlib import Path\n"
        "from cache_python_deps.provenance import InvalidRecordError, parse_record\n"
        "try:\n"
        "    parse_record(Path(sys.argv[1]).read_text())\n"
        "except InvalidRecordError as error:\n"
        "    print(error)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-O", "-c", script, str(tmp_path / "record.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.stdout.strip() == "its key is missing or not a valid cache key"
