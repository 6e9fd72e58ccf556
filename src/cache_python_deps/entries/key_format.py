"""Read a cache key back into its named components, and say how two keys differ.

Pure and stdlib-only: the action's miss report and the ``diff`` command both use it. Three key
schemes are recognised:

- this project's format 1 and 2 (the same layout, see ``keys.py``)::

      cpd-<format>-<os>-<os release>-<arch>-<bits>bit-<libc>-<implementation>-<abi tag>
         -<abi epoch>-<tool>.<layout>-<kind>-<dependencies>

  No field but the last contains a dash, so a key splits on its first twelve dashes. Prefixes
  (the restore key, ``cache-key-for-os``, ``cache-key-for-python-interpreter``) are read too.
- the original action's (re-actors/cache-python-deps v1)::

      <runner.os>-python-dep-cache-<stable|unstable>-<sha512 of sys.version>-<same hash>-<deps>

Values are compared ignoring case, as actions/cache compares keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from cache_python_deps.errors import CachePythonDepsError
from cache_python_deps.keys import COMPONENT_NAMES

KNOWN_FORMATS: Final = ("1", "2")
ORIGINAL_FORMAT: Final = "original"

# Components that say which machine a cache is for, then which interpreter ABI.
PLATFORM_COMPONENTS: Final = ("os", "os release", "architecture", "pointer size", "libc")
INTERPRETER_COMPONENTS: Final = ("implementation", "abi tag", "abi epoch")
# Longest text read as a key: actions/cache refuses keys over 512 characters.
MAX_KEY_TEXT: Final = 512

_FIELD: Final = r"[a-z0-9._]+"
_FIELD_RULES: Final = {
    "prefix": r"cpd",
    "key format": r"[0-9]+",
    "os": _FIELD,
    "os release": _FIELD,
    "architecture": _FIELD,
    "pointer size": r"[0-9]+bit",
    "libc": _FIELD,
    "implementation": _FIELD,
    "abi tag": _FIELD,
    "abi epoch": _FIELD,
    "tool": r"[a-z0-9_]+\.[a-z0-9._]+",
    "cache kind": r"tool|venv\.[a-z0-9._]+",
    "dependencies": r"[a-z0-9._+=-]{1,128}",
}
_ORIGINAL_KEY: Final = re.compile(
    r"(?P<os>[A-Za-z0-9_.]+)-python-dep-cache"
    r"(?:-(?P<stability>stable|unstable)"
    r"(?:-(?P<interpreter>[0-9a-f]{128})"
    r"(?:-(?P<again>[0-9a-f]{128})"
    r"(?:-(?P<dependencies>[^\s,]*))?)?)?)?",
    re.IGNORECASE,
)
_ORIGINAL_NAMES: Final = (
    ("os", "os"),
    ("stability", "stability"),
    ("interpreter", "interpreter (sha512 of sys.version)"),
    ("again", "interpreter again"),
    ("dependencies", "dependencies"),
)


class NotAKeyError(CachePythonDepsError):
    """Text that is not a cache key (or key prefix) of this project or of the original action."""


@dataclass(frozen=True)
class ParsedKey:
    """A key (or a key prefix) with its components named, in key order."""

    text: str
    key_format: str  # "1", "2" or ORIGINAL_FORMAT
    components: tuple[tuple[str, str], ...]
    # False for a prefix such as a restore key: the components after it are absent.
    complete: bool

    def get(self, name: str) -> str | None:
        """The value of one component, or None when this key has none of that name."""
        for component, value in self.components:
            if component == name:
                return value
        return None

    @property
    def is_original(self) -> bool:
        """A key of the original action, which this project's keys never match."""
        return self.key_format == ORIGINAL_FORMAT


def parse_key(text: str) -> ParsedKey:
    """Name the components of ``text``; NotAKeyError (one line) if it is not a key of ours."""
    key = text.strip()
    if not key:
        raise NotAKeyError("an empty string is not a cache key")
    if len(key) > MAX_KEY_TEXT:
        raise NotAKeyError(
            f"a text of {len(key)} characters is not a cache key (at most {MAX_KEY_TEXT})"
        )
    if key.lower().startswith("cpd-"):
        return _parse_ours(key)
    match = _ORIGINAL_KEY.fullmatch(key)
    if match:
        return _parse_original(key, match)
    raise NotAKeyError(
        f"{key!r} is not a key of cache-python-deps (cpd-...) nor of the original action "
        "(<os>-python-dep-cache-...)"
    )


def _parse_ours(key: str) -> ParsedKey:
    complete_fields = len(COMPONENT_NAMES)
    fields = key.split("-", complete_fields - 1)
    if fields[-1] == "":  # a prefix ends with the dash before its next field
        fields.pop()
    if len(fields) < 2:
        raise NotAKeyError(f"{key!r} is not a cache key: it has no key format after 'cpd-'")
    key_format = fields[1]
    if key_format not in KNOWN_FORMATS:
        raise NotAKeyError(
            f"{key!r} has key format {key_format[:20]!r}; this version reads formats "
            f"{' and '.join(KNOWN_FORMATS)}"
        )
    for name, value in zip(COMPONENT_NAMES, fields, strict=False):
        if not re.fullmatch(_FIELD_RULES[name], value, re.IGNORECASE):
            raise NotAKeyError(
                f"{key!r} is not a key of cache-python-deps: its {name} field "
                f"{value[:80]!r} is not one this project writes"
            )
    return ParsedKey(
        text=key,
        key_format=key_format,
        components=tuple(zip(COMPONENT_NAMES, fields, strict=False)),
        complete=len(fields) == complete_fields,
    )


def _parse_original(key: str, match: re.Match[str]) -> ParsedKey:
    components = [("key format", ORIGINAL_FORMAT)]
    for group, name in _ORIGINAL_NAMES:
        value = match.group(group)
        if value is None:
            break
        components.append((name, value))
    return ParsedKey(
        text=key,
        key_format=ORIGINAL_FORMAT,
        components=tuple(components),
        complete=match.group("dependencies") is not None,
    )


@dataclass(frozen=True)
class ComponentChange:
    """One component whose value differs; None where a key (a prefix) has no such component."""

    name: str
    left: str | None
    right: str | None


@dataclass(frozen=True)
class KeyDiff:
    """How two keys differ, component by component."""

    left: ParsedKey
    right: ParsedKey
    changes: tuple[ComponentChange, ...]

    @property
    def same(self) -> bool:
        """True when actions/cache would treat the two as one key."""
        return not self.changes and self.left.complete == self.right.complete

    def changed(self, name: str) -> ComponentChange | None:
        """The change of one component, if it changed."""
        return next((change for change in self.changes if change.name == name), None)


def _equal(left: str | None, right: str | None) -> bool:
    if left is None or right is None:
        return left is right
    return left.lower() == right.lower()


def diff_keys(left: ParsedKey, right: ParsedKey) -> KeyDiff:
    """The components whose values differ (ignoring case), in key order.

    A component only one key has (the other being a prefix) counts as a change with None on
    the other side. Keys of different schemes are compared on the names they share (the
    ``key format`` always differs).
    """
    names = [name for name, _ in left.components]
    names += [name for name, _ in right.components if name not in names]
    if left.is_original != right.is_original:
        # Only the names both schemes use mean the same thing on both sides.
        shared = {name for name, _ in left.components} & {name for name, _ in right.components}
        names = [name for name in names if name in shared]
    changes = tuple(
        ComponentChange(name, left.get(name), right.get(name))
        for name in names
        if not _equal(left.get(name), right.get(name))
    )
    return KeyDiff(left=left, right=right, changes=changes)


def _arrow(change: ComponentChange) -> str:
    return f"{change.left or '(none)'} -> {change.right or '(none)'}"


def describe_diff(diff: KeyDiff) -> str:  # noqa: PLR0911 - one case per kind of change
    """What the difference means for a cache restore, in plain words (one line).

    The values quoted come from the keys, which may be untrusted: escape this line for the sink
    it goes to (``github.log_text``, ``github.markdown_code``).
    """
    if diff.same:
        if diff.left.text != diff.right.text:
            return "the same key (actions/cache compares keys ignoring case)"
        return "the same key"
    left, right = diff.left, diff.right
    if left.is_original or right.is_original:
        if left.is_original and right.is_original:
            return _describe_original(diff)
        return (
            "one is a key of the original action (re-actors/cache-python-deps v1): "
            "this action never restores those; the first run after moving misses once"
        )
    format_change = diff.changed("key format")
    if format_change:
        return (
            f"the key format changed ({_arrow(format_change)}): entries saved by another "
            "release of this action are never restored; the first run after upgrading misses once"
        )
    present = [change for change in diff.changes if None not in (change.left, change.right)]
    if not present:
        shorter = "first" if len(left.components) < len(right.components) else "second"
        return f"the {shorter} is a prefix of the other (a restore key matches it)"
    return "; ".join(_phrases(diff))


def _phrases(diff: KeyDiff) -> list[str]:
    phrases = []
    platform = [c for c in diff.changes if c.name in PLATFORM_COMPONENTS]
    if platform:
        what = ", ".join(f"{c.name} {_arrow(c)}" for c in platform)
        phrases.append(f"another platform or runner image ({what})")
    interpreter = [c for c in diff.changes if c.name in INTERPRETER_COMPONENTS]
    if interpreter:
        what = ", ".join(f"{c.name} {_arrow(c)}" for c in interpreter)
        phrases.append(f"another interpreter ABI ({what})")
    tool = diff.changed("tool")
    if tool:
        phrases.append(f"another tool or cache layout ({_arrow(tool)})")
    kind = diff.changed("cache kind")
    if kind:
        both_venvs = all(
            (value or "").lower().startswith("venv.") for value in (kind.left, kind.right)
        )
        if both_venvs:
            phrases.append(
                f"another interpreter install ({_arrow(kind)}): a virtualenv follows one install"
            )
        else:
            phrases.append(f"another cache kind ({_arrow(kind)})")
    dependencies = diff.changed("dependencies")
    if dependencies and None not in (dependencies.left, dependencies.right):
        prefix = "" if phrases else "same interpreter, "
        phrases.append(f"{prefix}dependencies changed ({_arrow(dependencies)})")
    return phrases


def _describe_original(diff: KeyDiff) -> str:
    names = [change.name for change in diff.changes]
    if names == ["dependencies"]:
        return "same interpreter, dependencies changed (both keys of the original action)"
    return f"keys of the original action differing in: {', '.join(names)}"
