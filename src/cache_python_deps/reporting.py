"""Render an engine ``Result`` for people (explain, job summary) and machines (JSON, outputs)."""

from __future__ import annotations

from typing import Any

from cache_python_deps.engine import Result
from cache_python_deps.github import Untrusted, log_text
from cache_python_deps.keys import KEY_FORMAT_VERSION, CacheKind
from cache_python_deps.policy import CachingDecision
from cache_python_deps.sources import FrontEnd, Source
from cache_python_deps.summary import (
    Cached,
    Fact,
    JobFacts,
    Status,
    heading,
    job_blocks,
    section,
    status_line,
)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def json_ready(value: object) -> Any:
    """A value type (a NamedTuple) as JSON-ready data: its fields by name, all the way down."""
    as_dict = getattr(value, "_asdict", None)
    if callable(as_dict):
        return {name: json_ready(field) for name, field in as_dict().items()}
    if isinstance(value, tuple | list):
        return [json_ready(item) for item in value]
    return value


def report_dict(result: Result) -> dict[str, Any]:
    """Everything computed, as one JSON-ready object (``--json``)."""
    identity = result.identity
    interpreter = json_ready(result.interpreter)
    return {
        "key_format_version": KEY_FORMAT_VERSION,
        "interpreter": interpreter,
        "identity": {**json_ready(identity), "stability": identity.stability.value},
        "abi_tag": identity.abi_tag,
        "stability": identity.stability.value,
        "stability_reason": identity.stability_reason,
        "is_stable_abi": identity.stability.shares_across_builds,
        "tool": result.tool.name,
        "cache_kind": result.kind.value,
        "cache_directory": str(result.cache_directory),
        "cache_directory_source": result.cache_directory_source.text(FrontEnd.CLI),
        "pip": json_ready(result.pip),
        "rules_notice": result.rules_notice,
        "dependency_hash": result.keys.components[-1].value,
        "dependency_hash_source": result.dependency_hash_source.text(FrontEnd.CLI),
        "dependency_files": list(result.dependency_files),
        "primary_key": result.keys.primary,
        "restore_keys": list(result.keys.restore_keys),
        "cache_key_for_os": result.keys.for_os,
        "cache_key_for_python_interpreter": result.keys.for_python_interpreter,
        "components": [
            {"name": c.name, "value": c.value, "source": c.source.text(FrontEnd.CLI)}
            for c in result.keys.components
        ],
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
        ("cache directory", f"{result.cache_directory} [{result.cache_directory_source.text()}]"),
        *_pip_fact(result),
        *([("tool rules", result.rules_notice)] if result.rules_notice else []),
        ("dependency hash", result.dependency_hash_source.text()),
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
    rows.extend((c.name, c.value, c.source.text(FrontEnd.CLI)) for c in result.keys.components)
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
    result: Result, decision: CachingDecision, *, record: str = "", summary_facts: str = ""
) -> dict[str, str]:
    """The action's step outputs (the original action's names first).

    ``record`` is this job's provenance record and ``summary_facts`` what the job summary shows
    of its key (``JobFacts.to_json``), both for the step after the restore.
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
        "summary-facts": summary_facts,
    }


def skipped_outputs(decision: CachingDecision) -> dict[str, str]:
    """Outputs when no key could be computed: caching is off, the build goes on."""
    return {
        "cache-enabled": "false",
        "save-cache": "false",
        "skip-reason": decision.reason,
        "is-stable-abi": "false",
    }


def job_facts(result: Result, decision: CachingDecision, python_source: Source) -> JobFacts:
    """What the job summary shows of this job's key, in the action's terms (``summary.py``)."""
    keys, identity = result.keys, result.identity
    facts = [
        Fact("key", keys.primary),
        *(Fact("restore key", key) for key in keys.restore_keys),
        Fact("interpreter", result.interpreter.executable, python_source),
        Fact("python version", str(result.interpreter.version_info)),
        Fact("stability", f"{identity.stability.value} ({identity.stability_reason})"),
        Fact("cache directory", str(result.cache_directory), result.cache_directory_source),
        *(Fact("pip", value) for _, value in _pip_fact(result)),
        *([Fact("tool rules", result.rules_notice)] if result.rules_notice else []),
    ]
    # The dependencies component comes from the dependency hash: shown with its own source.
    sources = tuple(
        (c.name, result.dependency_hash_source if c.name == "dependencies" else c.source)
        for c in keys.components
    )
    return JobFacts(tuple(facts), sources, decision.reason if decision.restore_only else "")


def cached(result: Result) -> Cached:
    """What this use of the action caches, for the summary's heading."""
    return Cached(result.tool.name, result.kind is CacheKind.VENV, result.identity.abi_tag)


def skipped_summary(result: Result, decision: CachingDecision, facts: JobFacts) -> str:
    """The job summary when caching is off for this job (the record step will not run)."""
    components = [(c.name, c.value) for c in result.keys.components]
    return section(
        heading(cached(result)),
        status_line(Status.SKIPPED, (decision.reason,)),
        job_blocks(facts, components),
    )


def failed_summary(status: Status, message: str) -> str:
    """The job summary when no key was computed: the one-line error (a value: it names them)."""
    return section(heading(None), status_line(status, (Untrusted(message),)), [])
