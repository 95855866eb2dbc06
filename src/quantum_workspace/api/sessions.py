"""Sessions_Open, Sessions_Get, Sessions_Close, Sessions_Listv2, SessionsJobs_List."""

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
    JsonBody,
    ListParams,
    SessionId,
    authenticate,
)
from ._render import JobRenderer, json_response, page_json, session_json
from ._schemas import PagedJobDetails, PagedSessionDetails, SessionDetails

__all__ = ["reads", "router"]

router = APIRouter(prefix=WORKSPACE_PREFIX, tags=["Sessions"], dependencies=[Depends(authenticate)])
#: SessionsJobs_List, served without FastAPI's dependency solving (see _lean.py).
reads = APIRouter(
    prefix=WORKSPACE_PREFIX, tags=["Sessions"], dependencies=[Depends(authenticate)], route_class=LeanRoute
)


@router.get("/sessions", operation_id="Sessions_Listv2", responses=responses(200, model=PagedSessionDetails))
def list_sessions(request: Request, call: InWorkspace, params: ListParams) -> Response:
    query, carried = params
    page = services(request).sessions.list(call.workspace, query)
    return json_response(
        page_json(
            page, session_json, url=str(request.url), api_version=call.api_version, skip=query.skip, carried=carried
        )
    )


@router.get("/sessions/{sessionId}", operation_id="Sessions_Get", responses=responses(200, model=SessionDetails))
def get_session(request: Request, call: InWorkspace, sessionId: SessionId) -> Response:
    return json_response(session_json(services(request).sessions.get(call.workspace, sessionId)))


@router.put(
    "/sessions/{sessionId}",
    operation_id="Sessions_Open",
    responses=responses(200, 201, model=SessionDetails),
    openapi_extra=body("SessionDetails", "resource"),
)
def open_session(
    request: Request,
    call: InWorkspace,
    sessionId: SessionId,
    caller: Caller,
    resource: JsonBody,
) -> Response:
    # 200 for a new session and for an identical repeat, as the real service answered (201 is also legal).
    session, _created = services(request).sessions.open(call.workspace, sessionId, resource.value(), caller)
    return json_response(session_json(session))


@router.post(
    "/sessions/{sessionId}:close",
    operation_id="Sessions_Close",
    responses=responses(200, model=SessionDetails),
)
def close_session(request: Request, call: InWorkspace, sessionId: SessionId, caller: Caller) -> Response:
    return json_response(session_json(services(request).sessions.close(call.workspace, sessionId, caller)))


@reads.get(
    "/sessions/{sessionId}/jobs",
    operation_id="SessionsJobs_List",
    responses=responses(200, model=PagedJobDetails),
)
async def list_session_jobs(request: Request, call: InWorkspace, sessionId: SessionId, params: ListParams) -> Response:
    query, carried = params
    found = services(request)
    page = await store_read(request, lambda: found.jobs.list_in_session(call.workspace, sessionId, query))
    render = JobRenderer(found.storage, base_url_of(request.scope))
    return json_response(
        page_json(page, render, url=str(request.url), api_version=call.api_version, skip=query.skip, carried=carried)
    )
