"""Probing: real success, and every way a target can fail, each a one-line ProbeError."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from cache_python_deps.errors import ProbeError
from cache_python_deps.interpreter import (
    InterpreterInfo,
    PipSearchEntry,
    parse_probe_output,
    probe_interpreter,
    resolve_interpreter,
)
from tests.support import FIXTURES


def fake_interpreter(tmp_path: Path, script: str) -> Path:
    """An executable shell script standing in for a broken interpreter."""
    path = tmp_path / "python"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_probing_the_running_interpreter_reports_its_facts() -> None:
    info = probe_interpreter(sys.executable)
    assert info.version_info.major == sys.version_info.major
    assert info.version_info.minor == sys.version_info.minor
    assert info.sys_version == sys.version
    assert info.implementation_name == sys.implementation.name
    assert info.pointer_bits == 64
    assert info.prefix == sys.prefix


def test_probe_ignores_noise_printed_around_the_framed_result(tmp_path: Path) -> None:
    script = tmp_path / "sitecustomize.py"
    script.write_text("print('noise from sitecustomize {\"probe_format\": 9}')\n")
    # Even if a startup hook prints, the framed JSON is found.
    noisy = fake_interpreter(
        tmp_path, f'echo "banner"; exec "{sys.executable}" "$@"; echo trailing'
    )
    assert probe_interpreter(str(noisy)).version_info.major == 3


def assert_one_line(error: pytest.ExceptionInfo[ProbeError]) -> None:
    message = str(error.value)
    assert message and "\n" not in message and "Traceback" not in message


def test_missing_interpreter(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="does not exist") as error:
        probe_interpreter(str(tmp_path / "nope" / "python"))
    assert_one_line(error)


def test_command_not_on_path() -> None:
    with pytest.raises(ProbeError, match="not found on PATH") as error:
        probe_interpreter("python-that-does-not-exist-9.9")
    assert_one_line(error)


def test_directory_is_not_an_interpreter(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="is a directory") as error:
        probe_interpreter(str(tmp_path) + os.sep)
    assert_one_line(error)


def test_interpreter_that_exits_non_zero(tmp_path: Path) -> None:
    broken = fake_interpreter(tmp_path, 'echo "Fatal Python error: init failed" >&2; exit 3')
    with pytest.raises(ProbeError, match=r"exit code 3: Fatal Python error") as error:
        probe_interpreter(str(broken))
    assert_one_line(error)


def test_interpreter_that_hangs_is_bounded(tmp_path: Path) -> None:
    hanging = fake_interpreter(tmp_path, "exec sleep 30")
    with pytest.raises(ProbeError, match=r"timed out after 0\.5 s") as error:
        probe_interpreter(str(hanging), timeout=0.5)
    assert_one_line(error)


def test_file_that_is_not_an_interpreter(tmp_path: Path) -> None:
    text_file = tmp_path / "requirements.txt"
    text_file.write_text("click\n")
    with pytest.raises(ProbeError, match="could not be run") as error:
        probe_interpreter(str(text_file))
    assert_one_line(error)


def test_non_executable_binary_data(tmp_path: Path) -> None:
    blob = tmp_path / "blob"
    blob.write_bytes(b"\x7fELF\x00garbage")
    blob.chmod(0o755)
    with pytest.raises(ProbeError) as error:
        probe_interpreter(str(blob))
    assert_one_line(error)


def test_interpreter_that_prints_nothing(tmp_path: Path) -> None:
    silent = fake_interpreter(tmp_path, "exit 0")
    with pytest.raises(ProbeError, match="gave no probe result") as error:
        probe_interpreter(str(silent))
    assert_one_line(error)


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ("not json", "invalid probe result"),
        ("[1, 2]", "not a JSON object"),
        ('{"probe_format": 3}', "implementation_name"),
        ('{"probe_format": 2}', "unknown probe format"),
        ('{"probe_format": 4}', "unknown probe format"),
    ],
)
def test_garbage_between_the_markers(payload: str, complaint: str) -> None:
    with pytest.raises(ProbeError, match=complaint) as error:
        parse_probe_output(f"M{payload}M".encode(), "M", "fake")
    assert_one_line(error)


def test_wrong_field_types_are_refused() -> None:
    data = {
        "probe_format": 3,
        "implementation_name": "cpython",
        "implementation_version": [3, 12, 0, "final", 0],
        "version_info": [3, 12, "zero", "final", 0],
    }
    with pytest.raises(ValueError, match="version_info"):
        InterpreterInfo.from_probe(data)


def test_resolve_interpreter_finds_commands_on_path() -> None:
    assert resolve_interpreter("sh").is_file()


def _recorded_with_pip_search(pip_search: object) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        (FIXTURES / "cpython-3.12.7-windows-amd64.json").read_text()
    )
    del data["_expected"]
    data["pip_search"] = pip_search
    return data


def test_the_pip_search_is_parsed_entry_by_entry() -> None:
    entries = [["venv", "/v/site-packages", "absent", None], ["base", "/b", "found", "24.2"]]
    info = InterpreterInfo.from_probe(_recorded_with_pip_search(entries))
    assert info.pip_search == (
        PipSearchEntry("venv", "/v/site-packages", "absent", None),
        PipSearchEntry("base", "/b", "found", "24.2"),
    )


@pytest.mark.parametrize(
    "pip_search",
    [
        None,  # missing
        "found",
        [["base", "/b", "found"]],  # three fields
        [["system", "/b", "absent", None]],  # no such group
        [["base", "", "absent", None]],  # no directory
        [["base", "/" + "x" * 5000, "absent", None]],  # longer than any path
        [["base", "/b", "maybe", None]],  # no such state
        [["base", "/b", "absent", "24.2"]],  # a version without a pip
        [["base", "/b", "found", "24.2\x1b[31m"]],  # not a version
        [["base", "/b", "found", "9" * 65]],  # longer than a version
        [["base", "/b", "found", 24]],
        [["base", "/b", "absent", None]] * 65,  # more than the probe ever reports
    ],
)
def test_a_malformed_pip_search_is_refused(pip_search: object) -> None:
    with pytest.raises(ValueError, match="pip_search"):
        InterpreterInfo.from_probe(_recorded_with_pip_search(pip_search))
