"""scripts/render_summaries.py: the README's pictures of the job summary come from the real
steps; the scenario and HTML part works without Chromium, and the README shows what is
committed under docs/summaries."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.markdown_check import code_spans, summary_problems
from tests.summary_scenarios import TITLES

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPT = REPO_ROOT / "scripts" / "render_summaries.py"
SUMMARIES = REPO_ROOT / "docs" / "summaries"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_summaries", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_summaries = _load_script()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The script's output without screenshots (and a Chromium that does not exist)."""
    output = tmp_path_factory.mktemp("rendered")
    arguments = ["--no-screenshots", "--output", str(output), "--chromium", "/no/chromium"]
    assert render_summaries.main(arguments) == 0
    return output


@pytest.mark.parametrize("name", list(TITLES))
def test_each_scenario_renders_to_a_page_without_chromium(rendered: Path, name: str) -> None:
    markdown = (rendered / f"{name}.md").read_text(encoding="utf-8")
    assert summary_problems(markdown) == []
    page = (rendered / f"{name}.html").read_text(encoding="utf-8")
    body = render_summaries.markdown_html(markdown)
    assert body.startswith("<h3>cache-python-deps")
    assert "<p><strong>" in body  # the status line
    for value in code_spans(markdown):  # shown as values in the page too
        assert "<code" in page and value.replace("&", "&amp;").replace("<", "&lt;") in page
    assert "data-height" in page  # the first Chromium pass measures the page
    assert not (rendered / f"{name}.png").exists()


def test_only_the_scenarios_files_are_written(rendered: Path) -> None:
    names = {path.name for path in rendered.iterdir()}
    assert names == {f"{name}.{suffix}" for name in TITLES for suffix in ("md", "html")}


def test_the_readme_blocks_are_rewritten_from_the_markdown(tmp_path: Path) -> None:
    (tmp_path / "miss.md").write_text("### cache-python-deps\n\n**Miss**: `x`.\n")
    readme = "before\n<!-- summary:miss -->\nold\n<!-- /summary:miss -->\nafter\n"
    updated = render_summaries.update_readme(readme, tmp_path)
    assert updated == (
        "before\n<!-- summary:miss -->\n"
        + render_summaries.readme_block("miss", "### cache-python-deps\n\n**Miss**: `x`.\n")
        + "\n<!-- /summary:miss -->\nafter\n"
    )
    assert "![Miss, explained from the repository's entries" in updated
    assert "```markdown\n### cache-python-deps\n\n**Miss**: `x`.\n```" in updated


@pytest.mark.parametrize("name", list(TITLES))
def test_the_readme_shows_each_committed_summary_and_its_picture(name: str) -> None:
    markdown = (SUMMARIES / f"{name}.md").read_text(encoding="utf-8")
    assert summary_problems(markdown) == []
    assert (SUMMARIES / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = render_summaries.readme_block(name, markdown)
    assert f"<!-- summary:{name} -->\n{block}\n<!-- /summary:{name} -->" in readme
