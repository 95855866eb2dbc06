"""Providers, targets and quotas as the catalog declares them (the targets package owns the content)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ProviderNotFound
from ..ids import WorkspaceRef
from ._catalog import Catalog, Provider
from ._quotas import QuotaService

__all__ = ["ProviderService"]


class ProviderService:
    def __init__(self, catalog: Callable[[], Catalog], quotas: QuotaService | None = None) -> None:
        self._catalog = catalog
        self._quotas = quotas

    def providers(self) -> list[Provider]:
        return list(self._catalog().providers())

    def provider(self, provider_id: str) -> Provider:
        for provider in self._catalog().providers():
            if provider.id.lower() == provider_id.lower():
                return provider
        raise ProviderNotFound(f"Provider '{provider_id}' is not offered by this workspace.")

    def quotas(self, workspace: WorkspaceRef) -> list[Mapping[str, Any]]:
        """Quotas_List: the quota service's limits and usage, else whatever the catalog declares."""
        if self._quotas is not None:
            return list(self._quotas.quotas(workspace.key))
        hook = getattr(self._catalog(), "quotas", None)
        return list(hook(workspace.key)) if callable(hook) else []

    def quota_usages(self, provider_id: str, workspace: WorkspaceRef | None) -> list[Mapping[str, Any]]:
        """Usage per provider; `workspace` None for the subscription-level suite offer."""
        self.provider(provider_id)
        hook = getattr(self._catalog(), "quota_usages", None)
        return list(hook(provider_id, workspace.key if workspace else None)) if callable(hook) else []
