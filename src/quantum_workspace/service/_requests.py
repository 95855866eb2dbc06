"""Request bodies for jobs and sessions: member tables from the contract, checked and normalized once.

Read-only members are dropped (the SDK never sends them; other clients may echo a whole object back);
unknown members are ignored; every problem is reported in one message.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import BadRequest, InvalidJobDefinition, InvalidSessionDefinition
from ..ids import is_item_id

__all__ = [
    "JOB_PRIORITIES",
    "JOB_TYPES",
    "SESSION_FAILURE_POLICIES",
    "JobRequest",
    "SessionRequest",
    "UPDATABLE_MEMBERS",
    "parse_job_request",
    "parse_job_update",
    "parse_session_request",
]

JOB_TYPES = ("Unknown", "QuantumComputing", "Optimization")
JOB_PRIORITIES = ("Standard", "High")
SESSION_FAILURE_POLICIES = ("Abort", "Continue")

#: Members the contract marks read-only (ItemDetails, JobDetails, SessionDetails), plus the real service's
#: non-contract `isCancelling`. They are ignored in request bodies.
READ_ONLY_MEMBERS = frozenset(
    {
        "status",
        "creationTime",
        "createdBy",
        "createdByType",
        "lastModifiedTime",
        "lastModifiedBy",
        "lastModifiedByType",
        "lastUpdatedTime",
        "beginExecutionTime",
        "endExecutionTime",
        "cancellationTime",
        "costEstimate",
        "errorData",
        "quantumComputingData",
        "usage",
        "isCancelling",
    }
)

_Check = Callable[[Any], str | None]  # returns a problem description, or None when the value is fine


def _string(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be a string"


def _nonempty(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty string"


def _object(value: Any) -> str | None:
    return None if isinstance(value, dict) else "must be a JSON object"


def _strings(value: Any) -> str | None:
    ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    return None if ok else "must be an array of strings"


def _one_of(*allowed: str) -> _Check:
    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)} (exact case)"

    return check


def _item_id(value: Any) -> str | None:
    return None if is_item_id(value) else "must be a UUID"


@dataclass(frozen=True, slots=True)
class _Member:
    check: _Check
    required: bool = False


JOB_MEMBERS: Mapping[str, _Member] = {
    "name": _Member(_nonempty, required=True),
    "providerId": _Member(_nonempty, required=True),
    "target": _Member(_nonempty, required=True),
    "itemType": _Member(_one_of("Job"), required=True),
    "containerUri": _Member(_nonempty, required=True),
    "jobType": _Member(_one_of(*JOB_TYPES)),
    "sessionId": _Member(_item_id),
    "inputDataUri": _Member(_string),
    "inputDataFormat": _Member(_nonempty),
    "outputDataUri": _Member(_string),
    "outputDataFormat": _Member(_nonempty),
    "inputParams": _Member(_object),
    "metadata": _Member(_object),
    "priority": _Member(_one_of(*JOB_PRIORITIES)),
    "tags": _Member(_strings),
}

SESSION_MEMBERS: Mapping[str, _Member] = {
    "name": _Member(_nonempty, required=True),
    "providerId": _Member(_nonempty, required=True),
    "target": _Member(_nonempty, required=True),
    "itemType": _Member(_one_of("Session"), required=True),
    "jobFailurePolicy": _Member(_one_of(*SESSION_FAILURE_POLICIES)),
    "priority": _Member(_one_of(*JOB_PRIORITIES)),
    "tags": _Member(_strings),
}


def _checked(
    body: Any, path_id: str, members: Mapping[str, _Member], kind: str, error: type[BadRequest]
) -> dict[str, Any]:
    """The writable members that were sent (nulls dropped), or one error naming every problem."""
    if not isinstance(body, dict):
        raise error(f"The {kind} definition must be a JSON object.")
    problems = []
    body_id = body.get("id")
    if body_id is not None and (not isinstance(body_id, str) or body_id.lower() != path_id.lower()):
        problems.append(f"'id' ({body_id!r}) differs from the {kind} id in the path ({path_id})")
    values: dict[str, Any] = {}
    for name, member in members.items():
        value = body.get(name)
        if value is None:
            if member.required:
                problems.append(f"'{name}' is required")
            continue
        problem = member.check(value)
        if problem:
            problems.append(f"'{name}' {problem}")
        else:
            values[name] = value
    if problems:
        raise error(f"The {kind} definition is not valid: {'; '.join(problems)}.")
    return values


def _fingerprint(values: Mapping[str, Any]) -> str:
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class JobRequest:
    name: str
    provider_id: str
    target: str
    container_uri: str
    job_type: str
    session_id: str | None
    input_data_uri: str | None
    input_data_format: str | None
    output_data_format: str | None
    input_params: Any
    metadata: Any
    priority: str | None
    tags: Any
    fingerprint: str


@dataclass(frozen=True, slots=True)
class SessionRequest:
    name: str
    provider_id: str
    target: str
    job_failure_policy: str
    priority: str | None
    tags: Any
    fingerprint: str


def parse_job_request(body: Any, job_id: str) -> JobRequest:
    values = _checked(body, job_id, JOB_MEMBERS, "job", InvalidJobDefinition)
    identity = values | {
        "jobType": values.get("jobType", "QuantumComputing"),
        "providerId": values["providerId"].lower(),
    }
    return JobRequest(
        name=values["name"],
        provider_id=values["providerId"],
        target=values["target"],
        container_uri=values["containerUri"],
        job_type=values.get("jobType", "QuantumComputing"),
        session_id=values.get("sessionId"),
        input_data_uri=values.get("inputDataUri"),
        input_data_format=values.get("inputDataFormat"),
        output_data_format=values.get("outputDataFormat"),
        input_params=values.get("inputParams"),
        metadata=values.get("metadata"),
        priority=values.get("priority"),
        tags=values.get("tags"),
        fingerprint=_fingerprint(identity),
    )


def parse_session_request(body: Any, session_id: str) -> SessionRequest:
    values = _checked(body, session_id, SESSION_MEMBERS, "session", InvalidSessionDefinition)
    identity = values | {
        "jobFailurePolicy": values.get("jobFailurePolicy", "Abort"),
        "providerId": values["providerId"].lower(),
    }
    return SessionRequest(
        name=values["name"],
        provider_id=values["providerId"],
        target=values["target"],
        job_failure_policy=values.get("jobFailurePolicy", "Abort"),
        priority=values.get("priority"),
        tags=values.get("tags"),
        fingerprint=_fingerprint(identity),
    )


#: What Jobs_Update may change (JobUpdateOptions); other JobDetails members are fixed at creation.
UPDATABLE_MEMBERS = ("name", "priority", "tags")


def parse_job_update(body: Any) -> dict[str, Any]:
    """A JSON merge patch of a job: absent = unchanged, null = cleared (name cannot be cleared).
    Read-only members are ignored; other job members cannot change (400); unknown members are ignored."""
    if not isinstance(body, dict):
        raise InvalidJobDefinition("The job update must be a JSON object (a JSON merge patch).")
    problems: list[str] = []
    changes: dict[str, Any] = {}
    for name in UPDATABLE_MEMBERS:
        if name not in body:
            continue
        value = body[name]
        if value is None:
            if name == "name":
                problems.append("'name' cannot be removed")
            else:
                changes[name] = None
            continue
        problem = JOB_MEMBERS[name].check(value)
        if problem:
            problems.append(f"'{name}' {problem}")
        else:
            changes[name] = value
    fixed = sorted(n for n in body if n in JOB_MEMBERS and n not in UPDATABLE_MEMBERS and n != "itemType")
    problems += [f"'{name}' cannot be changed after creation" for name in fixed]
    if problems:
        raise InvalidJobDefinition(f"The job update is not valid: {'; '.join(problems)}.")
    return changes
