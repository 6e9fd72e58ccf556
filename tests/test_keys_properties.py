"""Property tests: whatever the dependency-hash input, the key is valid and deterministic."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from cache_python_deps.errors import DependencyHashError
from cache_python_deps.identity import derive_identity
from cache_python_deps.keys import MAX_KEY_LENGTH, CacheKind, compose_keys
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
