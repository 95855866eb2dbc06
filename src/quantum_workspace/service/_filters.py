"""The list filter and orderby grammar the official SDK emits, parsed once into the store's query tree.

    expr       := and_expr ('or' and_expr)*
    and_expr   := unary ('and' unary)*
    unary      := 'not' unary | '(' expr ')' | 'startswith' '(' FIELD ',' STRING ')' | FIELD OP value
    OP         := eq | ne | gt | ge | lt | le
    value      := STRING | DATE | DATETIME | null
    orderby    := FIELD ('asc'|'desc')? (',' FIELD ('asc'|'desc')?)*

Keywords and field names are case-insensitive; `Status` is accepted for `State`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from ..clock import parse_timestamp
from ..errors import InvalidParameter
from ..store import FILTER_FIELDS, And, Comparison, Filter, Not, Or, StartsWith

__all__ = ["parse_filter", "parse_orderby"]

_MAX_DEPTH = 32
#: Comparisons a filter may hold: far more than any client writes, far fewer than the 1,000 levels of an
#: expression SQLite compiles.
_MAX_TERMS = 200
_FIELDS = {name.lower(): name for name in FILTER_FIELDS} | {"status": "State"}
_OPERATORS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
_FUNCTIONS = frozenset({"startswith"})
_TERM_WORDS = _OPERATORS | _FUNCTIONS

#: Ordered lexer rules; the final rule catches anything the others do not.
_RULES = [
    ("space", r"\s+"),
    ("string", r"'(?:[^']|'')*'"),
    ("datetime", r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?"),
    ("date", r"\d{4}-\d{2}-\d{2}"),
    ("number", r"-?\d+(?:\.\d+)?"),
    ("name", r"[A-Za-z_][A-Za-z0-9_]*"),
    ("punct", r"[(),]"),
    ("error", r"."),
]
_LEXER = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _RULES))


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    at: int


def _tokens(text: str) -> list[_Token]:
    found = []
    for match in _LEXER.finditer(text):
        kind = match.lastgroup or "error"
        if kind == "space":
            continue
        if kind == "error":
            raise _problem(text, match.start(), f"unexpected character {match.group()!r}")
        found.append(_Token(kind, match.group(), match.start()))
    return found


def _problem(text: str, at: int, message: str) -> InvalidParameter:
    return InvalidParameter(f"The filter {text!r} is not valid at position {at}: {message}.")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise _problem(self.text, len(self.text), "unexpected end")
        self.index += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "name" and token.text.lower() == word:
            self.index += 1
            return True
        return False

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise _problem(self.text, token.at, f"expected {text!r}, found {token.text!r}")

    def parse(self) -> Filter:
        comparisons = sum(1 for token in self.tokens if token.kind == "name" and token.text.lower() in _TERM_WORDS)
        if comparisons > _MAX_TERMS:
            raise InvalidParameter(
                f"The filter is not valid: it has {comparisons} comparisons, more than the {_MAX_TERMS} allowed."
            )
        node = self.expression(0)
        token = self.peek()
        if token is not None:
            raise _problem(self.text, token.at, f"unexpected {token.text!r}")
        return node

    def expression(self, depth: int) -> Filter:
        if depth > _MAX_DEPTH:
            token = self.peek()
            raise _problem(self.text, token.at if token else len(self.text), "nested too deeply")
        items = [self.conjunction(depth)]
        while self.keyword("or"):
            items.append(self.conjunction(depth))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def conjunction(self, depth: int) -> Filter:
        items = [self.unary(depth)]
        while self.keyword("and"):
            items.append(self.unary(depth))
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self, depth: int) -> Filter:
        if self.keyword("not"):
            return Not(self.unary(depth + 1))
        token = self.take()
        if token.text == "(":
            node = self.expression(depth + 1)
            self.expect(")")
            return node
        if token.kind != "name":
            raise _problem(self.text, token.at, f"expected a property or function, found {token.text!r}")
        following = self.peek()
        if token.text.lower() in _FUNCTIONS and following is not None and following.text == "(":
            self.expect("(")
            field = self.field(self.take())
            self.expect(",")
            value = self.take()
            if value.kind != "string":
                raise _problem(self.text, value.at, "startswith takes a quoted string")
            self.expect(")")
            return StartsWith(field, _unquote(value.text))
        field = self.field(token)
        operator = self.take()
        if operator.text.lower() not in _OPERATORS:
            raise _problem(self.text, operator.at, f"expected one of {', '.join(sorted(_OPERATORS))}")
        op, value_token = operator.text.lower(), self.take()
        compared = self.value(field, value_token)
        if compared is None and op not in ("eq", "ne"):
            raise _problem(self.text, value_token.at, f"null is compared with eq or ne only, not {op}")
        return Comparison(field, op, compared)

    def field(self, token: _Token) -> str:
        name = _FIELDS.get(token.text.lower()) if token.kind == "name" else None
        if name is None:
            raise _problem(
                self.text,
                token.at,
                f"unknown property {token.text!r} (known: {', '.join(sorted(FILTER_FIELDS))})",
            )
        return name

    def value(self, field: str, token: _Token) -> str | datetime | date | None:
        if token.kind == "name" and token.text.lower() == "null":
            return None
        if FILTER_FIELDS[field] == "time":
            text = _unquote(token.text) if token.kind == "string" else token.text
            try:
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                    return date.fromisoformat(text)
                return parse_timestamp(text)
            except ValueError:
                raise _problem(self.text, token.at, f"{field} takes a date or an RFC 3339 time") from None
        if token.kind != "string":
            raise _problem(self.text, token.at, f"{field} takes a quoted string")
        return _unquote(token.text)


def _unquote(literal: str) -> str:
    return literal[1:-1].replace("''", "'")


def parse_filter(text: str | None) -> Filter | None:
    if text is None or not text.strip():
        return None
    return _Parser(text).parse()


def parse_orderby(text: str | None) -> tuple[tuple[str, bool], ...]:
    if text is None or not text.strip():
        return ()
    clauses: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2:
            raise InvalidParameter(f"The orderby {text!r} is not valid: expected 'Property [asc|desc]'.")
        field = _FIELDS.get(words[0].lower())
        if field is None:
            raise InvalidParameter(
                f"The orderby {text!r} names an unknown property {words[0]!r} "
                f"(known: {', '.join(sorted(FILTER_FIELDS))})."
            )
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise InvalidParameter(f"The orderby {text!r} is not valid: direction must be asc or desc.")
        if any(field == earlier for earlier, _descending in clauses):
            raise InvalidParameter(f"The orderby {text[:200]!r} is not valid: it names {field} more than once.")
        clauses.append((field, direction == "desc"))
    return tuple(clauses)
