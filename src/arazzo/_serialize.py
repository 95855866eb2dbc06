"""OpenAPI parameter serialization (style/explode, Swagger 2.0 collectionFormat) and percent-encoding."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ._record import record
from ._values import MISSING

__all__ = [
    "ParamSpec",
    "serialize_path",
    "serialize_query",
    "serialize_header",
    "serialize_cookie",
    "scalar_text",
]

_RESERVED = ":/?#[]@!$&'()*+,;="
_COOKIE_SAFE = "!#$&'()*+-./:<=>?@[]^_`{|}~"  # RFC 6265 cookie-octets that need no encoding
_QUERY_RESERVED_SAFE = ":/?[]@!$'()*+,;="  # allowReserved in a query value: all reserved but '&', '=' and '#'


@record(frozen=True, slots=True)
class ParamSpec:
    """How an operation declares one parameter; `None` fields mean "use the location's default"."""

    name: str
    in_: str
    required: bool = False
    style: str | None = None
    explode: bool | None = None
    allow_reserved: bool = False
    schema: Mapping[str, Any] | None = None
    content_type: str | None = None  # OpenAPI 3 `content` instead of `schema`
    collection_format: str | None = None  # Swagger 2.0
    skip_encoding: bool = False  # x-ms-skip-url-encoding


def scalar_text(value: Any) -> str:
    """A primitive's text in a URL or header: true/false, numbers as JSON, null as ''."""
    if isinstance(value, str):
        return value
    if value is None or value is MISSING:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return json.dumps(value, separators=(",", ":"))


def _enc(text: str, safe: str) -> str:
    return quote(text, safe=safe)


def _style(spec: ParamSpec | None, default: str) -> tuple[str, bool]:
    if spec is None:
        return default, default == "form"
    if spec.collection_format is not None:
        return {
            "csv": "simple" if spec.in_ in ("path", "header") else "form-csv",
            "ssv": "spaceDelimited",
            "tsv": "tabDelimited",
            "pipes": "pipeDelimited",
            "multi": "form",
        }.get(spec.collection_format, default), spec.collection_format == "multi"
    style = spec.style or default
    explode = spec.explode if spec.explode is not None else style == "form"
    return style, explode


def _content(spec: ParamSpec | None, value: Any) -> str | None:
    if spec is not None and spec.content_type is not None and not isinstance(value, str):
        return json.dumps(value, separators=(",", ":"))
    return None


def serialize_path(spec: ParamSpec | None, name: str, value: Any) -> str:
    """The percent-encoded text that replaces `{name}` in a path template."""
    safe = _RESERVED if spec is not None and (spec.allow_reserved or spec.skip_encoding) else ""
    content = _content(spec, value)
    if content is not None:
        return _enc(content, safe)
    style, explode = _style(spec, "simple")
    if style == "form-csv":
        style = "simple"
    prefix, sep, kv = "", ",", "="
    if style == "label":
        prefix, sep = ".", "." if explode else ","
    elif style == "matrix":
        if isinstance(value, list):
            if explode:
                return "".join(f";{name}={_enc(scalar_text(v), safe)}" for v in value)
            return f";{name}=" + ",".join(_enc(scalar_text(v), safe) for v in value)
        if isinstance(value, Mapping):
            if explode:
                return "".join(f";{k}={_enc(scalar_text(v), safe)}" for k, v in value.items())
            return f";{name}=" + ",".join(f"{k},{_enc(scalar_text(v), safe)}" for k, v in value.items())
        return f";{name}={_enc(scalar_text(value), safe)}" if value not in ("", None) else f";{name}"
    if isinstance(value, list):
        return prefix + sep.join(_enc(scalar_text(v), safe) for v in value)
    if isinstance(value, Mapping):
        if explode:
            return prefix + sep.join(
                f"{_enc(str(k), safe)}{kv}{_enc(scalar_text(v), safe)}" for k, v in value.items()
            )
        return prefix + sep.join(
            f"{_enc(str(k), safe)},{_enc(scalar_text(v), safe)}" for k, v in value.items()
        )
    return prefix + _enc(scalar_text(value), safe)


def serialize_query(spec: ParamSpec | None, name: str, value: Any) -> list[str]:
    """Encoded `name=value` pieces for the query string (several for exploded arrays and objects)."""
    safe = _QUERY_RESERVED_SAFE if spec is not None and spec.allow_reserved else ""
    n = _enc(name, "")
    content = _content(spec, value)
    if content is not None:
        return [f"{n}={_enc(content, safe)}"]
    style, explode = _style(spec, "form")
    if isinstance(value, list):
        items = [_enc(scalar_text(v), safe) for v in value]
        if style == "form" and explode:
            return [f"{n}={v}" for v in items]
        joiner = {"spaceDelimited": "%20", "pipeDelimited": "|", "tabDelimited": "%09"}.get(style, ",")
        return [f"{n}={joiner.join(items)}"]
    if isinstance(value, Mapping):
        if style == "deepObject":
            return [f"{n}%5B{_enc(str(k), '')}%5D={_enc(scalar_text(v), safe)}" for k, v in value.items()]
        if style == "form" and explode:
            return [f"{_enc(str(k), '')}={_enc(scalar_text(v), safe)}" for k, v in value.items()]
        joiner = {"spaceDelimited": "%20", "pipeDelimited": "|"}.get(style, ",")
        return [
            f"{n}="
            + joiner.join(
                f"{_enc(str(k), safe)}{joiner}{_enc(scalar_text(v), safe)}" for k, v in value.items()
            )
        ]
    return [f"{n}={_enc(scalar_text(value), safe)}"]


def serialize_header(spec: ParamSpec | None, value: Any) -> str:
    """A header value (simple style); CR and LF are refused so a value cannot inject headers."""
    content = _content(spec, value)
    if content is not None:
        text = content
    elif isinstance(value, list):
        text = ",".join(scalar_text(v) for v in value)
    elif isinstance(value, Mapping):
        explode = spec is not None and bool(spec.explode)
        text = ",".join(
            f"{k}={scalar_text(v)}" if explode else f"{k},{scalar_text(v)}" for k, v in value.items()
        )
    else:
        text = scalar_text(value)
    if "\r" in text or "\n" in text:
        raise ValueError("header values cannot contain line breaks")
    return text


def serialize_cookie(spec: ParamSpec | None, name: str, value: Any) -> str:
    """One `name=value` pair for the Cookie header (form style; arrays and objects comma-joined)."""
    if isinstance(value, list):
        text = ",".join(scalar_text(v) for v in value)
    elif isinstance(value, Mapping):
        text = ",".join(f"{k},{scalar_text(v)}" for k, v in value.items())
    else:
        text = scalar_text(value)
    return f"{name}={_enc(text, _COOKIE_SAFE)}"
