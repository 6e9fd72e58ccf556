"""Command line: click options in, one call into the engine, text or JSON out.

Data goes to stdout, diagnostics to stderr. Every error the user can cause is one line on stderr
and a non-zero exit, never a traceback. (The action does not go through click: see steps/.)
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cache_python_deps import __version__
from cache_python_deps.engine import Request, locate, run
from cache_python_deps.entries.key_format import describe_diff, diff_keys, parse_key
from cache_python_deps.errors import CachePythonDepsError, one_line
from cache_python_deps.github import log_text
from cache_python_deps.home import home_directory
from cache_python_deps.keys import CacheKind
from cache_python_deps.reporting import explain_text, report_dict
from cache_python_deps.tools import TOOL_NAMES, get_tool

if TYPE_CHECKING:
    from cache_python_deps.entries.client import Lookup, Tidy

ENV_PREFIX = "CPD"


def _fail(message: str) -> None:
    click.echo(f"cache-python-deps: error: {message}", err=True)
    raise SystemExit(1)


def _home_directory() -> Path:
    """The home directory; one line and exit 1 when there is none."""
    home = home_directory(os.environ)
    if home is None:
        _fail("no home directory: HOME is unset and this user has no password entry; set HOME")
        raise SystemExit(1)
    return home


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
    help="Interpreter to key on (for prune: whose environment is read): a path or a command.",
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
        home=_home_directory(),
    )
    if context.invoked_subcommand is not None:
        context.obj = request
        return
    try:
        result = run(request)
    except (CachePythonDepsError, OSError) as error:
        _fail(one_line(error))
        return
    if output == "key":
        click.echo(result.keys.primary)
        return
    if output == "json":
        import json  # noqa: PLC0415 - not on --print-key's measured start-up path

        click.echo(json.dumps(report_dict(result), indent=2, sort_keys=True))
    else:
        click.echo(explain_text(result))


@main.command()
@click.option(
    "--directory",
    # Not click's readability check: prune says why it cannot read the cache, in one line.
    type=click.Path(file_okay=False, readable=False, path_type=Path),
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

    Tool, interpreter and project come from the options before 'prune', e.g.
    'cache-python-deps --tool uv --project-directory . prune'. Built wheels a dependency bump
    superseded go too: those whose distribution the project's lock file (uv, poetry, pdm,
    pipenv), else the environment of --python, has at other versions only. Prints bytes before
    and after, and what was superseded.
    """
    # Prune's modules (the remover, the lock and environment readers) stay off --print-key's
    # measured start-up path.
    from cache_python_deps.in_use import find_in_use, project_context  # noqa: PLC0415
    from cache_python_deps.prune import (  # noqa: PLC0415
        describe_superseded,
        protected_places,
        prune_cache,
        shown_path,
    )

    try:
        tool_name = request.tool
        if directory is None or unstable_abi is None or tool_name == "auto":
            location = locate(request)
            tool_name = location.tool.name
            directory = directory or location.cache_directory
            if unstable_abi is None:
                unstable_abi = not location.identity.stability.shares_across_builds
        places = protected_places(projects=[str(request.project_directory)])
        context = project_context(request.project_directory, request.environ, request.home)
        in_use = None if unstable_abi else find_in_use(get_tool(tool_name), context, request.python)
        report = prune_cache(
            tool_name, directory, unstable_abi=unstable_abi, in_use=in_use, places=places
        )
    except (CachePythonDepsError, OSError) as error:
        _fail(one_line(error))
        return
    click.echo(
        f"pruned {tool_name} cache {shown_path(report.directory)}: {report.bytes_before} bytes "
        f"before, {report.bytes_after} bytes after ({len(report.removed_entries)} entries removed)"
    )
    if report.superseded is not None:
        click.echo(describe_superseded(report.superseded, shown_path))


@main.command()
@click.argument("keys", nargs=2, metavar="KEY KEY")
def diff(keys: tuple[str, str]) -> None:
    """Name the components two cache keys differ in, e.g. keys copied out of two job logs.

    Reads this project's key formats 1 and 2 (and their restore-key prefixes) and the original
    action's keys. Exit code 0 whether or not they differ; 1 for a text that is no key of ours.
    """
    try:
        left, right = parse_key(keys[0]), parse_key(keys[1])
    except CachePythonDepsError as error:
        _fail(log_text(error))
        return
    key_diff = diff_keys(left, right)
    width = max((len(change.name) for change in key_diff.changes), default=0)
    for change in key_diff.changes:
        values = f"{change.left or '(none)'} -> {change.right or '(none)'}"
        click.echo(f"{change.name:<{width}}  {log_text(values)}")
    click.echo(log_text(describe_diff(key_diff)))


ENTRIES_TIMEOUT_SECONDS = 10.0
GIT_TIMEOUT_SECONDS = 5.0


def _git(project_directory: Path, *args: str) -> str | None:
    """One line of git's answer in the project's checkout, or None."""
    import subprocess  # noqa: PLC0415 - off --print-key's measured start-up path

    try:
        completed = subprocess.run(
            ["git", "-C", str(project_directory), *args],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    answer = completed.stdout.strip()
    return answer if completed.returncode == 0 and answer and "\n" not in answer else None


def repository_from_remote(url: str) -> str | None:
    """``owner/name`` from a remote URL (https, ssh or scp-like, any host), else None."""
    match = re.search(r"[:/]([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$", url.strip())
    return f"{match.group(1)}/{match.group(2)}" if match else None


@main.command()
@click.option(
    "--repository",
    envvar="GITHUB_REPOSITORY",
    help="OWNER/NAME; default: GITHUB_REPOSITORY, else the 'origin' remote of the checkout.",
)
@click.option(
    "--ref",
    help="The ref whose cache scope to explain for (refs/heads/BRANCH, refs/pull/N/merge); "
    "default: GITHUB_REF, else the checkout's current branch.",
)
@click.option(
    "--delete",
    "delete_all",
    is_flag=True,
    help="Delete every entry of this action in --ref (which must be given), e.g. a closed pull "
    "request's refs/pull/N/merge. Needs a token with actions: write.",
)
@click.option(
    "--delete-stale-entries",
    is_flag=True,
    help="Delete the entries of the ref that a newer entry of the same interpreter, tool and "
    "kind (and cache path) supersedes. Needs a token with actions: write.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="With --delete or --delete-stale-entries: name what would be deleted, delete nothing.",
)
@click.pass_obj
def entries(
    request: Request,
    repository: str | None,
    ref: str | None,
    delete_all: bool,
    delete_stale_entries: bool,
    dry_run: bool,
) -> None:
    """List the repository's cache entries of this action and explain the key's miss; or
    delete entries of one ref.

    The key is the one --print-key computes for the options before 'entries'. The token comes
    from GH_TOKEN or GITHUB_TOKEN (it needs actions: read, and actions: write to delete), the
    API from GITHUB_API_URL.
    """
    if delete_all and delete_stale_entries:
        _fail("--delete and --delete-stale-entries exclude each other: pick one")
    if dry_run and not (delete_all or delete_stale_entries):
        _fail("--dry-run goes with --delete or --delete-stale-entries")
    if delete_all and not ref:
        _fail("--delete needs --ref REF: the ref whose entries go (e.g. refs/pull/42/merge)")
    environ = request.environ
    directory = request.project_directory
    repository = repository or repository_from_remote(
        _git(directory, "config", "--get", "remote.origin.url") or ""
    )
    if not repository:
        _fail("no repository: pass --repository OWNER/NAME (no GITHUB_REPOSITORY, no origin)")
        return
    if delete_all or delete_stale_entries:
        ref = ref or environ.get("GITHUB_REF") or _git(directory, "symbolic-ref", "-q", "HEAD")
        if not ref:
            _fail("no ref: pass --ref REF (no GITHUB_REF, no current branch)")
            return
        _delete_entries(environ, repository, ref, everything=delete_all, dry_run=dry_run)
        return
    _explain_entries(request, repository, ref)


def _explain_entries(request: Request, repository: str, ref: str | None) -> None:
    """``entries`` without deleting: the key's miss explained from the listing."""
    # The REST client and its reports stay off --print-key's measured start-up path.
    from cache_python_deps.entries.miss_report import Scope, explain  # noqa: PLC0415

    environ = request.environ
    directory = request.project_directory
    try:
        primary_key = run(request).keys.primary
    except (CachePythonDepsError, OSError) as error:
        _fail(one_line(error))
        return
    head = _git(directory, "symbolic-ref", "-q", "HEAD")
    origin_head = _git(directory, "symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD")
    scope = Scope(
        ref=ref or environ.get("GITHUB_REF") or head,
        default_branch=origin_head.split("/", 1)[1] if origin_head and "/" in origin_head else None,
        base_ref=environ.get("GITHUB_BASE_REF") or None,
    )
    lookup = _listed_entries(environ, repository, timeout=ENTRIES_TIMEOUT_SECONDS)
    report = explain(primary_key, scope, lookup, datetime.now(timezone.utc))
    click.echo(f"key: {primary_key}")
    for line in report.text_lines:
        click.echo(line)
    if report.notice:
        click.echo(f"notice: {report.notice}", err=True)


def _listed_entries(
    environ: Mapping[str, str],
    repository: str,
    *,
    timeout: float,
    max_pages: int | None = None,
    ref: str | None = None,
    sort: str | None = None,
    tidy: Tidy | None = None,
) -> Lookup:
    """One bounded lookup of this action's entries (and ``tidy``'s deletions); exit 1 with one
    line when the API gave no listing."""
    # The REST client stays off --print-key's measured start-up path.
    from cache_python_deps.entries.client import look_up_caches  # noqa: PLC0415
    from cache_python_deps.entries.miss_report import LISTING_PREFIX  # noqa: PLC0415

    token = environ.get("GH_TOKEN") or environ.get("GITHUB_TOKEN") or None
    options: dict[str, Any] = {"ref": ref, "tidy": tidy}
    if max_pages is not None:
        options["max_pages"] = max_pages
    if sort is not None:
        options["sort"] = sort
    lookup = look_up_caches(
        environ.get("GITHUB_API_URL"),
        repository,
        token,
        key_prefix=LISTING_PREFIX,
        timeout=timeout,
        **options,
    )
    if lookup.listing is None:
        hint = "" if token else " (no GH_TOKEN or GITHUB_TOKEN set)"
        _fail(f"{lookup.problem}{hint}")
    return lookup


# A closed pull request's entries, or a ref's stale ones: more than the action deletes in a run.
DELETE_TIMEOUT_SECONDS = 60.0
DELETE_MAX_PAGES = 10


def _delete_entries(
    environ: Mapping[str, str], repository: str, ref: str, *, everything: bool, dry_run: bool
) -> None:
    """``entries --delete`` / ``--delete-stale-entries``: one line per entry, exit 1 on a failure
    (an entry already gone is none)."""
    # The REST client and the stale-entry rules stay off --print-key's measured start-up path.
    from cache_python_deps.entries.client import (  # noqa: PLC0415
        ALREADY_GONE,
        PER_PAGE,
        CacheListing,
        Doomed,
        Tidy,
    )
    from cache_python_deps.entries.stale import (  # noqa: PLC0415
        deletion_text_lines,
        entries_of_ref,
        superseded_in_ref,
    )

    limit = DELETE_MAX_PAGES * PER_PAGE

    def plan(listing: CacheListing, _clock: object) -> list[Doomed]:
        if everything:
            return entries_of_ref(listing.entries, ref=ref, limit=limit)
        return superseded_in_ref(listing.entries, ref=ref, limit=limit)

    lookup = _listed_entries(
        environ,
        repository,
        timeout=DELETE_TIMEOUT_SECONDS,
        max_pages=DELETE_MAX_PAGES,
        ref=ref,
        sort="created_at",
        tidy=Tidy(plan, limit=limit, dry_run=dry_run, by_key=everything),
    )
    click.echo(f"ref: {log_text(ref)}")
    for line in deletion_text_lines(lookup, dry_run=dry_run):
        click.echo(line)
    failed = lookup.not_deleted or any(
        not item.deleted and item.problem != ALREADY_GONE for item in lookup.deletions
    )
    if failed and not dry_run:
        _fail("some entries were not deleted (see above)")
