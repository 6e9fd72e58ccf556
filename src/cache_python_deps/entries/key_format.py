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
from typing import Final, NamedTuple

from cache_python_deps.errors import CachePythonDepsError
from cache_python_deps.github import Phrase, Untrusted
from cache_python_deps.keys import (
    COMPONENT_NAMES,
    DEPENDENCY_COMPONENTS,
    INTERPRETER_COMPONENTS,
    MAX_KEY_LENGTH,
    SCHEME_COMPONENTS,
    same_value,
)

KNOWN_FORMATS: Final = ("1", "2")
ORIGINAL_FORMAT: Final = "original"
# Longest text read as a key: actions/cache refuses longer keys.
MAX_KEY_TEXT: Final = MAX_KEY_LENGTH

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


class ParsedKey(NamedTuple):
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


class ComponentChange(NamedTuple):
    """One component whose value differs; None where a key (a prefix) has no such component."""

    name: str
    left: str | None
    right: str | None


class KeyDiff(NamedTuple):
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

    @property
    def agreeing(self) -> int:
        """How many leading components (of the left key, in key order) agree: all of them for
        the same key. The nearer an entry, the more it agrees with this job's key."""
        changed = {change.name for change in self.changes}
        for index, (name, _) in enumerate(self.left.components):
            if name in changed:
                return index
        return len(self.left.components)


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
        if not same_value(left.get(name), right.get(name))
    )
    return KeyDiff(left=left, right=right, changes=changes)


def _value(value: str | None) -> Phrase:
    return ("(none)",) if value is None else (Untrusted(value),)


def _arrow(change: ComponentChange) -> Phrase:
    return (*_value(change.left), " -> ", *_value(change.right))


def describe_diff(diff: KeyDiff) -> str:
    """What the difference means for a cache restore, in plain words (one line).

    The values quoted come from the keys, which may be untrusted: escape this line for the sink
    it goes to (``github.log_text``), or render ``diff_phrase`` for the job summary.
    """
    return "".join(diff_phrase(diff))


def diff_phrase(diff: KeyDiff) -> Phrase:  # noqa: PLR0911 - one case per kind of change
    """``describe_diff``'s sentence, with the keys' values ``Untrusted``."""
    if diff.same:
        if diff.left.text != diff.right.text:
            return ("the same key (actions/cache compares keys ignoring case)",)
        return ("the same key",)
    left, right = diff.left, diff.right
    if left.is_original or right.is_original:
        if left.is_original and right.is_original:
            return (_describe_original(diff),)
        return (
            "one is a key of the original action (re-actors/cache-python-deps v1): "
            "this action never restores those; the first run after moving misses once",
        )
    format_change = diff.changed("key format")
    if format_change:
        return (
            "the key format changed (",
            *_arrow(format_change),
            "): entries saved by another release of this action are never restored; the first "
            "run after upgrading misses once",
        )
    present = [change for change in diff.changes if None not in (change.left, change.right)]
    if not present:
        shorter = "first" if len(left.components) < len(right.components) else "second"
        return (f"the {shorter} is a prefix of the other (a restore key matches it)",)
    return _joined(_phrases(diff), "; ")


def _joined(phrases: list[Phrase], separator: str) -> Phrase:
    joined: list[str] = []
    for phrase in phrases:
        if joined:
            joined.append(separator)
        joined.extend(phrase)
    return tuple(joined)


class Meaning(NamedTuple):
    """What a difference in a group of components means, in this project's words."""

    components: tuple[str, ...]
    # A key that differs there: "another interpreter ABI (abi tag cp312 -> cp313)".
    change: str
    # Why no entry of this job's value exists yet, when the nearest entries differ there.
    first_run: str


# The one phrase table for how two keys differ: the CLI's diff, the record step's partial
# restores and the miss report all say it so.
MEANINGS: Final = (
    Meaning(
        SCHEME_COMPONENTS,
        "another release of this action",
        "the first run after upgrading misses once",
    ),
    Meaning(
        ("os", "architecture", "pointer size"),
        "another platform or runner image",
        "first run on this platform",
    ),
    Meaning(("os release", "libc"), "another platform or runner image", "the runner image changed"),
    Meaning(INTERPRETER_COMPONENTS, "another interpreter ABI", "first run of this interpreter"),
    Meaning(
        ("tool",),
        "another tool or cache layout",
        "first run with this tool (or its cache layout changed)",
    ),
    Meaning(("cache kind",), "another cache kind", "first run of this cache kind"),
    Meaning(DEPENDENCY_COMPONENTS, "dependencies changed", "dependencies changed"),
)
# Two virtualenv kinds (``venv.<version>.<install>``) differ by the interpreter install.
VIRTUALENV_MEANING: Final = Meaning(
    ("cache kind",),
    "another interpreter install: a virtualenv follows one install",
    "a virtualenv follows one exact install",
)
# Pre-release and development builds key their ABI epoch by the exact build.
UNSTABLE_EPOCH_NOTE: Final = " build (pre-release and development builds never share caches)"


def meaning(name: str, *values: str | None) -> Meaning:
    """What a difference in component ``name`` means, between ``values`` (if given)."""
    if name == "cache kind" and values and both_virtualenvs(*values):
        return VIRTUALENV_MEANING
    return next(entry for entry in MEANINGS if name in entry.components)


def both_virtualenvs(*kinds: str | None) -> bool:
    """Whether every cache kind given is a virtualenv's (``venv.<version>.<install>``)."""
    return all((kind or "").lower().startswith("venv.") for kind in kinds)


def _phrases(diff: KeyDiff) -> list[Phrase]:
    """One phrase per meaning that changed, in key order, each with its components' values."""
    grouped: dict[Meaning, list[ComponentChange]] = {}
    # A component only one key has (the other is a prefix) says nothing about the entry.
    for change in (c for c in diff.changes if None not in (c.left, c.right)):
        grouped.setdefault(meaning(change.name, change.left, change.right), []).append(change)
    phrases: list[Phrase] = []
    for found, changes in grouped.items():
        if found.components == DEPENDENCY_COMPONENTS:
            prefix = "" if phrases else "same interpreter, "
            phrases.append((f"{prefix}{found.change} (", *_arrow(changes[0]), ")"))
        elif len(found.components) == 1:
            phrases.append((f"{found.change} (", *_arrow(changes[0]), ")"))
        else:
            what = _joined([(f"{change.name} ", *_arrow(change)) for change in changes], ", ")
            phrases.append((f"{found.change} (", *what, ")"))
    return phrases


def _describe_original(diff: KeyDiff) -> str:
    names = [change.name for change in diff.changes]
    if names == ["dependencies"]:
        return "same interpreter, dependencies changed (both keys of the original action)"
    return f"keys of the original action differing in: {', '.join(names)}"
