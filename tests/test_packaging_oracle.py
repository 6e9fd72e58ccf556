"""pypa/packaging is the oracle for ABI tags and wheel platforms.

Every real interpreter on this machine is asked, with a packaging release that still runs on it,
for its own tags; every recorded interpreter's facts are fed into packaging's own functions
(sysconfig, platform and the 32-bit flag replaced by the recording's values). Our identity must
agree on the ABI tag and on the architecture of the wheel platform.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging import tags

from cache_python_deps.identity import abi_tag, architecture, derive_identity
from cache_python_deps.interpreter import InterpreterInfo, probe_interpreter
from tests.support import (
    REAL_INTERPRETERS,
    RECORDED_PROBES,
    load_recorded_probe,
    require_interpreter,
)

ORACLES = Path(__file__).resolve().parents[1] / ".oracles"
# The newest packaging release that runs on each Python (scripts/dev-setup.sh installs them).
ORACLE_FOR = {(2, 7): "20.9", (3, 6): "21.3", (3, 7): "21.3", (3, 8): "24.2", (3, 9): "24.2"}

_ASK = """
import json, sys
sys.path.insert(0, sys.argv[1])
from packaging import tags
every = list(tags.sys_tags())
platforms = sorted(set(tag.platform for tag in every) - set(["any"]))
print(json.dumps({"abi": every[0].abi, "platforms": platforms}))
"""


def _oracle_path(version: tuple[int, int]) -> Path | None:
    release = ORACLE_FOR.get(version)
    if release is None:
        return None  # the packaging this suite runs with
    path = ORACLES / f"packaging-{release}"
    if not path.is_dir():
        pytest.fail(f"{path} is missing: scripts/dev-setup.sh installs it")
    return path


def _arch_of(platform_tag: str) -> str | None:
    for prefix in ("linux_", "win_", "macosx_"):
        if platform_tag.startswith(prefix):
            rest = platform_tag.removeprefix(prefix)
            return rest.split("_", 2)[-1] if prefix == "macosx_" else rest
    return "x86" if platform_tag == "win32" else None


@pytest.mark.parametrize("name", sorted(REAL_INTERPRETERS))
def test_real_interpreters_agree_with_packaging(name: str) -> None:
    python = require_interpreter(name)
    info = probe_interpreter(str(python))
    version = (info.version_info.major, info.version_info.minor)
    oracle = _oracle_path(version)
    site = oracle or Path(tags.__file__).parents[1]
    completed = subprocess.run(
        [str(python), "-c", _ASK, str(site)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    answer = json.loads(completed.stdout)
    assert abi_tag(info) == answer["abi"].lower()
    arches = {_arch_of(tag) for tag in answer["platforms"]} - {None}
    assert arches == {architecture(info)}


@pytest.fixture
def recorded_system(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Make packaging see a recorded interpreter instead of the one running the tests."""

    def see(info: InterpreterInfo) -> None:
        config = {
            "EXT_SUFFIX": info.ext_suffix,
            "SOABI": info.soabi,
            "Py_DEBUG": int(info.py_debug),
            "Py_GIL_DISABLED": None if info.py_gil_disabled is None else int(info.py_gil_disabled),
            "WITH_PYMALLOC": None if info.with_pymalloc is None else int(info.with_pymalloc),
            "Py_UNICODE_SIZE": 4 if info.max_unicode == 0x10FFFF else 2,
        }
        monkeypatch.setattr(sysconfig, "get_config_var", config.get)
        monkeypatch.setattr(sysconfig, "get_platform", lambda: info.sysconfig_platform)
        monkeypatch.setattr(platform, "system", lambda: info.system)
        mac = (info.os_version or "", ("", "", ""), info.mac_machine or "")
        monkeypatch.setattr(platform, "mac_ver", lambda: mac)
        monkeypatch.setattr(tags, "EXTENSION_SUFFIXES", [])

    yield see


def _packaging_platform_arch(info: InterpreterInfo) -> str | None:
    is_32bit = info.pointer_bits == 32
    if info.system == "Darwin":
        arch = tags._mac_arch(info.mac_machine or info.machine, is_32bit)
        major, minor = (int(part) for part in (info.os_version or "0.0").split(".")[:2])
        return _arch_of(next(tags.mac_platforms((major, minor), arch)))
    if info.system == "Linux":
        return _arch_of(next(tags._linux_platforms(is_32bit)))
    return _arch_of(next(tags._generic_platforms()))


def _packaging_abi(info: InterpreterInfo) -> str:
    version = (info.version_info.major, info.version_info.minor)
    if info.implementation_name == "cpython":
        return next(tags._cpython_abis(version))
    return next(tags._generic_abi())


@pytest.mark.parametrize("name", RECORDED_PROBES)
def test_recorded_interpreters_agree_with_packaging(name: str, recorded_system: Any) -> None:
    info, _ = load_recorded_probe(name)
    recorded_system(info)
    identity = derive_identity(info)
    assert identity.abi_tag == _packaging_abi(info).lower()
    assert identity.architecture == _packaging_platform_arch(info)
