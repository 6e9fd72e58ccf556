"""The warm-job benchmark's own logic, without running it (``benchmarks/warm_job*.py``).

A dry run of its parts: the project and its bumps, the job plan's interleaving, the workflow
it writes (with and without the newer prune inputs, checked by zizmor and check-jsonschema as
CI checks the committed one), the index pages and server, and the tables and goals it prints
from given figures. The benchmark itself (minutes of act jobs) is not part of the suite.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml
from benchmarks import warm_job
from benchmarks import warm_job_report as report
from benchmarks.package_index import IndexServer, distribution_of, write_simple_pages
from benchmarks.warm_job_project import (
    BUMPS,
    FORCED_FROM_SOURCE,
    SDIST_ONLY,
    TOOLS,
    Pin,
    built_from_source,
    bumped,
    dependency_hash,
    download_layers,
    installed_pins,
    project_files,
)

BIN = Path(sys.executable).parent


# --------------------------------------------------------------------------------------------
# The project


def test_the_project_has_at_least_30_distributions_and_3_built_from_sdists() -> None:
    for state in range(BUMPS + 1):
        assert len(installed_pins(state)) >= 30
        assert len(built_from_source(state)) >= 3


def test_every_bump_moves_a_distribution_built_from_source() -> None:
    built = {*SDIST_ONLY, *FORCED_FROM_SOURCE}
    for state in range(1, BUMPS + 1):
        assert {name for name, _, _ in bumped(state)} & built, state
    assert bumped(0) == ()


def test_the_index_downloads_every_pin_of_every_state_once_per_call() -> None:
    layers = download_layers()
    wanted = {pin for state in range(BUMPS + 1) for pin in installed_pins(state)}
    served = {pin for layer in layers for pin in layer}
    assert wanted <= served
    for layer in layers:  # pip download refuses two versions of one project in one call
        names = [pin.name for pin in layer]
        assert len(names) == len(set(names))


def test_each_tool_gets_its_project_and_the_hash_follows_the_files() -> None:
    url = "http://127.0.0.1:1/simple/"
    assert "--no-binary markupsafe" in project_files("pip", 0, url)["requirements.txt"]
    uv = project_files("uv", 0, url)["pyproject.toml"]
    assert 'no-binary-package = [\n  "markupsafe",\n]' in uv
    assert url in uv
    assert set(project_files("poetry", 0, url)) == {"pyproject.toml", "poetry.toml"}
    for tool in TOOLS:
        before, after = project_files(tool, 0, url), project_files(tool, 1, url)
        assert dependency_hash(before) != dependency_hash(after)
    with pytest.raises(ValueError, match="pdm"):
        project_files("pdm", 0, url)


# --------------------------------------------------------------------------------------------
# The job plan and the workflow


def test_jobs_are_interleaved_cold_then_warm_then_bump_the_order_reversed() -> None:
    plan = warm_job.job_plan(["pip", "uv"], 2)
    first = [entry for entry in plan if entry[0] == 0]
    second = [entry for entry in plan if entry[0] == 1]
    phases = [phase for _, phase, _, _ in first]
    assert phases == sorted(phases, key=report.PHASES.index)
    series = [(tool, variant) for _, phase, tool, variant in first if phase == report.COLD]
    assert [(tool, variant) for _, phase, tool, variant in second if phase == report.COLD] == (
        series[::-1]
    )
    # The original runs for pip only; the no-cache variant only cold.
    assert (0, report.COLD, "uv", report.ORIGINAL) not in plan
    assert [entry for entry in plan if entry[3] == report.NO_CACHE and entry[1] != "cold"] == []
    assert len(plan) == 2 * ((1 + 4 * 3) + (1 + 3 * 3))


def test_the_growth_series_bumps_the_caches_that_can_keep_superseded_files() -> None:
    assert [variant.label for variant in report.variants_for("pip") if variant.accumulates] == [
        "original action",
        "tool cache",
        "tool cache, pruned",
    ]


def _prune_with(workflow_text: str) -> dict[str, str]:
    workflow = yaml.safe_load(workflow_text)
    (prune,) = [step for step in workflow["jobs"]["job"]["steps"] if step.get("id") == "prune"]
    return dict(prune["with"])


def test_the_prune_step_gets_the_newer_inputs_only_when_asked() -> None:
    text = warm_job.WORKFLOW.read_text(encoding="utf-8")
    plain = warm_job.with_prune_inputs(text, ())
    assert warm_job.PRUNE_INPUTS_MARKER not in plain
    assert set(_prune_with(plain)) == {"cache-directory-path", "tool", "is-stable-abi"}
    both = warm_job.with_prune_inputs(text, ("python-path", "project-directory"))
    assert _prune_with(both) == {
        **_prune_with(plain),
        "python-path": "${{ env.BENCH_VENV }}/bin/python",
        "project-directory": "${{ github.workspace }}",
    }


def test_the_prune_inputs_are_read_from_the_sub_action(tmp_path: Path) -> None:
    action = tmp_path / "action.yml"
    action.write_text(
        "name: prune\ndescription: d\ninputs:\n  cache-directory-path: {}\n  python-path: {}\n"
        "runs:\n  using: composite\n  steps: []\n",
        encoding="utf-8",
    )
    assert warm_job.declared_prune_inputs(action) == ("python-path",)
    assert warm_job.prune_inputs_for("no", action) == ()
    assert warm_job.prune_inputs_for("yes", action) == ("python-path", "project-directory")
    # Whatever the project's own prune sub-action declares today, auto passes exactly that.
    ours = warm_job.REPO_ROOT / "prune" / "action.yml"
    declared = yaml.safe_load(ours.read_text(encoding="utf-8"))["inputs"]
    assert warm_job.prune_inputs_for("auto", ours) == tuple(
        name for name in warm_job.PRUNE_INPUT_VALUES if name in declared
    )


@pytest.mark.parametrize("inputs", [(), ("python-path", "project-directory")])
def test_the_written_workflow_is_zizmor_and_schema_clean(
    tmp_path: Path, inputs: tuple[str, ...]
) -> None:
    workflow = tmp_path / "warm-job.yml"
    workflow.write_text(
        warm_job.with_prune_inputs(warm_job.WORKFLOW.read_text(encoding="utf-8"), inputs),
        encoding="utf-8",
    )
    for command in (
        [str(BIN / "zizmor"), "--offline", "--quiet", str(workflow)],
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(workflow),
        ],
    ):
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        assert completed.returncode == 0, completed.stdout + completed.stderr


# --------------------------------------------------------------------------------------------
# The index


def test_distribution_names_come_from_wheel_and_sdist_file_names() -> None:
    assert distribution_of("antlr4-python3-runtime-4.9.3.tar.gz") == Pin(
        "antlr4-python3-runtime", "4.9.3"
    )
    assert distribution_of("MarkupSafe-2.1.1.tar.gz") == Pin("markupsafe", "2.1.1")
    assert distribution_of("python_dateutil-2.9.0.post0-py2.py3-none-any.whl") == Pin(
        "python-dateutil", "2.9.0.post0"
    )


def test_the_index_serves_pages_to_revalidate_and_files_for_ever(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "docopt-0.6.2.tar.gz").write_bytes(b"sdist bytes")
    (tmp_path / "files" / "docopt-0.6.1.tar.gz").write_bytes(b"an older pin's file")
    write_simple_pages(tmp_path, ["docopt-0.6.2.tar.gz"])
    server = IndexServer(tmp_path).start()
    try:
        with urllib.request.urlopen(server.url + "docopt/") as page:
            assert page.headers["Cache-Control"] == "max-age=0, public"
            html = page.read().decode()
        assert 'href="../../files/docopt-0.6.2.tar.gz#sha256=' in html
        assert "0.6.1" not in html
        file_url = server.url.replace("/simple/", "/files/docopt-0.6.2.tar.gz")
        with urllib.request.urlopen(file_url) as served:
            assert "immutable" in served.headers["Cache-Control"]
            assert served.read() == b"sdist bytes"
        assert server.take_traffic()[1] == len(html.encode()) + len(b"sdist bytes")
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------
# The report


def _job(tool: str, variant: report.Variant, phase: str, seconds: float, size: int) -> report.Job:
    return report.Job(
        tool=tool,
        variant=variant,
        phase=phase,
        repetition=0,
        state=warm_job.phase_state(phase),
        main_ms=seconds * 1000 - 100,
        save_ms=100,
        install_ms=0,
        entry_bytes=size if variant.caches else None,
        restored="none",
        index_requests=0,
        index_bytes=0,
    )


def test_the_tables_and_goals_show_medians_and_ratios() -> None:
    jobs = [
        _job("pip", report.NO_CACHE, "cold", 20.0, 0),
        *(_job("pip", report.ORIGINAL, phase, 10.0, 40_000_000) for phase in report.PHASES),
        *(_job("pip", report.VENV, phase, 5.0, 30_000_000) for phase in report.PHASES),
        _job("pip", report.TOOL_PRUNED, "cold", 20.0, 400_000),
        _job("pip", report.TOOL_PRUNED, "warm", 11.0, 400_000),
        _job("pip", report.TOOL_PRUNED, "warm", 9.0, 400_000),  # median of 9 and 11: 10
        _job("pip", report.TOOL_PRUNED, "bump", 12.0, 450_000),
    ]
    growth = [
        report.Growth("pip", report.TOOL_PRUNED, (400_000, 450_000, 500_000), 400_000),
        report.Growth("pip", report.ORIGINAL, (40_000_000, 44_000_000, 48_000_000), 40_000_000),
    ]
    rows = report.summarize(jobs)
    lines = report.table(rows, growth)
    assert "| pip | venv cache | 5.0 s (0.25) | 5.0 s (0.25) | 5.0 s (0.25) | 0.50 |" in lines
    assert (
        "| pip | tool cache, pruned | 20.0 s (1.00) | 10.0 s (0.50) | 12.0 s (0.60) | 1.00 |"
        in (lines)
    )
    assert (
        "| pip | tool cache, pruned | 400.0 kB | 0.01 | 450.0 kB | 500.0 kB | 400.0 kB | 1.25 |"
        in lines
    )
    assert any(line.startswith("| tool | cache | entry (cold job) |") for line in lines)
    assert "after 2 bumps" in lines[lines.index("") + 1]
    without_growth = report.table(rows, [])
    assert "| pip | venv cache | 30.0 MB | 0.75 | 30.0 MB |" in without_growth
    goals = "\n".join(report.goals(rows, growth))
    assert "venv cache / the no-cache job: 0.25 (meets <= 0.3)" in goals
    assert "pruned tool cache / the original's warm job: 1.00 (meets <= 1.05)" in goals
    assert "pruned tool cache entry / the original's entry: 0.01 (meets <= 0.5)" in goals
    assert "tool cache, pruned: entry after 2 bumps / a fresh entry (400.0 kB): 1.25 (MISSES" in (
        goals
    )
    assert "original action: entry after 2 bumps" in goals
    assert "expected to grow" in goals


def test_step_times_add_up_acts_own_durations_by_phase() -> None:
    job = "[warm-job/Install the dependencies with and without a cache]"
    log = "\n".join(
        [
            f"{job}   ✅  Success - Main This action [2.5s]",
            f"{job}   ✅  Success - Post Restore the cache (saved at the end of the job) [250ms]",
            f"{job}   ✅  Success - Post This action [292.03ms]",
            f"{job}   ✅  Success - Post Original action [1m0.5s]",
        ]
    )
    assert warm_job.step_times(log, "Post", warm_job.CACHE_STEP_NAMES) == 292.03 + 60_500
    assert warm_job.step_times(log, "Main", ["This action"]) == 2500


def test_a_restore_is_told_from_the_cache_actions_log() -> None:
    log = "  | Cache restored from key: cpd-2-x-dep2\n"
    assert warm_job.restore_outcome(log, "CPD-2-x-dep2", None) == "exact"
    assert warm_job.restore_outcome(log, "cpd-2-x-dep3", "cpd-2-x-dep2") == "restore-key"
    assert warm_job.restore_outcome("Cache not found for input keys: a, b", "a", None) == "miss"
    with pytest.raises(warm_job.BenchmarkError):
        warm_job.restore_outcome("nothing", "a", None)
