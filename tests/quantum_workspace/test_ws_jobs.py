"""Jobs: create (validation, defaults, echo, idempotency), get, list with filters and paging; the worker
running them (Succeeded with rawOutputData, Failed with errorData)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from ws_helpers import API_KEY, BELL, WS, Api, assert_error, new_id

from quantum_workspace.clock import ManualClock, parse_timestamp

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")


def test_create_answers_200_waiting_with_defaults_and_echo(idle_api: Api) -> None:
    job_id = new_id()
    container = f"job-{job_id}"
    body = idle_api.job_body(
        container,
        providerId="IonQ",
        metadata={"qiskit": "True", "num_qubits": "2"},
        inputParams={"shots": 7, "items": [{"entryPoint": "main"}]},
        tags=["t"],
        priority="High",
        name="bell 1",
    )
    del body["inputDataFormat"], body["outputDataFormat"]
    response = idle_api.call("PUT", f"/jobs/{job_id}", json_body=body)
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["id"] == job_id and job["itemType"] == "Job" and job["status"] == "Waiting"
    assert job["jobType"] == "QuantumComputing"
    assert job["inputDataFormat"] == "ionq.circuit.v1"  # the target's default
    assert job["outputDataFormat"] == "ionq.quantum-results.v1"
    for member in ("providerId", "metadata", "inputParams", "tags", "priority", "name", "containerUri"):
        assert job[member] == body[member], member
    assert TIMESTAMP.match(job["creationTime"])
    assert urlsplit(job["outputDataUri"]).path.endswith(f"/{container}/outputData")
    assert idle_api.call("GET", f"/jobs/{job_id}").json() == job


def test_repeat_is_200_and_a_different_body_is_409(idle_api: Api) -> None:
    job_id = new_id()
    body = idle_api.job_body(f"job-{job_id}")
    first = idle_api.call("PUT", f"/jobs/{job_id}", json_body=body)
    again = idle_api.call("PUT", f"/jobs/{job_id}", json_body=body)
    assert again.status_code == 200 and again.json()["creationTime"] == first.json()["creationTime"]
    assert_error(idle_api.call("PUT", f"/jobs/{job_id}", json_body={**body, "name": "other"}), 409, "JobAlreadyExists")


@pytest.mark.parametrize("member", ["name", "providerId", "target", "itemType", "containerUri"])
def test_required_members_are_400(idle_api: Api, member: str) -> None:
    job_id = new_id()
    body = idle_api.job_body(f"job-{job_id}")
    del body[member]
    error = assert_error(idle_api.call("PUT", f"/jobs/{job_id}", json_body=body), 400, "InvalidJobDefinition")
    assert f"'{member}' is required" in error["message"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"itemType": "Session"}, "'itemType'"),
        ({"jobType": "quantum"}, "'jobType'"),
        ({"inputParams": [1]}, "'inputParams' must be a JSON object"),
        ({"metadata": "x"}, "'metadata' must be a JSON object"),
        ({"sessionId": "nope"}, "'sessionId' must be a UUID"),
        ({"id": "11111111-1111-1111-1111-111111111111"}, "differs from the job id"),
        ({"target": "ionq.nowhere"}, "ionq.nowhere"),
        ({"providerId": "nobody"}, "nobody"),
        ({"inputDataFormat": "rigetti.quil.v1"}, "does not accept input format"),
        ({"containerUri": "https://elsewhere.blob.core.windows.net/job-1?sig=x"}, "linked storage"),
        ({"containerUri": "not a url"}, "linked storage"),
        ({"inputDataUri": "https://elsewhere.example/acct/c/b"}, "'inputDataUri'"),
    ],
)
def test_invalid_job_bodies_are_400(idle_api: Api, change: dict[str, object], fragment: str) -> None:
    job_id = new_id()
    body = {**idle_api.job_body(f"job-{job_id}"), **change}
    error = assert_error(idle_api.call("PUT", f"/jobs/{job_id}", json_body=body), 400, "InvalidJobDefinition")
    assert fragment in error["message"]


def test_container_of_another_workspace_is_400(idle_api: Api) -> None:
    other = Api(idle_api.client, WS.replace("ws-test", "ws-other"))
    job_id = new_id()
    body = {**idle_api.job_body(f"job-{job_id}"), "containerUri": other.sas(f"job-{job_id}")}
    assert_error(idle_api.call("PUT", f"/jobs/{job_id}", json_body=body), 400, "InvalidJobDefinition")


def test_read_only_members_are_ignored(idle_api: Api) -> None:
    job_id = new_id()
    body = {
        **idle_api.job_body(f"job-{job_id}"),
        "id": job_id,
        "status": "Succeeded",
        "quantumComputingData": {"count": 5},
        "errorData": {"code": "x", "message": "y"},
        "beginExecutionTime": "2020-01-01T00:00:00Z",
        "isCancelling": True,
    }
    job = idle_api.call("PUT", f"/jobs/{job_id}", json_body=body).json()
    assert job["status"] == "Waiting"
    assert "quantumComputingData" not in job and "errorData" not in job and "beginExecutionTime" not in job


def test_unknown_session_and_mismatched_target_are_400(idle_api: Api) -> None:
    error = assert_error(idle_api.submit(sessionId=new_id()), 400, "InvalidJobDefinition")
    assert "does not exist" in error["message"]
    session_id = new_id()
    idle_api.open_session(session_id, providerId="quantinuum", target="quantinuum.sim.h2-1e")
    error = assert_error(idle_api.submit(sessionId=session_id), 400, "InvalidJobDefinition")
    assert "differs from its session" in error["message"]


def test_unknown_job_is_404(idle_api: Api) -> None:
    assert_error(idle_api.call("GET", f"/jobs/{new_id()}"), 404, "JobNotFound")


def test_jobs_of_a_workspace_are_invisible_to_another(idle_api: Api) -> None:
    job_id = new_id()
    idle_api.submit(job_id=job_id)
    other = Api(idle_api.client, WS.replace("rg-test", "rg-other"))
    assert_error(other.call("GET", f"/jobs/{job_id}"), 404, "JobNotFound")


def test_list_filters_orders_and_pages(idle_api: Api, clock: ManualClock) -> None:
    ids = []
    for index in range(5):
        response = idle_api.submit(
            name=f"{'alpha' if index % 2 == 0 else 'beta'}-{index}",
            providerId="IonQ" if index == 0 else "ionq",
        )
        ids.append(response.json()["id"])
        clock.advance(timedelta(seconds=1))
    listed = idle_api.call("GET", "/jobs").json()
    assert [job["id"] for job in listed["value"]] == ids and "nextLink" not in listed
    alpha = idle_api.call("GET", "/jobs", params={"filter": "startswith(Name, 'alpha') and ProviderId eq 'ionq'"})
    assert [job["id"] for job in alpha.json()["value"]] == [ids[0], ids[2], ids[4]]
    newest = idle_api.call("GET", "/jobs", params={"orderby": "CreationTime desc", "top": "2"}).json()
    assert [job["id"] for job in newest["value"]] == [ids[4], ids[3]]
    carried = parse_qs(urlsplit(newest["nextLink"]).query)
    assert carried["orderby"] == ["CreationTime desc"] and carried["top"] == ["2"] and carried["skip"] == ["2"]
    following = idle_api.client.get(newest["nextLink"], headers={"x-ms-quantum-api-key": API_KEY}).json()
    assert [job["id"] for job in following["value"]] == [ids[2], ids[1]]
    today = parse_timestamp(listed["value"][0]["creationTime"]).date().isoformat()
    dated = idle_api.call("GET", "/jobs", params={"filter": f"CreationTime ge {today} and CreationTime le {today}"})
    assert len(dated.json()["value"]) == 5
    states = idle_api.call("GET", "/jobs", params={"filter": "(State eq 'Succeeded' or State eq 'Failed')"})
    assert states.json()["value"] == []


@pytest.mark.parametrize(
    "text",
    [
        "Name eq",
        "Foo eq 'x'",
        "startswith(Name)",
        "Name eq 'x' and",
        "((Name eq 'x')",
        "CreationTime ge 'soon'",
        "Name eq 3",
        "CreationTime ge null",
        "CreationTime ge 0001-01-01T00:00:00+01:00",
        "CreationTime le '9999-12-31T23:59:59-01:00'",
        "Name eq 'a'" + " or Name eq 'a'" * 1000,
        "Name gt null",
    ],
)
def test_malformed_filters_are_400(idle_api: Api, text: str) -> None:
    error = assert_error(idle_api.call("GET", "/jobs", params={"filter": text}), 400, "InvalidParameter")
    assert "filter" in error["message"]


def test_null_is_compared_with_eq_and_ne(idle_api: Api) -> None:
    job_id = new_id()
    assert idle_api.submit(job_id=job_id).status_code == 200
    listed = {
        text: [job["id"] for job in idle_api.call("GET", "/jobs", params={"filter": text}).json()["value"]]
        for text in ("CreationTime eq null", "CreationTime ne null", "SessionId eq null", "SessionId ne null")
    }
    assert listed == {
        "CreationTime eq null": [],
        "CreationTime ne null": [job_id],
        "SessionId eq null": [job_id],
        "SessionId ne null": [],
    }


def test_malformed_orderby_is_400(idle_api: Api) -> None:
    for text in ("Color asc", "Name sideways", "Name asc desc", "Name asc, Name desc", "Name asc," * 2000):
        assert_error(idle_api.call("GET", "/jobs", params={"orderby": text}), 400, "InvalidParameter")


def test_bell_job_succeeds_with_its_histogram_in_raw_output_data(api: Api) -> None:
    job_id = new_id()
    assert api.submit(BELL, job_id=job_id).status_code == 200
    job = api.wait_job(job_id)
    assert job["status"] == "Succeeded", job
    assert job["quantumComputingData"] == {"count": 1}
    assert parse_timestamp(job["beginExecutionTime"]) <= parse_timestamp(job["endExecutionTime"])
    output = urlsplit(job["outputDataUri"])
    assert output.path.endswith(f"/job-{job_id}/rawOutputData")
    query = parse_qs(output.query)
    assert query["sp"] == ["r"] and query["sr"] == ["b"]
    expiry = parse_timestamp(query["se"][0])
    assert expiry - parse_timestamp(job["endExecutionTime"]) > timedelta(minutes=5)
    download = api.client.get(job["outputDataUri"], headers={"x-ms-range": "bytes=0-33554431"})
    assert download.status_code == 206
    assert json.loads(download.content) == {"histogram": {"0": 0.5, "3": 0.5}}


def test_job_without_input_blob_fails_with_input_data_not_found(api: Api) -> None:
    job_id = new_id()
    api.submit(job_id=job_id, upload=False)
    job = api.wait_job(job_id)
    assert job["status"] == "Failed"
    assert job["errorData"]["code"] == "InputDataNotFound"
    assert "inputData" in job["errorData"]["message"]
    assert urlsplit(job["outputDataUri"]).path.endswith("/outputData")


def test_malformed_program_fails_with_the_targets_error(api: Api) -> None:
    job_id = new_id()
    api.submit({"qubits": 2, "circuit": [{"gate": "warp", "target": 0}]}, job_id=job_id)
    job = api.wait_job(job_id)
    assert job["status"] == "Failed"
    assert job["errorData"]["code"] and job["errorData"]["message"]


def test_input_data_uri_names_the_input_blob(api: Api) -> None:
    job_id = new_id()
    container = f"job-{job_id}"
    api.sas(container)
    assert api.upload(container, json.dumps(BELL).encode(), blob="program.json").status_code == 201
    uri = api.sas(container, "program.json").split("?")[0]
    response = api.call("PUT", f"/jobs/{job_id}", json_body=api.job_body(container, inputDataUri=uri))
    assert response.json()["inputDataUri"] == uri
    assert api.wait_job(job_id)["status"] == "Succeeded"


def test_an_execution_interrupted_by_a_crash_is_run_again_at_start(make_client: object) -> None:
    first = Api(make_client(start_worker=False))  # type: ignore[operator]
    job_id = new_id()
    first.submit(job_id=job_id)
    claimed = first.client.app.state.services.jobs.claim_next()  # type: ignore[attr-defined]
    assert claimed.status == "Executing"  # ... and the process dies here, before the job ends
    restarted = Api(make_client())  # type: ignore[operator]
    job = restarted.wait_job(job_id)
    assert job["status"] == "Succeeded"


def test_a_job_interrupted_too_often_fails_with_a_clear_error(make_client: object) -> None:
    api = Api(make_client(start_worker=False))  # type: ignore[operator]
    job_id = new_id()
    api.submit(job_id=job_id)
    jobs = api.client.app.state.services.jobs  # type: ignore[attr-defined]
    for _ in range(3):
        assert jobs.claim_next().id == job_id
        jobs.requeue_interrupted()
    job = api.call("GET", f"/jobs/{job_id}").json()
    assert job["status"] == "Failed"
    assert job["errorData"]["code"] == "ExecutionInterrupted"


def test_repeating_a_session_job_create_after_its_session_closed_is_200(idle_api: Api) -> None:
    """A retried create answers the job it made, even when its session no longer takes new jobs; a new job
    there is refused."""
    session_id = new_id()
    assert idle_api.open_session(session_id).status_code == 200
    job_id = new_id()
    body = {**idle_api.job_body(f"job-{job_id}"), "sessionId": session_id}
    first = idle_api.call("PUT", f"/jobs/{job_id}", json_body=body)
    assert first.status_code == 200, first.text
    assert idle_api.call("POST", f"/sessions/{session_id}:close").status_code == 200
    again = idle_api.call("PUT", f"/jobs/{job_id}", json_body=body)
    assert again.status_code == 200 and again.json()["creationTime"] == first.json()["creationTime"]
    other = new_id()
    refused = idle_api.call(
        "PUT", f"/jobs/{other}", json_body={**idle_api.job_body(f"job-{other}"), "sessionId": session_id}
    )
    assert_error(refused, 400, "InvalidJobDefinition")
