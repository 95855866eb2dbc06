"""Request payloads checked against the operation's schema: missing required members become warnings
(the request is still sent). Read-only members are never required in a request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._openapi import Operation

__all__ = ["missing_required"]

MAX_DEPTH = 24


def _merged(
    schema: Any, op: Operation, base: str, depth: int, seen: set[int] | None = None
) -> tuple[list[Mapping[str, Any]], str]:
    """The schema and its allOf members with $refs followed, each once (see PayloadChecker.merged)."""
    seen = set() if seen is None else seen
    try:
        schema, base = op.description.resolver.follow(schema, base)
    except Exception:  # noqa: BLE001 - an unresolvable schema cannot produce warnings
        return [], base
    if not isinstance(schema, Mapping) or depth > MAX_DEPTH or id(schema) in seen:
        return [], base
    seen.add(id(schema))
    out = [schema]
    all_of = schema.get("allOf")
    for part in all_of if isinstance(all_of, list) else []:
        more, _ = _merged(part, op, base, depth + 1, seen)
        out.extend(more)
    return out, base


def missing_required(op: Operation, value: Any) -> list[str]:
    """Paths like `/name` or `/inputParams/shots` of required members absent from a request payload."""
    if op.body_schema is None:
        return []
    found: list[str] = []
    _walk(op, op.body_schema, op.description.uri, value, "", 0, found)
    return found


def _walk(op: Operation, schema: Any, base: str, value: Any, path: str, depth: int, found: list[str]) -> None:
    if depth > MAX_DEPTH:
        return
    parts, base = _merged(schema, op, base, depth)
    if isinstance(value, Mapping):
        props: dict[str, Any] = {}
        required: list[str] = []
        for p in parts:
            if isinstance(p.get("properties"), Mapping):
                for k, v in p["properties"].items():
                    props.setdefault(k, v)
            if isinstance(p.get("required"), list):
                required.extend(r for r in p["required"] if isinstance(r, str))
        for name in dict.fromkeys(required):
            if name in value:
                continue
            sub, _ = _merged(props.get(name, {}), op, base, depth + 1)
            if any(s.get("readOnly") is True for s in sub):
                continue
            found.append(f"{path}/{name}")
        for name, sub in props.items():
            if name in value:
                _walk(op, sub, base, value[name], f"{path}/{name}", depth + 1, found)
    elif isinstance(value, list):
        for p in parts:
            if "items" in p:
                for i, item in enumerate(value):
                    _walk(op, p["items"], base, item, f"{path}/{i}", depth + 1, found)
                break
