"""Jobs_List, Jobs_Get, Jobs_Create, Jobs_Update (merge patch), Jobs_Delete, Jobs_Cancel.

Reads are `async`: a WAL-mode SQLite read takes tens of microseconds and never waits for a writer, so it
runs on the event loop (no thread hop). So is the create on SQLite, the write every submit sends (see
create_job); the other writes may wait longer for the write lock (sessions, cancellation), so they run in
the threadpool.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ._base_url import base_url_of
from ._context import services, store_read
from ._docs import body, responses
from ._lean import LeanRoute
from ._params import (
    WORKSPACE_PREFIX,
    Caller,
    InWorkspace,
    JobId,
    JsonBody,
    ListParams,
    authenticate,
)
from ._render import JobRenderer, json_response, page_json
from ._schemas import JobDetails, JobUpdateResponse, PagedJobDetails

__all__ = ["reads", "router"]

router = APIRouter(prefix=WORKSPACE_PREFIX, tags=["Jobs"], dependencies=[Depends(authenticate)])
#: The reads the SDK polls and the create every submit sends, served without FastAPI's dependency solving
#: (see _lean.py).
reads = APIRouter(prefix=WORKSPACE_PREFIX, tags=["Jobs"], dependencies=[Depends(authenticate)], route_class=LeanRoute)


def _renderer(request: Request) -> JobRenderer:
    return JobRenderer(services(request).storage, base_url_of(request.scope))


@reads.get("/jobs", operation_id="Jobs_List", responses=responses(200, model=PagedJobDetails))
async def list_jobs(request: Request, call: InWorkspace, params: ListParams) -> Response:
    query, carried = params
    page = await store_read(request, lambda: services(request).jobs.list(call.workspace, query))
    return json_response(
        page_json(
            page,
            _renderer(request),
            url=str(request.url),
            api_version=call.api_version,
            skip=query.skip,
            carried=carried,
        )
    )


@reads.get("/jobs/{jobId}", operation_id="Jobs_Get", responses=responses(200, model=JobDetails))
async def get_job(request: Request, call: InWorkspace, jobId: JobId) -> Response:
    found = services(request)
    # Read straight from the store, so the record's revision identifies its content: the cache may answer.
    job = await store_read(request, lambda: found.jobs.get(call.workspace, jobId))
    return found.rendered_jobs.response(job, base_url_of(request.scope))


@reads.put(
    "/jobs/{jobId}",
    operation_id="Jobs_Create",
    responses=responses(200, 201, model=JobDetails),
    openapi_extra=body("JobDetails", "resource"),
)
async def create_job(
    request: Request,
    call: InWorkspace,
    jobId: JobId,
    caller: Caller,
    resource: JsonBody,
) -> Response:
    # On the event loop as soon as the store's writer is free (see _loop_writes.py): a create is one insert
    # committed without fsync (WAL, synchronous=NORMAL), shorter than the hop to the threadpool and back.
    # 200 for a new job and for an identical repeat, as the real service answered (201 is also legal).
    found = services(request)
    workspace, job_document = call.workspace, resource.value()
    job, _created = await found.writes.write(lambda: found.jobs.create(workspace, jobId, job_document, caller))
    return json_response(_renderer(request)(job))


@router.patch(
    "/jobs/{jobId}",
    operation_id="Jobs_Update",
    responses=responses(200, model=JobUpdateResponse),
    openapi_extra=body("JobUpdateOptions", "resource", "application/merge-patch+json"),
)
def update_job(
    request: Request,
    call: InWorkspace,
    jobId: JobId,
    caller: Caller,
    resource: JsonBody,
) -> Response:
    job = services(request).jobs.update(call.workspace, jobId, resource.value(), caller)
    updated = {"name": job.name, "priority": job.priority or "Standard", "tags": job.tags or []}
    return json_response(updated)


@router.delete(
    "/jobs/{jobId}",
    operation_id="Jobs_Delete",
    status_code=204,
    responses=responses(204, description="There is no content to send for this request."),
)
def delete_job(request: Request, call: InWorkspace, jobId: JobId, caller: Caller) -> Response:
    # The SDK accepts only 204 here; the job stays listed, Cancelled (or as it was, when already final).
    services(request).jobs.delete(call.workspace, jobId, caller)
    return Response(status_code=204)


@router.post("/jobs/{jobId}:cancel", operation_id="Jobs_Cancel", responses=responses(200, model=JobDetails))
def cancel_job(request: Request, call: InWorkspace, jobId: JobId, caller: Caller) -> Response:
    return json_response(_renderer(request)(services(request).jobs.cancel(call.workspace, jobId, caller)))
