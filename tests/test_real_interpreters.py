"""Probe every real interpreter on this machine and check the identity facts that must hold."""

from __future__ import annotations

import pytest

from cache_python_deps.identity import Identity, Stability, derive_identity
from cache_python_deps.interpreter import probe_interpreter
from cache_python_deps.keys import CacheKeys, CacheKind, compose_keys
from tests.support import REAL_INTERPRETERS, require_interpreter

EXPECTED_ABI_TAGS = {
    "pyenv-2.7.18": "cp27mu",
    "pyenv-3.6.15": "cp36m",
    "pyenv-3.7.16": "cp37m",
    "pyenv-3.8.18": "cp38",
    "pyenv-3.9.18": "cp39",
    "pyenv-3.10.13": "cp310",
    "pyenv-3.11.7": "cp311",
    "pyenv-3.12.1": "cp312",
    "pyenv-3.13.0": "cp313",
    "debian-3.11": "cp311",
    "debian-3.11-debug": "cp311d",
    "debian-pypy3": "pypy39_pp73",
}

_identities: dict[str, Identity] = {}


def identity_of(name: str) -> Identity:
    if name not in _identities:
        _identities[name] = derive_identity(probe_interpreter(str(require_interpreter(name))))
    return _identities[name]


def keys_of(name: str, kind: CacheKind = CacheKind.TOOL) -> CacheKeys:
    return compose_keys(
        identity_of(name),
        tool_name="pip",
        tool_layout_version="2",
        kind=kind,
        dependency_hash="0123abcd",
    )


@pytest.mark.parametrize("name", sorted(REAL_INTERPRETERS))
def test_real_interpreter_abi_tag(name: str) -> None:
    identity = identity_of(name)
    assert identity.abi_tag == EXPECTED_ABI_TAGS[name]
    assert identity.stability is Stability.STABLE
    assert identity.os_family == "linux"
    assert identity.libc.startswith("glibc")


def test_pypy_key_carries_its_own_release() -> None:
    assert identity_of("debian-pypy3").implementation.startswith("pypy7.3.")


def test_same_abi_other_build_shares_the_tool_cache_key() -> None:
    assert keys_of("pyenv-3.11.7").primary == keys_of("debian-3.11").primary


def test_same_abi_other_build_does_not_share_the_venv_key() -> None:
    pyenv, debian = keys_of("pyenv-3.11.7", CacheKind.VENV), keys_of("debian-3.11", CacheKind.VENV)
    assert pyenv.primary != debian.primary
    assert not debian.primary.startswith(pyenv.restore_keys[0])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("pyenv-3.11.7", "pyenv-3.12.1"),
        ("pyenv-3.12.1", "pyenv-3.13.0"),
        ("debian-3.11", "debian-3.11-debug"),
        ("pyenv-3.9.18", "debian-pypy3"),
        ("pyenv-2.7.18", "pyenv-3.6.15"),
    ],
)
def test_different_abis_never_share_a_key_or_a_restore_prefix(first: str, second: str) -> None:
    a, b = keys_of(first), keys_of(second)
    assert a.primary != b.primary
    assert not b.primary.lower().startswith(a.restore_keys[0].lower())
    assert not a.primary.lower().startswith(b.restore_keys[0].lower())


def test_every_real_interpreter_key_is_distinct_except_the_two_3_11_builds() -> None:
    primaries = {name: keys_of(name).primary for name in REAL_INTERPRETERS}
    distinct = set(primaries.values())
    assert len(distinct) == len(primaries) - 1
