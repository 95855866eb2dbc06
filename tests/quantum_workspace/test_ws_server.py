"""The real `quantum-workspace serve` process over a real socket: restarts keep everything (SAS included),
bad requests get the contract's answers, secrets stay out of the output, SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from quantum_workspace.clock import parse_timestamp

pytestmark = pytest.mark.slow

VERSION = {"api-version": "2026-01-15-preview"}
WS = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-e2e/providers/Microsoft.Quantum"
    "/workspaces/ws-e2e"
)
BELL = {"qubits": 2, "circuit": [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]}
#: 16 qubits through 400 layers: a few seconds of simulation, long enough to be killed while it runs.
SLOW = {
    "qubits": 16,
    "circuit": [
        gate
        for layer in range(400)
        for gate in (
            *({"gate": "rx", "target": q, "rotation": 0.1 * (layer + 1) + 0.01 * q} for q in range(16)),
            *({"gate": "cnot", "control": q, "target": q + 1} for q in range(15)),
        )
    ],
}
BIN = Path(sys.executable).parent


class Client:
    def __init__(self, base_url: str, key: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.key = key

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"x-ms-quantum-api-key": self.key, **kwargs.pop("headers", {})}
        params = {**VERSION, **kwargs.pop("params", {})}
        return self.http.request(method, WS + path, headers=headers, params=params, **kwargs)

    def sas(self, container: str, blob: str | None = None) -> str:
        body = {"containerName": container} | ({"blobName": blob} if blob else {})
        response = self.call("POST", "/storage/sasUri", json=body)
        assert response.status_code == 200, response.text
        uri: str = response.json()["sasUri"]
        return uri

    def run_bell(self, session_id: str | None = None) -> tuple[str, str]:
        return self.run_circuit(BELL, session_id)

    def run_circuit(self, circuit: dict[str, Any], session_id: str | None = None) -> tuple[str, str]:
        """Uploads `circuit` (IonQ JSON) and creates its job; its id and container SAS."""
        job_id = str(uuid.uuid4())
        container = f"job-{job_id}"
        container_uri = self.sas(container)
        put = self.http.put(
            self.sas(container, "inputData"),
            content=json.dumps(circuit),
            headers={"x-ms-blob-type": "BlockBlob", "x-ms-blob-content-type": "application/json"},
        )
        assert put.status_code == 201, put.text
        body = {
            "name": "bell",
            "providerId": "ionq",
            "target": "ionq.simulator",
            "itemType": "Job",
            "containerUri": container_uri,
            "inputDataFormat": "ionq.circuit.v1",
            "inputParams": {"shots": 10},
        } | ({"sessionId": session_id} if session_id else {})
        response = self.call("PUT", f"/jobs/{job_id}", json=body)
        assert response.status_code == 200, response.text
        return job_id, container_uri

    def wait(self, job_id: str, deadline: float = 120) -> dict[str, Any]:
        end = time.monotonic() + deadline
        while True:
            job: dict[str, Any] = self.call("GET", f"/jobs/{job_id}").json()
            if job["status"] in ("Succeeded", "Failed", "Cancelled") or time.monotonic() > end:
                return job
            time.sleep(0.05)


def rebase(url: str, base_url: str) -> str:
    """The same SAS URL on another host:port (a restarted server listens elsewhere)."""
    return base_url + "/" + url.split("/", 3)[3]


def error_of(response: httpx.Response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) >= {"code", "message"}, body
    assert response.headers["x-ms-error-code"] == body["error"]["code"]
    if code:
        assert body["error"]["code"] == code, body
    message: str = body["error"]["message"]
    return message


def test_restart_keeps_sessions_jobs_blobs_and_sas_validity(start_workspace_server: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"  # created by serve
    first = start_workspace_server(data_dir, api_key="restart-key")
    client = Client(first.base_url, first.api_key)
    session_id = str(uuid.uuid4())
    assert (
        client.call(
            "PUT",
            f"/sessions/{session_id}",
            json={"name": "s", "providerId": "ionq", "target": "ionq.simulator", "itemType": "Session"},
        ).status_code
        == 200
    )
    job_id, container_uri = client.run_bell(session_id)
    job = client.wait(job_id)
    assert job["status"] == "Succeeded", job
    output_uri = job["outputDataUri"]
    assert first.stop() == 0  # SIGTERM: a clean exit

    second = start_workspace_server(data_dir, api_key="restart-key")
    again = Client(second.base_url, second.api_key)
    session = again.call("GET", f"/sessions/{session_id}").json()
    assert session["status"] == "Executing"
    restored = again.call("GET", f"/jobs/{job_id}").json()
    assert restored["status"] == "Succeeded" and restored["creationTime"] == job["creationTime"]
    listed = again.call("GET", f"/sessions/{session_id}/jobs").json()["value"]
    assert [j["id"] for j in listed] == [job_id]
    download = again.http.get(rebase(output_uri, second.base_url), headers={"x-ms-range": "bytes=0-1023"})
    assert download.status_code == 206
    assert json.loads(download.content) == {"histogram": {"0": 0.5, "3": 0.5}}
    old_container_sas = rebase(container_uri, second.base_url)
    base, query = old_container_sas.split("?")
    assert again.http.get(f"{base}/inputData?{query}").status_code == 200
    assert again.call("POST", f"/sessions/{session_id}:close").json()["status"] == "Succeeded"


def test_bad_requests_get_the_contract_answers(workspace_server_session: Any) -> None:
    base_url, key, _data_dir = workspace_server_session
    client = Client(base_url, key)
    http = client.http
    job_path = f"{WS}/jobs/{uuid.uuid4()}"
    assert "2026-01-15-preview" in error_of(
        http.get(job_path, headers={"x-ms-quantum-api-key": key}), 400, "MissingApiVersionParameter"
    )
    error_of(
        http.get(job_path, params={"api-version": "1999-01-01"}, headers={"x-ms-quantum-api-key": key}),
        400,
        "UnsupportedApiVersion",
    )
    error_of(http.get(job_path, params=VERSION), 401, "Unauthorized")
    wrong = error_of(http.get(job_path, params=VERSION, headers={"x-ms-quantum-api-key": "wrong"}), 401)
    assert "wrong" not in wrong
    literal = error_of(http.get(job_path, params=VERSION, headers={"Authorization": "Bearer $inputs.authToken"}), 401)
    assert "JWT" in literal
    error_of(
        client.call("PUT", f"/sessions/{uuid.uuid4()}", content=b"{oops", headers={"content-type": "application/json"}),
        400,
        "InvalidRequestContent",
    )
    missing = error_of(
        client.call("PUT", f"/sessions/{uuid.uuid4()}", json={"jobFailurePolicy": "Abort"}),
        400,
        "InvalidSessionDefinition",
    )
    assert "'name' is required" in missing and "'itemType' is required" in missing
    job_id = str(uuid.uuid4())
    body = {
        "name": "j",
        "providerId": "ionq",
        "target": "ionq.simulator",
        "itemType": "Job",
        "containerUri": client.sas(f"job-{job_id}"),
        "sessionId": str(uuid.uuid4()),
    }
    error_of(client.call("PUT", f"/jobs/{job_id}", json=body), 400, "InvalidJobDefinition")
    error_of(client.call("GET", f"/sessions/{uuid.uuid4()}"), 404, "SessionNotFound")
    error_of(client.call("GET", "/jobs/123"), 400, "InvalidParameter")
    error_of(
        http.get(
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Quantum/workspaces/ws/jobs",
            params=VERSION,
            headers={"x-ms-quantum-api-key": key},
        ),
        400,
        "InvalidParameter",
    )
    error_of(http.get("/nowhere"), 404, "NotFound")
    sas = client.sas("tamper-check", "inputData")
    tampered = re.sub(r"sig=[^&]+", "sig=AAAA", sas)
    response = http.get(tampered)
    assert response.status_code == 403 and response.headers["x-ms-error-code"] == "AuthenticationFailed"
    assert ET.fromstring(response.content).findtext("Code") == "AuthenticationFailed"


def test_secrets_never_reach_the_output(start_workspace_server: Any, tmp_path: Path) -> None:
    server = start_workspace_server(
        tmp_path / "data", api_key="do-not-print-this-key", args=["--max-json-body", "2048", "--max-blob-size", "64"]
    )
    client = Client(server.base_url, server.api_key)
    sas = client.sas("log-check", "inputData")
    signature = re.search(r"sig=([^&]+)", sas).group(1)  # type: ignore[union-attr]
    client.http.put(sas, content=b"{}", headers={"x-ms-blob-type": "BlockBlob"})
    client.http.get(sas)
    too_big = client.http.put(sas, content=b"x" * 65, headers={"x-ms-blob-type": "BlockBlob"})
    assert too_big.status_code == 413  # the limits given on the command line apply
    error_of(client.call("PUT", f"/sessions/{uuid.uuid4()}", json={"name": "x" * 3000}), 413, "RequestBodyTooLarge")
    token = subprocess.run(
        [str(BIN / "quantum-workspace"), "token"], capture_output=True, text=True, check=True
    ).stdout.strip()
    client.http.get(f"{WS}/jobs/{uuid.uuid4()}", params=VERSION, headers={"Authorization": f"Bearer {token}"})
    assert server.stop() == 0
    log = server.log()
    assert "inputData" in log  # the access log is on
    for secret in ("do-not-print-this-key", signature, token):
        assert secret not in log
    assert "sig=***" in log


def test_generated_key_is_printed_once_and_works(tmp_path: Path) -> None:
    env = dict(os.environ, QDK_PYTHON_TELEMETRY="none")
    process = subprocess.Popen(
        [str(BIN / "quantum-workspace"), "serve", "--port", "0", "--data-dir", str(tmp_path / "d")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        key_line = process.stdout.readline()
        ready = process.stdout.readline()
        assert key_line.startswith("api key: ")
        key = key_line.split(": ", 1)[1].strip()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+))\n", ready)
        assert match and int(match.group(2)) > 0
        client = Client(match.group(1), key)
        error_of(client.call("GET", f"/sessions/{uuid.uuid4()}"), 404, "SessionNotFound")
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert key not in out + err


def test_session_timeout_flag_sets_the_idle_timeout(start_workspace_server: Any, tmp_path: Path) -> None:
    server = start_workspace_server(tmp_path / "data", args=["--session-timeout", "1"])
    client = Client(server.base_url, server.api_key)
    session_id = str(uuid.uuid4())
    body = {"name": "s", "providerId": "ionq", "target": "ionq.simulator", "itemType": "Session"}
    assert client.call("PUT", f"/sessions/{session_id}", json=body).json()["status"] == "Waiting"
    end = time.monotonic() + 30  # a bounded wait: with the default (10 minutes) it would never end
    while (status := client.call("GET", f"/sessions/{session_id}").json()["status"]) == "Waiting":
        assert time.monotonic() < end, "the session never timed out"
        time.sleep(0.1)
    assert status == "TimedOut"


def test_a_client_gone_mid_body_is_no_error(start_workspace_server: Any, tmp_path: Path) -> None:
    """A client that declares a body and closes the connection part-way through: nothing is kept, and the
    server's log has no error for it (it is the client's doing), on the fast create path and a blob PUT."""
    server = start_workspace_server(tmp_path / "data")
    client = Client(server.base_url, server.api_key)
    host, port = server.base_url.removeprefix("http://").split(":")
    blob = client.sas("gone", "partial")
    job_id = str(uuid.uuid4())
    targets = [
        (f"{WS}/jobs/{job_id}?api-version=2026-01-15-preview", {"x-ms-quantum-api-key": server.api_key}),
        ("/" + blob.split("/", 3)[3], {"x-ms-blob-type": "BlockBlob"}),
    ]
    for target, headers in targets:
        with socket.create_connection((host, int(port))) as raw:
            head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            raw.sendall(f"PUT {target} HTTP/1.1\r\nHost: {host}\r\n{head}Content-Length: 100000\r\n\r\n".encode())
            raw.sendall(b"{" * 1000)
    end = time.monotonic() + 30  # the server reads on until it sees each close, then says so
    while server.log_path.read_text().count("the client went away") < 2:
        assert time.monotonic() < end, server.log_path.read_text()
        time.sleep(0.05)
    assert client.call("GET", f"/jobs/{job_id}").status_code == 404
    assert client.http.get(blob).status_code == 404
    log = server.log_path.read_text()
    assert "Traceback" not in log and "ERROR" not in log, log


def test_a_bug_is_a_500_in_the_contract_shape_on_a_connection_that_stays_open(
    start_workspace_server: Any, tmp_path: Path
) -> None:
    """A record the service cannot read (a damaged database row stands in for a bug): 500 with the error
    shape and request id, logged; the same keep-alive connection then answers the next request."""
    data_dir = tmp_path / "data"
    first = start_workspace_server(data_dir, api_key="bug-key")
    job_id, _ = Client(first.base_url, first.api_key).run_bell()
    assert first.stop() == 0
    with sqlite3.connect(data_dir / "workspace.db") as db:
        damaged = db.execute("UPDATE jobs SET doc = ? WHERE id_key = ?", ('{"not": "a job"}', job_id.lower()))
        assert damaged.rowcount == 1
    second = start_workspace_server(data_dir, api_key="bug-key")
    host, port = second.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as raw:
        stream = raw.makefile("rb")
        answers = []
        for path in (f"/jobs/{job_id}", "/jobs"):
            raw.sendall(
                f"GET {WS}{path}?api-version=2026-01-15-preview HTTP/1.1\r\nHost: {host}\r\n"
                f"x-ms-quantum-api-key: bug-key\r\n\r\n".encode()
            )
            status = int(stream.readline().split()[1])
            headers = {}
            while (line := stream.readline().strip()) != b"":
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            answers.append((status, headers, body))
    (status, headers, body), (next_status, _, _) = answers
    assert status == 500 and headers["x-ms-error-code"] == "InternalServerError" and "x-ms-request-id" in headers
    assert json.loads(body)["error"]["code"] == "InternalServerError"
    assert next_status in (200, 500)  # answered on the same connection (the listing reads the row too)
    assert "unexpected error in GET" in second.log_path.read_text()


def test_a_sigkill_while_jobs_wait_and_execute_loses_nothing(start_workspace_server: Any, tmp_path: Path) -> None:
    """SIGKILL with two jobs executing (one in a session) and four waiting: after a restart on the same data
    directory every session, job and blob is there, and the interrupted executions run again to the end."""
    data_dir = tmp_path / "data"
    first = start_workspace_server(data_dir, api_key="kill-key", args=["--worker-threads", "2"])
    client = Client(first.base_url, first.api_key)
    session_id = str(uuid.uuid4())
    opened = client.call(
        "PUT",
        f"/sessions/{session_id}",
        json={"name": "s", "providerId": "ionq", "target": "ionq.simulator", "itemType": "Session"},
    )
    assert opened.status_code == 200, opened.text
    running = [client.run_circuit(SLOW, session_id)[0], client.run_circuit(SLOW)[0]]
    waiting = [client.run_bell()[0] for _ in range(3)] + [client.run_bell(session_id)[0]]
    end = time.monotonic() + 60
    while [client.call("GET", f"/jobs/{job_id}").json()["status"] for job_id in running] != ["Executing"] * 2:
        assert time.monotonic() < end, "the slow jobs never both ran"
        time.sleep(0.05)
    statuses = {job_id: client.call("GET", f"/jobs/{job_id}").json()["status"] for job_id in waiting}
    assert set(statuses.values()) == {"Waiting"}, statuses  # both worker threads are busy
    extra_blob = client.sas("kept", "notes.txt")
    assert (
        client.http.put(extra_blob, content=b"kept across a kill", headers={"x-ms-blob-type": "BlockBlob"}).status_code
        == 201
    )
    killed_at = client.call("GET", f"/sessions/{session_id}").json()
    killed = datetime.now(UTC)
    first.kill()

    second = start_workspace_server(data_dir, api_key="kill-key")
    again = Client(second.base_url, second.api_key)
    assert again.call("GET", f"/sessions/{session_id}").json()["creationTime"] == killed_at["creationTime"]
    in_session = {job["id"] for job in again.call("GET", f"/sessions/{session_id}/jobs").json()["value"]}
    assert in_session == {running[0], waiting[-1]}
    assert again.http.get(rebase(extra_blob, second.base_url)).content == b"kept across a kill"
    finished = {job_id: again.wait(job_id) for job_id in running + waiting}
    assert {job_id: job["status"] for job_id, job in finished.items()} == dict.fromkeys(running + waiting, "Succeeded")
    for job_id in running:  # run again after the restart, to a result that can be read
        job = finished[job_id]
        assert parse_timestamp(job["beginExecutionTime"]) > killed
        assert again.http.get(rebase(job["outputDataUri"], second.base_url)).status_code == 200
