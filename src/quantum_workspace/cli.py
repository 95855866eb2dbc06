"""`quantum-workspace`: serve the local workspace, issue a bearer token, and take a quick look at the data.

Heavy modules (FastAPI, SQLAlchemy, simulators) are imported inside the commands that need them, so
`token` is instant and `serve` prints its ready line as soon as it can take requests.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

__all__ = ["main"]

DEFAULT_AUDIENCE = "https://quantum.microsoft.com"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quantum-workspace", description="A local Azure Quantum workspace.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the data plane, blob storage and simulators")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    serve.add_argument("--data-dir", type=Path, default=Path("./quantum-workspace-data"))
    serve.add_argument("--api-key", help="the primary key (generated and printed once when omitted)")
    serve.add_argument(
        "--database-url",
        default=os.environ.get("QUANTUM_WORKSPACE_DATABASE_URL"),
        help="a PostgreSQL database shared by several replicas (postgresql://user:password@host/db; default "
        "$QUANTUM_WORKSPACE_DATABASE_URL, else SQLite in --data-dir); replicas share --data-dir for blobs",
    )
    serve.add_argument("--secondary-api-key", help="a second accepted key")
    serve.add_argument("--disable-keys", action="store_true", help="reject API keys; bearer tokens only")
    serve.add_argument(
        "--session-timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="idle time after which an open session ends as TimedOut (default 600)",
    )
    serve.add_argument("--worker-threads", type=int, default=2, help="jobs run at the same time (default 2)")
    serve.add_argument(
        "--worker-in-process",
        action="store_true",
        help="run jobs in threads of the server instead of a worker process at lower CPU priority",
    )
    serve.add_argument(
        "--job-timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="a simulation running longer fails its job with ExecutionTimedOut (default 600)",
    )
    serve.add_argument(
        "--qpu-queue-delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="jobs on QPU targets stay Waiting this long before they run, like a hardware queue (default 0)",
    )
    serve.add_argument(
        "--quota",
        action="append",
        default=[],
        type=_quota,
        metavar="PROVIDER:DIMENSION=LIMIT",
        help="a monthly quota per workspace, e.g. ionq:qgs=1000000 or quantinuum:hqc=500; repeatable "
        "(default: ionq:qgs=16666667, other dimensions unlimited)",
    )
    serve.add_argument(
        "--max-json-body",
        type=int,
        default=4 * 1024 * 1024,
        metavar="BYTES",
        help="larger JSON request bodies are refused with 413 (default 4 MiB)",
    )
    serve.add_argument(
        "--max-blob-size",
        type=int,
        default=256 * 1024 * 1024,
        metavar="BYTES",
        help="larger blob uploads are refused with 413 (default 256 MiB)",
    )
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve https with a self-signed certificate kept in DATA_DIR/tls (needed for bearer tokens)",
    )
    serve.add_argument("--location", default="eastus", help="the region the ARM workspace lookup reports")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--no-access-log", action="store_true")

    token = commands.add_parser("token", help="print a bearer token (JWT) the local workspace accepts")
    token.add_argument("--audience", default=DEFAULT_AUDIENCE)
    token.add_argument("--ttl", type=float, default=24 * 3600, metavar="SECONDS", help="lifetime (default 24 h)")
    token.add_argument("--subject", default="local-user", help="the user name recorded as createdBy")

    for name in ("jobs", "sessions"):
        group = commands.add_parser(name, help=f"look at the stored {name}")
        actions = group.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help=f"list {name}, newest last")
        listing.add_argument("--data-dir", type=Path, default=Path("./quantum-workspace-data"))
        listing.add_argument("--database-url", default=os.environ.get("QUANTUM_WORKSPACE_DATABASE_URL"))
    return parser


def _quota(text: str) -> tuple[str, str, float]:
    from .service import parse_quota

    try:
        return parse_quota(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _token(args: argparse.Namespace) -> int:
    import jwt

    now = int(time.time())
    claims = {
        "aud": args.audience,
        "iss": "https://quantum-workspace.local/",
        "sub": args.subject,
        "upn": args.subject,
        "iat": now,
        "nbf": now,
        "exp": now + int(args.ttl),
    }
    # Signed with a throwaway secret: the workspace checks shape, audience and lifetime, not signatures.
    print(jwt.encode(claims, secrets.token_bytes(32), algorithm="HS256"), flush=True)
    return 0


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _serve(args: argparse.Namespace) -> int:
    if args.api_key is not None and not args.api_key:
        print("quantum-workspace: --api-key must not be empty", file=sys.stderr)
        return 2
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    generated = args.api_key is None and not args.disable_keys
    primary = secrets.token_urlsafe(32) if generated else args.api_key
    keys = tuple(k for k in (primary, args.secondary_api_key) if k)
    try:
        sock = _bind(args.host, args.port)
    except OSError as error:
        print(f"quantum-workspace: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1

    import uvicorn

    from .api import LOG_CONFIG, create_app
    from .config import Settings
    from .errors import WorkspaceError

    settings = Settings(
        data_dir=args.data_dir,
        api_keys=keys,
        disable_keys=args.disable_keys,
        session_timeout=timedelta(seconds=args.session_timeout),
        worker_threads=args.worker_threads,
        worker_process=not args.worker_in_process,
        job_timeout=args.job_timeout,
        qpu_queue_delay=args.qpu_queue_delay,
        quotas=tuple(args.quota),
        max_json_body=args.max_json_body,
        max_blob_size=args.max_blob_size,
        location=args.location,
        database_url=args.database_url or None,
    )
    try:
        app = create_app(settings)
    except WorkspaceError as error:
        print(f"quantum-workspace: {error.message}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    scheme = "https" if args.tls else "http"
    certfile: str | None = None
    keyfile: str | None = None
    if args.tls:
        from .tls import ensure_certificate

        cert, key = ensure_certificate(args.data_dir / "tls", args.host)
        certfile, keyfile = str(cert), str(key)
    endpoint = f"{scheme}://{shown_host}:{port}"
    if generated:
        print(f"api key: {primary}", flush=True)

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            _freeze_start_up_objects()
            if not self.should_exit:
                print(f"listening on {endpoint}", flush=True)
                print(_connect_help(endpoint, generated, args), flush=True)

    log_config: dict[str, Any] = {**LOG_CONFIG}
    config = uvicorn.Config(
        app,
        log_config=log_config,
        log_level=args.log_level,
        access_log=not args.no_access_log,
        lifespan="on",
        timeout_graceful_shutdown=5,
        server_header=False,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    # uvicorn re-raises the stop signal after its graceful shutdown; these handlers make that a clean exit
    # (0 after SIGTERM, 130 after Ctrl-C) instead of death by signal.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: None)
    signal.signal(signal.SIGINT, _exit_interrupted)
    _Server(config).run(sockets=[sock])
    return 0


def _freeze_start_up_objects() -> None:
    """Move what start-up built (modules, the app, the catalog) out of the garbage collector's sight: a
    full collection over those ~100,000 objects took 60-120 ms, and it ran in the middle of requests."""
    import gc

    from .service import load_catalog

    load_catalog()
    gc.collect()
    gc.freeze()


def _connect_help(endpoint: str, generated: bool, args: argparse.Namespace) -> str:
    """How to point the official SDK here; a key given on the command line is never shown."""
    # The key is printed once (when generated) and a given key never: the snippet only points at it.
    key = "<the api key above>" if generated else "<your --api-key>"
    lines = [
        f"data plane and blob storage: {endpoint}/ (any subscription, resource group and workspace name)",
        "python:",
        "  from azure.core.credentials import AzureKeyCredential",
        "  from azure.quantum import Workspace",
        '  ws = Workspace(subscription_id="00000000-0000-0000-0000-000000000001", resource_group="rg-local",',
        f'                 name="ws-local", location="{args.location}",',
        f'                 credential=AzureKeyCredential("{key}"), _quantum_endpoint="{endpoint}/")',
    ]
    if args.tls:
        lines += [
            f"tls: trust {args.data_dir / 'tls' / 'cert.pem'} (REQUESTS_CA_BUNDLE) to use bearer tokens, and",
            f"  Workspace(subscription_id=..., resource_group=..., name=..., credential=<TokenCredential>,"
            f' arm_endpoint="{endpoint}/")',
        ]
    return "\n".join(lines)


def _exit_interrupted(_sig: int, _frame: object) -> None:
    raise SystemExit(130)


def _list(args: argparse.Namespace) -> int:
    from .errors import StoreError
    from .store import ListQuery, SqlStore, open_postgres_store, open_sqlite_store

    store: SqlStore
    if args.database_url:
        try:
            store = open_postgres_store(args.database_url)
        except StoreError as error:
            print(f"quantum-workspace: {error.message}", file=sys.stderr)
            return 1
    else:
        database = args.data_dir / "workspace.db"
        if not database.is_file():
            print(f"quantum-workspace: no workspace data in {args.data_dir}", file=sys.stderr)
            return 1
        store = open_sqlite_store(database)
    rows: list[tuple[str, ...]] = []
    with store.read() as reader:
        for workspace in reader.workspaces():
            skip = 0
            while True:
                query = ListQuery(skip=skip, top=500)
                page = (
                    reader.list_jobs(workspace, query)
                    if args.command == "jobs"
                    else reader.list_sessions(workspace, query)
                )
                for item in page.items:
                    rows.append(
                        (
                            workspace,
                            item.id,
                            item.name,
                            item.target,
                            item.status,
                            item.creation_time.strftime("%Y-%m-%d %H:%M:%S"),
                        )
                    )
                if not page.more:
                    break
                skip += len(page.items)
    store.close()
    header = ("WORKSPACE", "ID", "NAME", "TARGET", "STATUS", "CREATED (UTC)")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "token":
        return _token(args)
    if args.command == "serve":
        return _serve(args)
    return _list(args)


if __name__ == "__main__":
    sys.exit(main())
