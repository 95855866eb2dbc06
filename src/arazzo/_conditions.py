"""The simple-condition language of Arazzo criteria, parsed by a grammar (never by eval/exec/compile).

or      := and ("||" and)*
and     := cmp ("&&" cmp)*
cmp     := unary (("==" | "!=" | "<" | "<=" | ">" | ">=") unary)?
unary   := "!" unary | postfix
postfix := primary ("." NAME | "[" (INTEGER | STRING) "]")*
primary := EXPRESSION | NUMBER | STRING | true | false | null | "(" or ")" | "{" or "}"
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ._errors import ExpressionSyntaxError
from ._expressions import Expr, Mode, Scope, parse_at
from ._record import record
from ._values import MISSING

__all__ = ["Condition", "parse_condition", "truthy", "compare"]

MAX_DEPTH = 64

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<expr>\$)
  | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)(?![A-Za-z0-9_])
  | (?P<string>'(?:[^']|'')*')
  | (?P<op>==|!=|<=|>=|&&|\|\||<|>|!)
  | (?P<punct>[()\[\]{}.])
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*)
  | (?P<error>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_NUMERIC_RE = re.compile(r"\s*-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?\s*\Z")


@record(frozen=True, slots=True)
class _Tok:
    """One lexer token and its offset, for error positions."""

    kind: str
    value: Any
    pos: int


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOKEN_RE.match(text, pos)
        assert m is not None  # the error alternative matches any character
        kind = m.lastgroup or "error"
        if kind == "ws":
            pos = m.end()
            continue
        if kind == "expr":
            expr, end = parse_at(text, pos, Mode.CONDITION)
            toks.append(_Tok("expr", expr, pos))
            pos = end
            continue
        if kind == "error":
            raise ExpressionSyntaxError(f"unexpected character {m.group(0)!r}", text, pos)
        raw = m.group(0)
        if kind == "number":
            value: Any = float(raw) if any(c in raw for c in ".eE") else int(raw)
            toks.append(_Tok("literal", value, pos))
        elif kind == "string":
            toks.append(_Tok("literal", raw[1:-1].replace("''", "'"), pos))
        elif kind == "word":
            if raw == "true":
                toks.append(_Tok("literal", True, pos))
            elif raw == "false":
                toks.append(_Tok("literal", False, pos))
            elif raw == "null":
                toks.append(_Tok("literal", None, pos))
            else:
                toks.append(_Tok("word", raw, pos))
        else:
            toks.append(_Tok(raw, raw, pos))
        pos = m.end()
    toks.append(_Tok("end", None, n))
    return toks


class Node:
    """A node of a parsed condition."""

    __slots__ = ()

    def evaluate(self, scope: Scope) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def expressions(self) -> list[Expr]:
        return []


@record(frozen=True, slots=True)
class Literal(Node):
    """A constant in a condition (number, string, boolean, null)."""

    value: Any

    def evaluate(self, scope: Scope) -> Any:
        return self.value


@record(frozen=True, slots=True)
class ExprNode(Node):
    """A runtime expression in a condition; a missing value compares as null."""

    expr: Expr

    def evaluate(self, scope: Scope) -> Any:
        value = self.expr.evaluate(scope)
        return None if value is MISSING else value

    def expressions(self) -> list[Expr]:
        return [self.expr]


@record(frozen=True, slots=True)
class Not(Node):
    """`!operand`."""

    operand: Node

    def evaluate(self, scope: Scope) -> Any:
        return not truthy(self.operand.evaluate(scope))

    def expressions(self) -> list[Expr]:
        return self.operand.expressions()


@record(frozen=True, slots=True)
class And(Node):
    """`left && right`, short-circuit."""

    left: Node
    right: Node

    def evaluate(self, scope: Scope) -> Any:
        return truthy(self.left.evaluate(scope)) and truthy(self.right.evaluate(scope))

    def expressions(self) -> list[Expr]:
        return self.left.expressions() + self.right.expressions()


@record(frozen=True, slots=True)
class Or(Node):
    """`left || right`, short-circuit."""

    left: Node
    right: Node

    def evaluate(self, scope: Scope) -> Any:
        return truthy(self.left.evaluate(scope)) or truthy(self.right.evaluate(scope))

    def expressions(self) -> list[Expr]:
        return self.left.expressions() + self.right.expressions()


@record(frozen=True, slots=True)
class Compare(Node):
    """`left op right` with one of the comparison operators."""

    op: str
    left: Node
    right: Node

    def evaluate(self, scope: Scope) -> Any:
        return compare(self.op, self.left.evaluate(scope), self.right.evaluate(scope))

    def expressions(self) -> list[Expr]:
        return self.left.expressions() + self.right.expressions()


@record(frozen=True, slots=True)
class Member(Node):
    """`.name` or `[index]` applied to a value; anything absent is null."""

    target: Node
    key: str | int

    def evaluate(self, scope: Scope) -> Any:
        value = self.target.evaluate(scope)
        key = self.key
        if isinstance(value, Mapping):
            return value.get(str(key)) if isinstance(key, int) else value.get(key)
        if isinstance(value, list) and isinstance(key, int):
            return value[key] if 0 <= key < len(value) else None
        if isinstance(value, list) and isinstance(key, str) and key.isdigit():
            i = int(key)
            return value[i] if i < len(value) else None
        return None

    def expressions(self) -> list[Expr]:
        return self.target.expressions()


def truthy(value: Any) -> bool:
    """null/missing, false, 0, '' and empty containers are false; everything else is true."""
    if value is None or value is MISSING:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, (str, bytes, list, dict)):
        return len(value) > 0
    return True


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and _NUMERIC_RE.match(value):
        text = value.strip()
        return float(text) if any(c in text for c in ".eE") else int(text)
    return None


def _equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        if isinstance(a, bool) and isinstance(b, bool):
            return a == b
        other, flag = (b, a) if isinstance(a, bool) else (a, b)
        return isinstance(other, str) and other.strip().lower() == ("true" if flag else "false")
    if isinstance(a, str) and isinstance(b, str):
        na, nb = _number(a), _number(b)
        if na is not None and nb is not None:
            return na == nb
        return a.casefold() == b.casefold()
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na == nb
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        return False
    return bool(a == b)


def compare(op: str, a: Any, b: Any) -> bool:
    """Compare two condition values: strings case-insensitively, numeric strings as numbers, null equal only
    to null; ordering across other type pairs is false."""
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    na, nb = _number(a), _number(b)
    left: Any
    right: Any
    if na is not None and nb is not None:
        left, right = na, nb
    elif isinstance(a, str) and isinstance(b, str):
        left, right = a.casefold(), b.casefold()
    else:
        return False
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _lex(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, message: str, tok: _Tok | None = None) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(message, self.text, (tok or self.peek()).pos)

    def expect(self, kind: str) -> _Tok:
        tok = self.peek()
        if tok.kind != kind:
            found = "the end" if tok.kind == "end" else repr(str(tok.value))
            raise self.fail(f"expected {kind!r} but found {found}", tok)
        return self.take()

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.fail("the condition is empty")
        node = self.or_()
        tok = self.peek()
        if tok.kind != "end":
            raise self.fail(f"unexpected {str(tok.value)!r} (missing && or ||?)", tok)
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.peek().kind == "||":
            self.take()
            node = Or(node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.cmp()
        while self.peek().kind == "&&":
            self.take()
            node = And(node, self.cmp())
        return node

    def cmp(self) -> Node:
        node = self.unary()
        tok = self.peek()
        if tok.kind in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            node = Compare(tok.kind, node, self.unary())
            nxt = self.peek()
            if nxt.kind in ("==", "!=", "<", "<=", ">", ">="):
                raise self.fail("comparisons cannot be chained; combine them with && or ||", nxt)
        return node

    def unary(self) -> Node:
        if self.peek().kind == "!":
            self.take()
            self.enter()
            node = Not(self.unary())
            self.depth -= 1
            return node
        return self.postfix()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"the condition nests deeper than {MAX_DEPTH} levels")

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            tok = self.peek()
            if tok.kind == ".":
                self.take()
                name = self.take()
                if name.kind == "word":
                    node = Member(node, name.value)
                elif (
                    name.kind == "literal"
                    and isinstance(name.value, int)
                    and not isinstance(name.value, bool)
                ):
                    node = Member(node, str(name.value))
                elif name.kind == "literal" and isinstance(name.value, bool | None):
                    node = Member(node, {True: "true", False: "false", None: "null"}[name.value])
                else:
                    raise self.fail("expected a property name after '.'", name)
            elif tok.kind == "[":
                self.take()
                key = self.take()
                if (
                    key.kind != "literal"
                    or isinstance(key.value, bool)
                    or not isinstance(key.value, int | str)
                ):
                    raise self.fail("expected an index (0, 1, ...) or a quoted name inside [ ]", key)
                if isinstance(key.value, int) and key.value < 0:
                    raise self.fail("indexes start at 0", key)
                self.expect("]")
                node = Member(node, key.value)
            else:
                return node

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "literal":
            return Literal(tok.value)
        if tok.kind == "expr":
            return ExprNode(tok.value)
        if tok.kind in ("(", "{"):
            self.enter()
            node = self.or_()
            self.expect(")" if tok.kind == "(" else "}")
            self.depth -= 1
            return node
        if tok.kind == "word":
            raise self.fail(f"unknown word {tok.value!r} (strings need single quotes: '{tok.value}')", tok)
        if tok.kind == "end":
            raise self.fail("the condition ends too early", tok)
        raise self.fail(f"unexpected {str(tok.value)!r}", tok)


@record(frozen=True, slots=True)
class Condition:
    """A parsed simple condition."""

    text: str
    root: Node

    def evaluate(self, scope: Scope) -> bool:
        return truthy(self.root.evaluate(scope))

    def expressions(self) -> list[Expr]:
        return self.root.expressions()


def parse_condition(text: str) -> Condition:
    """Parse a simple condition; raises ExpressionSyntaxError with the offset of the problem."""
    return Condition(text, _Parser(text).parse())
