"""Every value written to the log, an annotation or the job summary is made inert there."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cache_python_deps.github import (
    MAX_SHOWN_VALUE,
    OutputError,
    Phrase,
    Untrusted,
    annotation,
    fenced_lines,
    group,
    log_text,
    markdown_code,
    markdown_table,
    phrase_markdown,
    write_outputs,
    write_summary,
)
from tests.markdown_check import foreign_elements

HOSTILE = [
    "::warning::injected",
    "  ::add-mask::secret",
    "ok\n::error::second line",
    "ok\r::error::after a carriage return",
    "x ##[error]legacy command anywhere",
    "\x1b[31mred\x1b[0m",
    "a\u2028b",
]


def _lines_as_the_runner_reads_them(text: str) -> list[str]:
    # The runner's reader ends a line at \n, \r\n and a bare \r.
    return re.split(r"\r\n|\n|\r", text)


def _is_command(line: str) -> bool:
    return line.strip().startswith("::") or "##[" in line


@pytest.mark.parametrize("value", HOSTILE)
def test_log_text_is_one_line_that_is_no_command(value: str) -> None:
    line = log_text(value)
    assert len(_lines_as_the_runner_reads_them(line)) == 1
    assert not _is_command(line)


@given(st.text())
def test_log_text_never_yields_a_line_break_or_a_command(value: str) -> None:
    line = log_text(value)
    assert len(_lines_as_the_runner_reads_them(line)) == 1
    assert not _is_command(line)


def test_log_text_is_bounded() -> None:
    line = log_text("x" * 100_000)
    assert len(line) < MAX_SHOWN_VALUE + 50
    assert line.endswith("(99000 more characters)")


def test_fenced_lines_switch_commands_off_around_the_block() -> None:
    stream = io.StringIO()
    fenced_lines(stream, HOSTILE)
    lines = stream.getvalue().splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert lines[-1] == f"::{token}::"
    assert not any(_is_command(line) for line in lines[1:-1])


def test_group_lines_are_inert() -> None:
    stream = io.StringIO()
    group(stream, "title\n::error::x", HOSTILE)
    lines = _lines_as_the_runner_reads_them(stream.getvalue().rstrip("\n"))
    assert lines[0].startswith("::group::")
    assert lines[-1] == "::endgroup::"
    assert not any(_is_command(line) for line in lines[1:-1])


@given(message=st.text(), title=st.text(min_size=1))
def test_an_annotation_stays_one_command_line(message: str, title: str) -> None:
    line = annotation("warning", message, title=title)
    assert len(_lines_as_the_runner_reads_them(line)) == 1
    # The title property ends at the first "::" and holds no "," that would add a property.
    properties, separator, _ = line.removeprefix("::").partition("::")
    assert separator == "::"
    assert properties.startswith("warning title=")
    assert "," not in properties and ":" not in properties


@pytest.mark.parametrize(
    "value",
    [
        "# heading",
        "<script>alert(1)</script>",
        "a | b",
        "`code` and ``more``",
        "line\nbreak",
        "[link](https://evil.example)",
        "**bold**",
        "`",
        "``",
    ],
)
def test_markdown_code_is_one_code_span(value: str) -> None:
    span = markdown_code(value)
    assert "\n" not in span and "\r" not in span
    fence = re.match(r"`+", span)
    assert fence is not None
    ticks = fence.group()
    assert span.endswith(ticks)
    inner = span[len(ticks) : -len(ticks)]
    # No run of backticks inside as long as the fence: the span cannot end early.
    assert all(len(run) < len(ticks) for run in re.findall(r"`+", inner))
    # A pipe would end a table cell: it is escaped.
    assert re.search(r"(?<!\\)\|", inner) is None


def _value_rows(rows: list[tuple[str, str]]) -> list[tuple[Phrase, Phrase]]:
    """Our labels, untrusted values (and a phrase of both) as a summary's table cells."""
    return [((name,), ("from ", Untrusted(value), " on")) for name, value in rows]


@given(st.lists(st.tuples(st.text(alphabet="abc", min_size=1), st.text()), max_size=5))
def test_a_table_keeps_its_shape_for_any_values(rows: list[tuple[str, str]]) -> None:
    table = markdown_table(("name", "value"), _value_rows(rows))
    lines = table.split("\n")
    assert len(lines) == len(rows) + 2
    for line in lines:
        assert len(re.findall(r"(?<!\\)\|", line)) == 3


@given(st.lists(st.tuples(st.sampled_from(["key", "ref"]), st.text()), min_size=1, max_size=4))
def test_a_rendered_table_holds_no_element_a_value_brought(rows: list[tuple[str, str]]) -> None:
    assert foreign_elements(markdown_table(("name", "value"), _value_rows(rows))) == set()


@given(st.text())
def test_a_phrase_renders_its_values_as_code_and_our_words_as_text(value: str) -> None:
    rendered = phrase_markdown(("our words ", Untrusted(value), " here"))
    assert rendered.startswith("our words ") and rendered.endswith(" here")
    assert rendered == f"our words {markdown_code(value)} here"
    assert foreign_elements(rendered) == set()


@pytest.mark.parametrize("value", ["<script>x</script>", "# h", "<img src=x>", "[a](http://e)"])
def test_a_rendered_code_span_holds_no_element_a_value_brought(value: str) -> None:
    assert foreign_elements(f"text {markdown_code(value)}") == set()


# A name that is not UTF-8 (decoded with surrogateescape, as os.fsdecode does) must not make a
# stream raise: the log and the summary show it escaped, an output refuses it in one line.
NOT_UTF8 = b"/tmp/caf\xe9".decode("utf-8", "surrogateescape")


@given(st.text())
def test_log_lines_and_code_spans_are_always_utf8(value: str) -> None:
    log_text(value).encode("utf-8")
    markdown_code(value).encode("utf-8")


def test_a_name_that_is_not_utf8_is_shown_escaped() -> None:
    assert log_text(NOT_UTF8) == "/tmp/caf\\xdce9"
    assert markdown_code(NOT_UTF8) == "`/tmp/caf\\xdce9`"


def test_files_are_utf8_bytes_with_lf_line_ends(tmp_path: Path) -> None:
    output, summary = tmp_path / "output", tmp_path / "summary"
    write_outputs(output, {"cache-directory-path": "/tmp/snow-\u2603\nsecond line"})
    write_summary(summary, "caf\u00e9\n\n" + NOT_UTF8)
    assert b"\r" not in output.read_bytes()
    assert "/tmp/snow-\u2603\nsecond line\n" in output.read_bytes().decode("utf-8")
    assert summary.read_bytes() == b"caf\xc3\xa9\n\n/tmp/caf\\udce9\n\n"


def test_an_output_that_is_not_text_is_refused_in_one_line(tmp_path: Path) -> None:
    output = tmp_path / "output"
    output.touch()
    with pytest.raises(
        OutputError, match="output cache-directory-path cannot be written"
    ) as raised:
        write_outputs(output, {"tool": "pip", "cache-directory-path": NOT_UTF8})
    assert "\n" not in str(raised.value)
    assert output.read_bytes() == b""  # nothing half-written
