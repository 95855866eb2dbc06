"""Helpers for the workspace service's unit tests: a thin data-plane client, the error-shape check and a
stored job record for store-level tests.

A module of its own (not conftest) so test modules can import it by a name no other directory uses."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from quantum_workspace.store import Hold, JobRecord

API_KEY = "unit-test-key"
API_VERSION = "2026-01-15-preview"
SUB = "00000000-0000-0000-0000-000000000001"
WS = f"/subscriptions/{SUB}/resourceGroups/rg-test/providers/Microsoft.Quantum/workspaces/ws-test"
BELL = {"qubits": 2, "circuit": [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]}


def new_id() -> str:
    return str(uuid.uuid4())


class Api:
    """A thin client for the data plane with the test key and api-version filled in."""

    def __init__(self, client: TestClient, workspace: str = WS, key: str = API_KEY) -> None:
        self.client, self.ws, self.key = client, workspace, key

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> Any:
        query = {"api-version": API_VERSION, **(params or {})}
        sent = {"x-ms-quantum-api-key": self.key, **(headers or {})}
        if json_body is not None:
            content, sent["content-type"] = json.dumps(json_body).encode(), "application/json"
        return self.client.request(method, f"{self.ws}{path}", params=query, headers=sent, content=content)

    def open_session(self, session_id: str | None = None, **body: Any) -> Any:
        payload = {
            "name": "s",
            "providerId": "ionq",
            "target": "ionq.simulator",
            "itemType": "Session",
            **body,
        }
        return self.call("PUT", f"/sessions/{session_id or new_id()}", json_body=payload)

    def sas(self, container: str, blob: str | None = None) -> str:
        body = {"containerName": container} | ({"blobName": blob} if blob else {})
        response = self.call("POST", "/storage/sasUri", json_body=body)
        assert response.status_code == 200, response.text
        uri: str = response.json()["sasUri"]
        return uri

    def upload(
        self, container: str, data: bytes, blob: str = "inputData", content_type: str = "application/json"
    ) -> Any:
        url = self.sas(container, blob)
        return self.client.put(
            url, content=data, headers={"x-ms-blob-type": "BlockBlob", "x-ms-blob-content-type": content_type}
        )

    def job_body(self, container: str, **body: Any) -> dict[str, Any]:
        return {
            "name": "job",
            "providerId": "ionq",
            "target": "ionq.simulator",
            "itemType": "Job",
            "containerUri": self.sas(container),
            "inputDataFormat": "ionq.circuit.v1",
            "outputDataFormat": "ionq.quantum-results.v1",
            "inputParams": {"shots": 100},
            **body,
        }

    def submit(self, program: Any = BELL, job_id: str | None = None, upload: bool = True, **body: Any) -> Any:
        job_id = job_id or new_id()
        container = f"job-{job_id}"
        if upload:
            data = program if isinstance(program, bytes) else json.dumps(program).encode()
            self.sas(container)
            assert self.upload(container, data).status_code == 201
        return self.call("PUT", f"/jobs/{job_id}", json_body=self.job_body(container, **body))

    def wait_job(self, job_id: str, deadline: float = 60.0) -> dict[str, Any]:
        """Poll until the job is final (a bounded wait, not a timing assertion)."""
        end = time.monotonic() + deadline
        while True:
            job: dict[str, Any] = self.call("GET", f"/jobs/{job_id}").json()
            if job["status"] in ("Succeeded", "Failed", "Cancelled") or time.monotonic() > end:
                return job
            time.sleep(0.02)

    def wait_session(self, session_id: str, statuses: tuple[str, ...], deadline: float = 60.0) -> dict[str, Any]:
        end = time.monotonic() + deadline
        while True:
            session: dict[str, Any] = self.call("GET", f"/sessions/{session_id}").json()
            if session["status"] in statuses or time.monotonic() > end:
                return session
            time.sleep(0.02)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The contract's error shape: {"error": {"code", "message"}} and the x-ms-error-code header."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), body
    assert response.headers["x-ms-error-code"] == body["error"]["code"]
    if code is not None:
        assert body["error"]["code"] == code, body
    error: dict[str, Any] = body["error"]
    return error


class Refused(Exception):
    """Raised inside a write transaction, as a service rule would."""


def job_record(job_id: str | None = None, workspace: str = "ws", **changes: Any) -> JobRecord:
    """A Waiting job as the store keeps it, for tests that talk to a store directly."""
    record = JobRecord(
        workspace=workspace,
        id=job_id or new_id(),
        name="stored",
        provider_id="ionq",
        target="ionq.simulator",
        job_type="QuantumComputing",
        container_uri="http://127.0.0.1/acct/c",
        input_data_format="ionq.circuit.v1",
        output_data_format="ionq.quantum-results.v1",
        status="Waiting",
        creation_time=datetime(2026, 1, 1, tzinfo=UTC),
        request_fingerprint="f",
    )
    return record.replace(**changes) if changes else record


QUEUE_START = datetime(2026, 1, 1, tzinfo=UTC)


def queue_jobs() -> list[JobRecord]:
    """40 jobs for the worker's queue order: mixed priorities (High, Standard, none), a quarter Executing,
    creation times out of id order, and 8 on a QPU target (indexes 1, 6, 11, ...)."""
    return [
        job_record(f"job-{index:03d}").replace(
            creation_time=QUEUE_START.replace(second=(index * 7) % 40),
            priority=("High", "Standard", None)[index % 3],
            status=("Waiting", "Executing")[index % 4 == 0],
            target=("ionq.simulator", "IonQ.QPU.Aria-1")[index % 5 == 1],
        )
        for index in range(40)
    ]


#: Holds the QPU jobs of queue_jobs() created after second 20 back.
QUEUE_HOLD = Hold(frozenset({"ionq.qpu.aria-1"}), QUEUE_START.replace(second=20))


def child_processes(pid: int, module: bytes = b"quantum_workspace.worker_process") -> list[int]:
    """The pids of `pid`'s children whose command line names `module` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and module in cmdline:
            found.append(int(entry.name))
    return found


def wait_for(condition: Callable[[], Any], deadline: float = 30.0) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


def process_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
