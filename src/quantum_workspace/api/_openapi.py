"""The data plane's OpenAPI 3.1 description, generated from the app's routes and models and then shaped
to the contract's names: Azure error component names, no framework validation artifacts, the real
service's server template and security schemes. Deterministic, so a test can detect drift."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from . import _schemas

__all__ = ["contract_openapi", "render_openapi"]

#: FastAPI component name -> the contract's name.
RENAMES = {
    "ErrorResponse": "Azure.Core.Foundations.ErrorResponse",
    "Error": "Azure.Core.Foundations.Error",
    "InnerError": "Azure.Core.Foundations.InnerError",
    "WorkspaceItemError": "Errors.WorkspaceItemError",
}
_DROP_COMPONENTS = ("HTTPValidationError", "ValidationError")
_PREFIX = "#/components/schemas/"
SERVERS = [
    {
        "url": "https://{region}.quantum.azure.com",
        "description": "The Azure Quantum data plane; point `servers` (or the Arazzo engine's --server) "
        "at a local "
        "quantum-workspace instead, e.g. http://127.0.0.1:8080.",
        "variables": {"region": {"default": "eastus", "description": "The workspace's Azure region."}},
    }
]
SECURITY_SCHEMES = {
    "AzureEntraAuth": {
        "type": "oauth2",
        "description": "Microsoft Entra ID bearer token for https://quantum.microsoft.com (a local "
        "quantum-workspace accepts `quantum-workspace token`).",
        "flows": {
            "clientCredentials": {
                "tokenUrl": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                "scopes": {"https://quantum.microsoft.com/.default": "Access the Azure Quantum data plane."},
            }
        },
    },
    "AzureApiKeyAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "x-ms-quantum-api-key",
        "description": "A workspace access key.",
    },
}
SECURITY = [{"AzureEntraAuth": ["https://quantum.microsoft.com/.default"]}, {"AzureApiKeyAuth": []}]


def _clean_schema(node: Any) -> Any:
    """Drop pydantic's noise (titles, null defaults) and collapse `anyOf [X, null]` to X: responses never
    carry null members, so the contract's non-nullable types are the truth."""
    if isinstance(node, list):
        return [_clean_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node and isinstance(node["$ref"], str):
        name = node["$ref"].removeprefix(_PREFIX)
        node = dict(node, **{"$ref": _PREFIX + RENAMES.get(name, name)})
    members = node.get("anyOf")
    if isinstance(members, list):
        kept = [m for m in members if m != {"type": "null"}]
        if len(kept) == 1 and len(kept) < len(members):
            merged = {k: v for k, v in node.items() if k != "anyOf"} | kept[0]
            return _clean_schema(merged)
    cleaned = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "default" and value is None:
            continue
        if key == "additionalProperties" and value is True and node.get("type") == "object" and "properties" in node:
            continue
        cleaned[key] = value if key in ("example", "examples", "enum", "const") else _clean_schema(value)
    return cleaned


def _add_body_components(doc: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Request bodies are declared by component name (handlers parse them); add the ones no response uses."""
    wanted = set()
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "")
                if ref.startswith(_PREFIX):
                    wanted.add(ref.removeprefix(_PREFIX))
    for name in sorted(wanted - schemas.keys()):
        model = getattr(_schemas, name)
        schema = model.model_json_schema(ref_template=_PREFIX + "{model}", mode="serialization")
        for def_name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(def_name, definition)
        schemas[name] = schema


def contract_openapi(app: FastAPI) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(app.openapi()))
    doc["openapi"] = "3.1.0"
    doc["info"] = {
        "title": "Azure Quantum workspace data plane (as served by quantum-workspace)",
        "version": doc.get("info", {}).get("version", ""),
        "description": "Generated from the quantum-workspace service's routes and models by "
        "scripts/gen_openapi.py; operation ids, paths, parameters, schema names and status codes "
        "follow the Azure Quantum data-plane contract.",
    }
    doc["servers"] = SERVERS
    doc["security"] = SECURITY
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            operation.pop("summary", None)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    _add_body_components(doc, schemas)
    for name in _DROP_COMPONENTS:
        schemas.pop(name, None)
    doc["components"]["schemas"] = {RENAMES.get(name, name): schema for name, schema in schemas.items()}
    doc["components"]["securitySchemes"] = SECURITY_SCHEMES
    cleaned: dict[str, Any] = _clean_schema(doc)
    return cleaned


def render_openapi(app: FastAPI) -> str:
    """Stable text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(contract_openapi(app), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
