"""The worker in a process of its own, at a lower CPU priority than the server.

Why: worker threads in the server share its interpreter lock with the event loop. Every SQLite call or
socket write releases the lock, a worker thread takes it, and the loop waits up to a switch interval
(5 ms) to get it back; the worker could only be asked to step aside (`Worker._defer_to_requests`). In a
process of its own it has an interpreter lock of its own, and the kernel gives the server the CPU first
(nice +10). Measured at 500 creates/s offered while the jobs execute (bench/SERVICE.md): p50 of creates
6-10 -> 3-4 ms, and 60 % more jobs executed in the same time.

Both processes use the same store: SQLite's own lock orders their writes (the server's event loop never
waits for it: `WriterBusy`, tried again a moment later), and the server's store thread checkpoints the
WAL for both. The server tells the worker about new jobs and cancellations over the child's stdin, one
JSON object a line (`WorkerProcess`); the first line is the worker's configuration (the database URL
travels there, never on a command line). When stdin closes without a `stop` the server is gone (killed):
the worker exits at once, its running jobs left Executing for the next start to re-queue, as they would
be had it been threads of the killed server.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from .config import Settings
from .store import JobRecord

__all__ = ["WORKER_NICENESS", "WorkerProcess", "main"]

log = logging.getLogger("quantum_workspace.worker")

#: How much lower the worker process's CPU priority is than the server's (its simulator children go lower
#: still, see simulators.SIMULATOR_NICENESS).
WORKER_NICENESS = 10
#: Seconds before a worker process that ended on its own is started again.
_RESTART_AFTER = 1.0


def _config(settings: Settings) -> dict[str, Any]:
    """What the worker needs of the server's settings (no API keys: it answers no requests)."""
    return {
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
    """The server's handle on its worker process: started with the app, restarted if it dies, stopped
    with the app. `wake` and `cancel` never block the caller (the event loop calls `wake` on every
    create): a message the pipe cannot take now is dropped, and the worker's poll finds the job anyway."""

    def __init__(self, settings: Settings) -> None:
        self._config = json.dumps(_config(settings)) + "\n"
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._stdin: IO[bytes] | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def start(self) -> None:
        self._stopping.clear()
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="quantum-worker-watch", daemon=True)
        self._watcher.start()

    def _spawn(self) -> None:
        env = dict(os.environ, QDK_PYTHON_TELEMETRY="none")
        process = subprocess.Popen(
            [sys.executable, "-m", "quantum_workspace.worker_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env=env,
        )
        assert process.stdin is not None
        process.stdin.write(self._config.encode())
        process.stdin.flush()
        os.set_blocking(process.stdin.fileno(), False)
        with self._lock:
            self._process, self._stdin = process, process.stdin

    def _watch(self) -> None:
        """Starts the worker again when it ended without being told to (a crash, the OOM killer)."""
        while not self._stopping.is_set():
            process = self._process
            if process is None:
                return
            code = process.wait()
            if self._stopping.wait(0):
                return
            log.warning("the worker process ended (exit code %s); starting it again", code)
            self._close_stdin()
            if self._stopping.wait(_RESTART_AFTER):
                return
            try:
                self._spawn()
            except OSError as error:
                log.error("cannot start the worker process: %s", error.strerror)
                return

    def wake(self) -> None:
        self._send({"op": "wake"})

    def cancel(self, job: JobRecord) -> None:
        self._send({"op": "cancel", "workspace": job.workspace, "id": job.id})

    def _send(self, message: dict[str, Any]) -> None:
        line = (json.dumps(message) + "\n").encode()
        with self._lock:
            stdin = self._stdin
            if stdin is None:
                return
            try:
                os.write(stdin.fileno(), line)  # under PIPE_BUF: written whole or not at all
            except (BlockingIOError, BrokenPipeError, OSError):
                pass

    def stop(self, timeout: float = 10.0) -> None:
        """Asks the worker to stop (its running jobs are re-queued at the next start if they outlast
        `timeout`) and waits for it."""
        self._stopping.set()
        process = self._process
        if process is None:
            return
        with self._lock:
            stdin = self._stdin
            if stdin is not None:
                try:
                    os.set_blocking(stdin.fileno(), True)
                    stdin.write(b'{"op": "stop"}\n')
                    stdin.flush()
                except OSError:
                    pass
        try:
            process.wait(timeout + 2.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self._close_stdin()
        if self._watcher is not None:
            self._watcher.join(timeout=5)

    def _close_stdin(self) -> None:
        with self._lock:
            stdin, self._stdin = self._stdin, None
        if stdin is not None:
            try:
                stdin.close()
            except OSError:
                pass


# -- the child -------------------------------------------------------------------------------------------


def main() -> int:
    """The worker process: builds the store, services and Worker, then follows the server's messages."""
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the server stops us
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(name)s: %(message)s")
    first = sys.stdin.buffer.readline()
    if not first:
        return 0
    config = json.loads(first)
    from .blobs import BlobStore
    from .clock import SystemClock
    from .service import JobService, QuotaService, SessionService, load_catalog
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
    jobs = JobService(store, clock, None, catalog_loader=load_catalog, qpu_queue_delay=float(config["qpu_queue_delay"]))
    sessions = SessionService(
        store,
        clock,
        None,
        catalog_loader=load_catalog,
        idle_timeout=timedelta(seconds=float(config["session_timeout"])),
    )
    worker = Worker(
        jobs,
        sessions,
        BlobStore(data_dir / "blobs", clock),
        load_catalog,
        threads=int(config["worker_threads"]),
        poll_interval=float(config["poll_interval"]),
        job_timeout=config["job_timeout"],
        quotas=quotas,
    )
    worker.start()
    for line in sys.stdin.buffer:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        op = message.get("op")
        if op == "wake":
            worker.wake()
        elif op == "cancel":
            worker.cancel_running(str(message["workspace"]), str(message["id"]))
        elif op == "stop":
            worker.stop()
            store.close()
            return 0
    # stdin closed without a stop: the server was killed. End now, as its threads would have ended with it;
    # what was running stays Executing and is re-queued by the next start.
    simulator_pool(int(config["worker_threads"])).close()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
