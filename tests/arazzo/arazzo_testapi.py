"""A small HTTP API for the engine's tests, served by the standard library on a loopback port.

It covers what workflows exercise: JSON CRUD, polling jobs, flaky endpoints with Retry-After, an echo of
the request (to check serialization), blob-like storage behind a SAS-style signature, auth, XML and text."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import uuid
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"

API_KEY = "k3y-abcdef-123456"
BEARER = "s3cr3t-token-value"
BASIC_USER, BASIC_PASSWORD = "alice", "pa55word-xyz"
CLIENT_ID, CLIENT_SECRET = "client-1", "client-secret-789"
SAS_SIG = "abc+/=def"  # what `sig` must decode to; sent percent-encoded as abc%2B%2F%3Ddef


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.counters: dict[str, int] = {}
        self.blobs: dict[str, tuple[bytes, str]] = {}
        self.log: list[dict[str, Any]] = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: TestServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without TCP_NODELAY each response waits for a delayed ACK.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- plumbing ---------------------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_raw(status, raw, "application/json", headers)

    def send_raw(
        self, status: int, raw: bytes, content_type: str | None, headers: dict[str, str] | None = None
    ):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def error_json(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        self.send_json(
            status,
            {"error": {"code": code, "message": message}},
            {"x-ms-error-code": code, **(headers or {})},
        )

    def do_GET(self) -> None:  # noqa: N802
        self.route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self.route("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self.route("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self.route("DELETE")

    def do_PATCH(self) -> None:  # noqa: N802
        self.route("PATCH")

    def route(self, method: str) -> None:
        parts = urlsplit(self.path)
        self.raw_path = parts.path
        self.raw_query = parts.query
        self.args = parse_qs(parts.query, keep_blank_values=True)
        self.body = self._body()
        segs = [s for s in parts.path.split("/") if s]
        st = self.server.state
        with st.lock:
            st.log.append(
                {
                    "method": method,
                    "path": parts.path,
                    "query": parts.query,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
            )
        try:
            self.dispatch(method, segs)
        except Exception as exc:  # the tests must see server bugs
            self.error_json(500, "ServerBug", repr(exc))

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.args.get(name)
        return values[0] if values else default

    def json_body(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    # -- routes -----------------------------------------------------------------------------------------
    def dispatch(self, method: str, segs: list[str]) -> None:
        st = self.server.state
        if segs[:1] == ["blob"] and len(segs) >= 3:
            return self.blob(method, segs)
        if segs[:1] == ["oauth"]:
            return self.token()
        if segs[:1] == ["docs"] and len(segs) == 2:  # the fixture documents, served as a remote host would
            path = FIXTURES / segs[1]
            if not path.is_file():
                return self.error_json(404, "NotFound", "no such document")
            return self.send_raw(200, path.read_bytes(), "application/yaml")
        if segs[:1] != ["api"]:
            return self.error_json(404, "NotFound", "no such route")
        rest = segs[1:]
        head = rest[0] if rest else ""
        if head == "items":
            return self.items(method, rest[1:])
        if head in ("sessions", "sasUri") and self.headers.get("Authorization") != f"Bearer {BEARER}":
            return self.error_json(401, "Unauthorized", "the bearer token is missing, malformed or expired")
        if head == "sessions" and len(rest) == 2:
            return self.sessions(method, rest[1])
        if head == "sasUri" and method == "POST":
            body = self.json_body() or {}
            port = self.server.server_address[1]
            target = "/".join(x for x in (body.get("containerName"), body.get("blobName")) if x)
            return self.send_json(
                200, {"sasUri": f"http://127.0.0.1:{port}/blob/{target}?sv=2024&sp=rw&sig=abc%2B%2F%3Ddef"}
            )
        if head == "jobs" and len(rest) == 2:
            return self.jobs(method, rest[1])
        if head == "flaky" and len(rest) == 2:
            key = rest[1]
            with st.lock:
                st.counters[key] = st.counters.get(key, 0) + 1
                calls = st.counters[key]
            if calls <= int(self.arg("failures", "1") or 1):
                headers = {"Retry-After": self.arg("retryAfter") or ""} if self.arg("retryAfter") else {}
                return self.error_json(503, "Busy", f"try again (call {calls})", headers)
            return self.send_json(200, {"calls": calls})
        if head == "count" and len(rest) == 2:
            with st.lock:
                st.counters[rest[1]] = st.counters.get(rest[1], 0) + 1
                return self.send_json(200, {"calls": st.counters[rest[1]]})
        if head == "echo":
            cookie = SimpleCookie(self.headers.get("Cookie") or "")
            return self.send_json(
                200,
                {
                    "method": method,
                    "rawPath": self.raw_path,
                    "rawQuery": self.raw_query,
                    "args": self.args,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "cookies": {k: m.value for k, m in cookie.items()},
                    "body": self.body.decode("utf-8", "replace"),
                    "contentType": self.headers.get("Content-Type"),
                },
                {"X-Echo-Method": method},
            )
        if head == "status" and len(rest) == 2:
            code = int(rest[1])
            return self.error_json(
                code, f"Status{code}", f"the service says {code} (Bearer leaked-token-1234)"
            )
        if head == "slow":
            time.sleep(float(self.arg("seconds", "1") or 1))
            return self.send_json(200, {"slept": True})
        if head == "big":
            return self.send_raw(200, b"x" * int(self.arg("bytes", "10") or 10), "application/octet-stream")
        if head == "xml":
            xml = (
                b"<pets><pet id='1'><name>Rex</name><status>available</status></pet>"
                b"<pet id='2'><name>Tom</name><status>sold</status></pet></pets>"
            )
            return self.send_raw(200, xml, "application/xml")
        if head == "text":
            return self.send_raw(200, b"status: READY; version 2.5", "text/plain; charset=utf-8")
        if head == "badjson":
            return self.send_raw(200, b"{not json", "application/json")
        if head == "secure":
            return self.secure()
        return self.error_json(404, "NotFound", "no such route")

    def items(self, method: str, rest: list[str]) -> None:
        st = self.server.state
        if not rest:
            if method == "POST":
                body = self.json_body()
                if not isinstance(body, dict) or "name" not in body:
                    return self.error_json(400, "InvalidItem", "name is required")
                item = {
                    "id": str(uuid.uuid4()),
                    "name": body["name"],
                    "tag": body.get("tag"),
                    "status": "created",
                    "labels": body.get("labels", []),
                }
                with st.lock:
                    st.items[item["id"]] = item
                return self.send_json(201, item, {"Location": f"/api/items/{item['id']}"})
            tag = self.arg("tag")
            with st.lock:
                items = [i for i in st.items.values() if tag is None or i.get("tag") == tag]
            limit = int(self.arg("limit", "1000") or 1000)
            return self.send_json(200, {"value": items[:limit], "count": len(items[:limit])})
        item_id = rest[0]
        if method == "PUT":
            body = self.json_body() or {}
            with st.lock:
                existed = item_id in st.items
                st.items[item_id] = {"id": item_id, **body}
            return self.send_json(200 if existed else 201, st.items[item_id])
        with st.lock:
            item = st.items.get(item_id)
        if item is None:
            return self.error_json(404, "ItemNotFound", f"item {item_id} does not exist")
        return self.send_json(
            200, item, {"X-Item-Version": "7", "X-Trace-Echo": self.headers.get("X-Trace", "")}
        )

    def sessions(self, method: str, session_id: str) -> None:
        st = self.server.state
        closing = session_id.endswith(":close")
        session_id = session_id.removesuffix(":close")
        with st.lock:
            if method == "PUT":
                body = self.json_body() or {}
                missing = [k for k in ("name", "providerId", "target", "itemType") if k not in body]
                if missing:
                    return self.error_json(400, "InvalidSessionDefinition", f"missing {', '.join(missing)}")
                st.items["session-" + session_id] = {"id": session_id, "status": "Waiting", **body}
            session = st.items.get("session-" + session_id)
            if session is None:
                return self.error_json(404, "SessionNotFound", f"session {session_id} not found")
            if closing and method == "POST":
                session["status"] = "Succeeded"
            return self.send_json(200, session)

    def jobs(self, method: str, job_id: str) -> None:
        st = self.server.state
        if method == "PUT":
            body = self.json_body() or {}
            with st.lock:
                st.jobs[job_id] = {
                    "id": job_id,
                    "polls": 0,
                    "needed": int(body.get("polls", 2)),
                    "final": body.get("finalStatus", "Succeeded"),
                    "input": body.get("inputBlob"),
                }
            return self.send_json(201, {"id": job_id, "status": "Waiting"})
        with st.lock:
            job = st.jobs.get(job_id)
            if job is None:
                return self.error_json(404, "JobNotFound", f"job {job_id} not found")
            job["polls"] += 1
            polls, needed, final = job["polls"], job["needed"], job["final"]
            uploaded = st.blobs.get(job["input"] or "")
        port = self.server.server_address[1]
        status = final if polls > needed else ("Waiting" if polls == 1 else "Executing")
        body = {"id": job_id, "status": status, "polls": polls}
        if status == "Succeeded":
            blob = f"results-{job_id}"
            with st.lock:
                program = json.loads(uploaded[0]) if uploaded and uploaded[1] == "application/json" else None
                st.blobs[f"jobs/{blob}"] = (
                    json.dumps({"histogram": {"0": 0.5, "3": 0.5}, "program": program}).encode(),
                    "application/json",
                )
            body["outputDataUri"] = (
                f"http://127.0.0.1:{port}/blob/jobs/{blob}?sv=2024&sp=r&sig=abc%2B%2F%3Ddef"
            )
        return self.send_json(200, body)

    def blob(self, method: str, segs: list[str]) -> None:
        st = self.server.state
        if self.arg("sig") != SAS_SIG:
            return self.error_json(403, "AuthenticationFailed", "signature mismatch")
        key = "/".join(segs[1:])
        if method == "PUT":
            if self.headers.get("x-ms-blob-type") != "BlockBlob":
                return self.error_json(400, "MissingBlobType", "x-ms-blob-type: BlockBlob is required")
            ctype = self.headers.get("x-ms-blob-content-type") or self.headers.get("Content-Type") or ""
            with st.lock:
                st.blobs[key] = (self.body, ctype)
            return self.send_raw(201, b"", None, {"ETag": '"1"'})
        with st.lock:
            found = st.blobs.get(key)
        if found is None:
            return self.error_json(404, "BlobNotFound", "no such blob")
        return self.send_raw(200, found[0], found[1] or "application/octet-stream")

    def secure(self) -> None:
        auth = self.headers.get("Authorization") or ""
        ok = (
            auth == f"Bearer {BEARER}"
            or self.headers.get("X-API-Key") == API_KEY
            or self.arg("api_key") == API_KEY
            or auth == "Basic " + base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
            or SimpleCookie(self.headers.get("Cookie") or "").get("session") is not None
            and SimpleCookie(self.headers.get("Cookie") or "")["session"].value == API_KEY
        )
        if not ok:
            return self.error_json(401, "Unauthorized", "missing or wrong credentials")
        return self.send_json(200, {"ok": True})

    def token(self) -> None:
        form = parse_qs(self.body.decode())
        auth = self.headers.get("Authorization") or ""
        basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        good_form = form.get("client_id") == [CLIENT_ID] and form.get("client_secret") == [CLIENT_SECRET]
        if form.get("grant_type") != ["client_credentials"] or not (good_form or auth == basic):
            return self.send_json(401, {"error": "invalid_client"})
        return self.send_json(200, {"access_token": BEARER, "token_type": "Bearer", "expires_in": 3600})


class TestServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # concurrent runs open many connections at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)  # a client that hung up is not a server bug

    def __init__(self, tls: Any = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = State()
        self.scheme = "http"
        if tls is not None:  # an ssl.SSLContext: serve https
            self.socket = tls.wrap_socket(self.socket, server_side=True)
            self.scheme = "https"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}"


def start(tls: Any = None) -> tuple[TestServer, threading.Thread]:
    server = TestServer(tls)
    thread = threading.Thread(target=server.serve_forever, name="arazzo-testapi", daemon=True)
    thread.start()
    return server, thread


if __name__ == "__main__":  # handy for manual runs: python tests/arazzo/arazzo_testapi.py
    srv, th = start()
    print(f"listening on {srv.url}", flush=True)
    th.join()
