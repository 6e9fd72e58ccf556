"""GitHub's official OpenAPI description (npm ``@octokit/openapi``), reduced to the operations the
tests' local REST API server plays, with a real JSON Schema validator for requests and responses.

The description is installed by ``npm ci`` in ``tests/openapi/`` (``scripts/dev-setup.sh`` does
it; ``ensure_installed`` does it when missing). Only ``api.github.com.json`` is read, and of it
only the operations named in ``OPERATIONS``, with every ``$ref`` resolved.

OpenAPI 3.0 schemas are a dialect of JSON Schema draft 4 (``nullable`` aside, translated here),
so they are checked with jsonschema's ``Draft4Validator``. Two deliberate strictnesses:

- ``date-time`` is checked (RFC 3339), which jsonschema skips without an optional package;
- an object may carry only the properties the description documents, so that a test can never
  rely on a field GitHub does not send.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jsonschema import (  # type: ignore[import-untyped]  # no stubs in the dev tools
    Draft4Validator,
    FormatChecker,
)

OPENAPI_DIRECTORY = Path(__file__).parent / "openapi"
PACKAGE = OPENAPI_DIRECTORY / "node_modules" / "@octokit" / "openapi"
DESCRIPTION = PACKAGE / "generated" / "api.github.com.json"

LIST_CACHES = "actions/get-actions-cache-list"
CACHE_USAGE = "actions/get-actions-cache-usage"
DELETE_CACHE_BY_ID = "actions/delete-actions-cache-by-id"
DELETE_CACHES_BY_KEY = "actions/delete-actions-cache-by-key"
OPERATIONS = (LIST_CACHES, CACHE_USAGE, DELETE_CACHE_BY_ID, DELETE_CACHES_BY_KEY)
METHODS = ("get", "delete")
# The operations document only their 200 answer; GitHub's error bodies everywhere else in the
# description (its "forbidden", "not_found"... responses) use this schema.
ERROR_SCHEMA = "basic-error"

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})",
)


class OpenApiMissing(RuntimeError):
    """The npm package is not installed and could not be installed."""


def _version(package_json: Path, *keys: str) -> str | None:
    try:
        data: Any = json.loads(package_json.read_text(encoding="utf-8"))
        for key in keys:
            data = data[key]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return data if isinstance(data, str) else None


def locked_version() -> str | None:
    """The @octokit/openapi version tests/openapi/package-lock.json pins."""
    lock = OPENAPI_DIRECTORY / "package-lock.json"
    return _version(lock, "packages", "node_modules/@octokit/openapi", "version")


def ensure_installed() -> Path:
    """Install ``tests/openapi``'s npm package when missing or not the locked version.

    ``npm ci`` runs in a private copy of the folder and its node_modules is moved in with one
    rename, so two test processes starting at once never see a half-installed package.
    """
    locked = locked_version()
    if DESCRIPTION.is_file() and _version(PACKAGE / "package.json", "version") == locked:
        return DESCRIPTION
    npm = shutil.which("npm")
    if npm is None:
        raise OpenApiMissing("npm is needed to install @octokit/openapi: run scripts/dev-setup.sh")
    with tempfile.TemporaryDirectory(dir=OPENAPI_DIRECTORY, prefix=".install-") as scratch:
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(OPENAPI_DIRECTORY / name, Path(scratch) / name)
        completed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=scratch,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise OpenApiMissing(f"npm ci failed in tests/openapi:\n{completed.stderr}")
        installed = OPENAPI_DIRECTORY / "node_modules"
        with contextlib.suppress(OSError):  # a stale copy goes away with the scratch folder
            installed.rename(Path(scratch) / "stale")
        with contextlib.suppress(OSError):  # another process may have won the race
            (Path(scratch) / "node_modules").rename(installed)
    if _version(PACKAGE / "package.json", "version") != locked:
        raise OpenApiMissing(f"@octokit/openapi {locked} is not installed after npm ci")
    return DESCRIPTION


def _resolve(node: Any, document: Mapping[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """``node`` with every local ``$ref`` replaced by what it points at (recursively)."""
    if isinstance(node, list):
        return [_resolve(item, document, seen) for item in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    if isinstance(reference, str):
        if reference in seen:
            raise ValueError(f"recursive $ref {reference}")
        if not reference.startswith("#/"):
            raise ValueError(f"non-local $ref {reference}")
        target: Any = document
        for part in reference[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return _resolve(target, document, (*seen, reference))
    return {key: _resolve(value, document, seen) for key, value in node.items()}


def strict_schema(schema: Any) -> Any:
    """An OpenAPI 3.0 schema as plain draft-4 JSON Schema, closed to undocumented properties."""
    if isinstance(schema, list):
        return [strict_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: strict_schema(value) for key, value in schema.items()}
    if result.pop("nullable", False) is True and isinstance(result.get("type"), str):
        result["type"] = [result["type"], "null"]
    if "properties" in result and "additionalProperties" not in result:
        result["additionalProperties"] = False
    return result


@dataclass(frozen=True)
class Operation:
    """One operation: its method, path template, parameters and documented responses."""

    operation_id: str
    method: str  # upper case, as in a request line
    path_template: str
    parameters: tuple[dict[str, Any], ...]
    responses: dict[str, Any]

    def path_pattern(self) -> re.Pattern[str]:
        """The path template as a regex with one named group per path parameter."""
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path_template))
        return re.compile(pattern)


@dataclass(frozen=True)
class Description:
    """The operations the server plays, and the shared error schema."""

    version: str
    operations: dict[str, Operation]
    error_schema: dict[str, Any]


@functools.lru_cache(maxsize=1)
def load_description() -> Description:
    """Read the description once per test process (13 MB of JSON, about 0.2 s)."""
    document = json.loads(ensure_installed().read_text(encoding="utf-8"))
    operations = {}
    for path, methods in document["paths"].items():
        for method in METHODS:
            operation = methods.get(method)
            if operation and operation.get("operationId") in OPERATIONS:
                operation_id = operation["operationId"]
                operations[operation_id] = Operation(
                    operation_id=operation_id,
                    method=method.upper(),
                    path_template=path,
                    parameters=tuple(_resolve(operation.get("parameters", []), document)),
                    responses=_resolve(operation["responses"], document),
                )
    missing = set(OPERATIONS) - set(operations)
    if missing:
        raise OpenApiMissing(f"the description has no operation {sorted(missing)}")
    error_schema = _resolve(document["components"]["schemas"][ERROR_SCHEMA], document)
    return Description(document["info"]["version"], operations, error_schema)


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # formats only constrain strings
    if not _RFC3339.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(re.sub(r"\.\d+", "", value).replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


FORMATS = FormatChecker(formats=())
FORMATS.checks("date-time")(_date_time)


def schema_errors(instance: object, schema: Mapping[str, Any], where: str) -> list[str]:
    """Every way ``instance`` breaks ``schema`` (made strict), one line each."""
    validator = Draft4Validator(strict_schema(schema), format_checker=FORMATS)
    return [
        f"{where}: {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    ]


def match_operation(path: str, method: str = "GET") -> tuple[Operation, dict[str, str]] | None:
    """The operation of ``method`` whose path template matches ``path``, and the path parameters."""
    for operation in load_description().operations.values():
        match = operation.path_pattern().fullmatch(path)
        if match and operation.method == method.upper():
            return operation, match.groupdict()
    return None


def _coerce(value: str, schema: Mapping[str, Any]) -> object:
    """A query-string value as the schema's type (integers are sent as digits)."""
    if schema.get("type") == "integer" and re.fullmatch(r"-?\d+", value):
        return int(value)
    return value


def request_errors(
    operation: Operation, path_parameters: Mapping[str, str], query: Mapping[str, list[str]]
) -> list[str]:
    """Every way a request breaks the operation's documented parameters."""
    errors = []
    documented = {(p["in"], p["name"]): p for p in operation.parameters}
    for (location, name), parameter in documented.items():
        if location == "path":
            raw = path_parameters.get(name)
            value: object = None if raw is None else _coerce(raw, parameter["schema"])
        elif location == "query":
            values = query.get(name)
            if values is None:
                if parameter.get("required"):
                    errors.append(f"request: query parameter {name} is required")
                continue
            if len(values) != 1:
                errors.append(f"request: query parameter {name} is repeated")
                continue
            value = _coerce(values[0], parameter["schema"])
        else:
            continue
        if value is None and parameter.get("required"):
            errors.append(f"request: {location} parameter {name} is required")
            continue
        errors += schema_errors(value, parameter["schema"], f"request {location} {name}")
    for name in query:
        if ("query", name) not in documented:
            errors.append(f"request: query parameter {name} is not documented")
    return errors


def response_errors(
    operation: Operation, status: int, headers: Mapping[str, str], body: object
) -> list[str]:
    """Every way a response breaks the description (a documented answer, or a basic error).

    ``body`` None stands for an empty body, which only an answer documented without one may
    have (``204``).
    """
    documented = operation.responses.get(str(status))
    if documented is None:
        if status < 400:
            return [f"response: status {status} is not documented for {operation.operation_id}"]
        return schema_errors(body, load_description().error_schema, f"response {status} body")
    content = documented.get("content", {}).get("application/json")
    errors = []
    if content is None and body is None:
        pass  # documented without a body, sent without one
    elif content is None:
        errors.append(f"response: {status} has no JSON body documented")
    elif body is None:
        errors.append(f"response: {status} must have a JSON body")
    else:
        errors += schema_errors(body, content["schema"], f"response {status} body")
    lowered = {name.lower(): value for name, value in headers.items()}
    for name, header in documented.get("headers", {}).items():
        value = lowered.get(name.lower())
        if value is not None:
            errors += schema_errors(value, header["schema"], f"response header {name}")
    return errors


def documented_default(operation: Operation, name: str) -> Any:
    """The default the description gives a query parameter (per_page: 30, sort...)."""
    for parameter in operation.parameters:
        if parameter["in"] == "query" and parameter["name"] == name:
            return copy.deepcopy(parameter["schema"].get("default"))
    raise KeyError(name)
