"""Property tests: keys are valid and deterministic for any input, and prefixes never cross."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from cache_python_deps.errors import DependencyHashError
from cache_python_deps.identity import Identity, derive_identity
from cache_python_deps.interpreter import InterpreterInfo, VersionInfo
from cache_python_deps.keys import MAX_KEY_LENGTH, CacheKeys, CacheKind, compose_keys
from tests.support import RECORDED_PROBES, load_recorded_probe

IDENTITIES = {name: derive_identity(load_recorded_probe(name)[0]) for name in RECORDED_PROBES}
VALID_KEY = re.compile(rf"[^\s,]{{1,{MAX_KEY_LENGTH}}}")


@given(
    dependency_hash=st.one_of(
        st.none(), st.text(), st.text(alphabet=",\n\t $`'\"\\;|&", max_size=50)
    ),
    name=st.sampled_from(RECORDED_PROBES),
    kind=st.sampled_from(list(CacheKind)),
)
def test_every_key_is_valid_for_any_dependency_hash(
    dependency_hash: str | None, name: str, kind: CacheKind
) -> None:
    try:
        keys = compose_keys(
            IDENTITIES[name],
            tool_name="pip",
            tool_layout_version="2",
            kind=kind,
            dependency_hash=dependency_hash,
        )
    except DependencyHashError:
        assert dependency_hash is not None and len(dependency_hash) > 64 * 1024
        return
    for key in (keys.primary, *keys.restore_keys, keys.for_os, keys.for_python_interpreter):
        assert VALID_KEY.fullmatch(key), key
    assert keys.primary.startswith(keys.restore_keys[0])
    again = compose_keys(
        IDENTITIES[name],
        tool_name="pip",
        tool_layout_version="2",
        kind=kind,
        dependency_hash=dependency_hash,
    )
    assert again == keys


@given(first=st.text(min_size=1), second=st.text(min_size=1))
def test_different_dependency_hashes_give_different_keys(first: str, second: str) -> None:
    identity = IDENTITIES[RECORDED_PROBES[0]]

    def primary(dependency_hash: str) -> str:
        return compose_keys(
            identity,
            tool_name="pip",
            tool_layout_version="2",
            kind=CacheKind.TOOL,
            dependency_hash=dependency_hash,
        ).primary

    if first.strip() and second.strip() and first != second:
        assert primary(first).lower() != primary(second).lower() or first.lower() == second.lower()


@given(huge=st.integers(min_value=64 * 1024 + 1, max_value=200_000))
def test_oversized_dependency_hash_is_refused_not_truncated(huge: int) -> None:
    identity = IDENTITIES[RECORDED_PROBES[0]]
    try:
        compose_keys(
            identity,
            tool_name="pip",
            tool_layout_version="2",
            kind=CacheKind.TOOL,
            dependency_hash="a" * huge,
        )
    except DependencyHashError as error:
        assert "\n" not in str(error)
    else:
        raise AssertionError("an oversized dependency hash was accepted")


_BASE_INFO = load_recorded_probe("cpython-3.14.0a2-linux-x86_64")[0]


@st.composite
def interpreters(draw: st.DrawFn) -> InterpreterInfo:
    """Interpreter facts varied along every field that goes into a key."""
    minor = draw(st.sampled_from([12, 13, 14]))
    level = draw(st.sampled_from(["final", "final", "alpha", "beta", "candidate", "dev"]))
    serial = 0 if level == "final" else draw(st.integers(1, 3))
    version = VersionInfo(3, minor, draw(st.integers(0, 2)), level, serial)
    implementation = draw(st.sampled_from(["cpython", "pypy"]))
    own_version = version if implementation == "cpython" else VersionInfo(7, 3, 17, "final", 0)
    build = draw(st.sampled_from(["", "+"]))
    return _BASE_INFO._replace(
        implementation_name=implementation,
        implementation_version=own_version,
        version_info=version,
        sys_version=f"3.{minor}.0{build} (main, {draw(st.sampled_from(['Jan', 'Feb']))} 1 2026)",
        ext_suffix=(
            f".pypy3{minor}-pp73-x86_64-linux-gnu.so"
            if implementation == "pypy"
            else f".cpython-3{minor}-x86_64-linux-gnu.so"
        ),
        py_gil_disabled=draw(st.booleans()),
        py_debug=draw(st.booleans()),
        pointer_bits=draw(st.sampled_from([32, 64])),
        sysconfig_platform=draw(st.sampled_from(["linux-x86_64", "linux-aarch64", "linux-i686"])),
        libc_version=draw(st.sampled_from(["2.36", "2.39"])),
        os_version=draw(st.sampled_from(["12", "24.04"])),
        base_executable=draw(st.sampled_from(["/usr/bin/python3", "/opt/python/bin/python3"])),
    )


@st.composite
def keyed(draw: st.DrawFn) -> tuple[Identity, str, CacheKind, CacheKeys]:
    identity = derive_identity(draw(interpreters()))
    tool = draw(st.sampled_from(["pip", "uv", "poetry"]))
    kind = draw(st.sampled_from(list(CacheKind)))
    keys = compose_keys(
        identity,
        tool_name=tool,
        tool_layout_version="1",
        kind=kind,
        dependency_hash=draw(st.sampled_from(["abc", "abcdef", None])),
    )
    return identity, tool, kind, keys


def _abi_facts(identity: Identity) -> tuple[object, ...]:
    return (
        identity.os_family,
        identity.os_release,
        identity.architecture,
        identity.pointer_bits,
        identity.libc,
        identity.implementation,
        identity.abi_tag,
        identity.stability,
        identity.abi_epoch,
    )


@given(first=keyed(), second=keyed())
def test_no_prefix_output_matches_a_key_of_another_abi_stability_tool_or_kind(
    first: tuple[Identity, str, CacheKind, CacheKeys],
    second: tuple[Identity, str, CacheKind, CacheKeys],
) -> None:
    identity, tool, kind, keys = first
    other_identity, other_tool, other_kind, other_keys = second
    same = (
        _abi_facts(identity) == _abi_facts(other_identity)
        and tool == other_tool
        and kind == other_kind
        and (
            kind is CacheKind.TOOL
            or (identity.exact_version, identity.install_fingerprint)
            == (other_identity.exact_version, other_identity.install_fingerprint)
        )
    )
    # actions/cache matches restore keys as prefixes, ignoring case.
    for prefix in (keys.for_python_interpreter, *keys.restore_keys):
        assert other_keys.primary.lower().startswith(prefix.lower()) == same
    # cache-key-for-os is the OS-wide prefix by definition: it matches on OS facts alone.
    os_facts = _abi_facts(identity)[:5] == _abi_facts(other_identity)[:5]
    assert other_keys.primary.lower().startswith(keys.for_os.lower()) == os_facts
