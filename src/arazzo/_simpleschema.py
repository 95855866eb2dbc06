"""A small, sound JSON Schema (2020-12) check for the simple schemas workflow inputs usually have, so that a
run does not import jsonschema (about 50 ms of start-up) when its inputs are plainly valid. It answers True
only when jsonschema would accept the instance; anything it does not fully understand gives None, and any
doubt (False) also goes to jsonschema, which then produces the real messages."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

__all__ = ["surely_valid"]

MAX_DEPTH = 32
# Keywords that only annotate: jsonschema ignores them when validating.
_ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly", "$comment"}
)
_ASSERTIONS = frozenset(
    {
        "type",
        "properties",
        "required",
        "enum",
        "const",
        "items",
        "additionalProperties",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "format",
    }
)
_TYPES = frozenset({"null", "boolean", "object", "array", "number", "integer", "string"})
_UNCHECKED_FORMATS = frozenset({"password"})  # formats jsonschema has no checker for


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _has_type(v: Any, t: str) -> bool:
    if t == "null":
        return v is None
    if t == "boolean":
        return isinstance(v, bool)
    if t == "object":
        return isinstance(v, dict)
    if t == "array":
        return isinstance(v, list)
    if t == "number":
        return _is_number(v)
    if t == "integer":
        return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    return isinstance(v, str)


def _equal(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema sees it: booleans are not numbers, 1 == 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def surely_valid(instance: Any, schema: Any, depth: int = 0) -> bool | None:
    """True: valid for sure. False: invalid (or probably). None: this checker cannot tell."""
    if depth > MAX_DEPTH:
        return None
    if schema is True or (isinstance(schema, Mapping) and not schema):
        return True
    if not isinstance(schema, Mapping):
        return None
    for key in schema:
        if key not in _ASSERTIONS and key not in _ANNOTATIONS:
            return None
    result: bool | None = True

    def merge(r: bool | None) -> None:
        nonlocal result
        if r is False:
            result = False
        elif r is None and result is True:
            result = None

    t = schema.get("type")
    if t is not None:
        types = [t] if isinstance(t, str) else t
        if not isinstance(types, list) or not types or any(not isinstance(x, str) or x not in _TYPES for x in types):
            return None
        if not any(_has_type(instance, x) for x in types):
            return False
    if "enum" in schema:
        if not isinstance(schema["enum"], list):
            return None
        if not any(_equal(instance, e) for e in schema["enum"]):
            return False
    if "const" in schema and not _equal(instance, schema["const"]):
        return False
    fmt = schema.get("format")
    if fmt is not None and not isinstance(fmt, str):
        return None
    if fmt is not None:
        if fmt in ("int32", "int64") and isinstance(instance, int) and not isinstance(instance, bool):
            bits = 31 if fmt == "int32" else 63
            if not -(2**bits) <= instance < 2**bits:
                return False
        elif fmt not in _UNCHECKED_FORMATS and fmt not in ("int32", "int64"):
            return None
    if _is_number(instance):
        for key, ok in (
            ("minimum", operator.ge),
            ("maximum", operator.le),
            ("exclusiveMinimum", operator.gt),
            ("exclusiveMaximum", operator.lt),
        ):
            if key in schema:
                bound = schema[key]
                if not _is_number(bound):
                    return None
                if not ok(instance, bound):
                    return False
    if isinstance(instance, str):
        for key, ok_len in (("minLength", operator.ge), ("maxLength", operator.le)):
            if key in schema:
                if not isinstance(schema[key], int) or isinstance(schema[key], bool):
                    return None
                if not ok_len(len(instance), schema[key]):
                    return False
    if isinstance(instance, list):
        for key, ok_len in (("minItems", operator.ge), ("maxItems", operator.le)):
            if key in schema:
                if not isinstance(schema[key], int) or isinstance(schema[key], bool):
                    return None
                if not ok_len(len(instance), schema[key]):
                    return False
        if "items" in schema:
            for item in instance:
                merge(surely_valid(item, schema["items"], depth + 1))
                if result is False:
                    return False
    if isinstance(instance, dict):
        required = schema.get("required", [])
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        if not isinstance(required, list) or not isinstance(props, Mapping):
            return None
        if any(not isinstance(r, str) for r in required):
            return None
        if any(r not in instance for r in required):
            return False
        for name, value in instance.items():
            if name in props:
                merge(surely_valid(value, props[name], depth + 1))
            else:
                merge(surely_valid(value, extra, depth + 1) if extra is not False else False)
            if result is False:
                return False
    return result
