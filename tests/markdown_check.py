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
