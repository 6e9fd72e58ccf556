"""Command line: click options in, one call into the engine, text or JSON out.

Data goes to stdout, diagnostics to stderr. Every error the user can cause is one line on stderr
and a non-zero exit; with ``--github-output`` (the action's mode) a cache problem becomes a
warning and "caching disabled" instead, unless ``--fail-on-error`` is given.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from cache_python_deps import __version__, github
from cache_python_deps.engine import Request, Result, run
from cache_python_deps.errors import CachePythonDepsError
from cache_python_deps.keys import CacheKind
from cache_python_deps.policy import CachingDecision, UnstableAbiPolicy, decide_caching
from cache_python_deps.reporting import (
    explain_text,
    github_outputs,
    github_summary,
    report_dict,
    skipped_outputs,
    skipped_summary,
)

ENV_PREFIX = "CPD"
TOOL_CHOICES = ("auto", "pip", "uv", "poetry", "pipenv", "pdm")


def _fail(message: str) -> None:
    click.echo(f"cache-python-deps: error: {message}", err=True)
    raise SystemExit(1)


@click.group(
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="cache-python-deps")
@click.option("--print-key", "output", flag_value="key", help="Print the primary cache key only.")
@click.option("--json", "output", flag_value="json", help="Print everything computed as JSON.")
@click.option(
    "--explain",
    "output",
    flag_value="explain",
    help="Print a table of every key component and its source (the default).",
)
@click.option(
    "--github-output",
    "output",
    flag_value="github",
    help="Write step outputs, the job summary and annotations (the action's mode).",
)
@click.option(
    "--python",
    "python",
    envvar=f"{ENV_PREFIX}_PYTHON",
    default=sys.executable,
    show_default="the Python running this command",
    help="Interpreter to key on: a path or a command on PATH.",
)
@click.option(
    "--tool",
    envvar=f"{ENV_PREFIX}_TOOL",
    type=click.Choice(TOOL_CHOICES, case_sensitive=False),
    default="pip",
    show_default=True,
    help="Whose cache: 'auto' picks from the project's lock files.",
)
@click.option(
    "--cache-kind",
    envvar=f"{ENV_PREFIX}_CACHE_KIND",
    type=click.Choice([kind.value for kind in CacheKind], case_sensitive=False),
    default=CacheKind.TOOL.value,
    show_default=True,
    help="'tool': a download/build cache; 'venv': a virtualenv for this exact install.",
)
@click.option(
    "--dependency-hash",
    envvar=f"{ENV_PREFIX}_DEPENDENCY_HASH",
    help="Your hash of the dependency files; default: hash the project's dependency files.",
)
@click.option(
    "--cache-directory-lookup-command",
    envvar=f"{ENV_PREFIX}_CACHE_DIRECTORY_LOOKUP_COMMAND",
    help="Shell command printing the cache directory; default: found in-process for the tool.",
)
@click.option(
    "--project-directory",
    envvar=f"{ENV_PREFIX}_PROJECT_DIRECTORY",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default="the current directory",
    help="Where dependency and lock files are looked for.",
)
@click.option(
    "--unstable-abi",
    envvar=f"{ENV_PREFIX}_UNSTABLE_ABI",
    type=click.Choice([policy.value for policy in UnstableAbiPolicy], case_sensitive=False),
    default=UnstableAbiPolicy.SKIP.value,
    show_default=True,
    help="For pre-releases: 'skip' caching, or 'isolate' it under the exact build.",
)
@click.option(
    "--cache-on-release-events/--no-cache-on-release-events",
    envvar=f"{ENV_PREFIX}_CACHE_ON_RELEASE_EVENTS",
    default=False,
    show_default=True,
    help="With --github-output: also cache for tags, releases, pull_request_target, workflow_run.",
)
@click.option(
    "--fail-on-error/--no-fail-on-error",
    envvar=f"{ENV_PREFIX}_FAIL_ON_ERROR",
    default=False,
    show_default=True,
    help="With --github-output: fail the step on a cache problem instead of skipping caching.",
)
@click.pass_context
def main(
    context: click.Context,
    output: str | None,
    python: str,
    tool: str,
    cache_kind: str,
    dependency_hash: str | None,
    cache_directory_lookup_command: str | None,
    project_directory: Path,
    unstable_abi: str,
    cache_on_release_events: bool,
    fail_on_error: bool,
) -> None:
    """Compute ABI-exact cache keys and the cache directory for a Python interpreter.

    Every option can also be set through an environment variable: CPD_ followed by the option
    name in upper case with underscores (CPD_PYTHON, CPD_TOOL, CPD_DEPENDENCY_HASH, ...).
    """
    if context.invoked_subcommand is not None:
        return
    request = Request(
        python=python,
        tool=tool.lower(),
        kind=CacheKind(cache_kind.lower()),
        dependency_hash=dependency_hash or None,
        lookup_command=cache_directory_lookup_command or None,
        project_directory=project_directory.absolute(),
        environ=os.environ,
        home=Path.home(),
    )
    if output == "github":
        _github_mode(
            request,
            UnstableAbiPolicy(unstable_abi.lower()),
            cache_on_release_events=cache_on_release_events,
            fail_on_error=fail_on_error,
        )
        return
    try:
        result = run(request)
    except CachePythonDepsError as error:
        _fail(str(error))
        return
    if output == "key":
        click.echo(result.keys.primary)
    elif output == "json":
        click.echo(json.dumps(report_dict(result), indent=2, sort_keys=True))
    else:
        click.echo(explain_text(result))


def _github_mode(
    request: Request,
    unstable_abi: UnstableAbiPolicy,
    *,
    cache_on_release_events: bool,
    fail_on_error: bool,
) -> None:
    output_path = os.environ.get("GITHUB_OUTPUT")
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not output_path:
        _fail("--github-output needs the GITHUB_OUTPUT environment variable (set by the runner)")
        return
    result: Result | None = None
    try:
        result = run(request)
    except CachePythonDepsError as error:
        if fail_on_error:
            click.echo(github.annotation("error", str(error), title="cache-python-deps"))
            raise SystemExit(1) from None
        decision = CachingDecision(False, f"cache-python-deps could not compute a key: {error}")
        click.echo(github.annotation("warning", decision.reason, title="cache-python-deps"))
        github.write_outputs(Path(output_path), skipped_outputs(decision))
        if summary_path:
            github.write_summary(Path(summary_path), skipped_summary(decision))
        return
    decision = decide_caching(
        stability=result.identity.stability,
        unstable_abi=unstable_abi,
        event_name=os.environ.get("GITHUB_EVENT_NAME"),
        ref=os.environ.get("GITHUB_REF"),
        cache_on_release_events=cache_on_release_events,
    )
    if not decision.enabled:
        click.echo(github.annotation("notice", decision.reason, title="Caching skipped"))
    outputs = github_outputs(result, decision)
    github.group(sys.stdout, "cache-python-deps", [f"{k}: {v}" for k, v in outputs.items()])
    github.write_outputs(Path(output_path), outputs)
    if summary_path:
        github.write_summary(Path(summary_path), github_summary(result, decision))
