"""Names, versions and wheel file names as packaging reads them; packaging itself is the oracle.

The strategies build text from the pieces PEP 440, PEP 503 and PEP 427 are made of (every
spelling, separator and case, whitespace, and look-alikes outside ASCII that a regular expression
could take for letters or digits), plus arbitrary text.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.utils import (
    InvalidName,
    InvalidWheelFilename,
    canonicalize_name,
    canonicalize_version,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from cache_python_deps import distributions
from cache_python_deps.distributions import (
    InUse,
    Verdict,
    canonical_name,
    canonical_version,
    is_valid_name,
    verdict,
)

_VERSION_PIECES = (
    *("v", "V", "0", "1", "00", "07", "12", "2024"),
    *(".", "-", "_", "!", "+"),
    *("a", "A", "b", "c", "rc", "RC", "alpha", "beta", "pre", "preview", "Preview"),
    *("post", "POST", "rev", "r", "dev", "Dev", "local", "x", "z9"),
    *(" ", "\t", "\n", "\x0b", "\u2003", "\u00a0"),
    # Not ASCII, yet a case-insensitive or Unicode-aware pattern would take them for a-z or 0-9.
    *("\u017f", "\u212a", "\u0661", "\uff11"),
)
versions = st.one_of(
    st.lists(st.sampled_from(_VERSION_PIECES), max_size=14).map("".join),
    st.text(max_size=12),
)
_NAME_PIECES = ("a", "Z", "9", "foo", "Bar", "-", "_", ".", "--", "._-", " ", "\u017f", "\u00e9")
names = st.one_of(
    st.lists(st.sampled_from(_NAME_PIECES), max_size=10).map("".join), st.text(max_size=12)
)


def _packaging_version(text: str) -> str | None:
    try:
        return canonicalize_version(Version(text))
    except InvalidVersion:
        return None


@settings(max_examples=1500)
@given(versions)
@example("1.0.0")
@example("0!1.0-RC1.post2.dev3+Local-01_x")
@example("1.0+\u017f")
def test_canonical_version_is_packagings(text: str) -> None:
    assert canonical_version(text) == _packaging_version(text)


@settings(max_examples=1000)
@given(versions, versions)
def test_equal_canonical_forms_are_equal_versions(left: str, right: str) -> None:
    mine = (canonical_version(left), canonical_version(right))
    if None in mine:
        return
    assert (mine[0] == mine[1]) == (Version(left) == Version(right))


@settings(max_examples=1500)
@given(names)
def test_canonical_name_is_packagings(name: str) -> None:
    assert canonical_name(name) == canonicalize_name(name)


@settings(max_examples=1500)
@given(names)
def test_valid_names_are_packagings(name: str) -> None:
    try:
        canonicalize_name(name, validate=True)
    except InvalidName:
        assert not is_valid_name(name)
    else:
        assert is_valid_name(name)


_TAGS = st.sampled_from(["py3-none-any", "cp312-cp312-manylinux_2_17_x86_64", "py2.py3-none-any"])
_BUILDS = st.sampled_from(["", "-1", "-12abc", "-x1", "-"])
_WHEEL_NAMES = st.lists(
    st.sampled_from(["foo", "Foo", "_", "__", ".", "9", "\u00e9", "\u017f", "\\", " "]), max_size=6
).map("".join)


@settings(max_examples=1500)
@given(_WHEEL_NAMES, versions, _BUILDS, _TAGS)
@example("foo", "1.0", "", "py3-none-any")
@example("Foo_Bar", "1.0.POST1", "-1", "py3-none-any")
def test_wheel_filenames_read_as_packaging_reads_them(
    name: str, version: str, build: str, tags: str
) -> None:
    filename = f"{name}-{version}{build}-{tags}.whl"
    try:
        parsed_name, parsed_version, _, _ = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        assert distributions.parse_wheel_filename(filename) is None
    else:
        expected = (parsed_name, canonicalize_version(parsed_version))
        wheel = distributions.parse_wheel_filename(filename)
        assert wheel is not None
        assert (wheel.name, wheel.version) == expected


@pytest.mark.parametrize(
    "filename",
    [
        "foo-1.0-py3-none-any.zip",
        "foo-1.0-py3-none.whl",
        "foo-1.0-1-2-py3-none-any.whl",
        "../foo-1.0-py3-none-any.whl",
        "foo/bar-1.0-py3-none-any.whl",
        "foo-not.a.version-py3-none-any.whl",
        "foo--py3-none-any.whl",
        "-1.0-py3-none-any.whl",
        "foo-1.0--none-any.whl",
    ],
)
def test_a_wheel_filename_that_does_not_parse(filename: str) -> None:
    assert distributions.parse_wheel_filename(filename) is None


IN_USE = InUse(
    "uv.lock",
    "/w/uv.lock",
    {"foo-bar": frozenset({"2"}), "baz": frozenset({"1", "3"}), "odd": frozenset()},
    frozenset({"odd"}),
)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("foo_bar-1.0-py3-none-any.whl", Verdict.SUPERSEDED),
        ("Foo.Bar-2.0.0-py3-none-any.whl", Verdict.IN_USE),
        ("foo_bar-2-1-cp312-cp312-linux_x86_64.whl", Verdict.IN_USE),
        ("baz-3.0-py3-none-any.whl", Verdict.IN_USE),
        ("baz-2.0-py3-none-any.whl", Verdict.SUPERSEDED),
        ("other-1.0-py3-none-any.whl", Verdict.NOT_NAMED),
        ("odd-1.0-py3-none-any.whl", Verdict.VERSION_UNKNOWN),
        ("foo_bar-latest-py3-none-any.whl", Verdict.UNPARSED),
    ],
)
def test_verdicts(filename: str, expected: Verdict) -> None:
    assert verdict(IN_USE, filename) is expected
