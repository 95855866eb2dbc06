"""Transport benchmark: which HTTP client the engine sends with, measured on the 5-request pet-store workflow.

    python bench/transport.py [--runs N] [--concurrent N] [--handwritten-rev REV] [--json FILE]

Two groups of modes, all interleaved in blocks of 10 against one loopback keep-alive server in its own
process (bench/_server.py), so that drift and other load hit every mode alike:
- transport floors: the same five requests written by hand on each client's own API — http.client (the
  floor the engine target is set against), raw asyncio streams (the bound for any async client), the
  hand-written asyncio client the engine had until it moved to h11 (loaded from git at --handwritten-rev),
  the engine's LeanClient (asyncio pool + h11), httpcore.AsyncConnectionPool, aiohttp.ClientSession and
  httpx.AsyncClient;
- the engine itself (document loaded once, one shared client) sending through each candidate, the others
  wrapped in the LeanClient interface by a thin adapter (one await, no extra work).
Then N concurrent engine runs (asyncio.gather, one shared client) per engine candidate. aiohttp is not a
project dependency: its modes are n/a unless it is installed. Medians; nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpcore  # noqa: E402
import httpx  # noqa: E402
from _server import live_fixtures, running_server  # noqa: E402
from engine import (  # noqa: E402
    BLOCK,
    INPUTS,
    JSON_HEADERS,
    STEPS,
    TARGET_OVERHEAD_MS,
    WORKFLOW,
    Mode,
    StreamsConnection,
    _check,
    _checked,
    async_mode,
    engine_once,
    floor_http_client,
    floor_httpx_async,
    floor_streams,
    machine,
    measure,
    sync_mode,
)

import arazzo  # noqa: E402
from arazzo._transport import LeanClient, RawResponse, _decompress  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HANDWRITTEN_REV = "7f9f6e7"  # the last commit whose src/arazzo/_transport.py framed HTTP/1.1 by hand
TIMEOUTS = {"connect_timeout": 10.0, "read_timeout": 60.0, "max_bytes": 64 * 1024 * 1024}
Call = Callable[[str, str, Any, dict[str, str] | None], Awaitable[Any]]


async def five(call: Call) -> dict[str, Any]:
    """The workflow's five requests by hand, through `call(method, path, json_body, extra_headers)`."""
    rid = {"X-Request-Id": INPUTS["requestId"]}
    pet = await call("POST", "/pets", {"name": INPUTS["name"], "tag": INPUTS["tag"]}, None)
    got = await call("GET", f"/pets/{pet['id']}", None, rid)
    listed = await call("GET", f"/pets?tag={INPUTS['tag']}&limit=5", None, None)
    child = await call("POST", "/pets", {"name": got["name"], "tag": INPUTS["tag"], "parentId": pet["id"]}, None)
    again = await call("GET", f"/pets/{child['id']}", None, rid)
    return {"petId": pet["id"], "firstId": listed[0]["id"], "childId": child["id"], "parentId": again["parentId"]}


def _decoded(status: int, data: bytes, method: str, path: str) -> Any:
    if status not in (200, 201):
        raise RuntimeError(f"{method} {path}: {status}")
    return json.loads(data)


def lean_call(client: Any, base: str) -> Call:
    """A LeanClient-shaped client (ours or the hand-written one) used by hand."""

    async def call(method: str, path: str, body: Any, headers: dict[str, str] | None) -> Any:
        raw = json.dumps(body).encode() if body is not None else None
        fields = list({**JSON_HEADERS, **(headers or {})}.items())
        r = await client.request(method, base + path, fields, raw, **TIMEOUTS)
        return _decoded(r.status_code, r.body, method, path)

    return call


def httpcore_call(pool: httpcore.AsyncConnectionPool, base: str) -> Call:
    async def call(method: str, path: str, body: Any, headers: dict[str, str] | None) -> Any:
        raw = json.dumps(body).encode() if body is not None else None
        r = await pool.request(method, base + path, headers={**JSON_HEADERS, **(headers or {})}, content=raw)
        return _decoded(r.status, r.content, method, path)

    return call


def aiohttp_call(session: Any, base: str) -> Call:
    async def call(method: str, path: str, body: Any, headers: dict[str, str] | None) -> Any:
        raw = json.dumps(body).encode() if body is not None else None
        async with session.request(method, base + path, headers={**JSON_HEADERS, **(headers or {})}, data=raw) as r:
            return _decoded(r.status, await r.read(), method, path)

    return call


# -- the other clients behind the engine's LeanClient interface ------------------------------------------

Send = Callable[..., Awaitable[Any]]


class Via(LeanClient):
    """The engine sends through `request`; here it forwards to another client's request function."""

    def __init__(self, send: Send, close: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self._send, self._close = send, close

    async def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        content: bytes | None,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_bytes: int,
    ) -> Any:
        return await self._send(
            method,
            url,
            headers,
            content,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_bytes=max_bytes,
        )

    async def aclose(self) -> None:
        await self._close()


def _defaults(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers LeanClient adds when absent, so every candidate sends the same request."""
    present = {k.lower() for k, _ in headers}
    extra = [("User-Agent", "arazzo-quantum/0.1"), ("Accept", "*/*"), ("Accept-Encoding", "gzip, deflate")]
    return headers + [(k, v) for k, v in extra if k.lower() not in present]


def _finish(status: int, raw_headers: Any, body: bytes, max_bytes: int) -> RawResponse:
    headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in raw_headers]
    encoding = next((v.lower() for k, v in headers if k == "content-encoding"), "")
    if encoding in ("gzip", "deflate", "x-gzip") and body:
        body = _decompress(body, encoding, max_bytes, "bench")
    return RawResponse(status, headers, body)


def via_httpcore(pool: httpcore.AsyncConnectionPool) -> Via:
    async def send(method: str, url: str, headers: list[tuple[str, str]], content: bytes | None, **o: Any) -> Any:
        timeout = {"connect": o["connect_timeout"], "read": o["read_timeout"], "write": o["read_timeout"]}
        r = await pool.request(
            method, url, headers=_defaults(headers), content=content, extensions={"timeout": timeout}
        )
        return _finish(r.status, r.headers, r.content, o["max_bytes"])

    return Via(send, pool.aclose)


def via_aiohttp(session: Any) -> Via:
    import aiohttp

    timeouts: dict[tuple[float, float], Any] = {}

    async def send(method: str, url: str, headers: list[tuple[str, str]], content: bytes | None, **o: Any) -> Any:
        key = (o["connect_timeout"], o["read_timeout"])
        timeout = timeouts.get(key) or timeouts.setdefault(
            key, aiohttp.ClientTimeout(total=None, sock_connect=key[0], sock_read=key[1])
        )
        async with session.request(method, url, headers=_defaults(headers), data=content, timeout=timeout) as r:
            body = await r.read()
            return _finish(r.status, r.raw_headers, body, o["max_bytes"])

    return Via(send, session.close)


def via_handwritten(module: ModuleType) -> Via:
    inner = module.LeanClient(user_agent="arazzo-quantum/0.1")
    return Via(inner.request, inner.aclose)


def load_handwritten(rev: str, workdir: Path) -> ModuleType | str:
    """The hand-written transport as it was at `rev`, imported as a sibling of arazzo's modules."""
    shown = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:src/arazzo/_transport.py"], capture_output=True, text=True
    )
    if shown.returncode != 0:
        return f"git show {rev} failed: {shown.stderr.strip()[:100]}"
    path = workdir / "_transport_handwritten.py"
    path.write_text(shown.stdout)
    name = "arazzo._transport_handwritten"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def aiohttp_session() -> Any | str:
    try:
        import aiohttp
    except ImportError:
        return "aiohttp not installed (pip install aiohttp to measure it)"
    connector = aiohttp.TCPConnector(limit=200, limit_per_host=0, ttl_dns_cache=None)
    return aiohttp.ClientSession(connector=connector)


# -- running ----------------------------------------------------------------------------------------------


def raw_mode(key: str, label: str, call: Call) -> Mode:
    return async_mode(key, label, lambda: _checked(five(call)))


async def concurrently(doc: arazzo.Document, client: Any, n: int) -> dict[str, Any]:
    await arazzo.run(doc, WORKFLOW, INPUTS, client=client)
    start = time.perf_counter()
    results = await asyncio.gather(
        *(arazzo.run(doc, WORKFLOW, INPUTS, client=client) for _ in range(n)), return_exceptions=True
    )
    wall = time.perf_counter() - start
    ok = sum(1 for r in results if not isinstance(r, BaseException) and r.status == "succeeded" and _check(r.outputs))
    first = next((repr(r)[:160] for r in results if isinstance(r, BaseException)), None)
    if first is None:
        first = next((f"{r.status}: {r.error}"[:160] for r in results if r.status != "succeeded"), None)  # type: ignore[union-attr]
    return {"n": n, "wall_ms": wall * 1000, "ok": ok, "first_error": first}


async def main_async(args: argparse.Namespace) -> int:
    info = machine()
    versions = {"h11": _version("h11"), "httpcore": httpcore.__version__, "httpx": httpx.__version__}
    versions["aiohttp"] = _version("aiohttp")
    print(f"# transport benchmark — {info['date']}; {info['nproc']} cpu {info['arch']}; {info['python']}")
    print("# " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    missing: dict[str, str] = {}
    with running_server() as base, tempfile.TemporaryDirectory(prefix="bench-transport-") as tmp:
        workdir = Path(tmp)
        doc = arazzo.load(live_fixtures(base, workdir / "fixtures"))
        handwritten = load_handwritten(args.handwritten_rev, workdir)
        host = urlsplit(base)
        conn = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port)
        streams = StreamsConnection(base)
        lean_raw = LeanClient()
        pool_raw = httpcore.AsyncConnectionPool(max_connections=200)
        httpx_raw = httpx.AsyncClient(base_url=base, trust_env=False)
        session_raw = aiohttp_session()

        floor = sync_mode("http.client", "http.client floor (sync, one conn)", lambda: floor_http_client(conn))
        raws = [
            floor,
            async_mode("streams", "asyncio streams by hand (async bound)", lambda: _checked(floor_streams(streams))),
            raw_mode("lean-h11", "LeanClient: asyncio pool + h11 (ours)", lean_call(lean_raw, base)),
            raw_mode("httpcore", "httpcore.AsyncConnectionPool", httpcore_call(pool_raw, base)),
            async_mode("httpx", "httpx.AsyncClient", lambda: _checked(floor_httpx_async(httpx_raw))),
        ]
        hand_raw = None
        if isinstance(handwritten, str):
            missing["hand-written"] = handwritten
        else:
            hand_raw = handwritten.LeanClient()
            raws.insert(
                2,
                raw_mode(
                    "handwritten", f"hand-written asyncio client ({args.handwritten_rev})", lean_call(hand_raw, base)
                ),
            )
        if isinstance(session_raw, str):
            missing["aiohttp"] = session_raw
        else:
            raws.insert(-1, raw_mode("aiohttp", "aiohttp.ClientSession", aiohttp_call(session_raw, base)))

        engines: list[tuple[Mode, Callable[[], Any]]] = []

        def engine(key: str, label: str, factory: Callable[[], Any]) -> None:
            client = factory()
            engines.append((async_mode(key, label, engine_once(doc, client)), factory))
            clients.append(client)

        clients: list[Any] = []
        if not isinstance(handwritten, str):
            module = handwritten
            engine("engine-handwritten", "engine + hand-written client", lambda: via_handwritten(module))
        engine("engine-h11", "engine + LeanClient (h11) (ours)", arazzo.make_client)
        engine(
            "engine-httpcore",
            "engine + httpcore pool",
            lambda: via_httpcore(httpcore.AsyncConnectionPool(max_connections=200)),
        )
        if not isinstance(session_raw, str):
            engine("engine-aiohttp", "engine + aiohttp session", lambda: via_aiohttp(_must(aiohttp_session())))

        modes = raws + [m for m, _ in engines]
        try:
            print(f"# {args.runs} runs per mode, {len(modes)} modes interleaved in blocks of {BLOCK}", flush=True)
            await measure(modes, args.runs, warmup=30)
        finally:
            conn.close()
            await streams.close()
            await lean_raw.aclose()
            await pool_raw.aclose()
            await httpx_raw.aclose()
            if hand_raw is not None:
                await hand_raw.aclose()
            if not isinstance(session_raw, str):
                await session_raw.close()
            for c in clients:
                await c.aclose()

        floor_ms = floor.median_ms()
        rows: list[dict[str, Any]] = []
        print()
        _header("transport floor: 5 requests by hand", "ms/5 req", "ms/req", "over floor/req")
        for m in raws:
            med = m.median_ms()
            over = "(floor)" if m is floor else f"{(med - floor_ms) / STEPS:+.3f}"
            print(f"{m.label:46} {med:9.3f} {m.p90_ms():7.3f} {med / STEPS:7.3f} {over:>15} {m.failures:5d}")
            rows.append(
                {
                    "group": "floor",
                    "mode": m.key,
                    "ms_per_workflow": med,
                    "per_request": med / STEPS,
                    "over_floor_per_request": (med - floor_ms) / STEPS,
                    "failures": m.failures,
                }
            )
        for name, reason in missing.items():
            print(f"{name:46} {'n/a':>9}   ({reason})")
        print()
        _header("engine, 5-step workflow, sending through", "ms/wf", "ms/step", "over floor/step")
        for m, _ in engines:
            med = m.median_ms()
            over = (med - floor_ms) / STEPS
            verdict = "met" if over <= TARGET_OVERHEAD_MS else "MISSED"
            print(
                f"{m.label:46} {med:9.3f} {m.p90_ms():7.3f} {med / STEPS:7.3f} {over:+15.3f} {m.failures:5d}  {verdict}"
            )
            if m.error:
                print(f"    first failure: {m.error[:160]}")
            rows.append(
                {
                    "group": "engine",
                    "mode": m.key,
                    "ms_per_workflow": med,
                    "per_step": med / STEPS,
                    "over_floor_per_step": over,
                    "failures": m.failures,
                }
            )
        print(f"(target: engine overhead <= {TARGET_OVERHEAD_MS} ms/step over the http.client floor)")

        results: dict[str, Any] = {"machine": info, "versions": versions, "rows": rows, "concurrent": []}
        if args.concurrent:
            print(f"\n{args.concurrent} concurrent engine runs (asyncio.gather, one shared client each):")
            for m, factory in engines:
                client = factory()
                try:
                    c = await concurrently(doc, client, args.concurrent)
                finally:
                    await client.aclose()
                c["mode"] = m.key
                results["concurrent"].append(c)
                err = f"; first error: {c['first_error']}" if c["first_error"] else ""
                print(f"  {m.label:44} wall {c['wall_ms']:7.0f} ms, {c['ok']}/{c['n']} succeeded{err}")
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


def _header(title: str, total: str, each: str, over: str) -> None:
    line = f"{title:46} {total:>9} {'p90':>7} {each:>7} {over:>15} {'fail':>5}"
    print(line + "\n" + "-" * len(line))


def _must(value: Any) -> Any:
    if isinstance(value, str):
        raise RuntimeError(value)
    return value


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def main() -> int:
    parser = argparse.ArgumentParser(description="Transport benchmark (see the module docstring).")
    parser.add_argument("--runs", type=int, default=300, help="runs per mode (default 300, in blocks of 10)")
    parser.add_argument("--concurrent", type=int, default=1000, help="concurrent engine runs per candidate (0: skip)")
    parser.add_argument("--handwritten-rev", default=HANDWRITTEN_REV, help="git revision of the hand-written client")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
