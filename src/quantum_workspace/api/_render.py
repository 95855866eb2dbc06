"""Records as the contract's JSON: members in the contract's order, times in RFC 3339 UTC, members
without a value left out (the contract's schemas are not nullable), client values echoed as sent."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from ..clock import Clock, format_timestamp
from ..service import JobStatus, StorageService
from ..store import JobRecord, Page, SessionRecord

__all__ = [
    "OUTPUT_SAS_TTL",
    "JobRenderer",
    "RenderedJobs",
    "json_response",
    "page_json",
    "provider_json",
    "session_json",
]

#: Read SAS on job URIs; the SDK asks for a new one when fewer than 5 minutes remain.
OUTPUT_SAS_TTL = timedelta(hours=24)


def _time(value: datetime | None) -> str | None:
    return format_timestamp(value) if value is not None else None


def _compact(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {name: value for name, value in pairs if value is not None}


def _item_common(item: JobRecord | SessionRecord) -> list[tuple[str, Any]]:
    return [
        ("creationTime", _time(item.creation_time)),
        ("createdBy", item.created_by),
        ("createdByType", item.created_by_type),
        ("lastModifiedTime", _time(item.last_modified_time)),
        ("lastModifiedBy", item.last_modified_by),
        ("lastModifiedByType", item.last_modified_by_type),
        ("lastUpdatedTime", _time(item.last_updated_time)),
        ("beginExecutionTime", _time(item.begin_execution_time)),
        ("endExecutionTime", _time(item.end_execution_time)),
        ("costEstimate", item.cost_estimate),
        ("errorData", item.error_data),
        ("priority", item.priority or "Standard"),
        ("tags", item.tags if item.tags is not None else []),
        ("usage", item.usage),
    ]


def session_json(session: SessionRecord) -> dict[str, Any]:
    return _compact(
        [
            ("id", session.id),
            ("name", session.name),
            ("providerId", session.provider_id),
            ("target", session.target),
            ("itemType", "Session"),
            ("jobFailurePolicy", session.job_failure_policy),
            ("status", session.status),
            *_item_common(session),
        ]
    )


class JobRenderer:
    """Job JSON with fresh read-SAS URIs for its input and output blobs, on the host the client used."""

    def __init__(self, storage: StorageService, base_url: str) -> None:
        self._storage = storage
        self._base_url = base_url

    def _read_url(self, job: JobRecord, container: str, blob: str) -> str:
        return self._storage.signed_url(self._base_url, job.storage_account, container, blob, "r", OUTPUT_SAS_TTL)

    def __call__(self, job: JobRecord) -> dict[str, Any]:
        output_blob = "rawOutputData" if job.status == JobStatus.SUCCEEDED else "outputData"
        input_uri = job.input_data_uri or self._read_url(job, job.input_container, job.input_blob)
        return _compact(
            [
                ("id", job.id),
                ("name", job.name),
                ("providerId", job.provider_id),
                ("target", job.target),
                ("itemType", "Job"),
                ("jobType", job.job_type),
                ("sessionId", job.session_id),
                ("containerUri", job.container_uri),
                ("inputDataUri", input_uri),
                ("inputDataFormat", job.input_data_format),
                ("inputParams", job.input_params),
                ("metadata", job.metadata),
                ("outputDataUri", self._read_url(job, job.container, output_blob)),
                ("outputDataFormat", job.output_data_format),
                ("status", job.status),
                ("cancellationTime", _time(job.cancellation_time)),
                ("quantumComputingData", job.quantum_computing_data),
                *_item_common(job),
            ]
        )


class RenderedJobs:
    """Job responses as bytes, per stored revision, base URL and minute (the SAS URIs inside change every
    minute): a polled job is rendered once per minute instead of on every GET. Only for records read from
    the store, whose revision identifies their content; used from the event loop only."""

    def __init__(self, storage: StorageService, clock: Clock, size: int = 4096) -> None:
        self._storage, self._clock, self._size = storage, clock, size
        self._cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()

    def response(self, job: JobRecord, base_url: str) -> Response:
        return Response(self.body(job, base_url), media_type="application/json")

    def body(self, job: JobRecord, base_url: str) -> bytes:
        minute = self._clock.now().replace(second=0, microsecond=0)
        key = (job.workspace, job.id, job.revision, base_url, minute)
        body = self._cache.get(key)
        if body is None:
            body = _dumps(JobRenderer(self._storage, base_url)(job))
            self._cache[key] = body
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return body


def provider_json(provider: Any) -> dict[str, Any]:
    """A catalog provider as the contract's ProviderStatus; ids as the catalog spells them (lower case)."""
    return {
        "id": provider.id,
        "currentAvailability": getattr(provider, "availability", "Available"),
        "targets": [
            _compact(
                [
                    ("id", target.id),
                    ("currentAvailability", target.availability),
                    ("averageQueueTime", target.average_queue_time),
                    ("statusPage", getattr(target, "status_page", None)),
                    ("numQubits", target.num_qubits),
                    ("targetProfile", target.target_profile),
                ]
            )
            for target in provider.targets
        ],
    }


def page_json(
    page: Page[Any],
    render: Callable[[Any], dict[str, Any]],
    *,
    url: str,
    api_version: str,
    skip: int,
    carried: Mapping[str, str],
) -> dict[str, Any]:
    """`{"value": [...]}` plus, when more items follow, a nextLink (the request's URL without its query,
    plus a query carrying the filter, orderby and top it was asked with: clients re-send only that)."""
    body: dict[str, Any] = {"value": [render(item) for item in page.items]}
    if page.more:
        query = {"api-version": api_version, **carried, "skip": str(skip + len(page.items))}
        body["nextLink"] = f"{url.split('?', 1)[0]}?{urlencode(query)}"
    return body


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(body: Any, status: int = 200) -> Response:
    return Response(_dumps(body), status_code=status, media_type="application/json")
