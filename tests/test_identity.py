"""Identity rules applied to recorded probe results of interpreters this machine lacks."""

from __future__ import annotations

import pytest

from cache_python_deps.identity import Stability, derive_identity
from tests.support import RECORDED_PROBES, load_recorded_probe, recorded_keys


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
    return recorded_keys(name, dependency_hash=dependency_hash).primary


def test_two_alphas_of_one_release_never_share_a_key() -> None:
    assert _primary("cpython-3.14.0a2-linux-x86_64") != _primary("cpython-3.14.0a3-linux-x86_64")


def test_free_threaded_never_shares_with_default_build() -> None:
    free_threaded = _primary("cpython-3.14.0t-linux-x86_64")
    assert "-cp314t-" in free_threaded
    for other in RECORDED_PROBES:
        if other != "cpython-3.14.0t-linux-x86_64":
            assert _primary(other) != free_threaded


def test_every_recorded_interpreter_has_its_own_key_but_the_declared_twins() -> None:
    # A recording may say it is the same interpreter build as another one seen from another
    # host (an x64 Python on an ARM64 or x64 Windows host; armhf with and without setarch).
    twins = {
        name: twin
        for name in RECORDED_PROBES
        if (twin := load_recorded_probe(name)[1].get("same_key_as")) is not None
    }
    assert twins, "the twin recordings are gone"
    canonical = {name: twins.get(name, name) for name in RECORDED_PROBES}
    keys: dict[str, str] = {}
    for name in RECORDED_PROBES:
        key = _primary(name)
        if canonical[name] in keys:
            assert keys[canonical[name]] == key, name
        else:
            assert key not in keys.values(), name
            keys[canonical[name]] = key


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
        "cpd-2-windows-10.0.20348-amd64-64bit-ucrt-cpython-cp312-3.12-pip.2-tool-"
    )


def test_32_bit_python_on_64_bit_windows_is_its_own_abi() -> None:
    assert _primary("cpython-3.12.7-windows-x86-on-amd64") != _primary(
        "cpython-3.12.7-windows-amd64"
    )
    assert "-32bit-" in _primary("cpython-3.12.7-windows-x86-on-amd64")


def test_readable_key_prefix_for_macos_and_musl() -> None:
    assert _primary("cpython-3.12.7-macos-arm64").startswith(
        "cpd-2-macos-14-arm64-64bit-libsystem-cpython-cp312-3.12-"
    )
    assert _primary("cpython-3.12.7-alpine-musl-x86_64").startswith(
        "cpd-2-linux-alpine3.20.3-x86_64-64bit-musl1.2.5-cpython-cp312-3.12-"
    )


def test_pypy_release_is_part_of_the_key() -> None:
    assert "-pypy7.3.17-pypy310_pp73-3.10-" in _primary("pypy-7.3.17-3.10-linux-x86_64")


def test_an_emulated_x64_python_on_arm64_windows_keys_like_on_x64_not_like_arm64() -> None:
    emulated = _primary("cpython-3.12.7-windows-amd64-on-arm64")
    assert emulated == _primary("cpython-3.12.7-windows-amd64-on-amd64-2025")
    assert emulated != _primary("cpython-3.12.7-windows-arm64")
    assert "-amd64-64bit-" in emulated
    assert "-arm64-64bit-" in _primary("cpython-3.12.7-windows-arm64")


def test_a_32_bit_windows_python_is_x86_whatever_the_host() -> None:
    on_arm = _primary("cpython-3.12.7-windows-x86-on-arm64")
    assert "-x86-32bit-" in on_arm
    assert "-x86-32bit-" in _primary("cpython-3.12.7-windows-x86-on-amd64")


def test_a_32_bit_arm_python_keys_the_same_with_and_without_setarch() -> None:
    plain = _primary("cpython-3.11.2-debian-armhf-on-aarch64-kernel")
    assert plain == _primary("cpython-3.11.2-debian-armhf-on-aarch64-kernel-linux32")
    assert "-armv8l-32bit-" in plain


def test_rosetta_keys_as_x86_64() -> None:
    rosetta = _primary("cpython-3.12.7-macos-x86_64-rosetta-on-arm64")
    assert "-macos-14-x86_64-64bit-" in rosetta
    assert rosetta != _primary("cpython-3.12.7-macos-arm64")


def test_macos_10_releases_are_split_by_minor_version() -> None:
    assert "-macos-10.14-" in _primary("cpython-3.9.13-macos-10.14-x86_64")
    assert "-macos-10.15-" in _primary("cpython-3.9.13-macos-10.15-x86_64")


def test_pypy_releases_of_one_python_version_keep_separate_keys() -> None:
    # pypy310_pp73 stayed while PyPy 7.3.14 broke binary compatibility with other 7.3.x wheels.
    before, after = (
        _primary("pypy-7.3.13-3.10-linux-x86_64"),
        _primary("pypy-7.3.14-3.10-linux-x86_64"),
    )
    assert "-pypy7.3.13-pypy310_pp73-3.10-" in before
    assert "-pypy7.3.14-pypy310_pp73-3.10-" in after
    assert before.replace("pypy7.3.13", "pypy7.3.14") == after


@pytest.mark.parametrize(
    "name",
    ["graalpy-24.1.0-linux-x86_64", "graalpy-24.2.2-linux-x86_64", "graalpy-25.0.1-linux-x86_64"],
)
def test_graalpy_releases_are_stable_whatever_their_releaselevel_says(name: str) -> None:
    info, _ = load_recorded_probe(name)
    identity = derive_identity(info)
    assert identity.stability is Stability.STABLE
    assert "release" in identity.stability_reason
    assert info.graalvm_version is not None
    assert identity.implementation == "graalpy" + info.graalvm_version


def test_graalpy_24_1_reports_alpha_and_is_still_a_release() -> None:
    info, _ = load_recorded_probe("graalpy-24.1.0-linux-x86_64")
    assert info.version_info.releaselevel == "alpha"
    assert derive_identity(info).stability is Stability.STABLE


def test_a_graalpy_development_build_is_unstable() -> None:
    info, _ = load_recorded_probe("graalpy-25.1.0-dev-linux-x86_64")
    identity = derive_identity(info)
    assert identity.stability is Stability.UNSTABLE
    assert "development build" in identity.stability_reason


@pytest.mark.parametrize("level", ["dev", "snapshot", "release", "rc"])
def test_an_unknown_releaselevel_spelling_is_accepted_and_unstable(level: str) -> None:
    info, _ = load_recorded_probe("pypy-7.3.17-3.10-linux-x86_64")
    odd = info._replace(
        implementation_version=info.implementation_version._replace(releaselevel=level)
    )
    assert derive_identity(odd).stability is Stability.UNSTABLE
