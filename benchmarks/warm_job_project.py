"""The project the warm-job benchmark installs: its pins, its bumps and its files for each tool.

A web service with a command line, the kind of project whose CI restores a dependency cache in
every job: 34 distributions installed on Linux (Flask, requests, pydantic, SQLAlchemy, NumPy,
rich, OmegaConf...), plus two that only the lock files name (``colorama`` and ``tzdata``, for
Windows) and the build requirements of the sdists (``setuptools``, ``wheel``).

Four distributions are built from source in every job that has no built wheel for them:

* ``pyperclip``, ``docopt`` and ``antlr4-python3-runtime`` ship only sdists at these versions
  (the registry holds no wheel of them; the index builder checks this): pure Python, so their
  built wheels are ``py3-none-any``, but every installer still builds them (each in its own
  isolated build environment with setuptools) and keeps the wheel in its cache. OmegaConf
  pins ``antlr4-python3-runtime==4.9.*``, whose releases are all sdists: every project using
  OmegaConf or Hydra builds it.
* ``markupsafe`` is forced from source with each tool's no-binary option (``--no-binary`` in
  requirements.txt, ``no-binary-package`` for uv, ``installer.no-binary`` for poetry): it stands
  for the C extensions projects build themselves (against a system library, under a no-binary
  policy, or on an interpreter for which no wheel is published yet, such as a new CPython
  release or free-threaded build). Its built wheel is ABI-tagged (``cp311-cp311-linux_x86_64``):
  exactly what this action keys on.

Each of the ten bumps (states 1 to 10) moves ``pyperclip`` (built from its sdist) and
``sqlalchemy`` (a 3 MB wheel) to their next release, and ``markupsafe`` too up to state 9: a
weekly dependabot bump of a real project. Pure data and functions here; nothing runs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

TOOLS = ("pip", "uv", "poetry")
#: The number of bumps the growth series makes (states 0 to BUMPS).
BUMPS = 10

#: Distributions whose every release used here is an sdist only.
SDIST_ONLY = ("antlr4-python3-runtime", "docopt", "pyperclip")
#: Distributions the tools are told to build from source although wheels exist.
FORCED_FROM_SOURCE = ("markupsafe",)

#: Pins that no bump moves.
FIXED_PINS: Mapping[str, str] = {
    "annotated-types": "0.7.0",
    "antlr4-python3-runtime": "4.9.3",
    "attrs": "24.2.0",
    "blinker": "1.8.2",
    "certifi": "2024.8.30",
    "charset-normalizer": "3.4.0",
    "click": "8.1.7",
    "docopt": "0.6.2",
    "flask": "3.0.3",
    "greenlet": "3.1.1",
    "idna": "3.10",
    "itsdangerous": "2.2.0",
    "jinja2": "3.1.4",
    "markdown-it-py": "3.0.0",
    "mdurl": "0.1.2",
    "numpy": "2.1.2",
    "omegaconf": "2.3.0",
    "packaging": "24.1",
    "pydantic": "2.9.2",
    "pydantic-core": "2.23.4",
    "pygments": "2.18.0",
    "python-dateutil": "2.9.0.post0",
    "pytz": "2024.2",
    "pyyaml": "6.0.2",
    "requests": "2.32.3",
    "rich": "13.9.2",
    "six": "1.16.0",
    "tabulate": "0.9.0",
    "typing-extensions": "4.12.2",
    "urllib3": "2.2.3",
    "werkzeug": "3.0.6",
}

#: Pins that the bumps move: the version in state N is the Nth (the last one once exhausted).
BUMPED_PINS: Mapping[str, tuple[str, ...]] = {
    "markupsafe": (
        "2.1.1",
        "2.1.2",
        "2.1.3",
        "2.1.4",
        "2.1.5",
        "3.0.0",
        "3.0.1",
        "3.0.2",
        "3.0.3",
        "3.0.4",
    ),
    "pyperclip": (
        "1.6.0",
        "1.6.1",
        "1.6.2",
        "1.6.3",
        "1.6.4",
        "1.6.5",
        "1.7.0",
        "1.8.0",
        "1.8.1",
        "1.8.2",
        "1.9.0",
    ),
    "sqlalchemy": tuple(f"2.0.{patch}" for patch in range(35, 46)),
}

#: Named by the lock files (universal resolution: click needs colorama on Windows, pydantic
#: tzdata there), never installed on Linux.
LOCK_ONLY_PINS: Mapping[str, str] = {"colorama": "0.4.6", "tzdata": "2024.2"}
#: What the installers put in the sdists' isolated build environments.
#: (MarkupSafe 3.0.3 and later need setuptools 77 or newer.)
BUILD_PINS: Mapping[str, str] = {"setuptools": "80.9.0", "wheel": "0.45.1"}

#: Project names in the generated project files.
PROJECT_NAME = "warm-job-bench"
PYTHON_REQUIREMENT = "==3.11.*"


@dataclass(frozen=True, order=True)
class Pin:
    """One distribution at one version."""

    name: str
    version: str

    def __str__(self) -> str:
        return f"{self.name}=={self.version}"


def normalize(name: str) -> str:
    """A project name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_pins(state: int) -> tuple[Pin, ...]:
    """Every distribution installed in dependency state ``state`` (0: before any bump)."""
    if not 0 <= state <= BUMPS:
        raise ValueError(f"dependency state {state} is not between 0 and {BUMPS}")
    pins = [Pin(name, version) for name, version in FIXED_PINS.items()]
    pins += [
        Pin(name, versions[min(state, len(versions) - 1)]) for name, versions in BUMPED_PINS.items()
    ]
    return tuple(sorted(pins))


def built_from_source(state: int) -> tuple[Pin, ...]:
    """The pins of ``state`` that every installer builds from an sdist."""
    names = {*SDIST_ONLY, *FORCED_FROM_SOURCE}
    return tuple(pin for pin in installed_pins(state) if pin.name in names)


def bumped(state: int) -> tuple[tuple[str, str, str], ...]:
    """``(name, old, new)`` for what the bump into ``state`` changed (empty for state 0)."""
    if state == 0:
        return ()
    before = {pin.name: pin.version for pin in installed_pins(state - 1)}
    return tuple(
        (pin.name, before[pin.name], pin.version)
        for pin in installed_pins(state)
        if before[pin.name] != pin.version
    )


def download_layers() -> tuple[tuple[Pin, ...], ...]:
    """Every pin the index must serve, in layers holding each name at most once.

    ``pip download`` refuses two versions of one project in one call, so each layer is one call.
    """
    layers: list[list[Pin]] = []
    for state in range(BUMPS + 1):
        pins = set(installed_pins(state))
        if state > 0:
            pins -= set(installed_pins(state - 1))
        layers.append(sorted(pins))
    layers[0] += [Pin(name, version) for name, version in {**LOCK_ONLY_PINS, **BUILD_PINS}.items()]
    return tuple(tuple(sorted(layer)) for layer in layers if layer)


def requirements_txt(state: int) -> str:
    """pip's requirements file: every pin, the forced source builds marked."""
    lines = [f"--no-binary {name}" for name in FORCED_FROM_SOURCE]
    lines += [str(pin) for pin in installed_pins(state)]
    return "\n".join(lines) + "\n"


def _toml_list(items: Sequence[str], indent: str = "  ") -> str:
    return "[\n" + "".join(f'{indent}"{item}",\n' for item in items) + "]"


def uv_pyproject(state: int, index_url: str) -> str:
    """A uv project (not a package: uv installs its dependencies only)."""
    return (
        "[project]\n"
        f'name = "{PROJECT_NAME}"\n'
        'version = "0"\n'
        f'requires-python = "{PYTHON_REQUIREMENT}"\n'
        f"dependencies = {_toml_list([str(pin) for pin in installed_pins(state)])}\n"
        "\n"
        "[tool.uv]\n"
        "package = false\n"
        f"no-binary-package = {_toml_list(FORCED_FROM_SOURCE)}\n"
        "\n"
        "[[tool.uv.index]]\n"
        'name = "bench"\n'
        f'url = "{index_url}"\n'
        "default = true\n"
    )


def poetry_pyproject(state: int, index_url: str) -> str:
    """A poetry project in non-package mode, its only source the local index."""
    return (
        "[project]\n"
        f'name = "{PROJECT_NAME}"\n'
        'version = "0"\n'
        f'requires-python = "{PYTHON_REQUIREMENT}"\n'
        f"dependencies = {_toml_list([str(pin) for pin in installed_pins(state)])}\n"
        "\n"
        "[tool.poetry]\n"
        "package-mode = false\n"
        "\n"
        "[[tool.poetry.source]]\n"
        'name = "bench"\n'
        f'url = "{index_url}"\n'
        'priority = "primary"\n'
    )


#: poetry's project configuration: the forced source build.
POETRY_TOML = f"[installer]\nno-binary = {_toml_list(FORCED_FROM_SOURCE)}\n"

#: The lock file each tool writes, and the command that writes it (after the tool's name).
LOCK_FILES: Mapping[str, str] = {"uv": "uv.lock", "poetry": "poetry.lock"}
LOCK_COMMANDS: Mapping[str, tuple[str, ...]] = {
    "uv": ("lock",),
    "poetry": ("lock", "--no-interaction"),
}


def project_files(tool: str, state: int, index_url: str) -> dict[str, str]:
    """The project's files for ``tool`` in ``state``, without the lock file (made by the tool)."""
    if tool == "pip":
        return {"requirements.txt": requirements_txt(state)}
    if tool == "uv":
        return {"pyproject.toml": uv_pyproject(state, index_url)}
    if tool == "poetry":
        return {"pyproject.toml": poetry_pyproject(state, index_url), "poetry.toml": POETRY_TOML}
    raise ValueError(f"no project for tool {tool!r} (one of {', '.join(TOOLS)})")


def dependency_hash(files: Mapping[str, str]) -> str:
    """What a workflow would pass as ``cache-key-for-dependency-files``: a hash of the files."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(hashlib.sha256(files[name].encode("utf-8")).digest())
    return digest.hexdigest()
