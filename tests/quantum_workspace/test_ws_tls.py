"""`serve --tls`: https with a self-signed certificate, bearer tokens, and the ARM workspace lookup, so the
official SDK finds and uses the workspace from `arm_endpoint` and a TokenCredential alone."""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

pytestmark = pytest.mark.slow

SUB = "00000000-0000-0000-0000-0000000000c1"
WS = f"/subscriptions/{SUB}/resourceGroups/rg-tls/providers/Microsoft.Quantum/workspaces/ws-tls"
BELL = {"qubits": 2, "circuit": [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]}


def bearer(audience: str) -> str:
    now = int(time.time())
    return jwt.encode({"aud": audience, "exp": now + 3600, "upn": "tls@example.com"}, "s" * 32, algorithm="HS256")


def test_https_bearer_tokens_and_arm_lookup(start_workspace_server: Any, tmp_path: Path) -> None:
    server = start_workspace_server(tmp_path / "data", args=["--tls", "--location", "westus"])
    assert server.base_url.startswith("https://127.0.0.1:")
    cert = tmp_path / "data" / "tls" / "cert.pem"
    with httpx.Client(base_url=server.base_url, verify=str(cert), timeout=30) as http:
        arm = http.get(
            WS,
            params={"api-version": "2025-12-15-preview"},
            headers={"Authorization": f"Bearer {bearer('https://management.azure.com')}"},
        )
        assert arm.status_code == 200, arm.text
        assert arm.json()["location"] == "westus"
        assert arm.json()["properties"]["endpointUri"] == server.base_url + "/"
        wrong = http.get(
            WS,
            params={"api-version": "2025-12-15-preview"},
            headers={"Authorization": f"Bearer {bearer('https://quantum.microsoft.com')}"},
        )
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "Unauthorized"
        data = http.get(
            f"{WS}/providerStatus",
            params={"api-version": "2026-01-15-preview"},
            headers={"Authorization": f"Bearer {bearer('https://quantum.microsoft.com')}"},
        )
        assert data.status_code == 200
        sas = http.post(
            f"{WS}/storage/sasUri",
            params={"api-version": "2026-01-15-preview"},
            headers={"x-ms-quantum-api-key": server.api_key},
            json={"containerName": "tls-c"},
        )
        assert sas.json()["sasUri"].startswith(server.base_url + "/")


def test_official_sdk_with_token_credential_and_arm_endpoint(
    start_workspace_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    from azure.core.credentials import AccessToken
    from azure.quantum import Workspace

    server = start_workspace_server(tmp_path / "data", args=["--tls"])
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "data" / "tls" / "cert.pem"))

    class LocalCredential:
        """Any object with get_token() will do: the token's audience follows the requested scope."""

        def get_token(self, *scopes: str, **_kwargs: Any) -> AccessToken:
            audience = scopes[0].removesuffix("/.default")
            return AccessToken(bearer(audience), int(time.time()) + 3600)

    ws = Workspace(
        subscription_id=SUB,
        resource_group="rg-tls",
        name="ws-tls",
        credential=LocalCredential(),
        arm_endpoint=server.base_url + "/",
    )
    target = ws.get_targets(name="ionq.simulator")
    job = target.submit(BELL, name="over-tls", shots=10)
    job.wait_until_completed(timeout_secs=60)
    assert job.details.status == "Succeeded"
    assert job.details.created_by == "tls@example.com"
    assert job.get_results() == {"histogram": {"0": 0.5, "3": 0.5}}


def test_official_sdk_finds_a_workspace_by_name_alone(
    start_workspace_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Workspace(name=..., credential=..., arm_endpoint=...)`: the SDK asks Resource Graph for the rest."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from azure.core.credentials import AccessToken
    from azure.quantum import Workspace

    server = start_workspace_server(tmp_path / "data", args=["--tls"])
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "data" / "tls" / "cert.pem"))

    class LocalCredential:
        def get_token(self, *scopes: str, **_kwargs: Any) -> AccessToken:
            return AccessToken(bearer(scopes[0].removesuffix("/.default")), int(time.time()) + 3600)

    ws = Workspace(name="ws-by-name", credential=LocalCredential(), arm_endpoint=server.base_url + "/")
    assert ws.location == "eastus"
    assert ws.get_targets(name="ionq.simulator").name == "ionq.simulator"
    with httpx.Client(base_url=server.base_url, verify=str(tmp_path / "data" / "tls" / "cert.pem")) as http:
        answer = http.post(
            "/providers/Microsoft.ResourceGraph/resources",
            params={"api-version": "2021-03-01"},
            headers={"Authorization": f"Bearer {bearer('https://management.azure.com')}"},
            json={"query": "Resources | where name =~ 'ws-x' | where location =~ 'westus'"},
        )
        assert answer.status_code == 200 and answer.json()["data"] == []
        refused = http.post(
            "/providers/Microsoft.ResourceGraph/resources",
            params={"api-version": "2021-03-01"},
            json={"query": "Resources | where name =~ 'ws-x'"},
        )
        assert refused.status_code == 401
