"""Benchmark of the workspace service (not a test): throughput and latency of job create and job get at
1, 8 and 32 concurrent keep-alive clients, the submit -> result round trip of a tiny job, and the framework
floor: a minimal ASGI app returning a job-sized JSON under the same uvicorn settings.

    .venv/bin/python bench/service.py [--seconds 4] [--clients 1,8,32] [--create-rates 500] [--round-trips 20] [--json]
        [--serve-arg=--worker-in-process]

Creates are measured twice: closed loop (each client sends its next request when the last one is answered:
the saturation throughput, where latency is clients / throughput by Little's law) and open loop (a fixed
offered rate over the largest client count: the latency at that load, queueing included).

Servers run in their own processes (`quantum-workspace serve`, and this file with --floor-server); the load
comes from this process over raw asyncio streams (a few microseconds per request), so what is measured is
the server. Results for this machine are in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
LISTENING = re.compile(r"listening on (http://[\d.]+):(\d+)")
API_KEY = "bench-key"
WS = (
    "/subscriptions/00000000-0000-0000-0000-00000000be00/resourceGroups/rg-bench/providers/Microsoft.Quantum"
    "/workspaces/ws-bench"
)
VERSION = "api-version=2026-01-15-preview"
BELL = {"qubits": 2, "circuit": [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]}

# -- the framework floor ---------------------------------------------------------------------------------

_FLOOR_BODY = b""


async def floor_app(
    scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Callable[[dict[str, Any]], Awaitable[None]]
) -> None:
    """The least an ASGI app can do per request: answer a job-sized JSON document."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(_FLOOR_BODY)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": _FLOOR_BODY})


def fastapi_floor_app() -> Any:
    """The framework floor: FastAPI with one route answering the same bytes (no validation, no store)."""
    from fastapi import FastAPI
    from starlette.responses import Response

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/job")
    async def job() -> Response:
        return Response(_FLOOR_BODY, media_type="application/json")

    return app


def run_floor_server(body_file: Path, access_log: bool, kind: str) -> None:
    """Serve a floor app with the uvicorn settings `quantum-workspace serve` uses."""
    global _FLOOR_BODY
    import socket

    import uvicorn

    from quantum_workspace.api import LOG_CONFIG

    _FLOOR_BODY = body_file.read_bytes()
    app: Any = fastapi_floor_app() if kind == "fastapi" else floor_app
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            print(f"listening on http://127.0.0.1:{port}", flush=True)

    config = uvicorn.Config(
        app, log_config=dict(LOG_CONFIG), log_level="warning", access_log=access_log, lifespan="on", server_header=False
    )
    signal.signal(signal.SIGTERM, lambda *_: None)
    Server(config).run(sockets=[sock])


# -- a minimal keep-alive HTTP/1.1 client ----------------------------------------------------------------


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        data = await self.reader.readexactly(length) if length else b""
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def load(
    host: str,
    port: int,
    clients: int,
    seconds: float,
    make: Callable[[int, int], tuple[str, str, bytes, dict[str, str]]],
    expect: int,
) -> dict[str, Any]:
    """`clients` connections each sending back-to-back requests for `seconds`; throughput and latency."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(index: int) -> None:
        nonlocal errors
        connection = Connection(host, port)
        sequence = 0
        try:
            while time.perf_counter() < deadline:
                method, target, body, headers = make(index, sequence)
                sequence += 1
                start = time.perf_counter()
                status, _data = await connection.request(method, target, body, headers)
                latencies.append(time.perf_counter() - start)
                if status != expect:
                    errors += 1
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else float("nan"),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan"),
    }


async def paced(
    host: str,
    port: int,
    clients: int,
    rate: float,
    seconds: float,
    make: Callable[[int, int], tuple[str, str, bytes, dict[str, str]]],
    expect: int,
) -> dict[str, Any]:
    """Open loop: `rate` requests/s offered over `clients` keep-alive connections, each on a fixed schedule.
    Latency counts from the scheduled send time, so a server that falls behind is charged for the queue
    (no coordinated omission)."""
    latencies: list[float] = []
    errors = 0
    interval = clients / rate
    began = time.perf_counter() + 0.05

    async def client(index: int) -> None:
        nonlocal errors
        connection = Connection(host, port)
        sequence = 0
        try:
            while True:
                scheduled = began + index * interval / clients + sequence * interval
                if scheduled - began >= seconds:
                    return
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                method, target, body, headers = make(index, sequence)
                sequence += 1
                status, _data = await connection.request(method, target, body, headers)
                latencies.append(time.perf_counter() - scheduled)
                if status != expect:
                    errors += 1
        finally:
            connection.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "clients": clients,
        "offered_rps": rate,
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else float("nan"),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan"),
    }


# -- scenarios -------------------------------------------------------------------------------------------


def start(command: list[str]) -> tuple[subprocess.Popen[str], str, int]:
    env = dict(os.environ, QDK_PYTHON_TELEMETRY="none")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    assert process.stdout is not None
    for line in process.stdout:
        match = LISTENING.search(line)
        if match:
            return process, match.group(1).removeprefix("http://"), int(match.group(2))
    raise SystemExit(f"server did not start: {command}")


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def auth(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"x-ms-quantum-api-key": API_KEY, **(extra or {})}


async def prepare(host: str, port: int) -> dict[str, Any]:
    """A container with an input blob, one finished job to GET, and the job body creates reuse."""
    connection = Connection(host, port)
    json_headers = auth({"Content-Type": "application/json"})
    _status, data = await connection.request(
        "POST", f"{WS}/storage/sasUri?{VERSION}", json.dumps({"containerName": "bench"}).encode(), json_headers
    )
    container = json.loads(data)["sasUri"]
    _status, data = await connection.request(
        "POST",
        f"{WS}/storage/sasUri?{VERSION}",
        json.dumps({"containerName": "bench", "blobName": "inputData"}).encode(),
        json_headers,
    )
    blob = json.loads(data)["sasUri"].split("/", 3)[3]
    await connection.request(
        "PUT",
        "/" + blob,
        json.dumps(BELL).encode(),
        {"x-ms-blob-type": "BlockBlob", "x-ms-blob-content-type": "application/json"},
    )
    body = {
        "name": "bench",
        "providerId": "ionq",
        "target": "ionq.simulator",
        "itemType": "Job",
        "containerUri": container,
        "inputDataFormat": "ionq.circuit.v1",
        "outputDataFormat": "ionq.quantum-results.v1",
        "inputParams": {"shots": 100},
        "metadata": {"qiskit": "True", "num_qubits": "2", "metadata": "{}"},
        "tags": ["bench"],
    }
    job_id = str(uuid.uuid4())
    status, data = await connection.request(
        "PUT", f"{WS}/jobs/{job_id}?{VERSION}", json.dumps(body).encode(), json_headers
    )
    assert status == 200, data
    while True:
        _status, data = await connection.request("GET", f"{WS}/jobs/{job_id}?{VERSION}", headers=auth())
        if json.loads(data)["status"] in ("Succeeded", "Failed"):
            break
        await asyncio.sleep(0.05)
    connection.close()
    return {"job_id": job_id, "job_json": data, "body": json.dumps(body).encode()}


async def round_trips(host: str, port: int, count: int) -> dict[str, Any]:
    """Submit (SAS, upload, create) -> poll every 5 ms -> download the result, one tiny job at a time."""
    connection = Connection(host, port)
    json_headers = auth({"Content-Type": "application/json"})
    times = []
    for _ in range(count):
        start = time.perf_counter()
        job_id = str(uuid.uuid4())
        _s, data = await connection.request(
            "POST",
            f"{WS}/storage/sasUri?{VERSION}",
            json.dumps({"containerName": f"job-{job_id}", "blobName": "inputData"}).encode(),
            json_headers,
        )
        blob_sas = json.loads(data)["sasUri"]
        await connection.request(
            "PUT",
            "/" + blob_sas.split("/", 3)[3],
            json.dumps(BELL).encode(),
            {"x-ms-blob-type": "BlockBlob", "x-ms-blob-content-type": "application/json"},
        )
        container = blob_sas.split("?")[0].rsplit("/", 1)[0] + "?" + blob_sas.split("?")[1]
        body = {
            "name": "rt",
            "providerId": "ionq",
            "target": "ionq.simulator",
            "itemType": "Job",
            "containerUri": container,
            "inputDataFormat": "ionq.circuit.v1",
        }
        await connection.request("PUT", f"{WS}/jobs/{job_id}?{VERSION}", json.dumps(body).encode(), json_headers)
        while True:
            _s, data = await connection.request("GET", f"{WS}/jobs/{job_id}?{VERSION}", headers=auth())
            job = json.loads(data)
            if job["status"] in ("Succeeded", "Failed"):
                break
            await asyncio.sleep(0.005)
        assert job["status"] == "Succeeded", job
        status, result = await connection.request("GET", "/" + job["outputDataUri"].split("/", 3)[3])
        assert status == 200 and json.loads(result)["histogram"], result
        times.append(time.perf_counter() - start)
    connection.close()
    times.sort()
    return {"count": count, "p50_ms": 1000 * statistics.median(times), "max_ms": 1000 * times[-1]}


def machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    clients = [int(c) for c in args.clients.split(",")]
    results: dict[str, Any] = {
        "machine": machine(),
        "seconds": args.seconds,
        "access_log": not args.no_access_log,
        "serve_args": list(args.serve_arg),
    }
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        serve = (
            [
                str(BIN / "quantum-workspace"),
                "serve",
                "--port",
                "0",
                "--data-dir",
                f"{tmp}/data",
                "--api-key",
                API_KEY,
                "--log-level",
                "warning",
            ]
            + (["--no-access-log"] if args.no_access_log else [])
            + list(args.serve_arg)
        )
        process, host, port = start(serve)
        try:
            prepared = await prepare(host, port)
            # The floors first, while the workspace server idles: measured after the create cells they
            # would share the CPU with the worker still running the jobs those cells created.
            body_file = Path(tmp) / "job.json"
            body_file.write_bytes(prepared["job_json"])
            for kind in ("fastapi", "asgi"):
                floor_cmd = [sys.executable, __file__, "--floor-server", str(body_file), "--floor-kind", kind]
                floor_cmd += ["--no-access-log"] if args.no_access_log else []
                floor, floor_host, floor_port = start(floor_cmd)
                try:
                    results[f"floor_{kind}"] = [
                        await load(
                            floor_host, floor_port, n, args.seconds, lambda _i, _s: ("GET", "/job", b"", {}), 200
                        )
                        for n in clients
                    ]
                finally:
                    stop(floor)
            get_target = f"{WS}/jobs/{prepared['job_id']}?{VERSION}"
            results["get"] = [
                await load(host, port, n, args.seconds, lambda _i, _s: ("GET", get_target, b"", auth()), 200)
                for n in clients
            ]
            results["round_trip"] = await round_trips(host, port, args.round_trips)
            run = uuid.uuid4().hex[:8]

            def create(index: int, sequence: int) -> tuple[str, str, bytes, dict[str, str]]:
                job_id = str(uuid.UUID(int=(int(run, 16) << 64) | (index << 32) | sequence))
                return (
                    "PUT",
                    f"{WS}/jobs/{job_id}?{VERSION}",
                    prepared["body"],
                    auth({"Content-Type": "application/json"}),
                )

            results["create"] = []
            for n in clients:
                run = uuid.uuid4().hex[:8]
                results["create"].append(await load(host, port, n, args.seconds, create, 200))
            results["create_paced"] = []
            for rate in [float(r) for r in args.create_rates.split(",") if r]:
                run = uuid.uuid4().hex[:8]
                await asyncio.sleep(1.0)  # let the worker drain a little between cells
                results["create_paced"].append(await paced(host, port, max(clients), rate, args.seconds, create, 200))
        finally:
            stop(process)
    return results


def print_table(results: dict[str, Any]) -> None:
    print(
        f"machine: {results['machine']}; {results['seconds']} s per cell; access log "
        f"{'on' if results['access_log'] else 'off'}"
        + (f"; serve {' '.join(results['serve_args'])}" if results["serve_args"] else "")
    )
    print(f"{'scenario':<22}{'clients':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    rows = (
        ("job GET", "get"),
        ("job create (PUT)", "create"),
        ("floor: FastAPI GET", "floor_fastapi"),
        ("floor: raw ASGI GET", "floor_asgi"),
    )
    for name, key in rows:
        for row in results[key]:
            print(
                f"{name:<22}{row['clients']:>8}{row['rps']:>10.0f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
                f"{row['errors']:>8}"
            )
    for ours, framework, raw in zip(results["get"], results["floor_fastapi"], results["floor_asgi"], strict=True):
        print(
            f"job GET at {ours['clients']:>2} clients: {ours['rps'] / framework['rps']:.0%} of the FastAPI floor, "
            f"{ours['rps'] / raw['rps']:.0%} of the raw ASGI floor"
        )
    for row in results.get("create_paced", []):
        print(
            f"job create (PUT), open loop at {row['offered_rps']:.0f}/s over {row['clients']} connections: "
            f"{row['rps']:.0f} req/s served, p50 {row['p50_ms']:.2f} ms, p99 {row['p99_ms']:.2f} ms, "
            f"{row['errors']} errors"
        )
    trip = results["round_trip"]
    print(
        f"submit -> result round trip (SAS, upload, create, poll, download), {trip['count']} jobs: "
        f"p50 {trip['p50_ms']:.1f} ms, max {trip['max_ms']:.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--round-trips", type=int, default=20)
    parser.add_argument(
        "--create-rates",
        default="500",
        help="offered create rates (req/s, comma-separated) for the open-loop cells, over the largest client count",
    )
    parser.add_argument("--no-access-log", action="store_true")
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        help="passed on to `quantum-workspace serve` (repeatable), e.g. --serve-arg=--worker-in-process for an A/B",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--floor-server", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor-kind", default="asgi", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_server:
        run_floor_server(args.floor_server, access_log=not args.no_access_log, kind=args.floor_kind)
        return 0
    results = asyncio.run(main_async(args))
    print(json.dumps(results, indent=2) if args.json else "", end="")
    if not args.json:
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
