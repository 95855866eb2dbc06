"""The user's session-lifecycle workflow, as given and corrected, against the real service over a real socket."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import arazzo

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "workflows"
CORRECTED = WORKFLOWS / "session-lifecycle.arazzo.yaml"
ORIGINAL = WORKFLOWS / "microsoft-quantum-session-lifecycle-workflow.yml"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def issue_token() -> str:
    result = subprocess.run([str(BIN / "quantum-workspace"), "token"], check=True, capture_output=True, text=True)
    return result.stdout.strip()


def corrected_inputs(token: str) -> dict[str, object]:
    inputs = json.loads((WORKFLOWS / "inputs" / "session-lifecycle.json").read_text())
    job_id = str(uuid.uuid4())
    inputs.update(authToken=token, sessionId=str(uuid.uuid4()), jobId=job_id, containerName=f"job-{job_id}")
    return inputs


def test_user_file_is_byte_for_byte_the_seed() -> None:
    seed = ROOT.parent / "shared" / "seed" / ORIGINAL.name
    if not seed.exists():
        pytest.skip("../shared/seed is not beside this checkout")
    assert ORIGINAL.read_bytes() == seed.read_bytes()


def test_corrected_workflow_runs_green_through_the_python_api(workspace_server) -> None:
    base_url, _api_key, data_dir = workspace_server
    inputs = corrected_inputs(issue_token())

    result = arazzo.run_sync(CORRECTED, inputs=inputs, servers={"dataPlaneApi": base_url})

    assert result.status == "succeeded", result.error
    assert result.outputs["jobStatus"] == "Succeeded"
    assert result.outputs["finalSessionStatus"] == "Succeeded"
    assert result.outputs["histogram"] == {"0": 0.5, "3": 0.5}
    assert result.outputs["sessionId"] == inputs["sessionId"]
    assert result.outputs["jobId"] == inputs["jobId"]
    assert [job["id"] for job in result.outputs["sessionJobs"]] == [inputs["jobId"]]
    step_ids = [step.step_id for step in result.steps]
    assert step_ids[0] == "openSession" and step_ids[-1] == "closeSession"
    assert "waitForJob" in step_ids
    # The result blob really is in the service's storage.
    assert any(path.name == "rawOutputData" or "rawOutputData" in path.name for path in Path(data_dir).rglob("*"))


def test_corrected_workflow_through_the_cli_json_report(workspace_server) -> None:
    base_url, _api_key, _data_dir = workspace_server
    inputs = corrected_inputs(issue_token())
    command = [str(BIN / "arazzo"), "run", str(CORRECTED), "--json", "--server", f"dataPlaneApi={base_url}"]
    for name, value in inputs.items():
        command += ["--input", f"{name}={value}"]

    completed = subprocess.run(command, capture_output=True, text=True, timeout=120)

    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["status"] == "succeeded"
    assert report["error"] is None
    assert report["outputs"]["histogram"] == {"0": 0.5, "3": 0.5}
    assert report["outputs"]["finalSessionStatus"] == "Succeeded"
    assert {"stepId", "status", "statusCode", "attempts", "durationMs"} <= set(report["steps"][0])
    assert inputs["authToken"] not in completed.stdout + completed.stderr


def test_user_workflow_as_given_fails_with_a_clear_diagnosis(workspace_server) -> None:
    base_url, _api_key, _data_dir = workspace_server
    token = issue_token()
    command = [
        str(BIN / "arazzo"), "run", str(ORIGINAL), "--json", "--server", f"dataPlaneApi={base_url}",
        "--inputs", str(WORKFLOWS / "inputs" / "microsoft-quantum-session-lifecycle-workflow.json"),
        "--input", f"authToken={token}", "--input", f"sessionId={uuid.uuid4()}", "--input", f"jobId={uuid.uuid4()}",
    ]

    completed = subprocess.run(command, capture_output=True, text=True, timeout=120)

    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    report = json.loads(completed.stdout)
    assert report["status"] == "failed"
    assert report["error"]["stepId"] == "openSession"
    assert "401" in report["error"]["message"]
    assert "JWT" in report["error"]["message"] or "token" in report["error"]["message"].lower()
    assert report["steps"][0]["statusCode"] == 401
    literal_warnings = [w for w in report["warnings"] if "$inputs.authToken" in w["message"]]
    assert literal_warnings, report["warnings"]
    assert literal_warnings[0]["line"] == 76
    assert token not in completed.stdout + completed.stderr


def test_make_run_script_runs_the_corrected_workflow() -> None:
    completed = subprocess.run([sys.executable, str(ROOT / "scripts" / "run_workflow.py")],
                               capture_output=True, text=True, timeout=180)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    output = completed.stdout + completed.stderr
    for name in ("openSession", "createSessionJob", "waitForJob", "closeSession", "finalSessionStatus", "histogram"):
        assert name in output
    assert "Succeeded" in output
