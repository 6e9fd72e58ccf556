"""Render an engine ``Result`` for people (explain, job summary) and machines (JSON, outputs)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from cache_python_deps.engine import Result
from cache_python_deps.github import log_text, markdown_code, markdown_table
from cache_python_deps.keys import KEY_FORMAT_VERSION
from cache_python_deps.policy import CachingDecision


def _bool(value: bool) -> str:
    return "true" if value else "false"


def report_dict(result: Result) -> dict[str, Any]:
    """Everything computed, as one JSON-ready object (``--json``)."""
    identity = result.identity
    interpreter = asdict(result.interpreter)
    return {
        "key_format_version": KEY_FORMAT_VERSION,
        "interpreter": interpreter,
        "identity": {**asdict(identity), "stability": identity.stability.value},
        "abi_tag": identity.abi_tag,
        "stability": identity.stability.value,
        "stability_reason": identity.stability_reason,
        "is_stable_abi": identity.stability.shares_across_builds,
        "tool": result.tool.name,
        "cache_kind": result.kind.value,
        "cache_directory": str(result.cache_directory),
        "cache_directory_source": result.cache_directory_source,
        "pip": asdict(result.pip) if result.pip is not None else None,
        "rules_notice": result.rules_notice,
        "dependency_hash": result.keys.components[-1].value,
        "dependency_hash_source": result.dependency_hash_source,
        "dependency_files": list(result.dependency_files),
        "primary_key": result.keys.primary,
        "restore_keys": list(result.keys.restore_keys),
        "cache_key_for_os": result.keys.for_os,
        "cache_key_for_python_interpreter": result.keys.for_python_interpreter,
        "components": [asdict(component) for component in result.keys.components],
    }


def _facts(result: Result) -> list[tuple[str, str]]:
    identity = result.identity
    return [
        ("interpreter", result.interpreter.executable),
        ("python version", str(result.interpreter.version_info)),
        ("abi tag", identity.abi_tag),
        ("stability", f"{identity.stability.value} ({identity.stability_reason})"),
        ("tool", result.tool.name),
        ("cache kind", result.kind.value),
        ("cache directory", f"{result.cache_directory} [{result.cache_directory_source}]"),
        *_pip_fact(result),
        *([("tool rules", result.rules_notice)] if result.rules_notice else []),
        ("dependency hash", result.dependency_hash_source),
    ]


def _pip_fact(result: Result) -> list[tuple[str, str]]:
    """Which pip ``python -m pip`` runs, when the tool is pip (its rules depend on it)."""
    pip = result.pip
    if pip is None:
        return []
    return [("pip", pip.reason if pip.state == "found" else f"unknown: {pip.reason}")]


def explain_text(result: Result) -> str:
    """A readable table of every key component and where it came from (``--explain``)."""
    facts = _facts(result)
    facts.extend(("  file", name) for name in result.dependency_files)
    rows = [(name, value, "") for name, value in facts]
    rows.append(("", "", ""))
    rows.extend((c.name, c.value, c.source) for c in result.keys.components)
    rows.append(("", "", ""))
    rows.append(("primary key", result.keys.primary, ""))
    rows.extend(("restore key", key, "") for key in result.keys.restore_keys)
    # Values come from the interpreter, config files and the environment: one inert line each.
    rows = [(name, log_text(value), log_text(source)) for name, value, source in rows]
    width = max(len(name) for name, _, _ in rows)
    value_width = max(len(value) for _, value, source in rows if source)
    lines = []
    for name, value, source in rows:
        if source:
            lines.append(f"{name:<{width}}  {value:<{value_width}}  {source}")
        else:
            lines.append(f"{name:<{width}}  {value}".rstrip())
    return "\n".join(lines)


def github_outputs(
    result: Result, decision: CachingDecision, *, record: str = ""
) -> dict[str, str]:
    """The action's step outputs (the original action's names first).

    ``record`` is this job's provenance record, for the step after the restore.
    """
    keys = result.keys
    return {
        "cache-directory-path": str(result.cache_directory),
        "cache-key-for-os": keys.for_os,
        "cache-key-for-python-interpreter": keys.for_python_interpreter,
        "cache-key-for-dependencies": keys.primary,
        "is-stable-abi": _bool(result.identity.stability.shares_across_builds),
        "restore-keys": "\n".join(keys.restore_keys),
        "cache-enabled": _bool(decision.enabled),
        "save-cache": _bool(decision.enabled and decision.save),
        "skip-reason": decision.reason,
        "abi-tag": result.identity.abi_tag,
        "stability": result.identity.stability.value,
        "python-version": str(result.interpreter.version_info),
        "tool": result.tool.name,
        "record": record,
    }


def skipped_outputs(decision: CachingDecision) -> dict[str, str]:
    """Outputs when no key could be computed: caching is off, the build goes on."""
    return {
        "cache-enabled": "false",
        "save-cache": "false",
        "skip-reason": decision.reason,
        "is-stable-abi": "false",
    }


def github_summary(result: Result, decision: CachingDecision) -> str:
    """The job summary: interpreter, ABI, stability, keys, directory, and any skip reason."""
    rows = _facts(result)
    rows.append(("primary key", result.keys.primary))
    rows.extend(("restore key", key) for key in result.keys.restore_keys)
    if not decision.enabled:
        status = f"Caching skipped: {markdown_code(decision.reason)}"
    elif decision.restore_only:
        status = f"Restore only: {markdown_code(decision.reason)}"
    else:
        status = "Caching enabled"
    return f"### cache-python-deps\n\n{status}\n\n{markdown_table(rows)}"


def skipped_summary(decision: CachingDecision) -> str:
    """The job summary when no key could be computed."""
    return f"### cache-python-deps\n\n{markdown_code(decision.reason)}"
