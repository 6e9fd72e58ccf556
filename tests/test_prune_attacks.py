"""Hostile caches and hostile places: prune deletes inside the cache only, or refuses in one line.

Each test builds the attack for real (symlinks, hard links, read-only directories, FIFOs,
devices, a bind mount, a deep tree, hostile names) and asserts the safe outcome: whatever is
outside the cache keeps its content and mode, and a refusal or failure is one line. Tests that
need mode bits to apply run prune as an unprivileged user (``nobody`` when the tests run as
root); the bind mount needs root. The tree-level tests run both the descriptor-based deletion
(Linux, macOS) and the path-based fallback (what Windows gets).
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sysconfig
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cache_python_deps.errors import PruneFailedError, PruneRefusedError
from cache_python_deps.prune import protected_places, prune_cache
from cache_python_deps.record_file import RECORD_NAME, temporary_name
from cache_python_deps.removal import (
    MAX_DEPTH,
    ROOT,
    open_cache_tree,
    parse_mountinfo,
)
from cache_python_deps.steps.prune import main as prune_main
from cache_python_deps.tools import TOOL_NAMES, get_tool
from tests.prune_support import (
    give_to_unprivileged_user,
    is_root,
    listing,
    make_tree,
    run_unprivileged,
    shared_directory,
    snapshot,
)

PIP_CACHE = {
    "http-v2/a/b/c/d/e/response": "x" * 100,
    "wheels/aa/bb/cc/hash/built-1.0-cp312-cp312-linux_x86_64.whl": "w" * 50,
    "selfcheck/state.json": "{}",
}
HOSTILE_NAMES = ("evil\n::error::pwned", "::warning::x", "a ##[error]b", "cr\rlf", "tab\t")

# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture(params=[True, False], ids=["descriptors", "paths"])
def descriptors(request: pytest.FixtureRequest) -> bool:
    """Each tree-level test runs the descriptor-based deletion and the path-based fallback."""
    return bool(request.param)


def _prune_quietly(
    tool: str, cache: Path, *, unstable_abi: bool = False, descriptors: bool = True
) -> tuple[str | None, tuple[str, ...]]:
    """(one-line error or None, removed entries) of a prune."""
    try:
        report = prune_cache(tool, cache, unstable_abi=unstable_abi, descriptors=descriptors)
    except (PruneRefusedError, PruneFailedError) as error:
        assert "\n" not in str(error) and "\r" not in str(error)
        return str(error), ()
    return None, report.removed_entries


_PRUNE_SCRIPT = """
import json, sys
from pathlib import Path
from cache_python_deps.errors import CachePythonDepsError
from cache_python_deps.prune import prune_cache
tool, directory, descriptors = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "descriptors"
try:
    report = prune_cache(tool, directory, unstable_abi=False, descriptors=descriptors)
except CachePythonDepsError as error:
    print(json.dumps({"error": str(error)}))
else:
    print(json.dumps({"removed": list(report.removed_entries)}))
"""


def _prune_unprivileged(tool: str, cache: Path, *, descriptors: bool) -> dict[str, object]:
    mode = "descriptors" if descriptors else "paths"
    completed = run_unprivileged(_PRUNE_SCRIPT, tool, str(cache), mode)
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    result: dict[str, object] = json.loads(completed.stdout)
    return result


@pytest.fixture
def bind_mount(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a pip cache with a bind mount inside it, the mounted outside directory)."""
    if not is_root():
        pytest.skip("mount --bind needs root")
    outside = make_tree(tmp_path / "outside", {"precious.txt": "keep", "sub/deep.txt": "keep"})
    cache = make_tree(tmp_path / "cache", {**PIP_CACHE, "http-v2/mnt/": ""})
    target = cache / "http-v2" / "mnt"
    mounted = subprocess.run(
        ["mount", "--bind", str(outside), str(target)], capture_output=True, text=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"mount --bind is not allowed here: {mounted.stderr.strip()}")
    try:
        yield cache, outside
    finally:
        subprocess.run(["umount", str(target)], check=True)


# -- links -----------------------------------------------------------------------------------


def test_symlinks_are_unlinked_never_followed(tmp_path: Path, descriptors: bool) -> None:
    outside = make_tree(tmp_path / "outside", {"precious.txt": "keep", "sub/deep.txt": "keep"})
    before = snapshot(outside)
    cache = make_tree(tmp_path / "cache", {"wheels/aa/real.whl": "w", "selfcheck/s": ""})
    (cache / "http-v2").symlink_to(outside, target_is_directory=True)
    (cache / "wheels" / "aa" / "escape").symlink_to(outside, target_is_directory=True)
    (cache / "wheels" / "file-link").symlink_to(outside / "precious.txt")
    error, removed = _prune_quietly("pip", cache, unstable_abi=True, descriptors=descriptors)
    assert error is None
    assert set(removed) == {"http-v2", "wheels"}
    assert snapshot(outside) == before
    assert listing(cache) == {"selfcheck", "selfcheck/s"}


def test_read_only_directory_with_links_to_outside_files(descriptors: bool) -> None:
    """Emptying a read-only directory never changes the mode of a file a link leads to."""
    with shared_directory() as shared:
        outside = make_tree(shared / "outside", {"linked.txt": "symlinked", "hard.txt": "hard"})
        (outside / "linked.txt").chmod(0o600)
        (outside / "hard.txt").chmod(0o444)
        cache = make_tree(shared / "cache", {**PIP_CACHE, "http-v2/ro/plain": "p"})
        read_only = cache / "http-v2" / "ro"
        (read_only / "symlink").symlink_to(outside / "linked.txt")
        os.link(outside / "hard.txt", read_only / "hardlink")
        give_to_unprivileged_user(outside, cache)
        read_only.chmod(0o555)
        before = snapshot(outside)

        result = _prune_unprivileged("pip", cache, descriptors=descriptors)

        assert snapshot(outside) == before
        if descriptors:
            assert result == {"removed": ["http-v2"]}
            assert not (cache / "http-v2").exists()
        else:  # the fallback never chmods: it stops, in one line, with nothing changed outside
            assert "Permission denied" in str(result["error"])


def test_a_read_only_directory_that_is_kept_keeps_its_mode() -> None:
    with shared_directory() as shared:
        cache = make_tree(shared / "cache", PIP_CACHE)
        give_to_unprivileged_user(cache)
        cache.chmod(0o555)  # the cache root is kept: removing http-v2 from it is refused
        result = _prune_unprivileged("pip", cache, descriptors=True)
        assert "Permission denied" in str(result["error"])
        assert stat.S_IMODE(cache.stat().st_mode) == 0o555
        # Its contents were going anyway; the directory itself stays, in the unchanged root.
        assert (cache / "http-v2").is_dir()
        assert (cache / "wheels").is_dir()


# -- mounts ----------------------------------------------------------------------------------


def test_a_bind_mount_inside_the_cache_is_refused(bind_mount: tuple[Path, Path]) -> None:
    cache, outside = bind_mount
    before = snapshot(outside)
    with pytest.raises(PruneRefusedError, match="mounted inside it") as caught:
        prune_cache("pip", cache, unstable_abi=True)
    assert "\n" not in str(caught.value)
    assert snapshot(outside) == before
    assert (cache / "wheels").is_dir(), "nothing was removed before the refusal"


def test_the_tree_never_enters_a_bind_mount(
    bind_mount: tuple[Path, Path], descriptors: bool
) -> None:
    """The walk's own guard, for a mount that appears after the check above."""
    cache, outside = bind_mount
    before = snapshot(outside)
    with open_cache_tree(cache, descriptors=descriptors) as tree:
        with pytest.raises(PruneFailedError, match="another file system or mount"):
            tree.remove(ROOT / "http-v2")
        with pytest.raises(PruneFailedError, match="another file system or mount"):
            tree.entries(ROOT / "http-v2" / "mnt")
    assert snapshot(outside) == before


def test_mountinfo_mount_points_are_unescaped() -> None:
    text = (
        "24 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
        "45 27 254:0 /tmp/a /tmp/cache\\040dir/mnt rw,relatime - ext4 /dev/vda rw\n"
    )
    assert parse_mountinfo(text) == ["/", "/tmp/cache dir/mnt"]


# -- odd entries -----------------------------------------------------------------------------


def test_fifos_and_devices_are_removed_never_opened(tmp_path: Path, descriptors: bool) -> None:
    cache = make_tree(tmp_path / "cache", PIP_CACHE)
    os.mkfifo(cache / "http-v2" / "fifo")  # opening it to read would block: no writer
    os.mkfifo(cache / "http")  # a download directory's name, as a FIFO
    if is_root():
        os.mknod(cache / "http-v2" / "device", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    outcome: list[tuple[str | None, tuple[str, ...]]] = []
    worker = threading.Thread(
        target=lambda: outcome.append(_prune_quietly("pip", cache, descriptors=descriptors)),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "prune blocked: it opened a FIFO"
    assert outcome == [(None, ("http-v2", "http"))]
    assert listing(cache) == listing(make_tree(tmp_path / "expected", PIP_CACHE)) - {
        "http-v2",
        "http-v2/a",
        "http-v2/a/b",
        "http-v2/a/b/c",
        "http-v2/a/b/c/d",
        "http-v2/a/b/c/d/e",
        "http-v2/a/b/c/d/e/response",
    }


def test_small_files_are_read_only_when_regular(tmp_path: Path, descriptors: bool) -> None:
    cache = make_tree(tmp_path / "cache", {"link-file": "archive-v0/ABC", "big": "x" * 100})
    os.mkfifo(cache / "fifo")
    (cache / "symlink").symlink_to(cache / "link-file")
    with open_cache_tree(cache, descriptors=descriptors) as tree:
        assert tree.read_small_file(ROOT / "link-file", 50) == b"archive-v0/ABC"
        assert tree.read_small_file(ROOT / "big", 50) is None
        assert tree.read_small_file(ROOT / "fifo", 50) is None
        assert tree.read_small_file(ROOT / "symlink", 50) is None
        assert tree.read_small_file(ROOT / "missing", 50) is None
        assert tree.read_link(ROOT / "symlink") == str(cache / "link-file")
        assert tree.read_link(ROOT / "link-file") is None


def test_a_tree_nested_too_deep_stops_in_one_line(tmp_path: Path, descriptors: bool) -> None:
    cache = make_tree(tmp_path / "cache", PIP_CACHE)
    deep = cache / "http-v2"
    for _ in range(MAX_DEPTH + 10):
        deep = deep / "d"
    deep.mkdir(parents=True)
    error, _ = _prune_quietly("pip", cache, descriptors=descriptors)
    assert error is not None
    assert f"nested deeper than {MAX_DEPTH} levels" in error


# -- places that are not the tool's cache ----------------------------------------------------


def test_link_dot_dot_is_resolved_before_the_dot_dot(tmp_path: Path) -> None:
    """``link/..`` is the parent of the link's target, as the OS sees it, never ``.``."""
    lexical = make_tree(tmp_path / "lexical", PIP_CACHE)
    real = make_tree(tmp_path / "elsewhere" / "cache", PIP_CACHE)
    (lexical / "link").symlink_to(real / "wheels", target_is_directory=True)
    report = prune_cache("pip", lexical / "link" / "..", unstable_abi=False)
    assert report.directory == real.resolve()
    assert not (real / "http-v2").exists()
    assert (lexical / "http-v2").is_dir(), "the lexical parent was pruned"


def test_a_checkout_without_pyproject_is_refused(tmp_path: Path) -> None:
    checkout = make_tree(
        tmp_path / "checkout",
        {".git/HEAD": "ref", "README.md": "#", "src/x.py": "", "wheels/a.whl": "", "http/x": ""},
    )
    before = snapshot(checkout)
    for tool in TOOL_NAMES:
        with pytest.raises(PruneRefusedError, match="does not look like"):
            prune_cache(tool, checkout, unstable_abi=True)
    assert snapshot(checkout) == before


def test_var_is_not_poetrys_cache() -> None:
    var = Path("/var")
    names = sorted(entry.name for entry in var.iterdir())
    assert "cache" in names
    assert not get_tool("poetry").layout.is_own_cache(names), "poetry would take /var for its cache"
    with pytest.raises(PruneRefusedError, match="system directory") as caught:
        prune_cache("poetry", var, unstable_abi=True)
    assert "\n" not in str(caught.value)
    assert sorted(entry.name for entry in var.iterdir()) == names


@pytest.mark.parametrize("directory", ["/", "/usr", "/etc", "/tmp", "/opt", "/usr/lib"])
def test_system_directories_are_refused(directory: str) -> None:
    with pytest.raises(PruneRefusedError, match=r"root|system directory"):
        prune_cache("pip", Path(directory), unstable_abi=True)


def test_root_is_refused_when_home_points_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "elsewhere"))
    monkeypatch.delenv("USERPROFILE", raising=False)
    root_home = Path(os.path.expanduser("~root"))  # noqa: PTH111 - the password database's
    assert all(str(root_home) in facts.homes for facts in protected_places())
    with pytest.raises(PruneRefusedError, match=r"home directory|system directory"):
        prune_cache("pip", root_home, unstable_abi=True)


def test_every_users_home_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A home from the password database, even one that looks like a pip cache."""
    monkeypatch.setenv("HOME", str(tmp_path / "mine"))
    other_home = make_tree(tmp_path / "users" / "other", PIP_CACHE)
    places = protected_places(password_homes=[str(other_home)])
    for directory in (other_home, other_home.parent):
        with pytest.raises(PruneRefusedError, match="home directory"):
            prune_cache("pip", directory, unstable_abi=True, places=places)
    assert (other_home / "http-v2").is_dir()
    # Without that entry in the password database, the same directory is pruned.
    prune_cache("pip", other_home, unstable_abi=True, places=protected_places(password_homes=[]))
    assert not (other_home / "http-v2").exists()


@pytest.mark.parametrize("variable", ["GITHUB_WORKSPACE", "cwd"])
def test_the_workspace_and_its_ancestors_are_refused(
    variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = make_tree(tmp_path / "work" / "repo", PIP_CACHE)
    if variable == "cwd":
        monkeypatch.chdir(workspace)
    else:
        monkeypatch.setenv(variable, str(workspace))
    for directory in (workspace, workspace.parent):
        with pytest.raises(PruneRefusedError, match="workspace"):
            prune_cache("pip", directory, unstable_abi=True)
    assert (workspace / "http-v2").is_dir()


# -- what the tool's cache is ----------------------------------------------------------------

OWN_NAMES = {
    "pip": ["http-v2", "http", "wheels", "selfcheck", "selfcheck.json"],
    "pipenv": ["http-v2", "wheels", "selfcheck", "pipenv-manifests", "pkgs"],
    "uv": ["CACHEDIR.TAG", ".gitignore", ".lock", ".tmpAbC123", "wheels-v5", "sdists-v9"],
    "poetry": ["cache", "artifacts", "virtualenvs", "src"],
    "pdm": ["http", "wheels", "packages", "hashes", "metadata", "self-check", "use_cache.json"],
}


@pytest.mark.parametrize("tool", TOOL_NAMES)
def test_only_the_tools_own_entries_make_its_cache(tool: str) -> None:
    own = OWN_NAMES[tool]
    checker = get_tool(tool).layout
    assert checker.is_own_cache(own)
    assert checker.is_own_cache([*own, RECORD_NAME])
    # What an interrupted write of the record leaves (see provenance.write_record).
    assert checker.is_own_cache([*own, temporary_name(4242)])
    for stranger in (
        "pyproject.toml",
        "README.md",
        ".git",
        "lib",
        "notes",
        f"{RECORD_NAME}.x.tmp",
        f"{RECORD_NAME}.4242",
    ):
        assert not checker.is_own_cache([*own, stranger]), stranger
    others = {name for other in TOOL_NAMES if other != tool for name in OWN_NAMES[other]}
    assert not checker.is_own_cache(sorted(others - set(own) - {"http"}))


@pytest.mark.parametrize("tool", TOOL_NAMES)
def test_the_provenance_record_is_kept(tool: str, tmp_path: Path) -> None:
    cache = make_tree(tmp_path / "cache", {f"{OWN_NAMES[tool][0]}/x": "x"})
    (cache / RECORD_NAME).write_text("{}")
    prune_cache(tool, cache, unstable_abi=True)
    assert (cache / RECORD_NAME).read_text() == "{}"


# -- unreadable caches and one-line errors ---------------------------------------------------

_PRUNE_MAIN = """
from cache_python_deps import provenance
from cache_python_deps.steps.prune import main as prune_main
raise SystemExit(prune_main())
"""
_CLI = """
from cache_python_deps.cli import main
main(prog_name="cache-python-deps")
"""


@pytest.mark.parametrize("unreadable", [".", "http-v2/a"])
def test_an_unreadable_cache_is_one_line(unreadable: str) -> None:
    with shared_directory() as shared:
        cache = make_tree(shared / "cache", PIP_CACHE)
        give_to_unprivileged_user(cache)
        (cache / unreadable).chmod(0)
        environ = {"CPD_CACHE_DIRECTORY_PATH": str(cache), "CPD_TOOL": "pip"}
        action = run_unprivileged(_PRUNE_MAIN, environ=environ)
        failing = run_unprivileged(_PRUNE_MAIN, environ={**environ, "CPD_FAIL_ON_ERROR": "true"})
        purelib = sysconfig.get_paths()["purelib"]  # click, for the command line
        cli = run_unprivileged(
            _CLI, "--tool", "pip", "prune", "--directory", str(cache), "--stable-abi",
            extra_path=(purelib,),
        )  # fmt: skip
        (cache / unreadable).chmod(0o755)
    assert (action.returncode, failing.returncode, cli.returncode) == (0, 1, 1), cli.stderr
    for completed in (action, failing):
        assert completed.stderr == ""
        assert completed.stdout.count("\n") == 1
        assert "Permission denied" in completed.stdout
    assert action.stdout.startswith("::warning title=prune::cache not pruned: cannot prune")
    assert failing.stdout.startswith("::error title=prune::cache not pruned: cannot prune")
    assert cli.stdout == ""
    assert cli.stderr.count("\n") == 1
    assert cli.stderr.startswith("cache-python-deps: error: cannot prune")


def test_hostile_entry_names_are_inert_in_the_log(tmp_path: Path) -> None:
    files = {"CACHEDIR.TAG": "", "wheels-v5/": ""}
    files |= {f"environments-v2/{name}/pyvenv.cfg": "" for name in HOSTILE_NAMES}
    cache = make_tree(tmp_path / "cache", files)
    stdout = io.StringIO()
    assert prune_main({"CPD_CACHE_DIRECTORY_PATH": str(cache), "CPD_TOOL": "uv"}, stdout) == 0
    lines = stdout.getvalue().splitlines()
    # splitlines() also breaks at \r: the runner does too.
    assert lines[0].startswith("::group::pruned uv cache")
    token = lines[1].removeprefix("::stop-commands::")
    end = lines.index("::endgroup::")
    assert lines[end - 1] == f"::{token}::"
    # After the group, one line on superseded wheels (there are none here).
    assert lines[end + 1 :] == [lines[-1]]
    assert lines[-1].startswith(("kept every built wheel", "no built wheel"))
    body = lines[2 : end - 1]
    assert len(body) == len(HOSTILE_NAMES)
    assert not any(line.lstrip().startswith("::") or "##[" in line for line in body)
    assert "environments-v2/evil\\n::error::pwned" in body


def test_a_refusal_naming_hostile_entries_is_one_annotation(tmp_path: Path) -> None:
    cache = make_tree(tmp_path / "cache", {"http-v2/x": "", "evil\n::error::pwned": ""})
    stdout = io.StringIO()
    assert prune_main({"CPD_CACHE_DIRECTORY_PATH": str(cache), "CPD_TOOL": "pip"}, stdout) == 0
    output = stdout.getvalue()
    assert output.count("\n") == 1
    assert output.startswith("::warning title=prune::cache not pruned: refusing")
    assert (cache / "http-v2" / "x").exists()
