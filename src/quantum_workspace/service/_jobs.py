"""Jobs: create (idempotent), get, list, cancel; and the worker's side: claim, complete, fail, re-queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ..blobs import BlobError, check_container_name, parse_storage_url
from ..clock import Clock
from ..errors import InvalidJobDefinition, JobAlreadyExists, JobAlreadyFinished, JobNotFound, SessionNotFound
from ..ids import WorkspaceRef
from ..store import Hold, JobRecord, ListQuery, Page, SessionRecord, Store, StoreWriter
from ._catalog import Catalog, find_target
from ._lifecycle import cancel_job_in_place, job_finished, job_started, timed_out
from ._principal import Principal
from ._requests import JobRequest, parse_job_request, parse_job_update
from ._sessions import DEFAULT_SESSION_TIMEOUT
from ._states import (
    FINAL_JOB_STATUSES,
    TERMINAL_SESSION_STATUSES,
    JobStatus,
    check_job_transition,
)

__all__ = ["HEARTBEAT_EVERY", "LEASE", "MAX_ATTEMPTS", "JobService"]

#: Executions a job may start before a crash-interrupted job is failed instead of re-queued.
MAX_ATTEMPTS = 3
#: Waiting jobs the worker reads per claim (the oldest; QPU jobs in their queue delay left out).
_CLAIM_BATCH = 32
#: How long a replica may go without a heartbeat before another takes its Executing jobs back (shared
#: stores only); workers beat every HEARTBEAT_EVERY seconds.
LEASE = timedelta(seconds=15)
HEARTBEAT_EVERY = 2.0


class JobService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        catalog: Catalog | None = None,
        *,
        catalog_loader: Callable[[], Catalog] | None = None,
        on_created: Callable[[], None] | None = None,
        qpu_queue_delay: float = 0.0,
        replica: str | None = None,
        session_timeout: timedelta = DEFAULT_SESSION_TIMEOUT,
    ) -> None:
        """`session_timeout`: the sessions' idle timeout (SessionService's), after which a session takes no
        more jobs."""
        #: This process's name in the store's replica list (a worker's jobs carry it while they run).
        self.replica = replica or uuid.uuid4().hex[:16]
        self._store = store
        self._clock = clock
        self._session_timeout = session_timeout
        self._catalog = catalog
        self._catalog_loader = catalog_loader
        self._on_created = on_created or (lambda: None)
        self._on_cancel_requested: Callable[[JobRecord], None] = lambda _job: None
        #: QPU jobs wait at least this long before a worker takes them, as on real hardware queues.
        self._qpu_queue_delay = timedelta(seconds=max(0.0, qpu_queue_delay))
        self._qpu_target_ids: frozenset[str] | None = None

    def _get_catalog(self) -> Catalog:
        if self._catalog is None:
            assert self._catalog_loader is not None, "JobService needs a catalog or a catalog_loader"
            self._catalog = self._catalog_loader()
        return self._catalog

    def set_listener(self, on_created: Callable[[], None]) -> None:
        """Who to wake when a job is created (the worker)."""
        self._on_created = on_created

    def set_cancel_listener(self, on_cancel_requested: Callable[[JobRecord], None]) -> None:
        """Who to tell when an Executing job is asked to cancel (the worker, which stops its simulation)."""
        self._on_cancel_requested = on_cancel_requested

    # -- client operations -----------------------------------------------------------------------

    def create(self, workspace: WorkspaceRef, job_id: str, body: Any, principal: Principal) -> tuple[JobRecord, bool]:
        """The job and whether it was created now (False: an identical earlier create)."""
        request = parse_job_request(body, job_id)
        input_format, output_format = self._formats(request)
        container, input_container, input_blob = self._locations(workspace, request)
        now = self._clock.now()
        record = JobRecord(
            workspace=workspace.key,
            id=job_id,
            name=request.name,
            provider_id=request.provider_id,
            target=request.target,
            job_type=request.job_type,
            container_uri=request.container_uri,
            input_data_format=input_format,
            output_data_format=output_format,
            status=JobStatus.WAITING,
            creation_time=now,
            request_fingerprint=request.fingerprint,
            session_id=request.session_id,
            input_data_uri=request.input_data_uri,
            input_params=request.input_params,
            metadata=request.metadata,
            priority=request.priority,
            tags=request.tags,
            **principal.created_at(now),
            last_updated_time=now,
            storage_account=workspace.storage_account,
            container=container,
            input_container=input_container,
            input_blob=input_blob,
        )
        with self._store.write() as writer:
            # A job outside a session is inserted unless it exists, in one statement: most creates are new,
            # and the read before it was a fifth of a create's store work. A session job is looked up first,
            # so that repeating an earlier create answers it even after its session closed.
            inserted = request.session_id is None and writer.insert_job(record)
            existing = None if inserted else writer.get_job(workspace.key, job_id)
            if existing is not None:
                if existing.request_fingerprint != request.fingerprint:
                    raise JobAlreadyExists(f"Job {job_id} already exists with a different definition.")
                return existing, False
            refused = None if inserted else self._insert_in_session(writer, record, request, now)
        if refused is not None:
            raise refused
        self._on_created()  # after the commit: the worker must find the job when it looks
        return record, True

    def _insert_in_session(
        self, writer: StoreWriter, record: JobRecord, request: JobRequest, now: datetime
    ) -> InvalidJobDefinition | None:
        """A new job of a session: the session must exist, be open, not idle past its timeout, and have the
        job's target. A session found timed out is ended in this transaction, and the refusal returned, to
        be raised after the commit."""
        session_id = request.session_id
        if session_id is None:  # pragma: no cover - the insert saw a row that the read after it did not
            raise JobAlreadyExists(f"Job {record.id} already exists with a different definition.")
        session = writer.get_session(record.workspace, session_id)
        if session is None:
            raise InvalidJobDefinition(f"The job definition is not valid: session {session_id} does not exist.")
        expired = timed_out(writer, session, now, self._session_timeout)
        if expired is not None:
            writer.update_session(expired)
            return _ended(session_id, expired.status)
        if session.status in TERMINAL_SESSION_STATUSES or session.closed:
            raise _ended(session_id, session.status if session.status in TERMINAL_SESSION_STATUSES else "closed")
        if session.provider_id.lower() != request.provider_id.lower() or session.target != request.target:
            raise InvalidJobDefinition(
                f"The job definition is not valid: its target {request.provider_id}/{request.target} "
                f"differs from its session's {session.provider_id}/{session.target}."
            )
        writer.update_session(session.replace(last_activity_time=now, last_updated_time=now))
        writer.insert_job(record)
        return None

    def get(self, workspace: WorkspaceRef, job_id: str) -> JobRecord:
        with self._store.read() as reader:
            job = reader.get_job(workspace.key, job_id)
        if job is None:
            raise JobNotFound(f"Job {job_id} does not exist in this workspace.")
        return job

    def list(self, workspace: WorkspaceRef, query: ListQuery) -> Page[JobRecord]:
        with self._store.read() as reader:
            return reader.list_jobs(workspace.key, query)

    def list_in_session(self, workspace: WorkspaceRef, session_id: str, query: ListQuery) -> Page[JobRecord]:
        with self._store.read() as reader:
            if reader.get_session(workspace.key, session_id) is None:
                raise SessionNotFound(f"Session {session_id} does not exist in this workspace.")
            return reader.list_jobs(workspace.key, query, session_id=session_id)

    def cancel(self, workspace: WorkspaceRef, job_id: str, principal: Principal) -> JobRecord:
        """Waiting -> Cancelled; Executing -> CancellationRequested (Cancelled once its run returns)."""
        now = self._clock.now()
        with self._store.write() as writer:
            job = writer.get_job(workspace.key, job_id)
            if job is None:
                raise JobNotFound(f"Job {job_id} does not exist in this workspace.")
            if job.status in FINAL_JOB_STATUSES:
                raise JobAlreadyFinished(f"Job {job_id} already finished ({job.status}); it cannot be cancelled.")
            if job.status == JobStatus.CANCELLATION_REQUESTED:
                return job
            job = cancel_job_in_place(
                writer,
                job.replace(**principal.modified_at(now)),
                now,
            )
            if job.status == JobStatus.CANCELLED:
                job_finished(writer, job, now)
        if job.status == JobStatus.CANCELLATION_REQUESTED:
            self._on_cancel_requested(job)
        return job

    def update(self, workspace: WorkspaceRef, job_id: str, body: Any, principal: Principal) -> JobRecord:
        """Jobs_Update: a merge patch of name, priority and tags."""
        changes = parse_job_update(body)
        now = self._clock.now()
        with self._store.write() as writer:
            job = writer.get_job(workspace.key, job_id)
            if job is None:
                raise JobNotFound(f"Job {job_id} does not exist in this workspace.")
            job = job.replace(**changes, **principal.modified_at(now))
            writer.update_job(job)
            return job

    def delete(self, workspace: WorkspaceRef, job_id: str, principal: Principal) -> None:
        """Jobs_Delete, the pre-2025-12-01 way to cancel: cancels an unfinished job, keeps it listed;
        a finished job is left as it is (deleting twice is not an error)."""
        try:
            self.cancel(workspace, job_id, principal)
        except JobAlreadyFinished:
            return

    def list_top_level(self, workspace: WorkspaceRef, query: ListQuery) -> Page[JobRecord | SessionRecord]:
        """Sessions, and the jobs that belong to none."""
        with self._store.read() as reader:
            return reader.list_top_level_items(workspace.key, query)

    # -- the worker's side -----------------------------------------------------------------------

    def claim_next(self) -> JobRecord | None:
        """Move the next Waiting job to Executing and return it; None when nothing is ready. `priority: High`
        jobs go first, then the oldest; a QPU job is not ready until its queue delay has passed."""
        hold = None
        if self._qpu_queue_delay:  # QPU jobs in their delay are left out by the query, however many wait
            hold = Hold(self._qpu_targets(), self._clock.now() - self._qpu_queue_delay)
        with self._store.read() as reader:
            candidates = reader.jobs_with_status(
                [JobStatus.WAITING], limit=_CLAIM_BATCH, high_priority_first=True, hold=hold
            )
        for candidate in candidates:
            job = self._claim(candidate)
            if job is not None:
                return job
        return None

    def _qpu_targets(self) -> frozenset[str]:
        """The catalog's QPU target ids, lower case (the catalog does not change while the service runs)."""
        if self._qpu_target_ids is None:
            catalog = self._get_catalog()
            self._qpu_target_ids = frozenset(
                info.id.lower()
                for provider in catalog.providers()
                for info in provider.targets
                if getattr(getattr(find_target(catalog, provider.id, info.id), "kind", None), "value", None) == "qpu"
            )
        return self._qpu_target_ids

    def _claim(self, candidate: JobRecord) -> JobRecord | None:
        now = self._clock.now()
        if self._delayed(candidate, now):
            return None
        with self._store.write() as writer:
            job = writer.get_job(candidate.workspace, candidate.id)
            if job is None or job.status != JobStatus.WAITING:
                return None  # another worker took it, or it was cancelled
            check_job_transition(job.status, JobStatus.EXECUTING)
            job = job.replace(
                status=JobStatus.EXECUTING,
                begin_execution_time=now,
                last_updated_time=now,
                quantum_computing_data={"count": 1},
                attempts=job.attempts + 1,
                claimed_by=self.replica,
            )
            writer.update_job(job)
            job_started(writer, job, now)
            return job

    def complete(
        self, job: JobRecord, *, output_format: str, content_type: str, cost_estimate: Any = None
    ) -> JobRecord:
        """Executing -> Succeeded; `cost_estimate` (the contract's CostEstimate) replaces any earlier one."""
        changes: dict[str, Any] = {"cost_estimate": cost_estimate} if cost_estimate is not None else {}
        return self._finish(
            job,
            JobStatus.SUCCEEDED,
            output_content_type=content_type,
            output_data_format=job.output_data_format or output_format,
            **changes,
        )

    def cancel_requested(self, job: JobRecord) -> bool:
        """Whether a client asked to cancel this running job (read from the store: any replica may have)."""
        with self._store.read() as reader:
            current = reader.get_job(job.workspace, job.id)
        return current is not None and current.status == JobStatus.CANCELLATION_REQUESTED

    def acknowledge_cancel(self, job: JobRecord) -> JobRecord:
        """CancellationRequested -> Cancelled once the worker has stopped the run (no output is kept)."""
        return self._finish(job, JobStatus.CANCELLED)

    def fail(self, job: JobRecord, code: str, message: str) -> JobRecord:
        return self._finish(job, JobStatus.FAILED, error_data={"code": code, "message": message})

    def _finish(self, job: JobRecord, status: str, **changes: Any) -> JobRecord:
        """`job` moved to `status` unless it moved on meanwhile."""
        return self._settle(job, status, None, **changes)[0]

    def _settle(
        self, job: JobRecord, status: str, unless_alive: datetime | None, **changes: Any
    ) -> tuple[JobRecord, bool]:
        """`_finish`, also leaving the job as it is when `unless_alive` is given and the replica that claimed
        it has beaten since then (see requeue_interrupted); with whether it wrote."""
        now = self._clock.now()
        with self._store.write() as writer:
            current = writer.get_job(job.workspace, job.id)
            if current is None:
                return job, False
            if job.claimed_by is not None and current.claimed_by != job.claimed_by:
                return current, False  # taken back from this run (a lapsed lease) and claimed again: theirs now
            if unless_alive is not None and current.claimed_by in writer.live_replicas(unless_alive):
                return current, False
            if current.status == JobStatus.CANCELLATION_REQUESTED:
                status, changes = JobStatus.CANCELLED, {"cancellation_time": now}
            elif current.status != JobStatus.EXECUTING:
                return current, False  # cancelled or re-queued meanwhile; this run's result is dropped
            check_job_transition(current.status, status)
            finished = current.replace(status=status, end_execution_time=now, last_updated_time=now, **changes)
            writer.update_job(finished)
            job_finished(writer, finished, now)
            return finished, True

    @property
    def store_is_shared(self) -> bool:
        """Whether other replicas use the same store (then their workers' jobs are theirs until they stop)."""
        return self._store.shared

    def heartbeat(self) -> None:
        """Say that this replica's worker is alive (its Executing jobs are not orphans)."""
        self._store.beat(self.replica, self._clock.now())

    def requeue_interrupted(self) -> int:
        """Jobs left Executing by a worker that is gone run again (or fail after MAX_ATTEMPTS); jobs whose
        cancellation was pending are Cancelled. Returns how many jobs moved.

        On a store of its own (SQLite, one process) every such job found at start-up is an orphan. On a
        shared store (replicas) a job is an orphan only when the replica that took it has been silent for
        LEASE: until then it may still be running there."""
        now = self._clock.now()
        with self._store.read() as reader:
            stuck = reader.jobs_with_status([JobStatus.EXECUTING, JobStatus.CANCELLATION_REQUESTED], limit=100_000)
            alive = reader.live_replicas(now - LEASE) | {self.replica} if self._store.shared else None
        orphans = stuck if alive is None else [job for job in stuck if job.claimed_by not in alive]
        moved = 0
        # Whether the replica beat again since that read is asked once more under the write lock, in each
        # move below: only then is "silent" sure (a heartbeat needs no lock, so it may land in between).
        unless_alive = None if alive is None else now - LEASE
        for job in orphans:
            if job.status == JobStatus.CANCELLATION_REQUESTED:
                _ended, wrote = self._settle(job.replace(status=JobStatus.EXECUTING), JobStatus.CANCELLED, unless_alive)
                moved += wrote
            elif job.attempts >= MAX_ATTEMPTS:
                message = (
                    f"The job's execution was interrupted {job.attempts} times (service restarts); "
                    "it was not retried again."
                )
                error = {"code": "ExecutionInterrupted", "message": message}
                _ended, wrote = self._settle(job, JobStatus.FAILED, unless_alive, error_data=error)
                moved += wrote
            else:
                now = self._clock.now()
                with self._store.write() as writer:
                    current = writer.get_job(job.workspace, job.id)
                    if current is None or current.status != JobStatus.EXECUTING:
                        continue
                    if current.claimed_by != job.claimed_by:
                        continue  # taken back and claimed again meanwhile
                    if unless_alive is not None and current.claimed_by in writer.live_replicas(unless_alive):
                        continue  # its replica beat again since the look above: still running there
                    check_job_transition(current.status, JobStatus.WAITING)
                    writer.update_job(
                        current.replace(
                            status=JobStatus.WAITING, begin_execution_time=None, last_updated_time=now, claimed_by=None
                        )
                    )
                    moved += 1
        return moved

    def _delayed(self, job: JobRecord, now: datetime) -> bool:
        if not self._qpu_queue_delay or now - job.creation_time >= self._qpu_queue_delay:
            return False
        return job.target.lower() in self._qpu_targets()

    # -- validation helpers ----------------------------------------------------------------------

    def _formats(self, request: JobRequest) -> tuple[str, str]:
        target = find_target(self._get_catalog(), request.provider_id, request.target)
        if target is None:
            raise InvalidJobDefinition(
                f"The job definition is not valid: provider '{request.provider_id}' has no target '{request.target}'."
            )
        info = target.info
        input_format = request.input_data_format or info.default_input_format
        if input_format not in info.input_formats:
            raise InvalidJobDefinition(
                f"The job definition is not valid: target '{info.id}' does not accept input format "
                f"'{input_format}' (it accepts {', '.join(info.input_formats)})."
            )
        return input_format, request.output_data_format or info.default_output_format

    @staticmethod
    def _locations(workspace: WorkspaceRef, request: JobRequest) -> tuple[str, str, str]:
        """(container, input container, input blob) in the workspace's storage account."""
        account = workspace.storage_account
        address = parse_storage_url(request.container_uri)
        if address is None or address.account != account or address.blob is not None:
            raise InvalidJobDefinition(
                "The job definition is not valid: 'containerUri' must be a container URL in this workspace's "
                f"linked storage (http(s)://<host>/{account}/<container>, as Storage_GetSasUri returns)."
            )
        try:
            check_container_name(address.container)
        except BlobError as error:
            raise InvalidJobDefinition(f"The job definition is not valid: {error.message}") from error
        if request.input_data_uri is None:
            return address.container, address.container, "inputData"
        source = parse_storage_url(request.input_data_uri)
        if source is None or source.account != account or source.blob is None:
            raise InvalidJobDefinition(
                "The job definition is not valid: 'inputDataUri' must be a blob URL in this workspace's "
                f"linked storage (http(s)://<host>/{account}/<container>/<blob>)."
            )
        return address.container, source.container, source.blob


def _ended(session_id: str, state: str) -> InvalidJobDefinition:
    return InvalidJobDefinition(
        f"Session {session_id} is already in a terminal state ({state}), possibly "
        "because of earlier job failures, its idle timeout or because it was closed; it accepts no new jobs."
    )
