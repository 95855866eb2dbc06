"""Value helpers shared by expressions and criteria: the MISSING marker and JSON Pointer (RFC 6901)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = ["MISSING", "Missing", "as_text", "parse_pointer", "pointer_get", "pointer_set", "format_pointer"]


class Missing:
    """A value that does not exist (unlike None, which is JSON null). Conditions read it as null."""

    _instance: Missing | None = None
    __slots__ = ()

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = Missing()


def parse_pointer(text: str) -> tuple[str, ...]:
    """Split an RFC 6901 pointer ('' or '/a/b~1c') into unescaped reference tokens."""
    if text == "":
        return ()
    if not text.startswith("/"):
        raise ValueError(f"a JSON Pointer must be empty or start with '/': {text!r}")
    tokens = text[1:].split("/")
    out = []
    for tok in tokens:
        if "~" in tok:
            i = 0
            while True:
                i = tok.find("~", i)
                if i < 0:
                    break
                if i + 1 >= len(tok) or tok[i + 1] not in "01":
                    raise ValueError(f"bad escape '~' in JSON Pointer {text!r} (only ~0 and ~1 are allowed)")
                i += 2
            tok = tok.replace("~1", "/").replace("~0", "~")
        out.append(tok)
    return tuple(out)


def format_pointer(tokens: Sequence[str | int]) -> str:
    """Inverse of parse_pointer."""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


def _index(token: str, length: int) -> int | None:
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        return None
    i = int(token)
    return i if i < length else None


def pointer_get(value: Any, tokens: Sequence[str]) -> Any:
    """Resolve tokens against a JSON value; anything absent (or a non-container) gives MISSING."""
    for tok in tokens:
        if isinstance(value, Mapping):
            if tok not in value:
                return MISSING
            value = value[tok]
        elif isinstance(value, list):
            i = _index(tok, len(value))
            if i is None:
                return MISSING
            value = value[i]
        else:
            return MISSING
    return value


def pointer_set(document: Any, tokens: Sequence[str], new: Any) -> Any:
    """Set a value JSON-Patch 'add' style (a missing member is created, '-' appends); returns the document."""
    if not tokens:
        return new
    parent = pointer_get(document, tokens[:-1])
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = new
    elif isinstance(parent, list):
        if last == "-":
            parent.append(new)
        else:
            i = _index(last, len(parent) + 1)
            if i is None:
                raise KeyError(f"array index {last!r} is out of range in {format_pointer(tokens)}")
            if i == len(parent):
                parent.append(new)
            else:
                parent[i] = new
    else:
        raise KeyError(f"no object or array at {format_pointer(tokens[:-1]) or '/'} to hold {last!r}")
    return document


def as_text(value: Any) -> str:
    """The string form of a value when it is embedded in a string ({$...}) or matched by a regex."""
    if isinstance(value, str):
        return value
    if value is MISSING:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, bool) or value is None or isinstance(value, (int, float, dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)
