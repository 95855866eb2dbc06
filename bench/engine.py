"""Engine benchmark: the 5-step pet-store workflow timed per run against raw-client floors and peer runners.

    python bench/engine.py [--runs N] [--long] [--concurrent N] [--profile N] [--no-peers]

Every mode runs the same workflow (bench/fixtures/pets.arazzo.yaml) against one loopback keep-alive server
in its own process (bench/_server.py), interleaved in blocks of 10 runs so that drift hits every mode alike:
- http.client floor: the same five requests by hand on one keep-alive connection;
- httpx floors: the same by hand with httpx.Client and httpx.AsyncClient;
- asyncio streams floor: the same by hand as raw HTTP/1.1 on one asyncio stream (the bound for any async
  transport);
- our engine: the document loaded once (`arazzo.load`), one shared client (`arazzo.make_client`);
- Jentic arazzo-runner: one runner reused, in its own venv, timed by bench/_jentic_driver.py;
- Redocly Respect: its CLI, one process per block running a warm-up copy of the workflow then 10 copies;
  per-workflow times are read from its JSON log (endTime - startTime), so process start is excluded.
Medians are reported. This is not a test: nothing here asserts; targets are printed as met or missed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime
import http.client
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from _peers import Peer, jentic, python_info, respect  # noqa: E402
from _server import live_fixtures, running_server  # noqa: E402

import arazzo  # noqa: E402

INPUTS = {"name": "Rex", "tag": "bench", "requestId": "req-42"}
WORKFLOW = "adoptPet"
STEPS = 5
BLOCK = 10
TARGET_RATIO = 2.5  # Jentic / ours, per workflow
TARGET_OVERHEAD_MS = 0.3  # ours over the http.client floor, per step
FLATNESS = 0.10  # the engine/floor ratio of the last 1,000 runs within 10 % of the first 1,000

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def _check(outputs: dict[str, Any]) -> bool:
    """A run counts only if it really did the workflow: the child names the first pet as its parent."""
    return isinstance(outputs.get("petId"), int) and outputs.get("parentId") == outputs.get("petId")


# -- the floors: the same five requests, written by hand ------------------------------------------------


def floor_http_client(conn: http.client.HTTPConnection) -> dict[str, Any]:
    def call(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        raw = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, raw, {**JSON_HEADERS, **(headers or {})})
        response = conn.getresponse()
        data = json.loads(response.read())
        if response.status not in (200, 201):
            raise RuntimeError(f"{method} {path}: {response.status}")
        return data

    rid = {"X-Request-Id": INPUTS["requestId"]}
    pet = call("POST", "/pets", {"name": INPUTS["name"], "tag": INPUTS["tag"]})
    got = call("GET", f"/pets/{pet['id']}", headers=rid)
    listed = call("GET", f"/pets?tag={INPUTS['tag']}&limit=5")
    child = call("POST", "/pets", {"name": got["name"], "tag": INPUTS["tag"], "parentId": pet["id"]})
    again = call("GET", f"/pets/{child['id']}", headers=rid)
    return {
        "petId": pet["id"],
        "firstId": listed[0]["id"],
        "childId": child["id"],
        "parentId": again["parentId"],
    }


def floor_httpx_sync(client: httpx.Client) -> dict[str, Any]:
    rid = {"X-Request-Id": INPUTS["requestId"]}
    pet: dict[str, Any] = client.post("/pets", json={"name": INPUTS["name"], "tag": INPUTS["tag"]}).json()
    got = client.get(f"/pets/{pet['id']}", headers=rid).json()
    listed = client.get("/pets", params={"tag": INPUTS["tag"], "limit": 5}).json()
    child = client.post("/pets", json={"name": got["name"], "tag": INPUTS["tag"], "parentId": pet["id"]}).json()
    again = client.get(f"/pets/{child['id']}", headers=rid).json()
    return {
        "petId": pet["id"],
        "firstId": listed[0]["id"],
        "childId": child["id"],
        "parentId": again["parentId"],
    }


async def floor_httpx_async(client: httpx.AsyncClient) -> dict[str, Any]:
    rid = {"X-Request-Id": INPUTS["requestId"]}
    pet = (await client.post("/pets", json={"name": INPUTS["name"], "tag": INPUTS["tag"]})).json()
    got = (await client.get(f"/pets/{pet['id']}", headers=rid)).json()
    listed = (await client.get("/pets", params={"tag": INPUTS["tag"], "limit": 5})).json()
    body = {"name": got["name"], "tag": INPUTS["tag"], "parentId": pet["id"]}
    child = (await client.post("/pets", json=body)).json()
    again = (await client.get(f"/pets/{child['id']}", headers=rid)).json()
    return {
        "petId": pet["id"],
        "firstId": listed[0]["id"],
        "childId": child["id"],
        "parentId": again["parentId"],
    }


class StreamsConnection:
    """The leanest async floor: hand-written HTTP/1.1 on one asyncio stream (what any async transport
    could approach; the gap to httpx.AsyncClient is that client's own cost)."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        raw = json.dumps(body).encode() if body is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept: application/json"]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(raw)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        data = json.loads(await self.reader.readexactly(length))
        status = int(status_line.split(" ", 2)[1])
        if status not in (200, 201):
            raise RuntimeError(f"{method} {path}: {status}")
        return data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def floor_streams(conn: StreamsConnection) -> dict[str, Any]:
    rid = {"X-Request-Id": INPUTS["requestId"]}
    pet = await conn.call("POST", "/pets", {"name": INPUTS["name"], "tag": INPUTS["tag"]})
    got = await conn.call("GET", f"/pets/{pet['id']}", headers=rid)
    listed = await conn.call("GET", f"/pets?tag={INPUTS['tag']}&limit=5")
    child = await conn.call("POST", "/pets", {"name": got["name"], "tag": INPUTS["tag"], "parentId": pet["id"]})
    again = await conn.call("GET", f"/pets/{child['id']}", headers=rid)
    return {
        "petId": pet["id"],
        "firstId": listed[0]["id"],
        "childId": child["id"],
        "parentId": again["parentId"],
    }


# -- modes ------------------------------------------------------------------------------------------------


@dataclass
class Mode:
    """One way of running the workflow: `block(n)` runs it n times and returns per-run seconds."""

    key: str
    label: str
    block: Callable[[int], Awaitable[list[float]]]
    times: list[float] = field(default_factory=list)
    failures: int = 0
    error: str | None = None
    note: str = ""

    def median_ms(self, times: list[float] | None = None) -> float:
        return statistics.median(times if times is not None else self.times) * 1000

    def p90_ms(self) -> float:
        return statistics.quantiles(self.times, n=10)[-1] * 1000 if len(self.times) >= 10 else float("nan")


def sync_mode(key: str, label: str, once: Callable[[], dict[str, Any]]) -> Mode:
    mode: Mode

    async def block(n: int) -> list[float]:
        times = []
        perf = time.perf_counter
        for _ in range(n):
            start = perf()
            outputs = once()
            times.append(perf() - start)
            if not _check(outputs):
                mode.failures += 1
                mode.error = mode.error or f"bad outputs {outputs}"
        return times

    mode = Mode(key, label, block)
    return mode


def async_mode(key: str, label: str, once: Callable[[], Awaitable[tuple[bool, str | None]]]) -> Mode:
    mode: Mode

    async def block(n: int) -> list[float]:
        times = []
        perf = time.perf_counter
        for _ in range(n):
            start = perf()
            ok, why = await once()
            times.append(perf() - start)
            if not ok:
                mode.failures += 1
                mode.error = mode.error or why
        return times

    mode = Mode(key, label, block)
    return mode


def engine_once(doc: arazzo.Document, client: Any) -> Callable[[], Awaitable[tuple[bool, str | None]]]:
    async def once() -> tuple[bool, str | None]:
        result = await arazzo.run(doc, WORKFLOW, INPUTS, client=client)
        if result.status == "succeeded" and _check(result.outputs):
            return True, None
        return False, f"{result.status}: {result.error} {result.outputs}"

    return once


class JenticDriver:
    """bench/_jentic_driver.py in Jentic's venv: one runner reused; it times its own runs."""

    def __init__(self, peer: Peer, arazzo_path: Path) -> None:
        assert peer.path is not None
        driver = Path(__file__).resolve().parent / "_jentic_driver.py"
        self.proc = subprocess.Popen(
            [str(peer.path), str(driver), str(arazzo_path), WORKFLOW, json.dumps(INPUTS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        ready = self._read()
        if not ready.get("ready"):
            raise RuntimeError("Jentic driver did not start")

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"Jentic driver exited ({self.proc.poll()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def mode(self) -> Mode:
        mode: Mode

        async def block(n: int) -> list[float]:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"runs": n}) + "\n")
            self.proc.stdin.flush()
            answer = self._read()
            mode.failures += answer["failures"]
            mode.error = mode.error or answer["error"]
            return [float(t) for t in answer["times"]]

        mode = Mode("jentic", "Jentic arazzo-runner, one runner reused", block)
        return mode

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def respect_mode(peer: Peer, arazzo_path: Path, workdir: Path) -> Mode:
    """Respect through its CLI: one process per block, per-workflow times from its JSON log."""
    import yaml

    assert peer.path is not None
    doc = yaml.safe_load(arazzo_path.read_text())
    workflow = doc["workflows"][0]
    doc["workflows"] = [dict(workflow, workflowId=f"{WORKFLOW}{i:02d}") for i in range(BLOCK + 1)]
    multi = arazzo_path.parent / "pets-block.arazzo.yaml"
    multi.write_text(yaml.safe_dump(doc, sort_keys=False))
    log = workdir / "respect.json"
    inputs = [arg for k, v in INPUTS.items() for arg in ("--input", f"{k}={v}")]
    mode: Mode

    async def block(n: int) -> list[float]:
        times: list[float] = []
        while len(times) < n:
            done = subprocess.run(
                [str(peer.path), "respect", str(multi), *inputs, "-J", str(log)],
                capture_output=True,
                text=True,
                timeout=300,
            )
            report = json.loads(log.read_text())
            flows = [w for f in report["files"].values() for w in f["executedWorkflows"]]
            for w in flows[1:]:  # the first copy in each process is its warm-up
                times.append((w["endTime"] - w["startTime"]) / 1000)
                if w.get("status") != "success":
                    mode.failures += 1
                    mode.error = mode.error or f"workflow {w['workflowId']}: {w.get('status')}"
            if done.returncode != 0 and not mode.error:
                mode.error = f"exit {done.returncode}"
        return times[:n]

    mode = Mode("respect", "Redocly Respect (CLI, in-process times)", block)
    mode.note = "per process: 1 warm-up + 10 workflows; process start excluded"
    return mode


# -- reporting --------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True) if _has("node") else None
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "arch": platform.machine(),
        "python": python_info(),
        "node": node.stdout.strip() if node and node.returncode == 0 else "n/a",
    }


def _has(exe: str) -> bool:
    from shutil import which

    return which(exe) is not None


def print_table(modes: list[Mode], floor: Mode, ours: Mode, missing: dict[str, str]) -> dict[str, Any]:
    rows = []
    header = (
        f"{'mode':44} {'ms/workflow':>11} {'p90':>7} {'ms/step':>8} {'over floor/step':>15} "
        f"{'x ours':>7} {'runs':>6} {'fail':>5}"
    )
    print(header)
    print("-" * len(header))
    floor_ms, ours_ms = floor.median_ms(), ours.median_ms()
    for m in modes:
        med = m.median_ms()
        over = (med - floor_ms) / STEPS
        over_txt = "(floor)" if m is floor else f"{over:+.3f}"
        print(
            f"{m.label:44} {med:11.3f} {m.p90_ms():7.3f} {med / STEPS:8.3f} {over_txt:>15} "
            f"{med / ours_ms:7.2f} {len(m.times):6d} {m.failures:5d}"
        )
        rows.append(
            {
                "mode": m.key,
                "ms_per_workflow": med,
                "p90": m.p90_ms(),
                "ms_per_step": med / STEPS,
                "overhead_per_step": over,
                "ratio_to_ours": med / ours_ms,
                "failures": m.failures,
            }
        )
        if m.error:
            print(f"    first failure: {m.error[:200]}")
    for name, reason in missing.items():
        print(f"{name:44} {'n/a':>11}   ({reason})")
    return {"rows": rows}


async def measure(modes: list[Mode], runs: int, warmup: int) -> None:
    for m in modes:
        if m.key != "respect":
            await m.block(warmup)
    blocks = max(1, runs // BLOCK)
    for b in range(blocks):
        order = modes[b % len(modes) :] + modes[: b % len(modes)]
        for m in order:
            m.times.extend(await m.block(BLOCK))
        if (b + 1) % max(1, blocks // 10) == 0:
            print(f"  block {b + 1}/{blocks}", file=sys.stderr, flush=True)


async def concurrent(doc: arazzo.Document, base_url: str, n: int, with_httpx: bool) -> dict[str, Any]:
    """n runs at once in one process on one shared client (and, if asked, the httpx floor the same way)."""
    client = arazzo.make_client()
    rss_before = _rss_kib()
    try:
        await arazzo.run(doc, WORKFLOW, INPUTS, client=client)
        start = time.perf_counter()
        results = await asyncio.gather(
            *(arazzo.run(doc, WORKFLOW, INPUTS, client=client) for _ in range(n)), return_exceptions=True
        )
        wall = time.perf_counter() - start
    finally:
        await client.aclose()
    ok = sum(1 for r in results if not isinstance(r, BaseException) and r.status == "succeeded" and _check(r.outputs))
    errors = [repr(r)[:200] for r in results if isinstance(r, BaseException)][:3]
    bad = [
        f"{r.status}: {r.error}"[:200] for r in results if not isinstance(r, BaseException) and r.status != "succeeded"
    ][:3]
    found: dict[str, Any] = {
        "n": n,
        "wall_s": wall,
        "ok": ok,
        "errors": errors + bad,
        "rss_growth_mib": (_rss_kib() - rss_before) / 1024,
    }
    if with_httpx:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=base_url, trust_env=False, limits=limits) as fc:
            await floor_httpx_async(fc)
            start = time.perf_counter()
            floor_results = await asyncio.gather(*(floor_httpx_async(fc) for _ in range(n)), return_exceptions=True)
            found["httpx_wall_s"] = time.perf_counter() - start
        found["httpx_ok"] = sum(1 for r in floor_results if isinstance(r, dict) and _check(r))
    return found


async def flatness(doc: arazzo.Document, base_url: str, total: int) -> dict[str, Any]:
    """`total` runs of the engine and of the http.client floor, interleaved in blocks of 10."""
    host = urlsplit(base_url)
    conn = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port)
    client = arazzo.make_client()
    floor = sync_mode("floor", "http.client", lambda: floor_http_client(conn))
    ours = async_mode("ours", "engine", engine_once(doc, client))
    rss_start = _rss_kib()
    try:
        await measure([floor, ours], total, warmup=50)
    finally:
        await client.aclose()
        conn.close()
    rss_end = _rss_kib()
    window = min(1000, total // 2)
    first = ours.median_ms(ours.times[:window]) / floor.median_ms(floor.times[:window])
    last = ours.median_ms(ours.times[-window:]) / floor.median_ms(floor.times[-window:])
    return {
        "runs": len(ours.times),
        "window": window,
        "first_ratio": first,
        "last_ratio": last,
        "change": last / first - 1,
        "engine_first_ms": ours.median_ms(ours.times[:window]),
        "engine_last_ms": ours.median_ms(ours.times[-window:]),
        "floor_first_ms": floor.median_ms(floor.times[:window]),
        "floor_last_ms": floor.median_ms(floor.times[-window:]),
        "failures": ours.failures + floor.failures,
        "rss_start_mib": rss_start / 1024,
        "rss_end_mib": rss_end / 1024,
    }


def _rss_kib() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


async def profile(doc: arazzo.Document, n: int, top: int = 25) -> str:
    """cProfile over n engine runs (after warm-up): where the engine's own time goes."""
    client = arazzo.make_client()
    try:
        for _ in range(20):
            await arazzo.run(doc, WORKFLOW, INPUTS, client=client)
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            await arazzo.run(doc, WORKFLOW, INPUTS, client=client)
        prof.disable()
    finally:
        await client.aclose()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    out.write(_by_package(stats, n))
    stats.strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def _by_package(stats: pstats.Stats, runs: int) -> str:
    """Own time summed per package: says at a glance whether the engine, httpx or the event loop costs."""
    totals: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        totals[_package(filename, name)] = totals.get(_package(filename, name), 0.0) + tottime
    whole = sum(totals.values()) or 1.0
    lines = [f"own time by package over {runs} runs (profiler overhead inflates every figure):"]
    for pkg, t in sorted(totals.items(), key=lambda kv: -kv[1])[:14]:
        lines.append(f"  {pkg:34} {t * 1000 / runs:8.3f} ms/run {100 * t / whole:5.1f} %")
    ours = sum(t for pkg, t in totals.items() if pkg.startswith("arazzo/"))
    lines.append(f"  {'arazzo, all modules':34} {ours * 1000 / runs:8.3f} ms/run {100 * ours / whole:5.1f} %")
    return "\n".join(lines) + "\n\n"


def _package(filename: str, name: str) -> str:
    if filename == "~":
        return "builtins: " + ("socket I/O + epoll wait" if "socket" in name or "epoll" in name else "other C calls")
    if filename.startswith("<frozen importlib"):
        return "importlib (imports at run time)"
    path = Path(filename)
    parts = path.parts
    for marker in ("site-packages", "src"):
        if marker in parts:
            i = parts.index(marker)
            if i + 1 < len(parts):
                pkg = parts[i + 1]
                return f"{pkg}/{path.name}" if pkg == "arazzo" else pkg.removesuffix(".py")
    if "asyncio" in parts:
        return "asyncio"
    return path.name


async def main_async(args: argparse.Namespace) -> int:
    info = machine()
    print(
        f"# engine benchmark — {info['date']}; {info['nproc']} cpu {info['arch']}; {info['python']}; "
        f"node {info['node']}"
    )
    peers: list[Peer] = []
    missing: dict[str, str] = {}
    if not args.no_peers:
        peers = [jentic(), respect()]
        for p in peers:
            if not p.available:
                missing[p.name] = p.reason or "unavailable"
            else:
                print(f"# peer {p.name} {p.version}")
    else:
        missing = {"jentic": "--no-peers", "respect": "--no-peers"}

    with running_server() as base_url, tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        workdir = Path(tmp)
        arazzo_path = live_fixtures(base_url, workdir / "fixtures")
        load_start = time.perf_counter()
        doc = arazzo.load(arazzo_path)
        load_ms = (time.perf_counter() - load_start) * 1000
        reload_start = time.perf_counter()
        doc = arazzo.load(arazzo_path)
        reload_ms = (time.perf_counter() - reload_start) * 1000
        print(
            f"# server {base_url}; arazzo.load of the document + OpenAPI: first {load_ms:.1f} ms "
            f"(with the engine's lazy imports), again {reload_ms:.1f} ms; then loaded once for all runs"
        )

        host = urlsplit(base_url)
        conn = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port)
        sync_client = httpx.Client(base_url=base_url, trust_env=False)
        async_client = httpx.AsyncClient(base_url=base_url, trust_env=False)
        engine_client = arazzo.make_client()
        streams = StreamsConnection(base_url)
        floor = sync_mode("http.client", "http.client floor, one keep-alive conn", lambda: floor_http_client(conn))
        modes = [
            floor,
            sync_mode("httpx", "httpx.Client floor", lambda: floor_httpx_sync(sync_client)),
            async_mode(
                "httpx-async",
                "httpx.AsyncClient floor",
                lambda: _checked(floor_httpx_async(async_client)),
            ),
            async_mode(
                "streams",
                "asyncio streams floor (lean async bound)",
                lambda: _checked(floor_streams(streams)),
            ),
        ]
        ours = async_mode("ours", "arazzo (ours), loaded once, shared client", engine_once(doc, engine_client))
        modes.append(ours)
        driver: JenticDriver | None = None
        for p in peers:
            if not p.available:
                continue
            if p.name == "jentic":
                try:
                    driver = JenticDriver(p, arazzo_path)
                    modes.append(driver.mode())
                except RuntimeError as exc:
                    missing["jentic"] = str(exc)
            elif p.name == "respect":
                modes.append(respect_mode(p, arazzo_path, workdir))
        try:
            print(f"# {args.runs} runs per mode, interleaved in blocks of {BLOCK}", flush=True)
            await measure(modes, args.runs, warmup=30)
        finally:
            if driver:
                driver.close()
            conn.close()
            sync_client.close()
            await async_client.aclose()
            await engine_client.aclose()
            await streams.close()

        print()
        table = print_table(modes, floor, ours, missing)
        over = (ours.median_ms() - floor.median_ms()) / STEPS
        print()
        print(
            f"target overhead <= {TARGET_OVERHEAD_MS} ms/step over http.client: {over:.3f} ms/step — "
            f"{'met' if over <= TARGET_OVERHEAD_MS else 'MISSED'}"
        )
        jm = next((m for m in modes if m.key == "jentic"), None)
        if jm and jm.times:
            ratio = jm.median_ms() / ours.median_ms()
            print(
                f"target >= {TARGET_RATIO}x faster than Jentic per workflow: {ratio:.2f}x — "
                f"{'met' if ratio >= TARGET_RATIO else 'MISSED'}"
            )
        else:
            print(f"target >= {TARGET_RATIO}x faster than Jentic: n/a ({missing.get('jentic')})")

        results: dict[str, Any] = {"machine": info, "load_ms": load_ms, "reload_ms": reload_ms, "table": table["rows"]}
        if args.concurrent:
            c = await concurrent(doc, base_url, args.concurrent, args.concurrent_httpx)
            results["concurrent"] = c
            print(
                f"\n{c['n']} concurrent runs (asyncio.gather, one shared client): "
                f"wall {c['wall_s'] * 1000:.0f} ms, {c['ok']}/{c['n']} succeeded "
                f"({c['n'] / c['wall_s']:.0f} workflows/s); RSS growth {c['rss_growth_mib']:.1f} MiB"
            )
            if "httpx_wall_s" in c:
                print(
                    f"  hand-written httpx.AsyncClient floor (pool 200) the same way: "
                    f"{c['httpx_wall_s'] * 1000:.0f} ms, {c['httpx_ok']}/{c['n']} succeeded"
                )
            for e in c["errors"]:
                print(f"    {e}")
        if args.long:
            total = args.long_runs
            print(f"\n# flatness: {total} runs each of engine and http.client floor, interleaved", flush=True)
            f = await flatness(doc, base_url, total)
            results["flatness"] = f
            verdict = "met" if abs(f["change"]) <= FLATNESS else "MISSED"
            print(
                f"engine/floor ratio, first {f['window']}: {f['first_ratio']:.3f} "
                f"({f['engine_first_ms']:.3f}/{f['floor_first_ms']:.3f} ms); last {f['window']}: "
                f"{f['last_ratio']:.3f} ({f['engine_last_ms']:.3f}/{f['floor_last_ms']:.3f} ms); "
                f"change {f['change'] * 100:+.1f} % — {verdict} (within {FLATNESS * 100:.0f} %); "
                f"failures {f['failures']}; RSS {f['rss_start_mib']:.0f} -> {f['rss_end_mib']:.0f} MiB"
            )
        if args.profile:
            print(f"\n# cProfile over {args.profile} engine runs")
            print(await profile(doc, args.profile))
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


async def _checked(run: Awaitable[dict[str, Any]]) -> tuple[bool, str | None]:
    outputs = await run
    return (True, None) if _check(outputs) else (False, f"bad outputs {outputs}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Engine benchmark (see the module docstring).")
    parser.add_argument("--runs", type=int, default=300, help="runs per mode (default 300, in blocks of 10)")
    parser.add_argument("--long", action="store_true", help="also check per-run cost flatness over 10,000 runs")
    parser.add_argument("--long-runs", type=int, default=10_000, help=argparse.SUPPRESS)
    parser.add_argument("--concurrent", type=int, default=1000, help="concurrent runs in one process (0: skip)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile N engine runs at the end")
    parser.add_argument("--concurrent-httpx", action="store_true", help="also run the httpx floor concurrently (slow)")
    parser.add_argument("--no-peers", action="store_true", help="skip Jentic and Respect (no installs)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
