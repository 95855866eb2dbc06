"""Jobs_Create handed to its route's handler past the router (api/_fast.py FastJobCreate) must answer as the
routed request does: same status, body, content type and error code for good and bad creates alike. The
reference is the same app without that middleware, on its own data directory with the same clock, sent
the same sequence of requests (creates change state, so the two cannot share a store)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ws_helpers import API_KEY, API_VERSION, SUB, WS, Api

from quantum_workspace.api import create_app
from quantum_workspace.api._fast import FastJobCreate
from quantum_workspace.clock import ManualClock
from quantum_workspace.config import Settings

JOB = "5f0d6f0e-1b7a-4d5e-9a55-0c1b2c3d4e5f"
SESSION = "7a1c2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#: SAS signatures differ between the two apps (each data directory has its own key): compared without.
_SIGNATURE = re.compile(r"sig=[^&\"]*")


def _app(data_dir: Path, clock: ManualClock, *, fast: bool) -> FastAPI:
    settings = Settings(data_dir=data_dir, api_keys=(API_KEY,), start_worker=False, max_json_body=2048)
    app = create_app(settings, clock=clock)
    if not fast:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not FastJobCreate]
    return app


@pytest.fixture
def clients(tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    clock = ManualClock()
    fast = TestClient(_app(tmp_path / "fast", clock, fast=True))
    reference = TestClient(_app(tmp_path / "reference", clock, fast=False))
    with fast, reference:
        yield fast, reference


def _job(client: TestClient, **changes: Any) -> dict[str, Any]:
    body = {
        "id": JOB,
        "name": "fast-create",
        "providerId": "ionq",
        "target": "ionq.simulator",
        "itemType": "Job",
        "containerUri": Api(client).sas("fast-creates").split("?")[0],
        "inputDataFormat": "ionq.circuit.v1",
        "tags": ["t"],
    }
    return {**body, **changes}


def _send(client: TestClient, path: str, params: dict[str, str], headers: dict[str, str], content: bytes) -> Any:
    response = client.request("PUT", path, params=params, headers=headers, content=content)
    text = _SIGNATURE.sub("sig=*", response.text)
    body: Any = json.loads(text) if text else None
    return response.status_code, body, response.headers.get("content-type"), response.headers.get("x-ms-error-code")


def _cases(client: TestClient) -> list[tuple[str, str, dict[str, str], dict[str, str], bytes]]:
    key = {"x-ms-quantum-api-key": API_KEY, "content-type": "application/json"}
    version = {"api-version": API_VERSION}
    job = f"{WS}/jobs/{JOB}"

    def body(**changes: Any) -> bytes:
        return json.dumps(_job(client, **changes)).encode()

    return [
        ("created", job, version, key, body()),
        ("identical repeat", job, version, key, body()),
        ("id in upper case repeats it", f"{WS}/jobs/{JOB.upper()}", version, key, body(id=JOB.upper())),
        ("conflicting repeat", job, version, key, body(name="other")),
        ("body id differs", f"{WS}/jobs/{SESSION}", version, key, body()),
        ("no api-version", job, {}, key, body()),
        ("unsupported api-version", job, {"api-version": "2019-01-01"}, key, body()),
        ("wrong key", job, version, {**key, "x-ms-quantum-api-key": "nope"}, body()),
        ("no credentials", job, version, {"content-type": "application/json"}, body()),
        ("id not a guid", f"{WS}/jobs/not-a-guid", version, key, body(id="not-a-guid")),
        (
            "bad workspace",
            f"/subscriptions/{SUB}/resourceGroups/rg/providers/x/workspaces/w/jobs/{JOB}",
            version,
            key,
            body(),
        ),
        ("trailing slash", f"{job}/", version, key, body()),
        ("malformed JSON", job, version, key, b"{not json"),
        ("empty body", job, version, key, b""),
        ("too large", job, version, key, json.dumps(_job(client, name="x" * 4096)).encode()),
        ("unknown session", f"{WS}/jobs/{SESSION}", version, key, body(id=SESSION, sessionId=JOB)),
        ("unknown target", f"{WS}/jobs/{SESSION}", version, key, body(id=SESSION, target="ionq.nowhere")),
        ("missing field", f"{WS}/jobs/{SESSION}", version, key, body(id=SESSION, providerId=None)),
    ]


def test_fast_job_create_answers_as_the_routed_create_does(clients: tuple[TestClient, TestClient]) -> None:
    fast, reference = clients
    answered: list[str] = []
    for (name, path, params, headers, content), (_n, ref_path, ref_params, ref_headers, ref_content) in zip(
        _cases(fast), _cases(reference), strict=True
    ):
        ours = _send(fast, path, params, headers, content)
        theirs = _send(reference, ref_path, ref_params, ref_headers, ref_content)
        assert ours == theirs, name
        answered.append(f"{name}: {ours[0]}")
    # Not vacuous: the sequence covers a create, its idempotent repeats, and errors of every kind.
    statuses = {line.rsplit(": ", 1)[1] for line in answered}
    assert {"200", "400", "401", "404", "409", "413"} <= statuses, answered


def test_the_fast_path_is_the_one_answering(
    clients: tuple[TestClient, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, _reference = clients
    seen: list[str] = []
    original = FastJobCreate.__call__

    async def watched(self: FastJobCreate, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "PUT" and self._regex.match(scope["path"]):
            seen.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(FastJobCreate, "__call__", watched)
    status, body, _type, _code = _send(
        fast,
        f"{WS}/jobs/{JOB}",
        {"api-version": API_VERSION},
        {"x-ms-quantum-api-key": API_KEY, "content-type": "application/json"},
        json.dumps(_job(fast)).encode(),
    )
    assert status == 200 and body["id"] == JOB and body["status"] == "Waiting"
    assert seen == [f"{WS}/jobs/{JOB}"]
