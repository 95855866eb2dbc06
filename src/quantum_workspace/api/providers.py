"""Providers_List (the workspace's providers and targets) and SuiteOffers_GetProviderStatus."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from ._context import services
from ._docs import responses
from ._params import SUBSCRIPTION_PREFIX, WORKSPACE_PREFIX, InWorkspace, Subscription, authenticate
from ._render import json_response, provider_json
from ._schemas import PagedProviderStatus, ProviderStatus

__all__ = ["router"]

router = APIRouter(tags=["Providers"], dependencies=[Depends(authenticate)])
ProviderId = Annotated[str, Path()]


@router.get(
    f"{WORKSPACE_PREFIX}/providerStatus",
    operation_id="Providers_List",
    responses=responses(200, model=PagedProviderStatus),
)
async def list_providers(request: Request, call: InWorkspace) -> Response:
    providers = services(request).providers.providers()
    return json_response({"value": [provider_json(p) for p in providers]})


@router.get(
    f"{SUBSCRIPTION_PREFIX}/suiteOffers/{{providerId}}/providerStatus",
    operation_id="SuiteOffers_GetProviderStatus",
    responses=responses(200, model=ProviderStatus),
)
async def suite_offer_status(request: Request, _subscription: Subscription, providerId: ProviderId) -> Response:
    return json_response(provider_json(services(request).providers.provider(providerId)))
