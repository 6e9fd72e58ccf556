"""Pruning caches before save: the guards, each tool's rules, and real caches of every tool.

The real caches are filled from a package index served on 127.0.0.1 (``prune_support``): a
project only available as an sdist (``cpdsrc``, with an in-tree build backend, so building needs
nothing from outside) and one only available as a wheel (``cpdwheel``). After pruning, the
built wheel must still install with the downloads gone, and the downloaded one must not.
Superseded built wheels are tested in test_prune_superseded.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cache_python_deps.errors import PruneRefusedError, UnknownToolError
from cache_python_deps.prune import PruneReport, prune_cache
from cache_python_deps.removal import ROOT, open_cache_tree
from tests.prune_support import LocalIndex, listing, make_tree, sdist, serve_index, wheel
from tests.toolsenv import tool_executable

PIP_CACHE = {
    "http-v2/a/b/c/d/e/response": "x" * 100,
    "http/a/old": "y" * 10,
    "wheels/aa/bb/cc/hash/built-1.0-cp312-cp312-linux_x86_64.whl": "w" * 50,
    "wheels/aa/bb/cc/hash/origin.json": "{}",
    "selfcheck/state.json": "{}",
}


# -- guards ---------------------------------------------------------------------------------------


def test_missing_directory_is_a_noop(tmp_path: Path) -> None:
    report = prune_cache("pip", tmp_path / "missing", unstable_abi=False)
    assert report == PruneReport(tmp_path / "missing", 0, 0, ())
    assert not (tmp_path / "missing").exists()


def test_empty_directory_is_a_noop(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    report = prune_cache("uv", tmp_path / "cache", unstable_abi=True)
    assert report.removed_entries == ()
    assert (tmp_path / "cache").is_dir()


@pytest.mark.parametrize("path", [Path(), Path(os.curdir), Path("./")])
def test_refuses_an_empty_path(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path, PIP_CACHE)
    monkeypatch.chdir(tmp_path)  # even where "." is a pip cache
    with pytest.raises(PruneRefusedError, match="empty path"):
        prune_cache("pip", path, unstable_abi=False)
    assert (tmp_path / "http-v2").exists()


def test_refuses_the_filesystem_root() -> None:
    with pytest.raises(PruneRefusedError, match="root of a filesystem"):
        prune_cache("pip", Path(Path.cwd().anchor), unstable_abi=False)


def test_refuses_the_home_directory_and_its_ancestors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = make_tree(tmp_path / "users" / "me", PIP_CACHE)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    for directory in (home, home.parent, tmp_path):
        with pytest.raises(PruneRefusedError, match="home directory"):
            prune_cache("pip", directory, unstable_abi=False)
    assert listing(home) >= set(PIP_CACHE)


def test_refuses_a_symlinked_root_and_leaves_its_target(tmp_path: Path) -> None:
    target = make_tree(tmp_path / "real-cache", PIP_CACHE)
    link = tmp_path / "cache-link"
    link.symlink_to(target, target_is_directory=True)
    with pytest.raises(PruneRefusedError, match="symlink"):
        prune_cache("pip", link, unstable_abi=False)
    assert listing(target) >= set(PIP_CACHE)
    # The target itself, named directly, is pruned.
    assert "http-v2" in prune_cache("pip", target, unstable_abi=False).removed_entries


def test_symlinks_in_the_parent_path_are_resolved(tmp_path: Path) -> None:
    make_tree(tmp_path / "real" / "cache", PIP_CACHE)
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    report = prune_cache("pip", tmp_path / "alias" / "cache", unstable_abi=False)
    assert report.directory == (tmp_path / "real" / "cache").resolve()
    assert not (tmp_path / "real" / "cache" / "http-v2").exists()


@pytest.mark.parametrize("tool", ["pip", "pipenv", "uv", "poetry", "pdm"])
def test_refuses_a_directory_that_is_not_the_tools_cache(tool: str, tmp_path: Path) -> None:
    directory = make_tree(tmp_path / "notes", {"todo.txt": "x", "photos/a.jpg": "y"})
    with pytest.raises(PruneRefusedError, match=f"does not look like a {tool} cache") as caught:
        prune_cache(tool, directory, unstable_abi=True)
    assert "\n" not in str(caught.value)
    assert listing(directory) == {"todo.txt", "photos", "photos/a.jpg"}


def test_refuses_a_pip_cache_for_uv_and_a_uv_cache_for_pip(tmp_path: Path) -> None:
    pip_cache = make_tree(tmp_path / "pip", PIP_CACHE)
    uv_cache = make_tree(tmp_path / "uv", {"CACHEDIR.TAG": "", "wheels-v5/x/y": ""})
    with pytest.raises(PruneRefusedError):
        prune_cache("uv", pip_cache, unstable_abi=False)
    with pytest.raises(PruneRefusedError):
        prune_cache("pip", uv_cache, unstable_abi=False)


def test_refuses_a_project_directory(tmp_path: Path) -> None:
    project = make_tree(tmp_path / "project", {**PIP_CACHE, "pyproject.toml": "[project]\n"})
    with pytest.raises(PruneRefusedError, match=r"pyproject\.toml"):
        prune_cache("pip", project, unstable_abi=False)
    assert (project / "http-v2").exists()


def test_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("not a directory")
    with pytest.raises(PruneRefusedError, match="not a directory"):
        prune_cache("pip", tmp_path / "cache", unstable_abi=False)


def test_unknown_tool(tmp_path: Path) -> None:
    with pytest.raises(UnknownToolError, match="pip, uv, poetry, pipenv, pdm"):
        prune_cache("npm", tmp_path, unstable_abi=False)


def test_a_symlinked_bucket_is_not_descended(tmp_path: Path) -> None:
    outside = make_tree(tmp_path / "outside", {"pkg/x.whl": "w", "env/bin/python": ""})
    cache = make_tree(tmp_path / "cache", {"CACHEDIR.TAG": "", "archive-v0/": ""})
    for bucket in ("wheels-v5", "environments-v2", "sdists-v9"):
        (cache / bucket).symlink_to(outside, target_is_directory=True)
    prune_cache("uv", cache, unstable_abi=True)
    assert listing(outside) == {"pkg", "pkg/x.whl", "env", "env/bin", "env/bin/python"}
    poetry_cache = make_tree(tmp_path / "poetry", {"cache/x": ""})
    (poetry_cache / "artifacts").symlink_to(outside, target_is_directory=True)
    prune_cache("poetry", poetry_cache, unstable_abi=False)
    assert listing(outside) == {"pkg", "pkg/x.whl", "env", "env/bin", "env/bin/python"}


def test_the_tree_never_removes_outside_its_root(tmp_path: Path) -> None:
    cache = make_tree(tmp_path / "cache", {"a/b": ""})
    victim = make_tree(tmp_path / "victim", {"v": ""})
    (cache / "link").symlink_to(victim, target_is_directory=True)
    with open_cache_tree(cache) as tree:
        for path in (ROOT / ".." / "victim", ROOT / "link" / "..", ROOT, ROOT / "."):
            with pytest.raises(PruneRefusedError):
                tree.remove(path)
        tree.remove(ROOT / "link" / "v")  # through a symlink: not an entry of the cache
        assert tree.entries(ROOT / "link") == []
        assert tree.removed == ()
    assert listing(victim) == {"v"}


def test_report_counts_bytes(tmp_path: Path) -> None:
    cache = make_tree(tmp_path / "cache", PIP_CACHE)
    report = prune_cache("pip", cache, unstable_abi=False)
    total = sum(len(text) for text in PIP_CACHE.values())
    assert report.bytes_before == total
    assert report.bytes_after == total - 110
    assert report.bytes_removed == 110
    assert report.removed_entries == ("http-v2", "http")


# -- each tool's rules on synthetic trees -------------------------------------------------------


def test_pip_keeps_built_wheels_and_drops_downloads(tmp_path: Path) -> None:
    cache = make_tree(tmp_path / "cache", PIP_CACHE)
    prune_cache("pip", cache, unstable_abi=False)
    assert not (cache / "http-v2").exists()
    assert not (cache / "http").exists()
    assert (cache / "wheels/aa/bb/cc/hash/built-1.0-cp312-cp312-linux_x86_64.whl").exists()
    assert (cache / "selfcheck/state.json").exists()


def test_pip_unstable_abi_drops_built_wheels(tmp_path: Path) -> None:
    cache = make_tree(tmp_path / "cache", PIP_CACHE)
    prune_cache("pip", cache, unstable_abi=True)
    assert listing(cache) == {"selfcheck", "selfcheck/state.json"}


def test_pipenv_also_drops_its_manifests(tmp_path: Path) -> None:
    files = {**PIP_CACHE, "pipenv-manifests/idx/six.json": "{}", "pkgs/six.whl": "w"}
    cache = make_tree(tmp_path / "cache", files)
    prune_cache("pipenv", cache, unstable_abi=False)
    assert {entry.name for entry in cache.iterdir()} == {"wheels", "selfcheck"}


def test_pdm_keeps_built_wheels_and_small_caches(tmp_path: Path) -> None:
    files = {
        "http/ab/cd/response": "h",
        "packages/six-1.17.0-py3-none-any.whl.cache/six.py": "p",
        "wheels/aa/bb/cc/rest/built-1.0-cp312-cp312-linux_x86_64.whl": "w",
        "hashes/h": "",
        "metadata/m.json": "",
    }
    cache = make_tree(tmp_path / "cache", files)
    prune_cache("pdm", cache, unstable_abi=False)
    assert {entry.name for entry in cache.iterdir()} == {"wheels", "hashes", "metadata"}
    prune_cache("pdm", cache, unstable_abi=True)
    assert {entry.name for entry in cache.iterdir()} == {"hashes", "metadata"}


POETRY_CACHE = {
    "cache/repositories/PyPI/_http/a/b": "h",
    "virtualenvs/proj-AbCd-py3.12/pyvenv.cfg": "home = /usr",
    "artifacts/11/22/33/downloaded/six-1.17.0-py2.py3-none-any.whl": "w",
    "artifacts/44/55/66/built/pkg-1.0.tar.gz": "s",
    "artifacts/44/55/66/built/pkg-1.0-cp312-cp312-linux_x86_64.whl": "b",
}


def test_poetry_keeps_artifacts_built_from_source(tmp_path: Path) -> None:
    cache = make_tree(tmp_path / "cache", POETRY_CACHE)
    prune_cache("poetry", cache, unstable_abi=False)
    assert listing(cache) == {
        "artifacts",
        "artifacts/44",
        "artifacts/44/55",
        "artifacts/44/55/66",
        "artifacts/44/55/66/built",
        "artifacts/44/55/66/built/pkg-1.0.tar.gz",
        "artifacts/44/55/66/built/pkg-1.0-cp312-cp312-linux_x86_64.whl",
    }
    second = prune_cache("poetry", cache, unstable_abi=False)
    assert second.removed_entries == (), "pruning twice keeps the built wheels"


def test_poetry_unstable_abi_drops_all_artifacts(tmp_path: Path) -> None:
    cache = make_tree(tmp_path / "cache", POETRY_CACHE)
    prune_cache("poetry", cache, unstable_abi=True)
    assert listing(cache) == set()


def _uv_synthetic(root: Path) -> Path:
    revision = "sdists-v9/pypi/pkg/1.0/REV"
    cache = make_tree(
        root,
        {
            "CACHEDIR.TAG": "",
            ".gitignore": "*",
            "wheels-v4/old": "",
            "wheels-v5/pypi/six/1.17.0-py3-none-any.http": "h",
            "wheels-v5/pypi/six/1.17.0-py3-none-any.msgpack": "m",
            "wheels-v5/top-level-file": "f",
            "built-wheels-v3/pypi/x": "",
            "environments-v2/env-1/pyvenv.cfg": "",
            f"{revision}/metadata.msgpack": "m",
            f"{revision}/pkg-1.0-cp312-cp312-linux_x86_64.whl": "w",
            f"{revision}/src/setup.py": "s",
            f"{revision}/pkg-1.0-cp312-cp312-linux_x86_64.lock": "",
            "sdists-v9/pypi/pkg/1.0/revision.http": "r",
            "sdists-v9/.git": "",
            "archive-v0/SIX/six.py": "",
            "archive-v0/BUILT/pkg.py": "",
            "archive-v0/KEPT/kept.py": "",
            "simple-v16/pypi/six.rkyv": "i",
            "interpreter-v4/x.msgpack": "",
            "newer-bucket-v1/keep": "",
        },
    )
    # Links into the archive, as uv makes them on Unix.
    (cache / "wheels-v5/pypi/six/1.17.0-py3-none-any").symlink_to("../../../archive-v0/SIX")
    (cache / revision / "pkg-1.0-cp312-cp312-linux_x86_64").symlink_to(
        "../../../../../archive-v0/BUILT"
    )
    # A revision without metadata.msgpack (not a built wheel) keeps its link.
    (cache / "sdists-v9/pypi/other/2.0/REV2").mkdir(parents=True)
    (cache / "sdists-v9/pypi/other/2.0/REV2/other-2.0").symlink_to("../../../../../archive-v0/KEPT")
    return cache


@pytest.mark.skipif(os.name == "nt", reason="uv's archive links are symlinks on Unix only")
def test_uv_ci_rules_on_a_synthetic_cache(tmp_path: Path) -> None:
    cache = _uv_synthetic(tmp_path / "cache")
    prune_cache("uv", cache, unstable_abi=False)
    remaining = listing(cache)
    assert "wheels-v4" not in remaining and "built-wheels-v3" not in remaining
    assert {p for p in remaining if p.startswith("wheels-v5/")} == {"wheels-v5/top-level-file"}
    assert "environments-v2" in remaining and not any(
        p.startswith("environments-v2/") for p in remaining
    )
    revision = "sdists-v9/pypi/pkg/1.0/REV"
    assert {p for p in remaining if p.startswith(f"{revision}/")} == {
        f"{revision}/metadata.msgpack",
        f"{revision}/pkg-1.0-cp312-cp312-linux_x86_64.whl",
    }
    assert "sdists-v9/pypi/pkg/1.0/revision.http" in remaining
    assert {p for p in remaining if p.startswith("archive-v0/")} == {
        "archive-v0/KEPT",
        "archive-v0/KEPT/kept.py",
    }
    for kept in ("simple-v16/pypi/six.rkyv", "interpreter-v4/x.msgpack", "newer-bucket-v1/keep"):
        assert kept in remaining
    assert "CACHEDIR.TAG" in remaining and ".gitignore" in remaining


def test_uv_unstable_abi_drops_built_wheels(tmp_path: Path) -> None:
    cache = _uv_synthetic(tmp_path / "cache")
    prune_cache("uv", cache, unstable_abi=True)
    remaining = listing(cache)
    assert {p for p in remaining if p.startswith("sdists-v9/")} == {"sdists-v9/.git"}
    assert not any(p.startswith("archive-v0/") for p in remaining)
    assert "simple-v16/pypi/six.rkyv" in remaining


# -- real caches ----------------------------------------------------------------------------------


@pytest.fixture
def local_index(tmp_path: Path) -> Iterator[LocalIndex]:
    distributions = [
        ("cpdsrc", "cpdsrc-1.0.tar.gz", sdist("cpdsrc", "1.0")),
        ("cpdwheel", "cpdwheel-1.0-py3-none-any.whl", wheel("cpdwheel", "1.0")),
    ]
    with serve_index(tmp_path / "index", distributions) as index:
        yield index


def _clean_environ(**extra: str) -> dict[str, str]:
    """This environment without pip's and uv's settings, so only the test's options count."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    return environ | {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"} | extra


def _pip_install(index: LocalIndex, cache: Path, target: Path, *projects: str) -> bool:
    command = [sys.executable, "-m", "pip", "install", "--no-input", "--quiet"]
    command += ["--index-url", index.url, "--trusted-host", index.host]
    command += ["--cache-dir", str(cache), "--target", str(target), *projects]
    completed = subprocess.run(
        command, env=_clean_environ(), capture_output=True, text=True, check=False, timeout=300
    )
    return completed.returncode == 0 and all((target / f"{p}.py").is_file() for p in projects)


def test_real_pip_cache_keeps_what_it_built(tmp_path: Path, local_index: LocalIndex) -> None:
    cache = tmp_path / "pip-cache"
    assert _pip_install(local_index, cache, tmp_path / "t1", "cpdsrc", "cpdwheel")
    http_dirs = {name for name in ("http-v2", "http") if (cache / name).is_dir()}
    assert http_dirs, "pip cached no download"
    assert list((cache / "wheels").rglob("cpdsrc-1.0-py3-none-any.whl"))

    report = prune_cache("pip", cache, unstable_abi=False)
    assert set(report.removed_entries) == http_dirs
    assert report.bytes_after < report.bytes_before

    local_index.withdraw_distributions()
    assert _pip_install(local_index, cache, tmp_path / "t2", "cpdsrc"), "built wheel not reused"
    assert not _pip_install(local_index, cache, tmp_path / "t3", "cpdwheel"), "download kept"


def test_real_pip_cache_unstable_abi_keeps_nothing_built(
    tmp_path: Path, local_index: LocalIndex
) -> None:
    cache = tmp_path / "pip-cache"
    assert _pip_install(local_index, cache, tmp_path / "t1", "cpdsrc")
    prune_cache("pip", cache, unstable_abi=True)
    assert not (cache / "wheels").exists()
    local_index.withdraw_distributions()
    assert not _pip_install(local_index, cache, tmp_path / "t2", "cpdsrc")


def _uv(*arguments: str, cache: Path) -> subprocess.CompletedProcess[str]:
    environ = _clean_environ(UV_CACHE_DIR=str(cache), UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never")
    return subprocess.run(
        [str(tool_executable("uv")), *arguments],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _uv_install(index: LocalIndex, cache: Path, target: Path, *args: str) -> bool:
    common = ["pip", "install", "--python", sys.executable, "--target", str(target)]
    completed = _uv(*common, "--index-url", index.url, *args, cache=cache)
    return completed.returncode == 0


@pytest.mark.tools
def test_real_uv_cache_matches_uv_cache_prune_ci(tmp_path: Path, local_index: LocalIndex) -> None:
    cache = tmp_path / "uv-cache"
    assert _uv_install(local_index, cache, tmp_path / "t1", "cpdsrc", "cpdwheel")
    by_uv = tmp_path / "uv-cache-pruned-by-uv"
    shutil.copytree(cache, by_uv, symlinks=True)
    completed = _uv("cache", "prune", "--ci", cache=by_uv)
    assert completed.returncode == 0, completed.stderr

    report = prune_cache("uv", cache, unstable_abi=False)
    assert listing(cache) == listing(by_uv)
    assert report.bytes_after < report.bytes_before

    assert _uv_install(local_index, cache, tmp_path / "t2", "--offline", "cpdsrc")
    assert (tmp_path / "t2" / "cpdsrc.py").is_file()
    assert not _uv_install(local_index, cache, tmp_path / "t3", "--offline", "cpdwheel")


@pytest.mark.tools
def test_real_uv_cache_unstable_abi_drops_built_wheels(
    tmp_path: Path, local_index: LocalIndex
) -> None:
    cache = tmp_path / "uv-cache"
    assert _uv_install(local_index, cache, tmp_path / "t1", "cpdsrc")
    prune_cache("uv", cache, unstable_abi=True)
    assert not list(cache.rglob("*.whl"))
    assert not _uv_install(local_index, cache, tmp_path / "t2", "--offline", "cpdsrc")


def _base_python() -> str:
    """The interpreter behind this test's virtualenv (tools make their own environment of it)."""
    return str(getattr(sys, "_base_executable", None) or sys.executable)


def _run_tool(command: list[str], cwd: Path, **environ: str) -> bool:
    path = os.pathsep.join([str(Path(_base_python()).parent), "/usr/bin", "/bin"])
    full_environ = {"PATH": path, "HOME": str(cwd.parent / "home"), "LANG": "C.UTF-8"} | environ
    completed = subprocess.run(
        command, cwd=cwd, env=full_environ, capture_output=True, text=True, check=False, timeout=300
    )
    return completed.returncode == 0


def _project(root: Path, extra: str) -> Path:
    project = make_tree(root / "project", {})
    (root / "home").mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">=3.10"\n'
        f'dependencies = ["cpdsrc", "cpdwheel"]\n\n{extra}'
    )
    return project


@pytest.mark.tools
def test_real_poetry_cache_keeps_what_it_built(tmp_path: Path, local_index: LocalIndex) -> None:
    source = f'[[tool.poetry.source]]\nname = "local"\nurl = "{local_index.url}"\n'
    project = _project(
        tmp_path, f'[tool.poetry]\npackage-mode = false\n\n{source}priority = "primary"\n'
    )
    cache = tmp_path / "poetry-cache"
    command = [str(tool_executable("poetry")), "install", "--no-interaction"]
    settings = {
        "POETRY_CACHE_DIR": str(cache),
        "POETRY_VIRTUALENVS_IN_PROJECT": "true",
        # One at a time, so cpdwheel's failure below cannot cancel cpdsrc's install.
        "POETRY_INSTALLER_PARALLEL": "false",
    }
    assert _run_tool(command, project, **settings)
    assert (cache / "cache").is_dir() and list((cache / "artifacts").rglob("*.whl"))

    report = prune_cache("poetry", cache, unstable_abi=False)
    assert "cache" in report.removed_entries
    assert {path.name for path in (cache / "artifacts").rglob("*.*")} == {
        "cpdsrc-1.0.tar.gz",
        "cpdsrc-1.0-py3-none-any.whl",
    }

    local_index.withdraw_distributions()
    shutil.rmtree(project / ".venv")
    assert not _run_tool(command, project, **settings), "the downloaded wheel was kept"
    site_packages = next((project / ".venv").glob("lib/python*/site-packages"))
    assert (site_packages / "cpdsrc.py").is_file(), "the built wheel was not reused"


@pytest.mark.tools
def test_real_pdm_cache_keeps_what_it_built(tmp_path: Path, local_index: LocalIndex) -> None:
    project = _project(tmp_path, "[tool.pdm]\ndistribution = false\n")
    cache = tmp_path / "pdm-cache"
    settings = {
        "PDM_CACHE_DIR": str(cache),
        "PDM_PYPI_URL": local_index.url,
        "PDM_PYTHON": _base_python(),  # pdm then installs into the project's __pypackages__
        "PDM_CHECK_UPDATE": "false",
        "PDM_INSTALL_PARALLEL": "false",
    }
    pdm = str(tool_executable("pdm"))
    assert _run_tool([pdm, "install"], project, **settings)
    assert (cache / "http").is_dir() and list((cache / "wheels").rglob("cpdsrc-*.whl"))

    report = prune_cache("pdm", cache, unstable_abi=False)
    assert report.removed_entries == ("http",)

    local_index.withdraw_distributions()
    shutil.rmtree(project / "__pypackages__")
    assert not _run_tool([pdm, "sync"], project, **settings), "the downloaded wheel was kept"
    assert list((project / "__pypackages__").rglob("cpdsrc.py")), "the built wheel was not reused"


def pipfile(index: LocalIndex, packages: str) -> str:
    """A Pipfile whose only source is the local index."""
    source = f'[[source]]\nname = "local"\nurl = "{index.url}"\nverify_ssl = false\n'
    return f"{source}\n[packages]\n{packages}"


def _pipenv_project(tmp_path: Path, index: LocalIndex, cache: Path) -> tuple[Path, dict[str, str]]:
    """A Pipfile project asking for both distributions, and pipenv's settings for it."""
    project = make_tree(tmp_path / "project", {})
    (tmp_path / "home").mkdir()
    (project / "Pipfile").write_text(pipfile(index, 'cpdsrc = "*"\ncpdwheel = "*"\n'))
    settings = {
        "PIPENV_CACHE_DIR": str(cache),
        "PIPENV_VENV_IN_PROJECT": "1",
        "PIPENV_IGNORE_VIRTUALENVS": "1",
        "PIPENV_PYTHON": _base_python(),
        "PIPENV_NOSPIN": "1",
        "PIPENV_YES": "1",
        "PIP_CONFIG_FILE": os.devnull,
    }
    return project, settings


@pytest.mark.tools
def test_real_pipenv_cache_keeps_what_it_built(tmp_path: Path, local_index: LocalIndex) -> None:
    cache = tmp_path / "pipenv-cache"
    project, settings = _pipenv_project(tmp_path, local_index, cache)
    pipenv = str(tool_executable("pipenv"))
    assert _run_tool([pipenv, "install"], project, **settings)
    assert list((cache / "wheels").rglob("cpdsrc-*.whl")), sorted(listing(cache))

    report = prune_cache("pipenv", cache, unstable_abi=False)
    assert "http-v2" in report.removed_entries
    assert not {"http-v2", "http", "pipenv-manifests", "pkgs"} & {p.name for p in cache.iterdir()}

    # Pipenv installs through pip with PIP_CACHE_DIR set to its cache: ask pip the same way.
    local_index.withdraw_distributions()
    assert _pip_install(local_index, cache, tmp_path / "t2", "cpdsrc"), "built wheel not reused"
    assert not _pip_install(local_index, cache, tmp_path / "t3", "cpdwheel"), "download kept"
