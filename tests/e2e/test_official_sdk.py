"""Microsoft's own `azure-quantum` SDK, unmodified, against the local workspace over a real socket."""

from __future__ import annotations

import os
import uuid
import warnings

import httpx
import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
warnings.filterwarnings("ignore", category=DeprecationWarning)

from azure.core.exceptions import (  # noqa: E402
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.quantum import Workspace  # noqa: E402

from ._sdk import sdk_workspace  # noqa: E402

pytestmark = pytest.mark.slow

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000a1"
BELL = {"qubits": 2, "circuit": [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]}


def workspace(base_url: str, key: str, name: str = "ws-sdk") -> Workspace:
    return sdk_workspace(base_url, key, subscription_id=SUBSCRIPTION, resource_group="rg-sdk", name=name)


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


LONG_QASM = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
BROKEN = {"qubits": 2, "circuit": [{"gate": "h", "target": 5}]}  # qubit 5 of a 2-qubit circuit: a real failure


def test_abort_policy_fails_the_session_and_refuses_the_next_job(server) -> None:
    base_url, key, _ = server
    ws = workspace(base_url, key, name="ws-abort")
    target = ws.get_targets(name="ionq.simulator")

    session = target.open_session(name="abort", job_failure_policy="Abort")
    failed = target.submit(BROKEN, name="broken", shots=10)
    failed.wait_until_completed(timeout_secs=60)
    assert failed.details.status == "Failed"
    assert failed.details.error_data is not None

    assert ws.get_session(session.id).details.status == "Failed"
    with pytest.raises(HttpResponseError) as refused:
        target.submit(BELL, name="after-failure", shots=10)
    assert refused.value.status_code == 400
    assert "InvalidJobDefinition" in str(refused.value)
    assert [job.id for job in ws.list_session_jobs(session.id)] == [failed.id]


def test_continue_policy_tolerates_failures_and_ends_failed_on_close(server) -> None:
    base_url, key, _ = server
    ws = workspace(base_url, key, name="ws-continue")
    target = ws.get_targets(name="ionq.simulator")

    session = target.open_session(name="continue", job_failure_policy="Continue")
    failed = target.submit(BROKEN, name="broken", shots=10)
    failed.wait_until_completed(timeout_secs=60)
    assert ws.get_session(session.id).details.status == "Failure(s)"
    ok = target.submit(BELL, name="fine", shots=10)
    ok.wait_until_completed(timeout_secs=60)
    assert ok.details.status == "Succeeded"
    assert ws.get_session(session.id).details.status == "Failure(s)"

    ws.close_session(session)
    assert ws.get_session(session.id).details.status == "Failed"


def test_update_cancel_and_delete_through_the_sdk(server) -> None:
    base_url, key, _ = server
    ws = workspace(base_url, key, name="ws-manage")
    target = ws.get_targets(name="ionq.simulator")
    job = target.submit(BELL, name="to-update", shots=10)

    updated = ws.update_job(job, name="renamed", priority="High", tags=["a", "b"])
    assert (updated.details.name, updated.details.priority, updated.details.tags) == ("renamed", "High", ["a", "b"])
    assert ws.get_job(job.id).details.name == "renamed"

    job.wait_until_completed(timeout_secs=60)
    with pytest.raises(HttpResponseError):  # a finished job cannot be cancelled
        ws.cancel_job(job)
    assert ws.get_job(job.id).details.status == "Succeeded"

    emulator = ws.get_targets(name="quantinuum.sim.h2-1e")
    waiting = emulator.submit(LONG_QASM, name="to-delete", shots=300_000)  # seconds of work: time to delete it
    ws.delete_job(waiting)  # the pre-2025-12 cancellation: 204, and the job stays listed as cancelled
    deleted = ws.get_job(waiting.id)
    deleted.wait_until_completed(timeout_secs=60)
    assert deleted.details.status == "Cancelled"
    assert deleted.details.cancellation_time is not None

    unfinished = emulator.submit(LONG_QASM, name="to-cancel", shots=300_000)
    cancelled = ws.cancel_job(unfinished)  # POST :cancel, the job read back after it
    assert cancelled.details.status in ("Cancelled", "CancellationRequested")
    cancelled.wait_until_completed(timeout_secs=60)
    assert ws.get_job(unfinished.id).details.status == "Cancelled"
    assert ws.get_job(unfinished.id).details.cancellation_time is not None


def test_filtered_listing_pages_beyond_100_jobs(server) -> None:
    base_url, key, _ = server
    ws = workspace(base_url, key, name="ws-paging")
    prefix = f"page-{uuid.uuid4().hex[:8]}"
    jobs_url = (f"{base_url}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-sdk/providers/Microsoft.Quantum/"
                f"workspaces/ws-paging")
    with httpx.Client(headers={"x-ms-quantum-api-key": key}, params={"api-version": "2026-01-15-preview"}) as http:
        sas = http.post(f"{jobs_url}/storage/sasUri", json={"containerName": "paging"}).json()["sasUri"]
        for index in range(105):  # no input blob: each job fails fast, for a real reason
            body = {"name": f"{prefix}-{index:03d}", "providerId": "ionq", "target": "ionq.simulator",
                    "itemType": "Job", "containerUri": sas, "inputDataFormat": "ionq.circuit.v1"}
            response = http.put(f"{jobs_url}/jobs/{uuid.uuid4()}", json=body)
            assert response.status_code in (200, 201), response.text
        decoy = {"name": "other-job", "providerId": "ionq", "target": "ionq.simulator", "itemType": "Job",
                 "containerUri": sas}
        assert http.put(f"{jobs_url}/jobs/{uuid.uuid4()}", json=decoy).status_code in (200, 201)

    listed = ws.list_jobs(name_match=prefix, provider=["IonQ"], orderby_property="Name", is_asc=True)

    names = [job.details.name for job in listed]
    assert names == [f"{prefix}-{index:03d}" for index in range(105)]


def test_top_level_items_are_sessions_and_jobs_outside_sessions(server) -> None:
    base_url, key, _ = server
    ws = workspace(base_url, key, name="ws-items")
    target = ws.get_targets(name="ionq.simulator")
    loose = target.submit(BELL, name="loose", shots=10)
    with target.open_session(name="grouped") as session:
        inside = target.submit(BELL, name="inside", shots=10)
        inside.wait_until_completed(timeout_secs=60)

    items = {item.id: item for item in ws.list_top_level_items()}

    assert loose.id in items and session.id in items
    assert inside.id not in items
    assert items[loose.id].item_type == "Job"
    assert items[session.id].item_type == "Session"
