"""Request payloads as written in a step, against the operation's request schema (for `arazzo validate`):
missing required members (read-only ones are never required), literal values of the wrong type or outside an
enum, unknown members of closed objects, `$inputs` values whose declared type cannot fit, and read-only
members sent (notes). Also the small JSON-type helpers the validator shares."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Protocol

from ._errors import ArazzoError, ExpressionSyntaxError
from ._expressions import Expr, InputsExpr, parse_expression, parse_template
from ._inputs import input_schema_for
from ._model import ArazzoDocument, Step, Workflow
from ._openapi import Operation
from ._text import JsonPath
from ._values import MISSING

__all__ = ["PayloadChecker", "Report", "accepts", "classify", "json_type", "same", "schema_types", "suggest"]

MAX_DEPTH = 32


class Report(Protocol):
    """report(severity, code, message, path, key=False): one positioned finding."""

    def __call__(self, severity: str, code: str, message: str, path: JsonPath, key: bool = False) -> None: ...


def suggest(name: str, candidates: Any) -> str:
    close = difflib.get_close_matches(name, sorted(str(c) for c in candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def classify(value: Any) -> tuple[str, Any]:
    """("expr", Expr) for a value that is one expression, ("template", None) for a string with embedded
    expressions and other text, else ("literal", value)."""
    if isinstance(value, str):
        if value.startswith("$"):
            try:
                return "expr", parse_expression(value)
            except ExpressionSyntaxError:
                pass
        if "{$" in value:
            template, _ = parse_template(value)
            if template is not None:
                if len(template.parts) == 1 and isinstance(template.parts[0], Expr):
                    return "expr", template.parts[0]
                return "template", None
    return "literal", value


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def accepts(types: set[str], actual: str) -> bool:
    return actual in types or (actual == "integer" and "number" in types)


def schema_types(parts: list[Mapping[str, Any]]) -> set[str] | None:
    """The JSON types a (merged) schema allows, or None when it does not say."""
    found: set[str] | None = None
    for p in parts:
        t = p.get("type")
        types = {t} if isinstance(t, str) else {x for x in t if isinstance(x, str)} if isinstance(t, list) else None
        if types is None:
            continue
        if p.get("nullable") is True:
            types.add("null")
        found = types if found is None else found & types
    return found


def same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b or (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )


class PayloadChecker:
    """A request payload as written, against the operation's request schema: missing required members
    (read-only ones are never required), members of the wrong type, values outside an enum. Values that
    are runtime expressions are checked by the declared type of the input they read, when there is one."""

    def __init__(
        self,
        report: Report,
        doc: ArazzoDocument,
        wf: Workflow,
        step: Step,
        op: Operation,
        targets: set[tuple[str, ...]],
    ) -> None:
        self.report = report
        self.doc = doc
        self.wf = wf
        self.step = step
        self.op = op
        self.targets = targets
        self.prefix = f"step {step.step_id!r}: request body of {op.label}"

    def merged(
        self, schema: Any, base: str, depth: int, seen: set[int] | None = None
    ) -> tuple[list[Mapping[str, Any]], str]:
        """The schema and its allOf members, $refs followed; a sibling `readOnly` next to `$ref` is kept.
        Each schema is taken once (`seen`): allOf members that share their own members, level after level,
        would otherwise be expanded 2^levels times."""
        seen = set() if seen is None else seen
        try:
            resolved, new_base = self.op.description.resolver.follow(schema, base)
        except ArazzoError:
            return [], base
        if not isinstance(resolved, Mapping) or depth > MAX_DEPTH or id(resolved) in seen:
            return [], base
        seen.add(id(resolved))
        out: list[Mapping[str, Any]] = [resolved]
        if isinstance(schema, Mapping) and schema is not resolved and "$ref" in schema:
            out.insert(0, {k: v for k, v in schema.items() if k != "$ref"})
        all_of = resolved.get("allOf")
        for part in all_of if isinstance(all_of, list) else []:
            more, _ = self.merged(part, new_base, depth + 1, seen)
            out.extend(more)
        return out, new_base

    @staticmethod
    def field_name(fields: tuple[str, ...]) -> str:
        return ".".join(fields) if fields else "(the body)"

    def check(
        self, schema: Any, base: str, value: Any, path: JsonPath, fields: tuple[str, ...], depth: int = 0
    ) -> None:
        if depth > MAX_DEPTH or value is MISSING:
            return
        parts, base = self.merged(schema, base, depth)
        if not parts:
            return
        kind, detail = classify(value)
        types = schema_types(parts)
        name = self.field_name(fields)
        if kind == "expr":
            self.check_expression(detail, types, path, name)
            return
        actual = "string" if kind == "template" else json_type(value)
        if types is not None and not accepts(types, actual):
            self.report(
                "error",
                "wrong-type",
                f"{self.prefix}: field {name!r} must be {' or '.join(sorted(types))}, not {actual}",
                path,
            )
            return
        if kind == "literal":
            for p in parts:
                enum = p.get("enum")
                if isinstance(enum, list) and not any(same(value, e) for e in enum):
                    shown = ", ".join(repr(e) for e in enum[:10]) + (", ..." if len(enum) > 10 else "")
                    self.report(
                        "error",
                        "not-in-enum",
                        f"{self.prefix}: field {name!r} is {value!r}, not one of {shown}",
                        path,
                    )
                    return
        if isinstance(value, Mapping):
            self.check_object(parts, base, value, path, fields, depth)
        elif isinstance(value, list):
            items = next((p["items"] for p in parts if "items" in p), None)
            if items is not None:
                for i, item in enumerate(value):
                    if (*fields, str(i)) not in self.targets:
                        self.check(items, base, item, (*path, i), (*fields, str(i)), depth + 1)

    def check_expression(self, expr: Expr, types: set[str] | None, path: JsonPath, name: str) -> None:
        if types is None or not isinstance(expr, InputsExpr) or expr.pointer is not None or len(expr.parts) != 1:
            return
        declared = schema_types(
            [s] if (s := input_schema_for(self.doc, self.wf, expr.parts[0])) is not None else []
        )
        if declared and not any(accepts(types, t) for t in declared):
            self.report(
                "warning",
                "input-type",
                f"{self.prefix}: field {name!r} must be {' or '.join(sorted(types))}, but {expr.text} is "
                f"declared as {' or '.join(sorted(declared))}",
                path,
            )

    def check_object(
        self,
        parts: list[Mapping[str, Any]],
        base: str,
        value: Mapping[str, Any],
        path: JsonPath,
        fields: tuple[str, ...],
        depth: int,
    ) -> None:
        props: dict[str, Any] = {}
        required: list[str] = []
        closed = False
        extra: Any = None
        for p in parts:
            if isinstance(p.get("properties"), Mapping):
                for k, v in p["properties"].items():
                    props.setdefault(str(k), v)
            if isinstance(p.get("required"), list):
                required.extend(r for r in p["required"] if isinstance(r, str))
            ap = p.get("additionalProperties")
            if ap is False:
                closed = True
            elif isinstance(ap, Mapping) and extra is None:
                extra = ap
            if any(k in p for k in ("oneOf", "anyOf", "patternProperties")):
                closed = False
                extra = extra or {}
        for member in dict.fromkeys(required):
            if member in value or (*fields, member) in self.targets:
                continue
            if self.read_only(props.get(member), base, depth):
                continue
            self.report(
                "error",
                "missing-required-field",
                f"{self.prefix} is missing the required field {self.field_name((*fields, member))!r}",
                path,
            )
        for member, member_value in value.items():
            member_path: JsonPath = (*path, member)
            here = (*fields, str(member))
            if here in self.targets:
                continue
            if member in props:
                if self.read_only(props[member], base, depth):
                    self.report(
                        "info",
                        "read-only-field",
                        f"{self.prefix}: field {self.field_name(here)!r} is read-only; the server ignores it",
                        member_path,
                        key=True,
                    )
                    continue
                self.check(props[member], base, member_value, member_path, here, depth + 1)
            elif closed:
                self.report(
                    "warning",
                    "unknown-field",
                    f"{self.prefix} has no field {self.field_name(here)!r}{suggest(str(member), props)}",
                    member_path,
                    key=True,
                )
            elif extra:
                self.check(extra, base, member_value, member_path, here, depth + 1)

    def read_only(self, schema: Any, base: str, depth: int) -> bool:
        if schema is None:
            return False
        parts, _ = self.merged(schema, base, depth + 1)
        return any(p.get("readOnly") is True for p in parts)
