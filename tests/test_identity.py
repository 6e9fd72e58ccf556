"""Identity rules applied to recorded probe results of interpreters this machine lacks."""

from __future__ import annotations

import pytest

from cache_python_deps.identity import Stability, derive_identity
from cache_python_deps.keys import CacheKind, compose_keys
from tests.support import RECORDED_PROBES, load_recorded_probe


@pytest.mark.parametrize("name", RECORDED_PROBES)
def test_recorded_interpreter_identity_matches_expectations(name: str) -> None:
    info, expected = load_recorded_probe(name)
    identity = derive_identity(info)
    assert identity.abi_tag == expected["abi_tag"]
    assert identity.stability.value == expected["stability"]
    if "abi_epoch" in expected:
        assert identity.abi_epoch == expected["abi_epoch"]
    else:
        assert identity.abi_epoch.startswith(expected["abi_epoch_prefix"])
        assert len(identity.abi_epoch) == len(expected["abi_epoch_prefix"]) + 12
    for field in (
        "implementation",
        "os_family",
        "os_release",
        "architecture",
        "libc",
        "pointer_bits",
    ):
        if field in expected:
            assert getattr(identity, field) == expected[field], field


def _primary(name: str, dependency_hash: str = "deadbeef") -> str:
    info, _ = load_recorded_probe(name)
    keys = compose_keys(
        derive_identity(info),
        tool_name="pip",
        tool_layout_version="2",
        kind=CacheKind.TOOL,
        dependency_hash=dependency_hash,
    )
    return keys.primary


def test_two_alphas_of_one_release_never_share_a_key() -> None:
    assert _primary("cpython-3.14.0a2-linux-x86_64") != _primary("cpython-3.14.0a3-linux-x86_64")


def test_free_threaded_never_shares_with_default_build() -> None:
    free_threaded = _primary("cpython-3.14.0t-linux-x86_64")
    assert "-cp314t-" in free_threaded
    for other in RECORDED_PROBES:
        if other != "cpython-3.14.0t-linux-x86_64":
            assert _primary(other) != free_threaded


def test_every_recorded_interpreter_has_its_own_key() -> None:
    keys = [_primary(name) for name in RECORDED_PROBES]
    assert len(set(keys)) == len(keys)


def test_free_threaded_3_13_is_experimental_but_cacheable() -> None:
    info, _ = load_recorded_probe("cpython-3.13.0t-linux-x86_64")
    identity = derive_identity(info)
    assert identity.stability is Stability.EXPERIMENTAL
    assert identity.stability.shares_across_builds
    assert "experimental" in identity.stability_reason


@pytest.mark.parametrize(
    ("name", "expected_reason"),
    [
        ("cpython-3.14.0a2-linux-x86_64", "pre-release (alpha)"),
        ("cpython-3.14.0b1-linux-x86_64", "pre-release (beta)"),
        ("cpython-3.14.0rc1-linux-x86_64", "pre-release (candidate)"),
        ("cpython-3.12.4-dev-plus-linux-x86_64", "development build"),
    ],
)
def test_unstable_builds_say_why(name: str, expected_reason: str) -> None:
    info, _ = load_recorded_probe(name)
    identity = derive_identity(info)
    assert identity.stability is Stability.UNSTABLE
    assert not identity.stability.shares_across_builds
    assert expected_reason in identity.stability_reason


def test_readable_key_prefix_for_windows() -> None:
    assert _primary("cpython-3.12.7-windows-amd64").startswith(
        "cpd-1-windows-10.0.20348-x86_64-64bit-ucrt-cpython-cp312-3.12-pip.2-tool-"
    )


def test_32_bit_python_on_64_bit_windows_is_its_own_abi() -> None:
    assert _primary("cpython-3.12.7-windows-x86-on-amd64") != _primary(
        "cpython-3.12.7-windows-amd64"
    )
    assert "-32bit-" in _primary("cpython-3.12.7-windows-x86-on-amd64")


def test_readable_key_prefix_for_macos_and_musl() -> None:
    assert _primary("cpython-3.12.7-macos-arm64").startswith(
        "cpd-1-macos-14-arm64-64bit-libsystem-cpython-cp312-3.12-"
    )
    assert _primary("cpython-3.12.7-alpine-musl-x86_64").startswith(
        "cpd-1-linux-alpine3.20.3-x86_64-64bit-musl1.2.5-cpython-cp312-3.12-"
    )


def test_pypy_release_is_part_of_the_key() -> None:
    assert "-pypy7.3.17-pypy310_pp73-3.10-" in _primary("pypy-7.3.17-3.10-linux-x86_64")
