"""platformdirs' user and site directories, release by release, for any OS family.

poetry and pdm call the platformdirs installed beside them, pip its vendored copy, pipenv the
copy vendored in the pip it patches. Their rules changed between releases (read in platformdirs'
own source at each release; the release named is the first with the rule):

- macOS honours the ``XDG_*`` variables from 4.6.0 (before, only its Library folders); its
  config directories are ``Library/Preferences`` before 3.0.0, ``Library/Application Support``
  from 3.0.0.
- An ``XDG_*`` directory variable: before 4.6.0 any non-blank value, as it is (a relative one is
  relative to the working directory); from 4.6.0 stripped; from 4.11.8 only an absolute value
  (stripped); from 4.14.3 only an absolute value, not stripped.
- ``XDG_CONFIG_DIRS`` (the first entry, or all with ``multipath``): before 4.6.0 the value when it
  is not blank, split as it is (``~`` expanded in each entry before 4.2.0); 4.6.0 to 4.11.2 the
  non-blank entries of the stripped value (a value of separators only has none: platformdirs
  raises ``IndexError``); from 4.11.3 the stripped non-blank entries; from 4.11.8 the stripped
  absolute entries; from 4.14.3 the absolute entries as they are.
- ``~`` in the defaults: before 4.12.0 ``os.path.expanduser`` (``HOME`` as it is, even empty or
  relative; without ``HOME`` the password database; without either the ``~`` stays); from 4.12.0
  an empty ``HOME`` counts as unset and an unexpanded ``~`` is a ``RuntimeError``; from 4.14.0 a
  relative ``HOME`` counts as unset too and any result that is not absolute is an error.
- Windows: the ``WIN_PD_OVERRIDE_<folder>`` variables (``LOCAL_APPDATA``, ``APPDATA``,
  ``COMMON_APPDATA``: every known folder at once) from 4.8.0 (stripped, any non-blank value);
  from 4.11.14 only a fully qualified one. Every release normalises the folder
  (``os.path.normpath``) before joining the app's names to it.

A version of ``None`` means "unknown": the newest rules. Nothing here touches the disk.
"""

from __future__ import annotations

import ntpath
import posixpath
from pathlib import PurePath, PureWindowsPath
from typing import Final, Literal, NamedTuple

from cache_python_deps.errors import CacheDirectoryError
from cache_python_deps.tools import _common
from cache_python_deps.tools.base import CacheContext

# platformdirs' default author is the app name; ``False`` means "no author directory".
AppAuthor = str | bool | None

_MACOS_XDG: Final = (4, 6, 0)
_MACOS_CONFIG_IN_APPLICATION_SUPPORT: Final = (3, 0, 0)
_STRIPPED_XDG: Final = (4, 6, 0)
_ABSOLUTE_XDG: Final = (4, 11, 8)
_UNSTRIPPED_ABSOLUTE_XDG: Final = (4, 14, 3)
_UNEXPANDED_SITE_DIRS: Final = (4, 2, 0)
_STRIPPED_SITE_ENTRIES: Final = (4, 11, 3)
_EMPTY_HOME_IS_UNSET: Final = (4, 12, 0)
_RELATIVE_HOME_IS_UNSET: Final = (4, 14, 0)
_WINDOWS_OVERRIDES: Final = (4, 8, 0)
_QUALIFIED_WINDOWS_OVERRIDES: Final = (4, 11, 14)


def version_tuple(version: str | None) -> tuple[int, ...] | None:
    """``(4, 14, 8)`` from ``"4.14.8"`` (or ``"4.14.8.dev1"``); ``None`` when unknown."""
    numbers: list[int] = []
    for part in (version or "").split(".")[:3]:
        digits = part[: len(part) - len(part.lstrip("0123456789"))]
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers) or None


class Platformdirs(NamedTuple):
    """One platformdirs release (``None``: unknown, the newest rules) as the tool ``who`` uses it.

    ``who`` names the tool in error messages.
    """

    version: tuple[int, ...] | None
    who: str

    @classmethod
    def of(cls, version: str | None, who: str) -> Platformdirs:
        """The rules of platformdirs ``version`` (``"4.14.8"``; ``None`` for the newest)."""
        return cls(version_tuple(version), who)

    def since(self, release: tuple[int, ...]) -> bool:
        """Whether this release has the rule that ``release`` introduced."""
        return self.version is None or self.version >= release

    @property
    def label(self) -> str:
        """``platformdirs 4.14.8`` (or ``platformdirs`` when the version is unknown)."""
        if self.version is None:
            return "platformdirs"
        return "platformdirs " + ".".join(str(part) for part in self.version)


# -- ~ and XDG values (Unix and macOS) ----------------------------------------------------------


def _home(context: CacheContext, dirs: Platformdirs) -> str | None:
    """The directory this release puts for ``~`` (None: it finds none)."""
    value = _common.getenv(context, "HOME")
    if value is not None:
        if dirs.since(_RELATIVE_HOME_IS_UNSET) and not posixpath.isabs(value):
            return _common.account_home(context)
        if dirs.since(_EMPTY_HOME_IS_UNSET) and not value:
            return _common.account_home(context)
        return value
    return _common.account_home(context)


def expand_user(context: CacheContext, dirs: Platformdirs, path: str) -> str:
    """``~/...`` expanded as this release expands it.

    Without a home, releases before 4.12.0 leave the ``~`` (the tool then fails to expand it
    itself, or works in a directory named ``~``); later ones raise: a one-line error.
    """
    home = _home(context, dirs)
    if home is None and not dirs.since(_EMPTY_HOME_IS_UNSET):
        return path
    if home is None:
        raise CacheDirectoryError(
            f"{dirs.who} finds no home directory ({dirs.label}): HOME is unset or unusable and"
            " the user has no entry in the password database; set HOME"
        )
    expanded = (home.rstrip("/") + path[1:]) or "/"
    if dirs.since(_RELATIVE_HOME_IS_UNSET) and not posixpath.isabs(expanded):
        raise CacheDirectoryError(
            f"{dirs.who} finds no absolute home directory ({dirs.label}); set an absolute HOME"
        )
    return expanded


def xdg_value(context: CacheContext, dirs: Platformdirs, name: str) -> str | None:
    """An ``XDG_*`` directory variable as this release reads it (None: it uses its default)."""
    if context.os_family == "macos" and not dirs.since(_MACOS_XDG):
        return None
    raw = _common.getenv(context, name) or ""
    if dirs.since(_UNSTRIPPED_ABSOLUTE_XDG):
        return raw if posixpath.isabs(raw) else None
    if dirs.since(_ABSOLUTE_XDG):
        return raw.strip() if posixpath.isabs(raw.strip()) else None
    if dirs.since(_STRIPPED_XDG):
        return raw.strip() or None
    return raw if raw.strip() else None


def _xdg_directory_list(context: CacheContext, dirs: Platformdirs, name: str) -> list[str] | None:
    """The entries of ``XDG_CONFIG_DIRS`` / ``XDG_DATA_DIRS`` this release uses (None: default).

    An empty list is the 4.6.0 to 4.11.2 case where platformdirs finds no entry but does not fall
    back to its default.
    """
    if context.os_family == "macos" and not dirs.since(_MACOS_XDG):
        return None
    raw = _common.getenv(context, name) or ""
    if dirs.since(_UNSTRIPPED_ABSOLUTE_XDG):
        entries = [entry for entry in raw.split(":") if posixpath.isabs(entry)]
    elif dirs.since(_ABSOLUTE_XDG):
        entries = [entry.strip() for entry in raw.split(":") if posixpath.isabs(entry.strip())]
    elif dirs.since(_STRIPPED_SITE_ENTRIES):
        entries = [entry.strip() for entry in raw.split(":") if entry.strip()]
    elif dirs.since(_STRIPPED_XDG):
        if not raw.strip():
            return None
        return [entry for entry in raw.strip().split(":") if entry.strip()]
    else:
        if not raw.strip():
            return None
        entries = raw.split(":")
        if not dirs.since(_UNEXPANDED_SITE_DIRS):
            entries = [_expand_entry(context, dirs, entry) for entry in entries]
        return entries
    return entries or None


def _expand_entry(context: CacheContext, dirs: Platformdirs, entry: str) -> str:
    """``os.path.expanduser`` of one entry, as releases before 4.2.0 apply it."""
    if entry == "~" or entry.startswith("~/"):
        return expand_user(context, dirs, entry)
    return entry


# -- Windows -------------------------------------------------------------------------------------


def _windows_override(context: CacheContext, dirs: Platformdirs, name: str) -> str:
    """The ``WIN_PD_OVERRIDE_<name>`` folder this release takes (empty: none)."""
    if not dirs.since(_WINDOWS_OVERRIDES):
        return ""
    value = (_common.getenv(context, f"WIN_PD_OVERRIDE_{name}") or "").strip()
    if dirs.since(_QUALIFIED_WINDOWS_OVERRIDES) and not _common.is_absolute(context, value):
        return ""
    return value


def _windows_folder(context: CacheContext, dirs: Platformdirs, name: str) -> PurePath:
    """``get_win_folder("CSIDL_<name>")``, normalised as this release's directories start."""
    folder = _windows_override(context, dirs, name) or str(_common.windows_folder(context, name))
    return PureWindowsPath(ntpath.normpath(folder))


def _windows_app_parts(appname: str, appauthor: AppAuthor) -> list[str]:
    if appauthor is False:
        return [appname]
    author = appauthor if isinstance(appauthor, str) and appauthor else appname
    return [author, appname]


# -- the directories ----------------------------------------------------------------------------


def _posix_user_dir(
    context: CacheContext, dirs: Platformdirs, variable: str, linux: str, macos: str
) -> str:
    base = xdg_value(context, dirs, variable)
    if base is None:
        base = expand_user(context, dirs, macos if context.os_family == "macos" else linux)
    return base


def user_cache_dir(
    context: CacheContext, dirs: Platformdirs, appname: str, *, appauthor: AppAuthor = None
) -> str:
    """``user_cache_dir(appname, appauthor)``: possibly relative (to the working directory)."""
    if context.os_family == "windows":
        base = _windows_folder(context, dirs, "LOCAL_APPDATA")
        return str(base.joinpath(*_windows_app_parts(appname, appauthor), "Cache"))
    base_text = _posix_user_dir(context, dirs, "XDG_CACHE_HOME", "~/.cache", "~/Library/Caches")
    return posixpath.join(base_text, appname)


def user_dir(
    context: CacheContext,
    dirs: Platformdirs,
    kind: Literal["config", "data"],
    appname: str,
    *,
    appauthor: AppAuthor = None,
    roaming: bool = False,
) -> str:
    """``user_config_dir`` or ``user_data_dir`` (``kind``) ``(appname, appauthor, roaming=...)``.

    On Windows both are ``%APPDATA%`` (``roaming``) or ``%LOCALAPPDATA%``, then the app's names.
    """
    if context.os_family == "windows":
        base = _windows_folder(context, dirs, "APPDATA" if roaming else "LOCAL_APPDATA")
        return str(base.joinpath(*_windows_app_parts(appname, appauthor)))
    if kind == "data":
        xdg = ("XDG_DATA_HOME", "~/.local/share", "~/Library/Application Support")
    elif dirs.since(_MACOS_CONFIG_IN_APPLICATION_SUPPORT):
        xdg = ("XDG_CONFIG_HOME", "~/.config", "~/Library/Application Support")
    else:
        xdg = ("XDG_CONFIG_HOME", "~/.config", "~/Library/Preferences")
    return posixpath.join(_posix_user_dir(context, dirs, *xdg), appname)


def site_config_dirs(
    context: CacheContext,
    dirs: Platformdirs,
    appname: str,
    *,
    appauthor: AppAuthor = None,
    multipath: bool = False,
) -> list[str]:
    """``site_config_dir(appname, appauthor, multipath=...)``, split into its directories.

    Without ``multipath``, one directory. On macOS the Homebrew prefix platformdirs puts first
    (from the tool's own ``sys.prefix``) is not known here.
    """
    if context.os_family == "windows":
        base = _windows_folder(context, dirs, "COMMON_APPDATA")
        return [str(base.joinpath(*_windows_app_parts(appname, appauthor)))]
    entries = _xdg_directory_list(context, dirs, "XDG_CONFIG_DIRS")
    if entries is None:
        default = "/etc/xdg"
        if context.os_family == "macos":
            default = "/Library/Application Support"
            if not dirs.since(_MACOS_CONFIG_IN_APPLICATION_SUPPORT):
                default = "/Library/Preferences"
        entries = [default]
    if not entries:
        if multipath:
            return [""]  # platformdirs joins no directory: its caller splits "" into [""]
        raise CacheDirectoryError(
            f"{dirs.who} fails ({dirs.label} raises IndexError) for "
            f"XDG_CONFIG_DIRS={_common.getenv(context, 'XDG_CONFIG_DIRS')!r}: unset it"
        )
    chosen = entries if multipath else entries[:1]
    return [posixpath.join(entry, appname) for entry in chosen]


def site_data_dirs_macos(context: CacheContext, dirs: Platformdirs, appname: str) -> list[str]:
    """macOS ``site_data_dir(appname, multipath=True)`` (pip's global config directories).

    ``XDG_DATA_DIRS`` from 4.6.0, else ``/Library/Application Support`` (the Homebrew prefix
    platformdirs puts first is found by the caller from the interpreter's prefix).
    """
    entries = _xdg_directory_list(context, dirs, "XDG_DATA_DIRS")
    if entries is None:
        return [posixpath.join("/Library/Application Support", appname)]
    if not entries:
        return [""]
    return [posixpath.join(entry, appname) for entry in entries]
