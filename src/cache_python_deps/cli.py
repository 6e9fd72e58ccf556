"""Command line: click options in, one call into the engine, text or JSON out.

Data goes to stdout, diagnostics to stderr. Every error the user can cause is one line on stderr
and a non-zero exit, never a traceback. (The action does not go through click: see action.py.)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from cache_python_deps import __version__
from cache_python_deps.engine import Request, locate, run
from cache_python_deps.errors import CachePythonDepsError
from cache_python_deps.keys import CacheKind
from cache_python_deps.reporting import explain_text, report_dict
from cache_python_deps.tools import TOOL_NAMES

ENV_PREFIX = "CPD"


def _one_line(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror}{where}"
    return str(error)


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
    type=click.Choice(("auto", *TOOL_NAMES), case_sensitive=False),
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
) -> None:
    """Compute ABI-exact cache keys and the cache directory for a Python interpreter.

    Every option can also be set through an environment variable: CPD_ followed by the option
    name in upper case with underscores (CPD_PYTHON, CPD_TOOL, CPD_DEPENDENCY_HASH, ...).
    """
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
    if context.invoked_subcommand is not None:
        context.obj = request
        return
    try:
        result = run(request)
    except (CachePythonDepsError, OSError) as error:
        _fail(_one_line(error))
        return
    if output == "key":
        click.echo(result.keys.primary)
    elif output == "json":
        click.echo(json.dumps(report_dict(result), indent=2, sort_keys=True))
    else:
        click.echo(explain_text(result))


@main.command()
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="The cache to prune; default: the tool's cache directory, found as --print-key does.",
)
@click.option(
    "--unstable-abi/--stable-abi",
    default=None,
    help="Also drop built wheels; default: when the interpreter's ABI is unstable.",
)
@click.pass_obj
def prune(request: Request, directory: Path | None, unstable_abi: bool | None) -> None:
    """Shrink a tool's cache before it is saved: drop downloads, keep wheels built from source.

    Tool and interpreter come from the options before 'prune', e.g.
    'cache-python-deps --tool uv prune'. Prints bytes before and after.
    """
    from cache_python_deps.prune import prune_cache  # noqa: PLC0415 - only this command needs it

    try:
        tool_name = request.tool
        if directory is None or unstable_abi is None or tool_name == "auto":
            location = locate(request)
            tool_name = location.tool.name
            directory = directory or location.cache_directory
            if unstable_abi is None:
                unstable_abi = not location.identity.stability.shares_across_builds
        report = prune_cache(tool_name, directory, unstable_abi=unstable_abi)
    except (CachePythonDepsError, OSError) as error:
        _fail(_one_line(error))
        return
    click.echo(
        f"pruned {tool_name} cache {report.directory}: {report.bytes_before} bytes before, "
        f"{report.bytes_after} bytes after ({len(report.removed_entries)} entries removed)"
    )
