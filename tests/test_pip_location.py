"""Which pip ``python -m pip`` runs, decided from the probe's search and the job's environment.

The search itself is tested against real interpreters in tests/test_pip_layouts.py; here the
decision is pure (facts in, answer out), and the recorded layouts of interpreters this machine
cannot have (Windows, macOS framework builds) go through it as they were reported.
"""

from __future__ import annotations

import pytest

from cache_python_deps.interpreter import PipSearchEntry
from cache_python_deps.pip_location import ProcessIds, find_pip, user_site_switched_off
from tests.support import load_recorded_probe

SAME_IDS = ProcessIds(uid=1001, euid=1001, gid=1001, egid=1001)
WINDOWS_IDS = ProcessIds(None, None, None, None)

VENV = PipSearchEntry("venv", "/w/.venv/lib/python3.11/site-packages", "absent", None)
USER_PIP = PipSearchEntry("user", "/h/.local/lib/python3.11/site-packages", "found", "24.2")
LOCAL = PipSearchEntry("base", "/usr/local/lib/python3.11/dist-packages", "absent", None)
DEBIAN_PIP = PipSearchEntry("base", "/usr/lib/python3/dist-packages", "found", "23.0.1")


def test_the_first_pip_on_the_path_is_the_one_that_runs() -> None:
    found = find_pip([VENV, USER_PIP, LOCAL, DEBIAN_PIP], environ={}, ids=SAME_IDS)
    assert (found.state, found.version, found.directory) == ("found", "24.2", USER_PIP.directory)


@pytest.mark.parametrize("value", ["1", "0", "no", " "])
def test_pythonnousersite_with_any_value_skips_the_user_site(value: str) -> None:
    # CPython reads a non-empty PYTHONNOUSERSITE as "on", whatever it says (like -s).
    found = find_pip(
        [USER_PIP, LOCAL, DEBIAN_PIP], environ={"PYTHONNOUSERSITE": value}, ids=SAME_IDS
    )
    assert (found.state, found.version) == ("found", "23.0.1")


def test_an_empty_pythonnousersite_is_unset() -> None:
    found = find_pip([USER_PIP, DEBIAN_PIP], environ={"PYTHONNOUSERSITE": ""}, ids=SAME_IDS)
    assert found.version == "24.2"


@pytest.mark.parametrize(
    "ids",
    [
        ProcessIds(uid=1001, euid=0, gid=1001, egid=1001),  # setuid
        ProcessIds(uid=1001, euid=1001, gid=1001, egid=0),  # setgid
    ],
)
def test_differing_real_and_effective_ids_skip_the_user_site(ids: ProcessIds) -> None:
    assert user_site_switched_off({}, ids) is not None
    assert find_pip([USER_PIP, DEBIAN_PIP], environ={}, ids=ids).version == "23.0.1"


def test_without_process_ids_the_user_site_counts() -> None:
    assert user_site_switched_off({}, WINDOWS_IDS) is None
    assert find_pip([USER_PIP, DEBIAN_PIP], environ={}, ids=WINDOWS_IDS).version == "24.2"


def test_a_pip_only_in_a_switched_off_user_site_is_no_pip() -> None:
    found = find_pip([USER_PIP, LOCAL], environ={"PYTHONNOUSERSITE": "1"}, ids=SAME_IDS)
    assert (found.state, found.version, found.directory) == ("absent", None, None)


def test_nothing_found_anywhere_is_a_certain_no() -> None:
    assert find_pip([VENV], environ={}, ids=SAME_IDS).state == "absent"
    assert find_pip([], environ={}, ids=SAME_IDS).state == "absent"


def test_something_unreadable_before_any_pip_is_unknown_not_no() -> None:
    unreadable = PipSearchEntry("venv", "/w/.venv/lib/python3.11/site-packages", "unknown", None)
    found = find_pip([unreadable, DEBIAN_PIP], environ={}, ids=SAME_IDS)
    assert (found.state, found.version, found.directory) == ("unknown", None, unreadable.directory)


def test_something_unreadable_after_the_pip_does_not_matter() -> None:
    unreadable = PipSearchEntry("base", "/opt/elsewhere", "unknown", None)
    assert find_pip([DEBIAN_PIP, unreadable], environ={}, ids=SAME_IDS).state == "found"


def test_a_pip_without_a_readable_version_is_still_a_pip() -> None:
    nameless = PipSearchEntry("base", "/usr/lib/python3/dist-packages", "found", None)
    found = find_pip([nameless], environ={}, ids=SAME_IDS)
    assert (found.state, found.version) == ("found", None)
    assert "unknown version" in found.reason


def test_pythonpath_makes_a_missing_pip_unknown() -> None:
    # PYTHONPATH comes first on sys.path and the probe does not search it.
    found = find_pip([VENV], environ={"PYTHONPATH": "/somewhere"}, ids=SAME_IDS)
    assert found.state == "unknown" and "PYTHONPATH" in found.reason
    assert find_pip([VENV, DEBIAN_PIP], environ={"PYTHONPATH": "/x"}, ids=SAME_IDS).state == "found"


# -- recorded layouts ------------------------------------------------------------------------


def _found(
    name: str, environ: dict[str, str], ids: ProcessIds
) -> tuple[str, str | None, str | None]:
    info, _ = load_recorded_probe(name)
    found = find_pip(info.pip_search, environ=environ, ids=ids)
    return found.state, found.version, found.directory


def test_windows_pip_is_in_lib_site_packages_after_the_prefix_itself() -> None:
    prefix = "C:\\hostedtoolcache\\windows\\Python\\3.12.7\\x64"
    assert _found("cpython-3.12.7-windows-amd64", {}, WINDOWS_IDS) == (
        "found",
        "24.2",
        prefix + "\\Lib\\site-packages",
    )


def test_a_windows_venv_with_system_site_packages_finds_the_base_pip() -> None:
    found = _found("cpython-3.12.7-windows-amd64-venv-system-site", {}, WINDOWS_IDS)
    assert found == (
        "found",
        "24.2",
        "C:\\hostedtoolcache\\windows\\Python\\3.12.7\\x64\\Lib\\site-packages",
    )


def test_a_macos_framework_user_site_pip_comes_before_the_framework_pip() -> None:
    name = "cpython-3.12.7-macos-arm64-user-pip"
    user_site = "/Users/runner/Library/Python/3.12/lib/python/site-packages"
    assert _found(name, {}, SAME_IDS) == ("found", "25.0.1", user_site)
    framework = "/Library/Frameworks/Python.framework/Versions/3.12/lib/python3.12/site-packages"
    assert _found(name, {"PYTHONNOUSERSITE": "1"}, SAME_IDS) == ("found", "24.2", framework)


def test_a_graalpy_standalone_without_ensurepip_has_no_pip() -> None:
    assert _found("graalpy-25.1.0-dev-linux-x86_64", {}, SAME_IDS)[0] == "absent"
