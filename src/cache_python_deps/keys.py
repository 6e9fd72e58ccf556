"""Compose cache keys from an interpreter identity: every key-validity rule lives here.

Key layout (fields separated by ``-``; no field but the last contains a dash)::

    cpd-2-<os>-<os release>-<arch>-<bits>bit-<libc>-<implementation>-<abi tag>-<abi epoch>
         -<tool>.<cache layout>-<kind>-<dependency hash>

where ``<kind>`` is ``tool`` for a tool's download/build cache, and
``venv.<exact version>.<install fingerprint>`` for a virtualenv, which only the very same
interpreter install may reuse.

Prefixes handed out for ``restore-keys`` end with the ``-`` that closes their last field, so a
prefix matches only keys whose fields up to there are all equal (``...-cp314-3.14-`` is not a
prefix of ``...-cp314-3.14.0a2.<hash>-...``). The restore key and the interpreter prefix
(``cache-key-for-python-interpreter``) stop before the dependency hash: they never match a key
of another ABI, stability, tool or kind. ``cache-key-for-os`` is the OS-wide prefix by
definition: it matches every interpreter, tool and kind on that OS and release.

Format history: 1 took the architecture from the host (``platform.machine()``) and macOS
releases by major only; 2 takes it from the interpreter's own wheel platform and keeps macOS
10.x by major.minor.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Mapping
from typing import Final, NamedTuple

from cache_python_deps.errors import DependencyHashError
from cache_python_deps.identity import Identity, normalize
from cache_python_deps.sources import Origin, Source

KEY_PREFIX = "cpd"
KEY_FORMAT_VERSION = 2
MAX_KEY_LENGTH = 512
# Longest dependency hash kept as given; longer (or unsafe) input is hashed.
MAX_VERBATIM_DEPENDENCY_HASH = 128
# Refuse absurd input outright rather than hash megabytes of it.
MAX_DEPENDENCY_HASH_INPUT = 64 * 1024
NO_DEPENDENCY_FILES = "nodeps"

# A key's components, in key order, by what they say about an entry: which key scheme, which
# machine, which interpreter ABI, which tool and kind of cache, which dependencies.
SCHEME_COMPONENTS: Final = ("prefix", "key format")
PLATFORM_COMPONENTS: Final = ("os", "os release", "architecture", "pointer size", "libc")
INTERPRETER_COMPONENTS: Final = ("implementation", "abi tag", "abi epoch")
CACHE_COMPONENTS: Final = ("tool", "cache kind")
DEPENDENCY_COMPONENTS: Final = ("dependencies",)
# Every component's name, in key order (compose_keys makes them in this order).
COMPONENT_NAMES: Final = (
    *SCHEME_COMPONENTS,
    *PLATFORM_COMPONENTS,
    *INTERPRETER_COMPONENTS,
    *CACHE_COMPONENTS,
    *DEPENDENCY_COMPONENTS,
)

_VERBATIM_DEPENDENCY_HASH = re.compile(r"[A-Za-z0-9._+=-]+")
_VALID_KEY = re.compile(r"[^\s,]+")


class CacheKind(enum.Enum):
    """What is cached: a tool's download/build cache, or a virtual environment."""

    TOOL = "tool"
    VENV = "venv"


class KeyComponent(NamedTuple):
    """One field of a key, with where its value came from (``--explain``, the job summary)."""

    name: str
    value: str
    source: Source


class CacheKeys(NamedTuple):
    """The primary key, its restore keys, and the original action's named partial keys."""

    primary: str
    restore_keys: tuple[str, ...]
    for_os: str
    for_python_interpreter: str
    components: tuple[KeyComponent, ...]


def identity_components(identity: Identity) -> list[KeyComponent]:
    """The fields that say which platform and interpreter ABI a cache belongs to."""
    return [
        KeyComponent("prefix", KEY_PREFIX, Source(Origin.KEY_PREFIX)),
        KeyComponent("key format", str(KEY_FORMAT_VERSION), Source(Origin.KEY_FORMAT)),
        KeyComponent("os", identity.os_family, Source(Origin.OS)),
        KeyComponent("os release", identity.os_release, Source(Origin.OS_RELEASE)),
        KeyComponent("architecture", identity.architecture, Source(Origin.ARCHITECTURE)),
        KeyComponent("pointer size", f"{identity.pointer_bits}bit", Source(Origin.POINTER_SIZE)),
        KeyComponent("libc", identity.libc, Source(Origin.LIBC)),
        KeyComponent("implementation", identity.implementation, Source(Origin.IMPLEMENTATION)),
        KeyComponent("abi tag", identity.abi_tag, Source(Origin.ABI_TAG)),
        KeyComponent(
            "abi epoch",
            identity.abi_epoch,
            Source(
                Origin.STABLE_EPOCH
                if identity.stability.shares_across_builds
                else Origin.UNSTABLE_EPOCH
            ),
        ),
    ]


def dependency_component(dependency_hash: str | None) -> str:
    """The dependency hash as a key field: kept when short and safe, else hashed."""
    if dependency_hash is None or not dependency_hash.strip():
        return NO_DEPENDENCY_FILES
    if len(dependency_hash) > MAX_DEPENDENCY_HASH_INPUT:
        raise DependencyHashError(
            f"the dependency hash is {len(dependency_hash)} characters long; "
            f"at most {MAX_DEPENDENCY_HASH_INPUT} are accepted (pass a digest, e.g. hashFiles())"
        )
    if len(dependency_hash) <= MAX_VERBATIM_DEPENDENCY_HASH and _VERBATIM_DEPENDENCY_HASH.fullmatch(
        dependency_hash
    ):
        return dependency_hash
    digest = hashlib.sha256(dependency_hash.encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256.{digest}"


def compose_keys(
    identity: Identity,
    *,
    tool_name: str,
    tool_layout_version: str,
    kind: CacheKind,
    dependency_hash: str | None,
) -> CacheKeys:
    """All keys for one interpreter identity, tool, cache kind and dependency hash."""
    components = identity_components(identity)
    os_wide = (*SCHEME_COMPONENTS, *PLATFORM_COMPONENTS)
    for_os = _join([component for component in components if component.name in os_wide]) + "-"
    components.append(
        KeyComponent(
            "tool", normalize(f"{tool_name}.{tool_layout_version}"), Source(Origin.TOOL_SETTING)
        )
    )
    if kind is CacheKind.VENV:
        venv = f"venv.{identity.exact_version}.{identity.install_fingerprint}"
        components.append(KeyComponent("cache kind", venv, Source(Origin.VIRTUALENV_INSTALL)))
    else:
        components.append(KeyComponent("cache kind", "tool", Source(Origin.KIND_SETTING)))
    # Everything but the dependency hash: the same ABI, stability, tool and kind.
    restore_prefix = _join(components) + "-"
    components.append(
        KeyComponent(
            "dependencies",
            dependency_component(dependency_hash),
            Source(Origin.DEPENDENCY_HASH),
        )
    )
    primary = _join(components)
    keys = CacheKeys(
        primary=primary,
        restore_keys=(restore_prefix,),
        for_os=for_os,
        for_python_interpreter=restore_prefix,
        components=tuple(components),
    )
    for key in (keys.primary, *keys.restore_keys, keys.for_os, keys.for_python_interpreter):
        validate_key(key)
    return keys


def same_value(left: str | None, right: str | None) -> bool:
    """Whether two keys, or two values of one component, are the same to actions/cache (which
    compares keys ignoring case); None, a component a key (a prefix) lacks, equals only None."""
    if left is None or right is None:
        return left is right
    return left.lower() == right.lower()


def differing_components(
    left: Mapping[str, str | None], right: Mapping[str, str | None]
) -> tuple[str, ...]:
    """The names of the components whose values differ (``same_value``), in key order."""
    return tuple(
        name for name in COMPONENT_NAMES if not same_value(left.get(name), right.get(name))
    )


def is_valid_key(key: str) -> bool:
    """Whether actions/cache takes ``key``: not empty, not too long, no comma or whitespace."""
    return len(key) <= MAX_KEY_LENGTH and _VALID_KEY.fullmatch(key) is not None


def validate_key(key: str) -> None:
    """Refuse a key this module composed that actions/cache would reject."""
    if not is_valid_key(key):
        # Every field is normalized or hashed, so this is a bug, not bad input.
        raise AssertionError(f"composed an invalid cache key: {key!r}")


def _join(components: list[KeyComponent]) -> str:
    return "-".join(component.value for component in components)
