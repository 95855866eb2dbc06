"""The workflow library (`workflows/*.arazzo.yaml`) run against the real service over a real socket.

Each workflow runs through the Python API with its inputs example plus fresh ids, its outputs are asserted,
and what it did is checked again through the data plane with the server's API key (jobs, sessions, blobs).
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import arazzo

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "workflows"
BIN = Path(sys.executable).parent
API_VERSION = "2026-01-15-preview"
USERS_FILE = "microsoft-quantum-session-lifecycle-workflow.yml"
LIBRARY = (
    "session-lifecycle",
    "run-circuit",
    "session-abort-policy",
    "session-continue-policy",
    "cancel-job",
    "update-job",
    "list-jobs",
    "compare-providers",
    "estimate-resources",
)
BELL_HISTOGRAM = {"0": 0.5, "3": 0.5}
Service = tuple[str, str]  # base URL, API key

sys.path.insert(0, str(ROOT / "scripts"))
import run_workflow  # noqa: E402 - the `make run` script, to check which inputs it fills in

pytestmark = pytest.mark.slow


def document(name: str) -> Path:
    return WORKFLOWS / f"{name}.arazzo.yaml"


def example_inputs(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((WORKFLOWS / "inputs" / f"{name}.json").read_text())
    return loaded


def new_id() -> str:
    return str(uuid.uuid4())


class DataPlane:
    """The service's data plane with the server's API key: how the tests look behind the workflows."""

    def __init__(self, base_url: str, api_key: str, inputs: dict[str, Any]) -> None:
        self.client = httpx.Client(
            base_url=(
                f"{base_url}/subscriptions/{inputs['subscriptionId']}/resourceGroups/{inputs['resourceGroupName']}"
                f"/providers/Microsoft.Quantum/workspaces/{inputs['workspaceName']}"
            ),
            headers={"x-ms-quantum-api-key": api_key},
            params={"api-version": API_VERSION},
            timeout=30,
        )

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def status_of(self, path: str) -> int:
        return self.client.get(path).status_code

    def create_job(self, name: str) -> str:
        """A job with no program: it ends Failed (InputDataNotFound), which is all a listing needs."""
        job_id = new_id()
        sas = self.client.post("/storage/sasUri", json={"containerName": f"job-{job_id}"})
        assert sas.status_code == 200, sas.text
        body = {
            "name": name,
            "providerId": "ionq",
            "target": "ionq.simulator",
            "itemType": "Job",
            "containerUri": sas.json()["sasUri"],
            "inputDataFormat": "ionq.circuit.v1",
        }
        created = self.client.put(f"/jobs/{job_id}", json=body)
        assert created.status_code == 200, created.text
        return job_id

    def close(self) -> None:
        self.client.close()


@pytest.fixture(scope="module")
def token() -> str:
    result = subprocess.run([str(BIN / "quantum-workspace"), "token"], check=True, capture_output=True, text=True)
    return result.stdout.strip()


@pytest.fixture
def service(workspace_server_session: Any) -> Service:
    base_url, api_key, _data_dir = workspace_server_session
    return base_url, api_key


@pytest.fixture
def plane(service: Service) -> Iterator[DataPlane]:
    data_plane = DataPlane(*service, example_inputs("run-circuit"))
    yield data_plane
    data_plane.close()


def run(name: str, service: Service, token: str, **given: Any) -> arazzo.RunResult:
    inputs = example_inputs(name) | {"authToken": token} | given
    return arazzo.run_sync(document(name), inputs=inputs, servers={"dataPlaneApi": service[0]})


def step_ids(result: arazzo.RunResult) -> list[str]:
    return [record.step_id for record in result.steps]


def record(result: arazzo.RunResult, step_id: str) -> arazzo.StepRecord:
    return next(r for r in result.steps if r.step_id == step_id)


# -- run-circuit ----------------------------------------------------------------------------------------


def test_run_circuit_returns_the_bell_histogram(service: Service, token: str, plane: DataPlane) -> None:
    job_id = new_id()

    result = run("run-circuit", service, token, jobId=job_id)

    assert result.status == "succeeded", result.error
    assert result.outputs["jobId"] == job_id
    assert result.outputs["jobStatus"] == "Succeeded"
    assert result.outputs["histogram"] == BELL_HISTOGRAM
    assert result.outputs["results"] == {"histogram": BELL_HISTOGRAM}
    assert record(result, "waitForJob").attempts >= 1
    job = plane.get(f"/jobs/{job_id}")
    assert job["status"] == "Succeeded" and job["containerUri"].split("?")[0].endswith(f"/job-{job_id}")
    assert job["inputDataFormat"] == "ionq.circuit.v1" and job["inputParams"] == {"shots": 100}


def test_run_circuit_ends_failed_when_the_job_fails(service: Service, token: str, plane: DataPlane) -> None:
    job_id = new_id()
    broken = {"qubits": 1, "circuit": [{"gate": "cnot", "control": 0, "target": 3}]}

    result = run("run-circuit", service, token, jobId=job_id, program=broken)

    assert result.status == "failed"
    assert result.error is not None and result.error.step_id == "waitForJob"
    assert result.outputs["jobStatus"] == "Failed"
    assert result.outputs["errorData"]["code"] == "InvalidInputData"
    assert "histogram" not in result.outputs
    assert "downloadResults" not in step_ids(result)
    assert plane.get(f"/jobs/{job_id}")["status"] == "Failed"


# -- sessions and their failure policies --------------------------------------------------------------


def test_session_abort_policy_fails_the_session_and_refuses_the_next_job(
    service: Service, token: str, plane: DataPlane
) -> None:
    ids = {"sessionId": new_id(), "jobId": new_id(), "secondJobId": new_id(), "thirdJobId": new_id()}

    result = run("session-abort-policy", service, token, **ids)

    assert result.status == "succeeded", result.error
    out = result.outputs
    assert out["jobFailurePolicy"] == "Abort"
    assert out["firstJobStatus"] == "Succeeded"
    assert (out["secondJobStatus"], out["secondJobErrorCode"]) == ("Failed", "InvalidInputData")
    assert "out of range" in out["secondJobErrorMessage"]
    assert out["sessionStatusAfterFailure"] == "Failed"
    assert (out["thirdSubmitStatusCode"], out["thirdSubmitErrorCode"]) == (400, "InvalidJobDefinition")
    assert ids["sessionId"] in out["thirdSubmitErrorMessage"]
    assert out["finalSessionStatus"] == "Failed"
    # the refusal was a failed step that an onFailure goto handled: the close came right after it
    refused = record(result, "submitThirdJob")
    assert (refused.status, refused.status_code) == ("failed", 400)
    assert step_ids(result)[-2:] == ["submitThirdJob", "closeSession"]
    # behind the workflow: the session holds the two jobs it accepted, the third was never created
    assert plane.get(f"/sessions/{ids['sessionId']}")["status"] == "Failed"
    listed = {job["id"]: job["status"] for job in plane.get(f"/sessions/{ids['sessionId']}/jobs")["value"]}
    assert listed == {ids["jobId"]: "Succeeded", ids["secondJobId"]: "Failed"}
    assert plane.status_of(f"/jobs/{ids['thirdJobId']}") == 404


def test_session_continue_policy_tolerates_the_failure_until_close(
    service: Service, token: str, plane: DataPlane
) -> None:
    ids = {"sessionId": new_id(), "jobId": new_id(), "secondJobId": new_id()}

    result = run("session-continue-policy", service, token, **ids)

    assert result.status == "succeeded", result.error
    out = result.outputs
    assert out["jobFailurePolicy"] == "Continue"
    assert (out["firstJobStatus"], out["firstJobErrorCode"]) == ("Failed", "InvalidInputData")
    assert out["sessionStatusAfterFailure"] == "Failure(s)"
    assert out["secondJobStatus"] == "Succeeded"
    assert out["histogram"] == BELL_HISTOGRAM
    assert out["finalSessionStatus"] == "Failed"
    assert all(r.status == "succeeded" for r in result.steps)
    session = plane.get(f"/sessions/{ids['sessionId']}")
    assert session["status"] == "Failed" and session["jobFailurePolicy"] == "Continue"
    listed = {job["id"]: job["status"] for job in plane.get(f"/sessions/{ids['sessionId']}/jobs")["value"]}
    assert listed == {ids["jobId"]: "Failed", ids["secondJobId"]: "Succeeded"}


# -- cancel and update ---------------------------------------------------------------------------------


def test_cancel_job_ends_with_the_job_cancelled(service: Service, token: str, plane: DataPlane) -> None:
    job_id = new_id()

    result = run("cancel-job", service, token, jobId=job_id)

    assert result.status == "succeeded", result.error
    out = result.outputs
    assert out["jobId"] == job_id
    assert out["statusAfterCancel"] in ("Cancelled", "CancellationRequested")
    assert out["finalStatus"] == "Cancelled"
    assert out["cancellationTime"].endswith("Z")
    job = plane.get(f"/jobs/{job_id}")
    assert job["status"] == "Cancelled" and job["cancellationTime"] == out["cancellationTime"]
    # a cancelled job does not point at results: its outputDataUri names no rawOutputData blob
    assert "/rawOutputData" not in job["outputDataUri"]


def test_update_job_patches_name_tags_and_priority(service: Service, token: str, plane: DataPlane) -> None:
    job_id = new_id()

    result = run("update-job", service, token, jobId=job_id, newTags=["reviewed", "e2e"])

    assert result.status == "succeeded", result.error
    out = result.outputs
    assert (out["nameBefore"], out["tagsBefore"], out["priorityBefore"]) == ("draft-bell-pair", ["draft"], "Standard")
    assert out["patchResponse"] == {"name": "bell-pair", "tags": ["reviewed", "e2e"], "priority": "High"}
    assert (out["name"], out["tags"], out["priority"]) == ("bell-pair", ["reviewed", "e2e"], "High")
    assert out["jobStatus"] == "Succeeded"
    job = plane.get(f"/jobs/{job_id}")
    assert (job["name"], job["tags"], job["priority"]) == ("bell-pair", ["reviewed", "e2e"], "High")
    assert job["providerId"] == "ionq" and job["target"] == "ionq.simulator"  # what it runs did not change


# -- list-jobs ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def listed_jobs(workspace_server_session: Any) -> tuple[str, list[str]]:
    """Seven jobs named `<prefix>-0` .. `<prefix>-6`, and three others that the filter must leave out."""
    base_url, api_key, _ = workspace_server_session
    plane = DataPlane(base_url, api_key, example_inputs("list-jobs"))
    prefix = f"page-{uuid.uuid4().hex[:8]}"
    try:
        for other in range(3):
            plane.create_job(f"other-{prefix}-{other}")
        ids = [plane.create_job(f"{prefix}-{index}") for index in range(7)]
    finally:
        plane.close()
    return prefix, ids


def names(jobs: list[dict[str, Any]]) -> list[str]:
    return [job["name"] for job in jobs]


@pytest.mark.parametrize(
    ("page_size", "pages"),
    [
        (2, [[0, 1], [2, 3], [4, 5], [6]]),
        (3, [[0, 1, 2], [3, 4, 5], [6]]),
        (4, [[0, 1, 2, 3], [4, 5, 6]]),
        (7, [[0, 1, 2, 3, 4, 5, 6]]),
    ],
    ids=["four-pages", "three-pages", "two-pages", "one-page"],
)
def test_list_jobs_follows_next_link_to_the_last_page(
    service: Service, token: str, listed_jobs: tuple[str, list[str]], page_size: int, pages: list[list[int]]
) -> None:
    prefix, _ids = listed_jobs

    result = run(
        "list-jobs", service, token, filter=f"startswith(Name, '{prefix}-')", orderby="Name asc", pageSize=page_size
    )

    assert result.status == "succeeded", result.error
    expected = [[f"{prefix}-{index}" for index in page] for page in pages]
    out = result.outputs
    assert names(out["firstPage"]) == expected[0]
    if len(pages) > 1:
        assert names(out["secondPage"]) == expected[1]
        assert names(out["lastPage"]) == expected[-1]
    else:
        assert "secondPage" not in out and "lastPage" not in out
    # one Jobs_List, then one x-operation GET per further page; followNextLink loops by goto
    assert step_ids(result).count("listFirstPage") == 1
    assert step_ids(result).count("getPage") == len(pages) - 1
    assert step_ids(result).count("followNextLink") == max(0, len(pages) - 2)
    assert all(r.status == "succeeded" for r in result.steps)


def test_list_jobs_filter_combines_conditions(service: Service, token: str, listed_jobs: tuple[str, list[str]]) -> None:
    prefix, ids = listed_jobs

    result = run(
        "list-jobs",
        service,
        token,
        filter=f"(Id eq '{ids[1]}' or Id eq '{ids[5]}') and startswith(Name, '{prefix}')",
        orderby="Name desc",
    )

    assert result.status == "succeeded", result.error
    assert names(result.outputs["firstPage"]) == [f"{prefix}-5", f"{prefix}-1"]
    assert step_ids(result) == ["listFirstPage"]


# -- compare-providers and estimate-resources ---------------------------------------------------------


def test_compare_providers_runs_one_bell_circuit_on_three_providers(
    service: Service, token: str, plane: DataPlane
) -> None:
    ids = {"ionqJobId": new_id(), "quantinuumJobId": new_id(), "rigettiJobId": new_id()}

    result = run("compare-providers", service, token, shots=40, **ids)

    assert result.status == "succeeded", result.error
    out = result.outputs
    assert out["ionqHistogram"] == BELL_HISTOGRAM
    quantinuum = collections.Counter(out["quantinuumShots"])
    rigetti = collections.Counter("".join(map(str, reversed(bits))) for bits in out["rigettiShots"])
    for counts in (quantinuum, rigetti):
        assert sum(counts.values()) == 40
        assert set(counts) == {"00", "11"}  # entangled: both qubits always agree, and both outcomes occur
    assert (out["ionqJobStatus"], out["quantinuumJobStatus"], out["rigettiJobStatus"]) == ("Succeeded",) * 3
    # the same sub-workflow ran three times, once per provider
    assert [r.step_id for r in result.steps if r.operation.startswith("workflow")] == [
        "runOnIonQ",
        "runOnQuantinuum",
        "runOnRigetti",
    ]
    formats = {
        ids["ionqJobId"]: ("ionq", "ionq.circuit.v1"),
        ids["quantinuumJobId"]: ("quantinuum", "honeywell.openqasm.v1"),
        ids["rigettiJobId"]: ("rigetti", "rigetti.quil.v1"),
    }
    for job_id, (provider, input_format) in formats.items():
        job = plane.get(f"/jobs/{job_id}")
        assert (job["providerId"], job["inputDataFormat"], job["status"]) == (provider, input_format, "Succeeded")


def test_compare_providers_stores_programs_with_their_content_types(
    service: Service, token: str, plane: DataPlane
) -> None:
    ids = {"ionqJobId": new_id(), "quantinuumJobId": new_id(), "rigettiJobId": new_id()}

    result = run("compare-providers", service, token, shots=4, **ids)

    assert result.status == "succeeded", result.error
    for job_id, content_type, first_line in (
        (ids["ionqJobId"], "application/json", '{"qubits":2'),
        (ids["quantinuumJobId"], "application/qasm", "OPENQASM 2.0;"),
        (ids["rigettiJobId"], "text/plain", "DECLARE ro BIT[2]"),
    ):
        input_uri = plane.get(f"/jobs/{job_id}")["inputDataUri"]
        blob = httpx.get(input_uri, timeout=30)
        assert blob.status_code == 200
        assert blob.headers["content-type"] == content_type
        assert blob.text.startswith(first_line)  # sent raw, not as a JSON string


def test_estimate_resources_reports_physical_qubits_and_runtime(service: Service, token: str, plane: DataPlane) -> None:
    job_id = new_id()

    result = run("estimate-resources", service, token, jobId=job_id)

    assert result.status == "succeeded", result.error
    out = result.outputs
    assert out["jobStatus"] == "Succeeded"
    assert isinstance(out["physicalQubits"], int) and out["physicalQubits"] > out["logicalQubits"] > 0
    assert isinstance(out["runtimeNs"], int) and out["runtimeNs"] > 0
    assert out["runtime"].endswith("secs") and out["codeDistance"] >= 3 and out["tFactories"] >= 1
    job = plane.get(f"/jobs/{job_id}")
    assert (job["target"], job["inputDataFormat"], job["outputDataFormat"]) == (
        "microsoft.estimator",
        "qir.v1",
        "microsoft.resource-estimates.v1",
    )
    assert job["inputParams"] == {"errorBudget": 0.001, "qubitParams": {"name": "qubit_gate_ns_e3"}}


def test_estimate_resources_follows_the_qubit_model(service: Service, token: str) -> None:
    """Slower (microsecond) qubits make the same program take longer: the parameters reach the estimator."""
    fast = run("estimate-resources", service, token, jobId=new_id(), qubitModel="qubit_gate_ns_e3")
    slow = run("estimate-resources", service, token, jobId=new_id(), qubitModel="qubit_gate_us_e3")

    assert fast.status == slow.status == "succeeded", (fast.error, slow.error)
    assert slow.outputs["runtimeNs"] > fast.outputs["runtimeNs"]
    assert slow.outputs["logicalQubits"] == fast.outputs["logicalQubits"]


# -- the library as a whole: documents, inputs examples, make run -------------------------------------


@pytest.mark.parametrize("name", LIBRARY)
def test_every_workflow_has_an_inputs_example_and_a_readme_section(name: str) -> None:
    """`make run WORKFLOW=<name>` can run it: the example, fresh ids and the token cover its required inputs."""
    path = document(name)
    workflow = yaml.safe_load(path.read_text())["workflows"][0]
    declared = run_workflow.declared_inputs(path)
    given = set(example_inputs(name)) | set(run_workflow.fresh_id_names(declared)) | {"authToken"}
    assert set(workflow["inputs"].get("required", [])) <= given
    assert set(example_inputs(name)) <= set(workflow["inputs"]["properties"])
    readme = (WORKFLOWS / "README.md").read_text()
    assert f"`{path.name}`" in readme


def test_every_workflow_validates_without_warnings() -> None:
    """`arazzo validate --strict` on every workflow the project ships except the user's file as given."""
    shipped = sorted(p for p in WORKFLOWS.glob("*.y*ml") if p.name != USERS_FILE)
    assert {p.name for p in shipped} >= {document(name).name for name in LIBRARY}
    completed = subprocess.run(
        [str(BIN / "arazzo"), "validate", "--strict", *map(str, shipped)], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout == ""  # one line per finding: none
    assert f"{len(shipped)} documents: valid: 0 error(s), 0 warning(s)" in completed.stderr


def test_make_run_gives_every_fresh_id_its_own_value() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "run_workflow.py"), "session-abort-policy", "--json"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads(completed.stdout)
    assert report["status"] == "succeeded"
    assert report["outputs"]["thirdSubmitStatusCode"] == 400
    assert report["outputs"]["finalSessionStatus"] == "Failed"
    assert [step["stepId"] for step in report["steps"]][-2:] == ["submitThirdJob", "closeSession"]
