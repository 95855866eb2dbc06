"""The rest of the data plane: Jobs_Update, Jobs_Cancel, Jobs_Delete, TopLevelItems_Listv2, Providers_List,
quotas and the subscription-level suite offers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ws_helpers import API_KEY, SUB, Api, assert_error, new_id

from quantum_workspace.clock import ManualClock


def test_update_is_a_merge_patch_of_name_priority_and_tags(idle_api: Api) -> None:
    job_id = new_id()
    idle_api.submit(job_id=job_id, tags=["a"], name="before")
    patch = {"name": "after", "priority": "High"}
    response = idle_api.call(
        "PATCH", f"/jobs/{job_id}", json_body=patch, headers={"content-type": "application/merge-patch+json"}
    )
    assert response.status_code == 200
    assert response.json() == {"name": "after", "priority": "High", "tags": ["a"]}
    job = idle_api.call("GET", f"/jobs/{job_id}").json()
    assert (job["name"], job["priority"], job["tags"]) == ("after", "High", ["a"])
    cleared = idle_api.call("PATCH", f"/jobs/{job_id}", json_body={"tags": None, "status": "Succeeded"}).json()
    assert cleared["tags"] == [] and cleared["name"] == "after"
    assert idle_api.call("GET", f"/jobs/{job_id}").json()["status"] == "Waiting"


@pytest.mark.parametrize(
    ("patch", "fragment"),
    [
        ({"name": None}, "'name' cannot be removed"),
        ({"priority": "Urgent"}, "'priority'"),
        ({"tags": [1]}, "'tags'"),
        ({"metadata": {"a": "b"}}, "'metadata' cannot be changed"),
        ({"target": "ionq.qpu.aria-1"}, "'target' cannot be changed"),
    ],
)
def test_invalid_updates_are_400(idle_api: Api, patch: dict[str, object], fragment: str) -> None:
    job_id = new_id()
    idle_api.submit(job_id=job_id)
    error = assert_error(idle_api.call("PATCH", f"/jobs/{job_id}", json_body=patch), 400, "InvalidJobDefinition")
    assert fragment in error["message"]


def test_update_cancel_delete_of_unknown_job_are_404(idle_api: Api) -> None:
    unknown = new_id()
    assert_error(idle_api.call("PATCH", f"/jobs/{unknown}", json_body={"name": "x"}), 404, "JobNotFound")
    assert_error(idle_api.call("POST", f"/jobs/{unknown}:cancel"), 404, "JobNotFound")
    assert_error(idle_api.call("DELETE", f"/jobs/{unknown}"), 404, "JobNotFound")


def test_cancel_a_waiting_job(idle_api: Api) -> None:
    job_id = new_id()
    idle_api.submit(job_id=job_id)
    response = idle_api.call("POST", f"/jobs/{job_id}:cancel")
    assert response.status_code == 200
    job = response.json()
    assert job["status"] == "Cancelled" and "cancellationTime" in job and "endExecutionTime" in job
    assert_error(idle_api.call("POST", f"/jobs/{job_id}:cancel"), 409, "JobAlreadyFinished")


def test_cancel_an_executing_job_waits_for_its_run(idle_api: Api) -> None:
    job_id = new_id()
    idle_api.submit(job_id=job_id)
    jobs = idle_api.client.app.state.services.jobs  # type: ignore[attr-defined]
    claimed = jobs.claim_next()
    assert claimed.id == job_id and claimed.status == "Executing"
    assert idle_api.call("POST", f"/jobs/{job_id}:cancel").json()["status"] == "CancellationRequested"
    finished = jobs.complete(claimed, output_format="ionq.quantum-results.v1", content_type="application/json")
    assert finished.status == "Cancelled"
    assert idle_api.call("GET", f"/jobs/{job_id}").json()["status"] == "Cancelled"


def test_delete_answers_204_and_keeps_the_job_listed_cancelled(idle_api: Api) -> None:
    job_id = new_id()
    idle_api.submit(job_id=job_id)
    response = idle_api.call("DELETE", f"/jobs/{job_id}")
    assert response.status_code == 204 and response.content == b""
    assert idle_api.call("GET", f"/jobs/{job_id}").json()["status"] == "Cancelled"
    assert idle_api.call("DELETE", f"/jobs/{job_id}").status_code == 204


def test_cancelled_job_lets_a_closed_session_settle(idle_api: Api) -> None:
    session_id, job_id = new_id(), new_id()
    idle_api.open_session(session_id)
    idle_api.submit(job_id=job_id, sessionId=session_id)
    assert idle_api.call("POST", f"/sessions/{session_id}:close").json()["status"] == "Waiting"
    idle_api.call("POST", f"/jobs/{job_id}:cancel")
    assert idle_api.call("GET", f"/sessions/{session_id}").json()["status"] == "Succeeded"


def test_top_level_items_are_sessions_and_jobs_outside_sessions(idle_api: Api, clock: ManualClock) -> None:
    session_id = new_id()
    idle_api.open_session(session_id)
    clock.advance(timedelta(seconds=1))
    inside = idle_api.submit(sessionId=session_id).json()["id"]
    clock.advance(timedelta(seconds=1))
    outside = idle_api.submit().json()["id"]
    items = idle_api.call("GET", "/topLevelItems").json()["value"]
    assert [(item["id"], item["itemType"]) for item in items] == [(session_id, "Session"), (outside, "Job")]
    assert inside not in {item["id"] for item in items}
    jobs_only = idle_api.call("GET", "/topLevelItems", params={"filter": "ItemType eq 'Job'"}).json()["value"]
    assert [item["id"] for item in jobs_only] == [outside]


def test_providers_list_reports_the_catalog_in_lower_case(api: Api) -> None:
    response = api.call("GET", "/providerStatus")
    assert response.status_code == 200
    providers = {p["id"]: p for p in response.json()["value"]}
    assert "ionq" in providers and all(pid == pid.lower() for pid in providers)
    simulator = {t["id"]: t for t in providers["ionq"]["targets"]}["ionq.simulator"]
    assert simulator["currentAvailability"] == "Available"
    assert isinstance(simulator["averageQueueTime"], int) and simulator["numQubits"] >= 2


def test_quotas_and_quota_usages_answer_paged_lists(api: Api) -> None:
    assert isinstance(api.call("GET", "/quotas").json()["value"], list)
    assert isinstance(api.call("GET", "/quotaUsages", params={"providerId": "ionq"}).json()["value"], list)
    assert_error(api.call("GET", "/quotaUsages"), 400, "InvalidParameter")
    assert_error(api.call("GET", "/quotaUsages", params={"providerId": "nobody"}), 404, "ProviderNotFound")


def test_suite_offers_are_per_subscription(api: Api) -> None:
    base = f"/subscriptions/{SUB}/providers/Microsoft.Quantum/suiteOffers"
    headers = {"x-ms-quantum-api-key": API_KEY}
    params = {"api-version": "2026-01-15-preview"}
    status = api.client.get(f"{base}/IonQ/providerStatus", params=params, headers=headers)
    assert status.status_code == 200 and status.json()["id"] == "ionq"
    usages = api.client.get(f"{base}/ionq/quotaUsages", params=params, headers=headers)
    assert usages.status_code == 200 and isinstance(usages.json()["value"], list)
    assert_error(
        api.client.get(f"{base}/nobody/providerStatus", params=params, headers=headers),
        404,
        "ProviderNotFound",
    )
    assert_error(api.client.get(f"{base}/ionq/providerStatus", params=params), 401, "Unauthorized")
    bad_sub = "/subscriptions/nope/providers/Microsoft.Quantum/suiteOffers/ionq/providerStatus"
    assert_error(api.client.get(bad_sub, params=params, headers=headers), 400, "InvalidParameter")


def test_a_polled_job_never_shows_a_stale_answer(idle_api: Api) -> None:
    """Job GETs are cached per stored revision: every change must show on the next GET, even when the
    clock has not moved (the manual clock here)."""
    job_id = new_id()
    idle_api.submit(job_id=job_id, name="first")
    seen = [idle_api.call("GET", f"/jobs/{job_id}").json()]
    idle_api.call("PATCH", f"/jobs/{job_id}", json_body={"name": "second"})
    seen.append(idle_api.call("GET", f"/jobs/{job_id}").json())
    idle_api.client.app.state.services.jobs.claim_next()  # type: ignore[attr-defined]
    seen.append(idle_api.call("GET", f"/jobs/{job_id}").json())
    idle_api.call("POST", f"/jobs/{job_id}:cancel")
    seen.append(idle_api.call("GET", f"/jobs/{job_id}").json())
    assert [(job["name"], job["status"]) for job in seen] == [
        ("first", "Waiting"),
        ("second", "Waiting"),
        ("second", "Executing"),
        ("second", "CancellationRequested"),
    ]
