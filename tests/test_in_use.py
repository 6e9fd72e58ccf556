"""What the dependencies in use are: lock files, environments (real interpreters), hostile input.

The environment's directories are held against what each real interpreter itself reads at a
normal start (its ``sys.path``): the probe's for an installation, the ones found without starting
the interpreter for a virtual environment made by that interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from cache_python_deps import in_use
from cache_python_deps.distributions import InUse, NotRead
from cache_python_deps.errors import InUseError, ProbeError, UnreadableFileError
from cache_python_deps.in_use import (
    dist_info_fields,
    environment_directories,
    find_in_use,
    includes_system_site_packages,
    locked_packages,
    metadata_fields,
    pipfile_locked_packages,
    project_context,
    read_environment,
    read_lock,
)
from cache_python_deps.interpreter import probe_interpreter
from cache_python_deps.toml_parser import toml_loads
from cache_python_deps.tools import get_tool
from cache_python_deps.tools.base import LockFile
from tests.prune_support import (
    give_to_unprivileged_user,
    make_tree,
    run_unprivileged,
    shared_directory,
)
from tests.support import REAL_INTERPRETERS, fails_instead_of_blocking, require_interpreter

SRC = Path(__file__).resolve().parent.parent / "src"
_SITE_NAMES = ("site-packages", "dist-packages")
_SYS_PATH = "import json, sys; print(json.dumps(sys.path))"


def _normal_start_site_directories(python: Path) -> set[str]:
    """The site directories on ``python``'s sys.path at a normal start (no -S, -s, -E)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    completed = subprocess.run(
        [str(python), "-c", _SYS_PATH], capture_output=True, text=True, env=environ, check=True
    )
    return {p for p in json.loads(completed.stdout) if Path(p).name in _SITE_NAMES}


def _never_probed(python: str) -> tuple[str, ...]:
    raise AssertionError(f"{python} was probed: a virtual environment is read without starting")


def _dist_info(site: Path, directory: str, metadata: str | None) -> Path:
    path = site / directory
    path.mkdir(parents=True)
    if metadata is not None:
        (path / "METADATA").write_text(metadata)
    return path


def _venv(root: Path, *dist_infos: tuple[str, str | None]) -> Path:
    """A virtual environment laid out as ``venv`` makes it (not started), holding dist-infos."""
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "python").write_text("")
    (root / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\n")
    site = root / "lib" / "python3.12" / "site-packages"
    site.mkdir(parents=True)
    for directory, metadata in dist_infos:
        _dist_info(site, directory, metadata)
    return root / "bin" / "python"


def _metadata(name: str, version: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nLong description\n"


# -- real interpreters --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REAL_INTERPRETERS))
def test_the_probe_names_the_site_directories_a_normal_start_reads(name: str) -> None:
    python = require_interpreter(name)
    probed = probe_interpreter(str(python)).site_directories
    # The unpacked i386 interpreter has none: its prefix holds no site directory.
    assert set(probed) == _normal_start_site_directories(python)


# 2.7 has no venv module; the unpacked i386 interpreter starts only through its wrapper's loader,
# which a virtual environment's link to the binary bypasses.
_VENV_MAKERS = [
    name for name in sorted(REAL_INTERPRETERS) if name != "pyenv-2.7.18" and "i386" not in name
]


@pytest.mark.parametrize("name", _VENV_MAKERS)
def test_a_virtual_environment_is_read_without_starting_it(name: str, tmp_path: Path) -> None:
    python = require_interpreter(name)
    venv = tmp_path / "venv"
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(venv)], check=True)
    executable = venv / "bin" / "python"
    found, directories = environment_directories(str(executable), probe=_never_probed)
    assert found == executable
    assert {str(d) for d in directories} == _normal_start_site_directories(executable)


@pytest.mark.parametrize("name", ["pyenv-3.12.1", "debian-3.11", "debian-pypy3"])
def test_a_virtual_environment_with_system_site_packages_adds_the_probed_ones(
    name: str, tmp_path: Path
) -> None:
    python = require_interpreter(name)
    venv = tmp_path / "venv"
    command = [str(python), "-m", "venv", "--without-pip", "--system-site-packages", str(venv)]
    subprocess.run(command, check=True)
    executable = venv / "bin" / "python"
    _, directories = environment_directories(str(executable))
    assert {str(d) for d in directories} == _normal_start_site_directories(executable)


def test_the_action_reads_a_lock_on_python_3_10_only_through_the_environment(
    tmp_path: Path,
) -> None:
    """Python 3.10 has no tomllib: the action's isolated run passes the lock over, in one line."""
    python = require_interpreter("pyenv-3.10.13")
    (tmp_path / "uv.lock").write_text('version = 1\n[[package]]\nname = "a"\nversion = "1"\n')
    code = (
        f"import sys; sys.path.insert(0, {str(SRC)!r})\n"
        "from pathlib import Path\n"
        "from cache_python_deps.in_use import find_in_use, project_context\n"
        "from cache_python_deps.tools import get_tool\n"
        "context = project_context(Path(sys.argv[1]), {}, None)\n"
        "print(find_in_use(get_tool('uv'), context, None))\n"
    )
    completed = subprocess.run(
        [str(python), "-E", "-s", "-S", "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.count("\n") == 1
    assert "reads no TOML (tomllib is Python 3.11+); no interpreter given" in completed.stdout
    assert completed.stdout.startswith("NotRead(reason='cannot parse ")


# -- lock files ---------------------------------------------------------------------------------

UV_LOCK = """version = 1
requires-python = ">=3.10"

[[package]]
name = "Foo_Bar"
version = "1.0.0"
source = { registry = "https://example.invalid/simple" }

[[package]]
name = "numpy"
version = "1.26.4"

[[package]]
name = "numpy"
version = "2.1.0"

[[package]]
name = "demo"
source = { editable = "." }
dependencies = [{ name = "foo-bar" }]
"""

PIPFILE_LOCK = {
    "_meta": {"hash": {"sha256": "x"}, "requires": {"python_version": "3.12"}},
    "default": {
        "requests": {"hashes": [], "version": "==2.32.3"},
        "exact": {"version": "===1.0"},
        "local": {"editable": True, "path": "."},
        "broken": "not a table",
    },
    "develop": {"pytest": {"version": "==8.3.0"}},
    "docs": {"Sphinx": {"version": "==8.0.2"}},
}


def test_a_toml_lock_names_every_package_at_every_version() -> None:
    loads = toml_loads()
    assert loads is not None, "the suite runs on a Python with a TOML parser"
    data = loads(UV_LOCK)
    assert list(locked_packages(data)) == [
        ("Foo_Bar", "1.0.0"),
        ("numpy", "1.26.4"),
        ("numpy", "2.1.0"),
        ("demo", None),
    ]


def test_a_pipfile_lock_names_its_pins_in_every_section() -> None:
    assert sorted(pipfile_locked_packages(PIPFILE_LOCK), key=str) == [
        ("Sphinx", "8.0.2"),
        ("broken", None),
        ("exact", "1.0"),
        ("local", None),
        ("pytest", "8.3.0"),
        ("requests", "2.32.3"),
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"package": "not a list"}, []),
        ({"package": [1, "a", None, {"name": 5}, {"name": ""}, {"version": "1"}]}, []),
        ({"package": [{"name": "ok", "version": 3}]}, [("ok", None)]),
        ({}, []),
    ],
)
def test_a_lock_of_unexpected_shapes_names_only_what_it_spells(
    data: dict[str, object], expected: list[tuple[str, str | None]]
) -> None:
    assert list(locked_packages(data)) == expected


def test_a_pipfile_lock_of_unexpected_shapes(tmp_path: Path) -> None:
    (tmp_path / "Pipfile.lock").write_text('[{"default": {}}]')
    with pytest.raises(InUseError, match="it is not a table"):
        read_lock(LockFile(tmp_path / "Pipfile.lock", "pipfile"))
    weird = {"default": [1], "develop": {"x": 1, "y": {"version": 2.0}, 5: {"version": "==1"}}}
    assert list(pipfile_locked_packages(weird)) == [("x", None), ("y", None)]


def test_a_lock_is_read_into_canonical_names_and_versions(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(UV_LOCK)
    found = read_lock(LockFile(tmp_path / "uv.lock", "packages"))
    assert found == InUse(
        "uv.lock",
        str(tmp_path / "uv.lock"),
        {"foo-bar": frozenset({"1"}), "numpy": frozenset({"1.26.4", "2.1"}), "demo": frozenset()},
        frozenset({"demo"}),
    )


def test_a_missing_lock_is_none(tmp_path: Path) -> None:
    assert read_lock(LockFile(tmp_path / "poetry.lock", "packages")) is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"a = " + b"[" * 5000 + b"]" * 5000, "maximum recursion depth"),
        (b"[[package]\n", "cannot parse"),
        (b"\xff\xfe not text", "not valid UTF-8"),
    ],
)
def test_a_lock_that_does_not_parse_is_one_line(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    (tmp_path / "pdm.lock").write_bytes(content)
    with pytest.raises(InUseError, match=reason) as raised:
        read_lock(LockFile(tmp_path / "pdm.lock", "packages"))
    assert "\n" not in str(raised.value)


def test_a_deeply_nested_pipfile_lock_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "Pipfile.lock").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InUseError, match="maximum recursion depth"):
        read_lock(LockFile(tmp_path / "Pipfile.lock", "pipfile"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_lock_that_is_a_fifo_is_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "uv.lock")
    with fails_instead_of_blocking(), pytest.raises(UnreadableFileError, match="a FIFO"):
        read_lock(LockFile(tmp_path / "uv.lock", "packages"))


def test_a_huge_lock_is_refused_before_it_is_read(tmp_path: Path) -> None:
    with (tmp_path / "uv.lock").open("wb") as handle:
        handle.truncate(in_use.MAX_LOCK_BYTES + 1)
    with pytest.raises(UnreadableFileError, match="larger than"):
        read_lock(LockFile(tmp_path / "uv.lock", "packages"))


# -- environments -------------------------------------------------------------------------------


def test_metadata_fields_come_from_the_header_only() -> None:
    text = "Metadata-Version: 2.1\r\nname: Foo\r\nSummary: x\r\n Version: 9\r\nVERSION: 1.0\r\n\r\n"
    assert metadata_fields(text + "Name: other\nVersion: 2\n") == ("Foo", "1.0")
    assert metadata_fields("\nName: late\n") == (None, None)


@pytest.mark.parametrize(
    ("directory", "expected"),
    [
        ("foo_bar-1.0.dist-info", ("foo_bar", "1.0")),
        ("foo-bar-1.0.dist-info", None),
        ("foo.dist-info", None),
        ("-1.0.dist-info", None),
        ("foo-.dist-info", None),
        ("evil\n::error::x-1.0.dist-info", None),
    ],
)
def test_dist_info_directory_names(directory: str, expected: tuple[str, str] | None) -> None:
    assert dist_info_fields(directory) == expected


@pytest.mark.parametrize(
    ("text", "included"),
    [
        ("home = /usr/bin\n", True),
        ("include-system-site-packages = false\n", False),
        ("Include-System-Site-Packages=TRUE\n", True),
        ("include-system-site-packages = false\ninclude-system-site-packages = true\n", True),
        ("include-system-site-packages = no\n", False),
    ],
)
def test_pyvenv_cfg_as_site_reads_it(text: str, included: bool) -> None:
    assert includes_system_site_packages(text) is included


def test_an_environment_names_its_distributions(tmp_path: Path) -> None:
    python = _venv(
        tmp_path / "venv",
        ("Foo.Bar-2.0.dist-info", _metadata("Foo.Bar", "2.0.0")),
        ("weird-1.0.dist-info", _metadata("weird", "not a version")),
        ("nometa-3.0.dist-info", None),
        ("old.egg-info", _metadata("old", "1.0")),
        ("notes.txt", None),
    )
    found = read_environment(str(python), probe=_never_probed)
    assert found.what == "the environment of"
    assert found.where == str(python)
    assert found.versions == {
        "foo-bar": frozenset({"2"}),
        "weird": frozenset(),
        "nometa": frozenset({"3"}),
    }
    assert found.unknown_versions == {"weird"}


def test_a_crafted_dist_info_names_nothing_it_cannot_spell(tmp_path: Path) -> None:
    python = _venv(
        tmp_path / "venv",
        ("evil\n::error::x-1.0.dist-info", _metadata("../../etc", "1.0")),
        ("a-1.0.dist-info", _metadata("x/y", "1.0")),
        ("b-1.0.dist-info", "\x00\x01 garbage without a header"),
    )
    found = read_environment(str(python), probe=_never_probed)
    # The crafted Name is refused; the directory's own name is used where it spells one.
    assert found.versions == {"a": frozenset({"1"}), "b": frozenset({"1"})}


def test_a_huge_metadata_falls_back_to_the_directory_name(tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv", ("big-4.0.dist-info", None))
    metadata = tmp_path / "venv/lib/python3.12/site-packages/big-4.0.dist-info/METADATA"
    with metadata.open("wb") as handle:
        handle.write(b"Name: other\nVersion: 9\n")
        handle.truncate(in_use.MAX_METADATA_BYTES + 1)
    found = read_environment(str(python), probe=_never_probed)
    assert found.versions == {"big": frozenset({"4"})}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_metadata_fifo_is_never_opened(tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv", ("fifo-1.0.dist-info", None))
    os.mkfifo(tmp_path / "venv/lib/python3.12/site-packages/fifo-1.0.dist-info/METADATA")
    with fails_instead_of_blocking():
        found = read_environment(str(python), probe=_never_probed)
    assert found.versions == {"fifo": frozenset({"1"})}


def test_a_dist_info_link_loop_names_nothing(tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv")
    site = tmp_path / "venv/lib/python3.12/site-packages"
    (site / "loop-1.0.dist-info").symlink_to(site / "loop-1.0.dist-info")
    assert read_environment(str(python), probe=_never_probed).versions == {}


def test_a_site_directory_with_too_many_entries_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = _venv(tmp_path / "venv", *[(f"d{i}-1.0.dist-info", None) for i in range(5)])
    monkeypatch.setattr(in_use, "MAX_DIRECTORY_ENTRIES", 4)
    with pytest.raises(InUseError, match="more than 4 entries"):
        read_environment(str(python), probe=_never_probed)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_pyvenv_cfg_fifo_is_no_virtual_environment(tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv")
    (tmp_path / "venv" / "pyvenv.cfg").unlink()
    os.mkfifo(tmp_path / "venv" / "pyvenv.cfg")
    probed: list[str] = []

    def probe(python: str) -> tuple[str, ...]:
        probed.append(python)
        return ()

    with fails_instead_of_blocking(), pytest.raises(InUseError, match="no site-packages"):
        read_environment(str(python), probe=probe)
    assert probed == [str(python)]


def test_a_probed_environment_reads_the_probes_directories(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _dist_info(site, "x-1.0.dist-info", _metadata("x", "1.0"))
    (tmp_path / "python").write_text("")
    found = read_environment(str(tmp_path / "python"), probe=lambda python: (str(site),))
    assert found.versions == {"x": frozenset({"1"})}


def test_an_interpreter_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="does not exist"):
        read_environment(str(tmp_path / "nope" / "python"))


# -- choosing: the lock, else the environment, else nothing -------------------------------------


def _find(tool: str, project: Path, python: str | None, **environ: str) -> InUse | NotRead:
    probe: Callable[[str], tuple[str, ...]] = _never_probed
    return find_in_use(get_tool(tool), project_context(project, environ, None), python, probe=probe)


def test_the_lock_wins_over_the_environment(tmp_path: Path) -> None:
    (tmp_path / "poetry.lock").write_text('[[package]]\nname = "a"\nversion = "1"\n')
    python = _venv(tmp_path / "venv", ("a-2.0.dist-info", _metadata("a", "2.0")))
    found = _find("poetry", tmp_path, str(python))
    assert isinstance(found, InUse)
    assert (found.what, found.versions) == ("poetry.lock", {"a": frozenset({"1"})})


def test_without_a_lock_the_environment_is_read(tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv", ("a-2.0.dist-info", _metadata("a", "2.0")))
    found = _find("pdm", tmp_path, str(python))
    assert isinstance(found, InUse)
    assert (found.what, found.versions) == ("the environment of", {"a": frozenset({"2"})})


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_neither_readable_is_one_line_naming_both(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "uv.lock")
    with fails_instead_of_blocking():
        found = _find("uv", tmp_path, str(tmp_path / "missing-python"))
    assert isinstance(found, NotRead)
    assert "\n" not in found.reason
    assert found.reason == (
        f"cannot read lock file {tmp_path / 'uv.lock'}: it is a FIFO; "
        f"Python interpreter {str(tmp_path / 'missing-python')!r} does not exist"
    )


def test_pip_reads_the_environment_only(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text('[[package]]\nname = "a"\nversion = "1"\n')
    assert _find("pip", tmp_path, None) == NotRead("no interpreter given")


def test_a_missing_lock_and_no_interpreter(tmp_path: Path) -> None:
    assert _find("uv", tmp_path, None) == NotRead(f"no uv.lock in {tmp_path}; no interpreter given")


def test_without_tomllib_the_lock_is_passed_over_for_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(in_use, "toml_loads", lambda: None)
    (tmp_path / "uv.lock").write_text('[[package]]\nname = "a"\nversion = "1"\n')
    python = _venv(tmp_path / "venv", ("a-2.0.dist-info", _metadata("a", "2.0")))
    found = _find("uv", tmp_path, str(python))
    assert isinstance(found, InUse)
    assert found.versions == {"a": frozenset({"2"})}


# -- where each tool's lock file is -------------------------------------------------------------


def _lock(tool: str, project: Path, **environ: str) -> Path | None:
    lock = get_tool(tool).lock_file(project_context(project, environ, None))
    return None if lock is None else lock.path


def test_uv_reads_the_lock_at_its_workspace_root(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "root"\nversion = "0"\n[tool.uv.workspace]\nmembers = ["pkgs/*"]\n'
    )
    member = tmp_path / "pkgs" / "one"
    member.mkdir(parents=True)
    (member / "pyproject.toml").write_text('[project]\nname = "one"\nversion = "0"\n')
    assert _lock("uv", member) == tmp_path / "uv.lock"
    assert _lock("uv", tmp_path / "pkgs") == tmp_path / "uv.lock"


def test_poetry_reads_the_lock_beside_the_nearest_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.poetry]\n")
    (tmp_path / "src").mkdir()
    assert _lock("poetry", tmp_path / "src") == tmp_path / "poetry.lock"


def test_pdm_reads_pdm_lockfile_else_the_projects_lock(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    assert _lock("pdm", tmp_path) == tmp_path / "pdm.lock"
    assert _lock("pdm", tmp_path, PDM_LOCKFILE="locks/ci.lock") == tmp_path / "locks/ci.lock"


def test_pipenv_reads_the_lock_beside_its_pipfile(tmp_path: Path) -> None:
    (tmp_path / "Pipfile").write_text("")
    (tmp_path / "sub").mkdir()
    assert _lock("pipenv", tmp_path / "sub") == tmp_path / "Pipfile.lock"
    custom = {"PIPENV_PIPFILE": "envs/Pipfile.ci"}
    assert _lock("pipenv", tmp_path, **custom) == tmp_path / "envs/Pipfile.ci.lock"


def test_pip_has_no_lock(tmp_path: Path) -> None:
    assert _lock("pip", tmp_path) is None


def test_a_directory_it_may_not_look_into_is_one_line() -> None:
    with shared_directory() as shared:
        make_tree(shared / "project", {"uv.lock": ""})
        python = _venv(shared / "venv", ("a-1.0.dist-info", _metadata("a", "1.0")))
        give_to_unprivileged_user(shared / "project", shared / "venv")
        (shared / "project").chmod(0)
        (shared / "venv").chmod(0)
        code = (
            "import sys\n"
            "from pathlib import Path\n"
            "from cache_python_deps.in_use import find_in_use, project_context\n"
            "from cache_python_deps.tools import get_tool\n"
            "context = project_context(Path(sys.argv[1]), {}, None)\n"
            "print(find_in_use(get_tool('uv'), context, sys.argv[2]))\n"
        )
        completed = run_unprivileged(code, str(shared / "project"), str(python))
        (shared / "project").chmod(0o755)
        (shared / "venv").chmod(0o755)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.count("\n") == 1
    assert completed.stdout.startswith("NotRead(reason='")
    assert "Permission denied" in completed.stdout
