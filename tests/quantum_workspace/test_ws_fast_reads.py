"""Jobs_Get answered before the framework (api/_fast.py) must be indistinguishable from the route it
stands in for: same status, body, error code and content type for good and bad requests alike. The
reference is the same app with the fast path taken out, over the same data directory and clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ws_helpers import API_KEY, API_VERSION, SUB, WS, Api, new_id

from quantum_workspace.api import create_app
from quantum_workspace.api._fast import FastJobGet
from quantum_workspace.clock import ManualClock
from quantum_workspace.config import Settings

Request = tuple[str, dict[str, str], dict[str, str]]
#: The service checks a token's shape, audience and lifetime, not its signature.
_SIGNING_KEY = "a key the service never sees, long enough for HS256"


def _app(data_dir: Path, clock: ManualClock, *, fast: bool) -> FastAPI:
    app = create_app(Settings(data_dir=data_dir, api_keys=(API_KEY,), start_worker=False), clock=clock)
    if not fast:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not FastJobGet]
    return app


@pytest.fixture
def clients(tmp_path: Path) -> Iterator[tuple[TestClient, TestClient, str]]:
    """(with the fast path, without it, the id of a job both can read)."""
    clock = ManualClock()
    fast = TestClient(_app(tmp_path / "data", clock, fast=True))
    reference = TestClient(_app(tmp_path / "data", clock, fast=False))
    with fast, reference:
        api = Api(fast)
        job_id = new_id()
        body = {
            "name": "fast",
            "providerId": "ionq",
            "target": "ionq.simulator",
            "itemType": "Job",
            "containerUri": api.sas("fast-reads"),
            "inputDataFormat": "ionq.circuit.v1",
            "tags": ["t"],
        }
        assert api.call("PUT", f"/jobs/{job_id}", json_body=body).status_code == 200
        yield fast, reference, job_id


def _token(audience: str) -> str:
    return jwt.encode(
        {"aud": audience, "upn": "someone@example.test"},
        "the signature is not checked by the service",
        algorithm="HS256",
    )


def _cases(job_id: str) -> dict[str, Request]:
    key = {"x-ms-quantum-api-key": API_KEY}
    version = {"api-version": API_VERSION}
    job = f"{WS}/jobs/{job_id}"
    other_ws = f"/subscriptions/{SUB}/resourceGroups/rg-other/providers/Microsoft.Quantum/workspaces/ws-test"
    return {
        "found": (job, version, key),
        "id in upper case": (f"{WS}/jobs/{job_id.upper()}", version, key),
        "other host": (job, version, {**key, "host": "quantum.example.test:8443"}),
        "bearer token": (job, version, {"authorization": f"Bearer {_token('https://quantum.microsoft.com')}"}),
        "token for another audience": (job, version, {"authorization": f"Bearer {_token('https://example.test')}"}),
        "no credentials": (job, version, {}),
        "wrong key": (job, version, {"x-ms-quantum-api-key": "nope"}),
        "wrong key and no api-version": (job, {}, {"x-ms-quantum-api-key": "nope"}),
        "no api-version": (job, {}, key),
        "empty api-version": (job, {"api-version": ""}, key),
        "unsupported api-version": (job, {"api-version": "2019-01-01"}, key),
        "unsupported api-version and bad id": (f"{WS}/jobs/not-a-guid", {"api-version": "2019-01-01"}, key),
        "earlier preview": (job, {"api-version": "2024-10-01-preview"}, key),
        "unknown job": (f"{WS}/jobs/{new_id()}", version, key),
        "other workspace": (f"{other_ws}/jobs/{job_id}", version, key),
        "id too long": (f"{WS}/jobs/{'a' * 37}", version, key),
        "id not a guid": (f"{WS}/jobs/not-a-guid", version, key),
        "id with a colon": (f"{WS}/jobs/{job_id}:cancel", version, key),
        "bad subscription and id": (
            "/subscriptions/nope/resourceGroups/rg/providers/Microsoft.Quantum/workspaces/ws/jobs/x",
            version,
            key,
        ),
        "bad workspace name": (
            f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Quantum/workspaces/w/jobs/{job_id}",
            version,
            key,
        ),
        "trailing slash": (f"{job}/", version, key),
        "other query parameters": (job, {**version, "top": "x", "filter": "'"}, key),
    }


def _answer(client: TestClient, method: str, request: Request) -> tuple[int, Any, str | None, str | None]:
    path, params, headers = request
    response = client.request(method, path, params=params, headers=headers)
    body: Any = response.json() if response.content else None
    return response.status_code, body, response.headers.get("content-type"), response.headers.get("x-ms-error-code")


@pytest.mark.parametrize("case", list(_cases("00000000-0000-0000-0000-000000000000")))
def test_fast_job_get_answers_as_the_route_does(clients: tuple[TestClient, TestClient, str], case: str) -> None:
    fast, reference, job_id = clients
    request = _cases(job_id)[case]
    assert _answer(fast, "GET", request) == _answer(reference, "GET", request)


def test_the_found_job_is_the_job(clients: tuple[TestClient, TestClient, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above is not vacuous: the fast path answers, finds the job, on the host the client used."""
    fast, _reference, job_id = clients
    answered: list[str] = []
    original = FastJobGet._answer

    def counting(self: FastJobGet, scope: Any, matched: dict[str, str]) -> bytes:
        answered.append(matched["jobId"])
        return original(self, scope, matched)

    monkeypatch.setattr(FastJobGet, "_answer", counting)
    status, body, content_type, _code = _answer(fast, "GET", _cases(job_id)["other host"])
    assert answered == [job_id]
    assert (status, content_type) == (200, "application/json")
    assert body["id"] == job_id and body["tags"] == ["t"]
    assert body["outputDataUri"].startswith("http://quantum.example.test:8443/")


@pytest.mark.parametrize("method", ["HEAD", "POST", "DELETE"])
def test_other_methods_go_to_the_app(clients: tuple[TestClient, TestClient, str], method: str) -> None:
    fast, reference, job_id = clients
    request = _cases(job_id)["found"]
    assert _answer(fast, method, request)[:1] == _answer(reference, method, request)[:1]
    if method != "HEAD":
        assert _answer(fast, method, request) == _answer(reference, method, request)


def test_a_changed_job_is_read_again(clients: tuple[TestClient, TestClient, str]) -> None:
    """Cached rendering and parsing are keyed by the stored content: an update shows at once."""
    fast, _reference, job_id = clients
    api = Api(fast)
    assert api.call("GET", f"/jobs/{job_id}").json()["name"] == "fast"
    response = api.call("PATCH", f"/jobs/{job_id}", json_body={"name": "renamed"})
    assert response.status_code == 200, response.text
    assert api.call("GET", f"/jobs/{job_id}").json()["name"] == "renamed"
