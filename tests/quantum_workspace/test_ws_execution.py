"""Execution rules of the worker: cancelling a running job stops its simulation and leaves no output,
`priority: High` jobs are taken first, and QPU jobs wait out the configured queue delay."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ws_helpers import BELL, Api, child_processes, new_id, process_alive, wait_for

from quantum_workspace.clock import ManualClock
from quantum_workspace.service import load_catalog
from quantum_workspace.simulators import simulator_pool
from quantum_workspace.worker import execute

#: 20 qubits through 400 layers of rotations and a CNOT chain: 37 s to 90 s of exact simulation here, so
#: a job that reaches Cancelled within the wait below was stopped, not run to its end.
LONG = {
    "qubits": 20,
    "circuit": [
        gate
        for layer in range(400)
        for gate in (
            *({"gate": "rx", "target": q, "rotation": 0.1 * (layer + 1) + 0.01 * q} for q in range(20)),
            *({"gate": "cnot", "control": q, "target": q + 1} for q in range(19)),
        )
    ],
}
AppFactory = Callable[..., TestClient]


def _wait_status(api: Api, job_id: str, statuses: tuple[str, ...], deadline: float = 60.0) -> dict[str, Any]:
    end = time.monotonic() + deadline
    while True:
        job: dict[str, Any] = api.call("GET", f"/jobs/{job_id}").json()
        if job["status"] in statuses or time.monotonic() > end:
            return job
        time.sleep(0.02)


def _output_blob_status(api: Api, job_id: str) -> int:
    status: int = api.client.get(api.sas(f"job-{job_id}", "rawOutputData")).status_code
    return status


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from /proc")
@pytest.mark.parametrize("worker_process", [False, True], ids=["worker-threads", "worker-process"])
def test_cancelling_an_executing_job_stops_its_simulation_and_writes_no_output(
    make_client: AppFactory, worker_process: bool
) -> None:
    """In the server's threads the cancel reaches the run at once; in a worker process it is a message from
    the server. The worker's own look at the store (for cancels other replicas take) is put off for an
    hour here, so only those paths can stop the run: its simulator child is killed, not left to finish."""
    client = make_client(worker_threads=1, job_timeout=600, worker_process=worker_process, cancel_check_interval=3600)
    api = Api(client)
    parent = client.app.state.worker_process.pid if worker_process else os.getpid()  # type: ignore[attr-defined]
    job_id = new_id()
    assert api.submit(LONG, job_id=job_id, inputParams={"shots": 10}).status_code == 200
    assert _wait_status(api, job_id, ("Executing",))["status"] == "Executing"
    simulators = wait_for(lambda: child_processes(parent, b"quantum_workspace.simulators"))
    assert simulators

    assert api.call("POST", f"/jobs/{job_id}:cancel").status_code == 200
    job = _wait_status(api, job_id, ("Succeeded", "Failed", "Cancelled"), deadline=30)

    assert job["status"] == "Cancelled", job
    assert job["cancellationTime"] is not None
    assert _output_blob_status(api, job_id) == 404
    assert wait_for(lambda: not all(process_alive(pid) for pid in simulators))  # the run's child was killed
    # the worker carries on with a fresh simulator child
    after = new_id()
    api.submit(BELL, job_id=after)
    assert api.wait_job(after)["status"] == "Succeeded"


def test_a_run_that_ends_after_its_cancel_keeps_no_output(idle_api: Api) -> None:
    """The cancel arrives while the job is Executing and the run still finishes: no rawOutputData."""
    job_id = new_id()
    assert idle_api.submit(BELL, job_id=job_id).status_code == 200
    services = idle_api.client.app.state.services  # type: ignore[attr-defined]
    claimed = services.jobs.claim_next()
    assert claimed is not None and claimed.id == job_id
    assert idle_api.call("POST", f"/jobs/{job_id}:cancel").status_code == 200

    finished = execute(claimed, services.jobs, services.blobs, load_catalog(), simulator_pool())

    assert finished.status == "Cancelled"
    assert idle_api.call("GET", f"/jobs/{job_id}").json()["status"] == "Cancelled"
    assert _output_blob_status(idle_api, job_id) == 404


def test_high_priority_jobs_are_taken_before_older_standard_ones(idle_api: Api, clock: ManualClock) -> None:
    ids = {}
    for name, priority in (("first", "Standard"), ("second", None), ("urgent", "High"), ("later", "High")):
        ids[name] = new_id()
        extra = {"priority": priority} if priority else {}
        assert idle_api.submit(BELL, job_id=ids[name], **extra).status_code == 200
        clock.advance(timedelta(seconds=1))
    jobs = idle_api.client.app.state.services.jobs  # type: ignore[attr-defined]

    order = [jobs.claim_next().id for _ in range(4)]

    assert order == [ids["urgent"], ids["later"], ids["first"], ids["second"]]
    assert jobs.claim_next() is None


def test_qpu_jobs_wait_out_the_queue_delay(make_client: AppFactory) -> None:
    clock = ManualClock()
    api = Api(make_client(clock=clock, qpu_queue_delay=30.0))
    qpu, simulator = new_id(), new_id()
    assert api.submit(BELL, job_id=qpu, target="ionq.qpu.aria-1", inputParams={"shots": 20}).status_code == 200
    assert api.submit(BELL, job_id=simulator).status_code == 200

    assert api.wait_job(simulator)["status"] == "Succeeded"  # the worker runs, and passes the QPU job by
    assert api.call("GET", f"/jobs/{qpu}").json()["status"] == "Waiting"

    clock.advance(timedelta(seconds=31))
    job = api.wait_job(qpu)
    assert job["status"] == "Succeeded", job
    assert job["beginExecutionTime"] > job["creationTime"]


def test_a_long_queue_of_delayed_qpu_jobs_does_not_hold_back_a_simulator_job(make_client: AppFactory) -> None:
    """More delayed QPU jobs than the worker reads at once stand ahead of a simulator job: it still runs."""
    clock = ManualClock()
    api = Api(make_client(clock=clock, qpu_queue_delay=30.0))
    api.sas("shared")
    assert api.upload("shared", json.dumps(BELL).encode()).status_code == 201
    body = api.job_body("shared", target="ionq.qpu.aria-1", inputParams={"shots": 20})
    for _ in range(100):
        assert api.call("PUT", f"/jobs/{new_id()}", json_body=body).status_code == 200
    simulator = new_id()
    assert api.call("PUT", f"/jobs/{simulator}", json_body=api.job_body("shared")).status_code == 200
    assert api.wait_job(simulator)["status"] == "Succeeded"


def test_without_a_queue_delay_qpu_jobs_run_at_once(make_client: AppFactory) -> None:
    api = Api(make_client(clock=ManualClock()))
    job_id = new_id()
    assert api.submit(BELL, job_id=job_id, target="ionq.qpu.aria-1", inputParams={"shots": 20}).status_code == 200
    assert api.wait_job(job_id)["status"] == "Succeeded"
