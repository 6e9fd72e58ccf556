"""GitHub Actions I/O: step outputs, the job summary and annotations. Nothing else knows GitHub."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO


def format_outputs(outputs: Mapping[str, str]) -> str:
    """``GITHUB_OUTPUT`` text; every value uses a random heredoc delimiter, newline-safe."""
    chunks = []
    for name, value in outputs.items():
        delimiter = f"CPD_EOF_{os.urandom(16).hex()}"
        while delimiter in value:  # pragma: no cover - 128 random bits
            delimiter = f"CPD_EOF_{os.urandom(16).hex()}"
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(chunks)


def write_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append step outputs to the ``GITHUB_OUTPUT`` file."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(format_outputs(outputs))


def escape_annotation(message: str) -> str:
    """Escape a workflow-command message so it stays one command."""
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def annotation(level: str, message: str, *, title: str | None = None) -> str:
    """A ``::notice::``/``::warning::``/``::error::`` workflow command line."""
    properties = f" title={escape_annotation(title).replace(',', '%2C')}" if title else ""
    return f"::{level}{properties}::{escape_annotation(message)}"


def markdown_table(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column Markdown table; values are shown as code."""
    lines = ["| | |", "| --- | --- |"]
    for name, value in rows:
        shown = value.replace("|", "\\|").replace("`", "'")
        lines.append(f"| {name} | `{shown}` |" if shown else f"| {name} | |")
    return "\n".join(lines)


def write_summary(path: Path, markdown: str) -> None:
    """Append Markdown to the job summary (``GITHUB_STEP_SUMMARY``)."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(markdown.rstrip("\n") + "\n\n")


def group(stream: TextIO, title: str, lines: Iterable[str]) -> None:
    """Print lines inside a collapsible log group."""
    stream.write(f"::group::{escape_annotation(title)}\n")
    for line in lines:
        stream.write(line + "\n")
    stream.write("::endgroup::\n")
