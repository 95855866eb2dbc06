"""Reading YAML and JSON into plain values while remembering the line and column of every node."""

from __future__ import annotations

import json
import math
import re
from dataclasses import field
from typing import Any

import yaml

from ._errors import DocumentError, Position
from ._record import record

__all__ = ["JsonPath", "ParsedText", "parse_text"]

JsonPath = tuple[str | int, ...]

# Guards against hostile documents: alias bombs and absurd nesting.
MAX_NODES = 5_000_000
MAX_ALIAS_NODES = 100_000  # nodes produced by expanding aliases (a "billion laughs" stops here)
MAX_DEPTH = 400

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# YAML 1.2 core schema (what the Arazzo spec recommends), not PyYAML's YAML 1.1 rules: `on`, `yes` and
# `2024-01-01` stay strings, exactly as a JSON round trip would keep them.
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)\Z")

_STD = "tag:yaml.org,2002:"
_IMPLICIT = {_STD + t for t in ("null", "bool", "int", "float", "str", "timestamp", "value", "merge")}


@record
class ParsedText:
    """A parsed document: its value, and positions of values and keys by JSON path (may be empty)."""

    value: Any
    file: str
    positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: JsonPath, *, key: bool = False) -> Position | None:
        """The position of the value (or of its key) at path, else of the nearest ancestor that has one,
        else the start of the file (text parsed without positions, e.g. JSON that YAML cannot read)."""
        table = self.key_positions if key else self.positions
        if key and path in table:
            line, col = table[path]
            return Position(self.file, line, col)
        p = tuple(path)
        while True:
            if p in self.positions:
                line, col = self.positions[p]
                return Position(self.file, line, col)
            if not p:
                return Position(self.file, 1, 1)
            p = p[:-1]


def _plain_scalar(text: str) -> Any:
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.match(text):
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text) and any(c.isdigit() for c in text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


class _Builder:
    def __init__(self, file: str, record: bool) -> None:
        self.file = file
        self.record = record
        self.count = 0
        self.positions: dict[JsonPath, tuple[int, int]] = {}
        self.key_positions: dict[JsonPath, tuple[int, int]] = {}
        self.active: set[int] = set()
        self.seen: set[int] = set()
        self.alias_depth = 0
        self.alias_nodes = 0

    def error(self, message: str, node: yaml.Node) -> DocumentError:
        mark = node.start_mark
        return DocumentError(message, position=Position(self.file, mark.line + 1, mark.column + 1))

    def build(self, node: yaml.Node, path: JsonPath) -> Any:
        repeated = id(node) in self.seen
        if repeated:
            self.alias_depth += 1
        else:
            self.seen.add(id(node))
        try:
            return self._build(node, path)
        finally:
            if repeated:
                self.alias_depth -= 1

    def _build(self, node: yaml.Node, path: JsonPath) -> Any:
        if self.alias_depth:
            self.alias_nodes += 1
            if self.alias_nodes > MAX_ALIAS_NODES:
                raise self.error(
                    f"document too large: aliases expand to more than {MAX_ALIAS_NODES} nodes", node
                )
        self.count += 1
        if self.count > MAX_NODES:
            raise self.error(
                f"document too large (more than {MAX_NODES} nodes, alias expansion included)", node
            )
        if len(path) > MAX_DEPTH:
            raise self.error(f"document nested deeper than {MAX_DEPTH} levels", node)
        if self.record:
            self.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag not in _IMPLICIT:
                raise self.error(f"tag {tag!r} is not allowed (only JSON-compatible YAML)", node)
            # Quoted and block scalars are always strings; plain ones follow the YAML 1.2 core schema.
            return _plain_scalar(node.value) if not node.style else node.value
        if id(node) in self.active:
            raise self.error("recursive YAML alias", node)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                if tag != _STD + "seq":
                    raise self.error(f"tag {tag!r} is not allowed (only JSON-compatible YAML)", node)
                return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                if tag != _STD + "map":
                    raise self.error(f"tag {tag!r} is not allowed (only JSON-compatible YAML)", node)
                return self.mapping(node, path)
        finally:
            self.active.discard(id(node))
        raise self.error("unsupported YAML node", node)  # pragma: no cover - composer yields only these

    def mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STD + "merge":
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for src in sources:
                    v = self.build(src, path)
                    if not isinstance(v, dict):
                        raise self.error("a YAML merge key (<<) needs a mapping", src)
                    for k, val in v.items():
                        merged.setdefault(k, val)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error("mapping keys must be strings", key_node)
            key = key_node.value
            if not key_node.style and key_node.tag in _IMPLICIT:
                plain = _plain_scalar(key)
                if not isinstance(plain, str) and plain is not None:
                    key = key_node.value  # keys stay text (YAML failsafe schema for keys)
            if key in out:
                raise self.error(f"duplicate key {key!r}", key_node)
            if self.record:
                self.key_positions[(*path, key)] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
            out[key] = self.build(value_node, (*path, key))
        for k, val in merged.items():
            out.setdefault(k, val)
        return out


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _parse_json(text: str, file: str) -> ParsedText:
    try:
        return ParsedText(json.loads(text, object_pairs_hook=_json_pairs), file)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"invalid JSON: {exc.msg}", position=Position(file, exc.lineno, exc.colno)
        ) from exc
    except RecursionError as exc:
        raise DocumentError("document nested too deeply", position=Position(file, 1, 1)) from exc
    except ValueError as exc:
        raise DocumentError(f"invalid JSON: {exc}", position=Position(file, 1, 1)) from exc


def parse_text(text: str, file: str, *, positions: bool = True) -> ParsedText:
    """Parse YAML or JSON text. With positions=False, JSON goes through the (much faster) json module."""
    stripped = text.lstrip("\ufeff \t\r\n")
    looks_json = stripped[:1] in ("{", "[")
    if looks_json and not positions:
        return _parse_json(text, file)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        if looks_json:
            return _parse_json(text, file)
        mark = exc.problem_mark or exc.context_mark
        pos = Position(file, mark.line + 1, mark.column + 1) if mark else None
        raise DocumentError(f"invalid YAML: {exc.problem or exc}", position=pos) from exc
    except yaml.YAMLError as exc:
        raise DocumentError(f"invalid YAML: {exc}", position=Position(file, 1, 1)) from exc
    except RecursionError as exc:
        raise DocumentError("document nested too deeply", position=Position(file, 1, 1)) from exc
    if root is None:
        raise DocumentError("the document is empty", position=Position(file, 1, 1))
    builder = _Builder(file, positions)
    try:
        value = builder.build(root, ())
    except RecursionError as exc:
        raise DocumentError("document nested too deeply", position=Position(file, 1, 1)) from exc
    return ParsedText(value, file, builder.positions, builder.key_positions)
