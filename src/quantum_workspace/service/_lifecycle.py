"""What a job's progress does to its session, applied inside the caller's write transaction (§6.5)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..store import JobRecord, SessionRecord, StoreWriter
from ._states import (
    TERMINAL_SESSION_STATUSES,
    UNFINISHED_JOB_STATUSES,
    JobStatus,
    SessionEvent,
    check_job_transition,
    next_session_status,
)

__all__ = ["cancel_job_in_place", "job_finished", "job_started", "settle_if_closed", "timed_out"]


def _move(session: SessionRecord, event: str, now: datetime) -> SessionRecord:
    status = next_session_status(session.status, event)
    changes: dict[str, object] = {"status": status, "last_updated_time": now}
    if status in TERMINAL_SESSION_STATUSES:
        changes["end_execution_time"] = now
    if status == "Executing" and session.begin_execution_time is None:
        changes["begin_execution_time"] = now
    return session.replace(**changes)


def job_started(writer: StoreWriter, job: JobRecord, now: datetime) -> None:
    """Waiting -> Executing for the session when one of its jobs starts."""
    session = _session_of(writer, job)
    if session is None or session.status in TERMINAL_SESSION_STATUSES:
        return
    writer.update_session(_move(session, SessionEvent.JOB_STARTED, now))


def cancel_job_in_place(writer: StoreWriter, job: JobRecord, now: datetime) -> JobRecord:
    """Waiting -> Cancelled at once; Executing -> CancellationRequested until its run returns."""
    if job.status == JobStatus.WAITING:
        check_job_transition(job.status, JobStatus.CANCELLED)
        job = job.replace(
            status=JobStatus.CANCELLED, cancellation_time=now, end_execution_time=now, last_updated_time=now
        )
    elif job.status == JobStatus.EXECUTING:
        check_job_transition(job.status, JobStatus.CANCELLATION_REQUESTED)
        job = job.replace(status=JobStatus.CANCELLATION_REQUESTED, last_updated_time=now)
    writer.update_job(job)
    return job


def job_finished(writer: StoreWriter, job: JobRecord, now: datetime) -> None:
    """A job reached Succeeded, Failed or Cancelled: apply the session's failure policy, then settle it
    if it was closed and this was its last unfinished job."""
    session = _session_of(writer, job)
    if session is None or session.status in TERMINAL_SESSION_STATUSES:
        return
    session = session.replace(last_activity_time=now, last_updated_time=now)
    if job.status == JobStatus.FAILED:
        if session.job_failure_policy == "Abort":
            session = _move(session, SessionEvent.JOB_FAILED_ABORT, now).replace(has_failures=True)
            for other in writer.jobs_in_session(job.workspace, session.id, UNFINISHED_JOB_STATUSES):
                if other.id.lower() != job.id.lower():
                    cancel_job_in_place(writer, other, now)
        else:
            session = _move(session, SessionEvent.JOB_FAILED_CONTINUE, now).replace(has_failures=True)
    writer.update_session(settle_if_closed(writer, session, now))


def settle_if_closed(writer: StoreWriter, session: SessionRecord, now: datetime) -> SessionRecord:
    """A closed session with no unfinished jobs ends: Succeeded, or Failed after Continue-policy failures."""
    if not session.closed or session.status in TERMINAL_SESSION_STATUSES:
        return session
    if writer.jobs_in_session(session.workspace, session.id, UNFINISHED_JOB_STATUSES):
        return session
    return _move(session, SessionEvent.SETTLED, now)


def timed_out(writer: StoreWriter, session: SessionRecord, now: datetime, idle: timedelta) -> SessionRecord | None:
    """The session after its idle timeout, or None when it is not due: nothing submitted or finished for
    `idle`, and no job still unfinished (the timer starts after the last job ends)."""
    if session.status in TERMINAL_SESSION_STATUSES or now - session.last_activity_time < idle:
        return None
    if writer.jobs_in_session(session.workspace, session.id, UNFINISHED_JOB_STATUSES):
        return None
    return _move(session, SessionEvent.IDLE_TIMEOUT, now)


def _session_of(writer: StoreWriter, job: JobRecord) -> SessionRecord | None:
    return writer.get_session(job.workspace, job.session_id) if job.session_id else None
