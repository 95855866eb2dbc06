"""Sending requests with one shared client and reading responses (size limit, JSON parsing). The default
client is `_transport.LeanClient`; an injected httpx.AsyncClient also works, and its exceptions are
converted here, once, into TransportError."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from ._errors import TransportError
from ._record import record
from ._request import OutgoingRequest, media_kind
from ._transport import LeanClient
from ._values import MISSING

if TYPE_CHECKING:
    import httpx

Client = Union[LeanClient, "httpx.AsyncClient"]
"""What runs send with: our LeanClient (default) or an injected httpx.AsyncClient."""

__all__ = [
    "Client",
    "tls_verify",
    "HttpOptions",
    "ReceivedResponse",
    "make_client",
    "send",
    "parse_body",
    "retry_after_seconds",
    "error_message",
]

USER_AGENT = "arazzo-quantum/0.1"


@record(frozen=True, slots=True)
class HttpOptions:
    """Transport settings for a run: timeouts in seconds, a response size limit, TLS verification
    (True, False or the path of a CA bundle)."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    total_timeout: float | None = 300.0
    max_response_bytes: int = 64 * 1024 * 1024
    verify: bool | str = True
    max_retry_after: float = 300.0


def tls_verify(verify: bool | str) -> Any:
    """httpx's `verify`: True/False, or an SSL context trusting the CA bundle at that path."""
    if isinstance(verify, str):
        from ._transport import ssl_context

        return ssl_context(verify)
    return verify


def make_client(options: HttpOptions | None = None) -> LeanClient:
    """A pooled client to share between runs (in one event loop); close it with `await client.aclose()`.
    Callers may pass an `httpx.AsyncClient` instead (e.g. with an ASGI transport)."""
    options = options or HttpOptions()
    return LeanClient(verify=options.verify, user_agent=USER_AGENT)


@dataclass(slots=True)  # made per request: a compiled __init__ (dataclass) is ~5x faster than record's
class ReceivedResponse:
    """A response as expressions see it: headers by lower-case name, body parsed by content type."""

    status_code: int
    headers: dict[str, str]
    body: Any
    raw: bytes
    content_type: str
    notes: list[str] = field(default_factory=list)


def parse_body(content_type: str, raw: bytes) -> tuple[Any, str | None]:
    """JSON for application/json and +json, text for text and XML types, bytes otherwise."""
    if not raw:
        return MISSING, None
    kind = media_kind(content_type)
    charset = "utf-8"
    for piece in content_type.split(";")[1:]:
        k, _, v = piece.strip().partition("=")
        if k.lower() == "charset" and v:
            charset = v.strip('"')
    if kind == "json":
        try:
            return json.loads(raw.decode(charset)), None
        except (ValueError, LookupError):
            return raw.decode("utf-8", "replace"), "the response says JSON but does not parse as JSON"
    if kind in ("text", "xml", "form"):
        try:
            return raw.decode(charset), None
        except (UnicodeDecodeError, LookupError):
            return raw.decode("utf-8", "replace"), None
    return raw, None


def retry_after_seconds(headers: dict[str, str], cap: float) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), capped; None when absent or invalid."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        import email.utils

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds:
        return None
    return max(0.0, min(seconds, cap))


def error_message(response: ReceivedResponse, limit: int = 300) -> str:
    """The service's error text: `error.message` of an Azure-style error body, else a short excerpt."""
    body = response.body
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            code = err.get("code")
            return f"{code}: {err['message']}" if isinstance(code, str) else err["message"]
        if isinstance(err, str):
            return err
        for key in ("message", "detail", "title"):
            if isinstance(body.get(key), str):
                return str(body[key])
    if isinstance(body, (dict, list)):
        text = json.dumps(body, ensure_ascii=False)
    elif isinstance(body, str):
        text = body
    elif isinstance(body, bytes):
        text = body.decode("utf-8", "replace")
    else:
        text = ""
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


def _root_reason(exc: BaseException) -> str:
    """The operating system's reason behind a connection failure (refused, unreachable, DNS)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cur, OSError) and cur.strerror:
            return cur.strerror.lower()
        cur = cur.__cause__ or cur.__context__
    return str(exc) or "connection failed"


def _describe(exc: Any, url: Any, options: HttpOptions) -> tuple[str, str]:
    import httpx

    where = f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")
    if isinstance(exc, httpx.ConnectTimeout):
        return (
            "timeout",
            f"could not connect to {where} within {options.connect_timeout:g} s (connect timeout)",
        )
    if isinstance(exc, httpx.ReadTimeout):
        return "timeout", f"{where} sent no response within {options.read_timeout:g} s (read timeout)"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", f"timed out talking to {where}"
    if isinstance(exc, httpx.ConnectError):
        return "connect", f"could not connect to {where}: {_root_reason(exc)}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "protocol", f"{where} broke the HTTP exchange: {exc}"
    return "transport", f"HTTP error talking to {where}: {exc.__class__.__name__}: {_root_reason(exc)}"


async def _exchange_httpx(client: Any, req: OutgoingRequest, options: HttpOptions) -> ReceivedResponse:
    import httpx

    try:
        url = httpx.URL(req.url)
        request = client.build_request(req.method, url, headers=req.headers, content=req.content)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise TransportError(f"invalid request URL: {exc}", kind="url") from exc
    try:
        response = await client.send(request, stream=True)
    except httpx.HTTPError as exc:
        kind, message = _describe(exc, url, options)
        raise TransportError(message, kind=kind) from exc
    try:
        chunks: list[bytes] = []
        total = 0
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > options.max_response_bytes:
            raise TransportError(
                f"response of {declared} bytes exceeds the limit of {options.max_response_bytes} bytes",
                kind="size",
            )
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > options.max_response_bytes:
                raise TransportError(
                    f"response exceeds the limit of {options.max_response_bytes} bytes", kind="size"
                )
            chunks.append(chunk)
    except httpx.HTTPError as exc:
        kind, message = _describe(exc, url, options)
        raise TransportError(message, kind=kind) from exc
    finally:
        await response.aclose()
    raw = b"".join(chunks)
    headers: dict[str, str] = {}
    for k, v in response.headers.multi_items():
        key = k.lower()
        headers[key] = f"{headers[key]}, {v}" if key in headers else v
    content_type = headers.get("content-type", "")
    body, note = parse_body(content_type, raw)
    return ReceivedResponse(response.status_code, headers, body, raw, content_type, [note] if note else [])


async def _exchange_lean(client: LeanClient, req: OutgoingRequest, options: HttpOptions) -> ReceivedResponse:
    raw = await client.request(
        req.method,
        req.url,
        req.headers,
        req.content,
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        max_bytes=options.max_response_bytes,
    )
    headers: dict[str, str] = {}
    for k, v in raw.headers:
        key = k.lower()
        headers[key] = f"{headers[key]}, {v}" if key in headers else v
    content_type = headers.get("content-type", "")
    body, note = parse_body(content_type, raw.body)
    return ReceivedResponse(raw.status_code, headers, body, raw.body, content_type, [note] if note else [])


async def send(client: Client, req: OutgoingRequest, options: HttpOptions) -> ReceivedResponse:
    """Send one request; raises TransportError when no complete response arrives."""
    exchange = _exchange_lean if isinstance(client, LeanClient) else _exchange_httpx
    if options.total_timeout is None:
        return await exchange(client, req, options)  # type: ignore[arg-type]
    try:
        async with asyncio.timeout(options.total_timeout):
            return await exchange(client, req, options)  # type: ignore[arg-type]
    except TimeoutError as exc:
        raise TransportError(
            f"the exchange took longer than {options.total_timeout:g} s (total timeout)", kind="timeout"
        ) from exc
