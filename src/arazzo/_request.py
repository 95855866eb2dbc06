"""Building the HTTP request of a step: URL from servers and path template, parameters serialized per the
operation, the body encoded by content type (JSON, form, multipart, XML, text) with payload replacements."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from ._errors import ArazzoError
from ._expressions import Scope
from ._openapi import Operation
from ._plan import StepPlan
from ._serialize import scalar_text, serialize_cookie, serialize_header, serialize_path, serialize_query
from ._values import MISSING, as_text, parse_pointer, pointer_set

__all__ = ["OutgoingRequest", "RequestBuildError", "build_request", "encode_body", "media_kind"]

_PATH_VAR_RE = re.compile(r"\{([^{}]+)\}")


class RequestBuildError(ArazzoError):
    """The request cannot be built (a path parameter without value, a bad URL); the step fails."""


@dataclass(slots=True)  # made per request: a compiled __init__ (dataclass) is ~5x faster than record's
class OutgoingRequest:
    """A request ready to send, plus what `$request.*` expressions read."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    content: bytes | None
    body: Any = MISSING
    path_params: dict[str, Any] = field(default_factory=dict)
    query: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def media_kind(content_type: str | None) -> str:
    """json | form | multipart | xml | text | binary."""
    if not content_type:
        return "binary"
    base = content_type.split(";")[0].strip().lower()
    if base == "application/json" or base.endswith("+json") or base == "text/json":
        return "json"
    if base == "application/x-www-form-urlencoded":
        return "form"
    if base == "multipart/form-data" or base.startswith("multipart/"):
        return "multipart"
    if base in ("application/xml", "text/xml") or base.endswith("+xml"):
        return "xml"
    if base.startswith("text/"):
        return "text"
    return "binary"


def _form_value(value: Any) -> str:
    return value if isinstance(value, str) else scalar_text(value)


def _multipart(value: Mapping[str, Any]) -> tuple[bytes, str]:
    import secrets

    boundary = "arazzo-" + secrets.token_hex(12)
    out = bytearray()
    for name, raw in value.items():
        for item in raw if isinstance(raw, list) else [raw]:
            out += f"--{boundary}\r\n".encode()
            safe_name = str(name).replace('"', "%22")
            if isinstance(item, bytes):
                out += (
                    f'Content-Disposition: form-data; name="{safe_name}"; filename="{safe_name}"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n"
                ).encode()
                out += item
            elif isinstance(item, (dict, list)):
                out += (
                    f'Content-Disposition: form-data; name="{safe_name}"\r\n'
                    "Content-Type: application/json\r\n\r\n"
                ).encode()
                out += json.dumps(item, ensure_ascii=False).encode()
            else:
                out += f'Content-Disposition: form-data; name="{safe_name}"\r\n\r\n'.encode()
                out += _form_value(item).encode()
            out += b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def encode_body(content_type: str | None, value: Any) -> tuple[bytes | None, str | None]:
    """Encode a payload for a content type; returns (bytes, Content-Type header value)."""
    if value is MISSING:
        return None, None
    if content_type is None:
        if isinstance(value, (dict, list, bool, int, float)) or value is None:
            content_type = "application/json"
        elif isinstance(value, bytes):
            content_type = "application/octet-stream"
        else:
            content_type = "text/plain; charset=utf-8"
    if isinstance(value, bytes):
        return value, content_type
    kind = media_kind(content_type)
    if kind == "json":
        if isinstance(value, str):
            return value.encode(), content_type
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), content_type
    if kind == "form":
        if isinstance(value, str):
            return value.encode(), content_type
        if not isinstance(value, Mapping):
            raise RequestBuildError(
                "an application/x-www-form-urlencoded payload must be an object or a string"
            )
        pairs = []
        for k, v in value.items():
            for item in v if isinstance(v, list) else [v]:
                pairs.append(f"{quote(str(k), safe='')}={quote(_form_value(item), safe='')}")
        return "&".join(pairs).encode(), content_type
    if kind == "multipart":
        if isinstance(value, str):
            return value.encode(), content_type
        if not isinstance(value, Mapping):
            raise RequestBuildError("a multipart/form-data payload must be an object (one part per member)")
        return _multipart(value)
    if kind == "xml":
        if not isinstance(value, str):
            raise RequestBuildError("an XML payload must be a string (an XML template)")
        return value.encode(), content_type
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), content_type
    return as_text(value).encode(), content_type


def _xml_replace(text: str, target: str, value: Any) -> str:
    import xml.etree.ElementTree as ET

    import elementpath

    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise RequestBuildError(
            f"the XML payload does not parse ({exc}); cannot apply replacement {target!r}"
        ) from exc
    attr = None
    m = re.match(r"(.*)/@([A-Za-z_][\w.\-]*)\Z", target)
    select = target
    if m:
        select, attr = m.group(1) or ".", m.group(2)
    try:
        nodes = elementpath.select(root, select)
    except elementpath.ElementPathError as exc:
        raise RequestBuildError(f"replacement target {target!r} is not a valid XPath: {exc}") from exc
    elements = [n for n in (nodes if isinstance(nodes, list) else [nodes]) if isinstance(n, ET.Element)]
    if not elements:
        raise RequestBuildError(f"replacement target {target!r} selects no element of the XML payload")
    for el in elements:
        if attr is not None:
            el.set(attr, as_text(value))
        else:
            for child in list(el):
                el.remove(child)
            el.text = as_text(value)
    return ET.tostring(root, encoding="unicode")


def _apply_replacements(plan: StepPlan, scope: Scope, value: Any, content_type: str | None) -> Any:
    body = plan.step.request_body
    assert body is not None
    if not body.replacements:
        return value
    kind = media_kind(content_type)
    if kind == "xml" and isinstance(value, str):
        for r in body.replacements:
            value = _xml_replace(value, r.target, r.value.evaluate(scope))
        return value
    reparse = isinstance(value, str) and kind == "json"
    if reparse:
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise RequestBuildError(f"the JSON payload text does not parse: {exc}") from exc
    else:
        value = copy.deepcopy(value) if value is not MISSING else {}
    for r in body.replacements:
        try:
            value = pointer_set(value, parse_pointer(r.target), r.value.evaluate(scope))
        except (ValueError, KeyError) as exc:
            raise RequestBuildError(f"replacement target {r.target!r}: {exc}") from exc
    return json.dumps(value, ensure_ascii=False) if reparse else value


def _base_url(op: Operation, servers: Mapping[str, str], path_values: Mapping[str, Any]) -> str:
    override = servers.get(op.source)
    if override is not None:
        return override.rstrip("/")
    spec = op.servers[0]
    values = {n: scalar_text(path_values[n]) for n in spec.host_params if n in path_values}
    try:
        url = spec.render(values)
    except KeyError as exc:
        raise RequestBuildError(
            f"server variable {exc.args[0]!r} of source {op.source!r} has no value; "
            f"pass --server {op.source}=URL"
        ) from exc
    if not url.lower().startswith(("http://", "https://")):
        raise RequestBuildError(
            f"source {op.source!r} has no absolute server URL ({url!r}); pass --server {op.source}=URL"
        )
    return url.rstrip("/")


def build_request(plan: StepPlan, scope: Scope, servers: Mapping[str, str]) -> OutgoingRequest:
    """Evaluate the step's parameters and body against the scope and assemble the request."""
    op = plan.operation
    notes: list[str] = []
    path_values: dict[str, Any] = {}
    query_parts: list[str] = []
    query_values: dict[str, list[str]] = {}
    headers: list[tuple[str, str]] = []
    cookies: list[str] = []
    for p in plan.parameters:
        value = p.value.evaluate(scope)
        if value is MISSING:
            notes.append(f"parameter {p.name!r} ({p.in_}) has no value; not sent")
            continue
        spec = op.param(p.name, p.in_ or "") if op is not None else None
        if p.in_ == "path":
            path_values[p.name] = value
        elif p.in_ == "query":
            query_parts.extend(serialize_query(spec, p.name, value))
            query_values.setdefault(p.name, []).append(scalar_text(value))
        elif p.in_ == "header":
            try:
                headers.append((p.name, serialize_header(spec, value)))
            except ValueError as exc:
                raise RequestBuildError(f"header {p.name!r}: {exc}") from exc
        elif p.in_ == "cookie":
            cookies.append(serialize_cookie(spec, p.name, value))
    if cookies:
        headers.append(("Cookie", "; ".join(cookies)))

    if op is not None:
        base = _base_url(op, servers, path_values)

        def fill(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in path_values:
                raise RequestBuildError(f"path parameter {name!r} of {op.label} ({op.path}) has no value")
            return serialize_path(op.param(name, "path"), name, path_values[name])

        url = base + _PATH_VAR_RE.sub(fill, op.path)
        method = op.method
        if query_parts:
            url += "?" + "&".join(query_parts)
    else:
        xo = plan.step.x_operation
        assert xo is not None
        raw_url = xo.url.evaluate(scope)
        if raw_url is MISSING or raw_url is None or raw_url == "":
            raise RequestBuildError(f"x-operation url {_source(xo.url)} evaluated to nothing")
        url = as_text(raw_url).strip()
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise RequestBuildError("x-operation url is not an absolute http(s) URL")
        url = url.split("#", 1)[0]
        for k, v in parse_qsl(parts.query, keep_blank_values=True):
            query_values.setdefault(k, []).append(v)
        if query_parts:
            url += ("&" if parts.query else ("" if url.endswith("?") else "?")) + "&".join(query_parts)
        method = xo.method
        if path_values:
            notes.append("x-operation steps have no path template; path parameters are ignored")

    content: bytes | None = None
    body_value: Any = MISSING
    body = plan.step.request_body
    if body is not None and plan.workflow is None:
        content_type = body.content_type
        if content_type is None and op is not None and op.media_types:
            from ._openapi import _prefer_json

            content_type = _prefer_json(op.media_types)
        body_value = body.payload.evaluate(scope) if body.payload is not None else MISSING
        if body.replacements:
            body_value = _apply_replacements(plan, scope, body_value, content_type)
        content, header_type = encode_body(content_type, body_value)
        if header_type is not None and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", header_type))
    return OutgoingRequest(method, url, headers, content, body_value, path_values, query_values, notes)


def _source(value: Any) -> str:
    exprs = value.expressions() if hasattr(value, "expressions") else []
    return repr(exprs[0].text) if exprs else "(literal)"
