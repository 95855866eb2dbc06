"""Quotas through the official SDK, unmodified: `Workspace.get_quotas()` against `quantum-workspace serve
--quota ...` shows the configured limits next to the default one (as_dict gives the wire names,
providerId, though the SDK's docstring says provider_id)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from ._sdk import sdk_workspace  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def test_get_quotas_lists_configured_and_default_limits(start_workspace_server, tmp_path: Path) -> None:
    server = start_workspace_server(
        tmp_path / "data", args=["--quota", "quantinuum:hqc=500", "--quota", "ionq:qgs=1e6"]
    )
    workspace = sdk_workspace(
        server.base_url,
        server.api_key,
        subscription_id="00000000-0000-0000-0000-0000000000d7",
        resource_group="rg-quotas",
        name="ws-quotas",
    )

    quotas = {(quota["providerId"], quota["dimension"]): quota for quota in workspace.get_quotas()}

    assert set(quotas) == {("ionq", "qgs"), ("quantinuum", "hqc")}
    assert quotas[("ionq", "qgs")]["limit"] == 1_000_000
    assert quotas[("quantinuum", "hqc")] == {
        "dimension": "hqc",
        "scope": "Workspace",
        "providerId": "quantinuum",
        "utilization": 0.0,
        "holds": 0.0,
        "limit": 500.0,
        "period": "Monthly",
    }
