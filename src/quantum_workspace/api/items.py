"""TopLevelItems_Listv2: sessions, and jobs that belong to no session, told apart by `itemType`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ..store import JobRecord, SessionRecord
from ._base_url import base_url_of
from ._context import services, store_read
from ._docs import responses
from ._lean import LeanRoute
from ._params import WORKSPACE_PREFIX, InWorkspace, ListParams, authenticate
from ._render import JobRenderer, json_response, page_json, session_json
from ._schemas import PagedItemDetails

__all__ = ["router"]

router = APIRouter(
    prefix=WORKSPACE_PREFIX, tags=["TopLevelItems"], dependencies=[Depends(authenticate)], route_class=LeanRoute
)


@router.get("/topLevelItems", operation_id="TopLevelItems_Listv2", responses=responses(200, model=PagedItemDetails))
async def list_top_level_items(request: Request, call: InWorkspace, params: ListParams) -> Response:
    query, carried = params
    found = services(request)
    page = await store_read(request, lambda: found.jobs.list_top_level(call.workspace, query))
    render_job = JobRenderer(found.storage, base_url_of(request.scope))

    def render(item: JobRecord | SessionRecord) -> dict[str, Any]:
        return render_job(item) if isinstance(item, JobRecord) else session_json(item)

    return json_response(
        page_json(page, render, url=str(request.url), api_version=call.api_version, skip=query.skip, carried=carried)
    )
