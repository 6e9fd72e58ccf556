"""GitHub Actions I/O: step outputs, the job summary, annotations and the log. Nothing else
knows GitHub.

Every value written here may come from untrusted content (a pull request's files, a restored
cache, the interpreter, the REST API), so each sink has its own escaping:

- **Log lines.** The runner reads its log line by line (``\\n``, ``\\r\\n`` and a bare ``\\r``
  all end a line), treats a line that starts with ``::`` (after trimming) as a workflow command,
  and a legacy ``##[command]`` anywhere in a line. ``log_text`` makes a value one inert line;
  ``fenced_lines`` additionally brackets a block with ``::stop-commands::<random token>``.
- **Annotations** (``::warning::...``): the runner's ``%25``/``%0D``/``%0A`` escaping of the
  message, plus ``%3A``/``%2C`` in properties (``annotation``), so the command stays one line.
- **Job summary** (Markdown): a value is shown as a code span (``markdown_code``), in which
  Markdown and HTML are not interpreted; line breaks are made visible, ``|`` is escaped for
  table cells, and the span's backtick fence is longer than any run of backticks in the value.
  Our own words stay plain Markdown text: a sentence is a ``Phrase`` whose values are typed
  ``Untrusted`` until it is rendered for its sink (``phrase_markdown``, ``phrase_text``).
- **Outputs**: a random heredoc delimiter per value (``format_outputs``).

Every file is written as UTF-8 bytes with ``\\n`` line ends, on every OS (Python's text mode
would use the ANSI code page and ``\\r\\n`` on Windows). A lone surrogate (a file name in
another encoding, decoded with ``surrogateescape``) is a visible ``\\xdcff`` in the log and the
summary; in an output it is refused, since the value would no longer name the same file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final, NamedTuple, TextIO

from cache_python_deps.errors import CachePythonDepsError

TITLE: Final = "cache-python-deps"
NO_OUTPUT_FILE: Final = "GITHUB_OUTPUT is not set: not running as a GitHub Actions step"
# Longest untrusted value shown in the log or the summary; the rest is cut with a marker.
MAX_SHOWN_VALUE: Final = 1000

# Control characters, line and paragraph separators, and lone surrogates (not UTF-8 text).
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NAMED_CONTROLS: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


class OutputError(CachePythonDepsError):
    """A runner file (outputs, summary) could not be written: one line, for the caller."""


def _visible_controls(value: str) -> str:
    """Control characters (line breaks, ESC, NUL...) as visible backslash escapes."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        return _NAMED_CONTROLS.get(char) or f"\\x{ord(char):02x}"

    return _CONTROL.sub(escape, value)


def shorten(value: str, limit: int = MAX_SHOWN_VALUE) -> str:
    """``value`` cut to ``limit`` characters, with a marker saying how much was left out."""
    if len(value) <= limit:
        return value
    return f"{value[:limit]}... ({len(value) - limit} more characters)"


def log_text(value: object, limit: int = MAX_SHOWN_VALUE) -> str:
    """Untrusted text as one inert log line: no line break, no control character, no command.

    A leading ``::`` (after the whitespace the runner trims) and any ``##[`` get a space.
    """
    text = _visible_controls(shorten(str(value), limit))
    text = text.replace("##[", "## [")
    stripped = text.lstrip()
    if stripped.startswith("::"):
        text = text[: len(text) - len(stripped)] + ": :" + stripped[2:]
    return text


def fenced_lines(stream: TextIO, lines: Iterable[str]) -> None:
    """Write untrusted lines with workflow commands switched off around them.

    Each line is made inert by ``log_text`` too: the fence is the second guard.
    """
    token = os.urandom(16).hex()
    stream.write(f"::stop-commands::{token}\n")
    for line in lines:
        stream.write(log_text(line) + "\n")
    stream.write(f"::{token}::\n")


def escape_annotation(message: str) -> str:
    """Escape a workflow-command message (data) so it stays one command."""
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow-command property value (``title=...``)."""
    return escape_annotation(value).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, *, title: str | None = None) -> str:
    """A ``::notice::``/``::warning::``/``::error::`` workflow command line.

    The whole command is one log line: the runner decodes ``%0A`` back into a line break of
    the annotation's message, which is data, never a command.
    """
    properties = f" title={escape_property(shorten(title))}" if title else ""
    return f"::{level}{properties}::{escape_annotation(shorten(message))}"


def markdown_code(value: object, limit: int = MAX_SHOWN_VALUE) -> str:
    """Untrusted text as a Markdown code span, safe in a paragraph or a table cell."""
    text = _visible_controls(shorten(str(value), limit)).replace("|", "\\|")
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{padding}{text}{padding}{fence}"


class Untrusted(str):
    """Text from outside (the interpreter, a restored cache, the API, a path): each rendering
    escapes it for its sink."""

    __slots__ = ()


# A sentence: our own words, and untrusted values kept apart until rendered.
Phrase = tuple[str, ...]


def phrase_markdown(phrase: Phrase) -> str:
    """A phrase for the job summary: every untrusted part a code span, our words plain text."""
    return "".join(markdown_code(p) if isinstance(p, Untrusted) else p for p in phrase)


def phrase_text(phrase: Phrase) -> str:
    """One inert line: every part made visible and command-free."""
    return log_text("".join(phrase))


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Phrase]]) -> str:
    """A Markdown table: our own headers, one phrase a cell (``phrase_markdown``)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(phrase_markdown(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def human_size(size: int) -> str:
    """Bytes in decimal units, as GitHub shows cache sizes (``1.2 GB``)."""
    if size < 1000:
        return f"{size} B"
    value = size / 1000
    for unit in ("kB", "MB"):
        if value < 1000:
            return f"{value:.1f}".removesuffix(".0") + f" {unit}"
        value /= 1000
    return f"{value:.1f}".removesuffix(".0") + " GB"


def format_outputs(outputs: Mapping[str, str]) -> str:
    """``GITHUB_OUTPUT`` text; every value uses a random heredoc delimiter, newline-safe."""
    chunks = []
    for name, value in outputs.items():
        delimiter = f"CPD_EOF_{os.urandom(16).hex()}"
        while delimiter in value:  # pragma: no cover - 128 random bits
            delimiter = f"CPD_EOF_{os.urandom(16).hex()}"
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(chunks)


def _append(path: Path, data: bytes, what: str) -> None:
    try:
        with path.open("ab") as handle:
            handle.write(data)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise OutputError(f"cannot write the {what} ({log_text(path)}): {reason}") from None


def encode_outputs(outputs: Mapping[str, str]) -> bytes:
    """``format_outputs`` as UTF-8; OutputError naming an output whose value is not text."""
    for name, value in outputs.items():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise OutputError(
                f"output {name} cannot be written: its value {log_text(value, 200)!r} is not "
                "valid Unicode text (a name in another encoding than UTF-8?)"
            ) from None
    return format_outputs(outputs).encode("utf-8")


def write_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append step outputs to the ``GITHUB_OUTPUT`` file; OutputError if that fails."""
    _append(path, encode_outputs(outputs), "step outputs")


def write_summary(path: Path, markdown: str) -> None:
    """Append Markdown to the job summary (``GITHUB_STEP_SUMMARY``); OutputError if that fails.

    Values in it went through ``markdown_code``; anything else UTF-8 cannot encode is escaped.
    """
    text = markdown.rstrip("\n") + "\n\n"
    _append(path, text.encode("utf-8", "backslashreplace"), "job summary")


def group(stream: TextIO, title: str, lines: Iterable[str]) -> None:
    """Print lines inside a collapsible log group; each line is made inert."""
    stream.write(f"::group::{escape_annotation(log_text(title))}\n")
    for line in lines:
        stream.write(log_text(line) + "\n")
    stream.write("::endgroup::\n")


class StepIO(NamedTuple):
    """The runner files and variables one step gets, and where it prints."""

    environ: Mapping[str, str]
    stdout: TextIO
    output_path: Path | None
    summary_path: Path | None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], stdout: TextIO) -> StepIO:
        output = environ.get("GITHUB_OUTPUT", "")
        summary = environ.get("GITHUB_STEP_SUMMARY", "")
        return cls(
            environ, stdout, Path(output) if output else None, Path(summary) if summary else None
        )

    def print(self, line: str) -> None:
        self.stdout.write(line + "\n")

    def annotate(self, level: str, message: str, *, title: str = TITLE) -> None:
        self.print(annotation(level, message, title=title))

    def write_outputs(self, outputs: Mapping[str, str]) -> None:
        if self.output_path is None:
            raise OutputError(NO_OUTPUT_FILE)
        write_outputs(self.output_path, outputs)

    def write_summary(self, markdown: str) -> None:
        """Append to the job summary; a summary that cannot be written is one notice, no more."""
        if self.summary_path is None:
            return
        try:
            write_summary(self.summary_path, markdown)
        except OutputError as error:
            self.annotate("notice", f"no job summary: {error}")
