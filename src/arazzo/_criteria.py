"""Criterion objects: simple conditions, `regex` (Python re, search), `jsonpath` (RFC 9535) and `xpath`."""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

from ._conditions import Condition, parse_condition
from ._errors import ExpressionSyntaxError
from ._expressions import Expr, Scope, Template, parse_expression, parse_template
from ._record import record
from ._values import MISSING, as_text

__all__ = ["Criterion", "CriterionError", "build_criterion", "JSONPATH_VERSIONS", "XPATH_VERSIONS"]

JSONPATH_VERSIONS = ("draft-goessner-dispatch-jsonpath-00",)
XPATH_VERSIONS = ("xpath-30", "xpath-20", "xpath-10")


class CriterionError(ValueError):
    """A criterion that cannot be compiled (bad pattern, bad JSONPath/XPath, bad type)."""


def _jsonpath_env(version: str | None) -> Any:
    import jsonpath

    # strict=True is RFC 9535 exactly; the default environment is the permissive (Goessner-like) dialect.
    return jsonpath.JSONPathEnvironment(strict=version is None)


def _xpath_parser(version: str | None) -> Any:
    import elementpath
    from elementpath.xpath30 import XPath30Parser
    from elementpath.xpath31 import XPath31Parser

    return {
        None: XPath31Parser,
        "xpath-30": XPath30Parser,
        "xpath-20": elementpath.XPath2Parser,
        "xpath-10": elementpath.XPath1Parser,
    }[version]


def _compile_kind(kind: str, version: str | None, text: str) -> Any:
    if kind == "regex":
        try:
            with (
                warnings.catch_warnings()
            ):  # e.g. "possible set union": Python's note, not the author's error
                warnings.simplefilter("ignore", FutureWarning)
                return re.compile(text)
        except (re.error, RecursionError, OverflowError) as exc:
            raise CriterionError(f"invalid regular expression {text!r}: {exc}") from exc
    if kind == "jsonpath":
        import jsonpath

        try:
            return _jsonpath_env(version).compile(text)
        except jsonpath.JSONPathError as exc:
            raise CriterionError(f"invalid JSONPath {text!r}: {_first_line(exc)}") from exc
        except (ValueError, TypeError, IndexError, RecursionError) as exc:  # the library failing on odd input
            raise CriterionError(f"invalid JSONPath {text!r}") from exc
    if kind == "xpath":
        import elementpath

        try:
            return elementpath.Selector(text, parser=_xpath_parser(version))
        except elementpath.ElementPathError as exc:
            raise CriterionError(f"invalid XPath {text!r}: {exc}") from exc
        except (ValueError, TypeError, IndexError, RecursionError) as exc:
            raise CriterionError(f"invalid XPath {text!r}") from exc
    raise CriterionError(f"unknown criterion type {kind!r}")  # pragma: no cover - checked by caller


def _first_line(exc: BaseException) -> str:
    """The first line of a library's message (python-jsonpath can fail to format its own, e.g. for '')."""
    try:
        return str(exc).splitlines()[0]
    except (ValueError, IndexError):
        return exc.args[0] if exc.args and isinstance(exc.args[0], str) else exc.__class__.__name__


def _to_json(value: Any) -> Any:
    if isinstance(value, (bytes, str)):
        try:
            return json.loads(value)
        except ValueError:
            return MISSING
    return value


def _to_xml(value: Any) -> Any:
    import xml.etree.ElementTree as ET

    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, bytes):
        return MISSING
    try:
        return ET.fromstring(value)
    except ET.ParseError:
        return MISSING


def _xpath_true(result: Any) -> bool:
    """XPath effective boolean value of a selection result."""
    if isinstance(result, list):
        if len(result) == 1 and isinstance(result[0], (bool, int, float, str)):
            return _xpath_true(result[0])
        return len(result) > 0
    if isinstance(result, bool):
        return result
    if isinstance(result, (int, float)):
        return result != 0 and result == result
    if isinstance(result, str):
        return len(result) > 0
    return result is not None


@record(frozen=True, slots=True)
class Criterion:
    """One compiled criterion. `compiled` is None when the condition embeds `{$...}` and is built per run."""

    condition: str
    kind: str  # simple | regex | jsonpath | xpath
    version: str | None
    context: Expr | None
    simple: Condition | None
    compiled: Any
    template: Template | None

    def evaluate(self, scope: Scope) -> bool:
        if self.kind == "simple":
            assert self.simple is not None
            return self.simple.evaluate(scope)
        value = self.context.evaluate(scope) if self.context is not None else MISSING
        if value is MISSING or value is None:
            return False
        compiled = self.compiled
        if compiled is None:
            assert self.template is not None
            try:
                compiled = _compile_kind(self.kind, self.version, self.template.evaluate(scope))
            except CriterionError:
                return False
        if self.kind == "regex":
            return compiled.search(as_text(value)) is not None
        if self.kind == "jsonpath":
            data = _to_json(value)
            if data is MISSING:
                return False
            try:
                return len(compiled.findall(data)) > 0
            except Exception:  # noqa: BLE001 - a query that fails on this data does not match
                return False
        root = _to_xml(value)
        if root is MISSING:
            return False
        try:
            return _xpath_true(compiled.select(root))
        except Exception:  # noqa: BLE001 - an XPath error at evaluation time means no match
            return False

    def expressions(self) -> list[Expr]:
        out: list[Expr] = []
        if self.context is not None:
            out.append(self.context)
        if self.simple is not None:
            out.extend(self.simple.expressions())
        if self.template is not None:
            out.extend(self.template.expressions)
        return out


def build_criterion(condition: str, type_: Any = None, context: str | None = None) -> Criterion:
    """Compile a Criterion Object's fields; raises CriterionError or ExpressionSyntaxError."""
    version: str | None = None
    if isinstance(type_, dict):
        kind = type_.get("type")
        version = type_.get("version")
        if kind == "jsonpath" and version not in JSONPATH_VERSIONS:
            raise CriterionError(
                f"unknown JSONPath version {version!r} (allowed: {', '.join(JSONPATH_VERSIONS)})"
            )
        if kind == "xpath" and version not in XPATH_VERSIONS:
            raise CriterionError(f"unknown XPath version {version!r} (allowed: {', '.join(XPATH_VERSIONS)})")
        if kind not in ("jsonpath", "xpath"):
            raise CriterionError(f"a criterion expression type must be jsonpath or xpath, not {kind!r}")
    else:
        kind = "simple" if type_ is None else type_
    if kind not in ("simple", "regex", "jsonpath", "xpath"):
        raise CriterionError(f"unknown criterion type {kind!r} (simple, regex, jsonpath or xpath)")
    ctx = parse_expression(context) if context is not None else None
    if kind == "simple":
        return Criterion(condition, kind, None, ctx, parse_condition(condition), None, None)
    if ctx is None:
        raise CriterionError(f"a {kind} criterion needs a context (e.g. $response.body)")
    template: Template | None = None
    compiled: Any = None
    if "{$" in condition:
        template, errors = parse_template(condition)
        if errors:
            offset, message = errors[0]
            raise ExpressionSyntaxError(message, condition, offset)
    if template is None:
        compiled = _compile_kind(kind, version, condition)
    return Criterion(condition, kind, version, ctx, None, compiled, template)
