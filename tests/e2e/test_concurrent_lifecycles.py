"""Fifty session lifecycles at once through the Python API against one service, each with its own ids.

One document, loaded once, one shared client, `asyncio.gather` of `arazzo.run(...)`: every run must succeed
with exactly its own job in its own session and the right histogram, and afterwards the service itself must
hold exactly those fifty jobs and sessions, all finished, none lost or mixed up.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

import arazzo

ROOT = Path(__file__).resolve().parents[2]
CORRECTED = ROOT / "workflows" / "session-lifecycle.arazzo.yaml"
EXAMPLE = ROOT / "workflows" / "inputs" / "session-lifecycle.json"
BIN = Path(sys.executable).parent
RUNS = 50
BELL_HISTOGRAM = {"0": 0.5, "3": 0.5}

pytestmark = pytest.mark.slow


def issue_token() -> str:
    result = subprocess.run([str(BIN / "quantum-workspace"), "token"], check=True, capture_output=True, text=True)
    return result.stdout.strip()


def inputs_for(index: int, batch: str, token: str) -> dict[str, Any]:
    """The example inputs with this run's own session, job, container and names."""
    session_id, job_id = str(uuid.uuid4()), str(uuid.uuid4())
    example: dict[str, Any] = json.loads(EXAMPLE.read_text())
    return example | {
        "authToken": token,
        "sessionId": session_id,
        "jobId": job_id,
        "containerName": f"job-{job_id}",
        "sessionName": f"{batch}-session-{index}",
        "jobName": f"{batch}-job-{index}",
    }


async def run_all(base_url: str, all_inputs: list[dict[str, Any]]) -> list[arazzo.RunResult]:
    document = arazzo.load(CORRECTED)
    async with arazzo.make_client() as client:
        runs = (
            arazzo.run(document, inputs=inputs, servers={"dataPlaneApi": base_url}, client=client)
            for inputs in all_inputs
        )
        return list(await asyncio.gather(*runs))


def test_fifty_concurrent_session_lifecycles_keep_their_own_jobs(workspace_server: Any) -> None:
    base_url, api_key, _data_dir = workspace_server
    batch = uuid.uuid4().hex[:8]
    token = issue_token()
    all_inputs = [inputs_for(index, batch, token) for index in range(RUNS)]

    results = asyncio.run(run_all(base_url, all_inputs))

    # every run, by itself: succeeded, with exactly its own job in its own session and the Bell histogram
    assert len(results) == RUNS
    for inputs, result in zip(all_inputs, results, strict=True):
        assert result.status == "succeeded", (inputs["sessionId"], result.error)
        out = result.outputs
        assert (out["sessionId"], out["jobId"]) == (inputs["sessionId"], inputs["jobId"])
        assert [job["id"] for job in out["sessionJobs"]] == [inputs["jobId"]]
        assert out["sessionJobs"][0]["sessionId"] == inputs["sessionId"]
        assert out["jobStatus"] == "Succeeded"
        assert out["histogram"] == BELL_HISTOGRAM
        assert out["finalSessionStatus"] == "Succeeded"
    assert len({result.outputs["jobId"] for result in results}) == RUNS

    # behind the workflows: the service holds exactly these jobs and sessions, all finished
    workspace = (
        f"{base_url}/subscriptions/{all_inputs[0]['subscriptionId']}/resourceGroups/"
        f"{all_inputs[0]['resourceGroupName']}/providers/Microsoft.Quantum/workspaces/{all_inputs[0]['workspaceName']}"
    )
    expected = {inputs["jobId"]: inputs for inputs in all_inputs}
    with httpx.Client(
        base_url=workspace,
        headers={"x-ms-quantum-api-key": api_key},
        params={"api-version": "2026-01-15-preview"},
        timeout=30,
    ) as plane:
        listed = plane.get("/jobs", params={"top": 100})
        assert listed.status_code == 200, listed.text
        page = listed.json()
        assert "nextLink" not in page
        jobs = {job["id"]: job for job in page["value"]}
        assert set(jobs) == set(expected)  # no job lost, none extra
        for job_id, job in jobs.items():
            inputs = expected[job_id]
            assert (job["status"], job["sessionId"], job["name"]) == (
                "Succeeded",
                inputs["sessionId"],
                inputs["jobName"],
            )
            results_blob = httpx.get(job["outputDataUri"], timeout=30)
            assert results_blob.status_code == 200 and results_blob.json() == {"histogram": BELL_HISTOGRAM}
        for inputs in all_inputs:
            session = plane.get(f"/sessions/{inputs['sessionId']}")
            assert session.status_code == 200
            assert (session.json()["status"], session.json()["name"]) == ("Succeeded", inputs["sessionName"])
            in_session = plane.get(f"/sessions/{inputs['sessionId']}/jobs").json()["value"]
            assert [job["id"] for job in in_session] == [inputs["jobId"]]
