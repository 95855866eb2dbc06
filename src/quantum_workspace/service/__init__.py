"""The rules of the workspace: job and session state machines, failure policies, timeouts, validation,
paging and filtering. Plain Python over a store, a blob store, a clock and a catalog; no HTTP here."""

from ._catalog import Catalog, Provider, Target, TargetInfo, TargetOutput, find_target, load_catalog
from ._filters import parse_filter, parse_orderby
from ._jobs import HEARTBEAT_EVERY, LEASE, MAX_ATTEMPTS, JobService
from ._principal import SYSTEM, Principal
from ._providers import ProviderService
from ._quotas import DEFAULT_QUOTAS, DIMENSIONS, QuotaExceeded, QuotaService, parse_quota
from ._requests import JOB_PRIORITIES, JOB_TYPES, READ_ONLY_MEMBERS, SESSION_FAILURE_POLICIES
from ._sessions import DEFAULT_SESSION_TIMEOUT, SessionService
from ._states import (
    FINAL_JOB_STATUSES,
    JOB_TRANSITIONS,
    SESSION_TRANSITIONS,
    TERMINAL_SESSION_STATUSES,
    UNFINISHED_JOB_STATUSES,
    IllegalTransition,
    JobStatus,
    SessionEvent,
    SessionStatus,
)
from ._storage import CONTAINER_PERMISSIONS, StorageService
from ._workspaces import WorkspaceDirectory

__all__ = [
    "CONTAINER_PERMISSIONS",
    "DEFAULT_QUOTAS",
    "DEFAULT_SESSION_TIMEOUT",
    "DIMENSIONS",
    "FINAL_JOB_STATUSES",
    "JOB_PRIORITIES",
    "JOB_TRANSITIONS",
    "JOB_TYPES",
    "HEARTBEAT_EVERY",
    "LEASE",
    "MAX_ATTEMPTS",
    "READ_ONLY_MEMBERS",
    "SESSION_FAILURE_POLICIES",
    "SESSION_TRANSITIONS",
    "SYSTEM",
    "TERMINAL_SESSION_STATUSES",
    "UNFINISHED_JOB_STATUSES",
    "Catalog",
    "IllegalTransition",
    "JobService",
    "JobStatus",
    "Principal",
    "Provider",
    "ProviderService",
    "QuotaExceeded",
    "QuotaService",
    "SessionEvent",
    "SessionService",
    "SessionStatus",
    "StorageService",
    "Target",
    "TargetInfo",
    "TargetOutput",
    "WorkspaceDirectory",
    "find_target",
    "load_catalog",
    "parse_quota",
    "parse_filter",
    "parse_orderby",
]
