"""The one Azure Resource Manager call the SDK makes to find a workspace: GET the workspace resource,
read `location` and `properties.endpointUri`. Bearer tokens for https://management.azure.com only.
Not part of the data-plane contract, so not in its OpenAPI description."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ..errors import MissingApiVersionParameter
from ._context import services
from ._params import WORKSPACE_PREFIX, Workspace
from ._render import json_response

__all__ = ["router"]

router = APIRouter()


@router.get(WORKSPACE_PREFIX, include_in_schema=False)
async def get_workspace(
    request: Request,
    workspace: Workspace,
    api_version: Annotated[str | None, Query(alias="api-version")] = None,
) -> Response:
    found = services(request)
    found.arm_authenticator.authenticate(None, request.headers.get("authorization"))
    if not api_version:
        raise MissingApiVersionParameter("The api-version query parameter is required.")
    resource_id = (
        f"/subscriptions/{workspace.subscription_id}/resourceGroups/{workspace.resource_group}"
        f"/providers/Microsoft.Quantum/workspaces/{workspace.name}"
    )
    return json_response(
        {
            "id": resource_id,
            "name": workspace.name,
            "type": "Microsoft.Quantum/Workspaces",
            "location": found.settings.location,
            "properties": {
                "endpointUri": str(request.base_url),
                "provisioningState": "Succeeded",
                "usable": "Yes",
            },
        }
    )
