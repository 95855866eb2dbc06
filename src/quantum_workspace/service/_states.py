"""Job and session state machines as tables a reviewer can check against the contract (§6.2, §6.4, §6.5)."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import WorkspaceError

__all__ = [
    "FINAL_JOB_STATUSES",
    "JOB_TRANSITIONS",
    "SESSION_TRANSITIONS",
    "TERMINAL_SESSION_STATUSES",
    "UNFINISHED_JOB_STATUSES",
    "IllegalTransition",
    "JobStatus",
    "SessionEvent",
    "SessionStatus",
    "check_job_transition",
    "next_session_status",
]


class JobStatus:
    """The contract's JobStatus values, in exact case. Queued, Finishing and Completed are never produced."""

    QUEUED = "Queued"
    WAITING = "Waiting"
    EXECUTING = "Executing"
    CANCELLATION_REQUESTED = "CancellationRequested"
    CANCELLING = "Cancelling"
    FINISHING = "Finishing"
    COMPLETED = "Completed"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELLED = "Cancelled"


class SessionStatus:
    WAITING = "Waiting"
    EXECUTING = "Executing"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    FAILURES = "Failure(s)"
    TIMED_OUT = "TimedOut"


FINAL_JOB_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
UNFINISHED_JOB_STATUSES = frozenset({JobStatus.WAITING, JobStatus.EXECUTING, JobStatus.CANCELLATION_REQUESTED})
TERMINAL_SESSION_STATUSES = frozenset({SessionStatus.SUCCEEDED, SessionStatus.FAILED, SessionStatus.TIMED_OUT})

#: Allowed job moves. Executing -> Waiting re-queues a job whose execution a crash interrupted;
#: CancellationRequested is where a job waits while its running simulation finishes after a cancel.
JOB_TRANSITIONS: Mapping[str, frozenset[str]] = {
    JobStatus.WAITING: frozenset({JobStatus.EXECUTING, JobStatus.CANCELLED, JobStatus.FAILED}),
    JobStatus.EXECUTING: frozenset(
        {
            JobStatus.SUCCEEDED,
            JobStatus.FAILED,
            JobStatus.CANCELLATION_REQUESTED,
            JobStatus.WAITING,
        }
    ),
    JobStatus.CANCELLATION_REQUESTED: frozenset({JobStatus.CANCELLED}),
}


class SessionEvent:
    JOB_STARTED = "job started"
    JOB_FAILED_ABORT = "job failed (policy Abort)"
    JOB_FAILED_CONTINUE = "job failed (policy Continue)"
    SETTLED = "closed with no unfinished jobs"
    IDLE_TIMEOUT = "idle timeout"


#: (status, event) -> new status. Terminal sessions take no events.
SESSION_TRANSITIONS: Mapping[tuple[str, str], str] = {
    (SessionStatus.WAITING, SessionEvent.JOB_STARTED): SessionStatus.EXECUTING,
    (SessionStatus.EXECUTING, SessionEvent.JOB_STARTED): SessionStatus.EXECUTING,
    (SessionStatus.FAILURES, SessionEvent.JOB_STARTED): SessionStatus.FAILURES,
    (SessionStatus.WAITING, SessionEvent.JOB_FAILED_ABORT): SessionStatus.FAILED,
    (SessionStatus.EXECUTING, SessionEvent.JOB_FAILED_ABORT): SessionStatus.FAILED,
    (SessionStatus.WAITING, SessionEvent.JOB_FAILED_CONTINUE): SessionStatus.FAILURES,
    (SessionStatus.EXECUTING, SessionEvent.JOB_FAILED_CONTINUE): SessionStatus.FAILURES,
    (SessionStatus.FAILURES, SessionEvent.JOB_FAILED_CONTINUE): SessionStatus.FAILURES,
    (SessionStatus.WAITING, SessionEvent.SETTLED): SessionStatus.SUCCEEDED,
    (SessionStatus.EXECUTING, SessionEvent.SETTLED): SessionStatus.SUCCEEDED,
    (SessionStatus.FAILURES, SessionEvent.SETTLED): SessionStatus.FAILED,
    (SessionStatus.WAITING, SessionEvent.IDLE_TIMEOUT): SessionStatus.TIMED_OUT,
    (SessionStatus.EXECUTING, SessionEvent.IDLE_TIMEOUT): SessionStatus.TIMED_OUT,
    (SessionStatus.FAILURES, SessionEvent.IDLE_TIMEOUT): SessionStatus.TIMED_OUT,
}


class IllegalTransition(WorkspaceError):
    """A move the tables do not allow: a bug in the service, never a client mistake."""

    code = "InternalServerError"
    status = 500


def check_job_transition(current: str, new: str) -> None:
    if new not in JOB_TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(f"job status cannot move from {current} to {new}")


def next_session_status(current: str, event: str) -> str:
    try:
        return SESSION_TRANSITIONS[(current, event)]
    except KeyError:
        raise IllegalTransition(f"session status {current} does not accept the event '{event}'") from None
