"""How an OS's file systems compare names: when two spellings name the same file.

macOS's APFS and HFS+ (as formatted by default) and Windows' NTFS find a file whatever the case
of its name, and APFS and HFS+ whatever its Unicode normalisation: ``/users/runner`` is
``/Users/runner`` there. Windows also gives long names an 8.3 alias (``PROGRA~1``). Linux file
systems compare bytes. Every fact is a parameter that defaults to this system.
"""

from __future__ import annotations

import re
import string
import sys
import unicodedata
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from cache_python_deps.tools.base import OSFamily

# An 8.3 alias: a stem, "~" and a number (eight characters at most), maybe a short extension.
_SHORT_NAME: Final = re.compile(r"(?P<stem>[^.~]{1,6})~(?P<number>[1-9][0-9]{0,5})(\.[^.]{0,3})?")
_SHORT_NAME_LENGTH: Final = 8
# After four aliases of one stem, Windows keeps two letters and adds four hex digits of a hash.
_HASHED_STEM_LETTERS: Final = 2
_HASHED_STEM_LENGTH: Final = 6


def host_os_family() -> OSFamily:
    """The OS family this process runs on."""
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux"


def ignores_case(os_family: OSFamily | None = None) -> bool:
    """Whether the family's default file systems (APFS/HFS+, NTFS) ignore the case of names.

    A case-sensitive volume on macOS or a case-sensitive directory on Windows exists but is
    rare; callers that must not confuse two files confirm by file identity where they can.
    """
    return (host_os_family() if os_family is None else os_family) in ("macos", "windows")


def caseless(name: str) -> str:
    """``name`` in a form equal for every spelling APFS, HFS+ or NTFS takes as the same name.

    Upper-casing first catches NTFS's simple mappings that case folding lacks (U+0131, the
    dotless i, is ``I`` there); decomposing catches APFS's and HFS+'s normalisation. It errs
    towards calling two names the same: what is refused by one spelling must be refused by all.
    """
    decomposed = unicodedata.normalize("NFD", name)
    return unicodedata.normalize("NFD", decomposed.upper().casefold())


def could_be_short_name(short: str, long: str) -> bool:
    """Whether Windows may have given ``long`` the 8.3 alias ``short`` (``PROGRA~1``).

    Aliases depend on what else the directory held when the name was made, so this errs
    towards yes: ``PROGRA~1`` may be any name whose letters start with ``PROGRA``; the hashed
    form (two letters and four hex digits, ``PR1A2B~1``) any name starting with those two
    letters; ``_`` stands for any character (8.3 cannot hold it).
    """
    match = _SHORT_NAME.fullmatch(short)
    if match is None or len(match["stem"]) + 1 + len(match["number"]) > _SHORT_NAME_LENGTH:
        return False
    stem = match["stem"].upper()
    # Windows drops spaces and dots (the extension goes to the alias's own extension).
    letters = "".join(character for character in long.upper() if character not in " .")
    hashed = len(stem) == _HASHED_STEM_LENGTH and all(
        character in string.hexdigits for character in stem[_HASHED_STEM_LETTERS:]
    )
    return _stem_fits(stem, letters) or (
        hashed and _stem_fits(stem[:_HASHED_STEM_LETTERS], letters)
    )


def _stem_fits(stem: str, letters: str) -> bool:
    return len(letters) >= len(stem) and all(
        wanted in ("_", found) for wanted, found in zip(stem, letters, strict=False)
    )
