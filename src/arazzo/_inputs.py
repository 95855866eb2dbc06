"""Workflow inputs: defaults applied, validated against the workflow's JSON Schema (draft 2020-12) before
any request; command-line text converted by the schema's types; `format: password` values found."""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from ._errors import InputError
from ._model import ArazzoDocument, Workflow
from ._simpleschema import surely_valid
from ._values import MISSING, parse_pointer, pointer_get

__all__ = ["prepare_inputs", "convert_text", "secret_values", "input_schema_for", "declared_input_names"]

_DOC_URI = "urn:arazzo:document"
MAX_SCHEMA_DEPTH = 32


def _deref(schema: Any, doc: ArazzoDocument) -> Any:
    """Follow local `$ref`s (`#/components/inputs/x`) against the Arazzo document."""
    hops = 0
    while (
        isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#")
    ):
        hops += 1
        if hops > MAX_SCHEMA_DEPTH:
            return {}
        try:
            target = pointer_get(doc.parsed.value, parse_pointer(schema["$ref"][1:]))
        except ValueError:
            return {}
        if target is MISSING:
            return {}
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **extra} if extra and isinstance(target, Mapping) else target
    return schema


#: allOf levels followed: a $ref cycle through allOf would otherwise never end.
_MAX_ALLOF_DEPTH = 24


def _subschemas(
    schema: Any, doc: ArazzoDocument, depth: int = 0, seen: set[int] | None = None
) -> list[Mapping[str, Any]]:
    """The schema and its allOf members, each once (shared members would be expanded 2^levels times)."""
    seen = set() if seen is None else seen
    schema = _deref(schema, doc)
    if not isinstance(schema, Mapping) or depth > _MAX_ALLOF_DEPTH or id(schema) in seen:
        return []
    seen.add(id(schema))
    out = [schema]
    all_of = schema.get("allOf")
    for part in all_of if isinstance(all_of, list) else []:
        out.extend(_subschemas(part, doc, depth + 1, seen))
    return out


def input_schema_for(doc: ArazzoDocument, wf: Workflow, name: str) -> Mapping[str, Any] | None:
    """The schema of one top-level input, if declared."""
    for s in _subschemas(wf.inputs, doc):
        props = s.get("properties")
        if isinstance(props, Mapping) and name in props:
            prop = _deref(props[name], doc)
            return prop if isinstance(prop, Mapping) else None
    return None


def declared_input_names(doc: ArazzoDocument, wf: Workflow) -> set[str] | None:
    """Top-level input names the workflow declares; None when its schema accepts other names too."""
    if wf.inputs is None:
        return set()
    names: set[str] = set()
    listed = False
    for s in _subschemas(wf.inputs, doc):
        if isinstance(s.get("properties"), Mapping):
            listed = True
            names |= {str(k) for k in s["properties"]}
        if s.get("additionalProperties") not in (None, False) or s.get("patternProperties"):
            return None
    return names if listed else None


def _apply_defaults(instance: Any, schema: Any, doc: ArazzoDocument, depth: int = 0) -> None:
    if depth > MAX_SCHEMA_DEPTH or not isinstance(instance, dict):
        return
    for s in _subschemas(schema, doc):
        props = s.get("properties")
        if not isinstance(props, Mapping):
            continue
        for name, sub in props.items():
            sub_r = _deref(sub, doc)
            if name not in instance and isinstance(sub_r, Mapping) and "default" in sub_r:
                instance[name] = copy.deepcopy(sub_r["default"])
            if name in instance:
                _apply_defaults(instance[name], sub_r, doc, depth + 1)


_VALIDATORS: OrderedDict[tuple[int, str], tuple[ArazzoDocument, Any]] = OrderedDict()
_VALIDATOR_CACHE_SIZE = 256
_CHECKER: Any = None


def _validator(doc: ArazzoDocument, wf: Workflow) -> Any:
    """The compiled validator of a workflow's inputs, built once per loaded document (bounded cache)."""
    key = (id(doc), wf.workflow_id)
    hit = _VALIDATORS.get(key)
    if hit is not None and hit[0] is doc:
        _VALIDATORS.move_to_end(key)
        return hit[1]
    validator = _build_validator(doc, wf)
    _VALIDATORS[key] = (doc, validator)
    if len(_VALIDATORS) > _VALIDATOR_CACHE_SIZE:
        _VALIDATORS.popitem(last=False)
    return validator


def _build_validator(doc: ArazzoDocument, wf: Workflow) -> Any:
    global _CHECKER
    import jsonschema
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    index = next(i for i, w in enumerate(doc.workflows) if w is wf)
    registry: Any = Registry().with_resource(_DOC_URI, DRAFT202012.create_resource(doc.parsed.value))
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER

    root = {"$ref": f"{_DOC_URI}#/workflows/{index}/inputs"}
    if _CHECKER is None:
        _CHECKER = _format_checker(checker)
    return jsonschema.Draft202012Validator(root, registry=registry, format_checker=_CHECKER)


def _format_checker(base: Any) -> Any:
    import copy as _copy

    checker = _copy.deepcopy(base)

    @checker.checks("int32")  # type: ignore[untyped-decorator]
    def _int32(value: Any) -> bool:
        return not isinstance(value, int) or isinstance(value, bool) or -(2**31) <= value < 2**31

    @checker.checks("int64")  # type: ignore[untyped-decorator]
    def _int64(value: Any) -> bool:
        return not isinstance(value, int) or isinstance(value, bool) or -(2**63) <= value < 2**63

    return checker


def _describe(error: Any) -> tuple[str | None, str]:
    path = list(error.absolute_path)
    if error.validator == "required" and not path:
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return missing, f"missing required input {missing!r}"
    if not path:
        return None, f"inputs: {error.message}"
    name = str(path[0])
    where = name + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[1:])
    return name, f"input {where!r}: {error.message}"


def prepare_inputs(doc: ArazzoDocument, wf: Workflow, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """Inputs with schema defaults filled in, validated; raises InputError naming the (first) bad input."""
    inputs: dict[str, Any] = copy.deepcopy(dict(given or {}))
    if wf.inputs is None:
        return inputs
    _apply_defaults(inputs, wf.inputs, doc)
    if surely_valid(inputs, wf.inputs) is True:
        return inputs  # plainly valid under a simple schema: no need to start jsonschema
    try:
        validator = _validator(doc, wf)
        errors = sorted(validator.iter_errors(inputs), key=lambda e: [str(p) for p in e.absolute_path])
    except Exception as exc:  # jsonschema/referencing errors about the schema itself
        raise InputError(f"workflow {wf.workflow_id!r}: its inputs schema cannot be used: {exc}") from exc
    if errors:
        described = [_describe(e) for e in errors]
        names = [n for n, _ in described if n]
        message = "; ".join(m for _, m in described)
        raise InputError(f"workflow {wf.workflow_id!r}: {message}", input_name=names[0] if names else None)
    return inputs


def _types(schema: Mapping[str, Any] | None) -> list[str]:
    if schema is None:
        return []
    t = schema.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    return []


def convert_text(doc: ArazzoDocument, wf: Workflow, name: str, text: str) -> Any:
    """Convert `--input NAME=VALUE` text by the input's declared type; raises InputError naming it."""
    types = _types(input_schema_for(doc, wf, name))
    if not types:
        return text
    if "null" in types and text == "null":
        return None
    if "string" in types:
        return text
    for t in types:
        try:
            if t == "integer":
                return int(text)
            if t == "number":
                value = float(text)
                return (
                    int(value)
                    if value.is_integer() and "." not in text and "e" not in text.lower()
                    else value
                )
            if t == "boolean":
                low = text.strip().lower()
                if low in ("true", "1", "yes", "on"):
                    return True
                if low in ("false", "0", "no", "off"):
                    return False
                raise ValueError(text)
            if t in ("object", "array"):
                value = json.loads(text)
                if (t == "object") != isinstance(value, dict) or (t == "array") != isinstance(value, list):
                    raise ValueError(text)
                return value
        except ValueError:
            continue
    raise InputError(f"input {name!r}: {text!r} is not a valid {' or '.join(types)}", input_name=name)


def secret_values(doc: ArazzoDocument, wf: Workflow, inputs: Mapping[str, Any]) -> list[str]:
    """Input values whose schema says `format: password` (at any depth), to be masked in every output."""
    found: list[str] = []

    def walk(value: Any, schema: Any, depth: int) -> None:
        if depth > MAX_SCHEMA_DEPTH:
            return
        for s in _subschemas(schema, doc):
            if (
                s.get("format") == "password"
                and isinstance(value, (str, int, float))
                and not isinstance(value, bool)
            ):
                found.append(str(value))
            props = s.get("properties")
            if isinstance(props, Mapping) and isinstance(value, Mapping):
                for k, sub in props.items():
                    if k in value:
                        walk(value[k], sub, depth + 1)
            items = s.get("items")
            if items is not None and isinstance(value, list):
                for v in value:
                    walk(v, items, depth + 1)

    walk(dict(inputs), wf.inputs, 0)
    return found
