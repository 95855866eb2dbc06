#!/usr/bin/env python3
"""Extract the facts our contract tests need from Microsoft's data-plane Swagger 2.0 file.

The reference file must not be copied into the project, so this script keeps only machine facts
(operations, parameters, schema names, required/read-only fields, enums, success codes) and drops
every description, example and summary. The result, ``tests/contract/facts.json``, is what the
parity test compares our generated OpenAPI description against.

Usage (from the repository root):
    python scripts/extract_contract.py            # write tests/contract/facts.json
    python scripts/extract_contract.py --check    # exit 1 when facts.json is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_OUTPUT",
    "DEFAULT_SOURCE",
    "ContractError",
    "extract",
    "facts_from_file",
    "main",
    "render",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = (
    REPO_ROOT.parent / "shared" / "reference" / "azure-quantum-data-plane-2026-01-15-preview.json"
)
DEFAULT_OUTPUT = REPO_ROOT / "tests" / "contract" / "facts.json"

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# Only constraints a client or server can act on; prose (description, x-ms-*) is never kept.
PARAMETER_KEYS = ("type", "pattern", "minLength", "maxLength")
DEFINITIONS_PREFIX = "#/definitions/"
PARAMETERS_PREFIX = "#/parameters/"

Json = dict[str, Any]


class ContractError(Exception):
    """The source document is not the Swagger 2.0 shape this extractor understands."""


def _ref_name(ref: str, prefix: str) -> str:
    if not ref.startswith(prefix):
        raise ContractError(f"unsupported $ref {ref!r} (expected {prefix}...)")
    return ref[len(prefix) :]


def _resolve_parameter(param: Mapping[str, Any], shared: Mapping[str, Any]) -> Mapping[str, Any]:
    if "$ref" in param:
        name = _ref_name(param["$ref"], PARAMETERS_PREFIX)
        if name not in shared:
            raise ContractError(f"parameter $ref {param['$ref']!r} does not resolve")
        resolved: Mapping[str, Any] = shared[name]
        return resolved
    return param


def _schema_name(schema: Mapping[str, Any] | None) -> str | None:
    """Name of the definition a schema points at; None when there is no schema (e.g. 204)."""
    if not schema:
        return None
    if "$ref" not in schema:
        raise ContractError(f"inline schema where a named definition was expected: {sorted(schema)}")
    return _ref_name(schema["$ref"], DEFINITIONS_PREFIX)


def _operation_facts(
    path: str, method: str, op: Mapping[str, Any], path_params: list[Any], shared: Mapping[str, Any]
) -> Json:
    params: dict[tuple[str, str], Mapping[str, Any]] = {}
    for raw in [*path_params, *op.get("parameters", [])]:
        p = _resolve_parameter(raw, shared)
        params[(p["in"], p["name"])] = p  # operation-level parameters override path-level ones

    parameters: list[Json] = []
    body: Json | None = None
    for (location, name), p in sorted(params.items()):
        if location == "body":
            body = {
                "name": name,
                "required": bool(p.get("required", False)),
                "schema": _schema_name(p["schema"]),
            }
            continue
        if location == "formData":
            raise ContractError(f"{op.get('operationId')}: formData parameters are not supported")
        fact: Json = {"name": name, "in": location, "required": bool(p.get("required", False))}
        fact.update({k: p[k] for k in PARAMETER_KEYS if k in p})
        parameters.append(fact)

    responses: Json = {}
    for code, response in op.get("responses", {}).items():
        responses[str(code)] = _schema_name((response or {}).get("schema"))
    success = sorted(code for code in responses if code.startswith("2"))
    if not success:
        raise ContractError(f"{op.get('operationId')}: no success status code")

    return {
        "method": method.upper(),
        "path": path,
        "parameters": parameters,
        "body": body,
        "responses": responses,
        "successCodes": success,
    }


def _type_fact(schema: Mapping[str, Any], definitions: Mapping[str, Any]) -> Json:
    """The shape of a property or item: a named definition, or a type with its enum and item shape."""
    fact: Json = {}
    if "$ref" in schema:
        name = _ref_name(schema["$ref"], DEFINITIONS_PREFIX)
        if name not in definitions:
            raise ContractError(f"definition $ref {schema['$ref']!r} does not resolve")
        fact["ref"] = name
        target = definitions[name]
        if "enum" in target:  # resolved here so the tests need not chase enum definitions
            fact["enum"] = list(target["enum"])
        return fact
    if "type" in schema:
        fact["type"] = schema["type"]
    if "format" in schema:
        fact["format"] = schema["format"]
    if "enum" in schema:
        fact["enum"] = list(schema["enum"])
    if "items" in schema:
        fact["items"] = _type_fact(schema["items"], definitions)
    if isinstance(schema.get("additionalProperties"), Mapping):
        fact["additionalProperties"] = _type_fact(schema["additionalProperties"], definitions)
    return fact


def _flatten(name: str, definitions: Mapping[str, Any], seen: tuple[str, ...] = ()) -> tuple[Json, set[str]]:
    """Properties and required names of a definition with its ``allOf`` parents merged in."""
    if name in seen:
        raise ContractError(f"allOf cycle through {name!r}")
    definition = definitions[name]
    properties: Json = {}
    required: set[str] = set()
    for parent in definition.get("allOf", []):
        parent_props, parent_required = _flatten(
            _ref_name(parent["$ref"], DEFINITIONS_PREFIX), definitions, (*seen, name)
        )
        properties.update(parent_props)
        required |= parent_required
    properties.update(definition.get("properties", {}))
    required |= set(definition.get("required", []))
    return properties, required


def _definition_facts(name: str, definitions: Mapping[str, Any]) -> Json:
    definition = definitions[name]
    fact: Json = {}
    if "type" in definition:
        fact["type"] = definition["type"]
    if "enum" in definition:
        fact["enum"] = list(definition["enum"])
    if "allOf" in definition:
        fact["allOf"] = [_ref_name(p["$ref"], DEFINITIONS_PREFIX) for p in definition["allOf"]]
    properties, required = _flatten(name, definitions)
    if properties:
        fact["properties"] = {k: _type_fact(v, definitions) for k, v in sorted(properties.items())}
        fact["readOnly"] = sorted(k for k, v in properties.items() if v.get("readOnly") is True)
    if properties or required:
        fact["required"] = sorted(required)
    missing = required - set(properties)
    if missing:
        raise ContractError(f"{name}: required fields without a property: {sorted(missing)}")
    return fact


def extract(swagger: Mapping[str, Any], source_name: str = "") -> Json:
    """Turn a parsed Swagger 2.0 document into the facts dictionary (no prose survives)."""
    if swagger.get("swagger") != "2.0":
        raise ContractError("source is not a Swagger 2.0 document")
    shared_params: Mapping[str, Any] = swagger.get("parameters", {})
    definitions: Mapping[str, Any] = swagger.get("definitions", {})

    operations: Json = {}
    for path, item in swagger.get("paths", {}).items():
        path_params = item.get("parameters", [])
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op = item[method]
            op_id = op.get("operationId")
            if not op_id:
                raise ContractError(f"{method.upper()} {path}: operation without operationId")
            if op_id in operations:
                raise ContractError(f"duplicate operationId {op_id!r}")
            operations[op_id] = _operation_facts(path, method, op, path_params, shared_params)

    return {
        "source": source_name,
        "apiVersion": swagger.get("info", {}).get("version"),
        "operations": operations,
        "definitions": {name: _definition_facts(name, definitions) for name in sorted(definitions)},
    }


def render(facts: Mapping[str, Any]) -> str:
    """Stable text: sorted keys, indent 2, trailing newline — so a regeneration diff is meaningful."""
    return json.dumps(facts, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def facts_from_file(source: Path) -> Json:
    """Read and extract; a malformed or missing file becomes a ContractError."""
    try:
        swagger = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ContractError(f"cannot read {source}: {exc}") from exc
    return extract(swagger, source.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="Swagger 2.0 contract file")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="facts file to write or check")
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on drift")
    args = parser.parse_args(argv)

    try:
        text = render(facts_from_file(args.source))
    except ContractError as exc:
        print(f"extract_contract: {exc}", file=sys.stderr)
        return 2

    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run scripts/extract_contract.py", file=sys.stderr)
            return 1
        print(f"{args.output} is current")
        return 0

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
