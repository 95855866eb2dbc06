"""Storage_GetSasUri: a SAS URI for a container (created if missing) or one blob in it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ._base_url import base_url_of
from ._context import services
from ._docs import body, responses
from ._params import WORKSPACE_PREFIX, InWorkspace, JsonBody, authenticate
from ._render import json_response
from ._schemas import SasUriResponse

__all__ = ["router"]

router = APIRouter(prefix=WORKSPACE_PREFIX, tags=["Storage"], dependencies=[Depends(authenticate)])


@router.post(
    "/storage/sasUri",
    operation_id="Storage_GetSasUri",
    responses=responses(200, model=SasUriResponse),
    openapi_extra=body("BlobDetails", "blobDetails"),
)
def get_sas_uri(request: Request, call: InWorkspace, blobDetails: JsonBody) -> Response:
    uri = services(request).storage.sas_uri(call.workspace, blobDetails.value(), base_url_of(request.scope))
    return json_response({"sasUri": uri})
