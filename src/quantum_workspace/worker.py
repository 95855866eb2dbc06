"""The background executor: takes Waiting jobs, runs them on their target, writes `rawOutputData`, and
moves the job and its session on. Threads, so simulations never block the server's event loop.

Simulations run on one process-wide pool of threads that live as long as the process. qiskit's native
allocator (mimalloc) has crashed the process when threads that had simulated came and went (seen when
many apps start and stop in one test process), so simulating threads are never retired.

Start-up re-queues jobs a crash left Executing; a periodic sweep ends idle sessions.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .blobs import BlobError, BlobStore
from .service import Catalog, JobService, SessionService, find_target
from .store import JobRecord

__all__ = ["Worker", "execute", "simulation_pool"]

log = logging.getLogger("quantum_workspace.worker")

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def simulation_pool(threads: int = 2) -> ThreadPoolExecutor:
    """The process-wide pool that runs targets, sized by its first user (the server's --worker-threads);
    its threads never exit before the process does."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="quantum-sim")
        return _pool


def _run(target: Any, program: bytes, input_format: str, output_format: str | None, params: Mapping[str, Any]) -> Any:
    return target.run(program, input_format, output_format, params)


def execute(job: JobRecord, jobs: JobService, blobs: BlobStore, catalog: Catalog, threads: int = 2) -> JobRecord:
    """Run one claimed (Executing) job to its end: Succeeded with its output blob, or Failed + errorData."""
    from .targets import ProgramError  # here, not at import: keeps server start-up free of simulators

    try:
        _props, program = blobs.read_bytes(job.storage_account, job.input_container, job.input_blob)
    except BlobError:
        return jobs.fail(
            job,
            "InputDataNotFound",
            f"The job's input blob '{job.input_blob}' does not exist in container "
            f"'{job.input_container}'. Upload the program before creating the job.",
        )
    target = find_target(catalog, job.provider_id, job.target)
    if target is None:
        return jobs.fail(job, "InvalidTarget", f"Provider '{job.provider_id}' has no target '{job.target}'.")
    params = job.input_params if isinstance(job.input_params, dict) else {}
    try:
        output = (
            simulation_pool()
            .submit(_run, target, program, job.input_data_format, job.output_data_format, params)
            .result()
        )
    except ProgramError as error:
        return jobs.fail(job, error.code, error.message)
    except Exception as error:  # a simulator bug must fail the job, not kill the worker
        log.exception("job %s crashed its target %s", job.id, job.target)
        return jobs.fail(job, "ExecutionFailed", f"The target failed while running the job ({type(error).__name__}).")
    try:
        blobs.write_bytes(job.storage_account, job.container, "rawOutputData", output.data, output.content_type)
    except Exception as error:
        log.exception("job %s: cannot write its output blob", job.id)
        return jobs.fail(
            job, "OutputDataWriteFailed", f"The job's output could not be stored ({type(error).__name__})."
        )
    return jobs.complete(job, output_format=output.output_format, content_type=output.content_type)


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
    ) -> None:
        self._jobs, self._sessions, self._blobs, self._catalog = jobs, sessions, blobs, catalog
        self._threads_wanted = max(1, threads)
        self._poll = poll_interval
        self._wake = threading.Condition()
        self._pending = 0
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._frozen = False

    def start(self) -> None:
        moved = self._jobs.requeue_interrupted()
        if moved:
            log.info("re-queued %d job(s) interrupted by a previous stop", moved)
        for index in range(self._threads_wanted):
            thread = threading.Thread(target=self._loop, name=f"quantum-worker-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        with self._wake:
            self._pending += 1
            self._wake.notify()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs; a job still running past `timeout` is re-queued at the next start."""
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _after_first_job(self) -> None:
        """The first job imports the simulators (hundreds of thousands of long-lived objects); freezing
        them out of the garbage collector's view keeps its full collections, and so request tails, short."""
        with self._wake:
            if self._frozen:
                return
            self._frozen = True
        gc.freeze()

    def _loop(self) -> None:
        sweep_every = max(1, int(5 / max(self._poll, 0.01)))
        idle_rounds = 0
        while not self._stopping.is_set():
            try:
                job = self._jobs.claim_next()
                if job is not None:
                    execute(job, self._jobs, self._blobs, self._catalog(), self._threads_wanted)
                    self._after_first_job()
                    continue
                idle_rounds += 1
                if idle_rounds % sweep_every == 0:
                    self._sessions.expire_idle()
            except Exception:
                log.exception("worker loop error; continuing")
            with self._wake:
                if self._pending == 0 and not self._stopping.is_set():
                    self._wake.wait(self._poll)
                self._pending = max(0, self._pending - 1)
