"""Keys read back into named components, and two keys compared component by component."""

from __future__ import annotations

import hashlib

import pytest

from cache_python_deps.entries.key_format import (
    MEANINGS,
    ORIGINAL_FORMAT,
    VIRTUALENV_MEANING,
    NotAKeyError,
    describe_diff,
    diff_keys,
    meaning,
    parse_key,
)
from cache_python_deps.keys import (
    COMPONENT_NAMES,
    KEY_FORMAT_VERSION,
    CacheKeys,
    CacheKind,
)
from tests.support import RECORDED_PROBES, recorded_keys

PIP_312 = "cpd-2-linux-ubuntu24.04-x86_64-64bit-glibc2.39-cpython-cp312-3.12-pip.2-tool-0a1b2c"
ALPHA_VENV = (
    "cpd-2-linux-ubuntu24.04-x86_64-64bit-glibc2.39-cpython-cp314-3.14.0a2.1a2b3c4d5e6f-uv.1-"
    "venv.3.14.0a2.9f8e7d6c5b4a-nodeps"
)
VERSION_HASH = hashlib.sha512(b"3.12.1 (main, Dec  8 2023, 05:40:51) [GCC 11.4.0]").hexdigest()
ORIGINAL = f"Linux-python-dep-cache-stable-{VERSION_HASH}-{VERSION_HASH}-d41d8cd98f00b204"


def compose(probe: str, kind: CacheKind, dependency_hash: str | None) -> CacheKeys:
    return recorded_keys(probe, kind=kind, dependency_hash=dependency_hash)


def with_component(key: str, name: str, value: str) -> str:
    fields = key.split("-", len(COMPONENT_NAMES) - 1)
    fields[COMPONENT_NAMES.index(name)] = value
    return "-".join(fields)


@pytest.mark.parametrize("probe", RECORDED_PROBES)
@pytest.mark.parametrize("kind", list(CacheKind))
@pytest.mark.parametrize("dependency_hash", [None, "abc-def_1.2+x=", "a\nmulti-line, hash"])
def test_every_composed_key_reads_back_into_its_components(
    probe: str, kind: CacheKind, dependency_hash: str | None
) -> None:
    keys = compose(probe, kind, dependency_hash)
    parsed = parse_key(keys.primary)
    assert parsed.complete
    assert parsed.key_format == str(KEY_FORMAT_VERSION)
    assert parsed.components == tuple((c.name, c.value) for c in keys.components)


@pytest.mark.parametrize("probe", RECORDED_PROBES[:4])
def test_the_action_prefixes_read_as_incomplete_keys(probe: str) -> None:
    keys = compose(probe, CacheKind.TOOL, "abc")
    for prefix in (*keys.restore_keys, keys.for_os, keys.for_python_interpreter):
        parsed = parse_key(prefix)
        assert not parsed.complete
        assert keys.primary.startswith(prefix)
        assert parsed.components == tuple(
            (c.name, c.value) for c in keys.components[: len(parsed.components)]
        )


def test_the_examples_of_the_key_layout_read_field_by_field() -> None:
    parsed = parse_key(ALPHA_VENV)
    assert parsed.get("abi epoch") == "3.14.0a2.1a2b3c4d5e6f"
    assert parsed.get("tool") == "uv.1"
    assert parsed.get("cache kind") == "venv.3.14.0a2.9f8e7d6c5b4a"
    assert parsed.get("dependencies") == "nodeps"
    assert parse_key(PIP_312).get("abi tag") == "cp312"


def test_format_1_keys_are_read_with_the_same_layout() -> None:
    parsed = parse_key(PIP_312.replace("cpd-2-", "cpd-1-"))
    assert parsed.key_format == "1"
    assert parsed.get("libc") == "glibc2.39"


def test_a_dependency_hash_with_dashes_stays_one_component() -> None:
    parsed = parse_key(with_component(PIP_312, "dependencies", "v1-lock-abc"))
    assert parsed.get("dependencies") == "v1-lock-abc"
    assert parsed.complete


def test_the_original_actions_keys_and_prefixes_are_recognised() -> None:
    parsed = parse_key(ORIGINAL)
    assert parsed.key_format == ORIGINAL_FORMAT
    assert parsed.is_original
    assert parsed.get("os") == "Linux"
    assert parsed.get("stability") == "stable"
    assert parsed.get("dependencies") == "d41d8cd98f00b204"
    assert parsed.complete
    fallback = parse_key("macOS-python-dep-cache-unstable")
    assert not fallback.complete
    assert fallback.get("stability") == "unstable"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Linux-node-958aff96db2d75d67787d1e634ae70b659de937b",
        "setup-python-Linux-x64-24.04-Ubuntu-python-3.12.1-pip-abc",
        "cpd-",
        "cpd-9-linux-ubuntu24.04",
        "cpd-2-linux-ubuntu24.04-x86_64-64-glibc2.39",  # pointer size without "bit"
        "cpd-2-linux-ubuntu 24.04-x86_64",
        f"{PIP_312}\n::warning::x",
        "cpd-2-linux-ubuntu24.04-x86_64-64bit-glibc2.39-cpython-cp312-3.12-pip.2-box-abc",
        "x" * 600,
    ],
)
def test_anything_else_is_not_a_key_of_ours(text: str) -> None:
    with pytest.raises(NotAKeyError) as raised:
        parse_key(text)
    assert "\n" not in str(raised.value).replace("\\n", "")


def test_the_refusal_names_what_a_key_of_ours_looks_like() -> None:
    with pytest.raises(NotAKeyError, match="not a key of cache-python-deps"):
        parse_key("Linux-node-958aff96")


def test_a_newer_key_format_is_named_as_such() -> None:
    with pytest.raises(NotAKeyError, match="key format '3'"):
        parse_key(PIP_312.replace("cpd-2-", "cpd-3-"))


@pytest.mark.parametrize("name", COMPONENT_NAMES[2:])
def test_a_change_of_any_one_component_is_named(name: str) -> None:
    value = {"pointer size": "32bit", "tool": "uv.1", "cache kind": "venv.3.12.1.abc"}.get(
        name, "other"
    )
    changed = with_component(PIP_312, name, value)
    key_diff = diff_keys(parse_key(PIP_312), parse_key(changed))
    assert [(c.name, c.right) for c in key_diff.changes] == [(name, value)]
    assert not key_diff.same


def test_keys_that_differ_only_in_case_are_the_same_for_actions_cache() -> None:
    key_diff = diff_keys(parse_key(PIP_312), parse_key(PIP_312.upper().replace("CPD", "cpd")))
    assert key_diff.same
    assert "ignoring case" in describe_diff(key_diff)


def test_the_description_says_what_a_dependency_change_means() -> None:
    changed = with_component(PIP_312, "dependencies", "ffff")
    text = describe_diff(diff_keys(parse_key(PIP_312), parse_key(changed)))
    assert text.startswith("same interpreter, dependencies changed")
    assert "0a1b2c -> ffff" in text


def test_the_description_says_what_an_interpreter_change_means() -> None:
    changed = with_component(with_component(PIP_312, "abi tag", "cp313"), "abi epoch", "3.13")
    text = describe_diff(diff_keys(parse_key(PIP_312), parse_key(changed)))
    assert "another interpreter ABI" in text
    assert "abi tag cp312 -> cp313" in text
    assert "dependencies" not in text


def test_the_description_tells_a_virtualenv_of_another_install() -> None:
    other = with_component(ALPHA_VENV, "cache kind", "venv.3.14.0a2.000000000000")
    text = describe_diff(diff_keys(parse_key(ALPHA_VENV), parse_key(other)))
    assert "another interpreter install" in text


def test_the_description_tells_a_key_format_change() -> None:
    old = PIP_312.replace("cpd-2-", "cpd-1-")
    text = describe_diff(diff_keys(parse_key(old), parse_key(PIP_312)))
    assert "key format changed (1 -> 2)" in text


def test_a_restore_key_is_described_as_a_prefix_of_the_key() -> None:
    restore_key = PIP_312.rsplit("-", 1)[0] + "-"
    key_diff = diff_keys(parse_key(restore_key), parse_key(PIP_312))
    assert [(c.name, c.left) for c in key_diff.changes] == [("dependencies", None)]
    assert "first is a prefix" in describe_diff(key_diff)


def test_the_original_actions_key_against_ours_names_the_scheme_change() -> None:
    key_diff = diff_keys(parse_key(ORIGINAL), parse_key(PIP_312))
    names = [change.name for change in key_diff.changes]
    assert names[0] == "key format"
    assert "os" not in names  # Linux and linux: the same OS
    assert "original action" in describe_diff(key_diff)


def test_every_component_has_exactly_one_meaning() -> None:
    """The one phrase table covers each component once: no difference goes unexplained."""
    for name in COMPONENT_NAMES:
        holders = [entry for entry in MEANINGS if name in entry.components]
        assert len(holders) == 1, name
        assert meaning(name) is holders[0]


def test_two_virtualenv_kinds_differ_by_the_interpreter_install() -> None:
    assert meaning("cache kind", "venv.3.12.1.aaaa", "venv.3.12.2.bbbb") is VIRTUALENV_MEANING
    assert meaning("cache kind", "venv.3.12.1.aaaa", "tool") is not VIRTUALENV_MEANING
    left = parse_key(
        "cpd-2-linux-debian12-x86_64-64bit-glibc2.36-cpython-cp312-3.12-pip.2-venv.3.12.1.aaaa-x"
    )
    right = parse_key(
        "cpd-2-linux-debian12-x86_64-64bit-glibc2.36-cpython-cp312-3.12-pip.2-venv.3.12.2.bbbb-x"
    )
    assert describe_diff(diff_keys(left, right)) == (
        "another interpreter install: a virtualenv follows one install "
        "(venv.3.12.1.aaaa -> venv.3.12.2.bbbb)"
    )


def test_agreement_counts_the_leading_components_two_keys_share() -> None:
    key = "cpd-2-linux-debian12-x86_64-64bit-glibc2.36-cpython-cp312-3.12-pip.2-tool-x"
    assert diff_keys(parse_key(key), parse_key(key.upper())).agreeing == len(COMPONENT_NAMES)
    other_abi = key.replace("cp312-3.12", "cp313-3.13")
    assert diff_keys(parse_key(key), parse_key(other_abi)).agreeing == COMPONENT_NAMES.index(
        "abi tag"
    )
