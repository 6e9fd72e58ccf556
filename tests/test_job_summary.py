"""The job summary, the action's user interface: one section per use of the action, its status
line first, then tables, then notes; values (and only values) in code spans; each source in the
action's own terms (the inputs the user wrote). The scenarios run the real steps
(``summary_scenarios.py``); the rest checks the pieces: the keys step's hand-over to the record
step (validated when read back), each step's section after a failure, and the command line,
which keeps its own terms."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner

from cache_python_deps.cli import main as cli_main
from cache_python_deps.github import phrase_markdown
from cache_python_deps.sources import FrontEnd, InvalidSourceError, Origin, Source
from cache_python_deps.steps.prune import main as prune_main
from cache_python_deps.steps.record import main as record_main
from cache_python_deps.summary import (
    Fact,
    InvalidJobFactsError,
    JobFacts,
    parse_job_facts,
)
from tests.markdown_check import (
    code_spans,
    foreign_elements,
    summary_problems,
    text_outside_code,
)
from tests.summary_scenarios import (
    COMMIT,
    DEPS_1,
    DEPS_2,
    REPOSITORY,
    Scenario,
    by_name,
    other_interpreters,
    run_scenarios,
)
from tests.test_github_mode import Runner
from tests.test_record_step import Job

SCENARIOS = (
    "exact-hit",
    "partial-restore",
    "miss",
    "skipped",
    "damaged-entry",
    "prune",
    "pull-request",
)
REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Mapping[str, Scenario]:
    return by_name(run_scenarios(tmp_path_factory.mktemp("summaries")))


def status_line(markdown: str) -> str:
    """The paragraph after the heading."""
    return markdown.split("\n\n")[1]


def table_rows(markdown: str, header: str) -> list[str]:
    """The rows of the table whose first header cell is ``header``."""
    lines = markdown.splitlines()
    start = lines.index(next(line for line in lines if line.startswith(f"| {header} |")))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def facts_of(scenario: Scenario) -> JobFacts:
    """What the scenario's keys step handed over to its record step."""
    return parse_job_facts(scenario.keys["summary-facts"])


def facts_values(scenario: Scenario) -> set[str]:
    """Every value the keys step handed over (the facts, the sources' details)."""
    facts = facts_of(scenario)
    sources = [fact.source for fact in facts.facts if fact.source]
    sources += [source for _, source in facts.component_sources]
    return {fact.value for fact in facts.facts} | {source.detail for source in sources}


# -- every scenario --------------------------------------------------------------------------


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_scenario_is_one_section_with_its_status_first(
    scenarios: Mapping[str, Scenario], name: str
) -> None:
    markdown = scenarios[name].markdown
    assert summary_problems(markdown) == []
    assert foreign_elements(markdown) == set()


@pytest.mark.parametrize("name", SCENARIOS)
def test_values_and_only_values_are_code_spans(
    scenarios: Mapping[str, Scenario], name: str
) -> None:
    scenario = scenarios[name]
    outside = text_outside_code(scenario.markdown)
    for value in ("cpd-2-", "/home/runner", "/opt/hostedtoolcache", "refs/", REPOSITORY, COMMIT):
        assert value not in outside, (value, outside)
    assert DEPS_1 not in outside and DEPS_2 not in outside
    # A value with a space in it is one the keys step handed over (a version's reason, where
    # pip is, the tool's own words for its directory); our words never are code.
    values = facts_values(scenario)
    for code in code_spans(scenario.markdown):
        if " " in code:
            assert code in values, code


@pytest.mark.parametrize("name", SCENARIOS)
def test_sources_are_named_as_the_action_names_them(
    scenarios: Mapping[str, Scenario], name: str
) -> None:
    markdown = scenarios[name].markdown
    assert re.search(r"(?<![\w-])--[a-z]", markdown) is None  # no CLI option
    if name == "prune":
        return
    components = table_rows(markdown, "key component")
    assert "| tool | `pip.2` | input `tool` |" in components
    assert "| cache kind | `tool` | input `cache-kind` |" in components
    (dependencies,) = [row for row in components if row.startswith("| dependencies |")]
    assert dependencies.endswith(" | input `cache-key-for-dependency-files` |")
    facts = table_rows(markdown, "this job")
    handed_over = {fact.label: fact.value for fact in facts_of(scenarios[name]).facts}
    assert f"| interpreter | `{handed_over['interpreter']}` | input `python-path` |" in facts
    directory = scenarios[name].keys["cache-directory-path"]
    assert f"| cache directory | `{directory}` | `pip's default` |" in facts


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_path_of_the_machine_shows(scenarios: Mapping[str, Scenario], name: str) -> None:
    markdown = scenarios[name].markdown
    assert str(REPO_ROOT) not in markdown
    assert "/tmp" not in markdown


# -- each scenario's status and tables -------------------------------------------------------


def test_an_exact_hit_says_so_and_which_run_saved_the_entry(
    scenarios: Mapping[str, Scenario],
) -> None:
    scenario = scenarios["exact-hit"]
    markdown = scenario.markdown
    key = scenario.keys["cache-key-for-dependencies"]
    abi_tag = scenario.keys["abi-tag"]
    assert markdown.startswith(f"### cache-python-deps: pip cache for `{abi_tag}`\n\n")
    assert status_line(markdown) == (
        "**Exact hit**: restored the entry saved under this job's key."
    )
    restored = table_rows(markdown, "restored entry")
    assert restored[:6] == [
        f"| key | `{key}` |",
        f"| repository | `{REPOSITORY}` |",
        "| workflow | `CI` |",
        "| run | `9126431457` attempt `1` |",
        "| ref | `refs/heads/main` |",
        f"| commit | `{COMMIT}` |",
    ]
    assert restored[6].startswith("| saved at | `")
    assert len(restored) == 7  # nothing differs
    assert "nearest entry" not in markdown  # an exact hit asks the API nothing


def test_a_partial_restore_names_the_entry_and_what_changed(
    scenarios: Mapping[str, Scenario],
) -> None:
    scenario = scenarios["partial-restore"]
    restored = scenario.keys["cache-key-for-dependencies"].removesuffix(DEPS_2) + DEPS_1
    assert status_line(scenario.markdown) == (
        f"**Partial restore**: restored `{restored}` by the restore key: same interpreter, "
        f"dependencies changed (`{DEPS_1}` -> `{DEPS_2}`)."
    )
    rows = table_rows(scenario.markdown, "restored entry")
    assert rows[0] == f"| key | `{restored}` |"
    assert rows[-1] == f"| differs in dependencies | `{DEPS_1}` -> `{DEPS_2}` |"
    # The API listed the entry restored: the nearest; its dependencies are what differs.
    (nearest,) = table_rows(scenario.markdown, "nearest entry")
    assert nearest.startswith(f"| `{restored}` | `refs/heads/main` (readable) | dependencies `")
    assert "Why no exact hit" not in scenario.markdown  # the status line says it


def test_a_miss_says_why_in_one_sentence_from_the_repositorys_entries(
    scenarios: Mapping[str, Scenario],
) -> None:
    scenario = scenarios["miss"]
    abi_tag = scenario.keys["abi-tag"]
    (newer, newer_epoch), (older, _) = other_interpreters(abi_tag)
    assert status_line(scenario.markdown) == (
        f"**Miss**: no entry for `{abi_tag}` yet, entries exist for `{newer}` and `{older}`: "
        "first run of this interpreter."
    )
    nearest = table_rows(scenario.markdown, "nearest entry")
    assert len(nearest) == 2
    assert nearest[0].endswith(
        f" | `refs/heads/main` (readable) | abi tag `{newer}`; abi epoch `{newer_epoch}` "
        "| 412 MB | 3 hours ago |"
    )
    assert scenario.markdown.endswith(
        "\n\n- the repository's caches use 810 MB of the 10 GB limit (8%) in 2 entries\n\n"
    )
    assert "restored entry" not in scenario.markdown


def test_a_pull_request_says_why_its_partial_restore_was_no_exact_hit(
    scenarios: Mapping[str, Scenario],
) -> None:
    status = status_line(scenarios["pull-request"].markdown)
    assert status.startswith("**Partial restore**: restored `")
    assert status.endswith(
        " Why no exact hit: an entry with this very key exists, but it is on "
        "`refs/heads/feature/parser`, which this ref's scope (`refs/pull/42/merge`) cannot read: "
        "a run reads only its own ref's entries, the default branch's and a pull request's base "
        "branch's."
    )
    nearest = table_rows(scenarios["pull-request"].markdown, "nearest entry")
    assert nearest[-1].endswith("| 8 days ago: evicted after 7 days unused |")


def test_skipped_caching_is_said_by_the_keys_step_with_the_keys_it_computed(
    scenarios: Mapping[str, Scenario],
) -> None:
    scenario = scenarios["skipped"]
    assert scenario.keys["cache-enabled"] == "false"
    assert status_line(scenario.markdown) == (
        "**Caching skipped**: caching is off for tag pushes, where a poisoned cache could reach "
        "a release; set cache-on-release-events: true to opt in."
    )
    key = scenario.keys["cache-key-for-dependencies"]
    assert f"| key | `{key}` |  |" in table_rows(scenario.markdown, "this job")
    assert len(table_rows(scenario.markdown, "key component")) == 13


def test_a_failed_restore_cleaned_says_what_became_of_the_damaged_entry(
    scenarios: Mapping[str, Scenario],
) -> None:
    scenario = scenarios["damaged-entry"]
    key = scenario.keys["cache-key-for-dependencies"]
    directory = scenario.keys["cache-directory-path"]
    assert status_line(scenario.markdown) == (
        "**Restore failed part way**: actions/cache reported no hit but left 2 files in "
        f"`{directory}`; they were removed, nothing of them is used; the damaged entry `{key}` "
        "(`refs/heads/main`) was deleted, so this job's save replaces it."
    )
    assert table_rows(scenario.markdown, "deleted entry") == [
        f"| `{key}` | `refs/heads/main` | 405 MB | damaged: this run's restore of it failed "
        "part way |"
    ]
    assert "- stale entries: deleted 1 entry\n" in scenario.markdown
    # The usage after the deletion is said once, after them.
    assert scenario.markdown.count("the repository's caches use") == 1
    assert "- after: the repository's caches use 412 MB of the 10 GB limit" in scenario.markdown


def test_the_prune_sub_action_has_its_own_section_in_the_same_style(
    scenarios: Mapping[str, Scenario],
) -> None:
    markdown = scenarios["prune"].markdown
    directory = scenarios["prune"].keys["cache-directory-path"]
    assert markdown.startswith("### cache-python-deps prune\n\n")
    assert status_line(markdown) == (
        f"**Pruned**: the pip cache in `{directory}` went from 3.9 MB to 700 kB (1 entry removed)."
    )


# -- the keys step's hand-over, read back ----------------------------------------------------


def _facts(**changes: object) -> str:
    data: dict[str, object] = {
        "format": 1,
        "facts": [["key", "cpd-2-x", None], ["cache directory", "/c", {"origin": "tool-rules"}]],
        "components": {"tool": {"origin": "tool-setting"}},
        "restore_only": "",
        **changes,
    }
    return json.dumps(data)


def test_the_hand_over_reads_back_what_the_keys_step_wrote() -> None:
    facts = JobFacts(
        (
            Fact("key", "k"),
            Fact("cache directory", "/c", Source(Origin.TOOL_RULES, "UV_CACHE_DIR")),
        ),
        (
            ("tool", Source(Origin.TOOL_SETTING)),
            ("dependencies", Source(Origin.HASHED_FILES, "/w", 2)),
        ),
        "restore only: save-cache is false",
    )
    assert parse_job_facts(facts.to_json()) == facts


@pytest.mark.parametrize(
    "tampered",
    [
        "not json",
        _facts(format=2),
        _facts(facts=[["<b>key</b>", "v", None]]),  # a label is our words: letters and spaces
        _facts(facts=[["key", "v", {"origin": "<script>"}]]),
        _facts(facts=[["key", "v", {"origin": "tool-rules", "detail": 7}]]),
        _facts(facts=[["key", "v", {"origin": "hashed-files", "files": -1}]]),
        _facts(facts=[["key", "v" * 10_000, None]]),
        _facts(facts=[["key", "v", None]] * 33),
        _facts(components={"evil": {"origin": "tool-setting"}}),
        _facts(restore_only="restore only: **anything**"),
        _facts(facts=[["key", "v"]]),
    ],
)
def test_a_tampered_hand_over_is_refused(tampered: str) -> None:
    with pytest.raises(InvalidJobFactsError):
        parse_job_facts(tampered)


@pytest.mark.parametrize(
    "hostile",
    ["<img src=x onerror=alert(1)>", "a | b", "``x``", "**bold** _em_", "line\nbreak", "[l](u)"],
)
def test_hostile_values_in_the_hand_over_stay_values(tmp_path: Path, hostile: str) -> None:
    job = Job(tmp_path)
    facts = json.loads(job.keys["summary-facts"])
    facts["facts"].append(["workflow", hostile, {"origin": "tool-rules", "detail": hostile}])
    job.record_step("", CPD_SUMMARY_FACTS=json.dumps(facts))
    summary = job.summary.read_text()
    assert summary_problems(summary) == []
    # As GitHub shows it: a line break made visible; in a table cell, "|" escaped, shown whole.
    assert hostile.replace("\n", "\\n") in code_spans(summary)
    assert "the keys step's facts were not shown" not in summary


def test_a_refused_hand_over_leaves_out_its_table_and_says_why(tmp_path: Path) -> None:
    job = Job(tmp_path)
    job.record_step("", CPD_SUMMARY_FACTS=_facts(facts=[["<script>x</script>", "v", None]]))
    summary = job.summary.read_text()
    assert summary_problems(summary) == []
    assert "| this job |" not in summary
    assert "| key component | value | from |" in summary  # from the record, without sources
    assert (
        "- the keys step's facts were not shown: they are not valid: a fact's label is not one "
        "this action writes"
    ) in summary


# -- sources: one definition, rendered per front end -----------------------------------------

# What --explain said before sources were typed: the command line keeps these words.
CLI_WORDS = {
    Origin.KEY_PREFIX: "cache-python-deps keys",
    Origin.KEY_FORMAT: "key format version",
    Origin.OS: "platform.system()",
    Origin.OS_RELEASE: "/etc/os-release, macOS or Windows version",
    Origin.ARCHITECTURE: (
        "the interpreter's wheel platform (sysconfig, as pypa/packaging derives it)"
    ),
    Origin.POINTER_SIZE: "struct.calcsize('P')",
    Origin.LIBC: "confstr/ctypes glibc version, musl loader",
    Origin.IMPLEMENTATION: "sys.implementation",
    Origin.ABI_TAG: "sysconfig (as pypa/packaging derives it)",
    Origin.STABLE_EPOCH: "X.Y (stable ABI)",
    Origin.UNSTABLE_EPOCH: "exact pre-release + hash of sys.version (unstable ABI)",
    Origin.TOOL_SETTING: "--tool",
    Origin.KIND_SETTING: "--cache-kind",
    Origin.VIRTUALENV_INSTALL: "exact version + hash of base executable, sys.version",
    Origin.DEPENDENCY_HASH: "dependency hash",
    Origin.DEPENDENCY_SETTING: "--dependency-hash",
    Origin.LOOKUP_COMMAND: "--cache-directory-lookup-command",
    Origin.PYTHON_SETTING: "--python",
    Origin.PYTHON_ON_PATH: "python on PATH",
}


@pytest.mark.parametrize("origin", list(Origin))
def test_every_source_reads_back_and_renders_for_both_front_ends(origin: Origin) -> None:
    source = Source(origin, "/srv/app", 3)
    assert Source.from_json(source.to_json()) == source
    cli = source.text(FrontEnd.CLI)
    assert cli == {
        Origin.HASHED_FILES: "hashFiles() of 3 file(s) in /srv/app",
        Origin.NO_DEPENDENCY_FILES: "no dependency files in /srv/app",
        Origin.TOOL_RULES: "/srv/app",
        Origin.VIRTUALENV_DEFAULT: "the project's /srv/app (default for --cache-kind venv)",
    }.get(origin, CLI_WORDS.get(origin))
    assert foreign_elements("".join(source.phrase())) == set()


@pytest.mark.parametrize(
    ("origin", "markdown"),
    [
        (Origin.TOOL_SETTING, "input `tool`"),
        (Origin.KIND_SETTING, "input `cache-kind`"),
        (Origin.DEPENDENCY_SETTING, "input `cache-key-for-dependency-files`"),
        (Origin.LOOKUP_COMMAND, "input `cache-directory-lookup-command`"),
        (Origin.PYTHON_SETTING, "input `python-path`"),
    ],
)
def test_the_action_names_the_input_the_user_wrote(origin: Origin, markdown: str) -> None:
    assert phrase_markdown(Source(origin).phrase()) == markdown


def test_a_virtualenvs_default_directory_names_the_inputs_value() -> None:
    source = Source(Origin.VIRTUALENV_DEFAULT, ".venv")
    assert phrase_markdown(source.phrase()) == (
        "the project's `.venv` (default for `cache-kind: venv`)"
    )


@pytest.mark.parametrize("bad", [{"origin": "x"}, [], {"origin": "os", "more": 1}])
def test_a_source_not_written_by_the_action_is_refused(bad: object) -> None:
    with pytest.raises(InvalidSourceError):
        Source.from_json(bad)


def test_the_command_line_keeps_its_own_terms(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("click\n")
    result = CliRunner().invoke(
        cli_main,
        [
            "--explain",
            "--project-directory",
            str(tmp_path),
            "--cache-directory-lookup-command",
            f"echo {tmp_path}/cache",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(re.fullmatch(r"tool +pip\.2 +--tool", line) for line in lines)
    assert any(re.fullmatch(r"cache kind +tool +--cache-kind", line) for line in lines)
    assert any(re.fullmatch(r"dependencies +\S+ +dependency hash", line) for line in lines)
    assert f"cache directory  {tmp_path}/cache [--cache-directory-lookup-command]" in lines
    assert f"dependency hash  hashFiles() of 1 file(s) in {tmp_path}" in lines
    assert "cache-key-for-dependency-files" not in result.output


# -- the other sources, the other statuses ---------------------------------------------------


def test_a_lookup_command_and_hashed_files_are_named_in_the_actions_terms(tmp_path: Path) -> None:
    job = Job(tmp_path, dependency_hash="")
    (tmp_path / "workspace" / "requirements.txt").write_text("click\n")
    job = Job(tmp_path, dependency_hash="")
    job.record_step("")
    summary = job.summary.read_text()
    assert f"| cache directory | `{job.directory}` | input `cache-directory-lookup-command` |" in (
        summary
    )
    assert f" | hashFiles() of 1 file(s) in `{tmp_path / 'workspace'}` |" in summary


def test_a_virtualenv_is_named_in_the_heading(tmp_path: Path) -> None:
    job = Job(tmp_path, kind="venv")
    job.record_step("")
    summary = job.summary.read_text()
    assert summary.startswith(f"### cache-python-deps: virtualenv for `{job.keys['abi-tag']}`\n")
    assert "| cache kind | `venv." in summary
    assert " | exact version + hash of base executable, sys.version |" in summary


def test_restore_only_is_one_more_sentence_of_the_status(tmp_path: Path) -> None:
    job = Job(tmp_path, environ={"CPD_SAVE_CACHE": "false"})
    assert job.keys["save-cache"] == "false"
    job.record_step("", CPD_SAVE="false")
    summary = job.summary.read_text()
    assert status_line(summary) == (
        "**Miss**: no entry matched this job's key or its restore key. Restore only: "
        "save-cache is false."
    )
    assert "- cache entries not looked up: no token (the token input is empty)" in summary


def test_the_keys_step_leaves_the_summary_to_the_record_step(runner: Runner) -> None:
    assert runner.run() == 0
    assert runner.outputs["cache-enabled"] == "true"
    assert runner.summary.read_text() == ""
    parse_job_facts(runner.outputs["summary-facts"])  # handed over instead
    assert "summary-facts" not in runner.printed  # an output for the record step alone


@pytest.mark.parametrize(("fail_on_error", "status"), [("", "Caching skipped"), ("true", "Failed")])
def test_a_keys_step_that_fails_writes_the_section(
    runner: Runner, fail_on_error: str, status: str
) -> None:
    runner.run(CPD_TOOL="conda", CPD_FAIL_ON_ERROR=fail_on_error)
    summary = runner.summary.read_text()
    assert summary == (
        f"### cache-python-deps\n\n**{status}**: `input tool is 'conda'; expected one of: auto, "
        "pip, uv, poetry, pipenv, pdm`.\n\n"
    )
    assert summary_problems(summary) == []


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path)


@pytest.mark.parametrize(
    ("fail_on_error", "status"), [("", "Restore not checked"), ("1", "Failed")]
)
def test_a_record_step_that_fails_writes_the_section(
    tmp_path: Path, fail_on_error: str, status: str
) -> None:
    summary = tmp_path / "summary"
    output = tmp_path / "output"
    environ = {
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "CPD_RECORD": "{",
        "CPD_FAIL_ON_ERROR": fail_on_error,
    }
    record_main(environ, io.StringIO())
    assert summary.read_text() == (
        f"### cache-python-deps\n\n**{status}**: `the keys step's record is missing or invalid: "
        "it is not JSON`.\n\n"
    )


@pytest.mark.parametrize(("fail_on_error", "status"), [("", "Cache not pruned"), ("on", "Failed")])
def test_a_prune_that_fails_writes_its_section(
    tmp_path: Path, fail_on_error: str, status: str
) -> None:
    summary = tmp_path / "summary"
    environ = {"GITHUB_STEP_SUMMARY": str(summary), "CPD_FAIL_ON_ERROR": fail_on_error}
    prune_main(environ, io.StringIO())
    assert summary.read_text() == (
        f"### cache-python-deps prune\n\n**{status}**: `input cache-directory-path is empty: "
        "pass the main step's output`.\n\n"
    )
