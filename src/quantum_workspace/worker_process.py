"""The worker in a process of its own, at a lower CPU priority than the server (`serve`'s default).

Why: worker threads in the server share its interpreter lock with the event loop. Every SQLite call or
socket write releases the lock, a worker thread takes it, and the loop waits up to a switch interval
(5 ms) to get it back; the worker could only be asked to step aside (`Worker._defer_to_requests`). In a
process of its own it has an interpreter lock of its own, and the kernel gives the server the CPU first
(nice +10). Measured in bench/SERVICE.md.

The worker process reads the store and runs the simulations; its claims, heartbeats and finishes (the
`Bookkeeper` operations, the only ones accepted) are made by the server, on its event loop, like its own
writes: two processes writing the same SQLite file met at SQLite's lock a third of the time under load,
and a worker process holding it while the kernel ran the server instead stalled creates for up to 270 ms.
The rare writes the worker makes itself (re-queueing at start, ending idle sessions, quota holds) wait at
that lock without the server's event loop ever sleeping in it (`WriterBusy`). On a shared database
(PostgreSQL) the worker makes all its writes itself, as a replica does.

Server and worker talk over a socket pair: the server sends the configuration first, then wake-ups,
cancellations, replies and `stop`; the worker sends its calls, which the server unpickles admitting no
callables but datetimes and job records, and makes only for jobs that worker claimed. When the socket
closes without a `stop`, the server is gone (killed): the worker exits at once, its running jobs left
Executing for the next start to re-queue, as they would be had it been threads of the killed server. A
worker process that dies is started again, under a new replica name (on a shared store its jobs are then
re-queued after the lease).
"""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
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
#: The operations that finish a job the worker claimed (their first argument is the job).
_FINISHES = frozenset({"complete", "fail", "acknowledge_cancel"})
#: Seconds before a worker process that ended on its own is started again.
_RESTART_AFTER = 1.0

#: Runs a store write on the server's event loop (LoopWrites.write).
LoopWrite = Callable[[Callable[[], Any]], Any]


def _config(settings: Settings, replica: str) -> dict[str, Any]:
    """What the worker gets: the server's settings (without its API keys: it answers no requests) and the
    replica name it works under."""
    return {"replica": replica, "settings": replace(settings, api_keys=())}


class WorkerProcess:
    """The server's side: starts the worker process with the app, makes its store writes on the event
    loop, restarts it if it dies, stops it with the app.

    The server's end of the socket is an asyncio stream: a message is read only once it has fully arrived
    and a message sent is buffered, so a worker that is slow to read (it runs at a lower priority) or
    frozen never holds up the event loop. The framing is multiprocessing's (`Connection` on the worker's end).
    """

    def __init__(self, settings: Settings, jobs_for: Callable[[str], JobService], write: LoopWrite) -> None:
        self._settings, self._jobs_for, self._write = settings, jobs_for, write
        self._operations = Bookkeeper.OPERATIONS
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._writer: asyncio.StreamWriter | None = None  # the current worker's; used on the loop only
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
        self._loop, self._loop_thread = loop, threading.get_ident()
        self._stopping.clear()
        with self._lock:
            spawned = self._spawn()
        self._watcher = threading.Thread(target=self._watch, args=(spawned,), name="quantum-worker-watch", daemon=True)
        self._watcher.start()

    def _spawn(self) -> tuple[subprocess.Popen[bytes], threading.Event]:
        """A new worker process (holding self._lock); the event is set once it is known to have ended."""
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
                start_new_session=True,  # its own process group: stopped (and killed) with its simulators
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        ended = threading.Event()
        self._process, self._idle = process, 0
        config = _config(self._settings, replica)
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._connect, ours, ended, jobs, config)
        return process, ended

    # -- the worker's calls, on the event loop ---------------------------------------------------------

    def _connect(self, sock: socket.socket, ended: threading.Event, jobs: JobService, config: dict[str, Any]) -> None:
        assert self._loop is not None
        self._loop.create_task(self._serve(sock, ended, jobs, config))

    async def _serve(
        self, sock: socket.socket, ended: threading.Event, jobs: JobService, config: dict[str, Any]
    ) -> None:
        reader, writer = await asyncio.open_unix_connection(sock=sock)
        self._writer = writer
        writer.write(_frame(("config", config)))
        try:
            while True:
                message = _load_from_worker(await _read_frame(reader))
                if message[0] == "call":
                    _kind, call_id, operation, args, kwargs = message
                    asyncio.get_running_loop().create_task(
                        self._answer(writer, ended, jobs, call_id, operation, args, kwargs)
                    )
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass  # the worker process ended; _watch starts another
        except pickle.UnpicklingError as error:  # not our worker's message: no more calls from it
            log.error("closing the worker process's connection: %s", error)
        finally:
            if self._writer is writer:
                self._writer = None
            writer.close()

    async def _answer(
        self,
        writer: asyncio.StreamWriter,
        ended: threading.Event,
        jobs: JobService,
        call_id: int,
        operation: str,
        args: Any,
        kwargs: Any,
    ) -> None:
        refused = self._refusal(jobs, operation, args)
        if refused:
            writer.write(_frame(("reply", call_id, False, refused)))
            return
        method = getattr(jobs, operation)

        def made() -> Any:
            # A call read after its worker died is not made: the next worker's start re-queues what that
            # one left Executing, and a claim made after it would leave the job Executing for nobody.
            if ended.is_set():
                raise RemoteWriteFailed("the worker process that asked for this has ended")
            return method(*args, **kwargs)

        try:
            result = await self._write(made)
        except Exception as error:  # the worker logs it and goes on, as it would have here
            writer.write(_frame(("reply", call_id, False, f"{type(error).__name__}: {error}")))
            return
        if operation == "claim_next" and result is None:
            with self._lock:  # its threads poll as well: never owed more than one wake-up each
                self._idle = min(self._idle + 1, self._settings.worker_threads)
        writer.write(_frame(("reply", call_id, True, result)))

    def _refusal(self, jobs: JobService, operation: str, args: Any) -> str | None:
        """Why a call is not made, or None: only the Bookkeeper's operations, and a finish only for a job
        that this worker process claimed (the store then checks that it still holds it)."""
        if operation not in self._operations:
            return f"unknown operation {operation!r}"
        if operation in _FINISHES:
            job = args[0] if isinstance(args, tuple) and args else None
            if not isinstance(job, JobRecord) or job.claimed_by != jobs.replica:
                return f"{operation} is only made for a job this worker process claimed"
        return None

    # -- messages to the worker -------------------------------------------------------------------------

    def wake(self) -> None:
        """A job was created: wakes one worker thread that found nothing to do, if any."""
        with self._lock:
            if self._idle == 0:
                return
            self._idle -= 1
        self._send(("wake",))

    def cancel(self, job: JobRecord) -> None:
        self._send(("cancel", job.workspace, job.id))

    def _send(self, message: tuple[Any, ...]) -> None:
        """From any thread: the message is written on the loop, to whichever worker runs by then."""
        loop = self._loop
        if loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            self._send_here(message)
            return
        try:
            loop.call_soon_threadsafe(self._send_here, message)
        except RuntimeError:  # the loop closed: no worker to tell
            pass

    def _send_here(self, message: tuple[Any, ...]) -> None:
        writer = self._writer
        if writer is not None and not writer.is_closing():
            writer.write(_frame(message))

    # -- life and death ------------------------------------------------------------------------------

    def _watch(self, spawned: tuple[subprocess.Popen[bytes], threading.Event]) -> None:
        """Starts the worker again when it ended without being told to (a crash, the OOM killer); one that
        keeps dying soon after its start is started again less and less often (up to every 30 s)."""
        pause = _RESTART_AFTER
        while True:
            process, ended = spawned
            began = time.monotonic()
            code = process.wait()
            ended.set()
            if self._stopping.is_set():
                return
            log.warning("the worker process ended (exit code %s); starting it again", code)
            pause = min(2 * pause, 30.0) if time.monotonic() - began < 10.0 else _RESTART_AFTER
            while True:
                if self._stopping.wait(pause):
                    return
                with self._lock:
                    if self._stopping.is_set():
                        return
                    try:
                        spawned = self._spawn()
                        break
                    except OSError as error:
                        log.error("cannot start the worker process (%s); trying again", error.strerror)
                        pause = min(2 * pause, 30.0)

    def stop(self, timeout: float = 10.0) -> None:
        """Asks the worker to stop (a job still running after `timeout` is re-queued at the next start)
        and waits for it. Call it from a thread while the event loop runs: the worker's last finishes are
        made there."""
        with self._lock:  # no worker is started after this
            self._stopping.set()
            process = self._process
        if process is None:
            return
        self._send(("stop",))
        try:
            process.wait(timeout + 5.0)
        except subprocess.TimeoutExpired:
            log.warning("the worker process did not stop in time; killing it and its simulators")
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                process.kill()
            process.wait()
        if self._watcher is not None:
            self._watcher.join(timeout=5)


def _frame(message: tuple[Any, ...]) -> bytes:
    """One message as multiprocessing.connection.Connection frames it (length, then the pickle)."""
    data = pickle.dumps(message)
    if len(data) > 0x7FFFFFFF:
        return struct.pack("!i", -1) + struct.pack("!Q", len(data)) + data
    return struct.pack("!i", len(data)) + data


class _WorkerUnpickler(pickle.Unpickler):
    """Reads the worker's messages: builtin values, datetimes and job records, nothing else. A pickle
    names any callable to rebuild its objects with; one from a subverted worker (it runs the simulators on
    clients' programs) must not run code in the server, which holds the keys."""

    _ALLOWED = frozenset(
        {
            ("datetime", "datetime"),
            ("datetime", "timezone"),
            ("datetime", "timedelta"),
            (JobRecord.__module__, JobRecord.__qualname__),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"the worker sent a {module}.{name}, which it never sends")
        return super().find_class(module, name)


def _load_from_worker(data: bytes) -> Any:
    return _WorkerUnpickler(io.BytesIO(data)).load()


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    (size,) = struct.unpack("!i", await reader.readexactly(4))
    if size == -1:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    return await reader.readexactly(size)


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
        try:
            with self._send_lock:
                self._connection.send(("call", call_id, operation, args, kwargs))
            done.wait()  # the server answers every call; if it dies, this process exits (see main)
        finally:
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

    def log_uncaught(args: threading.ExceptHookArgs) -> None:  # through the masking handler, not raw stderr
        exc_info = (args.exc_type, args.exc_value, args.exc_traceback)
        service_log.error("uncaught error in thread %s", getattr(args.thread, "name", "?"), exc_info=exc_info)  # type: ignore[arg-type]

    threading.excepthook = log_uncaught


def main(fd: int) -> int:
    """The worker process: builds the store, services and Worker, then follows the server's messages."""
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    # The server stops this process (a signal to the server's group or cgroup must not end it first: the
    # server's shutdown still needs it to finish its jobs).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
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
    from .worker import LocalBookkeeper, Worker

    settings: Settings = config["settings"]
    clock = SystemClock()
    store: Store
    if settings.database_url:
        store = open_postgres_store(settings.database_url)
    else:
        store = open_sqlite_store(settings.data_dir / "workspace.db", checkpoints=False)
    quotas = QuotaService(store, clock, settings.quotas)
    jobs = JobService(
        store,
        clock,
        None,
        catalog_loader=load_catalog,
        qpu_queue_delay=settings.qpu_queue_delay,
        replica=config["replica"],
        session_timeout=settings.session_timeout,
    )
    sessions = SessionService(store, clock, None, catalog_loader=load_catalog, idle_timeout=settings.session_timeout)
    remote = RemoteBookkeeper(connection)
    # On a shared database (PostgreSQL) the server's writes wait at the database's lock in threads like
    # these would: nothing is gained by sending them there, and heartbeats must not queue behind requests.
    book: Bookkeeper = LocalBookkeeper(jobs) if store.shared else remote
    worker = Worker(
        jobs,
        sessions,
        BlobStore(settings.data_dir / "blobs", clock),
        load_catalog,
        threads=settings.worker_threads,
        poll_interval=settings.poll_interval,
        cancel_check_interval=settings.cancel_check_interval,
        job_timeout=settings.job_timeout,
        quotas=quotas,
        bookkeeping=book,
    )
    stop = threading.Event()

    def follow() -> None:
        while True:
            try:
                message = connection.recv()
            except (EOFError, OSError):
                # The server was killed. End now, as its threads would have ended with it; what was
                # running stays Executing and is re-queued by the next start.
                simulator_pool(settings.worker_threads).close()
                os._exit(0)
            try:
                kind = message[0]
                if kind == "reply":
                    remote.reply(message[1], message[2], message[3])
                elif kind == "wake":
                    worker.wake()
                elif kind == "cancel":
                    worker.cancel_running(message[1], message[2])
                elif kind == "stop":
                    stop.set()
            except Exception:  # one bad message must not leave the calls waiting for replies unanswered
                log.exception("worker process: cannot handle a message from the server")

    threading.Thread(target=follow, name="quantum-worker-follow", daemon=True).start()
    worker.start()
    stop.wait()
    worker.stop()
    # Simulations still running past the stop's deadline end here (their jobs stay Executing, re-queued at
    # the next start), rather than outliving this process.
    simulator_pool(settings.worker_threads).close()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
