"""The path rules with Windows' facts, on any machine: drive, UNC and device forms, 8.3 aliases,
mixed case and separators, NTFS streams, and the places Windows keeps in a profile and on C:.

The last tests run on Windows only: the engine with this system's own facts and real path.
"""

from __future__ import annotations

import ntpath
from pathlib import Path

import pytest

from cache_python_deps.cache_path import PathFacts, path_problem, real_path
from cache_python_deps.engine import run
from cache_python_deps.errors import UnsafeCachePathError
from cache_python_deps.file_names import could_be_short_name, host_os_family
from tests import path_rules_support as support

HOME = "C:\\Users\\runneradmin"
# A GitHub-hosted Windows runner's facts.
WINDOWS = PathFacts(
    os_family="windows",
    homes=(HOME,),
    workspace="D:\\a\\repo\\repo",
    protected=("C:\\hostedtoolcache\\windows", "D:\\a\\_actions\\re-actors\\cpd\\v1"),
)


def refused(path: str, facts: PathFacts = WINDOWS) -> str:
    return support.refused(path, facts)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("C:\\", "root of a drive"),
        ("c:/", "root of a drive"),
        ("C:\\Windows\\System32", "system directory C:\\Windows"),
        ("D:\\Windows", "system directory D:\\Windows"),
        ("C:\\Program Files\\Python", "system directory C:\\Program Files"),
        ("C:\\Users", "system directory"),
        ("C:\\users\\RUNNERADMIN", "home directory"),
        ("D:\\a\\repo", "workspace"),
        ("C:\\hostedtoolcache\\windows\\Python", "tool cache"),
        ("relative\\dir", "not an absolute path"),
        ("\\Users\\runneradmin", "not an absolute path"),
        ("C:Users\\runneradmin", "not an absolute path"),
        ("C:\\Users\\runneradmin\\AppData\\Local\\pip\\Cache*", "glob syntax"),
    ],
)
def test_dangerous_windows_paths_are_refused(path: str, problem: str) -> None:
    assert problem in refused(path)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("C:/Users/runneradmin", "home directory"),
        ("c:\\USERS/RunnerAdmin\\", "home directory"),
        ("C:\\\\Users\\\\runneradmin", "home directory"),
        ("C:\\Users\\runneradmin\\..\\runneradmin", "home directory"),
        ("C:\\Users\\runneradmin\\.SSH\\id_rsa", "home directory's .ssh"),
        ("c:/windows/system32", "system directory C:\\Windows"),
        ("C:\\PROGRAM FILES (X86)\\x", "system directory C:\\Program Files (x86)"),
        ("d:\\A\\Repo\\REPO", "workspace"),
        ("c:/HostedToolCache/Windows", "tool cache"),
        # NTFS upper-cases the dotless i to I: this is runneradmin's home.
        ("C:\\Users\\runneradm\u0131n", "home directory"),
    ],
)
def test_mixed_case_and_separators_are_the_same_place(path: str, problem: str) -> None:
    assert problem in refused(path)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        (f"{HOME}\\AppData", "home directory's whole AppData"),
        (f"{HOME}\\appdata\\", "home directory's whole AppData"),
        (f"{HOME}\\AppData\\Local", "home directory's whole AppData\\Local"),
        (f"{HOME}\\APPDATA\\LOCAL", "home directory's whole AppData\\Local"),
        (f"{HOME}\\AppData\\Roaming", "home directory's whole AppData\\Roaming"),
        (f"{HOME}\\AppData\\LocalLow", "home directory's whole AppData\\LocalLow"),
        (f"{HOME}\\AppData\\Local\\Temp", "home directory's whole AppData\\Local\\Temp"),
        (f"{HOME}\\AppData\\Local\\Packages", "whole AppData\\Local\\Packages"),
        (f"{HOME}\\AppData\\Roaming\\Microsoft", "AppData\\Roaming\\Microsoft"),
        (f"{HOME}\\AppData\\Roaming\\Microsoft\\Credentials", "AppData\\Roaming\\Microsoft"),
        (f"{HOME}\\AppData\\Roaming\\Microsoft\\Protect", "AppData\\Roaming\\Microsoft"),
        (
            f"{HOME}\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup",
            "AppData\\Roaming\\Microsoft",
        ),
        (f"{HOME}\\AppData\\Local\\Microsoft\\WindowsApps", "AppData\\Local\\Microsoft"),
        (f"{HOME}\\AppData\\Roaming\\gnupg", "AppData\\Roaming\\gnupg"),
        ("C:\\ProgramData", "system directory C:\\ProgramData"),
        ("C:\\ProgramData\\pip", "system directory C:\\ProgramData"),
        ("c:\\programdata\\chocolatey\\bin", "system directory C:\\ProgramData"),
        ("C:\\ProgramData\\ssh", "system directory C:\\ProgramData"),
        ("C:\\Users\\All Users\\pip", "system directory C:\\Users\\All Users"),
        ("C:\\Users\\Default\\AppData", "system directory C:\\Users\\Default"),
        ("C:\\Users\\Public", "system directory"),
        ("C:\\Program Files (Arm)\\x", "system directory C:\\Program Files (Arm)"),
    ],
)
def test_windows_protected_places_are_refused(path: str, problem: str) -> None:
    assert problem in refused(path)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("\\\\.\\C:\\Windows\\System32", "system directory C:\\Windows"),
        ("\\\\.\\c:\\Users\\runneradmin", "home directory"),
        ("//./C:/Users/runneradmin/AppData/Local", "whole AppData\\Local"),
        ("\\\\.\\C:", "root of a drive"),
        ("\\\\.\\C:\\", "root of a drive"),
        # "?" is also glob syntax for actions/cache: refused before its form is read.
        ("\\\\?\\C:\\Users\\runneradmin", "glob syntax"),
        ("\\\\?\\UNC\\localhost\\C$\\Users\\runneradmin", "glob syntax"),
        ("\\\\localhost\\C$\\Users\\runneradmin", "network path"),
        ("\\\\127.0.0.1\\c$\\Users\\runneradmin\\AppData", "network path"),
        ("\\\\LOCALHOST\\ADMIN$\\System32", "network path"),
        ("//localhost/c$/Users/runneradmin", "network path"),
        ("\\\\runnervm\\share\\pip", "network path"),
        ("\\\\.\\UNC\\localhost\\c$\\Users\\runneradmin", "network path"),
        ("\\\\.\\PhysicalDrive0", "device path that names no drive"),
        ("\\\\.\\pipe\\x", "device path that names no drive"),
        ("\\\\.\\GLOBALROOT\\Device\\HarddiskVolume1\\Windows", "device path"),
        ("\\\\.\\Volume{0b1c2d3e-0000-0000-0000-100000000000}\\Windows", "glob syntax"),
    ],
)
def test_device_and_network_forms_are_refused(path: str, problem: str) -> None:
    assert problem in refused(path)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        # 8.3 aliases of places that exist, in paths that do not exist yet.
        ("C:\\PROGRA~1\\new", "system directory C:\\Program Files"),
        ("C:\\progra~2\\new", "system directory C:\\Program Files"),
        # Which of Program Files, Program Files (x86), ProgramData: any of them is refused.
        ("C:\\PROGRA~3\\pip", "system directory C:\\Program"),
        ("C:\\PR1A2B~1\\new", "system directory C:\\Program Files"),  # the hashed form
        ("C:\\Users\\RUNNER~1", "home directory"),
        ("C:\\Users\\RUNNER~1\\AppData\\Local", "whole AppData\\Local"),
        ("C:\\Users\\RUNNER~1\\APPDATA\\Roaming\\MICROS~1\\new", "AppData\\Roaming\\Microsoft"),
        ("D:\\a\\repo\\REPO~1", "workspace"),
    ],
)
def test_short_names_stand_for_every_long_name_they_may_be(path: str, problem: str) -> None:
    assert problem in refused(path)


@pytest.mark.parametrize(
    ("short", "long", "may_be"),
    [
        ("PROGRA~1", "Program Files", True),
        ("PROGRA~2", "Program Files (x86)", True),
        ("PROGRA~3", "ProgramData", True),
        ("RUNNER~1", "runneradmin", True),
        ("MICROS~1", "Microsoft", True),
        ("PR1A2B~1", "Program Files", True),
        ("R_SUM~1", "résumé", True),  # 8.3 cannot hold é
        ("WINDOWS", "Windows", False),  # not an alias
        ("PROGRA~1", "Windows", False),
        ("RUNNER~1", "runne", False),  # too short to have the letters
        ("ABCDEFG~1", "abcdefgh", False),  # nine characters: no alias
        ("PROGRA~0", "Program Files", False),
    ],
)
def test_which_long_names_a_short_name_may_stand_for(short: str, long: str, may_be: bool) -> None:
    assert could_be_short_name(short, long) is may_be


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        (f"{HOME}\\AppData\\Local\\pip\\Cache:hidden", "NTFS stream"),
        ("C:\\Windows::$INDEX_ALLOCATION\\x", "NTFS stream"),
        (f"{HOME}\\AppData.", "ending in a dot or a space"),
        (f"{HOME}\\AppData \\Local", "ending in a dot or a space"),
        (f"{HOME}\\...", "ending in a dot or a space"),
    ],
)
def test_names_windows_would_read_otherwise_are_refused(path: str, problem: str) -> None:
    assert problem in refused(path)


@pytest.mark.parametrize(
    "path",
    [
        f"{HOME}\\AppData\\Local\\pip\\Cache",
        f"{HOME.lower()}\\appdata\\local\\pip\\cache",  # as pip normalises it
        f"{HOME}/AppData/Local/uv/cache",
        f"{HOME}\\AppData\\Local\\Temp\\uv-cache",
        # TEMP as hosted runners set it: an alias of the home, then places below the whole ones.
        "C:\\Users\\RUNNER~1\\AppData\\Local\\Temp\\tmp1a2b3c",
        f"{HOME}\\AppData\\Roaming\\pypoetry",
        f"{HOME}\\.cache\\pip",
        "D:\\a\\repo\\repo\\.venv",
        "D:\\a\\_temp\\cache",
        "\\\\.\\D:\\a\\_temp\\cache",
        "C:\\cache\\pip",
    ],
)
def test_windows_cache_directories_pass(path: str) -> None:
    assert path_problem(path, WINDOWS) is None


RUNNER_ENVIRON = {
    "USERPROFILE": HOME,
    "LOCALAPPDATA": f"{HOME}\\AppData\\Local",
    "APPDATA": f"{HOME}\\AppData\\Roaming",
    "ProgramData": "C:\\ProgramData",
}


@pytest.mark.parametrize("environ", [RUNNER_ENVIRON, {}], ids=["runner", "profile-only"])
def test_every_tools_default_directory_on_windows_passes(environ: dict[str, str]) -> None:
    found = support.default_directories("windows", HOME, environ, "D:\\a\\repo\\repo")
    assert [(tool, path) for tool, path in found if path_problem(path, WINDOWS)] == []
    tails = ("pip/Cache", "uv/cache", "pypoetry/Cache", "pipenv/pipenv/Cache", "pdm/pdm/Cache")
    assert {ntpath.normcase(path) for _, path in found} == {
        ntpath.normcase(f"{HOME}\\AppData\\Local\\{tail}") for tail in tails
    }


@pytest.mark.skipif(host_os_family() != "windows", reason="the engine with Windows' own facts")
def test_on_windows_the_profile_spelled_otherwise_is_refused(tmp_path: Path) -> None:
    home = Path.home()
    cache = str(home).upper() + "\\APPDATA\\LOCAL"
    with pytest.raises(UnsafeCachePathError, match=r"whole AppData\\Local"):
        run(support.uv_cache_request(tmp_path / "project", cache, home))


@pytest.mark.skipif(host_os_family() != "windows", reason="Windows' own 8.3 names")
def test_on_windows_the_real_path_of_a_short_name_not_created_yet_is_long() -> None:
    if not Path("C:\\PROGRA~1").is_dir():
        pytest.skip("8.3 names are disabled on C:")
    long = real_path("C:\\Program Files")
    resolved = real_path("C:\\PROGRA~1\\cache-python-deps-never-created")
    assert long is not None and resolved is not None
    assert ntpath.normcase(resolved) == ntpath.normcase(f"{long}\\cache-python-deps-never-created")
