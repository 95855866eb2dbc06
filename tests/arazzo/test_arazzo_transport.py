"""The lean HTTP/1.1 client against a scripted loopback server: keep-alive reuse, chunked and
close-delimited bodies, gzip, 100-continue, stale connections, limits and errors."""

from __future__ import annotations

import asyncio
import gzip
import socket
import zlib

import pytest

from arazzo import TransportError
from arazzo._transport import LeanClient


class Scripted:
    """A loopback server answering each request with the next canned response (bytes or a callable)."""

    def __init__(self, replies: list[bytes], close_after: bool = False) -> None:
        self.replies = list(replies)
        self.close_after = close_after
        self.connections = 0
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.replies:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length) if length else b""
                self.requests.append(head + body)
                reply = self.replies.pop(0)
                writer.write(reply)
                await writer.drain()
                if self.close_after or b"Connection: close" in reply.split(b"\r\n\r\n")[0]:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()


def ok(body: bytes, extra: str = "") -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


async def call(client: LeanClient, url: str, method: str = "GET", content: bytes | None = None, **kw):
    options = {"connect_timeout": 2.0, "read_timeout": 2.0, "max_bytes": 10_000, **kw}
    return await client.request(method, url, [("X-Test", "1")], content, **options)


def test_keep_alive_reuses_one_connection() -> None:
    async def main() -> None:
        server = Scripted([ok(b"one"), ok(b"two"), ok(b"three")])
        async with server as url, LeanClient() as client:
            bodies = [(await call(client, url + f"/{i}")).body for i in range(3)]
        assert bodies == [b"one", b"two", b"three"] and server.connections == 1
        first = server.requests[0].decode()
        assert first.startswith("GET /0 HTTP/1.1\r\nHost: 127.0.0.1:") and "X-Test: 1" in first

    asyncio.run(main())


def test_chunked_gzip_and_close_delimited_bodies() -> None:
    packed = gzip.compress(b'{"a": 1}')
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
        + f"{len(packed[:5]):x}\r\n".encode()
        + packed[:5]
        + b"\r\n"
        + f"{len(packed[5:]):x};ext=1\r\n".encode()
        + packed[5:]
        + b"\r\n0\r\nTrailer: x\r\n\r\n"
    )
    until_close = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"

    async def main() -> None:
        server = Scripted([chunked, until_close, ok(b"fresh")])
        async with server as url, LeanClient() as client:
            assert (await call(client, url)).body == b'{"a": 1}'
            assert (await call(client, url)).body == b"until the end"
        assert server.connections == 1

    asyncio.run(main())


def test_informational_responses_are_skipped_and_204_has_no_body() -> None:
    async def main() -> None:
        server = Scripted(
            [
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
                b"HTTP/1.1 204 No Content\r\n\r\n",
                ok(b"after"),
            ]
        )
        async with server as url, LeanClient() as client:
            created = await call(client, url, "POST", b"data")
            assert (created.status_code, created.body) == (201, b"ok")
            assert (await call(client, url, "DELETE")).status_code == 204
            assert (await call(client, url)).body == b"after"
        assert b"Content-Length: 4\r\n\r\ndata" in server.requests[0]

    asyncio.run(main())


def test_a_stale_keep_alive_connection_is_replaced_for_idempotent_requests() -> None:
    async def main() -> None:
        server = Scripted([ok(b"first")], close_after=True)
        async with server as url, LeanClient() as client:
            assert (await call(client, url)).body == b"first"
            await asyncio.sleep(0.05)  # the server has closed the idle connection
            server.replies.append(ok(b"second"))
            assert (await call(client, url)).body == b"second"
        assert server.connections == 2

    asyncio.run(main())


def test_limits_and_errors() -> None:
    async def main() -> None:
        server = Scripted([ok(b"x" * 50), b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", b"garbage\r\n\r\n"])
        async with server as url, LeanClient() as client:
            with pytest.raises(TransportError, match="exceeds the limit of 10 bytes"):
                await call(client, url, max_bytes=10)
        server = Scripted([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"], close_after=True)
        async with server as url, LeanClient() as client:
            with pytest.raises(TransportError, match="closed the connection before the response was complete"):
                await call(client, url)
        server = Scripted([b"garbage\r\n\r\n"])
        async with server as url, LeanClient() as client:
            with pytest.raises(TransportError, match="did not answer with HTTP"):
                await call(client, url)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        async with LeanClient() as client:
            with pytest.raises(TransportError, match="connection refused") as info:
                await call(client, f"http://127.0.0.1:{port}/")
            assert info.value.kind == "connect"
            with pytest.raises(TransportError, match="invalid request URL"):
                await call(client, "ftp://x/")

    asyncio.run(main())


def test_read_timeout() -> None:
    async def main() -> None:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(5)

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            async with LeanClient() as client:
                with pytest.raises(TransportError, match="read timeout"):
                    await call(client, f"http://127.0.0.1:{port}/", read_timeout=0.1)
        finally:
            server.close()

    asyncio.run(main())


class AnswersOnce:
    """Answers the first request on each connection, then closes the connection when the next one arrives
    (a server dropping an idle keep-alive connection just as the client reuses it)."""

    def __init__(self) -> None:
        self.connections = 0
        self.methods: list[str] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.methods.append(head.split(b" ", 1)[0].decode())
            writer.write(ok(f"answer {self.connections}".encode()))
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()


def test_a_connection_dropped_on_reuse_is_retried_only_for_idempotent_methods() -> None:
    async def main() -> None:
        server = AnswersOnce()
        async with server as url, LeanClient() as client:
            assert (await call(client, url)).body == b"answer 1"
            assert (await call(client, url, "PUT", b"{}")).body == b"answer 2"  # retried on a new connection
            assert server.connections == 2
            with pytest.raises(TransportError, match="closed a kept-alive connection before answering") as info:
                await call(client, url, "POST", b"{}")
            assert info.value.kind == "connect"
        assert server.connections == 2  # the POST was not sent again

    asyncio.run(main())


def test_http_1_0_and_connection_close_responses_are_not_reused() -> None:
    async def main() -> None:
        server = Scripted(
            [b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\none", ok(b"two", "Connection: close\r\n"), ok(b"three")],
            close_after=True,
        )
        async with server as url, LeanClient() as client:
            assert [(await call(client, url)).body for _ in range(3)] == [b"one", b"two", b"three"]
        assert server.connections == 3

    asyncio.run(main())


def test_head_responses_have_no_body_and_keep_the_connection() -> None:
    async def main() -> None:
        server = Scripted([b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", ok(b"next")])
        async with server as url, LeanClient() as client:
            head = await call(client, url, "HEAD")
            assert (head.status_code, head.body, ("content-length", "1234") in head.headers) == (200, b"", True)
            assert (await call(client, url)).body == b"next"
        assert server.connections == 1

    asyncio.run(main())


def test_deflate_in_both_forms_and_corrupt_gzip() -> None:
    wrapped = zlib.compress(b"zlib-wrapped")
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw_deflate = raw.compress(b"raw deflate") + raw.flush()

    async def main() -> None:
        server = Scripted(
            [
                ok(wrapped, "Content-Encoding: deflate\r\n"),
                ok(raw_deflate, "Content-Encoding: deflate\r\n"),
                ok(gzip.compress(b"x" * 5000), "Content-Encoding: gzip\r\n"),
                ok(b"not gzip at all", "Content-Encoding: gzip\r\n"),
            ]
        )
        async with server as url, LeanClient() as client:
            assert (await call(client, url)).body == b"zlib-wrapped"
            assert (await call(client, url)).body == b"raw deflate"
            with pytest.raises(TransportError, match="decompressed response exceeds the limit of 1000 bytes"):
                await call(client, url, max_bytes=1000)
            with pytest.raises(TransportError, match="corrupt gzip body"):
                await call(client, url)

    asyncio.run(main())


def test_malformed_framing_is_refused() -> None:
    cases = [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "did not answer with HTTP/1.1"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", "broke HTTP/1.1 framing"),
        # a chunk not followed by CRLF (h11 < 0.16 took any two bytes there: CVE-2025-43859)
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n", "broke HTTP/1.1 framing"),
        (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (300 * 1024) + b"\r\n\r\n", "response headers larger than"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n", "limit of 10 bytes"),
    ]

    async def main() -> None:
        for reply, message in cases:
            server = Scripted([reply], close_after=b"Length: 20" not in reply)
            async with server as url, LeanClient() as client:
                with pytest.raises(TransportError, match=message) as info:
                    await call(client, url, max_bytes=10)
                assert info.value.kind in ("protocol", "size")

    asyncio.run(main())


def test_invalid_header_values_are_refused_without_showing_them() -> None:
    async def main() -> None:
        server = Scripted([ok(b"never")])
        async with server as url, LeanClient() as client:
            with pytest.raises(TransportError, match="invalid header 'Authorization'") as info:
                await client.request(
                    "GET",
                    url,
                    [("Authorization", "Bearer s3cret-token\r\nX-Injected: 1")],
                    None,
                    connect_timeout=2.0,
                    read_timeout=2.0,
                    max_bytes=100,
                )
            assert "s3cret" not in str(info.value) and info.value.__cause__ is None and info.value.kind == "url"
        assert server.requests == []

    asyncio.run(main())


def test_targets_with_spaces_and_non_ascii_are_percent_encoded() -> None:
    async def main() -> None:
        server = Scripted([ok(b"fine")])
        async with server as url, LeanClient() as client:
            assert (await call(client, url + "/a b/é?q=x y")).body == b"fine"
        assert server.requests[0].startswith(b"GET /a%20b/%C3%A9?q=x%20y HTTP/1.1\r\n")

    asyncio.run(main())


def test_a_closed_client_refuses_requests() -> None:
    async def main() -> None:
        client = LeanClient()
        await client.aclose()
        with pytest.raises(TransportError, match="closed") as info:
            await call(client, "http://127.0.0.1:9/")
        assert info.value.kind == "closed"

    asyncio.run(main())
