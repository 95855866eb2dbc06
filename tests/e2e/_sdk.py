"""The official SDK's `Workspace`, unmodified, pointed at a local `quantum-workspace serve` by its API key."""

from __future__ import annotations

import os

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from azure.core.credentials import AzureKeyCredential  # noqa: E402
from azure.quantum import Workspace  # noqa: E402

__all__ = ["sdk_workspace"]


def sdk_workspace(base_url: str, api_key: str, *, subscription_id: str, resource_group: str, name: str) -> Workspace:
    """A `Workspace` in eastus whose data plane is `base_url`, authenticated with `api_key`."""
    return Workspace(
        subscription_id=subscription_id,
        resource_group=resource_group,
        name=name,
        location="eastus",
        credential=AzureKeyCredential(api_key),
        _quantum_endpoint=base_url + "/",
    )
