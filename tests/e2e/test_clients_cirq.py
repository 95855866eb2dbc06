"""Cirq through the azure-quantum SDK's Cirq support (`AzureQuantumService`), unmodified, against a real
`quantum-workspace serve`: IonQ targets get IonQ JSON (via cirq-ionq's serializer), Quantinuum targets
OpenQASM 2 with one `m_<key>` register per measurement key; results come back as Cirq results."""

from __future__ import annotations

import math
import os

import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

import cirq  # noqa: E402
from azure.quantum.cirq import AzureQuantumService  # noqa: E402

from ._sdk import sdk_workspace  # noqa: E402
from ._stats import assert_distribution  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000c4"
TIMEOUT = 120


@pytest.fixture(scope="module")
def service(workspace_server_session) -> AzureQuantumService:
    base_url, key, _ = workspace_server_session
    workspace = sdk_workspace(base_url, key, subscription_id=SUBSCRIPTION, resource_group="rg-cirq", name="ws-cirq")
    return AzureQuantumService(workspace=workspace)


Q0, Q1, Q2 = cirq.LineQubit.range(3)


def two_keys() -> cirq.Circuit:
    """A GHZ state read under key "ab" (qubits 0, 1) and a 0.2-biased independent qubit under key "c"."""
    return cirq.Circuit(
        cirq.H(Q0),
        cirq.CNOT(Q0, Q1),
        cirq.ry(2 * math.asin(math.sqrt(0.2)))(Q2),
        cirq.measure(Q0, Q1, key="ab"),
        cirq.measure(Q2, key="c"),
    )


# joint (ab, c) outcomes; ab is a big-endian integer of (q0, q1)
TWO_KEYS = {(0, 0): 0.4, (3, 0): 0.4, (0, 1): 0.1, (3, 1): 0.1}


def joint(result: cirq.Result) -> dict[tuple[int, int], int]:
    frame = result.data
    counts: dict[tuple[int, int], int] = {}
    for ab, c in zip(frame["ab"], frame["c"], strict=True):
        counts[(int(ab), int(c))] = counts.get((int(ab), int(c)), 0) + 1
    return counts


@pytest.mark.parametrize("target", ["ionq.simulator", "ionq.qpu.aria-1", "quantinuum.sim.h2-1e"])
def test_two_measurement_keys(service, target: str) -> None:
    result = service.run(program=two_keys(), repetitions=500, target=target, timeout_seconds=TIMEOUT)
    assert_distribution(joint(result), TWO_KEYS, 500)


def test_ionq_job_uses_ionq_json(service) -> None:
    job = service.create_job(program=two_keys(), repetitions=100, target="ionq.simulator", name="cirq-ionq")
    (result,) = job.results(timeout_seconds=TIMEOUT)  # cirq-ionq 1.6 returns one result per circuit

    azure_job = service._workspace.get_job(job.job_id())
    assert azure_job.details.input_data_format == "ionq.circuit.v1"
    assert azure_job.details.output_data_format == "ionq.quantum-results.v1"
    # the simulator's exact probabilities, before cirq-ionq samples them
    histogram = azure_job.get_results()["histogram"]
    assert {int(k): p for k, p in histogram.items()} == pytest.approx({0: 0.4, 3: 0.4, 4: 0.1, 7: 0.1})
    assert sum(result.to_cirq_result().histogram(key="c").values()) == 100


def test_quantinuum_job_uses_openqasm_and_registers_per_key(service) -> None:
    job = service.create_job(program=two_keys(), repetitions=50, target="quantinuum.sim.h2-1e", name="cirq-qtm")
    job.results(timeout_seconds=TIMEOUT)

    azure_job = service._workspace.get_job(job.job_id())
    assert azure_job.details.input_data_format == "honeywell.openqasm.v1"
    assert set(azure_job.get_results()) == {"m_ab", "m_c"}


def test_quantinuum_syntax_checker_gives_zeros(service) -> None:
    result = service.run(program=two_keys(), repetitions=20, target="quantinuum.sim.h2-1sc", timeout_seconds=TIMEOUT)
    assert joint(result) == {(0, 0): 20}
