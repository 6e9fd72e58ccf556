"""Where each value of a key came from, said once and rendered per front end.

The command line names its options (``--tool``); the action names the inputs its user wrote
(``tool``, ``cache-key-for-dependency-files``). Everything else (``platform.system()``) reads
the same in both. A ``Source`` is one of a closed set of ``Origin`` values, plus the untrusted
detail some of them name (a directory, the tool's own answer): so it can travel from the keys
step to the record step as data (``to_json``/``from_json``) and be validated there.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final, NamedTuple

from cache_python_deps.github import Phrase, Untrusted, markdown_code


class FrontEnd(enum.Enum):
    """Who shows a source: the command line, or the action's job summary."""

    CLI = "cli"
    ACTION = "action"


# Value types are NamedTuples, as everywhere in the package (CONTRIBUTING.md says why).


class Setting(NamedTuple):
    """One thing the user sets, by the name each front end gives it."""

    option: str  # the command line's
    input: str  # the action's


PYTHON: Final = Setting("--python", "python-path")
TOOL: Final = Setting("--tool", "tool")
CACHE_KIND: Final = Setting("--cache-kind", "cache-kind")
DEPENDENCY_HASH: Final = Setting("--dependency-hash", "cache-key-for-dependency-files")
LOOKUP_COMMAND: Final = Setting(
    "--cache-directory-lookup-command", "cache-directory-lookup-command"
)


class SettingValue(NamedTuple):
    """A setting with one value (``--cache-kind venv``, ``cache-kind: venv``)."""

    setting: Setting
    value: str


class Origin(enum.Enum):
    """Every place a key component or a fact comes from."""

    KEY_PREFIX = "key-prefix"
    KEY_FORMAT = "key-format"
    OS = "os"
    OS_RELEASE = "os-release"
    ARCHITECTURE = "architecture"
    POINTER_SIZE = "pointer-size"
    LIBC = "libc"
    IMPLEMENTATION = "implementation"
    ABI_TAG = "abi-tag"
    STABLE_EPOCH = "stable-epoch"
    UNSTABLE_EPOCH = "unstable-epoch"
    TOOL_SETTING = "tool-setting"
    KIND_SETTING = "kind-setting"
    VIRTUALENV_INSTALL = "virtualenv-install"
    # The key's dependencies component: the dependency hash's own source, shown beside it.
    DEPENDENCY_HASH = "dependency-hash"
    DEPENDENCY_SETTING = "dependency-setting"
    HASHED_FILES = "hashed-files"  # detail: the project directory; files: how many
    NO_DEPENDENCY_FILES = "no-dependency-files"  # detail: the project directory
    LOOKUP_COMMAND = "lookup-command"
    VIRTUALENV_DEFAULT = "virtualenv-default"  # detail: the directory in the project
    TOOL_RULES = "tool-rules"  # detail: the tool's own source ("UV_CACHE_DIR", "pip's default")
    PYTHON_SETTING = "python-setting"
    PYTHON_ON_PATH = "python-on-path"


# A part of a source: our words, a setting (named per front end), or an untrusted value.
Part = str | Setting | SettingValue

_WORDS: Final[Mapping[Origin, tuple[Part, ...]]] = {
    Origin.KEY_PREFIX: ("cache-python-deps keys",),
    Origin.KEY_FORMAT: ("key format version",),
    Origin.OS: ("platform.system()",),
    Origin.OS_RELEASE: ("/etc/os-release, macOS or Windows version",),
    Origin.ARCHITECTURE: (
        "the interpreter's wheel platform (sysconfig, as pypa/packaging derives it)",
    ),
    Origin.POINTER_SIZE: ("struct.calcsize('P')",),
    Origin.LIBC: ("confstr/ctypes glibc version, musl loader",),
    Origin.IMPLEMENTATION: ("sys.implementation",),
    Origin.ABI_TAG: ("sysconfig (as pypa/packaging derives it)",),
    Origin.STABLE_EPOCH: ("X.Y (stable ABI)",),
    Origin.UNSTABLE_EPOCH: ("exact pre-release + hash of sys.version (unstable ABI)",),
    Origin.TOOL_SETTING: (TOOL,),
    Origin.KIND_SETTING: (CACHE_KIND,),
    Origin.VIRTUALENV_INSTALL: ("exact version + hash of base executable, sys.version",),
    Origin.DEPENDENCY_HASH: ("dependency hash",),
    Origin.DEPENDENCY_SETTING: (DEPENDENCY_HASH,),
    Origin.LOOKUP_COMMAND: (LOOKUP_COMMAND,),
    Origin.PYTHON_SETTING: (PYTHON,),
    Origin.PYTHON_ON_PATH: ("python on PATH",),
}
# The most a detail holds: a directory or a tool's words about a config file.
MAX_DETAIL: Final = 4096
MAX_FILES: Final = 10**9


class InvalidSourceError(ValueError):
    """A source read back from data that is not one this module writes."""


class Source(NamedTuple):
    """Where one value came from: an ``Origin``, with the untrusted detail it names."""

    origin: Origin
    detail: str = ""
    files: int = 0  # how many files were hashed

    def parts(self) -> tuple[Part, ...]:
        """Our words, settings and values, in order (``Untrusted`` for the detail)."""
        if self.origin is Origin.HASHED_FILES:
            return (f"hashFiles() of {self.files} file(s) in ", Untrusted(self.detail))
        if self.origin is Origin.NO_DEPENDENCY_FILES:
            return ("no dependency files in ", Untrusted(self.detail))
        if self.origin is Origin.TOOL_RULES:
            return (Untrusted(self.detail),)
        if self.origin is Origin.VIRTUALENV_DEFAULT:
            venv = SettingValue(CACHE_KIND, "venv")
            return ("the project's ", Untrusted(self.detail), " (default for ", venv, ")")
        return _WORDS[self.origin]

    def text(self, front_end: FrontEnd = FrontEnd.CLI) -> str:
        """Plain text (escape it for its sink): settings as ``front_end`` names them."""
        return "".join(_text(part, front_end) for part in self.parts())

    def phrase(self) -> Phrase:
        """The action's words, for the job summary: an input's name is code, as the user wrote
        it in the workflow; a value is ``Untrusted``."""
        return tuple(_action_part(part) for part in self.parts())

    def to_json(self) -> dict[str, object]:
        """The source as JSON-ready data (``from_json`` reads it back)."""
        data: dict[str, object] = {"origin": self.origin.value}
        if self.detail:
            data["detail"] = self.detail
        if self.files:
            data["files"] = self.files
        return data

    @classmethod
    def from_json(cls, data: object) -> Source:
        """A source from ``to_json``'s data, every field checked; InvalidSourceError if not."""
        if not isinstance(data, dict) or not set(data) <= {"origin", "detail", "files"}:
            raise InvalidSourceError("a source is not an object of origin, detail and files")
        try:
            origin = Origin(data.get("origin"))
        except ValueError:
            raise InvalidSourceError("a source's origin is not one this action writes") from None
        detail = data.get("detail", "")
        files = data.get("files", 0)
        if not isinstance(detail, str) or len(detail) > MAX_DETAIL:
            raise InvalidSourceError("a source's detail is not a text of the expected length")
        if type(files) is not int or not 0 <= files <= MAX_FILES:
            raise InvalidSourceError("a source's files is not a number of files")
        return cls(origin, detail, files)


def _text(part: Part, front_end: FrontEnd) -> str:
    if isinstance(part, Setting):
        return part.option if front_end is FrontEnd.CLI else part.input
    if isinstance(part, SettingValue):
        if front_end is FrontEnd.CLI:
            return f"{part.setting.option} {part.value}"
        return f"{part.setting.input}: {part.value}"
    return part


def _action_part(part: Part) -> str:
    """One part for the job summary: a setting in code, as the user wrote it in the workflow
    (our own names, not untrusted values)."""
    if isinstance(part, Setting):
        return "input " + markdown_code(part.input)
    if isinstance(part, SettingValue):
        return markdown_code(_text(part, FrontEnd.ACTION))
    return part
