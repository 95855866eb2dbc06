"""Sessions: open (idempotent), get, close, list; failure policies and the idle timeout (§6.5)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from test_ws_execution import LONG
from ws_helpers import BELL, WS, Api, assert_error, new_id

from quantum_workspace.clock import ManualClock, parse_timestamp

AppFactory = Callable[..., TestClient]

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")


def test_open_answers_200_with_the_session_waiting(api: Api) -> None:
    session_id = new_id()
    response = api.open_session(session_id, name="my session", providerId="IonQ", tags=["a"], priority="High")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == session_id
    assert body["status"] == "Waiting"
    assert body["itemType"] == "Session"
    assert body["jobFailurePolicy"] == "Abort"  # the default when the client omits it
    assert body["providerId"] == "IonQ"  # echoed as sent
    assert (body["name"], body["tags"], body["priority"]) == ("my session", ["a"], "High")
    assert TIMESTAMP.match(body["creationTime"])
    assert api.call("GET", f"/sessions/{session_id}").json() == body


def test_identical_repeat_is_200_and_a_different_body_is_409(api: Api) -> None:
    session_id = new_id()
    first = api.open_session(session_id, jobFailurePolicy="Continue").json()
    again = api.open_session(session_id, jobFailurePolicy="Continue")
    assert again.status_code == 200 and again.json() == first
    assert api.open_session(session_id, providerId="IONQ", jobFailurePolicy="Continue").status_code == 200
    assert_error(api.open_session(session_id, jobFailurePolicy="Abort"), 409, "SessionAlreadyExists")


def test_missing_policy_and_explicit_default_are_the_same_request(api: Api) -> None:
    session_id = new_id()
    api.open_session(session_id)
    assert api.open_session(session_id, jobFailurePolicy="Abort").status_code == 200


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"name": None}, "'name' is required"),
        ({"providerId": None}, "'providerId' is required"),
        ({"target": None}, "'target' is required"),
        ({"itemType": None}, "'itemType' is required"),
        ({"itemType": "Job"}, "'itemType' must be one of Session"),
        ({"jobFailurePolicy": "abort"}, "'jobFailurePolicy' must be one of Abort, Continue"),
        ({"name": 42}, "'name' must be a non-empty string"),
        ({"tags": "x"}, "'tags' must be an array of strings"),
        ({"priority": "Low"}, "'priority'"),
        ({"id": "11111111-1111-1111-1111-111111111111"}, "differs from the session id in the path"),
    ],
)
def test_invalid_session_bodies_are_400(api: Api, change: dict[str, object], fragment: str) -> None:
    body = {"name": "s", "providerId": "ionq", "target": "ionq.simulator", "itemType": "Session"}
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    error = assert_error(
        api.call("PUT", f"/sessions/{new_id()}", json_body=body), 400, "InvalidSessionDefinition"
    )
    assert fragment in error["message"]


def test_all_problems_are_reported_at_once(api: Api) -> None:
    error = assert_error(api.call("PUT", f"/sessions/{new_id()}", json_body={}), 400)
    for name in ("name", "providerId", "target", "itemType"):
        assert f"'{name}' is required" in error["message"]


def test_unknown_target_is_400_naming_it(api: Api) -> None:
    error = assert_error(api.open_session(target="ionq.nothing"), 400, "InvalidSessionDefinition")
    assert "ionq.nothing" in error["message"]


def test_body_id_equal_to_path_and_read_only_members_are_accepted(api: Api) -> None:
    session_id = new_id()
    response = api.open_session(
        session_id,
        id=session_id.upper(),
        status="Succeeded",
        creationTime="yesterday",
        endExecutionTime="2000-01-01T00:00:00Z",
        costEstimate={"x": 1},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "Waiting"
    assert "endExecutionTime" not in response.json()


def test_unknown_session_is_404(api: Api) -> None:
    assert_error(api.call("GET", f"/sessions/{new_id()}"), 404, "SessionNotFound")
    assert_error(api.call("POST", f"/sessions/{new_id()}:close"), 404, "SessionNotFound")
    assert_error(api.call("GET", f"/sessions/{new_id()}/jobs"), 404, "SessionNotFound")


def test_close_an_empty_session_succeeds_and_close_again_is_unchanged(idle_api: Api) -> None:
    session_id = new_id()
    idle_api.open_session(session_id)
    closed = idle_api.call("POST", f"/sessions/{session_id}:close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "Succeeded"
    assert "endExecutionTime" in closed.json()
    assert idle_api.call("POST", f"/sessions/{session_id}:close").json() == closed.json()


def test_closed_session_rejects_new_jobs(idle_api: Api) -> None:
    session_id = new_id()
    idle_api.open_session(session_id)
    idle_api.call("POST", f"/sessions/{session_id}:close")
    error = assert_error(idle_api.submit(sessionId=session_id), 400, "InvalidJobDefinition")
    assert "terminal state" in error["message"]


def test_close_while_a_job_waits_keeps_the_session_open_until_it_ends(idle_api: Api) -> None:
    session_id = new_id()
    idle_api.open_session(session_id)
    assert idle_api.submit(sessionId=session_id).status_code == 200
    closed = idle_api.call("POST", f"/sessions/{session_id}:close").json()
    assert closed["status"] == "Waiting"
    assert_error(idle_api.submit(sessionId=session_id), 400, "InvalidJobDefinition")


def test_sessions_of_a_workspace_are_invisible_to_another(api: Api) -> None:
    session_id = new_id()
    api.open_session(session_id)
    other = Api(api.client, WS.replace("ws-test", "ws-other"))
    assert_error(other.call("GET", f"/sessions/{session_id}"), 404, "SessionNotFound")
    assert other.call("GET", "/sessions").json()["value"] == []
    upper = Api(api.client, WS.replace("ws-test", "WS-TEST"))  # resource names are case-insensitive
    assert upper.call("GET", f"/sessions/{session_id}").status_code == 200


def test_idle_session_times_out(idle_api: Api, clock: ManualClock) -> None:
    session_id = new_id()
    idle_api.open_session(session_id)
    clock.advance(timedelta(minutes=9, seconds=59))
    assert idle_api.call("GET", f"/sessions/{session_id}").json()["status"] == "Waiting"
    clock.advance(timedelta(seconds=1))
    timed_out = idle_api.call("GET", f"/sessions/{session_id}").json()
    assert timed_out["status"] == "TimedOut"
    assert "endExecutionTime" in timed_out
    assert_error(idle_api.submit(sessionId=session_id), 400, "InvalidJobDefinition")
    assert idle_api.call("POST", f"/sessions/{session_id}:close").json()["status"] == "TimedOut"


def test_a_session_idle_past_its_timeout_refuses_a_job_unread(idle_api: Api, clock: ManualClock) -> None:
    """No GET or sweep has seen the timeout yet: the submit itself ends the session, and says so."""
    session_id = new_id()
    idle_api.open_session(session_id)
    clock.advance(timedelta(minutes=10))
    submitted_at = clock.now()
    error = assert_error(idle_api.submit(sessionId=session_id), 400, "InvalidJobDefinition")
    assert "TimedOut" in error["message"]
    clock.advance(timedelta(minutes=5))
    session = idle_api.call("GET", f"/sessions/{session_id}").json()
    assert session["status"] == "TimedOut"
    assert parse_timestamp(session["endExecutionTime"]) == submitted_at  # ended by the submit, and kept
    assert idle_api.call("GET", f"/sessions/{session_id}/jobs").json()["value"] == []


def test_a_waiting_job_holds_off_the_timeout_and_submission_restarts_it(
    idle_api: Api, clock: ManualClock
) -> None:
    session_id = new_id()
    idle_api.open_session(session_id)
    clock.advance(timedelta(minutes=8))
    idle_api.submit(sessionId=session_id)
    clock.advance(timedelta(minutes=30))
    assert idle_api.call("GET", f"/sessions/{session_id}").json()["status"] == "Waiting"


def test_list_sessions_pages_with_a_next_link(idle_api: Api, clock: ManualClock) -> None:
    ids = []
    for _ in range(5):
        ids.append(idle_api.open_session().json()["id"])
        clock.advance(timedelta(seconds=1))
    first = idle_api.call("GET", "/sessions", params={"top": "2"}).json()
    assert [s["id"] for s in first["value"]] == ids[:2]
    seen = [s["id"] for s in first["value"]]
    link = first["nextLink"]
    while link:
        page = idle_api.client.get(link, headers={"x-ms-quantum-api-key": idle_api.key}).json()
        seen += [s["id"] for s in page["value"]]
        link = page.get("nextLink")
    assert seen == ids
    assert "nextLink" not in idle_api.call("GET", "/sessions").json()


def test_session_runs_its_job_and_succeeds_on_close(api: Api) -> None:
    session_id = new_id()
    api.open_session(session_id)
    job_id = new_id()
    assert api.submit(BELL, job_id=job_id, sessionId=session_id).status_code == 200
    assert api.wait_job(job_id)["status"] == "Succeeded"
    assert api.call("GET", f"/sessions/{session_id}").json()["status"] == "Executing"
    listed = api.call("GET", f"/sessions/{session_id}/jobs").json()
    assert [job["id"] for job in listed["value"]] == [job_id]
    closed = api.call("POST", f"/sessions/{session_id}:close").json()
    assert closed["status"] == "Succeeded"


def test_abort_policy_fails_the_session_on_the_first_failure(api: Api) -> None:
    session_id = new_id()
    api.open_session(session_id)
    bad = new_id()
    api.submit(b"not a circuit", job_id=bad, sessionId=session_id)
    assert api.wait_job(bad)["status"] == "Failed"
    session = api.wait_session(session_id, ("Failed",))
    assert session["status"] == "Failed"
    assert "endExecutionTime" in session
    error = assert_error(api.submit(sessionId=session_id), 400, "InvalidJobDefinition")
    assert "terminal state" in error["message"]
    assert len(api.call("GET", f"/sessions/{session_id}/jobs").json()["value"]) == 1


def test_abort_policy_cancels_the_sessions_unfinished_jobs(make_client: AppFactory) -> None:
    """Two worker threads, each on a long job that times out after 3 s, and a third job waiting: the first
    timeout fails the session and cancels the other two (the executing one's simulation is stopped)."""
    api = Api(make_client(worker_threads=2, job_timeout=3))
    session_id = new_id()
    api.open_session(session_id)
    long_ones, waiting = [new_id(), new_id()], new_id()
    for job_id in long_ones:
        assert api.submit(LONG, job_id=job_id, sessionId=session_id).status_code == 200
    assert api.submit(BELL, job_id=waiting, sessionId=session_id).status_code == 200

    assert api.wait_session(session_id, ("Failed",))["status"] == "Failed"
    ended = [api.wait_job(job_id) for job_id in long_ones]
    failed = [job for job in ended if job["status"] == "Failed"]
    assert len(failed) == 1 and failed[0]["errorData"]["code"] == "ExecutionTimedOut", ended  # whichever ran out first
    for job in [*(job for job in ended if job is not failed[0]), api.wait_job(waiting)]:
        assert job["status"] == "Cancelled", job
        assert job["cancellationTime"] is not None


def test_continue_policy_records_failures_then_fails_on_close(api: Api) -> None:
    session_id = new_id()
    api.open_session(session_id, jobFailurePolicy="Continue")
    bad, good = new_id(), new_id()
    api.submit(b"not a circuit", job_id=bad, sessionId=session_id)
    assert api.wait_job(bad)["status"] == "Failed"
    assert api.wait_session(session_id, ("Failure(s)",))["status"] == "Failure(s)"
    assert api.submit(job_id=good, sessionId=session_id).status_code == 200
    assert api.wait_job(good)["status"] == "Succeeded"
    assert api.call("GET", f"/sessions/{session_id}").json()["status"] == "Failure(s)"
    assert api.call("POST", f"/sessions/{session_id}:close").json()["status"] == "Failed"
