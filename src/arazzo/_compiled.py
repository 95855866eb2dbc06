"""Document values compiled once: each string is an expression, a `{$...}` template or plain text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._errors import ExpressionSyntaxError, Problem
from ._expressions import Expr, Scope, Template, looks_like_expression, parse_expression, parse_template
from ._record import record
from ._text import JsonPath, ParsedText
from ._values import MISSING

__all__ = ["Compiled", "Const", "ExprValue", "TemplateValue", "compile_value", "Reporter"]

Reporter = Callable[[str, str, JsonPath], None]
"""report(severity, message, json_path)"""


class Compiled:
    """A value ready to evaluate; `dynamic` is False when it contains no expression at all."""

    __slots__ = ()
    dynamic: bool = True

    def evaluate(self, scope: Scope) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def expressions(self) -> list[Expr]:
        return []


@record(frozen=True, slots=True)
class Const(Compiled):
    """A value with no expression in it: evaluates to itself."""

    value: Any
    dynamic = False

    def evaluate(self, scope: Scope) -> Any:
        return self.value


@record(frozen=True, slots=True)
class ExprValue(Compiled):
    """A string that is exactly one runtime expression: keeps the referenced value's type."""

    expr: Expr

    def evaluate(self, scope: Scope) -> Any:
        return self.expr.evaluate(scope)

    def expressions(self) -> list[Expr]:
        return [self.expr]


@record(frozen=True, slots=True)
class TemplateValue(Compiled):
    """Text with embedded `{$...}` expressions: evaluates to a string."""

    template: Template

    def evaluate(self, scope: Scope) -> Any:
        return self.template.evaluate(scope)

    def expressions(self) -> list[Expr]:
        return list(self.template.expressions)


@record(frozen=True, slots=True)
class DictValue(Compiled):
    """An object whose members may hold expressions; members that find nothing are left out."""

    items: tuple[tuple[str, Compiled], ...]

    def evaluate(self, scope: Scope) -> Any:
        out = {}
        for k, v in self.items:
            value = v.evaluate(scope)
            if value is not MISSING:  # a member whose expression finds nothing is left out
                out[k] = value
        return out

    def expressions(self) -> list[Expr]:
        return [e for _, v in self.items for e in v.expressions()]


@record(frozen=True, slots=True)
class ListValue(Compiled):
    """An array whose items may hold expressions; items that find nothing become null."""

    items: tuple[Compiled, ...]

    def evaluate(self, scope: Scope) -> Any:
        return [None if (value := v.evaluate(scope)) is MISSING else value for v in self.items]

    def expressions(self) -> list[Expr]:
        return [e for v in self.items for e in v.expressions()]


def compile_string(text: str, path: JsonPath, report: Reporter | None) -> Compiled:
    """Classify one string. A complete expression keeps the referenced value's type; so does a string that
    is exactly one `{$...}`; any other text with `{$...}` is a string template; everything else is literal."""
    if text.startswith("$"):
        try:
            return ExprValue(parse_expression(text))
        except ExpressionSyntaxError as exc:
            if looks_like_expression(text) is not None and "{$" not in text:
                if report is not None:
                    report(
                        "warning",
                        f"{text!r} is not a complete runtime expression ({exc}); it is used as literal text",
                        path,
                    )
                return Const(text)
    template, errors = parse_template(text) if "{$" in text else (None, [])
    if report is not None:
        for offset, message in errors:
            report(
                "warning",
                f"embedded expression at character {offset + 1} of {text!r} does not parse "
                f"({message}); it is kept as literal text",
                path,
            )
    if template is not None:
        if len(template.parts) == 1:
            only = template.parts[0]
            assert isinstance(only, Expr)
            return ExprValue(only)
        literal_text = "".join(p for p in template.parts if isinstance(p, str))
        _warn_literal(literal_text, path, report)
        return TemplateValue(template)
    _warn_literal(text, path, report)
    return Const(text)


def _warn_literal(text: str, path: JsonPath, report: Reporter | None) -> None:
    if report is None or "$" not in text:
        return
    fragment = looks_like_expression(text)
    if fragment is not None and fragment != text:
        report(
            "warning",
            f"{text!r} contains {fragment!r}, which is literal text here: runtime expressions are only "
            f"evaluated as a whole value or inside braces, e.g. '{{{fragment}}}'",
            path,
        )


def compile_value(value: Any, path: JsonPath = (), report: Reporter | None = None) -> Compiled:
    """Compile a document value (any JSON) into an evaluable tree; static subtrees collapse into Const."""
    if isinstance(value, str):
        return compile_string(value, path, report)
    if isinstance(value, dict):
        items = tuple((k, compile_value(v, (*path, k), report)) for k, v in value.items())
        if not any(v.dynamic for _, v in items):
            return Const(value)
        return DictValue(items)
    if isinstance(value, list):
        elems = tuple(compile_value(v, (*path, i), report) for i, v in enumerate(value))
        if not any(v.dynamic for v in elems):
            return Const(value)
        return ListValue(elems)
    return Const(value)


def reporter_for(parsed: ParsedText, sink: list[Problem], base: JsonPath = ()) -> Reporter:
    """A Reporter that turns (severity, message, path) into positioned Problems."""
    from ._values import format_pointer

    def report(severity: str, message: str, path: JsonPath) -> None:
        full = (*base, *path)
        sink.append(Problem(severity, message, parsed.position(full), format_pointer([str(p) for p in full])))

    return report
