"""Pieces of the generated description that routes share: request bodies and response tables."""

from __future__ import annotations

from typing import Any

from ._schemas import ErrorResponse

__all__ = ["DEFAULT_ERROR", "body", "responses"]

DEFAULT_ERROR: dict[str, Any] = {
    "model": ErrorResponse,
    "description": "An unexpected error response.",
    "headers": {
        "x-ms-error-code": {
            "description": "String error code indicating what went wrong.",
            "schema": {"type": "string"},
        }
    },
}


def body(schema: str, name: str, media_type: str = "application/json") -> dict[str, Any]:
    """`openapi_extra` for a required JSON body that handlers parse themselves (exact echo, 400 not 422)."""
    return {
        "requestBody": {
            "required": True,
            "content": {media_type: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        },
        "x-ms-requestBody-name": name,
    }


def responses(*codes: int, model: Any = None, description: str = "The request has succeeded.") -> dict[int | str, Any]:
    table: dict[int | str, Any] = {}
    for code in codes:
        entry: dict[str, Any] = {"description": description}
        if model is not None:
            entry["model"] = model
        table[code] = entry
    table["default"] = DEFAULT_ERROR
    return table
