"""Render the job summary's main scenarios for the README: Markdown, HTML and screenshots.

    .venv/bin/python scripts/render_summaries.py            # docs/summaries/*.md and *.png
    .venv/bin/python scripts/render_summaries.py --no-screenshots --output /tmp/summaries

Every summary comes from running the action's real steps (``tests/summary_scenarios.py``: the
keys step, a simulated restore, the record step; the prune sub-action), never from Markdown
written by hand. Each is rendered to HTML with GitHub's Markdown rules (CommonMark with tables,
by markdown-it-py) inside GitHub-like CSS, then photographed by headless Chromium: a first
``--dump-dom`` pass measures the page's height, a second takes the screenshot at that size.
Chromium is needed for the pictures only (``--no-screenshots`` writes Markdown and HTML).

The README shows each picture with its Markdown collapsed beside it, between the markers
``<!-- summary:NAME -->`` and ``<!-- /summary:NAME -->``; the script rewrites what is between
them (``--readme``, the default when writing to docs/summaries).
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from markdown_it import MarkdownIt

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.summary_scenarios import TITLES, Scenario, remove_world, run_scenarios  # noqa: E402

DEFAULT_OUTPUT: Final = REPO_ROOT / "docs" / "summaries"
README: Final = REPO_ROOT / "README.md"
WIDTH: Final = 1000
CHROMIUM_SECONDS: Final = 60
# Flags that run Chromium headless on a bare machine, without profile, network or sandbox.
CHROMIUM_FLAGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)

# GitHub's look for a job summary (Primer's markdown-body, light theme), in a summary's frame.
# One liberty: GitHub scrolls a table wider than the page; here long values (``LONG_VALUE``
# characters and more: keys, hashes) wrap inside their cell instead, so that the picture holds
# the whole table.
CSS: Final = """
body { margin: 0; padding: 16px; background: #f6f8fa; }
.frame { border: 1px solid #d1d9e0; border-radius: 6px; background: #ffffff; }
.frame > .title { padding: 12px 16px; border-bottom: 1px solid #d1d9e0; font: 600 14px/1.5
  -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial,
  "Liberation Sans", sans-serif; color: #1f2328; }
.markdown-body { padding: 8px 24px 16px; color: #1f2328; font-size: 14px; line-height: 1.5;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial,
  "Liberation Sans", sans-serif; word-wrap: break-word; }
.markdown-body h3 { margin: 24px 0 16px; font-size: 1.25em; font-weight: 600; line-height: 1.25; }
.markdown-body p, .markdown-body ul, .markdown-body table { margin: 0 0 16px; }
.markdown-body ul { padding-left: 2em; }
.markdown-body li + li { margin-top: .25em; }
.markdown-body code { padding: .2em .4em; font-size: 85%; border-radius: 6px;
  background: rgba(129, 139, 151, .12); white-space: nowrap;
  font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono",
  monospace; }
.markdown-body code.long { white-space: break-spaces; overflow-wrap: anywhere; }
.markdown-body table { border-spacing: 0; border-collapse: collapse; display: block;
  width: max-content; max-width: 100%; overflow: auto; }
.markdown-body th { font-weight: 600; }
.markdown-body th, .markdown-body td { padding: 6px 13px; border: 1px solid #d1d9e0; }
.markdown-body th, .markdown-body td:first-child { white-space: nowrap; }
.markdown-body tr { background: #ffffff; border-top: 1px solid #d1d9e0; }
.markdown-body tr:nth-child(2n) { background: #f6f8fa; }
"""
# After the page is laid out: its height (the frame's bottom and the body's padding), for the
# second pass's window.
_MEASURE: Final = (
    "<script>document.body.setAttribute('data-height', String(Math.ceil("
    "document.querySelector('.frame').getBoundingClientRect().bottom + 16)));</script>"
)
_HEIGHT: Final = re.compile(r'data-height="([0-9]+)"')
_CODE: Final = re.compile(r"<code>([^<]*)</code>")
LONG_VALUE: Final = 40


def markdown_html(markdown: str) -> str:
    """The summary's HTML body as GitHub renders job summaries: CommonMark with tables."""
    rendered: str = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    return rendered


def _mark_long_values(body: str) -> str:
    """``<code class="long">`` for the values that may wrap (see ``CSS``)."""
    return _CODE.sub(
        lambda m: (
            m.group(0).replace("<code>", '<code class="long">', 1)
            if len(html.unescape(m.group(1))) >= LONG_VALUE
            else m.group(0)
        ),
        body,
    )


def page(scenario: Scenario) -> str:
    """A whole HTML page: the summary in a frame like the one GitHub draws around it."""
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(scenario.title)}</title><style>{CSS}</style></head>"
        "<body><div class='frame'><div class='title'>build summary</div>"
        f"<div class='markdown-body'>{_mark_long_values(markdown_html(scenario.markdown))}"
        "</div></div>"
        f"{_MEASURE}</body></html>\n"
    )


def write_pages(scenarios: Sequence[Scenario], output: Path) -> list[Path]:
    """``<name>.md`` (the step's Markdown) and ``<name>.html`` for each scenario."""
    output.mkdir(parents=True, exist_ok=True)
    pages = []
    for scenario in scenarios:
        (output / f"{scenario.name}.md").write_text(scenario.markdown, encoding="utf-8")
        path = output / f"{scenario.name}.html"
        path.write_text(page(scenario), encoding="utf-8")
        pages.append(path)
    return pages


def _chromium(chromium: str, profile: Path, *arguments: str) -> str:
    completed = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=CHROMIUM_SECONDS,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return completed.stdout


def screenshot(chromium: str, html_page: Path, png: Path) -> None:
    """Photograph ``html_page`` at ``WIDTH``, as tall as its content."""
    url = html_page.resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="cpd-chromium-") as profile:
        dom = _chromium(chromium, Path(profile), f"--window-size={WIDTH},2000", "--dump-dom", url)
    found = _HEIGHT.search(dom)
    if found is None:
        raise SystemExit(f"render_summaries: Chromium did not lay out {html_page.name}")
    height = int(found.group(1))
    with tempfile.TemporaryDirectory(prefix="cpd-chromium-") as profile:
        _chromium(
            chromium,
            Path(profile),
            f"--window-size={WIDTH},{height}",
            f"--screenshot={png.resolve()}",
            url,
        )


def readme_block(name: str, markdown: str) -> str:
    """What the README shows of one scenario: its picture, and its Markdown collapsed."""
    longest = max((len(run) for run in re.findall(r"`+", markdown)), default=0)
    fence = "`" * max(3, longest + 1)
    return (
        f"![{TITLES[name]}: the job summary as GitHub shows it](docs/summaries/{name}.png)\n\n"
        f"<details><summary>{html.escape(TITLES[name])}: the Markdown the step wrote</summary>"
        f"\n\n{fence}markdown\n{markdown.rstrip()}\n{fence}\n\n</details>"
    )


def update_readme(readme: str, sources: Path) -> str:
    """``readme`` with each ``<!-- summary:NAME -->`` block made from ``sources/NAME.md``."""

    def block(match: re.Match[str]) -> str:
        name = match.group(1)
        markdown = (sources / f"{name}.md").read_text(encoding="utf-8")
        return f"<!-- summary:{name} -->\n{readme_block(name, markdown)}\n<!-- /summary:{name} -->"

    return _README_BLOCK.sub(block, readme)


_README_BLOCK: Final = re.compile(r"<!-- summary:([a-z-]+) -->\n.*?<!-- /summary:\1 -->", re.DOTALL)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--no-screenshots", action="store_true")
    parser.add_argument(
        "--readme",
        type=Path,
        help="the README whose blocks to rewrite (default: README.md when --output is "
        "docs/summaries)",
    )
    arguments = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="cpd-summaries-"))
    try:
        scenarios = run_scenarios(root)
    finally:
        remove_world(root)
    pages = write_pages(scenarios, arguments.output)
    for path in pages:
        if not arguments.no_screenshots:
            screenshot(arguments.chromium, path, path.with_suffix(".png"))
            path.unlink()  # the page is only a step to the picture
        print(path.with_suffix(".png" if not arguments.no_screenshots else ".html"))
    readme = arguments.readme
    if readme is None and arguments.output.resolve() == DEFAULT_OUTPUT:
        readme = README
    if readme is not None:
        readme.write_text(update_readme(readme.read_text(encoding="utf-8"), arguments.output))
        print(readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
