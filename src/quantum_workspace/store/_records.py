"""What the store keeps: one immutable record per job and per session, in the service's own terms.

Fields that clients send are kept exactly as sent (JSON values), so responses can echo them verbatim.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

from ..clock import parse_timestamp

__all__ = ["JobRecord", "SessionRecord", "record_from_doc", "record_to_doc"]

JSON = Any


@dataclass(frozen=True, slots=True)
class JobRecord:
    workspace: str
    id: str
    name: str
    provider_id: str
    target: str
    job_type: str
    #: As the client sent it, SAS signature included: echoed in responses, kept out of reprs and logs.
    container_uri: str = field(repr=False)
    input_data_format: str
    status: str
    creation_time: datetime
    request_fingerprint: str
    session_id: str | None = None
    input_data_uri: str | None = field(default=None, repr=False)
    output_data_format: str | None = None
    input_params: JSON = None
    metadata: JSON = None
    priority: str | None = None
    tags: JSON = None
    created_by: str | None = None
    created_by_type: str | None = None
    last_modified_time: datetime | None = None
    last_modified_by: str | None = None
    last_modified_by_type: str | None = None
    last_updated_time: datetime | None = None
    begin_execution_time: datetime | None = None
    end_execution_time: datetime | None = None
    cancellation_time: datetime | None = None
    error_data: JSON = None
    quantum_computing_data: JSON = None
    cost_estimate: JSON = None
    usage: JSON = None
    output_content_type: str | None = None
    attempts: int = 0
    #: The replica whose worker took the job (see JobService.requeue_orphaned); None until one does.
    claimed_by: str | None = None
    #: Bumped by the store on every update, so a reader can cache what it derives from one stored version.
    revision: int = 0
    #: Where the job's blobs live in the workspace's storage account, resolved once at creation.
    storage_account: str = ""
    container: str = ""
    input_container: str = ""
    input_blob: str = "inputData"

    @property
    def item_type(self) -> str:
        return "Job"

    def replace(self, **changes: Any) -> JobRecord:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class SessionRecord:
    workspace: str
    id: str
    name: str
    provider_id: str
    target: str
    job_failure_policy: str
    status: str
    creation_time: datetime
    last_activity_time: datetime
    request_fingerprint: str
    closed: bool = False
    has_failures: bool = False
    priority: str | None = None
    tags: JSON = None
    created_by: str | None = None
    created_by_type: str | None = None
    last_modified_time: datetime | None = None
    last_modified_by: str | None = None
    last_modified_by_type: str | None = None
    last_updated_time: datetime | None = None
    begin_execution_time: datetime | None = None
    end_execution_time: datetime | None = None
    error_data: JSON = None
    cost_estimate: JSON = None
    usage: JSON = None

    @property
    def item_type(self) -> str:
        return "Session"

    def replace(self, **changes: Any) -> SessionRecord:
        return dataclasses.replace(self, **changes)


_R = TypeVar("_R", JobRecord, SessionRecord)
_TIME_FIELDS = {
    cls: frozenset(f.name for f in fields(cls) if "datetime" in str(f.type)) for cls in (JobRecord, SessionRecord)
}


def record_to_doc(record: JobRecord | SessionRecord) -> dict[str, JSON]:
    """A JSON-ready dict; times as ISO 8601 strings (`datetime.isoformat`, parsed back in C)."""
    times = _TIME_FIELDS[type(record)]
    doc: dict[str, JSON] = {}
    for name in record.__dataclass_fields__:
        value = getattr(record, name)
        doc[name] = value.isoformat() if name in times and value is not None else value
    return doc


def _parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:  # other RFC 3339 spellings (more than six fractional digits)
        return parse_timestamp(text)


def record_from_doc(cls: type[_R], doc: dict[str, JSON]) -> _R:
    times = _TIME_FIELDS[cls]
    known = cls.__dataclass_fields__
    values: dict[str, Any] = {
        name: (_parse_time(value) if name in times and value is not None else value)
        for name, value in doc.items()
        if name in known
    }
    return cls(**values)
