"""Probe every real interpreter on this machine and check the identity facts that must hold."""

from __future__ import annotations

from collections import defaultdict

import pytest

from cache_python_deps.identity import Identity, Stability, derive_identity
from cache_python_deps.interpreter import InterpreterInfo, probe_interpreter
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
    "debian-3.11-i386": "cp311",
    "debian-3.11-i386-linux32": "cp311",
}

# One 32-bit x86 build, run plainly and under `setarch linux32`.
I386_INVOCATIONS = ("debian-3.11-i386", "debian-3.11-i386-linux32")

# The real interpreters whose tool caches are meant to be shared: one ABI on one platform.
SHARED_TOOL_KEYS = [
    ["debian-3.11", "pyenv-3.11.7"],
    ["debian-3.11-i386", "debian-3.11-i386-linux32"],
]

_infos: dict[str, InterpreterInfo] = {}


def info_of(name: str) -> InterpreterInfo:
    if name not in _infos:
        _infos[name] = probe_interpreter(str(require_interpreter(name)))
    return _infos[name]


def identity_of(name: str) -> Identity:
    return derive_identity(info_of(name))


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
    assert info_of(name).graalvm_version is None


@pytest.mark.parametrize("name", I386_INVOCATIONS)
def test_32_bit_x86_interpreter_on_a_64_bit_kernel_is_i686(name: str) -> None:
    identity = identity_of(name)
    assert identity.pointer_bits == 32
    assert identity.architecture == "i686"


def test_setarch_linux32_changes_uname_but_not_the_interpreter_identity() -> None:
    plain, linux32 = (info_of(name) for name in I386_INVOCATIONS)
    # The premise: the kernel really reports two machines to the one build.
    assert (plain.machine, plain.sysconfig_platform) == ("x86_64", "linux-x86_64")
    assert (linux32.machine, linux32.sysconfig_platform) == ("i686", "linux-i686")
    assert identity_of(I386_INVOCATIONS[0]) == identity_of(I386_INVOCATIONS[1])


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
        ("debian-3.11", "debian-3.11-i386"),
    ],
)
def test_different_abis_never_share_a_key_or_a_restore_prefix(first: str, second: str) -> None:
    a, b = keys_of(first), keys_of(second)
    assert a.primary != b.primary
    assert not b.primary.lower().startswith(a.restore_keys[0].lower())
    assert not a.primary.lower().startswith(b.restore_keys[0].lower())


def test_only_interpreters_of_one_abi_and_platform_share_a_tool_key() -> None:
    names_by_key: dict[str, list[str]] = defaultdict(list)
    for name in sorted(REAL_INTERPRETERS):
        names_by_key[keys_of(name).primary].append(name)
    shared = sorted(names for names in names_by_key.values() if len(names) > 1)
    assert shared == SHARED_TOOL_KEYS
