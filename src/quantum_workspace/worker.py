"""The background executor: takes Waiting jobs, runs them on their target, writes `rawOutputData`, and
moves the job and its session on. Worker threads do the bookkeeping; the simulations themselves run in
child processes (`simulators`), so they neither block the event loop nor can crash the server.

Start-up re-queues jobs a crash left Executing; a periodic sweep ends idle sessions.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .blobs import BlobError, BlobStore
from .service import Catalog, JobService, SessionService, find_target
from .simulators import RunFailed, SimulatorPool, simulator_pool
from .store import JobRecord

__all__ = ["Worker", "execute"]

log = logging.getLogger("quantum_workspace.worker")


def execute(
    job: JobRecord,
    jobs: JobService,
    blobs: BlobStore,
    catalog: Catalog,
    simulators: SimulatorPool,
    timeout: float | None = None,
) -> JobRecord:
    """Run one claimed (Executing) job to its end: Succeeded with its output blob, or Failed + errorData."""
    try:
        _props, program = blobs.read_bytes(job.storage_account, job.input_container, job.input_blob)
    except BlobError:
        return jobs.fail(
            job,
            "InputDataNotFound",
            f"The job's input blob '{job.input_blob}' does not exist in container "
            f"'{job.input_container}'. Upload the program before creating the job.",
        )
    if find_target(catalog, job.provider_id, job.target) is None:
        return jobs.fail(job, "InvalidTarget", f"Provider '{job.provider_id}' has no target '{job.target}'.")
    params = job.input_params if isinstance(job.input_params, dict) else {}
    try:
        output = simulators.run(
            job.provider_id, job.target, program, job.input_data_format, job.output_data_format, params, timeout=timeout
        )
    except RunFailed as failure:
        return jobs.fail(job, failure.code, failure.message)
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
        job_timeout: float | None = None,
    ) -> None:
        self._jobs, self._sessions, self._blobs, self._catalog = jobs, sessions, blobs, catalog
        self._threads_wanted = max(1, threads)
        self._job_timeout = job_timeout
        self._poll = poll_interval
        self._wake = threading.Condition()
        self._pending = 0
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        moved = self._jobs.requeue_interrupted()
        if moved:
            log.info("re-queued %d job(s) interrupted by a previous stop", moved)
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
        """Stop taking jobs; a job still running past `timeout` is re-queued at the next start."""
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _loop(self) -> None:
        sweep_every = max(1, int(5 / max(self._poll, 0.01)))
        idle_rounds = 0
        while not self._stopping.is_set():
            try:
                job = self._jobs.claim_next()
                if job is not None:
                    simulators = simulator_pool(self._threads_wanted)
                    execute(job, self._jobs, self._blobs, self._catalog(), simulators, self._job_timeout)
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
