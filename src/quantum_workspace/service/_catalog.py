"""The provider catalog as the service sees it: the interface `quantum_workspace.targets` implements.

The real catalog is imported on first use, so starting the server does not import simulators.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

__all__ = ["Catalog", "Provider", "Target", "TargetInfo", "TargetKind", "TargetOutput", "find_target", "load_catalog"]


class TargetInfo(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def provider_id(self) -> str: ...
    @property
    def num_qubits(self) -> int | None: ...
    @property
    def target_profile(self) -> str | None: ...
    @property
    def input_formats(self) -> tuple[str, ...]: ...
    @property
    def default_input_format(self) -> str: ...
    @property
    def default_output_format(self) -> str: ...
    @property
    def availability(self) -> str: ...
    @property
    def average_queue_time(self) -> int: ...


class TargetOutput(Protocol):
    @property
    def data(self) -> bytes: ...
    @property
    def content_type(self) -> str: ...
    @property
    def output_format(self) -> str: ...


class TargetKind(Protocol):
    """How a target computes; `value` is one of simulator, emulator, qpu, syntax-checker, estimator."""

    @property
    def value(self) -> str: ...


class Target(Protocol):
    @property
    def info(self) -> TargetInfo: ...
    @property
    def kind(self) -> TargetKind: ...

    def run(
        self, program: bytes, input_format: str, output_format: str | None, params: Mapping[str, Any]
    ) -> TargetOutput: ...

    def estimate_cost(self, program: bytes, input_format: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The contract's CostEstimate (`currencyCode`, `estimatedTotal`, `events`); pure, no simulation."""
        ...


class Provider(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def availability(self) -> str: ...
    @property
    def targets(self) -> Sequence[TargetInfo]: ...


class Catalog(Protocol):
    """Required: providers() and find(). Optional (the targets package may add them; absent means none):
    `quotas(workspace_key) -> list[dict]` in the contract's Quota shape and
    `quota_usages(provider_id, workspace_key | None) -> list[dict]` in its QuotaUsageData shape."""

    def providers(self) -> Sequence[Provider]: ...

    def find(self, provider_id: str, target_id: str) -> Target:
        """Raises the targets package's TargetNotFound when there is no such target."""
        ...


_lock = threading.Lock()
_catalog: Catalog | None = None


def load_catalog() -> Catalog:
    """The shared catalog from `quantum_workspace.targets`, imported on first use."""
    global _catalog
    with _lock:
        if _catalog is None:
            from ..targets import get_catalog

            _catalog = get_catalog()
        return _catalog


def find_target(catalog: Catalog, provider_id: str, target_id: str) -> Target | None:
    """The target, or None when the catalog has no such provider/target (its TargetNotFound stops here)."""
    from ..targets import TargetNotFound

    try:
        return catalog.find(provider_id, target_id)
    except TargetNotFound:
        return None
