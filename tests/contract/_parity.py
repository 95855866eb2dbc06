"""Comparison of a generated OpenAPI 3.1 description with the contract facts.

Each ``check_*`` function returns a list of human-readable problems ("which operation, which field,
expected vs found") instead of stopping at the first, so one failing test shows every drift at once.
Kept apart from the tests so ``test_parity_checker.py`` can prove each check catches what it claims to.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "ALL_CHECKS",
    "FORBIDDEN_COMPONENTS",
    "SERVER_URL",
    "SKELETON_OPERATIONS",
    "check_body_schemas",
    "check_default_errors",
    "check_no_validation_artifacts",
    "check_operations_known",
    "check_parameter_constraints",
    "check_parameters",
    "check_refs_resolve",
    "check_request_bodies",
    "check_response_schemas",
    "check_servers",
    "check_success_codes",
    "implemented_operations",
    "iter_operations",
    "load_json",
]

Json = dict[str, Any]

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
SCHEMA_PREFIX = "#/components/schemas/"
SERVER_URL = "https://{region}.quantum.azure.com"
SERVER_REGION_DEFAULT = "eastus"
FORBIDDEN_COMPONENTS = ("HTTPValidationError", "ValidationError")
SKELETON_OPERATIONS = (
    "Sessions_Open",
    "Sessions_Get",
    "Sessions_Close",
    "SessionsJobs_List",
    "Storage_GetSasUri",
    "Jobs_Create",
    "Jobs_Get",
)
# Constraints the contract states on parameters; compared where the contract gives them.
CONSTRAINT_KEYS = ("type", "pattern", "minLength", "maxLength")


def load_json(path: Path) -> Json:
    """Parse a JSON file; the caller decides how a missing file fails."""
    data: Json = json.loads(path.read_text(encoding="utf-8"))
    return data


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _pointer(doc: Mapping[str, Any], ref: str) -> Any:
    """Resolve a local ``#/...`` reference; None when it points nowhere."""
    if not ref.startswith("#/"):
        return None
    node: Any = doc
    for token in ref[2:].split("/"):
        token = _unescape(token)
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _deref(doc: Mapping[str, Any], node: Any, depth: int = 0) -> Any:
    while isinstance(node, Mapping) and "$ref" in node and depth < 32:
        node = _pointer(doc, node["$ref"])
        depth += 1
    return node


def _component_name(schema: Any) -> str | None:
    """The component a schema names, or None for no schema / an inline one."""
    if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
        ref: str = schema["$ref"]
        if ref.startswith(SCHEMA_PREFIX):
            return _unescape(ref[len(SCHEMA_PREFIX) :])
        return ref
    return None


def _describe(schema: Any) -> str:
    name = _component_name(schema)
    if name is not None:
        return name
    if schema is None:
        return "no schema"
    return f"inline schema {json.dumps(schema, sort_keys=True)[:80]}"


def iter_operations(doc: Mapping[str, Any]) -> Iterator[tuple[str, str, Json]]:
    """(path, METHOD, operation) for every operation in the document, in document order."""
    for path, item in (doc.get("paths") or {}).items():
        item = _deref(doc, item)
        if not isinstance(item, Mapping):
            continue
        for method in METHODS:
            if isinstance(item.get(method), Mapping):
                yield path, method.upper(), item[method]


def _known(doc: Mapping[str, Any], facts: Mapping[str, Any]) -> Iterator[tuple[str, str, str, Json, Json]]:
    """Operations whose operationId the contract knows: (id, path, method, operation, contract facts)."""
    contract = facts["operations"]
    for path, method, op in iter_operations(doc):
        op_id = op.get("operationId")
        if isinstance(op_id, str) and op_id in contract:
            yield op_id, path, method, op, contract[op_id]


def implemented_operations(doc: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """Contract operationIds present in the document, sorted."""
    return sorted({op_id for op_id, *_ in _known(doc, facts)})


def _parameters(doc: Mapping[str, Any], path: str, op: Mapping[str, Any]) -> dict[tuple[str, str], Json]:
    """Effective parameters keyed by (in, name); header names fold case as HTTP does."""
    item = _deref(doc, (doc.get("paths") or {}).get(path)) or {}
    found: dict[tuple[str, str], Json] = {}
    for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
        p = _deref(doc, raw)
        if not isinstance(p, Mapping) or "name" not in p or "in" not in p:
            continue
        name = p["name"].lower() if p["in"] == "header" else p["name"]
        found[(p["in"], name)] = dict(p)
    return found


def _first_schema(content: Any) -> Any:
    """The schema of a content map, preferring JSON; None when there is no content or schema."""
    if not isinstance(content, Mapping) or not content:
        return None
    for media in ("application/json", *content):
        media_obj = content.get(media)
        if isinstance(media_obj, Mapping) and "schema" in media_obj:
            return media_obj["schema"]
    return None


def _response_schema(doc: Mapping[str, Any], response: Any) -> Any:
    response = _deref(doc, response)
    if not isinstance(response, Mapping):
        return None
    return _first_schema(response.get("content"))


def _enum_of(doc: Mapping[str, Any], schema: Any, depth: int = 0) -> frozenset[Any] | None:
    """Allowed values when a schema restricts them (enum/const, through $ref, anyOf, oneOf, allOf)."""
    schema = _deref(doc, schema)
    if not isinstance(schema, Mapping) or depth > 16:
        return None
    if "enum" in schema:
        return frozenset(v for v in schema["enum"] if v is not None)
    if "const" in schema:
        return frozenset([schema["const"]])
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            values: set[Any] = set()
            restricted = False
            for member in schema[key]:
                member_enum = _enum_of(doc, member, depth + 1)
                if member_enum is not None:
                    values |= member_enum
                    restricted = True
                elif _deref(doc, member) != {"type": "null"}:
                    return None  # an unrestricted alternative lifts the restriction
            if restricted:
                return frozenset(values)
    for member in schema.get("allOf") or []:
        member_enum = _enum_of(doc, member, depth + 1)
        if member_enum is not None:
            return member_enum
    return None


def _flatten(doc: Mapping[str, Any], schema: Any, depth: int = 0) -> tuple[Json, set[str]]:
    """Properties and required names of an object schema, with allOf members merged in."""
    schema = _deref(doc, schema)
    properties: Json = {}
    required: set[str] = set()
    if not isinstance(schema, Mapping) or depth > 16:
        return properties, required
    for member in schema.get("allOf") or []:
        member_props, member_required = _flatten(doc, member, depth + 1)
        properties.update(member_props)
        required |= member_required
    properties.update(schema.get("properties") or {})
    required |= set(schema.get("required") or [])
    return properties, required


def _constraint(doc: Mapping[str, Any], schema: Any, key: str) -> Any:
    """A keyword's value on a parameter schema, looking through $ref and a nullable anyOf."""
    schema = _deref(doc, schema)
    if not isinstance(schema, Mapping):
        return None
    if key in schema:
        return schema[key]
    for member in schema.get("anyOf") or schema.get("allOf") or []:
        value = _constraint(doc, member, key)
        if value is not None:
            return value
    return None


def check_operations_known(doc: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """Every operation has a contract operationId, once, at the contract's method and path."""
    problems: list[str] = []
    contract = facts["operations"]
    seen: dict[str, str] = {}
    for path, method, op in iter_operations(doc):
        op_id = op.get("operationId")
        where = f"{method} {path}"
        if not isinstance(op_id, str):
            problems.append(f"{where}: operationId: expected one of the contract's, found none")
            continue
        if op_id in seen:
            problems.append(f"{op_id}: operationId: expected once, found at {seen[op_id]} and {where}")
        seen[op_id] = where
        if op_id not in contract:
            problems.append(
                f"{op_id} ({where}): operationId: expected a contract operation, found unknown id"
            )
            continue
        expected = contract[op_id]
        if method != expected["method"]:
            problems.append(f"{op_id}: method: expected {expected['method']}, found {method}")
        if path != expected["path"]:
            problems.append(f"{op_id}: path: expected {expected['path']}, found {path}")
    return problems


def check_parameters(doc: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """Same parameter names, locations and required flags (api-version included; the body is separate)."""
    problems: list[str] = []
    for op_id, path, _method, op, expected in _known(doc, facts):
        found = _parameters(doc, path, op)
        wanted = {
            (p["in"], p["name"].lower() if p["in"] == "header" else p["name"]): p
            for p in expected["parameters"]
        }
        for key in sorted(wanted.keys() - found.keys()):
            problems.append(f"{op_id}: parameter {key[1]!r} in {key[0]}: expected present, found missing")
        for key in sorted(found.keys() - wanted.keys()):
            problems.append(f"{op_id}: parameter {key[1]!r} in {key[0]}: expected absent, found extra")
        for key in sorted(wanted.keys() & found.keys()):
            want_req = bool(wanted[key]["required"])
            got_req = bool(found[key].get("required", False))
            if want_req != got_req:
                problems.append(
                    f"{op_id}: parameter {key[1]!r} in {key[0]}: required: "
                    f"expected {want_req}, found {got_req}"
                )
    return problems


def check_parameter_constraints(doc: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """Where the contract gives type/pattern/minLength/maxLength for a parameter, the schema says the same."""
    problems: list[str] = []
    for op_id, path, _method, op, expected in _known(doc, facts):
        found = _parameters(doc, path, op)
        for want in expected["parameters"]:
            key = (want["in"], want["name"].lower() if want["in"] == "header" else want["name"])
            if key not in found:
                continue  # reported by check_parameters
            schema = found[key].get("schema")
            for keyword in CONSTRAINT_KEYS:
                if keyword in want:
                    got = _constraint(doc, schema, keyword)
                    if got != want[keyword]:
                        problems.append(
                            f"{op_id}: parameter {want['name']!r} in {want['in']}: {keyword}: "
                            f"expected {want[keyword]!r}, found {got!r}"
                        )
    return problems


def check_request_bodies(doc: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """requestBody present exactly when the contract has a body, required alike, same schema component."""
    problems: list[str] = []
    for op_id, _path, _method, op, expected in _known(doc, facts):
        body = _deref(doc, op.get("requestBody"))
        want = expected["body"]
        if want is None:
            if body is not None:
                problems.append(
                    f"{op_id}: requestBody: expected none, "
                    f"found {_describe(_first_schema(body.get('content')))}"
                )
            continue
        if not isinstance(body, Mapping):
            problems.append(f"{op_id}: requestBody: expected {want['schema']}, found none")
            continue
        got_name = _component_name(_first_schema(body.get("content")))
        if got_name != want["schema"]:
            problems.append(
                f"{op_id}: requestBody schema: expected {want['schema']}, "
                f"found {_describe(_first_schema(body.get('content')))}"
            )
        if bool(body.get("required", False)) != bool(want["required"]):
            problems.append(
                f"{op_id}: requestBody required: expected {want['required']}, "
                f"found {bool(body.get('required'))}"
            )
    return problems


def check_success_codes(doc: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """The set of 2xx codes equals the contract's."""
    problems: list[str] = []
    for op_id, _path, _method, op, expected in _known(doc, facts):
        got = sorted(str(code) for code in (op.get("responses") or {}) if str(code).startswith("2"))
        if got != sorted(expected["successCodes"]):
            problems.append(
                f"{op_id}: success codes: expected {sorted(expected['successCodes'])}, found {got}"
            )
    return problems


def check_response_schemas(doc: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """Each contract success code that the document has answers with the same schema component."""
    problems: list[str] = []
    for op_id, _path, _method, op, expected in _known(doc, facts):
        responses = op.get("responses") or {}
        for code in expected["successCodes"]:
            if code not in responses:
                continue  # reported by check_success_codes
            schema = _response_schema(doc, responses[code])
            want = expected["responses"][code]
            if _component_name(schema) != want:
                problems.append(
                    f"{op_id}: response {code} schema: expected {want or 'no schema'}, "
                    f"found {_describe(schema)}"
                )
    return problems


def check_default_errors(doc: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """Every operation has a ``default`` response whose schema is the contract's error component."""
    problems: list[str] = []
    components = (doc.get("components") or {}).get("schemas") or {}
    for op_id, _path, _method, op, expected in _known(doc, facts):
        want = expected["responses"].get("default")
        default = (op.get("responses") or {}).get("default")
        if default is None:
            problems.append(f"{op_id}: default response: expected {want}, found none")
            continue
        schema = _response_schema(doc, default)
        got = _component_name(schema)
        if got != want:
            problems.append(f"{op_id}: default response schema: expected {want}, found {_describe(schema)}")
        elif got not in components:
            problems.append(
                f"{op_id}: default response schema: expected component {want}, found no such component"
            )
    return problems


def check_body_schemas(doc: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """Request-body schemas: required = contract required minus read-only; every property; same enums."""
    problems: list[str] = []
    components = (doc.get("components") or {}).get("schemas") or {}
    names = sorted({e["body"]["schema"] for *_, e in _known(doc, facts) if e["body"] is not None})
    for name in names:
        if name not in components:
            problems.append(f"schema {name}: component: expected present, found missing")
            continue
        contract = facts["definitions"][name]
        properties, required = _flatten(doc, components[name])
        want_required = set(contract.get("required", [])) - set(contract.get("readOnly", []))
        if required != want_required:
            problems.append(
                f"schema {name}: required: expected {sorted(want_required)}, found {sorted(required)}"
                f" (missing {sorted(want_required - required)}, extra {sorted(required - want_required)})"
            )
        for prop, prop_fact in sorted(contract.get("properties", {}).items()):
            if prop not in properties:
                problems.append(f"schema {name}: property {prop!r}: expected present, found missing")
                continue
            want_enum = frozenset(prop_fact["enum"]) if "enum" in prop_fact else None
            got_enum = _enum_of(doc, properties[prop])
            if want_enum != got_enum:
                problems.append(
                    f"schema {name}: property {prop!r} enum: expected "
                    f"{sorted(want_enum) if want_enum is not None else 'none'}, "
                    f"found {sorted(got_enum, key=str) if got_enum is not None else 'none'}"
                )
    return problems


def check_no_validation_artifacts(doc: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """No FastAPI validation components and no 422 response anywhere (the service answers 400)."""
    del facts  # the rule does not depend on the contract
    problems: list[str] = []
    components = (doc.get("components") or {}).get("schemas") or {}
    for name in FORBIDDEN_COMPONENTS:
        if name in components:
            problems.append(f"components.schemas: expected no {name}, found one")
    for path, method, op in iter_operations(doc):
        if "422" in {str(code) for code in (op.get("responses") or {})}:
            problems.append(
                f"{op.get('operationId') or method + ' ' + path}: responses: expected no 422, found one"
            )
    return problems


def check_servers(doc: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """servers[0] is the real service's URL template, region defaulting to eastus."""
    del facts
    servers = doc.get("servers") or []
    if not servers or not isinstance(servers[0], Mapping):
        return [f"servers[0]: expected {SERVER_URL}, found none"]
    problems: list[str] = []
    first = servers[0]
    if first.get("url") != SERVER_URL:
        problems.append(f"servers[0].url: expected {SERVER_URL}, found {first.get('url')!r}")
    region = ((first.get("variables") or {}).get("region")) or {}
    if region.get("default") != SERVER_REGION_DEFAULT:
        problems.append(
            f"servers[0].variables.region.default: expected {SERVER_REGION_DEFAULT}, "
            f"found {region.get('default')!r}"
        )
    return problems


def _refs(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield where, value
            else:
                yield from _refs(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, f"{where}/{index}")


def check_refs_resolve(doc: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """Every local $ref points at something, so engines reading the file can follow it."""
    del facts
    return [
        f"{where}: $ref: expected a resolvable reference, found {ref!r}"
        for where, ref in _refs(doc, "#")
        if _pointer(doc, ref) is None
    ]


ALL_CHECKS = (
    check_operations_known,
    check_parameters,
    check_parameter_constraints,
    check_request_bodies,
    check_success_codes,
    check_response_schemas,
    check_default_errors,
    check_body_schemas,
    check_no_validation_artifacts,
    check_servers,
    check_refs_resolve,
)
