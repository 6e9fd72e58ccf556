"""Render job-summary Markdown the way GitHub does (CommonMark, tables, raw HTML allowed) and
list the HTML elements it produced, to prove that untrusted values add none."""

from __future__ import annotations

from html.parser import HTMLParser

from markdown_it import MarkdownIt

# What the project's own summaries are made of; anything else came from a value.
OWN_ELEMENTS = frozenset(
    {
        "h3",
        "h4",
        "p",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "code",
        "ul",
        "li",
        "strong",
        "em",
    }
)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.add(tag)


def rendered_elements(markdown: str) -> set[str]:
    """The HTML element names ``markdown`` renders to."""
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    parser = _Elements()
    parser.feed(html)
    return parser.found


def foreign_elements(markdown: str) -> set[str]:
    """Elements the project's summaries never make themselves (injected by a value)."""
    return rendered_elements(markdown) - OWN_ELEMENTS


class _Layout(HTMLParser):
    """The parts of a rendered summary the layout rules look at."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[str] = []  # top-level elements, in order
        self.depth = 0
        self.headers: list[str] = []  # each table header cell's text
        self.codes: list[str] = []  # each code span's text
        self.first_paragraph: list[tuple[str, str]] = []  # (element, text) of the first <p>
        self._open: list[str] = []
        self._text: list[str] = []
        self._paragraphs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._open:
            self.order.append(tag)
            if tag == "p":
                self._paragraphs += 1
        self._open.append(tag)
        if tag in {"th", "code"}:
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "th":
            self.headers.append("".join(self._text).strip())
        elif tag == "code":
            self.codes.append("".join(self._text))
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        self._text.append(data)
        if self._paragraphs == 1 and self._open and self._open[0] == "p":
            self.first_paragraph.append((self._open[-1], data))


def _layout(markdown: str) -> _Layout:
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    parser = _Layout()
    parser.feed(html)
    return parser


def code_spans(markdown: str) -> list[str]:
    """The text of every code span (every value) ``markdown`` renders."""
    return _layout(markdown).codes


def summary_problems(markdown: str) -> list[str]:
    """What breaks the summary's layout (see src/cache_python_deps/summary.py): one heading
    (h3) first and no other, a status line (a paragraph that starts in bold) right after it,
    tables whose headers all say something, and no element a value added."""
    problems = [
        f"an element no summary makes: <{tag}>" for tag in sorted(foreign_elements(markdown))
    ]
    layout = _layout(markdown)
    if layout.order[:2] != ["h3", "p"]:
        problems.append(f"not one heading, then the status line: {layout.order[:2]}")
    headings = [tag for tag in layout.order if tag.startswith("h")]
    if headings != ["h3"]:
        problems.append(f"headings {headings}, not one h3")
    if not layout.first_paragraph or layout.first_paragraph[0][0] != "strong":
        problems.append("the status line does not start with its status in bold")
    problems += ["a table header cell says nothing" for text in layout.headers if not text]
    return problems


def text_outside_code(markdown: str) -> str:
    """The text ``markdown`` renders, code spans left out: our own words only."""
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    parser = _Outside()
    parser.feed(html)
    return "".join(parser.text)


class _Outside(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self._in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_code += tag == "code"

    def handle_endtag(self, tag: str) -> None:
        self._in_code -= tag == "code"

    def handle_data(self, data: str) -> None:
        if not self._in_code:
            self.text.append(data)
