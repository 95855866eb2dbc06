"""Microsoft's own `azure-quantum` SDK, unmodified, against the local workspace over a real socket."""

from __future__ import annotations

import os
import warnings

import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
warnings.filterwarnings("ignore", category=DeprecationWarning)

from azure.core.credentials import AzureKeyCredential  # noqa: E402
from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError  # noqa: E402
from azure.quantum import Workspace  # noqa: E402

pytestmark = pytest.mark.slow

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000a1"
BELL = {"qubits": 2, "circuit": [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]}


def workspace(base_url: str, key: str, name: str = "ws-sdk") -> Workspace:
    return Workspace(
        subscription_id=SUBSCRIPTION,
        resource_group="rg-sdk",
        name=name,
        location="eastus",
        credential=AzureKeyCredential(key),
        _quantum_endpoint=base_url + "/",
    )


@pytest.fixture(scope="module")
def server(workspace_server_session):
    return workspace_server_session


def test_submit_wait_results_on_ionq_simulator(server) -> None:
    base_url, key, _ = server
    target = workspace(base_url, key).get_targets(name="ionq.simulator")

    job = target.submit(BELL, name="bell", shots=100)
    job.wait_until_completed(timeout_secs=60)

    assert job.details.status == "Succeeded"
    assert job.get_results() == {"histogram": {"0": 0.5, "3": 0.5}}


def test_session_with_two_jobs_lists_both_and_closes_succeeded(server) -> None:
    base_url, key, _ = server
    ws = workspace(base_url, key)
    target = ws.get_targets(name="ionq.simulator")

    with target.open_session(name="sdk-session") as session:
        first = target.submit(BELL, name="one", shots=10)
        second = target.submit(BELL, name="two", shots=10)
        first.wait_until_completed(timeout_secs=60)
        second.wait_until_completed(timeout_secs=60)
        listed = {job.id for job in ws.list_session_jobs(session.id)}
        assert listed == {first.id, second.id}

    assert ws.get_session(session.id).details.status == "Succeeded"


def test_unknown_job_is_resource_not_found(server) -> None:
    base_url, key, _ = server
    with pytest.raises(ResourceNotFoundError):
        workspace(base_url, key).get_job("00000000-0000-4000-8000-000000000000")


def test_wrong_key_is_client_authentication_error(server) -> None:
    base_url, _key, _ = server
    with pytest.raises(ClientAuthenticationError):
        workspace(base_url, "not-the-key").get_job("00000000-0000-4000-8000-000000000000")
