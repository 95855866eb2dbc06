"""Quotas_List, Quotas_ListWorkspaceQuotaUsages and SuiteOffers_ListQuotaUsages (content from the catalog).

Plain functions, so FastAPI runs them in its threadpool: usage sums every billed job of the month, a read
that grows with the workspace and must not hold the event loop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from ._context import services
from ._docs import responses
from ._params import SUBSCRIPTION_PREFIX, WORKSPACE_PREFIX, InWorkspace, Subscription, authenticate
from ._render import json_response
from ._schemas import PagedQuota, PagedQuotaUsageData

__all__ = ["router"]

router = APIRouter(tags=["Quotas"], dependencies=[Depends(authenticate)])


@router.get(f"{WORKSPACE_PREFIX}/quotas", operation_id="Quotas_List", responses=responses(200, model=PagedQuota))
def list_quotas(request: Request, call: InWorkspace) -> Response:
    return json_response({"value": services(request).providers.quotas(call.workspace)})


@router.get(
    f"{WORKSPACE_PREFIX}/quotaUsages",
    operation_id="Quotas_ListWorkspaceQuotaUsages",
    responses=responses(200, model=PagedQuotaUsageData),
)
def list_workspace_quota_usages(request: Request, call: InWorkspace, providerId: Annotated[str, Query()]) -> Response:
    return json_response({"value": services(request).providers.quota_usages(providerId, call.workspace)})


@router.get(
    f"{SUBSCRIPTION_PREFIX}/suiteOffers/{{providerId}}/quotaUsages",
    operation_id="SuiteOffers_ListQuotaUsages",
    responses=responses(200, model=PagedQuotaUsageData),
)
def list_suite_offer_quota_usages(
    request: Request, _subscription: Subscription, providerId: Annotated[str, Path()]
) -> Response:
    return json_response({"value": services(request).providers.quota_usages(providerId, None)})
