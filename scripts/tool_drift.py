"""Compare the in-process directory rules with the newest release of every tool.

The tool modules name the newest release their rules were checked against (``CHECKED`` in
``cache_python_deps.tools.releases``); pip, uv, poetry, pdm and pipenv release monthly and
change these rules. This installs the newest uv, poetry, pdm, pipenv and platformdirs from the
package index into a virtual environment of its own, upgrades this interpreter's pip (the
real-pip comparisons run it), and runs the real-tool comparison suite against them:

    .venv/bin/python scripts/tool_drift.py [--venv DIR] [pytest arguments...]

(after ``bash scripts/dev-setup.sh``; ``DIR`` defaults to ``.venv-drift``). A rule the newest
release changed is a failing comparison; a newer release line than ``CHECKED`` knows is printed
(and, under GitHub Actions, written to the job summary) even when everything passes: then raise
``CHECKED`` and the pins of tests/tools-requirements.txt. The exit status is pytest's.

tests/tools-drift-constraints.txt holds back a dependency that breaks a tool for reasons of its
own (not a directory rule).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cache_python_deps.github import Phrase, Untrusted, markdown_table  # noqa: E402
from cache_python_deps.tools.releases import CHECKED, is_newer_line  # noqa: E402

TOOLS = ("uv", "poetry", "pdm", "pipenv")
CONSTRAINTS = ROOT / "tests" / "tools-drift-constraints.txt"
# The comparisons with the real tools, pip and platformdirs (not the older releases' runs).
SUITE = (
    "tests/test_tool_dirs.py",
    "tests/test_tool_pip.py",
    "tests/test_platformdirs_oracle.py",
)
_BIN = "Scripts" if os.name == "nt" else "bin"


def _python(venv: Path) -> Path:
    return venv / _BIN / ("python.exe" if os.name == "nt" else "python")


def install_newest(venv: Path) -> None:
    """The newest tools into ``venv`` (made when missing), and the newest pip here."""
    if not _python(venv).exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(_python(venv)), "-m", "pip", "install", "-q", "--upgrade"]
    subprocess.run([*pip, "-c", str(CONSTRAINTS), *TOOLS, "platformdirs"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)


def _versions(python: Path, names: tuple[str, ...]) -> dict[str, str]:
    script = (
        "import importlib.metadata as m, json, sys\n"
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))\n"
    )
    completed = subprocess.run(
        [str(python), "-c", script, *names], check=True, capture_output=True, text=True
    )
    versions: dict[str, str] = json.loads(completed.stdout)
    return versions


def releases(venv: Path) -> dict[str, str]:
    """The release of each tool the comparison runs (pip: this interpreter's)."""
    return {
        **_versions(Path(sys.executable), ("pip",)),
        **_versions(_python(venv), (*TOOLS, "platformdirs")),
    }


def report(found: dict[str, str], outcome: int) -> str:
    """The markdown report: each tool checked, newest, and whether its line is newer."""
    rows: list[tuple[Phrase, ...]] = []
    for tool in ("pip", *TOOLS):
        newer = is_newer_line(tool, found[tool])
        state = "a newer line: raise CHECKED once this run passes" if newer else "a known line"
        rows.append(((tool,), (Untrusted(CHECKED[tool]),), (Untrusted(found[tool]),), (state,)))
    rows.append(
        (("platformdirs",), ("",), (Untrusted(found["platformdirs"]),), ("with poetry and pdm",))
    )
    verdict = "Every comparison passed" if outcome == 0 else f"pytest exited with {outcome}"
    return (
        "### tool drift\n\n"
        f"**{verdict}**: the real-tool comparison suite on the newest releases.\n\n"
        f"{markdown_table(('tool', 'rules checked up to', 'newest', 'so'), rows)}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv-drift")
    options, pytest_arguments = parser.parse_known_args(argv)
    venv = options.venv.absolute()
    install_newest(venv)
    found = releases(venv)
    print("newest releases: " + ", ".join(f"{name} {found[name]}" for name in found), flush=True)
    environ = {**os.environ, "CPD_TOOLS_VENV": str(venv), "CPD_SKIP_TOOL_RELEASES": "1"}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *SUITE]
    completed = subprocess.run([*command, *pytest_arguments], check=False, cwd=ROOT, env=environ)
    outcome = completed.returncode
    text = report(found, outcome)
    print(text)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as stream:
            stream.write(text)
    return outcome


if __name__ == "__main__":
    raise SystemExit(main())
