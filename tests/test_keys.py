"""Key composition rules, on recorded identities."""

from __future__ import annotations

import pytest

from cache_python_deps.errors import DependencyHashError
from cache_python_deps.identity import derive_identity
from cache_python_deps.interpreter import VersionInfo
from cache_python_deps.keys import (
    COMPONENT_NAMES,
    MAX_DEPENDENCY_HASH_INPUT,
    MAX_KEY_LENGTH,
    NO_DEPENDENCY_FILES,
    CacheKeys,
    CacheKind,
    compose_keys,
    dependency_component,
)
from tests.support import load_recorded_probe, recorded_keys

LINUX = "cpython-3.12.7-alpine-musl-x86_64"


def keys_for(
    name: str = LINUX, *, kind: CacheKind = CacheKind.TOOL, dependency_hash: str | None = "abc123"
) -> CacheKeys:
    return recorded_keys(name, kind=kind, dependency_hash=dependency_hash)


def test_primary_key_layout_reads_left_to_right() -> None:
    assert keys_for().primary == (
        "cpd-2-linux-alpine3.20.3-x86_64-64bit-musl1.2.5-cpython-cp312-3.12-pip.2-tool-abc123"
    )


def test_restore_key_is_the_primary_key_without_the_dependency_hash_and_nothing_broader() -> None:
    keys = keys_for()
    assert keys.restore_keys == (
        "cpd-2-linux-alpine3.20.3-x86_64-64bit-musl1.2.5-cpython-cp312-3.12-pip.2-tool-",
    )
    assert keys.primary.startswith(keys.restore_keys[0])


def test_original_partial_keys_nest_and_end_with_a_field_separator() -> None:
    keys = keys_for()
    assert keys.for_os == "cpd-2-linux-alpine3.20.3-x86_64-64bit-musl1.2.5-"
    assert keys.for_python_interpreter == keys.for_os + "cpython-cp312-3.12-pip.2-tool-"
    assert keys.primary.startswith(keys.for_python_interpreter)


def test_interpreter_prefix_is_the_restore_key_safe_for_restore_keys() -> None:
    # The original action's users pass cache-key-for-python-interpreter to restore-keys.
    keys = keys_for()
    assert keys.for_python_interpreter == keys.restore_keys[0]


def test_a_stable_prefix_never_matches_a_pre_release_key_of_the_same_minor() -> None:
    info, _ = load_recorded_probe("cpython-3.14.0a2-linux-x86_64")
    final = VersionInfo(3, 14, 0, "final", 0)
    released = info._replace(version_info=final, implementation_version=final)
    stable = compose_keys(
        derive_identity(released),
        tool_name="pip",
        tool_layout_version="2",
        kind=CacheKind.TOOL,
        dependency_hash="abc123",
    )
    alpha = keys_for("cpython-3.14.0a2-linux-x86_64")
    assert stable.primary.endswith("-cp314-3.14-pip.2-tool-abc123")
    assert "-cp314-3.14.0a2." in alpha.primary
    for prefix in (stable.for_python_interpreter, *stable.restore_keys):
        assert not alpha.primary.lower().startswith(prefix.lower())


def test_venv_key_adds_exact_version_and_install_fingerprint() -> None:
    tool_keys = keys_for()
    venv_keys = keys_for(kind=CacheKind.VENV)
    assert "-pip.2-venv.3.12.7." in venv_keys.primary
    assert venv_keys.primary != tool_keys.primary
    assert not venv_keys.primary.startswith(tool_keys.restore_keys[0])
    assert not tool_keys.primary.startswith(venv_keys.restore_keys[0])


def test_no_restore_key_of_one_abi_is_a_prefix_of_another_abis_key() -> None:
    names = [
        "cpython-3.12.7-alpine-musl-x86_64",
        "cpython-3.12.7-alpine-musl-aarch64",
        "cpython-3.14.0t-linux-x86_64",
        "cpython-3.13.0t-linux-x86_64",
        "cpython-3.14.0a2-linux-x86_64",
        "cpython-3.14.0a3-linux-x86_64",
        "pypy-7.3.17-3.10-linux-x86_64",
        "graalpy-24.1.0-linux-x86_64",
    ]
    all_keys = {name: keys_for(name) for name in names}
    for name, keys in all_keys.items():
        for other, other_keys in all_keys.items():
            if other != name:
                assert not other_keys.primary.lower().startswith(keys.restore_keys[0].lower())


@pytest.mark.parametrize("missing", [None, "", "   "])
def test_missing_dependency_hash_is_spelled_out(missing: str | None) -> None:
    assert keys_for(dependency_hash=missing).primary.endswith(f"-tool-{NO_DEPENDENCY_FILES}")


def test_short_safe_dependency_hash_is_kept_verbatim() -> None:
    digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    assert dependency_component(digest) == digest


@pytest.mark.parametrize(
    "hostile",
    ["a,b", "line1\nline2", "$(rm -rf /)", "x" * 10_000, "spaces in it", "tab\there", "é"],
)
def test_unsafe_or_long_dependency_hash_is_hashed(hostile: str) -> None:
    component = dependency_component(hostile)
    assert component.startswith("sha256.")
    assert len(component) == len("sha256.") + 64
    primary = keys_for(dependency_hash=hostile).primary
    assert "," not in primary and not any(c.isspace() for c in primary)


def test_dependency_hash_beyond_the_input_limit_is_refused() -> None:
    with pytest.raises(DependencyHashError, match="at most"):
        dependency_component("x" * (MAX_DEPENDENCY_HASH_INPUT + 1))


def test_keys_stay_within_the_length_limit_for_the_longest_input() -> None:
    keys = keys_for("graalpy-24.1.0-linux-x86_64", kind=CacheKind.VENV, dependency_hash="z" * 128)
    assert len(keys.primary) <= MAX_KEY_LENGTH


def test_component_names_are_the_ones_compose_keys_makes() -> None:
    assert tuple(component.name for component in keys_for().components) == COMPONENT_NAMES
