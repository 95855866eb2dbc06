"""The Azure Resource Manager calls the SDK makes to find a workspace: GET the workspace resource (read
`location` and `properties.endpointUri`) and, for a name-only Workspace, the Resource Graph query that
finds it. Bearer tokens for https://management.azure.com only. Not part of the data-plane contract, so not
in its OpenAPI description."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ..errors import InvalidRequestContent, MissingApiVersionParameter
from ._context import services, store_read
from ._params import WORKSPACE_PREFIX, JsonBody, Workspace
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


def _clause(query: str, column: str) -> str | None:
    """The value of a `| where <column> =~ '<value>'` clause of the SDK's Resource Graph query."""
    match = re.search(rf"\b{column}\s*=~\s*'((?:[^']|'')*)'", query)
    return match.group(1).replace("''", "'") if match else None


@router.post("/providers/Microsoft.ResourceGraph/resources", include_in_schema=False)
async def resource_graph(
    request: Request, body: JsonBody, api_version: Annotated[str | None, Query(alias="api-version")] = None
) -> Response:
    found = services(request)
    found.arm_authenticator.authenticate(None, request.headers.get("authorization"))
    if not api_version:
        raise MissingApiVersionParameter("The api-version query parameter is required.")
    payload: Any = body.value()
    query = payload.get("query") if isinstance(payload, dict) else None
    if not isinstance(query, str):
        raise InvalidRequestContent("The body must be an object with a 'query' string.")
    name = _clause(query, "name")
    if name is None:
        raise InvalidRequestContent("Only the workspace lookup query (`| where name =~ '<name>'`) is supported.")
    subscriptions = payload.get("subscriptions") or []
    if not isinstance(subscriptions, list) or not all(isinstance(s, str) for s in subscriptions):
        raise InvalidRequestContent("'subscriptions' must be an array of strings.")
    location = _clause(query, "location")
    if location is not None and location.lower() != found.settings.location.lower():
        rows: list[dict[str, str]] = []
    else:
        matches = await store_read(
            request,
            lambda: found.workspaces.find(
                name, resource_group=_clause(query, "resourceGroup"), subscriptions=subscriptions
            ),
        )
        rows = [
            {
                "name": name,
                "subscriptionId": ws.subscription_id,
                "resourceGroup": ws.resource_group,
                "location": found.settings.location,
                "endpointUri": str(request.base_url),
                "workspaceKind": "V1",
            }
            for ws in matches
        ]
    return json_response({"totalRecords": len(rows), "count": len(rows), "resultTruncated": "false", "data": rows})
