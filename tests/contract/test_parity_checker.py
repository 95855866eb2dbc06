"""The parity checks themselves, run on a small hand-written OpenAPI 3.1 document.

A conforming document must pass every check, and each kind of drift must be reported with the
operation, the field, and what was expected versus found — otherwise test_parity.py could pass
while the service drifts from the contract.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from . import _parity

BASE = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
    "/providers/Microsoft.Quantum/workspaces/{workspaceName}"
)
SESSION_PATH = BASE + "/sessions/{sessionId}"
SAS_PATH = BASE + "/storage/sasUri"
UUID = "^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _common_params() -> list[dict[str, Any]]:
    return [
        {
            "name": "subscriptionId",
            "in": "path",
            "required": True,
            "schema": {
                "type": "string",
                "minLength": 36,
                "maxLength": 36,
                "pattern": "^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$",
            },
        },
        {
            "name": "resourceGroupName",
            "in": "path",
            "required": True,
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": 90,
                "pattern": "^[a-zA-Z][a-zA-Z0-9\\-_\\.]*$",
            },
        },
        {
            "name": "workspaceName",
            "in": "path",
            "required": True,
            "schema": {
                "type": "string",
                "minLength": 2,
                "maxLength": 50,
                "pattern": "^[a-zA-Z][a-zA-Z0-9\\-_]*$",
            },
        },
        {
            "name": "api-version",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "minLength": 1},
        },
    ]


def _errors() -> dict[str, Any]:
    return {"description": "An error", "content": _json(_ref("Azure.Core.Foundations.ErrorResponse"))}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def conforming_doc() -> dict[str, Any]:
    """What a correct generator could emit for three operations (pydantic-style nullable members)."""
    session_id = {
        "name": "sessionId",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "maxLength": 36, "pattern": UUID},
    }
    item_common: dict[str, Any] = {
        "id": {"type": "string", "maxLength": 36, "pattern": UUID, "readOnly": True},
        "name": {"type": "string"},
        "providerId": {"type": "string"},
        "target": {"type": "string"},
        "itemType": _ref("ItemType"),
        "creationTime": _nullable({"type": "string", "format": "date-time"}),
        "createdBy": _nullable({"type": "string"}),
        "createdByType": _nullable(_ref("CreatedByType")),
        "lastModifiedTime": _nullable({"type": "string", "format": "date-time"}),
        "lastModifiedBy": _nullable({"type": "string"}),
        "lastModifiedByType": _nullable(_ref("CreatedByType")),
        "lastUpdatedTime": _nullable({"type": "string", "format": "date-time"}),
        "beginExecutionTime": _nullable({"type": "string", "format": "date-time"}),
        "endExecutionTime": _nullable({"type": "string", "format": "date-time"}),
        "costEstimate": _nullable({"type": "object"}),
        "errorData": _nullable({"type": "object"}),
        "priority": _nullable(_ref("Priority")),
        "tags": _nullable({"type": "array", "items": {"type": "string"}}),
        "usage": _nullable({"type": "object", "additionalProperties": {"type": "number"}}),
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Azure Quantum data plane (local)", "version": "2026-01-15-preview"},
        "servers": [
            {"url": "https://{region}.quantum.azure.com", "variables": {"region": {"default": "eastus"}}}
        ],
        "paths": {
            SESSION_PATH: {
                "put": {
                    "operationId": "Sessions_Open",
                    "parameters": [*_common_params(), session_id],
                    "requestBody": {"required": True, "content": _json(_ref("SessionDetails"))},
                    "responses": {
                        "200": {"description": "ok", "content": _json(_ref("SessionDetails"))},
                        "201": {"description": "made", "content": _json(_ref("SessionDetails"))},
                        "default": _errors(),
                    },
                },
                "get": {
                    "operationId": "Sessions_Get",
                    "parameters": [*_common_params(), session_id],
                    "responses": {
                        "200": {"description": "ok", "content": _json(_ref("SessionDetails"))},
                        "default": _errors(),
                    },
                },
            },
            SAS_PATH: {
                "post": {
                    "operationId": "Storage_GetSasUri",
                    "parameters": _common_params(),
                    "requestBody": {"required": True, "content": _json(_ref("BlobDetails"))},
                    "responses": {
                        "200": {"description": "ok", "content": _json(_ref("SasUriResponse"))},
                        "default": _errors(),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "SessionDetails": {
                    "type": "object",
                    "properties": {
                        **item_common,
                        "jobFailurePolicy": _ref("SessionJobFailurePolicy"),
                        "status": _nullable(_ref("SessionStatus")),
                    },
                    "required": ["name", "providerId", "target", "itemType", "jobFailurePolicy"],
                },
                "BlobDetails": {
                    "type": "object",
                    "properties": {
                        "containerName": {"type": "string"},
                        "blobName": _nullable({"type": "string"}),
                    },
                    "required": ["containerName"],
                },
                "SasUriResponse": {
                    "type": "object",
                    "properties": {"sasUri": {"type": "string"}},
                    "required": ["sasUri"],
                },
                "ItemType": {"type": "string", "enum": ["Job", "Session"]},
                "CreatedByType": {
                    "type": "string",
                    "enum": ["User", "Application", "ManagedIdentity", "Key"],
                },
                "Priority": {"type": "string", "enum": ["Standard", "High"]},
                "SessionJobFailurePolicy": {"type": "string", "enum": ["Abort", "Continue"]},
                "SessionStatus": {
                    "type": "string",
                    "enum": ["Waiting", "Executing", "Succeeded", "Failed", "Failure(s)", "TimedOut"],
                },
                "Azure.Core.Foundations.ErrorResponse": {
                    "type": "object",
                    "properties": {"error": {"type": "object"}},
                    "required": ["error"],
                },
            }
        },
    }


def _all_problems(doc: dict[str, Any], facts: dict[str, Any]) -> list[str]:
    return [problem for check in _parity.ALL_CHECKS for problem in check(doc, facts)]


def test_conforming_document_passes_every_check(facts: dict[str, Any]) -> None:
    assert _all_problems(conforming_doc(), facts) == []
    assert _parity.implemented_operations(conforming_doc(), facts) == [
        "Sessions_Get",
        "Sessions_Open",
        "Storage_GetSasUri",
    ]


Mutation = Callable[[dict[str, Any]], None]


def _open(doc: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = doc["paths"][SESSION_PATH]["put"]
    return op


def _param(op: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in op["parameters"] if p["name"] == name)


def _set_server_url(doc: dict[str, Any]) -> None:
    doc["servers"] = [{"url": "http://localhost:8000"}]


def _add_validation_error(doc: dict[str, Any]) -> None:
    doc["components"]["schemas"]["HTTPValidationError"] = {"type": "object"}
    _open(doc)["responses"]["422"] = {
        "description": "Validation Error",
        "content": _json(_ref("HTTPValidationError")),
    }


CASES: list[tuple[str, Mutation, str]] = [
    (
        "unknown operationId",
        lambda d: _open(d).update(operationId="Sessions_Create"),
        "Sessions_Create (PUT "
        + SESSION_PATH
        + "): operationId: expected a contract operation, found unknown id",
    ),
    (
        "wrong method",
        lambda d: d["paths"][SESSION_PATH].update(post=d["paths"][SESSION_PATH].pop("put")),
        "Sessions_Open: method: expected PUT, found POST",
    ),
    (
        "wrong path",
        lambda d: d["paths"].update({SESSION_PATH + "/open": d["paths"].pop(SESSION_PATH)}),
        "Sessions_Open: path: expected " + SESSION_PATH + ", found " + SESSION_PATH + "/open",
    ),
    (
        "missing api-version",
        lambda d: _open(d)["parameters"].remove(_param(_open(d), "api-version")),
        "Sessions_Open: parameter 'api-version' in query: expected present, found missing",
    ),
    (
        "api-version optional",
        lambda d: _param(_open(d), "api-version").update(required=False),
        "Sessions_Open: parameter 'api-version' in query: required: expected True, found False",
    ),
    (
        "extra header",
        lambda d: _open(d)["parameters"].append(
            {"name": "x-ms-quantum-api-key", "in": "header", "required": False, "schema": {"type": "string"}}
        ),
        "Sessions_Open: parameter 'x-ms-quantum-api-key' in header: expected absent, found extra",
    ),
    (
        "path id in query",
        lambda d: _param(_open(d), "sessionId").update({"in": "query"}),
        "Sessions_Open: parameter 'sessionId' in path: expected present, found missing",
    ),
    (
        "pattern dropped",
        lambda d: _param(_open(d), "sessionId")["schema"].pop("pattern"),
        f"Sessions_Open: parameter 'sessionId' in path: pattern: expected {UUID!r}, found None",
    ),
    (
        "body schema renamed",
        lambda d: _open(d)["requestBody"].update(content=_json(_ref("SessionDetails-Input"))),
        "Sessions_Open: requestBody schema: expected SessionDetails, found SessionDetails-Input",
    ),
    (
        "body optional",
        lambda d: _open(d)["requestBody"].update(required=False),
        "Sessions_Open: requestBody required: expected True, found False",
    ),
    (
        "body on a GET",
        lambda d: d["paths"][SESSION_PATH]["get"].update(
            requestBody={"content": _json(_ref("SessionDetails"))}
        ),
        "Sessions_Get: requestBody: expected none, found SessionDetails",
    ),
    (
        "201 missing",
        lambda d: _open(d)["responses"].pop("201"),
        "Sessions_Open: success codes: expected ['200', '201'], found ['200']",
    ),
    (
        "inline response",
        lambda d: _open(d)["responses"]["200"].update(content=_json({})),
        "Sessions_Open: response 200 schema: expected SessionDetails, found inline schema {}",
    ),
    (
        "no default",
        lambda d: _open(d)["responses"].pop("default"),
        "Sessions_Open: default response: expected Azure.Core.Foundations.ErrorResponse, found none",
    ),
    (
        "default renamed",
        lambda d: _open(d)["responses"].update(
            default={"description": "e", "content": _json(_ref("ErrorResponse"))}
        ),
        "Sessions_Open: default response schema: "
        "expected Azure.Core.Foundations.ErrorResponse, found ErrorResponse",
    ),
    (
        "id required",
        lambda d: d["components"]["schemas"]["SessionDetails"]["required"].append("id"),
        "schema SessionDetails: required: "
        "expected ['itemType', 'jobFailurePolicy', 'name', 'providerId', 'target'], "
        "found ['id', 'itemType', 'jobFailurePolicy', 'name', 'providerId', 'target'] "
        "(missing [], extra ['id'])",
    ),
    (
        "property missing",
        lambda d: d["components"]["schemas"]["SessionDetails"]["properties"].pop("tags"),
        "schema SessionDetails: property 'tags': expected present, found missing",
    ),
    (
        "enum narrowed",
        lambda d: d["components"]["schemas"]["SessionDetails"]["properties"].update(
            itemType={"const": "Session", "type": "string"}
        ),
        "schema SessionDetails: property 'itemType' enum: expected ['Job', 'Session'], found ['Session']",
    ),
    (
        "enum lost",
        lambda d: d["components"]["schemas"]["SessionDetails"]["properties"].update(
            jobFailurePolicy=_nullable({"type": "string"})
        ),
        "schema SessionDetails: property 'jobFailurePolicy' enum: expected ['Abort', 'Continue'], found none",
    ),
    (
        "validation artifacts",
        _add_validation_error,
        "components.schemas: expected no HTTPValidationError, found one",
    ),
    (
        "local server",
        _set_server_url,
        "servers[0].url: expected https://{region}.quantum.azure.com, found 'http://localhost:8000'",
    ),
    (
        "dangling ref",
        lambda d: d["components"]["schemas"].pop("Priority"),
        "#/components/schemas/SessionDetails/properties/priority/anyOf/0: $ref: "
        "expected a resolvable reference, "
        "found '#/components/schemas/Priority'",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_drift_is_reported_precisely(mutate: Mutation, expected: str, facts: dict[str, Any]) -> None:
    doc = copy.deepcopy(conforming_doc())
    mutate(doc)
    problems = _all_problems(doc, facts)
    assert expected in problems, "\n".join(problems)


def test_422_anywhere_is_reported(facts: dict[str, Any]) -> None:
    doc = conforming_doc()
    _add_validation_error(doc)
    assert "Sessions_Open: responses: expected no 422, found one" in _all_problems(doc, facts)


def test_region_default_is_checked(facts: dict[str, Any]) -> None:
    doc = conforming_doc()
    doc["servers"][0]["variables"]["region"]["default"] = "westus"
    assert _parity.check_servers(doc, facts) == [
        "servers[0].variables.region.default: expected eastus, found 'westus'"
    ]
