"""Prune drops the built wheels a dependency bump superseded, and keeps every other one.

The real tools go through five bumps of a project only available as an sdist (``cpdsrc`` 1.0 to
5.0, built here with an in-tree backend and served on 127.0.0.1): each bump builds a wheel into
the tool's cache. Pruning told the environment (pip) or the lock file (uv, poetry, pdm, pipenv)
keeps exactly the built wheel of the version in use, and the tool then installs that version
from the pruned cache without building (the backend refuses to: ``NO_BUILD``).

Synthetic caches pin the rules: what a wheel shares its directory with, uv's metadata and
revision pointers, what is kept and why, and caches whose names are hostile.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cache_python_deps.cli import main
from cache_python_deps.distributions import InUse, NotRead, Verdict, canonical_version
from cache_python_deps.in_use import find_in_use, project_context
from cache_python_deps.prune import SupersededReport, describe_superseded, prune_cache
from cache_python_deps.steps.prune import main as prune_main
from cache_python_deps.tools import get_tool
from tests.markdown_check import summary_problems
from tests.prune_support import (
    NO_BUILD,
    LocalIndex,
    listing,
    make_tree,
    sdist,
    serve_index,
    snapshot,
)
from tests.support import fails_instead_of_blocking
from tests.test_prune import _base_python, _clean_environ, _pipenv_project, _run_tool, pipfile
from tests.toolsenv import tool_executable

VERSIONS = ("1.0", "2.0", "3.0", "4.0", "5.0")
CURRENT = "cpdsrc-5.0-py3-none-any.whl"


@pytest.fixture
def index(tmp_path: Path) -> Iterator[LocalIndex]:
    distributions = [("cpdsrc", f"cpdsrc-{v}.tar.gz", sdist("cpdsrc", v)) for v in VERSIONS]
    distributions.append(("cpdother", "cpdother-1.0.tar.gz", sdist("cpdother", "1.0")))
    with serve_index(tmp_path / "index", distributions) as served:
        yield served


def _built(cache: Path) -> set[str]:
    return {path.name for path in cache.rglob("*.whl")}


def _every_version_built(cache: Path) -> None:
    assert _built(cache) >= {f"cpdsrc-{version}-py3-none-any.whl" for version in VERSIONS}


def _in_use(tool: str, project: Path, python: str | None = None) -> InUse | NotRead:
    return find_in_use(get_tool(tool), project_context(project, {}, None), python)


def _pruned(tool: str, cache: Path, in_use: InUse | NotRead) -> SupersededReport:
    report = prune_cache(tool, cache, unstable_abi=False, in_use=in_use)
    assert report.superseded is not None
    return report.superseded


def _assert_four_superseded(report: SupersededReport) -> None:
    assert sorted(report.removed) == [f"cpdsrc-{v}-py3-none-any.whl" for v in VERSIONS[:4]]
    assert report.bytes_removed > 0


# -- pip: the environment -----------------------------------------------------------------------


def _venv(path: Path) -> Path:
    subprocess.run([_base_python(), "-m", "venv", "--without-pip", str(path)], check=True)
    return path / "bin" / "python"


def _pip(index: LocalIndex, cache: Path, python: Path, *requirements: str, **environ: str) -> bool:
    """``pip install`` into ``python``'s environment (pip from this test's own environment)."""
    command = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-input"]
    command += ["--index-url", index.url, "--trusted-host", index.host, "--cache-dir", str(cache)]
    completed = subprocess.run(
        [*command, *requirements],
        env=_clean_environ(**environ),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return completed.returncode == 0


def test_pip_after_five_bumps_keeps_exactly_the_built_wheel_installed_now(
    tmp_path: Path, index: LocalIndex
) -> None:
    cache = tmp_path / "pip-cache"
    python = _venv(tmp_path / "venv")
    for version in VERSIONS:
        assert _pip(index, cache, python, f"cpdsrc=={version}")
    # Another environment of the same job built a distribution this one does not have.
    assert _pip(index, cache, _venv(tmp_path / "other"), "cpdother==1.0")
    _every_version_built(cache)

    report = _pruned("pip", cache, _in_use("pip", tmp_path, str(python)))
    _assert_four_superseded(report)
    assert report.kept == {Verdict.IN_USE: 1, Verdict.NOT_NAMED: 1}
    assert _built(cache) == {CURRENT, "cpdother-1.0-py3-none-any.whl"}

    fresh = _venv(tmp_path / "fresh")
    assert _pip(index, cache, fresh, "cpdsrc==5.0", **{NO_BUILD: "1"}), "5.0 was built again"
    assert not _pip(index, cache, fresh, "cpdsrc==4.0", **{NO_BUILD: "1"}), "4.0 was kept"


# -- uv, poetry, pdm, pipenv: the lock file -----------------------------------------------------


def _uv(project: Path, cache: Path, index: LocalIndex, *arguments: str, **environ: str) -> bool:
    settings = {
        "UV_CACHE_DIR": str(cache),
        "UV_NO_CONFIG": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_PYTHON": _base_python(),
        "UV_DEFAULT_INDEX": index.url,
    }
    completed = subprocess.run(
        [str(tool_executable("uv")), *arguments, "--directory", str(project)],
        env=_clean_environ(**settings, **environ),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return completed.returncode == 0


def _pyproject(project: Path, version: str, extra: str = "") -> None:
    project.mkdir(exist_ok=True)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">=3.10"\n'
        f'dependencies = ["cpdsrc=={version}"]\n\n{extra}'
    )


_LOCKS = {"uv": "uv.lock", "poetry": "poetry.lock", "pdm": "pdm.lock", "pipenv": "Pipfile.lock"}


def _prune_by_the_lock(tool: str, cache: Path, project: Path) -> None:
    """Prune told the project's lock: the four superseded wheels go, the one locked stays."""
    report = _pruned(tool, cache, _in_use(tool, project))
    assert isinstance(report.in_use, InUse)
    assert report.in_use.where == str(project / _LOCKS[tool])
    assert report.kept == {Verdict.IN_USE: 1}
    _assert_four_superseded(report)
    assert _built(cache) == {CURRENT}


def _installed_from_the_cache(environment: Path) -> None:
    """The environment the tool made again holds cpdsrc 5.0 (which it could not build)."""
    (installed,) = environment.rglob("cpdsrc.py")
    assert installed.read_text().strip() == "VERSION = '5.0'"


@pytest.mark.tools
def test_uv_after_five_bumps_keeps_exactly_the_built_wheel_locked(
    tmp_path: Path, index: LocalIndex
) -> None:
    project, cache = tmp_path / "project", tmp_path / "uv-cache"
    for version in VERSIONS:
        _pyproject(project, version, "[tool.uv]\npackage = false\n")
        assert _uv(project, cache, index, "sync")
    _every_version_built(cache)

    _prune_by_the_lock("uv", cache, project)
    # The revisions went with their metadata and their pointers: only 5.0's source is left.
    sources = {path.parent.name for path in cache.glob("sdists-v*/index/*/cpdsrc/*/revision.*")}
    assert sources == {"5.0"}
    assert not list(cache.glob("sdists-v*/index/*/cpdsrc/[1-4].0"))

    shutil.rmtree(project / ".venv")
    assert _uv(project, cache, index, "sync", "--offline", **{NO_BUILD: "1"})
    _installed_from_the_cache(project / ".venv")


@pytest.mark.tools
def test_poetry_after_five_bumps_keeps_exactly_the_built_wheel_locked(
    tmp_path: Path, index: LocalIndex
) -> None:
    project, cache = tmp_path / "project", tmp_path / "poetry-cache"
    (tmp_path / "home").mkdir()
    source = f'[[tool.poetry.source]]\nname = "local"\nurl = "{index.url}"\npriority = "primary"\n'
    settings = {"POETRY_CACHE_DIR": str(cache), "POETRY_VIRTUALENVS_IN_PROJECT": "true"}
    poetry = str(tool_executable("poetry"))
    for version in VERSIONS:
        _pyproject(project, version, f"[tool.poetry]\npackage-mode = false\n\n{source}")
        assert _run_tool([poetry, "lock"], project, **settings)
        assert _run_tool([poetry, "install", "--no-interaction"], project, **settings)
    _every_version_built(cache)

    _prune_by_the_lock("poetry", cache, project)
    # Each superseded wheel went with its link's directory: the sdist it was built from too.
    assert {path.name for path in (cache / "artifacts").rglob("*.*")} == {
        "cpdsrc-5.0.tar.gz",
        CURRENT,
    }

    shutil.rmtree(project / ".venv")
    assert _run_tool(
        [poetry, "install", "--no-interaction"], project, **settings, **{NO_BUILD: "1"}
    )
    _installed_from_the_cache(project / ".venv")


@pytest.mark.tools
def test_pdm_after_five_bumps_keeps_exactly_the_built_wheel_locked(
    tmp_path: Path, index: LocalIndex
) -> None:
    project, cache = tmp_path / "project", tmp_path / "pdm-cache"
    (tmp_path / "home").mkdir()
    settings = {
        "PDM_CACHE_DIR": str(cache),
        "PDM_PYPI_URL": index.url,
        "PDM_PYTHON": _base_python(),  # pdm then installs into the project's __pypackages__
        "PDM_CHECK_UPDATE": "false",
    }
    pdm = str(tool_executable("pdm"))
    for version in VERSIONS:
        _pyproject(project, version, "[tool.pdm]\ndistribution = false\n")
        assert _run_tool([pdm, "install"], project, **settings)
    _every_version_built(cache)

    _prune_by_the_lock("pdm", cache, project)

    shutil.rmtree(project / "__pypackages__")
    assert _run_tool([pdm, "sync"], project, **settings, **{NO_BUILD: "1"})
    _installed_from_the_cache(project / "__pypackages__")


@pytest.mark.tools
def test_pipenv_after_five_bumps_keeps_exactly_the_built_wheel_locked(
    tmp_path: Path, index: LocalIndex
) -> None:
    cache = tmp_path / "pipenv-cache"
    project, settings = _pipenv_project(tmp_path, index, cache)
    pipenv = str(tool_executable("pipenv"))
    for version in VERSIONS:
        (project / "Pipfile").write_text(pipfile(index, f'cpdsrc = "=={version}"\n'))
        assert _run_tool([pipenv, "install"], project, **settings)
    _every_version_built(cache)

    _prune_by_the_lock("pipenv", cache, project)

    shutil.rmtree(project / ".venv")
    assert _run_tool([pipenv, "sync"], project, **settings, **{NO_BUILD: "1"})
    _installed_from_the_cache(project / ".venv")


# -- the rules, on synthetic caches -------------------------------------------------------------


def _in_use_of(**versions: str) -> InUse:
    named = {name: frozenset({canonical_version(v) or v}) for name, v in versions.items()}
    return InUse("uv.lock", "/w/uv.lock", named)


def _pip_cache(root: Path, *wheels: str) -> Path:
    """A pip cache whose ``wheels/`` holds each wheel in a link directory of its own."""
    files = {"http-v2/x": "download"}
    for number, wheel in enumerate(wheels):
        files[f"wheels/0{number}/bb/cc/link{number}/{wheel}"] = "w" * 10
        files[f"wheels/0{number}/bb/cc/link{number}/origin.json"] = "{}"
    return make_tree(root, files)


def test_a_wheel_goes_with_its_link_directory_and_the_emptied_parents(tmp_path: Path) -> None:
    cache = _pip_cache(tmp_path / "cache", "a-1.0-py3-none-any.whl", "a-2.0-py3-none-any.whl")
    report = _pruned("pip", cache, _in_use_of(a="2"))
    assert report.removed == ("a-1.0-py3-none-any.whl",)
    assert listing(cache) == {
        "wheels",
        "wheels/01",
        "wheels/01/bb",
        "wheels/01/bb/cc",
        "wheels/01/bb/cc/link1",
        "wheels/01/bb/cc/link1/a-2.0-py3-none-any.whl",
        "wheels/01/bb/cc/link1/origin.json",
    }


def test_what_is_not_named_or_cannot_be_read_is_kept(tmp_path: Path) -> None:
    wheels = (
        "a-1.0-py3-none-any.whl",  # in use
        "b-1.0-py3-none-any.whl",  # not named
        "c-1.0-py3-none-any.whl",  # named at a version that cannot be read
        "a-latest-py3-none-any.whl",  # no wheel file name
    )
    cache = _pip_cache(tmp_path / "cache", *wheels)
    in_use = InUse("uv.lock", "/w", {"a": frozenset({"1"}), "c": frozenset()}, frozenset({"c"}))
    report = _pruned("pip", cache, in_use)
    assert report.removed == ()
    assert report.kept == {
        Verdict.IN_USE: 1,
        Verdict.NOT_NAMED: 1,
        Verdict.VERSION_UNKNOWN: 1,
        Verdict.UNPARSED: 1,
    }
    assert _built(cache) == set(wheels)


def test_a_wheel_sharing_its_directory_with_one_in_use_is_kept(tmp_path: Path) -> None:
    files = {
        "wheels/aa/bb/cc/link/a-1.0-py3-none-any.whl": "old",
        "wheels/aa/bb/cc/link/b-2.0-py3-none-any.whl": "in use",
    }
    cache = make_tree(tmp_path / "cache", files)
    report = _pruned("pip", cache, _in_use_of(a="2", b="2"))
    assert report.removed == ()
    assert report.kept == {Verdict.SUPERSEDED: 1, Verdict.IN_USE: 1}
    assert _built(cache) == {"a-1.0-py3-none-any.whl", "b-2.0-py3-none-any.whl"}


def test_nothing_read_keeps_every_built_wheel_and_says_why(tmp_path: Path) -> None:
    cache = _pip_cache(tmp_path / "cache", "a-1.0-py3-none-any.whl", "a-2.0-py3-none-any.whl")
    report = _pruned("pip", cache, NotRead("no interpreter given"))
    assert (report.built, report.removed) == (2, ())
    assert describe_superseded(report) == "kept every built wheel (2): no interpreter given"
    assert len(_built(cache)) == 2


def test_an_unstable_abi_drops_every_built_wheel_without_asking(tmp_path: Path) -> None:
    cache = _pip_cache(tmp_path / "cache", "a-1.0-py3-none-any.whl")
    report = prune_cache("pip", cache, unstable_abi=True, in_use=_in_use_of(a="1"))
    assert report.superseded is None
    assert _built(cache) == set()


def _uv_cache(root: Path) -> Path:
    """uv's ``sdists-v*`` as uv 0.13 lays it out (see tools/uv.py)."""
    index = "sdists-v11/index/e2d87b9a957f792a/cpdsrc"
    files = {"CACHEDIR.TAG": "", "sdists-v11/.git": "", "sdists-v11/.gitignore": "*"}
    for version, revision in (("1.0", "Rev1"), ("2.0", "Rev2")):
        files |= {
            f"{index}/{version}/.lock": "",
            f"{index}/{version}/revision.http": "pointer",
            f"{index}/{version}/{revision}/metadata.msgpack": "m",
            f"{index}/{version}/{revision}/cpdsrc-{version}-py3-none-any.whl": "w" * 10,
            f"{index}/{version}/{revision}/src/PKG-INFO": "source",
        }
    # A path source rebuilt in place: two revisions behind one pointer.
    path = "sdists-v11/path/0123456789abcdef"
    files |= {
        f"{path}/revision.rev": "pointer",
        f"{path}/Old/metadata.msgpack": "m",
        f"{path}/Old/local-1.0-py3-none-any.whl": "w",
        f"{path}/New/metadata.msgpack": "m",
        f"{path}/New/local-2.0-py3-none-any.whl": "w",
    }
    return make_tree(root, files)


@pytest.mark.parametrize("descriptors", [True, False], ids=["descriptors", "paths"])
def test_uv_drops_a_superseded_build_with_its_metadata_and_its_revision_pointer(
    tmp_path: Path, descriptors: bool
) -> None:
    cache = _uv_cache(tmp_path / "cache")
    in_use = _in_use_of(cpdsrc="2.0", local="2.0")
    pruned = prune_cache("uv", cache, unstable_abi=False, in_use=in_use, descriptors=descriptors)
    report = pruned.superseded
    assert report is not None
    assert sorted(report.removed) == ["cpdsrc-1.0-py3-none-any.whl", "local-1.0-py3-none-any.whl"]
    index = cache / "sdists-v11/index/e2d87b9a957f792a/cpdsrc"
    # No revision left: the version's directory (pointer and lock) goes.
    assert sorted(path.name for path in index.iterdir()) == ["2.0"]
    # Another revision left: the pointer's directory stays.
    path = cache / "sdists-v11/path/0123456789abcdef"
    assert sorted(p.name for p in path.iterdir()) == ["New", "revision.rev"]
    assert (cache / "sdists-v11/.git").is_file()
    assert (cache / "sdists-v11/.gitignore").is_file()


def test_poetry_counts_only_wheels_built_beside_their_source(tmp_path: Path) -> None:
    files = {
        "artifacts/aa/bb/cc/built/a-1.0.tar.gz": "sdist",
        "artifacts/aa/bb/cc/built/a-1.0-py3-none-any.whl": "w",
        "artifacts/aa/bb/dd/downloaded/a-0.9-py3-none-any.whl": "w",
        "artifacts/aa/bb/ee/sdist-only/a-0.8.tar.gz": "sdist",
    }
    cache = make_tree(tmp_path / "cache", files)
    report = _pruned("poetry", cache, _in_use_of(a="2"))
    assert (report.built, report.removed) == (1, ("a-1.0-py3-none-any.whl",))
    # The download goes by poetry's own rule; the lone sdist (nothing built) stays.
    assert {path.name for path in cache.rglob("*.*")} == {"a-0.8.tar.gz"}


# -- hostile caches -----------------------------------------------------------------------------


def test_a_superseded_wheel_that_is_a_link_goes_alone_and_its_target_stays(
    tmp_path: Path,
) -> None:
    outside = make_tree(tmp_path / "outside", {"a-1.0-py3-none-any.whl": "precious"})
    cache = make_tree(tmp_path / "cache", {"wheels/aa/bb/cc/": ""})
    (cache / "wheels/aa/bb/cc/link").symlink_to(outside, target_is_directory=True)
    (cache / "wheels/aa/bb/cc/a-1.0-py3-none-any.whl").symlink_to(
        outside / "a-1.0-py3-none-any.whl"
    )
    report = _pruned("pip", cache, _in_use_of(a="2"))
    # The link named like a wheel goes (as an entry); the linked directory is never entered.
    assert report.removed == ("a-1.0-py3-none-any.whl",)
    assert (outside / "a-1.0-py3-none-any.whl").read_text() == "precious"
    assert (cache / "wheels/aa/bb/cc/link").is_symlink()


@pytest.mark.skipif(os.name == "nt", reason="a backslash is a separator on Windows")
def test_a_directory_named_with_a_backslash_is_kept_not_addressed(tmp_path: Path) -> None:
    cache = make_tree(tmp_path / "cache", {"wheels/aa/bb/cc/..\\..\\x/a-1.0-py3-none-any.whl": "w"})
    report = _pruned("pip", cache, _in_use_of(a="2"))
    assert report.removed == ()
    assert report.kept == {Verdict.SUPERSEDED: 1}
    assert _built(cache) == {"a-1.0-py3-none-any.whl"}


@pytest.mark.parametrize(
    "filename",
    [
        "a-1.0-py3-none-any.whl\n::error::pwned",
        "../../a-1.0-py3-none-any.whl",
        "a-1.0-py3-none-any.WHL",
        "a-1.0.whl",
        ".whl",
    ],
)
def test_names_that_do_not_parse_are_kept(tmp_path: Path, filename: str) -> None:
    name = filename.replace("/", "_")
    cache = make_tree(tmp_path / "cache", {f"wheels/aa/bb/cc/link/{name}": "w"})
    _pruned("pip", cache, _in_use_of(a="2"))
    assert (cache / "wheels/aa/bb/cc/link" / name).exists()


# -- the action and the command line ------------------------------------------------------------


def _uv_project(root: Path, lock: str) -> Path:
    project = root / "evil\n::error::project"
    project.mkdir(parents=True)
    (project / "uv.lock").write_text(lock)
    return project


def test_the_action_drops_what_the_lock_superseded_and_says_so(tmp_path: Path) -> None:
    cache = _uv_cache(tmp_path / "cache")
    project = _uv_project(tmp_path, '[[package]]\nname = "cpdsrc"\nversion = "2.0"\n')
    summary = tmp_path / "summary.md"
    stdout = io.StringIO()
    environ = {
        "CPD_CACHE_DIRECTORY_PATH": str(cache),
        "CPD_TOOL": "uv",
        "CPD_PROJECT_DIRECTORY": str(project),
        "CPD_PYTHON": str(tmp_path / "no-python"),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    assert prune_main(environ, stdout) == 0
    assert _built(cache) == {
        "cpdsrc-2.0-py3-none-any.whl",
        "local-1.0-py3-none-any.whl",
        "local-2.0-py3-none-any.whl",
    }
    last = stdout.getvalue().splitlines()[-1]
    assert last == (
        "dropped 1 built wheel superseded by uv.lock "
        f"{tmp_path}/evil\\n::error::project/uv.lock (24 bytes); "
        "kept 1 in use, 2 of distributions not named there"
    )
    text = summary.read_text()
    assert "superseded by uv.lock `" in text
    assert "evil\\n::error::project/uv.lock` (24 bytes)" in text
    assert summary_problems(text) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_the_action_keeps_everything_in_one_line_when_nothing_can_be_read(
    tmp_path: Path,
) -> None:
    cache = _uv_cache(tmp_path / "cache")
    project = tmp_path / "project"
    project.mkdir()
    os.mkfifo(project / "uv.lock")
    stdout = io.StringIO()
    environ = {
        "CPD_CACHE_DIRECTORY_PATH": str(cache),
        "CPD_TOOL": "uv",
        "CPD_PROJECT_DIRECTORY": str(project),
        "CPD_PYTHON": str(tmp_path / "no-python"),
    }
    with fails_instead_of_blocking():
        assert prune_main(environ, stdout) == 0
    assert len(_built(cache)) == 4
    assert stdout.getvalue().splitlines()[-1] == (
        f"kept every built wheel (4): cannot read lock file {project}/uv.lock: it is a FIFO; "
        f"Python interpreter '{tmp_path}/no-python' does not exist"
    )


def test_the_command_line_reads_python_and_project_directory(tmp_path: Path) -> None:
    cache = _pip_cache(tmp_path / "cache", "a-1.0-py3-none-any.whl", "a-2.0-py3-none-any.whl")
    venv = tmp_path / "venv"
    make_tree(venv, {"pyvenv.cfg": "include-system-site-packages = false\n", "bin/python": ""})
    make_tree(
        venv / "lib/python3.12/site-packages/a-2.0.dist-info",
        {"METADATA": "Name: a\nVersion: 2.0\n"},
    )
    arguments = ["--python", str(venv / "bin/python"), "--project-directory", str(tmp_path)]
    arguments += ["prune", "--directory", str(cache), "--stable-abi"]
    result = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        f"dropped 1 built wheel superseded by the environment of {venv}/bin/python (12 bytes); "
        "kept 1 in use"
    )
    assert _built(cache) == {"a-2.0-py3-none-any.whl"}


def test_hostile_inputs_never_reach_outside_the_cache(tmp_path: Path) -> None:
    outside = make_tree(tmp_path / "outside", {"a-1.0-py3-none-any.whl": "precious"})
    before = snapshot(outside)
    cache = make_tree(
        tmp_path / "cache",
        {
            "wheels/aa/bb/cc/real/a-1.0-py3-none-any.whl": "superseded",
            "wheels/aa/bb/dd/x/outside-1.0-py3-none-any.whl": "not named",
        },
    )
    (cache / "wheels/aa/bb/cc/link").symlink_to(outside, target_is_directory=True)
    project = tmp_path / "project"
    lock = {
        "default": {
            "a": {"version": "==2.0"},
            "../outside": {"version": "==2.0"},
            "x/../../y": {"version": "==2.0"},
            "\n::error::pwned": {"version": "==2.0"},
        }
    }
    make_tree(project, {"Pipfile": "", "Pipfile.lock": json.dumps(lock)})
    stdout = io.StringIO()
    environ = {
        "CPD_CACHE_DIRECTORY_PATH": str(cache),
        "CPD_TOOL": "pipenv",
        "CPD_PROJECT_DIRECTORY": str(project),
    }
    assert prune_main(environ, stdout) == 0
    assert snapshot(outside) == before
    assert _built(cache) == {"outside-1.0-py3-none-any.whl"}
    assert (cache / "wheels/aa/bb/cc/link").is_symlink()
    assert (
        stdout.getvalue()
        .splitlines()[-1]
        .startswith("dropped 1 built wheel superseded by Pipfile.lock")
    )
