"""The background executor: takes Waiting jobs, runs them on their target, writes `rawOutputData`, and
moves the job and its session on. Worker threads do the bookkeeping; the simulations themselves run in
child processes (`simulators`), so they neither block the event loop nor can crash the server.

Cancelling an Executing job kills its child process at once (this replica hears of it through the job
service; a cancel sent to another replica is seen within a second from the store), and a cancelled job
never gets a `rawOutputData` blob. Start-up re-queues jobs a crash left Executing; a periodic sweep ends
idle sessions.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from .blobs import BlobError, BlobStore
from .service import HEARTBEAT_EVERY, Catalog, JobService, QuotaExceeded, QuotaService, SessionService, find_target
from .simulators import Admit, RunCancelled, RunFailed, RunInterrupted, SimulatorPool, simulator_pool
from .store import JobRecord

__all__ = ["MAX_DEFER", "Bookkeeper", "CallRunner", "LocalBookkeeper", "Worker", "execute"]

T = TypeVar("T")

log = logging.getLogger("quantum_workspace.worker")

#: Heartbeats between two looks for jobs of replicas that stopped (shared stores).
_SWEEP_EVERY_BEATS = 3
#: The longest a worker thread waits for requests in flight before it goes on with a job anyway (see
#: Worker._defer_to_requests).
MAX_DEFER = 0.25


class CallRunner(Protocol):
    """Where the worker's store writes run (the server hands them to its event loop; see api/_loop_writes.py).
    Each call does at most one write, or is safe to run again."""

    def __call__(self, call: Callable[[], T]) -> T: ...


def _run_here(call: Callable[[], T]) -> T:
    return call()


class Bookkeeper:
    """The worker's store writes, each one JobService operation named in OPERATIONS, made by `perform`:
    here (LocalBookkeeper) or, from a worker process, by the server (worker_process.RemoteBookkeeper).
    The names are the whole vocabulary the server accepts from a worker process."""

    OPERATIONS = frozenset({"claim_next", "heartbeat", "fail", "acknowledge_cancel", "complete"})

    def perform(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def claim_next(self) -> JobRecord | None:
        claimed: JobRecord | None = self.perform("claim_next")
        return claimed

    def heartbeat(self) -> None:
        self.perform("heartbeat")

    def fail(self, job: JobRecord, code: str, message: str) -> JobRecord:
        ended: JobRecord = self.perform("fail", job, code, message)
        return ended

    def acknowledge_cancel(self, job: JobRecord) -> JobRecord:
        ended: JobRecord = self.perform("acknowledge_cancel", job)
        return ended

    def complete(self, job: JobRecord, *, output_format: str, content_type: str, cost_estimate: Any) -> JobRecord:
        ended: JobRecord = self.perform(
            "complete", job, output_format=output_format, content_type=content_type, cost_estimate=cost_estimate
        )
        return ended


class LocalBookkeeper(Bookkeeper):
    """Makes each write with this process's JobService, where `runner` says (the server: on its event loop)."""

    def __init__(self, jobs: JobService, runner: CallRunner = _run_here) -> None:
        self._jobs, self._runner = jobs, runner

    def perform(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        method = getattr(self._jobs, operation)
        return self._runner(lambda: method(*args, **kwargs))


def execute(
    job: JobRecord,
    jobs: JobService,
    blobs: BlobStore,
    catalog: Catalog,
    simulators: SimulatorPool,
    timeout: float | None = None,
    *,
    cancelled: Callable[[], bool] | None = None,
    quotas: QuotaService | None = None,
    pause: Callable[[], None] = lambda: None,
    book: Bookkeeper | None = None,
) -> JobRecord:
    """Run one claimed (Executing) job to its end: Succeeded with its output blob and cost estimate, Failed
    with errorData (QuotaExceeded when its estimate does not fit `quotas`), or Cancelled (when `cancelled()`
    turns true while it runs) without any output. `book` makes the store writes that end it (default: here)."""
    book = book or LocalBookkeeper(jobs)

    def fail(code: str, message: str) -> JobRecord:
        return book.fail(job, code, message)

    try:
        _props, program = blobs.read_bytes(job.storage_account, job.input_container, job.input_blob)
    except BlobError:
        return fail(
            "InputDataNotFound",
            f"The job's input blob '{job.input_blob}' does not exist in container "
            f"'{job.input_container}'. Upload the program before creating the job.",
        )
    if find_target(catalog, job.provider_id, job.target) is None:
        return fail("InvalidTarget", f"Provider '{job.provider_id}' has no target '{job.target}'.")
    params = job.input_params if isinstance(job.input_params, dict) else {}
    try:
        output = simulators.run(
            job.provider_id,
            job.target,
            program,
            job.input_data_format,
            job.output_data_format,
            params,
            timeout=timeout,
            admit=_admission(job, quotas),
            cancelled=cancelled,
        )
    except RunCancelled:
        return book.acknowledge_cancel(job)
    except RunFailed as failure:
        return fail(failure.code, failure.message)
    pause()
    if jobs.cancel_requested(job):  # cancelled as the run ended: its output is not wanted
        return book.acknowledge_cancel(job)
    try:
        blobs.write_bytes(job.storage_account, job.container, "rawOutputData", output.data, output.content_type)
    except Exception as error:
        log.exception("job %s: cannot write its output blob", job.id)
        return fail("OutputDataWriteFailed", f"The job's output could not be stored ({type(error).__name__}).")
    pause()
    return book.complete(
        job, output_format=output.output_format, content_type=output.content_type, cost_estimate=output.cost_estimate
    )


def _admission(job: JobRecord, quotas: QuotaService | None) -> Admit | None:
    """The check the simulator pool runs on the job's cost estimate before the job runs (None: no limits)."""
    if quotas is None or not quotas.limited(job.provider_id):
        return None
    checked = quotas

    def admit(cost: dict[str, Any] | None) -> None:
        try:
            checked.admit(job, cost)
        except QuotaExceeded as refused:
            raise RunFailed(refused.code, refused.message) from refused

    return admit


class Worker:
    """`threads` loops that each claim and execute one job at a time; wake() cuts their idle wait short."""

    def __init__(
        self,
        jobs: JobService,
        sessions: SessionService,
        blobs: BlobStore,
        catalog: Callable[[], Catalog],
        *,
        threads: int = 2,
        poll_interval: float = 0.5,
        job_timeout: float | None = None,
        quotas: QuotaService | None = None,
        wait_idle: Callable[[float], bool] | None = None,
        bookkeeping: CallRunner | Bookkeeper = _run_here,
        cancel_check_interval: float = 1.0,
    ) -> None:
        """`bookkeeping`: where the claims, heartbeats and finishes run (a CallRunner for them all), or
        who makes them (a Bookkeeper: the worker process's, which has the server make them).
        `cancel_check_interval`: seconds between a running job's reads of the store for a cancel taken by
        another replica (one taken here is passed on at once, see cancel_running)."""
        self._quotas = quotas
        self._book = bookkeeping if isinstance(bookkeeping, Bookkeeper) else LocalBookkeeper(jobs, bookkeeping)
        self._wait_idle = wait_idle
        self._jobs, self._sessions, self._blobs, self._catalog = jobs, sessions, blobs, catalog
        self._threads_wanted = max(1, threads)
        self._job_timeout = job_timeout
        self._poll = poll_interval
        self._cancel_check_interval = cancel_check_interval
        self._wake = threading.Condition()
        self._pending = 0
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running: dict[tuple[str, str], threading.Event] = {}
        self._running_lock = threading.Lock()

    def start(self) -> None:
        self._jobs.set_cancel_listener(self._cancel_requested)
        self._jobs.heartbeat()
        moved = self._jobs.requeue_interrupted()
        if moved:
            log.info("re-queued %d job(s) interrupted by a previous stop", moved)
        lease = threading.Thread(target=self._keep_lease, name="quantum-worker-lease", daemon=True)
        lease.start()
        self._threads.append(lease)  # joined by stop() like the job threads: no heartbeat after it returns
        for index in range(self._threads_wanted):
            thread = threading.Thread(target=self._loop, name=f"quantum-worker-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        pool = simulator_pool(self._threads_wanted)
        threading.Thread(target=pool.warm, name="quantum-simulator-warm-up", daemon=True).start()

    def wake(self) -> None:
        with self._wake:
            self._pending += 1
            self._wake.notify()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs; a job still running past `timeout` (one deadline for all threads) is re-queued
        at the next start."""
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()

    def _loop(self) -> None:
        sweep_every = max(1, int(5 / max(self._poll, 0.01)))
        idle_rounds = 0
        while not self._stopping.is_set():
            try:
                self._defer_to_requests()
                job = self._book.claim_next()
                if job is not None:
                    self._execute(job)
                    continue
                idle_rounds += 1
                if idle_rounds % sweep_every == 0:
                    self._sessions.expire_idle()
            except RunInterrupted:  # the process is exiting: the job stays Executing, re-queued at next start
                return
            except Exception:
                log.exception("worker loop error; continuing")
            with self._wake:
                if self._pending == 0 and not self._stopping.is_set():
                    self._wake.wait(self._poll)
                self._pending = max(0, self._pending - 1)

    def _keep_lease(self) -> None:
        """Heartbeats, so other replicas know this one's Executing jobs are running; on a shared store it
        also takes back the jobs of replicas that stopped beating (crashed, killed, cut off)."""
        beats = 0
        while not self._stopping.wait(HEARTBEAT_EVERY):
            try:
                self._book.heartbeat()
                beats += 1
                if self._jobs.store_is_shared and beats % _SWEEP_EVERY_BEATS == 0:
                    moved = self._jobs.requeue_interrupted()
                    if moved:
                        log.info("re-queued %d job(s) of replicas that stopped", moved)
                        self.wake()
            except Exception:
                log.exception("worker heartbeat failed; trying again")

    def _defer_to_requests(self) -> None:
        """Let requests in flight finish first, for at most MAX_DEFER seconds; asked before a job is taken
        and between its steps. Worker threads share the interpreter lock with the event loop, so a job's
        bookkeeping run in the middle of a burst of requests is paid for in their latency (measured: p99
        of creates at 500/s offered 160-1,500 ms without this, 24-30 ms with it). The bound keeps jobs
        moving under any load. `wait_idle` blocks on an event the event loop sets when the last request
        in flight ends (see InFlight)."""
        if self._wait_idle is not None and not self._stopping.is_set():
            self._wait_idle(MAX_DEFER)

    def _cancel_requested(self, job: JobRecord) -> None:
        self.cancel_running(job.workspace, job.id)

    def cancel_running(self, workspace: str, job_id: str) -> None:
        """Stop the simulation of this job if it runs here now (its cancellation is already in the store)."""
        with self._running_lock:
            flag = self._running.get((workspace, job_id.lower()))
        if flag is not None:
            flag.set()

    def _execute(self, job: JobRecord) -> None:
        key = (job.workspace, job.id.lower())
        flag = threading.Event()
        with self._running_lock:
            self._running[key] = flag
        checked = time.monotonic()

        def cancelled() -> bool:
            nonlocal checked
            if flag.is_set():
                return True
            if time.monotonic() - checked < self._cancel_check_interval:
                return False
            checked = time.monotonic()
            return self._jobs.cancel_requested(job)

        try:
            simulators = simulator_pool(self._threads_wanted)
            execute(
                job,
                self._jobs,
                self._blobs,
                self._catalog(),
                simulators,
                self._job_timeout,
                cancelled=cancelled,
                quotas=self._quotas,
                pause=self._defer_to_requests,
                book=self._book,
            )
        finally:
            with self._running_lock:
                self._running.pop(key, None)
