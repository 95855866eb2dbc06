"""Runtime expressions (Arazzo 1.0.1 §Runtime Expressions): parsed once into frozen nodes, evaluated often.

Three contexts decide where an expression ends: a whole string value (`$inputs.x`), an embedded one
(`{$inputs.x}` inside a string) and one inside a simple condition (`$statusCode == 200`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ._errors import ExpressionSyntaxError
from ._record import record
from ._values import MISSING, as_text, parse_pointer, pointer_get

__all__ = [
    "Expr",
    "Message",
    "Mode",
    "Scope",
    "Template",
    "looks_like_expression",
    "parse_at",
    "parse_expression",
    "parse_template",
    "resolve_dotted",
]


class Mode(Enum):
    """Where the expression sits, which decides the characters that end it."""

    WHOLE = "whole"
    EMBEDDED = "embedded"
    CONDITION = "condition"


_SEG = r"[A-Za-z0-9_\-]+"
_ID_RE = re.compile(_SEG)
_NAME_RE = re.compile(rf"{_SEG}(?:\.{_SEG})*")
_QSEG = r"[A-Za-z0-9_\-~$]+"
_QNAME_RE = re.compile(rf"{_QSEG}(?:\.{_QSEG})*")
_TOKEN_FULL_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TSEG = r"[#$%*+\-^_`~0-9A-Za-z]+"
_TOKEN_COND_RE = re.compile(rf"{_TSEG}(?:\.{_TSEG})*")
_ROOT_RE = re.compile(
    r"\$(url|method|statusCode|request|response|inputs|outputs|steps|workflows|sourceDescriptions|components)"
    r"(?![A-Za-z0-9_])"
)
_POINTER_END = {
    Mode.WHOLE: re.compile(r".*", re.S),
    Mode.EMBEDDED: re.compile(r"[^}]*"),
    Mode.CONDITION: re.compile(r"[^\s()\[\]{}=!<>&|,']*"),
}
_COMPONENT_KINDS = ("inputs", "parameters", "successActions", "failureActions")
_LOOKS_LIKE = re.compile(
    r"\$(?:url\b|method\b|statusCode\b|request\.|response\.|inputs\.|outputs\.|steps\.|workflows\."
    r"|sourceDescriptions\.|components\.)"
)


@dataclass(slots=True)  # made per request: a compiled __init__ (dataclass) is ~5x faster than record's
class Message:
    """The parts of a request or response that expressions can read. Header names are lower-case keys."""

    headers: Mapping[str, str]
    body: Any = MISSING
    query: Mapping[str, Any] | None = None
    path: Mapping[str, Any] | None = None


class Scope:
    """Everything an expression can see while one step (or one workflow's outputs) is evaluated."""

    __slots__ = (
        "inputs",
        "steps",
        "outputs",
        "workflows",
        "request",
        "response",
        "url",
        "method",
        "status_code",
        "sources",
        "components",
    )

    def __init__(
        self,
        *,
        inputs: Mapping[str, Any] | None = None,
        steps: Mapping[str, Mapping[str, Any]] | None = None,
        outputs: Mapping[str, Any] | None = None,
        workflows: Mapping[str, Mapping[str, Any]] | None = None,
        sources: Mapping[str, Mapping[str, Any]] | None = None,
        components: Mapping[str, Any] | None = None,
    ) -> None:
        self.inputs: Mapping[str, Any] = inputs if inputs is not None else {}
        self.steps: Mapping[str, Mapping[str, Any]] = steps if steps is not None else {}
        self.outputs: Mapping[str, Any] = outputs if outputs is not None else {}
        self.workflows: Mapping[str, Mapping[str, Any]] = workflows if workflows is not None else {}
        self.sources: Mapping[str, Mapping[str, Any]] = sources if sources is not None else {}
        self.components: Mapping[str, Any] = components if components is not None else {}
        self.request: Message | None = None
        self.response: Message | None = None
        self.url: str | None = None
        self.method: str | None = None
        self.status_code: int | None = None


def resolve_dotted(container: Any, parts: tuple[str, ...]) -> Any:
    """Look up a dotted name: the longest prefix that is a key wins, the rest dereferences properties."""
    if not isinstance(container, Mapping):
        return MISSING
    for cut in range(len(parts), 0, -1):
        key = ".".join(parts[:cut])
        if key in container:
            value = container[key]
            for part in parts[cut:]:
                if isinstance(value, Mapping) and part in value:
                    value = value[part]
                elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                    value = value[int(part)]
                else:
                    return MISSING
            return value
    return MISSING


class Expr:
    """A parsed runtime expression. `text` is its source; `evaluate` never raises for absent data."""

    __slots__ = ()
    text: str

    def evaluate(self, scope: Scope) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text


@record(frozen=True, slots=True)
class UrlExpr(Expr):
    """`$url`: the URL of the current request."""

    text: str

    def evaluate(self, scope: Scope) -> Any:
        return scope.url if scope.url is not None else MISSING


@record(frozen=True, slots=True)
class MethodExpr(Expr):
    """`$method`: the HTTP method of the current request."""

    text: str

    def evaluate(self, scope: Scope) -> Any:
        return scope.method if scope.method is not None else MISSING


@record(frozen=True, slots=True)
class StatusCodeExpr(Expr):
    """`$statusCode`: the status of the current response."""

    text: str

    def evaluate(self, scope: Scope) -> Any:
        return scope.status_code if scope.status_code is not None else MISSING


@record(frozen=True, slots=True)
class MessageExpr(Expr):
    """`$request.` or `$response.` + header/query/path/body."""

    text: str
    response: bool
    source: str  # header | query | path | body
    name: str = ""
    pointer: tuple[str, ...] | None = None

    def evaluate(self, scope: Scope) -> Any:
        msg = scope.response if self.response else scope.request
        if msg is None:
            return MISSING
        if self.source == "body":
            return msg.body if self.pointer is None else pointer_get(msg.body, self.pointer)
        if self.source == "header":
            return msg.headers.get(self.name.lower(), MISSING)
        table = msg.query if self.source == "query" else msg.path
        if table is None or self.name not in table:
            return MISSING
        value = table[self.name]
        return value[0] if isinstance(value, list) and value and self.source == "query" else value


def _with_pointer(value: Any, pointer: tuple[str, ...] | None) -> Any:
    if pointer is None or value is MISSING:
        return value
    return pointer_get(value, pointer)


@record(frozen=True, slots=True)
class InputsExpr(Expr):
    """`$inputs.<name>` with an optional JSON pointer into the value."""

    text: str
    parts: tuple[str, ...]
    pointer: tuple[str, ...] | None = None

    def evaluate(self, scope: Scope) -> Any:
        return _with_pointer(resolve_dotted(scope.inputs, self.parts), self.pointer)


@record(frozen=True, slots=True)
class OutputsExpr(Expr):
    """`$outputs.<name>` with an optional JSON pointer into the value."""

    text: str
    parts: tuple[str, ...]
    pointer: tuple[str, ...] | None = None

    def evaluate(self, scope: Scope) -> Any:
        return _with_pointer(resolve_dotted(scope.outputs, self.parts), self.pointer)


@record(frozen=True, slots=True)
class StepsExpr(Expr):
    """`$steps.<id>.outputs...`: what an earlier step produced."""

    text: str
    step_id: str
    parts: tuple[str, ...]  # empty: the whole outputs map
    pointer: tuple[str, ...] | None = None

    def evaluate(self, scope: Scope) -> Any:
        outputs = scope.steps.get(self.step_id)
        if outputs is None:
            return MISSING
        value = resolve_dotted(outputs, self.parts) if self.parts else outputs
        return _with_pointer(value, self.pointer)


@record(frozen=True, slots=True)
class WorkflowsExpr(Expr):
    """`$workflows.<id>.inputs|outputs...`: another workflow's values."""

    text: str
    workflow_id: str
    field: str  # inputs | outputs
    parts: tuple[str, ...]
    pointer: tuple[str, ...] | None = None

    def evaluate(self, scope: Scope) -> Any:
        record = scope.workflows.get(self.workflow_id)
        if record is None:
            return MISSING
        values = record.get(self.field, MISSING)
        value = resolve_dotted(values, self.parts) if self.parts else values
        return _with_pointer(value, self.pointer)


@record(frozen=True, slots=True)
class SourceDescriptionsExpr(Expr):
    """`$sourceDescriptions.<name>...`: a source description's URL or operation."""

    text: str
    name: str
    parts: tuple[str, ...]  # e.g. ("url",) or ("Jobs_Get",)

    def evaluate(self, scope: Scope) -> Any:
        source = scope.sources.get(self.name)
        if source is None:
            return MISSING
        return resolve_dotted(source, self.parts) if self.parts else source


@record(frozen=True, slots=True)
class ComponentsExpr(Expr):
    """`$components.<kind>.<name>`: a reusable component looked up in the scope."""

    text: str
    kind: str
    name: str

    def evaluate(self, scope: Scope) -> Any:
        table = scope.components.get(self.kind)
        if not isinstance(table, Mapping) or self.name not in table:
            return MISSING
        return table[self.name]


class _Parser:
    __slots__ = ("text", "pos", "mode")

    def __init__(self, text: str, pos: int, mode: Mode) -> None:
        self.text = text
        self.pos = pos
        self.mode = mode

    def fail(self, message: str) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(message, self.text, self.pos)

    def literal(self, s: str, what: str) -> None:
        if not self.text.startswith(s, self.pos):
            raise self.fail(f"expected {what}")
        self.pos += len(s)

    def match(self, regex: re.Pattern[str], what: str) -> str:
        m = regex.match(self.text, self.pos)
        if m is None or not m.group(0):
            raise self.fail(f"expected {what}")
        self.pos = m.end()
        return m.group(0)

    def optional_pointer(self) -> tuple[str, ...] | None:
        if not self.text.startswith("#", self.pos):
            return None
        self.pos += 1
        m = _POINTER_END[self.mode].match(self.text, self.pos)
        raw = m.group(0) if m else ""
        try:
            tokens = parse_pointer(raw)
        except ValueError as exc:
            raise self.fail(str(exc)) from None
        self.pos += len(raw)
        return tokens

    def dotted(self) -> tuple[str, ...]:
        return tuple(self.match(_NAME_RE, "a name").split("."))

    def parse(self) -> Expr:
        start = self.pos
        m = _ROOT_RE.match(self.text, self.pos)
        if m is None:
            raise self.fail("expected a runtime expression such as $inputs.name or $statusCode")
        self.pos = m.end()
        root = m.group(1)
        build: Callable[[int], Expr] = getattr(self, "_" + root)
        return build(start)

    def _src(self, start: int) -> str:
        return self.text[start : self.pos]

    def _url(self, start: int) -> Expr:
        return UrlExpr(self._src(start))

    def _method(self, start: int) -> Expr:
        return MethodExpr(self._src(start))

    def _statusCode(self, start: int) -> Expr:  # noqa: N802 - named after the expression
        return StatusCodeExpr(self._src(start))

    def _message(self, start: int, response: bool) -> Expr:
        self.literal(".", "'.' after $request/$response")
        for source in ("header.", "query.", "path.", "body"):
            if self.text.startswith(source, self.pos):
                self.pos += len(source)
                break
        else:
            raise self.fail("expected header., query., path. or body")
        if source == "body":
            if self.pos < len(self.text) and self.text[self.pos] not in "#" and self.mode is Mode.WHOLE:
                raise self.fail("expected '#' and a JSON Pointer after body")
            pointer = self.optional_pointer()
            return MessageExpr(self._src(start), response, "body", "", pointer)
        if source == "header.":
            regex = _TOKEN_COND_RE if self.mode is Mode.CONDITION else _TOKEN_FULL_RE
            name = self.match(regex, "a header name")
            return MessageExpr(self._src(start), response, "header", name)
        name = self.match(_QNAME_RE, f"a {source[:-1]} parameter name")
        return MessageExpr(self._src(start), response, source[:-1], name)

    def _request(self, start: int) -> Expr:
        return self._message(start, False)

    def _response(self, start: int) -> Expr:
        return self._message(start, True)

    def _inputs(self, start: int) -> Expr:
        self.literal(".", "'.' and an input name")
        parts = self.dotted()
        return InputsExpr(self._src(start), parts, self.optional_pointer())

    def _outputs(self, start: int) -> Expr:
        self.literal(".", "'.' and an output name")
        parts = self.dotted()
        return OutputsExpr(self._src(start), parts, self.optional_pointer())

    def _steps(self, start: int) -> Expr:
        self.literal(".", "'.' and a step id")
        step_id = self.match(_ID_RE, "a step id")
        self.literal(".outputs", "'.outputs' after the step id")
        parts: tuple[str, ...] = ()
        if self.text.startswith(".", self.pos):
            self.pos += 1
            parts = self.dotted()
        return StepsExpr(self._src(start), step_id, parts, self.optional_pointer())

    def _workflows(self, start: int) -> Expr:
        self.literal(".", "'.' and a workflow id")
        workflow_id = self.match(_ID_RE, "a workflow id")
        if self.text.startswith(".inputs", self.pos):
            field = "inputs"
        elif self.text.startswith(".outputs", self.pos):
            field = "outputs"
        else:
            raise self.fail("expected '.inputs' or '.outputs' after the workflow id")
        self.pos += len(field) + 1
        parts: tuple[str, ...] = ()
        if self.text.startswith(".", self.pos):
            self.pos += 1
            parts = self.dotted()
        return WorkflowsExpr(self._src(start), workflow_id, field, parts, self.optional_pointer())

    def _sourceDescriptions(self, start: int) -> Expr:  # noqa: N802 - named after the expression
        self.literal(".", "'.' and a source description name")
        name = self.match(_ID_RE, "a source description name")
        parts: tuple[str, ...] = ()
        if self.text.startswith(".", self.pos):
            self.pos += 1
            parts = self.dotted()
        return SourceDescriptionsExpr(self._src(start), name, parts)

    def _components(self, start: int) -> Expr:
        self.literal(".", "'.' and a component type")
        for kind in _COMPONENT_KINDS:
            if self.text.startswith(kind + ".", self.pos):
                self.pos += len(kind) + 1
                break
        else:
            raise self.fail("expected inputs., parameters., successActions. or failureActions.")
        name = self.match(_NAME_RE, "a component name")
        return ComponentsExpr(self._src(start), kind, name)


def parse_at(text: str, pos: int, mode: Mode) -> tuple[Expr, int]:
    """Parse one expression starting at text[pos] ('$'); return it and the index just after it."""
    parser = _Parser(text, pos, mode)
    expr = parser.parse()
    return expr, parser.pos


def parse_expression(text: str) -> Expr:
    """Parse a string that must be exactly one runtime expression."""
    expr, end = parse_at(text, 0, Mode.WHOLE)
    if end != len(text):
        raise ExpressionSyntaxError("unexpected text after the expression", text, end)
    return expr


@record(frozen=True, slots=True)
class Template:
    """A string with `{$...}` expressions embedded; literal parts are kept as they are."""

    text: str
    parts: tuple[str | Expr, ...]

    def evaluate(self, scope: Scope) -> str:
        return "".join(p if isinstance(p, str) else as_text(p.evaluate(scope)) for p in self.parts)

    @property
    def expressions(self) -> tuple[Expr, ...]:
        return tuple(p for p in self.parts if isinstance(p, Expr))


def parse_template(text: str) -> tuple[Template | None, list[tuple[int, str]]]:
    """Split a string on `{$...}`. Returns the template (None if nothing embedded) and parse failures
    as (offset, message); a part that fails to parse stays literal text."""
    parts: list[str | Expr] = []
    errors: list[tuple[int, str]] = []
    literal_start = 0
    i = text.find("{$")
    while i >= 0:
        try:
            expr, end = parse_at(text, i + 1, Mode.EMBEDDED)
            if end >= len(text) or text[end] != "}":
                raise ExpressionSyntaxError("expected '}' to close the embedded expression", text, end)
        except ExpressionSyntaxError as exc:
            errors.append((exc.offset, exc.message))
            i = text.find("{$", i + 2)
            continue
        if i > literal_start:
            parts.append(text[literal_start:i])
        parts.append(expr)
        literal_start = end + 1
        i = text.find("{$", literal_start)
    if not any(isinstance(p, Expr) for p in parts):
        return None, errors
    if literal_start < len(text):
        parts.append(text[literal_start:])
    return Template(text, tuple(parts)), errors


def looks_like_expression(text: str) -> str | None:
    """The first `$inputs.`-like fragment outside `{}` in literal text, or None. Used for warnings: such
    text is sent as is, which is rarely what the author meant."""
    for m in _LOOKS_LIKE.finditer(text):
        start = m.start()
        if start > 0 and text[start - 1] == "{":
            continue
        end = start + 1
        while end < len(text) and not text[end].isspace() and text[end] not in "\"',;)}]":
            end += 1
        return text[start:end]
    return None
