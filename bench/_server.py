"""The loopback pet-store server the engine benchmarks run against, and a helper that starts it.

It runs in its own process on asyncio (uvloop when installed) with a minimal HTTP/1.1 keep-alive parser,
so that it costs a few tens of microseconds per request and is never what a benchmark measures.

    python bench/_server.py [--host 127.0.0.1] [--port 0]   # prints "listening on http://H:PORT"
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

__all__ = ["PetStore", "live_fixtures", "running_server", "main"]

FIXTURES = Path(__file__).resolve().parent / "fixtures"

_REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
}

Reply = tuple[int, Any, dict[str, str]]


class PetStore:
    """The API's rules, without HTTP: pets by id, and the newest ids per tag (so listing stays O(limit))."""

    def __init__(self) -> None:
        self.pets: dict[int, dict[str, Any]] = {}
        self.by_tag: dict[str, list[int]] = {}
        self.next_id = 1

    @staticmethod
    def error(status: int, code: str, message: str) -> Reply:
        return status, {"error": {"code": code, "message": message}}, {}

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        path, _, query = target.partition("?")
        if path == "/pets":
            if method == "POST":
                return self.create(headers, body)
            if method == "GET":
                return self.list(query)
            return self.error(405, "MethodNotAllowed", f"{method} {path}")
        if path.startswith("/pets/"):
            if method != "GET":
                return self.error(405, "MethodNotAllowed", f"{method} {path}")
            return self.get(path[6:], headers)
        return self.error(404, "NotFound", f"no route {path}")

    def create(self, headers: dict[str, str], body: bytes) -> Reply:
        if not headers.get("content-type", "").startswith("application/json"):
            return self.error(400, "BadContentType", "expected application/json")
        try:
            data = json.loads(body)
        except ValueError:
            return self.error(400, "BadJson", "body is not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            return self.error(400, "MissingName", "name (string) is required")
        parent = data.get("parentId")
        if parent is not None and (not isinstance(parent, int) or parent not in self.pets):
            return self.error(400, "BadParent", "parentId names no pet")
        pet = {"id": self.next_id, "name": data["name"], "tag": data.get("tag"), "parentId": parent}
        self.next_id += 1
        self.pets[pet["id"]] = pet
        if isinstance(pet["tag"], str):
            self.by_tag.setdefault(pet["tag"], []).append(pet["id"])
        return 201, pet, {"Location": f"/pets/{pet['id']}"}

    def get(self, raw_id: str, headers: dict[str, str]) -> Reply:
        request_id = headers.get("x-request-id")
        if not request_id:
            return self.error(400, "MissingHeader", "X-Request-Id header is required")
        try:
            pet = self.pets.get(int(raw_id))
        except ValueError:
            return self.error(400, "BadId", "petId must be an integer")
        if pet is None:
            return self.error(404, "PetNotFound", f"no pet {raw_id}")
        return 200, pet, {"X-Request-Id": request_id}

    def list(self, query: str) -> Reply:
        params = parse_qs(query)
        try:
            limit = int(params.get("limit", ["20"])[0])
        except ValueError:
            return self.error(400, "BadLimit", "limit must be an integer")
        if not 1 <= limit <= 100:
            return self.error(400, "BadLimit", "limit must be 1..100")
        tag = params.get("tag", [None])[0]
        ids = self.by_tag.get(tag, []) if tag is not None else list(self.pets)
        return 200, [self.pets[i] for i in reversed(ids[-limit:])], {}


class _Connection(asyncio.Protocol):
    """One keep-alive connection: parses requests as bytes arrive and answers each with one write."""

    def __init__(self, store: PetStore) -> None:
        self.store = store
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not subclasses
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            try:
                method, target, version = lines[0].split(" ", 2)
            except ValueError:
                self._respond(400, {"error": {"code": "BadRequestLine"}}, {}, close=True)
                return
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if "chunked" in headers.get("transfer-encoding", ""):
                self._respond(411, {"error": {"code": "LengthRequired"}}, {}, close=True)
                return
            length = int(headers.get("content-length") or 0)
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            body = bytes(self.buffer[end + 4 : total])
            del self.buffer[:total]
            status, payload, extra = self.store.handle(method, target, headers, body)
            close = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
            self._respond(status, payload, extra, close=close)

    def _respond(self, status: int, payload: Any, extra: dict[str, str], *, close: bool) -> None:
        raw = json.dumps(payload, separators=(",", ":")).encode()
        head = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
            "Content-Type: application/json",
            f"Content-Length: {len(raw)}",
        ]
        head += [f"{k}: {v}" for k, v in extra.items()]
        if close:
            head.append("Connection: close")
        assert self.transport is not None
        self.transport.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + raw)
        if close:
            self.transport.close()
            self.transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def _serve(host: str, port: int) -> None:
    store = PetStore()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(store), host, port, backlog=4096)
    real_port = server.sockets[0].getsockname()[1]
    print(f"listening on http://{host}:{real_port}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:
        asyncio.run(_serve(args.host, args.port))
    else:
        uvloop.run(_serve(args.host, args.port))


@contextlib.contextmanager
def running_server(python: str = sys.executable) -> Iterator[str]:
    """Start the server in its own process and yield its base URL; stop it (SIGTERM) on exit."""
    proc = subprocess.Popen(
        [python, str(Path(__file__).resolve()), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"bench server did not start: {line!r}")
        yield line.removeprefix("listening on ")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def live_fixtures(base_url: str, directory: Path) -> Path:
    """Copy the fixtures into `directory` with the OpenAPI server set to `base_url`; return the Arazzo path.

    Every tool then runs the very same files, none of them needing a server override."""
    directory.mkdir(parents=True, exist_ok=True)
    openapi = (FIXTURES / "petstore.openapi.yaml").read_text()
    (directory / "petstore.openapi.yaml").write_text(openapi.replace("http://127.0.0.1:8080", base_url))
    arazzo = directory / "pets.arazzo.yaml"
    arazzo.write_text((FIXTURES / "pets.arazzo.yaml").read_text())
    return arazzo


if __name__ == "__main__":
    main()
