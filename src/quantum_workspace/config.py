"""Service settings, given once at start-up (CLI flags or tests) and read-only afterwards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    #: Accepted `x-ms-quantum-api-key` values (primary first). Never logged or shown unmasked.
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    disable_keys: bool = False
    session_timeout: timedelta = timedelta(minutes=10)
    max_json_body: int = 4 * 1024 * 1024
    max_blob_size: int = 256 * 1024 * 1024
    worker_threads: int = 2
    #: A job whose simulation runs longer fails with ExecutionTimedOut (its simulator process is replaced).
    job_timeout: float | None = 600.0
    #: How often the worker looks for work it was not told about (other replicas, timeouts).
    poll_interval: float = 0.5
    #: Seconds between a running job's reads of the store for a cancel another replica took (a cancel
    #: this replica takes reaches its running job at once).
    cancel_check_interval: float = 1.0
    start_worker: bool = True
    #: The worker runs in a child process at a lower CPU priority (see worker_process.py), not in threads
    #: of the server; `serve` does this, the in-process app of tests does not unless asked.
    worker_process: bool = False
    #: The Azure region the ARM workspace lookup reports (the SDK validates it, never calls it).
    location: str = "eastus"
    #: Seconds a job on a QPU target stays Waiting before a worker may take it (0: no delay).
    qpu_queue_delay: float = 0.0
    #: Quota limits (provider id, dimension, limit) that replace or add to the defaults of `service.quotas`.
    quotas: tuple[tuple[str, str, float], ...] = ()
    #: A PostgreSQL database shared by several replicas (`postgresql://user:password@host/db`), instead of
    #: the SQLite file in `data_dir`; blobs stay in `data_dir`, which the replicas then share. Never logged.
    database_url: str | None = field(default=None, repr=False)
    #: For tests: a bug also raises out of the app after its 500 answer, so a test client reports it (a
    #: server keeps the connection open instead, see api._errors.UnexpectedErrors).
    raise_unexpected_errors: bool = False
