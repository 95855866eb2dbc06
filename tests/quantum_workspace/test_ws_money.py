"""Money and limits: every finished job carries its cost estimate in the provider's units, and quotas
report and enforce per-provider usage."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ws_helpers import BELL, Api, job_record, new_id

from quantum_workspace.clock import ManualClock
from quantum_workspace.service import QuotaService, parse_quota
from quantum_workspace.store import open_sqlite_store

AppFactory = Callable[..., TestClient]


def _events(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {event["dimensionId"]: event for event in job["costEstimate"]["events"]}


def test_an_ionq_qpu_job_costs_its_gate_shots_and_the_program_minimum(api: Api) -> None:
    job_id = new_id()
    assert api.submit(BELL, job_id=job_id, target="ionq.qpu.aria-1", inputParams={"shots": 100}).status_code == 200

    job = api.wait_job(job_id)

    assert job["status"] == "Succeeded", job
    assert job["costEstimate"]["currencyCode"] == "USD"
    events = _events(job)
    assert set(events) == {"gs1q", "gs2q", "program"}
    assert events["gs1q"]["amountBilled"] == 100 and events["gs1q"]["unitPrice"] == 0.00022
    assert events["gs2q"]["amountBilled"] == 100 and events["gs2q"]["unitPrice"] == 0.000975
    assert events["program"]["amountBilled"] == 1 and events["program"]["unitPrice"] == 97.5
    assert job["costEstimate"]["estimatedTotal"] == round(100 * 0.00022 + 100 * 0.000975 + 97.5, 6)


def test_a_simulator_job_is_free_but_reports_what_it_consumed(api: Api) -> None:
    job_id = new_id()
    assert api.submit(BELL, job_id=job_id, inputParams={"shots": 50}).status_code == 200

    job = api.wait_job(job_id)

    assert job["status"] == "Succeeded", job
    assert job["costEstimate"]["estimatedTotal"] == 0
    events = _events(job)
    assert events["gs1q"]["amountConsumed"] == 50 and events["gs1q"]["amountBilled"] == 0
    assert events["gs2q"]["amountConsumed"] == 50 and events["gs2q"]["amountBilled"] == 0


def test_a_failed_job_has_no_cost_estimate(api: Api) -> None:
    job_id = new_id()
    api.submit(b"not json", job_id=job_id)

    job = api.wait_job(job_id)

    assert job["status"] == "Failed"
    assert job.get("costEstimate") is None


# -- quotas ------------------------------------------------------------------------------------------------


def _quotas(api: Api) -> dict[tuple[str, str], dict[str, Any]]:
    response = api.call("GET", "/quotas")
    assert response.status_code == 200, response.text
    return {(quota["providerId"], quota["dimension"]): quota for quota in response.json()["value"]}


def test_quotas_default_to_the_ionq_qgs_limit(api: Api) -> None:
    assert _quotas(api) == {
        ("ionq", "qgs"): {
            "dimension": "qgs",
            "scope": "Workspace",
            "providerId": "ionq",
            "utilization": 0.0,
            "holds": 0.0,
            "limit": 16666667.0,
            "period": "Monthly",
        }
    }


def test_usage_counts_billed_qubit_gate_shots_and_a_job_past_the_limit_fails(make_client: AppFactory) -> None:
    api = Api(make_client(quotas=(("ionq", "qgs", 1000.0), ("quantinuum", "hqc", 50.0))))
    first, simulated, second = new_id(), new_id(), new_id()
    api.submit(BELL, job_id=first, target="ionq.qpu.aria-1", inputParams={"shots": 100})
    assert api.wait_job(first)["status"] == "Succeeded"
    api.submit(BELL, job_id=simulated, inputParams={"shots": 1000})  # free: bills no gate-shots
    assert api.wait_job(simulated)["status"] == "Succeeded"

    quotas = _quotas(api)
    # 100 shots of one 1q gate and one 2q gate: 100 + 2 * 100 qubit-gate-shots
    assert quotas[("ionq", "qgs")]["utilization"] == 300
    assert quotas[("ionq", "qgs")]["limit"] == 1000 and quotas[("ionq", "qgs")]["holds"] == 0
    assert quotas[("quantinuum", "hqc")]["utilization"] == 0

    api.submit(BELL, job_id=second, target="ionq.qpu.aria-1", inputParams={"shots": 300})  # needs 900
    job = api.wait_job(second)

    assert job["status"] == "Failed", job
    assert job["errorData"]["code"] == "QuotaExceeded"
    message = job["errorData"]["message"]
    assert "'ionq'" in message and "'qgs'" in message and "300" in message and "1000" in message
    assert _quotas(api)[("ionq", "qgs")]["utilization"] == 300
    assert api.client.get(api.sas(f"job-{second}", "rawOutputData")).status_code == 404


def test_a_running_job_holds_its_estimate(make_client: AppFactory) -> None:
    from test_ws_execution import LONG

    api = Api(make_client(worker_threads=1))
    job_id = new_id()
    api.submit(LONG, job_id=job_id, target="ionq.qpu.forte-1", inputParams={"shots": 10})
    end = time.monotonic() + 60
    held = 0.0
    while held == 0 and time.monotonic() < end:
        held = _quotas(api)[("ionq", "qgs")]["holds"]
        time.sleep(0.02)
    api.call("POST", f"/jobs/{job_id}:cancel")

    # 400 layers of 20 rotations and 19 CNOTs, 10 shots
    assert held == 10 * (400 * 20 + 2 * 400 * 19)
    assert api.wait_job(job_id)["status"] == "Cancelled"
    after = _quotas(api)[("ionq", "qgs")]
    assert (after["holds"], after["utilization"]) == (0, 0)  # a cancelled job neither holds nor uses quota


def test_quota_syntax() -> None:
    assert parse_quota("IonQ:qgs=1e6") == ("ionq", "qgs", 1_000_000.0)
    for bad in ("ionq:qgs", "ionq=5", ":qgs=5", "ionq:qgs=-1", "ionq:qgs=lots", "ionq:qgs=inf"):
        with pytest.raises(ValueError, match="PROVIDER:DIMENSION=LIMIT"):
            parse_quota(bad)


def test_usage_counts_only_this_months_jobs_of_the_limited_provider(tmp_path: Path) -> None:
    """The store is asked for this month's jobs of the provider only (admission once read every job the
    workspace ever had); last month's usage and other providers' estimates count for nothing."""
    store = open_sqlite_store(tmp_path / "quota.db")
    clock = ManualClock(datetime(2026, 12, 15, 12, 0, tzinfo=UTC))
    quotas = QuotaService(store, clock, [("ionq", "qgs", 10_000.0)])
    billed = {"currencyCode": "USD", "events": [{"dimensionId": "gs1q", "amountBilled": 100.0}]}

    def stored(job_id: str, provider: str, created: datetime, status: str = "Succeeded") -> None:
        with store.write() as writer:
            record = job_record(job_id, provider_id=provider, creation_time=created, status=status)
            writer.insert_job(record.replace(cost_estimate=billed))

    stored("last-month", "ionq", datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    stored("this-month", "IonQ", datetime(2026, 12, 1, 0, 0, tzinfo=UTC))  # provider ids match in any case
    stored("running", "ionq", datetime(2026, 12, 15, 11, 0, tzinfo=UTC), status="Executing")
    stored("other-provider", "quantinuum", datetime(2026, 12, 2, tzinfo=UTC))
    try:
        (row,) = quotas.quotas("ws")
        assert (row["providerId"], row["utilization"], row["holds"]) == ("ionq", 100.0, 100.0)
    finally:
        store.close()
