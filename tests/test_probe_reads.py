"""What the probe reads of a target's files to find its pip, attacked.

A restored virtualenv is untrusted: its ``.pth`` files, its ``pyvenv.cfg`` and its
``pip/__init__.py`` may be FIFOs, devices, links into /proc, huge, or code. The probe reads only
bounded regular files outside /proc, /sys and /dev, never runs a ``.pth`` import line, and
answers "unknown" (not "no pip") for whatever it will not read.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cache_python_deps import probe
from cache_python_deps.interpreter import probe_interpreter
from tests.support import fails_instead_of_blocking, require_interpreter


def _search(site: Path) -> list[list[object]]:
    """The probe's search of one site directory, as it runs inside the target."""
    # The probe is untyped: it runs on Python 2.7 too.
    search = probe.PipSearch()  # type: ignore[no-untyped-call]
    with fails_instead_of_blocking():
        search.site_directory("venv", str(site))  # type: ignore[no-untyped-call]
    entries: list[list[object]] = search.entries
    return entries


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site-packages"
    site.mkdir()
    return site


def _pip_init(site: Path) -> Path:
    (site / "pip").mkdir()
    return site / "pip" / "__init__.py"


def test_a_plain_pip_is_found_with_its_version(tmp_path: Path) -> None:
    site = _site(tmp_path)
    _pip_init(site).write_text('"""pip"""\n\n__version__ = "24.2"\n')
    assert _search(site) == [["venv", str(site), "found", "24.2"]]


def test_a_fifo_for_pips_init_is_not_opened(tmp_path: Path) -> None:
    site = _site(tmp_path)
    os.mkfifo(_pip_init(site))
    assert _search(site) == [["venv", str(site), "unknown", None]]


@pytest.mark.parametrize("target", ["/dev/zero", "/proc/self/environ", "/proc/self/status"])
def test_a_link_from_pips_init_into_a_pseudo_file_system_is_not_read(
    tmp_path: Path, target: str
) -> None:
    site = _site(tmp_path)
    _pip_init(site).symlink_to(target)
    read = probe.read_bounded(str(site / "pip" / "__init__.py"))  # type: ignore[no-untyped-call]
    assert read == (None, True)
    assert _search(site) == [["venv", str(site), "unknown", None]]


def test_an_oversized_pip_init_is_not_read(tmp_path: Path) -> None:
    site = _site(tmp_path)
    _pip_init(site).write_bytes(b'__version__ = "24.2"\n' + b"#" * probe.MAX_READ_BYTES)
    assert _search(site) == [["venv", str(site), "unknown", None]]


@pytest.mark.parametrize(
    "line",
    [
        '__version__ = "24.2\\x1b[31m red"',
        '__version__ = "' + "9" * 65 + '"',
        '__version__ = "24.2"; import os',
    ],
)
def test_a_version_that_is_not_one_is_not_reported(tmp_path: Path, line: str) -> None:
    site = _site(tmp_path)
    _pip_init(site).write_text(line + "\n")
    # A pip, of no version the probe will say (the parser refuses such versions outright).
    assert _search(site) == [["venv", str(site), "found", None]]


def test_a_pip_directory_without_a_readable_init_is_unknown(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (site / "pip").mkdir()  # a namespace portion, or a package installed without sources
    assert _search(site) == [["venv", str(site), "unknown", None]]


def test_pth_path_lines_are_followed_and_import_lines_never_run(tmp_path: Path) -> None:
    site = _site(tmp_path)
    elsewhere = tmp_path / "src"
    elsewhere.mkdir()
    _pip_init(elsewhere).write_text('__version__ = "26.0.dev0"\n')
    marker = tmp_path / "ran"
    (site / "a.pth").write_text(
        f"# a comment\nimport os; open({str(marker)!r}, 'w')\n\n{tmp_path / 'missing'}\n"
    )
    (site / "b.pth").write_text("../src  \n")  # relative to the site directory
    (site / ".hidden.pth").write_text(f"{tmp_path}\n")  # site.py skips names starting with a dot
    entries = _search(site)
    assert not marker.exists()
    assert entries == [
        ["venv", str(site), "absent", None],
        ["venv", str(site / "../src"), "found", "26.0.dev0"],
    ]


@pytest.mark.parametrize("kind", ["fifo", "device", "oversized", "undecodable"])
def test_a_pth_file_that_cannot_be_read_makes_the_answer_unknown(tmp_path: Path, kind: str) -> None:
    site = _site(tmp_path)
    pth = site / "x.pth"
    if kind == "fifo":
        os.mkfifo(pth)
    elif kind == "device":
        pth.symlink_to("/dev/zero")
    elif kind == "oversized":
        pth.write_bytes(b"#" * (probe.MAX_READ_BYTES + 1))
    else:
        pth.write_bytes(b"\xff\xfe/not/utf-8\n")
    assert _search(site) == [
        ["venv", str(site), "absent", None],
        ["venv", str(site), "unknown", None],
    ]


def test_too_many_pth_files_make_the_answer_unknown(tmp_path: Path) -> None:
    site = _site(tmp_path)
    for index in range(probe.MAX_PTH_FILES + 1):
        (site / f"{index:04}.pth").write_text("# nothing\n")
    assert _search(site)[-1] == ["venv", str(site), "unknown", None]


def test_pth_lines_naming_many_directories_give_a_bounded_answer(tmp_path: Path) -> None:
    site = _site(tmp_path)
    lines = []
    for index in range(3 * probe.MAX_SEARCHED_DIRECTORIES):
        directory = tmp_path / f"d{index}"
        directory.mkdir()
        lines.append(str(directory))
    (site / "many.pth").write_text("\n".join(lines) + "\n")
    entries = _search(site)
    assert len(entries) == probe.MAX_SEARCHED_DIRECTORIES + 1
    assert entries[-1][2] == "unknown"


def test_a_nul_in_a_pth_line_is_skipped(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (site / "nul.pth").write_bytes(b"/tmp\x00/x\n")
    assert _search(site) == [["venv", str(site), "absent", None]]


# -- through the real probe, in a real virtualenv ---------------------------------------------


def _venv_without_pip(tmp_path: Path) -> tuple[Path, Path]:
    base = require_interpreter("pyenv-3.12.1")
    venv = tmp_path / "venv"
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(venv)], check=True)
    return venv / "bin" / "python", venv / "lib" / "python3.12" / "site-packages"


def test_a_restored_virtualenv_with_a_fifo_for_pip_neither_hangs_nor_says_no_pip(
    tmp_path: Path,
) -> None:
    python, site = _venv_without_pip(tmp_path)
    os.mkfifo(_pip_init(site))
    info = probe_interpreter(str(python))  # the child probe has 5 s: a hang is a ProbeError
    assert [(entry.group, entry.state) for entry in info.pip_search] == [("venv", "unknown")]


def test_a_restored_virtualenvs_pth_code_is_not_run_by_the_probe(tmp_path: Path) -> None:
    python, site = _venv_without_pip(tmp_path)
    marker = tmp_path / "ran"
    (site / "evil.pth").write_text(f"import os; open({str(marker)!r}, 'w')\n")
    info = probe_interpreter(str(python))
    assert not marker.exists()
    assert [(entry.group, entry.state) for entry in info.pip_search] == [("venv", "absent")]
    # The interpreter itself runs it at start-up: the line is live, only the probe skips it.
    subprocess.run([str(python), "-c", "pass"], check=True)
    assert marker.exists()


@pytest.mark.parametrize("kind", ["oversized", "fifo", "undecodable"])
def test_a_pyvenv_cfg_that_cannot_be_read_is_not_taken_for_either_answer(
    tmp_path: Path, kind: str
) -> None:
    config = tmp_path / "pyvenv.cfg"
    if kind == "oversized":
        config.write_bytes(b"include-system-site-packages = false\n" * 2000)
    elif kind == "fifo":
        os.mkfifo(config)
    else:
        config.write_bytes(b"include-system-site-packages = \xff\n")
    with fails_instead_of_blocking():
        included = probe.includes_system_site_packages(str(config))  # type: ignore[no-untyped-call]
        assert included is None


def test_a_restored_virtualenvs_undecodable_pyvenv_cfg_makes_the_base_pip_unknown(
    tmp_path: Path,
) -> None:
    # (CPython itself refuses to start with an oversized one, and site.py would hang on a FIFO.)
    python, _ = _venv_without_pip(tmp_path)
    config = python.parent.parent / "pyvenv.cfg"
    home = next(line for line in config.read_text().splitlines() if line.startswith("home"))
    config.write_bytes(home.encode() + b"\ninclude-system-site-packages = \xff\n")
    info = probe_interpreter(str(python))
    assert [(entry.group, entry.state) for entry in info.pip_search][-1] == ("venv", "unknown")
    assert info.pip_search[-1].directory == str(config)
