"""An index of an OpenAPI description (2.0, 3.0, 3.1): operations by operationId and by JSON Pointer,
servers, parameters and request bodies, with `$ref` followed across files."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from typing import Any
from urllib.parse import urldefrag, urljoin

from ._errors import DocumentError, Position
from ._record import record
from ._retrieve import Retriever, display_name
from ._serialize import ParamSpec
from ._values import MISSING, format_pointer, parse_pointer, pointer_get

__all__ = ["OpenAPIDescription", "Operation", "ServerSpec", "Resolver"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_VAR_RE = re.compile(r"\{([^{}]+)\}")
MAX_REF_HOPS = 64


class Resolver:
    """Follows `$ref` within and across documents; refs resolve against the document that holds them."""

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever

    def document(self, uri: str) -> Any:
        return self.retriever.fetch(uri, positions=False).value

    def follow(self, node: Any, base: str) -> tuple[Any, str]:
        """Replace a `{$ref: ...}` node by its target (repeatedly); returns (value, base URI of the value)."""
        hops = 0
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            hops += 1
            if hops > MAX_REF_HOPS:
                raise DocumentError(
                    f"$ref chain too long or circular at {node['$ref']!r} in {display_name(base)}"
                )
            target = urljoin(base, node["$ref"])
            doc_uri, fragment = urldefrag(target)
            try:
                tokens = parse_pointer(fragment)
            except ValueError as exc:
                raise DocumentError(f"bad $ref {node['$ref']!r} in {display_name(base)}: {exc}") from exc
            value = pointer_get(self.document(doc_uri), tokens)
            if value is MISSING:
                raise DocumentError(f"$ref {node['$ref']!r} in {display_name(base)} points to nothing")
            node, base = value, doc_uri
        return node, base


@record(frozen=True, slots=True)
class ServerSpec:
    """A server URL template with variable defaults; `host_params` come from step path parameters
    (Azure's x-ms-parameterized-host)."""

    url: str
    defaults: Mapping[str, str] = field(default_factory=dict)
    host_params: tuple[str, ...] = ()

    def render(self, values: Mapping[str, str]) -> str:
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name in values:
                return values[name]
            if name in self.defaults:
                return self.defaults[name]
            raise KeyError(name)

        return _VAR_RE.sub(sub, self.url)


@record(frozen=True, slots=True)
class Operation:
    """One operation of a source description, ready to build requests from."""

    source: str
    operation_id: str | None
    method: str
    path: str
    pointer: str
    parameters: Mapping[tuple[str, str], ParamSpec]
    media_types: tuple[str, ...]
    body_schema: Any
    body_required: bool
    servers: tuple[ServerSpec, ...]
    security: tuple[Mapping[str, Any], ...] | None
    description: OpenAPIDescription = field(repr=False, compare=False)

    @property
    def label(self) -> str:
        return self.operation_id or f"{self.method} {self.path}"

    def param(self, name: str, in_: str) -> ParamSpec | None:
        return self.parameters.get((name.lower() if in_ == "header" else name, in_))


def _key(name: str, in_: str) -> tuple[str, str]:
    return (name.lower() if in_ == "header" else name, in_)


class OpenAPIDescription:
    """An indexed OpenAPI document (name = its source description name)."""

    def __init__(
        self, name: str, uri: str, root: Any, resolver: Resolver, where: Position | None = None
    ) -> None:
        self.name = name
        self.uri = uri
        self.root = root
        self.resolver = resolver
        if not isinstance(root, Mapping):
            raise DocumentError(f"{display_name(uri)} is not an OpenAPI description", position=where)
        if isinstance(root.get("swagger"), str) and root["swagger"].startswith("2."):
            self.version = "2.0"
        elif isinstance(root.get("openapi"), str) and re.match(r"3\.[01]\.", root["openapi"]):
            self.version = root["openapi"][:3]
        else:
            found = root.get("openapi", root.get("swagger", "none"))
            raise DocumentError(
                f"{display_name(uri)} is not an OpenAPI 2.0/3.0/3.1 description (version {found!r})",
                position=where,
            )
        self.by_id: dict[str, Operation] = {}
        self.by_pointer: dict[str, Operation] = {}
        self.security_schemes: dict[str, Any] = self._security_schemes()
        self._index()

    # -- servers ----------------------------------------------------------------------------------------
    def _servers(self, raw: Any) -> tuple[ServerSpec, ...]:
        out = []
        for s in raw if isinstance(raw, list) else []:
            if not isinstance(s, Mapping) or not isinstance(s.get("url"), str):
                continue
            defaults = {
                k: str(v.get("default", ""))
                for k, v in (s.get("variables") or {}).items()
                if isinstance(v, Mapping)
            }
            url = s["url"]
            if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", url) and "{" not in url.split("/")[0]:
                url = urljoin(self.uri, url) if not self.uri.startswith("file:") else url
            out.append(ServerSpec(url, defaults))
        return tuple(out)

    def _swagger_servers(self) -> tuple[ServerSpec, ...]:
        root = self.root
        base_path = root.get("basePath", "") or ""
        schemes = root.get("schemes") or []
        scheme = "https" if "https" in schemes or not schemes else schemes[0]
        ph = root.get("x-ms-parameterized-host")
        if isinstance(ph, Mapping) and isinstance(ph.get("hostTemplate"), str):
            defaults: dict[str, str] = {}
            names: list[str] = []
            for p in ph.get("parameters") or []:
                p, _ = self.resolver.follow(p, self.uri)
                if isinstance(p, Mapping) and isinstance(p.get("name"), str):
                    names.append(p["name"])
                    if "default" in p:
                        defaults[p["name"]] = str(p["default"])
                    elif isinstance(p.get("enum"), list) and len(p["enum"]) == 1:
                        defaults[p["name"]] = str(p["enum"][0])
            prefix = f"{scheme}://" if ph.get("useSchemePrefix", True) else ""
            return (ServerSpec(prefix + ph["hostTemplate"] + base_path, defaults, tuple(names)),)
        host = root.get("host")
        if not host:
            if self.uri.startswith(("http://", "https://")):
                return (ServerSpec(urljoin(self.uri, base_path or "/")),)
            return (ServerSpec("{host}" + base_path, {}, ()),)
        return (ServerSpec(f"{scheme}://{host}{base_path}"),)

    # -- security -------------------------------------------------------------------------------------
    def _security_schemes(self) -> dict[str, Any]:
        if self.version == "2.0":
            raw = self.root.get("securityDefinitions")
        else:
            raw = _obj(self.root.get("components")).get("securitySchemes")
        out = {}
        for name, scheme in raw.items() if isinstance(raw, Mapping) else []:
            scheme, _ = self.resolver.follow(scheme, self.uri)
            if isinstance(scheme, Mapping):
                out[name] = scheme
        return out

    # -- operations -----------------------------------------------------------------------------------
    def _param_spec(self, raw: Any, base: str) -> ParamSpec | None:
        p, base = self.resolver.follow(raw, base)
        if (
            not isinstance(p, Mapping)
            or not isinstance(p.get("name"), str)
            or not isinstance(p.get("in"), str)
        ):
            return None
        content_type = None
        schema = p.get("schema")
        if isinstance(p.get("content"), Mapping) and p["content"]:
            content_type, media = next(iter(p["content"].items()))
            schema = media.get("schema") if isinstance(media, Mapping) else None
        if self.version == "2.0" and p["in"] not in ("body",):
            schema = {k: v for k, v in p.items() if k in ("type", "items", "format", "enum", "default")}
        return ParamSpec(
            name=p["name"],
            in_=p["in"],
            required=bool(p.get("required", p["in"] == "path")),
            style=p.get("style") if isinstance(p.get("style"), str) else None,
            explode=p.get("explode") if isinstance(p.get("explode"), bool) else None,
            allow_reserved=bool(p.get("allowReserved", False)),
            schema=schema if isinstance(schema, Mapping) else None,
            content_type=content_type,
            collection_format=(
                p.get("collectionFormat", "csv")
                if self.version == "2.0" and p.get("type") == "array"
                else None
            ),
            skip_encoding=bool(p.get("x-ms-skip-url-encoding", False)),
        )

    def _index(self) -> None:
        paths = self.root.get("paths") or {}
        if not isinstance(paths, Mapping):
            raise DocumentError(f"{display_name(self.uri)}: 'paths' must be an object")
        if self.version == "2.0":
            root_servers = self._swagger_servers()
        else:
            root_servers = self._servers(self.root.get("servers")) or (ServerSpec("/"),)
        root_security = self.root.get("security")
        for path, raw_item in paths.items():
            if not isinstance(path, str) or path.startswith("x-"):
                continue
            item, item_base = self.resolver.follow(raw_item, self.uri)
            if not isinstance(item, Mapping):
                continue
            item_params = _list(item.get("parameters"))
            item_servers = self._servers(item.get("servers")) if self.version != "2.0" else ()
            for method in _METHODS:
                op = item.get(method)
                if not isinstance(op, Mapping):
                    continue
                params: dict[tuple[str, str], ParamSpec] = {}
                body_schema: Any = None
                body_required = False
                for raw in [*item_params, *_list(op.get("parameters"))]:
                    resolved, pbase = self.resolver.follow(raw, item_base)
                    if (
                        self.version == "2.0"
                        and isinstance(resolved, Mapping)
                        and resolved.get("in") == "body"
                    ):
                        body_schema = resolved.get("schema")
                        body_required = bool(resolved.get("required", False))
                        continue
                    spec = self._param_spec(resolved, pbase)
                    if spec is not None:
                        params[_key(spec.name, spec.in_)] = spec
                media: tuple[str, ...] = ()
                if self.version == "2.0":
                    consumes = _list(op.get("consumes", self.root.get("consumes")))
                    media = tuple(c for c in consumes if isinstance(c, str))
                    if any(s.in_ == "formData" for s in params.values()):
                        media = media or ("application/x-www-form-urlencoded",)
                else:
                    rb, _ = (
                        self.resolver.follow(op.get("requestBody"), item_base)
                        if op.get("requestBody")
                        else (None, item_base)
                    )
                    if isinstance(rb, Mapping):
                        content = _obj(rb.get("content"))
                        media = tuple(k for k in content if isinstance(k, str))
                        body_required = bool(rb.get("required", False))
                        chosen = _prefer_json(media)
                        if chosen is not None and isinstance(content.get(chosen), Mapping):
                            body_schema = content[chosen].get("schema")
                servers = (self._servers(op.get("servers")) if self.version != "2.0" else ()) or item_servers
                security = op.get("security", root_security)
                pointer = format_pointer(["paths", path, method])
                operation = Operation(
                    source=self.name,
                    operation_id=op.get("operationId") if isinstance(op.get("operationId"), str) else None,
                    method=method.upper(),
                    path=path,
                    pointer=pointer,
                    parameters=params,
                    media_types=media,
                    body_schema=body_schema,
                    body_required=body_required,
                    servers=servers or root_servers,
                    security=tuple(security) if isinstance(security, list) else None,
                    description=self,
                )
                self.by_pointer[pointer] = operation
                if operation.operation_id is not None:
                    self.by_id.setdefault(operation.operation_id, operation)

    def find_pointer(self, pointer: str) -> Operation | None:
        """An operation by JSON Pointer (`/paths/~1pets/get`), also accepting a percent-decoded form."""
        return self.by_pointer.get(pointer)


def _obj(value: Any) -> Mapping[str, Any]:
    """`value` where the OpenAPI document must have an object, else an empty one: a malformed member is
    passed over like any other this index does not understand."""
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    """`value` where the OpenAPI document must have an array, else an empty one (see _obj)."""
    return value if isinstance(value, list) else []


def _prefer_json(media: tuple[str, ...]) -> str | None:
    for m in media:
        base = m.split(";")[0].strip().lower()
        if base == "application/json" or base.endswith("+json"):
            return m
    return media[0] if media else None
