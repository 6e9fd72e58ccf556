"""The step after the restore: the matched key from the provenance record, trust in what came
back, and this job's record for the save at the end of the job."""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from cache_python_deps.provenance import parse_record, read_record
from cache_python_deps.record_file import RECORD_NAME
from cache_python_deps.steps.keys import main
from cache_python_deps.steps.record import main as record_main
from tests.markdown_check import code_spans, summary_problems
from tests.test_github_mode import parse_outputs


class Job:
    """One job: the keys step run for real, then the record step after a simulated restore."""

    def __init__(
        self,
        root: Path,
        *,
        kind: str = "tool",
        dependency_hash: str = "deps-1",
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.root = root
        self.workspace = root / "workspace"
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.cache = root / "cache"
        self.kind = kind
        self.output = root / "output"
        self.summary = root / "summary"
        self.output.write_text("")
        self.summary.write_text("")
        venv = kind.strip().lower() == "venv"
        lookup = str(self.workspace / ".venv") if venv else str(self.cache)
        self.environ = {
            "GITHUB_OUTPUT": str(self.output),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_REPOSITORY": "octo/repo",
            "GITHUB_RUN_ID": "42",
            "GITHUB_RUN_ATTEMPT": "1",
            "CPD_PYTHON": sys.executable,
            "CPD_CACHE_KIND": kind,
            "CPD_DEPENDENCY_HASH": dependency_hash,
            "CPD_CACHE_DIRECTORY_LOOKUP_COMMAND": f"echo {lookup}",
            "PATH": "/usr/bin:/bin",
            **(environ or {}),
        }
        assert main(self.environ, io.StringIO()) == 0
        self.keys = parse_outputs(self.output.read_text())
        assert self.keys["cache-enabled"] == "true", self.keys
        self.directory = Path(self.keys["cache-directory-path"])
        self.printed = ""

    @property
    def primary(self) -> str:
        return self.keys["cache-key-for-dependencies"]

    def record_step(self, cache_hit: str, **extra: str) -> dict[str, str]:
        self.output.write_text("")
        if not self.summary.is_dir():  # a test may make it unwritable
            self.summary.write_text("")
        environ = {
            **self.environ,
            "CPD_CACHE_DIRECTORY_PATH": self.keys["cache-directory-path"],
            "CPD_RECORD": self.keys["record"],
            "CPD_SUMMARY_FACTS": self.keys["summary-facts"],
            "CPD_SAVE": self.keys["save-cache"],
            "CPD_CACHE_HIT": cache_hit,
            # No API is reachable here: the miss explanation must stay one quiet line.
            "GITHUB_API_URL": "http://127.0.0.1:9",
            **extra,
        }
        stdout = io.StringIO()
        assert record_main(environ, stdout) == 0
        self.printed = stdout.getvalue()
        return parse_outputs(self.output.read_text())


def restore_from(job: Job, earlier: Job) -> None:
    """What actions/cache does on a hit: the entry's directory, as saved, replaces ours."""
    shutil.rmtree(job.directory, ignore_errors=True)
    shutil.copytree(earlier.directory, job.directory, symlinks=True)


def test_a_miss_writes_this_jobs_record_for_the_save(tmp_path: Path) -> None:
    job = Job(tmp_path)
    outputs = job.record_step("")
    assert outputs == {"cache-matched-key": "", "cache-hit": "false"}
    record = read_record(job.directory).record
    assert record is not None and record.key == job.primary
    assert record.saved_by.run_id == "42"
    assert "nothing was restored" in job.printed


def test_a_partial_restore_names_the_entry_and_what_changed(tmp_path: Path) -> None:
    first = Job(tmp_path / "one", dependency_hash="deps-1")
    first.record_step("")
    second = Job(tmp_path / "two", dependency_hash="deps-2")
    restore_from(second, first)
    outputs = second.record_step("false")
    assert outputs["cache-matched-key"] == first.primary
    assert outputs["cache-hit"] == "false"
    assert "partial restore: same interpreter, dependencies changed (deps-1 -> deps-2)" in (
        second.printed
    )
    summary = second.summary.read_text()
    assert (
        f"**Partial restore**: restored `{first.primary}` by the restore key: same interpreter, "
        "dependencies changed (`deps-1` -> `deps-2`)."
    ) in summary.splitlines()
    assert "| differs in dependencies | `deps-1` -> `deps-2` |" in summary.splitlines()
    # The entry saved at the end of this job carries this job's key.
    record = read_record(second.directory).record
    assert record is not None and record.key == second.primary


def test_an_exact_hit_keeps_the_record_and_matches_the_primary_key(tmp_path: Path) -> None:
    first = Job(tmp_path / "one")
    first.record_step("")
    second = Job(tmp_path / "two")
    restore_from(second, first)
    before = (second.directory / RECORD_NAME).read_bytes()
    outputs = second.record_step("true")
    assert outputs == {"cache-matched-key": second.primary, "cache-hit": "true"}
    assert (second.directory / RECORD_NAME).read_bytes() == before


def test_a_restore_without_a_record_says_so_and_matches_nothing(tmp_path: Path) -> None:
    job = Job(tmp_path)
    job.directory.mkdir(parents=True)
    (job.directory / "wheels").mkdir()
    outputs = job.record_step("false")
    assert outputs["cache-matched-key"] == ""
    assert "no provenance record" in job.printed


def test_restore_only_takes_the_matched_key_from_actions_cache_restore(tmp_path: Path) -> None:
    job = Job(tmp_path)
    job.directory.mkdir(parents=True)
    outputs = job.record_step("false", CPD_SAVE="false", CPD_RESTORE_MATCHED_KEY="k-from-restore")
    assert outputs["cache-matched-key"] == "k-from-restore"
    # A job that never saves writes no record.
    assert not (job.directory / RECORD_NAME).exists()


def test_restore_only_of_an_entry_without_a_record_names_what_actions_cache_restore_matched(
    tmp_path: Path,
) -> None:
    job = Job(tmp_path)
    job.directory.mkdir(parents=True)
    (job.directory / "wheels").mkdir()
    outputs = job.record_step("false", CPD_SAVE="false", CPD_RESTORE_MATCHED_KEY="k-from-restore")
    assert outputs["cache-matched-key"] == "k-from-restore"
    # The note agrees with the output: the entry is known, though it has no record.
    for said in (job.printed, job.summary.read_text()):
        assert "no provenance record" in said
        assert "k-from-restore" in said
        assert "unknown" not in said


def _tamper(directory: Path, **components: str) -> None:
    path = directory / RECORD_NAME
    data = json.loads(path.read_text())
    data["components"].update(components)
    data["key"] = "-".join(data["components"].values())
    path.write_text(json.dumps(data))
    parse_record(path.read_text())  # still a valid record: only its identity is foreign


def test_a_foreign_record_in_a_tool_cache_is_a_warning(tmp_path: Path) -> None:
    first = Job(tmp_path / "one")
    first.record_step("")
    _tamper(first.directory, **{"abi tag": "cp313"})
    second = Job(tmp_path / "two")
    restore_from(second, first)
    outputs = second.record_step("true")
    assert "::warning title=cache-python-deps::the restored cache may not be this job's" in (
        second.printed
    )
    assert "abi tag" in second.printed
    assert outputs["cache-hit"] == "true"
    assert second.directory.is_dir()


# The input as users may spell it: the keys step takes any case, and so must the record step.
VENV_SPELLINGS = pytest.mark.parametrize("venv", ["venv", "Venv", " VENV "])


@VENV_SPELLINGS
def test_a_foreign_record_in_a_virtualenv_removes_it(tmp_path: Path, venv: str) -> None:
    first = Job(tmp_path / "one", kind=venv)
    first.directory.mkdir(parents=True)
    (first.directory / "bin").mkdir()
    (first.directory / "bin" / "python").write_text("")
    first.record_step("true")  # no save after an exact hit: write the record ourselves
    first.record_step("false")
    _tamper(first.directory, **{"abi tag": "cp313"})
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    (first.directory / "link").symlink_to(outside)
    second = Job(tmp_path / "two", kind=venv)
    restore_from(second, first)
    outputs = second.record_step("true")
    assert not second.directory.exists()
    assert outside.read_text() == "keep"
    assert outputs == {"cache-matched-key": "", "cache-hit": "false"}
    assert "::warning title=cache-python-deps::the restored virtualenv was removed" in (
        second.printed
    )


@VENV_SPELLINGS
def test_a_virtualenv_that_does_not_exist_yet_is_not_created(tmp_path: Path, venv: str) -> None:
    job = Job(tmp_path, kind=venv)
    job.record_step("")
    assert not job.directory.exists()
    assert "does not exist yet" in job.printed


@pytest.mark.parametrize(
    "hostile",
    ["a\n::error::x", "<img src=x onerror=alert(1)>", "`| x |`", "##[error]y"],
)
def test_hostile_record_text_is_ignored_or_escaped(tmp_path: Path, hostile: str) -> None:
    first = Job(tmp_path / "one")
    first.record_step("")
    path = first.directory / RECORD_NAME
    data = json.loads(path.read_text())
    data["saved_by"]["workflow"] = hostile
    path.write_text(json.dumps(data))
    second = Job(tmp_path / "two", dependency_hash="other")
    restore_from(second, first)
    second.record_step("false")
    for line in second.printed.splitlines():
        assert not line.startswith("::error") and "##[" not in line
    summary = second.summary.read_text()
    assert summary_problems(summary) == []
    if "\n" in hostile:  # not a valid workflow name: the whole record is ignored, and said so
        assert "the restored entry's record was ignored" in second.printed
        assert "- warning: the restored entry's record was ignored: `" in summary
    else:  # shown, as a value
        assert hostile in code_spans(summary)


def test_an_unwritable_summary_is_a_notice_and_the_outputs_are_written(tmp_path: Path) -> None:
    job = Job(tmp_path)
    job.summary.unlink()
    job.summary.mkdir()
    outputs = job.record_step("")  # asserts the step succeeded
    assert outputs == {"cache-matched-key": "", "cache-hit": "false"}
    assert "::notice title=cache-python-deps::no job summary: cannot write" in job.printed
