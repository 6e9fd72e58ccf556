"""The assertions of selftest.yml's runners jobs (Windows and macOS), run there with setup-python.

Usage:
  check_selftest_outputs.py                    the action step: OUTCOME, OUTPUTS (toJSON of its
                                               outputs), EXPECT_HIT and SELFTEST_CACHE_NAME
  check_selftest_outputs.py --output FILE NAME print output NAME from a GITHUB_OUTPUT file
  check_selftest_outputs.py --files DIR        the files of the keys and record steps run by
                                               hand: {keys,record}-{log,output,summary}

Everything it prints is ASCII (``ascii()`` of any value), so that its own stdout encoding, the
ANSI code page on Windows, cannot fail it. Exits 1 after an ``::error::`` line per failed check.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

_OUTPUT = re.compile(r"^([A-Za-z0-9_-]+)<<(\S+)\r?\n(.*?)\r?\n\2\r?$", re.DOTALL | re.MULTILINE)


class Checks:
    def __init__(self) -> None:
        self.failed = 0

    def expect(self, what: str, ok: bool, detail: object = "") -> None:
        shown = f": {detail!a}" if detail != "" else ""
        if ok:
            print(f"ok: {what}{shown}")
        else:
            print(f"::error::not true: {what}{shown}")
            self.failed += 1


def parse_outputs(data: bytes) -> dict[str, str]:
    """A GITHUB_OUTPUT file's values (heredoc form, as the action writes them), read as UTF-8."""
    return {name: value for name, _, value in _OUTPUT.findall(data.decode("utf-8"))}


def check_action_outputs(checks: Checks, outputs: Mapping[str, str], *, hit: bool) -> None:
    """The outputs of a run of the action that cached pip's directory under SELFTEST_CACHE_NAME."""
    name = os.environ["SELFTEST_CACHE_NAME"]
    primary = outputs.get("cache-key-for-dependencies", "")
    directory = outputs.get("cache-directory-path", "")
    checks.expect("cache-enabled is true", outputs.get("cache-enabled") == "true")
    checks.expect("skip-reason is empty", outputs.get("skip-reason", "") == "")
    checks.expect("tool is pip", outputs.get("tool") == "pip")
    checks.expect("is-stable-abi is true", outputs.get("is-stable-abi") == "true")
    checks.expect("abi-tag is cp3*", bool(re.fullmatch(r"cp3\d+", outputs.get("abi-tag", ""))))
    checks.expect("the key starts with cpd-2-", primary.startswith("cpd-2-"), primary)
    checks.expect(
        "the restore key is the key's prefix",
        bool(outputs.get("restore-keys")) and primary.startswith(outputs.get("restore-keys", "?")),
    )
    checks.expect(
        "the OS part starts the interpreter part",
        outputs.get("cache-key-for-python-interpreter", "").startswith(
            outputs.get("cache-key-for-os", "?")
        ),
    )
    checks.expect(f"the directory's name is {name!a}", directory.endswith(name), directory)
    checks.expect(f"cache-hit is {str(hit).lower()}", outputs.get("cache-hit") == str(hit).lower())
    if hit:
        checks.expect("cache-matched-key is the key", outputs.get("cache-matched-key") == primary)
        checks.expect(
            "the directory was restored",
            Path(directory).is_dir() and any(Path(directory).iterdir()),
        )


def check_step_files(checks: Checks, directory: Path) -> None:
    """The keys and record steps' log, outputs and summary: UTF-8, the name whole, no damage."""
    name = os.environ["SELFTEST_CACHE_NAME"]
    # What the name looks like when its UTF-8 bytes are read in the ANSI code page.
    mojibake = name.encode("utf-8").decode("cp1252", "replace")
    texts = {}
    for step in ("keys", "record"):
        for kind in ("log", "output", "summary"):
            path = directory / f"{step}-{kind}"
            data = path.read_bytes()
            try:
                texts[path.name] = data.decode("utf-8")
            except UnicodeDecodeError as error:
                checks.expect(f"{path.name} is UTF-8", False, str(error))
                continue
            text = texts[path.name]
            checks.expect(
                f"{path.name} has no UnicodeEncodeError", "UnicodeEncodeError" not in text
            )
            checks.expect(f"{path.name} has no mojibake", mojibake not in text)
            checks.expect(f"{path.name} has no warning", "::warning" not in text)
            if kind == "summary":
                checks.expect(f"{path.name} has \\n line ends only", "\r" not in text)
    checks.expect(f"the keys log shows {name!a}", name in texts.get("keys-log", ""))
    # The record step writes the job summary's section (only then is the status known).
    checks.expect("the keys summary is empty", texts.get("keys-summary", "") == "")
    checks.expect(f"the record summary shows {name!a}", name in texts.get("record-summary", ""))
    keys = parse_outputs((directory / "keys-output").read_bytes())
    record = parse_outputs((directory / "record-output").read_bytes())
    checks.expect("keys: cache-enabled is true", keys.get("cache-enabled") == "true")
    checks.expect(
        f"keys: the directory's name is {name!a}",
        keys.get("cache-directory-path", "").endswith(name),
    )
    checks.expect("record: cache-hit is true", record.get("cache-hit") == "true")


def main(arguments: list[str]) -> int:
    if arguments[:1] == ["--output"] and len(arguments) == 3:
        value = parse_outputs(Path(arguments[1]).read_bytes()).get(arguments[2], "")
        sys.stdout.buffer.write(value.encode("utf-8"))
        return 0
    checks = Checks()
    if arguments[:1] == ["--files"] and len(arguments) == 2:
        check_step_files(checks, Path(arguments[1]))
    elif not arguments:
        outcome = os.environ.get("OUTCOME", "")
        checks.expect("every step of the action exited 0", outcome == "success", outcome)
        outputs = json.loads(os.environ.get("OUTPUTS") or "{}")
        check_action_outputs(checks, outputs, hit=os.environ.get("EXPECT_HIT") == "true")
    else:
        print(__doc__)
        return 2
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
