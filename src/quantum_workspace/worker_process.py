"""The worker in a process of its own, at a lower CPU priority than the server (`serve`'s default).

Why: worker threads in the server share its interpreter lock with the event loop. Every SQLite call or
socket write releases the lock, a worker thread takes it, and the loop waits up to a switch interval
(5 ms) to get it back; the worker could only be asked to step aside (`Worker._defer_to_requests`). In a
process of its own it has an interpreter lock of its own, and the kernel gives the server the CPU first
(nice +10). Measured in bench/SERVICE.md.

The worker process reads the store and runs the simulations; its claims, heartbeats and finishes (the
`Bookkeeper` operations, the only ones accepted) are made by the server, on its event loop, like its own
writes: two processes writing the same SQLite file met at SQLite's lock a third of the time under load,
and a worker process holding it while the kernel ran the server instead stalled creates for up to 200 ms.
The rare writes the worker makes itself (re-queueing at start, ending idle sessions, quota holds) wait at
that lock without the server's event loop ever sleeping in it (`WriterBusy`).

Server and worker talk over a socket pair: the server sends the configuration first, then wake-ups,
cancellations, replies and `stop`; the worker sends its calls. When the socket closes without a `stop`,
the server is gone (killed): the worker exits at once, its running jobs left Executing for the next start
to re-queue, as they would be had it been threads of the killed server. A worker process that dies is
started again, under a new replica name (on a shared store its jobs are then re-queued after the lease).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import StoreError
from .log_masking import LOG_FORMAT, MaskingFormatter
from .service import JobService
from .store import JobRecord
from .worker import Bookkeeper

__all__ = ["WORKER_NICENESS", "RemoteBookkeeper", "WorkerProcess", "main"]

log = logging.getLogger("quantum_workspace.worker")

#: How much lower the worker process's CPU priority is than the server's (its simulator children go lower
#: still, see simulators.SIMULATOR_NICENESS).
WORKER_NICENESS = 10
#: Seconds before a worker process that ended on its own is started again.
_RESTART_AFTER = 1.0

#: Runs a store write on the server's event loop (LoopWrites.write).
LoopWrite = Callable[[Callable[[], Any]], Any]


def _config(settings: Settings, replica: str) -> dict[str, Any]:
    """What the worker needs of the server's settings (no API keys: it answers no requests)."""
    return {
        "replica": replica,
        "data_dir": str(settings.data_dir),
        "database_url": settings.database_url,
        "worker_threads": settings.worker_threads,
        "job_timeout": settings.job_timeout,
        "poll_interval": settings.poll_interval,
        "qpu_queue_delay": settings.qpu_queue_delay,
        "session_timeout": settings.session_timeout.total_seconds(),
        "quotas": [list(quota) for quota in settings.quotas],
    }


class WorkerProcess:
    """The server's side: starts the worker process with the app, makes its store writes on the event
    loop, restarts it if it dies, stops it with the app."""

    def __init__(self, settings: Settings, jobs_for: Callable[[str], JobService], write: LoopWrite) -> None:
        self._settings, self._jobs_for, self._write = settings, jobs_for, write
        self._operations = Bookkeeper.OPERATIONS
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        #: Worker threads whose last claim found nothing: each is owed one wake-up by the next create.
        self._idle = 0
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """From the event loop's thread, which then serves the worker's calls."""
        self._loop = loop
        self._stopping.clear()
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="quantum-worker-watch", daemon=True)
        self._watcher.start()

    def _spawn(self) -> None:
        replica = uuid.uuid4().hex[:16]
        jobs = self._jobs_for(replica)
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "quantum_workspace.worker_process", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=dict(os.environ, QDK_PYTHON_TELEMETRY="none"),
            )
        finally:
            theirs.close()
        connection = Connection(ours.detach())
        with self._lock:
            self._process, self._connection, self._idle = process, connection, 0
        self._send(connection, ("config", _config(self._settings, replica)))
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._listen, connection, jobs)

    # -- the worker's calls, on the event loop ---------------------------------------------------------

    def _listen(self, connection: Connection, jobs: JobService) -> None:
        assert self._loop is not None
        loop = self._loop

        def readable() -> None:
            try:
                message = connection.recv()
            except (EOFError, OSError):  # the worker process ended; _watch starts another
                loop.remove_reader(connection.fileno())
                return
            if message[0] == "call":
                _kind, call_id, operation, args, kwargs = message
                loop.create_task(self._answer(connection, jobs, call_id, operation, args, kwargs))

        try:
            loop.add_reader(connection.fileno(), readable)
        except (OSError, ValueError):  # closed before the loop got to it
            pass

    async def _answer(
        self, connection: Connection, jobs: JobService, call_id: int, operation: str, args: Any, kwargs: Any
    ) -> None:
        if operation not in self._operations:
            self._send(connection, ("reply", call_id, False, f"unknown operation {operation!r}"))
            return
        method = getattr(jobs, operation)
        try:
            result = await self._write(lambda: method(*args, **kwargs))
        except Exception as error:  # the worker logs it and goes on, as it would have here
            self._send(connection, ("reply", call_id, False, f"{type(error).__name__}: {error}"))
            return
        if operation == "claim_next" and result is None:
            with self._lock:  # its threads poll as well: never owed more than one wake-up each
                self._idle = min(self._idle + 1, self._settings.worker_threads)
        self._send(connection, ("reply", call_id, True, result))

    # -- messages to the worker -------------------------------------------------------------------------

    def wake(self) -> None:
        """A job was created: wakes one worker thread that found nothing to do, if any. Messages to the
        worker are sent where they arise, the event loop included, without a wait: there is at most one
        per worker call in flight, one per idle thread and one per cancel, far less than a socket holds."""
        with self._lock:
            connection = self._connection
            if connection is None or self._idle == 0:
                return
            self._idle -= 1
        self._send(connection, ("wake",))

    def cancel(self, job: JobRecord) -> None:
        connection = self._connection
        if connection is not None:
            self._send(connection, ("cancel", job.workspace, job.id))

    def _send(self, connection: Connection, message: tuple[Any, ...]) -> None:
        with self._lock:
            try:
                connection.send(message)
            except (OSError, ValueError):  # the worker process is gone; a new one gets its own messages
                pass

    # -- life and death ------------------------------------------------------------------------------

    def _watch(self) -> None:
        """Starts the worker again when it ended without being told to (a crash, the OOM killer)."""
        while not self._stopping.is_set():
            process = self._process
            if process is None:
                return
            code = process.wait()
            if self._stopping.is_set():
                return
            log.warning("the worker process ended (exit code %s); starting it again", code)
            self._close_connection()
            if self._stopping.wait(_RESTART_AFTER):
                return
            try:
                self._spawn()
            except OSError as error:
                log.error("cannot start the worker process: %s", error.strerror)
                return

    def stop(self, timeout: float = 10.0) -> None:
        """Asks the worker to stop (a job still running after `timeout` is re-queued at the next start)
        and waits for it. Call it from a thread while the event loop runs: the worker's last finishes are
        made there."""
        self._stopping.set()
        process, connection = self._process, self._connection
        if process is None:
            return
        if connection is not None:
            self._send(connection, ("stop",))
        try:
            process.wait(timeout + 5.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self._close_connection()
        if self._watcher is not None:
            self._watcher.join(timeout=5)

    def _close_connection(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is None:
            return
        loop = self._loop

        def close() -> None:
            try:
                if loop is not None:
                    loop.remove_reader(connection.fileno())
            except (OSError, ValueError):
                pass
            connection.close()

        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(close)
                return
            except RuntimeError:
                pass
        connection.close()


# -- the worker process ------------------------------------------------------------------------------


class RemoteWriteFailed(StoreError):
    """The server could not make one of the worker's writes (its message says why)."""


class RemoteBookkeeper(Bookkeeper):
    """The worker process's Bookkeeper: each operation is sent to the server and waited for."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._send_lock = threading.Lock()
        self._ids = itertools.count()
        self._waiting: dict[int, tuple[threading.Event, list[Any]]] = {}

    def perform(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        call_id = next(self._ids)
        done, answer = threading.Event(), list[Any]()
        self._waiting[call_id] = (done, answer)
        with self._send_lock:
            self._connection.send(("call", call_id, operation, args, kwargs))
        done.wait()
        self._waiting.pop(call_id, None)
        ok, value = answer
        if not ok:
            raise RemoteWriteFailed(str(value))
        return value

    def reply(self, call_id: int, ok: bool, value: Any) -> None:
        waiting = self._waiting.get(call_id)
        if waiting is not None:
            waiting[1].extend((ok, value))
            waiting[0].set()


def _log_like_the_server() -> None:
    """The service's loggers to stderr (the server's), in its format, secrets masked (see api/_logging)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingFormatter(LOG_FORMAT))
    service_log = logging.getLogger("quantum_workspace")
    service_log.addHandler(handler)
    service_log.setLevel(logging.INFO)
    service_log.propagate = False


def main(fd: int) -> int:
    """The worker process: builds the store, services and Worker, then follows the server's messages."""
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the server stops us
    _log_like_the_server()
    connection = Connection(fd)
    try:
        kind, config = connection.recv()
    except (EOFError, OSError):
        return 0
    assert kind == "config"

    from .blobs import BlobStore
    from .clock import SystemClock
    from .service import QuotaService, SessionService, load_catalog
    from .simulators import simulator_pool
    from .store import Store, open_postgres_store, open_sqlite_store
    from .worker import Worker

    data_dir = Path(config["data_dir"])
    clock = SystemClock()
    store: Store
    if config["database_url"]:
        store = open_postgres_store(config["database_url"])
    else:
        store = open_sqlite_store(data_dir / "workspace.db", checkpoints=False)
    quotas = QuotaService(store, clock, tuple((p, d, float(limit)) for p, d, limit in config["quotas"]))
    jobs = JobService(
        store,
        clock,
        None,
        catalog_loader=load_catalog,
        qpu_queue_delay=float(config["qpu_queue_delay"]),
        replica=config["replica"],
    )
    sessions = SessionService(
        store,
        clock,
        None,
        catalog_loader=load_catalog,
        idle_timeout=timedelta(seconds=float(config["session_timeout"])),
    )
    remote = RemoteBookkeeper(connection)
    worker = Worker(
        jobs,
        sessions,
        BlobStore(data_dir / "blobs", clock),
        load_catalog,
        threads=int(config["worker_threads"]),
        poll_interval=float(config["poll_interval"]),
        job_timeout=config["job_timeout"],
        quotas=quotas,
        bookkeeping=remote,
    )
    stop = threading.Event()

    def follow() -> None:
        while True:
            try:
                message = connection.recv()
            except (EOFError, OSError):
                # The server was killed. End now, as its threads would have ended with it; what was
                # running stays Executing and is re-queued by the next start.
                simulator_pool(int(config["worker_threads"])).close()
                os._exit(0)
            kind = message[0]
            if kind == "reply":
                remote.reply(message[1], message[2], message[3])
            elif kind == "wake":
                worker.wake()
            elif kind == "cancel":
                worker.cancel_running(message[1], message[2])
            elif kind == "stop":
                stop.set()

    threading.Thread(target=follow, name="quantum-worker-follow", daemon=True).start()
    worker.start()
    stop.wait()
    worker.stop()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
