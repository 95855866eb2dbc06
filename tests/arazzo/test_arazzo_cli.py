"""The real `arazzo` command in a subprocess: exit codes 0/1/2, the --json shape, --junit, input
conversion, warnings with positions, and secrets masked in every output."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import arazzo_testapi

from conftest import FIXTURES, HEADER, cli_json, run_cli

TOKEN = arazzo_testapi.BEARER


def lifecycle_args(api_base: str, *extra: str) -> list[str]:
    return [
        str(FIXTURES / "lifecycle.arazzo.yaml"),
        "--server",
        f"dataPlaneApi={api_base}",
        "--input",
        f"authToken={TOKEN}",
        "--input",
        f"sessionId={uuid.uuid4()}",
        "--input",
        f"jobId={uuid.uuid4()}",
        *extra,
    ]


def test_run_succeeds_with_a_table_and_outputs(api_base: str) -> None:
    proc = run_cli("run", *lifecycle_args(api_base))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for needle in (
        "openSession",
        "Sessions_Open",
        "PUT x-operation",
        "waitForJob",
        "attempts",
        "outputs:",
        '"finalSessionStatus": "Succeeded"',
        '"0": 0.5',
        "workflow session-lifecycle succeeded",
    ):
        assert needle in out
    assert "Traceback" not in proc.stderr and TOKEN not in out + proc.stderr
    assert "sig=***" in out and "abc%2B" not in out


def test_json_report_shape(api_base: str) -> None:
    code, report, stderr = cli_json("run", *lifecycle_args(api_base))
    assert code == 0
    assert set(report) == {"workflowId", "status", "outputs", "steps", "error", "warnings"}
    assert report["workflowId"] == "session-lifecycle" and report["status"] == "succeeded"
    assert report["error"] is None and report["warnings"] == []
    assert report["outputs"]["histogram"] == {"0": 0.5, "3": 0.5}
    assert [s["stepId"] for s in report["steps"]] == [
        "openSession",
        "getInputBlobSasUri",
        "uploadCircuit",
        "createJob",
        "waitForJob",
        "downloadResults",
        "closeSession",
    ]
    for step in report["steps"]:
        assert set(step) == {"stepId", "status", "statusCode", "attempts", "durationMs"}
        assert step["status"] == "succeeded" and isinstance(step["durationMs"], float)
    assert "waitForJob" in stderr  # progress goes to stderr


def test_users_mistakes_exit_1_with_step_status_message_and_warning(api_base: str) -> None:
    doc = FIXTURES / "lifecycle-as-given.arazzo.yaml"
    args = [
        "run",
        str(doc),
        "--server",
        f"dataPlaneApi={api_base}",
        "--input",
        f"authToken={TOKEN}",
        "--input",
        "sessionId=s-1",
    ]
    proc = run_cli(*args)
    assert proc.returncode == 1
    assert "failed at step openSession: HTTP 401: Unauthorized: the bearer token is missing" in proc.stdout
    assert (
        f"{doc.relative_to(Path.cwd()) if doc.is_relative_to(Path.cwd()) else doc}:23:20: warning:"
        in proc.stderr
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    code, report, _ = cli_json(*args)
    assert code == 1 and report["status"] == "failed"
    assert report["error"]["stepId"] == "openSession" and "Unauthorized" in report["error"]["message"]
    assert report["steps"] == [
        {**report["steps"][0], "stepId": "openSession", "status": "failed", "statusCode": 401, "attempts": 1}
    ]
    literal = [w for w in report["warnings"] if "$inputs.authToken" in w["message"]]
    assert [(w["line"], w["column"]) for w in literal] == [(23, 20), (38, 20)]
    assert all(w["file"].endswith("lifecycle-as-given.arazzo.yaml") for w in literal)


def test_invalid_document_exits_2_without_traceback(write_doc) -> None:
    path = write_doc(HEADER + "workflows:\n  - workflowId: w\n    steps:\n      - stepId: s\n")
    proc = run_cli("run", str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "flow.arazzo.yaml:8:9: error: step 's' must have exactly one of" in proc.stderr
    code, report, _ = cli_json("run", str(path))
    assert code == 2 and report["status"] == "invalid" and report["steps"] == []
    assert "exactly one of" in report["error"]["message"]


def test_bad_inputs_and_usage_exit_2(api_base: str, tmp_path: Path) -> None:
    doc = str(FIXTURES / "basic.arazzo.yaml")
    proc = run_cli("run", doc, "--input", "name=x", "--input", "limit=ten")
    assert proc.returncode == 2 and "input 'limit': 'ten' is not a valid integer" in proc.stderr
    assert run_cli("run", doc).returncode == 2  # required input missing
    assert "missing required input 'name'" in run_cli("run", doc).stderr
    assert run_cli("run", doc, "--workflow", "nope", "--input", "name=x").returncode == 2
    proc = run_cli("run", doc, "--input", "name=x", "--server", "nope=http://x")
    assert proc.returncode == 2 and "no source description named 'nope'" in proc.stderr
    assert run_cli("run", doc, "--bogus").returncode == 2
    assert run_cli("run", str(tmp_path / "missing.yaml")).returncode == 2


def test_inputs_file_env_and_flags_with_types(api, api_base: str, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text("name: from-file\ntag: red\nlimit: 3\n")
    code, report, stderr = cli_json(
        "run",
        str(FIXTURES / "basic.arazzo.yaml"),
        "--inputs",
        str(inputs),
        "--input",
        "limit=5",
        "--server",
        f"testApi={api_base}",
        env={"ARAZZO_INPUT_tag": "blue"},
    )
    assert code == 0, stderr
    assert report["outputs"]["name"] == "from-file"  # file
    lists = [e for e in api.state.log if e["path"] == "/api/items" and e["method"] == "GET"]
    assert lists[-1]["query"] == "tag=blue&limit=5"  # environment over file, --input over both


def test_junit_report(api_base: str, tmp_path: Path) -> None:
    junit = tmp_path / "report.xml"
    proc = run_cli(
        "run",
        str(FIXTURES / "lifecycle-as-given.arazzo.yaml"),
        "--server",
        f"dataPlaneApi={api_base}",
        "--input",
        f"authToken={TOKEN}",
        "--input",
        "sessionId=s",
        "--junit",
        str(junit),
    )
    assert proc.returncode == 1
    root = ET.parse(junit).getroot()
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["openSession"]
    failure = cases[0].find("failure")
    assert (
        failure is not None
        and "401" in failure.get("message", "")
        and "Unauthorized" in failure.get("message", "")
    )
    assert TOKEN not in junit.read_text()


def test_connection_failure_exits_1(write_doc) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = write_doc(
        HEADER + "workflows:\n  - workflowId: w\n    steps:\n      - {stepId: s, operationId: listItems}\n"
    )
    code, report, _ = cli_json("run", str(path), "--server", f"testApi=http://127.0.0.1:{port}/api")
    assert code == 1 and report["steps"][0]["statusCode"] is None
    assert "connection refused" in report["error"]["message"]


def test_secrets_never_appear_in_any_output(api_base: str, tmp_path: Path, write_doc) -> None:
    api_key = "k3y-abcdef-123456"
    path = write_doc(
        HEADER
        + f"""\
workflows:
  - workflowId: w
    inputs:
      type: object
      properties:
        pw: {{type: string, format: password}}
    steps:
      - stepId: e
        operationId: echoGet
        parameters:
          - {{name: p, in: path, value: x}}
          - {{name: Authorization, in: header, value: "Bearer {TOKEN}"}}
          - {{name: x-ms-quantum-api-key, in: header, value: "{api_key}"}}
          - {{name: plain, in: query, value: $inputs.pw}}
        outputs:
          echoed: $response.body
          pw: $inputs.pw
      - stepId: fail
        operationId: status
        parameters: [{{name: code, in: path, value: 400}}]
    outputs:
      echoed: $steps.e.outputs.echoed
      pw: $steps.e.outputs.pw
      sas: "{api_base}/blob/c?sv=1&sig=abc%2Bdef&se=2"
"""
    )
    junit = tmp_path / "j.xml"
    password = "hunter2-password"
    for extra in ([], ["--json"]):
        proc = run_cli(
            "run",
            str(path),
            "--server",
            f"testApi={api_base}",
            "--input",
            f"pw={password}",
            "--junit",
            str(junit),
            *extra,
        )
        assert proc.returncode == 1
        everything = proc.stdout + proc.stderr + junit.read_text()
        for secret in (TOKEN, api_key, password, "abc%2Bdef", "leaked-token-1234"):
            assert secret not in everything, (secret, extra)
        assert "***" in everything
    report = json.loads(proc.stdout)
    assert report["outputs"]["echoed"]["headers"]["authorization"] == "Bearer ***"
