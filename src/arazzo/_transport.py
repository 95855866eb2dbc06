"""The engine's HTTP/1.1 client: keep-alive connection pools per origin on asyncio streams, with h11 (the
HTTP/1.1 state machine httpcore is built on) doing all request framing and response parsing. On loopback
httpcore and httpx cost 0.6-0.8 ms more per request than http.client, this about 0.07 (bench/transport.py).
gzip/deflate, TLS, limits and timeouts live here; every failure becomes TransportError here, once."""

from __future__ import annotations

import asyncio
import socket
import ssl
import zlib
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import h11

from ._errors import TransportError

__all__ = ["LeanClient", "RawResponse", "ssl_context"]

_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
_SAFE_TARGET = "!#$%&'()*+,/:;=?@[]~"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_SET_HERE = frozenset({"host", "content-length", "transfer-encoding", "connection"})
MAX_HEAD = 256 * 1024
_READ = 65536


@dataclass(slots=True)  # made per request: a compiled __init__ (dataclass) is ~5x faster than record's
class RawResponse:
    """A response as read from the socket: status, headers in order, body bytes."""

    status_code: int
    headers: list[tuple[str, str]]
    body: bytes


def ssl_context(verify: bool | str) -> ssl.SSLContext:
    """A client TLS context: system/certifi trust, none (False), or a CA bundle file (str)."""
    if verify is False:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if isinstance(verify, str):
        try:
            return ssl.create_default_context(cafile=verify)
        except (OSError, ssl.SSLError) as exc:
            raise TransportError(f"cannot use CA bundle {verify}: {exc}", kind="tls") from exc
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except (ImportError, OSError):
        return ssl.create_default_context()


class _Conn:
    """One socket and its h11 state; reused only after h11 says both sides finished a cycle cleanly."""

    __slots__ = ("reader", "writer", "h11", "reused")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
        self.reused = False

    def usable(self) -> bool:
        return not self.writer.is_closing() and not self.reader.at_eof()

    def close(self) -> None:
        try:
            self.writer.close()
        except (OSError, RuntimeError):  # already closed, or its loop is gone
            pass


class _Stale(Exception):
    """A reused keep-alive connection was closed by the server before it answered."""


class LeanClient:
    """Connection-pooling HTTP/1.1 client; share one across runs (one event loop), close with `aclose()`."""

    def __init__(
        self,
        *,
        verify: bool | str = True,
        user_agent: str = "arazzo-quantum/0.1",
        max_connections: int = 200,
        max_idle_per_origin: int = 64,
    ) -> None:
        self.verify = verify
        self.user_agent = user_agent
        self.max_idle = max_idle_per_origin
        self._idle: dict[tuple[str, str, int], deque[_Conn]] = {}
        self._limit = max_connections
        self._slots: asyncio.Semaphore | None = None
        self._tls: ssl.SSLContext | None = None
        self._closed = False

    # -- connections ----------------------------------------------------------------------------------
    async def _connect(self, scheme: str, host: str, port: int, timeout: float) -> _Conn:
        tls = None
        if scheme == "https":
            if self._tls is None:
                self._tls = ssl_context(self.verify)
            tls = self._tls
        where = f"{scheme}://{host}:{port}"
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls, server_hostname=host if tls else None, limit=MAX_HEAD
                )
        except TimeoutError as exc:
            raise TransportError(
                f"could not connect to {where} within {timeout:g} s (connect timeout)", kind="timeout"
            ) from exc
        except ssl.SSLCertVerificationError as exc:
            raise TransportError(f"TLS certificate of {where} not trusted: {exc.verify_message}", kind="tls") from exc
        except ssl.SSLError as exc:
            raise TransportError(f"TLS handshake with {where} failed: {exc.reason or exc}", kind="tls") from exc
        except ConnectionRefusedError as exc:
            raise TransportError(f"could not connect to {where}: connection refused", kind="connect") from exc
        except socket.gaierror as exc:
            raise TransportError(f"could not resolve {host}: {exc.strerror}", kind="connect") from exc
        except OSError as exc:
            raise TransportError(f"could not connect to {where}: {exc.strerror or exc}", kind="connect") from exc
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        return _Conn(reader, writer)

    def _take_idle(self, key: tuple[str, str, int]) -> _Conn | None:
        pool = self._idle.get(key)
        while pool:
            conn = pool.pop()
            if conn.usable():
                conn.reused = True
                return conn
            conn.close()
        return None

    def _release(self, key: tuple[str, str, int], conn: _Conn) -> None:
        pool = self._idle.setdefault(key, deque())
        if self._closed or len(pool) >= self.max_idle:
            conn.close()
        else:
            pool.append(conn)

    # -- requests -------------------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        content: bytes | None,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_bytes: int,
    ) -> RawResponse:
        if self._closed:
            raise TransportError("the HTTP client is closed", kind="closed")
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise TransportError(f"invalid request URL {url!r}", kind="url")
        host = parts.hostname
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError as exc:
            raise TransportError(f"invalid port in URL {url!r}", kind="url") from exc
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        if any(c <= " " or c >= "\x7f" for c in target):
            target = quote(target, safe=_SAFE_TARGET)
        host_header = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            host_header += f":{port}"
        event = self._request_event(method, target, host_header, headers, content)
        key = (scheme, host, port)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._limit)
        async with self._slots:
            conn = self._take_idle(key)
            if conn is not None:
                try:
                    return await self._exchange(key, conn, method, event, content, read_timeout, max_bytes)
                except _Stale:
                    if method not in _IDEMPOTENT:
                        raise TransportError(
                            f"{scheme}://{host}:{port} closed a kept-alive connection before answering",
                            kind="connect",
                        ) from None
            conn = await self._connect(scheme, host, port, connect_timeout)
            return await self._exchange(key, conn, method, event, content, read_timeout, max_bytes)

    def _request_event(
        self, method: str, target: str, host: str, headers: list[tuple[str, str]], content: bytes | None
    ) -> h11.Request:
        """The request head as an h11 event; h11 checks every name, value and the target here."""
        fields = [("Host", host)]
        present = set()
        for name, value in headers:
            low = name.lower()
            if low in _SET_HERE:
                continue
            present.add(low)
            fields.append((name, value))
        if "user-agent" not in present:
            fields.append(("User-Agent", self.user_agent))
        if "accept" not in present:
            fields.append(("Accept", "*/*"))
        if "accept-encoding" not in present:
            fields.append(("Accept-Encoding", "gzip, deflate"))
        if content is not None or method in _BODY_METHODS:
            fields.append(("Content-Length", str(len(content or b""))))
        try:
            return h11.Request(method=method, target=target, headers=fields)
        except (h11.LocalProtocolError, UnicodeEncodeError):
            # h11's message quotes the offending value, which may be a secret: name the field only.
            raise TransportError(_invalid_field(method, target, fields), kind="url") from None

    async def _exchange(
        self,
        key: tuple[str, str, int],
        conn: _Conn,
        method: str,
        event: h11.Request,
        content: bytes | None,
        read_timeout: float,
        max_bytes: int,
    ) -> RawResponse:
        where = f"{key[0]}://{key[1]}:{key[2]}"
        state, reader = conn.h11, conn.reader
        keep = False
        eof = False
        received = False
        response: h11.Response | None = None
        try:
            out = state.send(event) or b""
            if content:
                out += state.send(h11.Data(data=content)) or b""
            out += state.send(h11.EndOfMessage()) or b""
            conn.writer.write(out)
            chunks: list[bytes] = []
            total = 0
            async with asyncio.timeout(read_timeout):
                while True:
                    got = state.next_event()
                    if got is h11.NEED_DATA:
                        data = await reader.read(_READ)
                        if not data:
                            if not received:
                                raise _Stale()
                            eof = True
                        received = True
                        state.receive_data(data)
                    elif type(got) is h11.Data:
                        total += len(got.data)
                        if total > max_bytes:
                            raise TransportError(f"response exceeds the limit of {max_bytes} bytes", kind="size")
                        chunks.append(got.data)
                    elif type(got) is h11.Response:
                        response = got
                        _check_declared_length(got, max_bytes)
                    elif type(got) is h11.EndOfMessage:
                        break
                    elif type(got) is not h11.InformationalResponse:  # ConnectionClosed, PAUSED: no message
                        raise TransportError(f"{where} ended the exchange without a response", kind="protocol")
        except _Stale:
            if conn.reused:
                raise
            raise TransportError(f"{where} closed the connection without answering", kind="protocol") from None
        except (ConnectionResetError, BrokenPipeError) as exc:
            if conn.reused and not received:
                raise _Stale() from exc
            raise TransportError(f"{where} reset the connection", kind="protocol") from exc
        except TimeoutError as exc:
            raise TransportError(
                f"{where} sent no complete response within {read_timeout:g} s (read timeout)", kind="timeout"
            ) from exc
        except h11.RemoteProtocolError as exc:
            raise TransportError(_broken(where, exc, eof, response is not None), kind="protocol") from exc
        except OSError as exc:
            raise TransportError(f"{where}: {exc.strerror or exc}", kind="protocol") from exc
        finally:
            if state.our_state is h11.DONE and state.their_state is h11.DONE:
                state.start_next_cycle()
                keep = True
            if keep:
                self._release(key, conn)
            else:
                conn.close()
        assert response is not None  # EndOfMessage only follows a Response
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in response.headers]
        body = b"".join(chunks)
        encoding = next((v.lower().strip() for k, v in reversed(headers) if k == "content-encoding"), "")
        if encoding in ("gzip", "deflate", "x-gzip") and body:
            body = _decompress(body, encoding, max_bytes, where)
        return RawResponse(response.status_code, headers, body)

    async def aclose(self) -> None:
        self._closed = True
        for pool in self._idle.values():
            while pool:
                pool.pop().close()
        self._idle.clear()

    async def __aenter__(self) -> LeanClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


def _invalid_field(method: str, target: str, fields: list[tuple[str, str]]) -> str:
    """Which part of the request h11 refused, without quoting any header value."""
    for name, value in fields:
        try:
            probe = [(name, value)] if name.lower() == "host" else [("Host", "x"), (name, value)]
            h11.Request(method="GET", target="/", headers=probe)
        except (h11.LocalProtocolError, UnicodeEncodeError):
            shown = name if name.isascii() and name.isprintable() and len(name) <= 64 else "(unprintable)"
            return f"invalid header {shown!r}: forbidden characters in its name or value"
    return f"invalid request line: method {method[:20]!r} or target {target[:80]!r}"


def _check_declared_length(response: h11.Response, max_bytes: int) -> None:
    for name, value in response.headers:
        if name == b"content-length" and int(value) > max_bytes:  # h11 has checked it is digits
            raise TransportError(f"response of {int(value)} bytes exceeds the limit of {max_bytes} bytes", kind="size")


def _broken(where: str, exc: h11.RemoteProtocolError, eof: bool, answered: bool) -> str:
    """A sentence for h11's complaint about the server's bytes."""
    if exc.error_status_hint == 431:
        return f"{where} sent response headers larger than {MAX_HEAD} bytes"
    if eof:
        return f"{where} closed the connection before the response was complete"
    if not answered:
        return f"{where} did not answer with HTTP/1.1 ({str(exc)[:100]})"
    return f"{where} broke HTTP/1.1 framing ({str(exc)[:100]})"


def _decompress(body: bytes, encoding: str, max_bytes: int, where: str) -> bytes:
    try:
        d = zlib.decompressobj(zlib.MAX_WBITS | 32 if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS)
        out = d.decompress(body, max_bytes + 1)
    except zlib.error:
        if encoding == "deflate":  # some servers send raw deflate
            try:
                out = zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, max_bytes + 1)
            except zlib.error as exc:
                raise TransportError(f"{where} sent a corrupt {encoding} body", kind="protocol") from exc
        else:
            raise TransportError(f"{where} sent a corrupt {encoding} body", kind="protocol") from None
    if len(out) > max_bytes:
        raise TransportError(f"decompressed response exceeds the limit of {max_bytes} bytes", kind="size")
    return out
