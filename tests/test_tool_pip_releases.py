"""pip's config-file rules that changed between pip releases, against the real pip of each side
(environments of tests/tool-releases.txt, run as ``python -m pip cache dir``).

pip 25.2 pooled the files' values section by section and dropped empty ones file by file, so an
empty value in a later file no longer unset an earlier file's; pip 26.0 merges the files first
again. The CacheContext gets the release as the probe reports it (``pip_version``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools.base import CacheContext
from cache_python_deps.tools.pip import cache_location
from tests.toolsenv import release_executable, tool_releases

pytestmark = [
    pytest.mark.tools,
    pytest.mark.skipif(os.name == "nt", reason="the worlds use XDG config directories"),
]

RELEASES = [name for name in tool_releases() if name.startswith("pip-")]
GLOBAL_FILE = "xdg-config-dirs/pip/pip.conf"
USER_FILE = "xdg-config-home/pip/pip.conf"
# name -> the files of the world ({root}: its directory)
CASES: dict[str, dict[str, str]] = {
    "user-file": {USER_FILE: "[global]\ncache-dir = {root}/user\n"},
    "empty-global-value-in-a-later-file": {
        GLOBAL_FILE: "[global]\ncache-dir = {root}/global\n",
        USER_FILE: "[global]\ncache-dir =\n",
    },
    "empty-command-value-in-a-later-file": {
        GLOBAL_FILE: "[cache]\ncache-dir = {root}/global-cache-section\n",
        USER_FILE: "[cache]\ncache-dir =\n",
    },
    "empty-no-cache-dir-in-a-later-file": {
        GLOBAL_FILE: "[global]\nno-cache-dir = true\n",
        USER_FILE: "[global]\nno-cache-dir =\n",
    },
    "command-section-over-a-later-global-section": {
        GLOBAL_FILE: "[cache]\ncache-dir = {root}/cache-section\n",
        USER_FILE: "[global]\ncache-dir = {root}/global-section\n",
    },
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("release", RELEASES)
def test_matches_real_pip_of_each_release(tmp_path: Path, release: str, case: str) -> None:
    python = release_executable(release, "python")
    root = tmp_path.resolve()
    for directory in ("home", "project", "xdg-cache-home"):
        (root / directory).mkdir()
    for name, text in CASES[case].items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text.replace("{root}", str(root)))
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    environ |= {
        "HOME": str(root / "home"),
        "XDG_CONFIG_HOME": str(root / "xdg-config-home"),
        "XDG_CONFIG_DIRS": str(root / "xdg-config-dirs"),
        "XDG_CACHE_HOME": str(root / "xdg-cache-home"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    completed = subprocess.run(
        [python, "-m", "pip", "cache", "dir"],
        cwd=root / "project",
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    context = CacheContext(
        os_family="macos" if sys.platform == "darwin" else "linux",
        environ=environ,
        home=root / "home",
        interpreter_prefix=python.parent.parent,
        project_directory=root / "project",
        pip_version=release.removeprefix("pip-"),
    )
    if completed.returncode != 0:
        with pytest.raises(CacheDirectoryError) as raised:
            cache_location(context, "cache")
        assert "\n" not in str(raised.value)
        return
    printed = completed.stdout.strip().splitlines()[-1]
    assert str(cache_location(context, "cache").path) == printed
