"""The provenance record never changes what a tool sees: pip, uv, poetry, pipenv and pdm install
through a cache that holds it, leave it alone, and their own cache commands do not choke on it.

Each test writes the record first, as the action does into a new cache directory before the
tool runs, then runs the real tool (installs from a local index, then its cache commands).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cache_python_deps.provenance import (
    Record,
    read_record,
    record_for,
    saved_by_this_run,
    write_record,
)
from cache_python_deps.record_file import RECORD_NAME
from tests.prune_support import LocalIndex
from tests.support import recorded_keys
from tests.test_prune import (
    _base_python,
    _pip_install,
    _pipenv_project,
    _project,
    _run_tool,
    _uv,
    _uv_install,
)
from tests.test_prune import local_index as local_index  # noqa: PLC0414 - a fixture, by name
from tests.toolsenv import tool_executable

pytestmark = pytest.mark.tools


def _record() -> Record:
    keys = recorded_keys("cpython-3.12.7-alpine-musl-x86_64", dependency_hash="deps")
    return record_for(keys, saved_by_this_run({"GITHUB_RUN_ID": "7"}, "2026-12-01T00:00:00Z"))


def _with_record(cache: Path) -> Record:
    record = _record()
    assert write_record(cache, record, create=True)
    return record


def _untouched(cache: Path, record: Record) -> None:
    assert read_record(cache).record == record
    assert json.loads((cache / RECORD_NAME).read_text())["key"] == record.key


def test_pip_installs_through_the_cache_and_its_cache_commands_work(
    tmp_path: Path, local_index: LocalIndex
) -> None:
    cache = tmp_path / "pip-cache"
    record = _with_record(cache)
    assert _pip_install(local_index, cache, tmp_path / "t1", "cpdsrc", "cpdwheel")
    _untouched(cache, record)
    for command in (["info"], ["list"], ["remove", "cpdsrc"], ["purge"]):
        pip = [sys.executable, "-m", "pip", "cache", *command, "--cache-dir", str(cache)]
        assert _run_tool(pip, tmp_path, PIP_CONFIG_FILE="/dev/null"), command
    _untouched(cache, record)


def test_uv_installs_through_the_cache_and_prunes_and_cleans_it(
    tmp_path: Path, local_index: LocalIndex
) -> None:
    cache = tmp_path / "uv-cache"
    record = _with_record(cache)
    assert _uv_install(local_index, cache, tmp_path / "t1", "cpdsrc", "cpdwheel")
    _untouched(cache, record)
    # uv's prune removes every top-level file it does not know, the record too (the README
    # says so: the prune sub-action, which does what `uv cache prune --ci` does, keeps it).
    for command in (("cache", "prune"), ("cache", "prune", "--ci")):
        _with_record(cache)
        completed = _uv(*command, cache=cache)
        assert completed.returncode == 0, completed.stderr
        assert not (cache / RECORD_NAME).exists()
    _with_record(cache)
    assert _uv_install(local_index, cache, tmp_path / "t2", "--offline", "cpdsrc")
    _untouched(cache, record)
    completed = _uv("cache", "clean", cache=cache)
    assert completed.returncode == 0, completed.stderr


def test_poetry_installs_through_the_cache_and_clears_it(
    tmp_path: Path, local_index: LocalIndex
) -> None:
    source = f'[[tool.poetry.source]]\nname = "local"\nurl = "{local_index.url}"\n'
    project = _project(
        tmp_path, f'[tool.poetry]\npackage-mode = false\n\n{source}priority = "primary"\n'
    )
    cache = tmp_path / "poetry-cache"
    record = _with_record(cache)
    settings = {"POETRY_CACHE_DIR": str(cache), "POETRY_VIRTUALENVS_IN_PROJECT": "true"}
    poetry = str(tool_executable("poetry"))
    assert _run_tool([poetry, "install", "--no-interaction"], project, **settings)
    _untouched(cache, record)
    assert _run_tool([poetry, "cache", "list"], project, **settings)
    assert _run_tool([poetry, "cache", "clear", "--all", "local", "-n"], project, **settings)
    _untouched(cache, record)


def test_pdm_installs_through_the_cache_and_clears_it(
    tmp_path: Path, local_index: LocalIndex
) -> None:
    project = _project(tmp_path, "[tool.pdm]\ndistribution = false\n")
    cache = tmp_path / "pdm-cache"
    record = _with_record(cache)
    settings = {
        "PDM_CACHE_DIR": str(cache),
        "PDM_PYPI_URL": local_index.url,
        "PDM_PYTHON": _base_python(),
        "PDM_CHECK_UPDATE": "false",
    }
    pdm = str(tool_executable("pdm"))
    assert _run_tool([pdm, "install"], project, **settings)
    _untouched(cache, record)
    assert _run_tool([pdm, "cache", "info"], project, **settings)
    assert _run_tool([pdm, "cache", "list"], project, **settings)
    assert _run_tool([pdm, "cache", "clear", "http"], project, **settings)
    _untouched(cache, record)


def test_pipenv_installs_through_the_cache_and_clears_it(
    tmp_path: Path, local_index: LocalIndex
) -> None:
    cache = tmp_path / "pipenv-cache"
    project, settings = _pipenv_project(tmp_path, local_index, cache)
    record = _with_record(cache)
    pipenv = str(tool_executable("pipenv"))
    assert _run_tool([pipenv, "install"], project, **settings)
    _untouched(cache, record)
    # pipenv's own clean command empties its cache: it must not fail on the record.
    assert _run_tool([pipenv, "--clear"], project, **settings)
