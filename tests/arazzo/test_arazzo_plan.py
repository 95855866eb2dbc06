"""`arazzo plan` (dry run: the requests a run would send, nothing sent), `arazzo list` and `arazzo describe`."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "plan-token-0123456789"


@pytest.fixture()
def silent_port() -> Iterator[tuple[socket.socket, str]]:
    """A listening socket nobody serves: if the engine sent anything, a connection would be waiting."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield s, f"http://127.0.0.1:{s.getsockname()[1]}/api"


def nothing_connected(s: socket.socket) -> bool:
    readable, _, _ = select.select([s], [], [], 0)
    return not readable


def test_plan_builds_every_request_and_sends_nothing(silent_port) -> None:
    sock, base = silent_port
    proc = run_cli(
        "plan",
        str(FIXTURES / "lifecycle.arazzo.yaml"),
        "--server",
        f"dataPlaneApi={base}",
        "--input",
        f"authToken={TOKEN}",
        "--input",
        "sessionId=S-1",
        "--input",
        "jobId=J-1",
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    assert nothing_connected(sock)
    assert TOKEN not in proc.stdout + proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["workflowId"] == "session-lifecycle" and plan["missingInputs"] == []
    steps = {s["stepId"]: s for s in plan["steps"]}
    assert list(steps) == [
        "openSession",
        "getInputBlobSasUri",
        "uploadCircuit",
        "createJob",
        "waitForJob",
        "downloadResults",
        "closeSession",
    ]
    open_ = steps["openSession"]
    assert open_["method"] == "PUT"
    assert open_["url"] == f"{base}/sessions/S-1?api-version=2026-01-15-preview"
    assert {"name": "Authorization", "value": "Bearer ***"} in open_["headers"]
    assert open_["body"]["itemType"] == "Session"
    upload = steps["uploadCircuit"]
    assert upload["url"] == "<$steps.getInputBlobSasUri.outputs.sasUri>?api-version=2026-01-15-preview"
    assert upload["body"]["qubits"] == 2  # an object input, default filled in
    job = steps["createJob"]
    assert job["url"] == f"{base}/jobs/J-1?api-version=2026-01-15-preview"
    assert job["body"] == {
        "sessionId": "<$steps.openSession.outputs.openedSessionId>",
        "polls": 2,
        "finalStatus": "Succeeded",
        "inputBlob": "job-J-1/inputData",
    }
    assert steps["downloadResults"]["url"] == "<$steps.waitForJob.outputs.outputDataUri>?api-version=2026-01-15-preview"
    assert steps["waitForJob"]["actions"] == [
        "on failure: end the workflow when $response.body#/status == 'Failed' || $response.body#/status == 'Cancelled'",
        "on failure: retry after 0.01 s, at most 20 time(s)",
    ]


def test_plan_text_with_missing_inputs_and_placeholders_in_paths(write_doc) -> None:
    path = write_doc(
        """\
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: testApi, url: ./testapi.openapi.yaml, type: openapi}
workflows:
  - workflowId: w
    inputs:
      type: object
      required: [name]
      properties:
        name: {type: string}
    steps:
      - stepId: create
        operationId: createItem
        requestBody: {payload: {name: $inputs.name, tag: t}}
        outputs: {id: $response.body#/id}
      - stepId: get
        operationId: getItem
        parameters:
          - {name: itemId, in: path, value: $steps.create.outputs.id}
          - {name: X-Trace, in: header, value: "trace {$steps.create.outputs.id}"}
"""
    )
    proc = run_cli("plan", str(path))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "note: inputs not given, shown as placeholders: name" in out
    assert '|   "name": "<$inputs.name>",' in out
    assert "GET http://127.0.0.1:9/api/items/<$steps.create.outputs.id>" in out  # the description's server
    assert "X-Trace: trace <$steps.create.outputs.id>" in out
    assert "dry run (nothing is sent)" in out


def test_plan_input_errors_name_the_input(write_doc) -> None:
    proc = run_cli("plan", str(FIXTURES / "basic.arazzo.yaml"), "--input", "limit=ten")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "input 'limit': 'ten' is not a valid integer" in proc.stderr
    proc = run_cli("plan", str(FIXTURES / "basic.arazzo.yaml"), "--workflow", "itemz")
    assert proc.returncode == 2 and "did you mean 'items'?" in proc.stderr


def test_plan_of_an_invalid_document_prints_positions(write_doc) -> None:
    path = write_doc("arazzo: 1.0.1\ninfo: {title: t, version: '1'}\nsourceDescriptions: []\nworkflows: []\n")
    proc = run_cli("plan", str(path))
    assert proc.returncode == 2 and "flow.arazzo.yaml:3:21: error:" in proc.stderr


def test_list_and_describe() -> None:
    doc = str(FIXTURES / "basic.arazzo.yaml")
    proc = run_cli("list", doc)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0].endswith("basic.arazzo.yaml: Basic item flow 1.0.0")
    assert lines[1].split() == ["WORKFLOW", "STEPS", "INPUTS", "SUMMARY"]
    assert lines[2].split()[:3] == ["items", "3", "4"]
    data = json.loads(run_cli("list", doc, "--format", "json").stdout)
    assert data["workflows"][0]["inputs"] == ["name", "tag", "limit", "token"]

    proc = run_cli("describe", doc)
    assert proc.returncode == 0
    out = proc.stdout
    assert "super-secret-input" not in out  # a format: password default
    assert "token  string (password)  optional  default \"***\"" in out
    assert "name   string             required" in out
    assert "limit  integer            optional  default 10" in out
    assert "1. create  createItem  POST /items" in out
    data = json.loads(run_cli("describe", doc, "--format", "json").stdout)
    wf = data["workflows"][0]
    assert wf["inputs"][0] == {"name": "name", "type": "string", "required": True, "description": None}
    assert wf["steps"][0] == {
        "stepId": "create",
        "description": None,
        "kind": "operation",
        "operation": "createItem",
        "source": "testApi",
        "method": "POST",
        "path": "/items",
    }
    assert {"name": "id", "value": "$steps.create.outputs.id"} in wf["outputs"]


def test_describe_one_workflow_with_workflow_steps() -> None:
    proc = run_cli("describe", str(FIXTURES / "multi.arazzo.yaml"), "--workflow", "main")
    assert proc.returncode == 0
    assert proc.stdout.count("\nworkflow ") == 1
    assert "depends on: prepare" in proc.stdout
    assert "1. viaLibrary  workflow $sourceDescriptions.library.makeItem" in proc.stdout
    proc = run_cli("describe", str(ROOT / "workflows" / "session-lifecycle.arazzo.yaml"))
    assert "4. uploadCircuit       x-operation  PUT $steps.getInputBlobSasUri.outputs.sasUri" in proc.stdout
    assert run_cli("describe", str(FIXTURES / "multi.arazzo.yaml"), "--workflow", "nope").returncode == 2
