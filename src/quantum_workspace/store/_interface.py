"""The persistence interface the service codes against: read views and serialized write transactions."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from ._query import Hold, ListQuery, Page
from ._records import JobRecord, SessionRecord

__all__ = ["Store", "StoreReader", "StoreWriter"]


class StoreReader(Protocol):
    def get_job(self, workspace: str, job_id: str) -> JobRecord | None: ...

    def get_session(self, workspace: str, session_id: str) -> SessionRecord | None: ...

    def list_jobs(self, workspace: str, query: ListQuery, *, session_id: str | None = None) -> Page[JobRecord]: ...

    def list_sessions(self, workspace: str, query: ListQuery) -> Page[SessionRecord]: ...

    def list_top_level_items(self, workspace: str, query: ListQuery) -> Page[JobRecord | SessionRecord]:
        """Sessions, and jobs that belong to no session."""
        ...

    def jobs_in_session(
        self, workspace: str, session_id: str, statuses: Iterable[str] | None = None
    ) -> list[JobRecord]: ...

    def jobs_with_status(
        self,
        statuses: Iterable[str],
        limit: int = 100,
        *,
        high_priority_first: bool = False,
        hold: Hold | None = None,
    ) -> list[JobRecord]:
        """Across all workspaces, oldest first (`priority: High` jobs before the others when asked), the
        jobs `hold` names left out: the worker's queue."""
        ...

    def sessions_with_status(self, statuses: Iterable[str], limit: int = 1000) -> list[SessionRecord]: ...

    def workspaces(self) -> list[str]: ...

    def live_replicas(self, since: datetime) -> set[str]:
        """The replicas whose last heartbeat is at or after `since`."""
        ...


class StoreWriter(StoreReader, Protocol):
    def heartbeat(self, replica: str, now: datetime) -> None:
        """Record that `replica` (a running worker) is alive at `now`."""
        ...

    def insert_job(self, record: JobRecord) -> bool:
        """False (and nothing written) when the workspace already has a job with this id."""
        ...

    def update_job(self, record: JobRecord) -> None:
        """Write the job, with `revision` one more than the record's (read it in the same transaction)."""
        ...

    def insert_session(self, record: SessionRecord) -> bool: ...

    def update_session(self, record: SessionRecord) -> None: ...


class Store(Protocol):
    """`read()` gives a consistent snapshot; `write()` a transaction that no other writer interleaves with."""

    def read(self) -> AbstractContextManager[StoreReader]: ...

    def write(self) -> AbstractContextManager[StoreWriter]: ...

    def beat(self, replica: str, now: datetime) -> None:
        """Record that `replica` is alive at `now`, in a transaction of its own that need not wait for
        other writers (a replica's heartbeat must land while another replica's long write runs)."""
        ...

    def close(self) -> None: ...

    #: Whether several service processes may use the store at once (replicas).
    shared: bool

    #: Whether a write in eager_writes() raises WriterBusy instead of waiting for another writer (then
    #: writes may run where waiting would hold others up: the event loop).
    eager_writes_never_wait: bool

    def eager_writes(self) -> AbstractContextManager[None]:
        """Writes in this block commit at their own end, never waiting for writers queued behind them; with
        `eager_writes_never_wait`, a write that would wait for another writer raises WriterBusy before its
        body runs."""
        ...
