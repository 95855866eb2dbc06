"""Qiskit through Microsoft's `AzureQuantumProvider`, unmodified, against a real `quantum-workspace serve`.

The default backends of `ionq.simulator`, `quantinuum.sim.h2-1e` and `rigetti.sim.qvm` send QIR; the native
IonQ backends send IonQ JSON (qis and native gatesets) and the Quantinuum backends OpenQASM 2. Counts are
checked against the circuit's distribution with a chi-square test at p = 1e-6, not just for "no exception"."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping

import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
warnings.filterwarnings("ignore", category=DeprecationWarning)

from azure.quantum.qiskit import AzureQuantumProvider  # noqa: E402
from azure.quantum.qiskit.backends import IonQSimulatorBackend, QuantinuumEmulatorBackend  # noqa: E402
from azure.quantum.qiskit.backends.ionq import (  # noqa: E402
    IonQAriaBackend,
    IonQAriaNativeBackend,
    IonQSimulatorNativeBackend,
)
from azure.quantum.qiskit.backends.quantinuum import QuantinuumSyntaxCheckerBackend  # noqa: E402
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister  # noqa: E402
from qiskit.circuit import Gate  # noqa: E402

from ._sdk import sdk_workspace  # noqa: E402
from ._stats import CHI2_CRITICAL  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000c1"
TIMEOUT = 120


def assert_distribution(counts: Mapping[str, float], expected: Mapping[str, float], shots: int) -> None:
    """Only outcomes the circuit can give, `shots` in all, and frequencies that pass a chi-square test."""
    observed = {str(key): float(value) for key, value in counts.items()}
    assert set(observed) <= set(expected), f"impossible outcomes: {set(observed) - set(expected)}"
    assert math.isclose(sum(observed.values()), shots)
    chi_square = sum((observed.get(k, 0) - p * shots) ** 2 / (p * shots) for k, p in expected.items())
    assert chi_square < CHI2_CRITICAL[len(expected) - 1], (observed, expected)


@pytest.fixture(scope="module")
def provider(workspace_server_session) -> AzureQuantumProvider:
    base_url, key, _ = workspace_server_session
    workspace = sdk_workspace(base_url, key, subscription_id=SUBSCRIPTION, resource_group="rg-qiskit", name="ws-qiskit")
    return AzureQuantumProvider(workspace)


def ghz(n: int = 3) -> QuantumCircuit:
    circuit = QuantumCircuit(n, n, name="ghz")
    circuit.h(0)
    for qubit in range(1, n):
        circuit.cx(0, qubit)
    circuit.measure(range(n), range(n))
    return circuit


def biased() -> QuantumCircuit:
    """P(q0=1) = 0.2 and q1 = NOT q0, measured into registers a and b (Qiskit keys read "b a")."""
    q = QuantumRegister(2, "q")
    a, b = ClassicalRegister(1, "a"), ClassicalRegister(1, "b")
    circuit = QuantumCircuit(q, a, b, name="biased")
    circuit.ry(2 * math.asin(math.sqrt(0.2)), 0)
    circuit.cx(0, 1)
    circuit.x(1)
    circuit.measure(0, a[0])
    circuit.measure(1, b[0])
    return circuit


BIASED = {"1 0": 0.8, "0 1": 0.2}  # "b a": q0=0 -> a=0, b=1


@pytest.mark.parametrize("target", ["ionq.simulator", "quantinuum.sim.h2-1e", "rigetti.sim.qvm"])
def test_default_backend_sends_qir_and_counts_follow_the_circuit(provider, target: str) -> None:
    backend = provider.get_backend(target)
    job = backend.run(ghz(), shots=400)
    result = job.result(timeout=TIMEOUT)

    details = job._azure_job.details
    assert (details.input_data_format, details.output_data_format) == ("qir.v1", "microsoft.quantum-results.v2")
    assert result.success
    assert_distribution(result.get_counts(), {"000": 0.5, "111": 0.5}, 400)


@pytest.mark.parametrize("target", ["ionq.simulator", "quantinuum.sim.h2-1e", "rigetti.sim.qvm"])
def test_qir_two_registers_and_a_biased_rotation(provider, target: str) -> None:
    result = provider.get_backend(target).run(biased(), shots=1000).result(timeout=TIMEOUT)
    assert_distribution(result.get_counts(), BIASED, 1000)


def test_qir_memory_lists_one_bitstring_per_shot(provider) -> None:
    result = provider.get_backend("rigetti.sim.qvm").run(ghz(2), shots=50, memory=True).result(timeout=TIMEOUT)
    memory = result.get_memory()
    assert len(memory) == 50 and set(memory) <= {"00", "11"}


def test_quantinuum_qir_mid_circuit_measurement_and_conditional(provider) -> None:
    circuit = QuantumCircuit(2, 2, name="feed-forward")
    circuit.h(0)
    circuit.measure(0, 0)
    with circuit.if_test((circuit.clbits[0], 1)):
        circuit.x(1)
    circuit.measure(1, 1)

    result = provider.get_backend("quantinuum.sim.h2-1e").run(circuit, shots=300).result(timeout=TIMEOUT)

    assert_distribution(result.get_counts(), {"00": 0.5, "11": 0.5}, 300)


def test_qpu_qir_backend_samples(provider) -> None:
    backend = provider.get_backend("ionq.qpu.aria-1")
    result = backend.run(biased(), shots=500).result(timeout=TIMEOUT)
    assert_distribution(result.get_counts(), BIASED, 500)


def test_native_ionq_backend_sends_ionq_json(provider) -> None:
    job = IonQSimulatorBackend("ionq.simulator", provider).run(ghz(), shots=400)
    result = job.result(timeout=TIMEOUT)

    details = job._azure_job.details
    assert (details.input_data_format, details.output_data_format) == (
        "ionq.circuit.v1",
        "ionq.quantum-results.v1",
    )
    assert_distribution(result.get_counts(), {"000": 0.5, "111": 0.5}, 400)
    # the simulator returns exact probabilities, which the client samples from
    assert job._azure_job.get_results() == {"histogram": {"0": 0.5, "7": 0.5}}


def native_circuit() -> QuantumCircuit:
    """GPI2(0.25) on qubit 2 (even superposition) and a fully entangling MS on qubits 0 and 1."""
    circuit = QuantumCircuit(3, 3, name="native")
    circuit.append(Gate("gpi2", 1, [0.25]), [2])
    circuit.append(Gate("ms", 2, [0, 0, 0.25]), [0, 1])
    circuit.measure([0, 1, 2], [0, 1, 2])
    return circuit


NATIVE = {"000": 0.25, "011": 0.25, "100": 0.25, "111": 0.25}


def test_native_gateset_on_the_ionq_simulator(provider) -> None:
    job = IonQSimulatorNativeBackend("ionq.simulator", provider).run(native_circuit(), shots=800)
    result = job.result(timeout=TIMEOUT)
    assert job._azure_job.get_results() == {"histogram": {"0": 0.25, "3": 0.25, "4": 0.25, "7": 0.25}}
    assert_distribution(result.get_counts(), NATIVE, 800)


def test_native_gateset_on_an_ionq_qpu_is_sampled(provider) -> None:
    job = IonQAriaNativeBackend("ionq.qpu.aria-1", provider).run(native_circuit(), shots=800)
    histogram = job._azure_job.get_results()["histogram"]
    # a QPU histogram holds sampled frequencies: multiples of 1/shots
    assert all(math.isclose(p * 800, round(p * 800)) for p in histogram.values())
    assert_distribution(job.result(timeout=TIMEOUT).get_counts(), NATIVE, 800)


def test_qis_circuit_on_an_ionq_qpu(provider) -> None:
    result = IonQAriaBackend("ionq.qpu.aria-1", provider).run(ghz(), shots=400).result(timeout=TIMEOUT)
    assert_distribution(result.get_counts(), {"000": 0.5, "111": 0.5}, 400)


def test_quantinuum_openqasm_backend(provider) -> None:
    job = QuantinuumEmulatorBackend("quantinuum.sim.h2-1e", provider).run(biased(), shots=1000)
    result = job.result(timeout=TIMEOUT)

    details = job._azure_job.details
    assert (details.input_data_format, details.output_data_format) == (
        "honeywell.openqasm.v1",
        "honeywell.quantum-results.v1",
    )
    raw = job._azure_job.get_results()
    assert list(raw) == ["a", "b"] and len(raw["a"]) == len(raw["b"]) == 1000
    # the client concatenates the registers in the order the result lists them (declaration order): "a b"
    assert_distribution(result.get_counts(), {"01": 0.8, "10": 0.2}, 1000)


def test_quantinuum_syntax_checker_returns_zeros(provider) -> None:
    result = (
        QuantinuumSyntaxCheckerBackend("quantinuum.sim.h2-1sc", provider).run(ghz(), shots=20).result(timeout=TIMEOUT)
    )
    assert result.get_counts() == {"000": 20}


def test_session_with_several_runs(provider) -> None:
    # a provider of its own: the SDK keeps a closed session on the backend and would attach later runs to it
    workspace = provider.get_workspace()
    backend = AzureQuantumProvider(workspace).get_backend("ionq.simulator")
    with backend.open_session(name="qiskit-session") as session:
        jobs = [backend.run(ghz(2), shots=100, job_name=f"run-{i}") for i in range(3)]
        results = [job.result(timeout=TIMEOUT) for job in jobs]

    for result in results:
        assert_distribution(result.get_counts(), {"00": 0.5, "11": 0.5}, 100)
    assert {job._azure_job.details.session_id for job in jobs} == {session.id}
    assert {job.id for job in workspace.list_session_jobs(session.id)} == {job.id() for job in jobs}
    assert workspace.get_session(session.id).details.status == "Succeeded"


def test_provider_get_job_reads_a_finished_job(provider) -> None:
    job = provider.get_backend("ionq.simulator").run(ghz(2), shots=100)
    job.result(timeout=TIMEOUT)

    again = provider.get_job(job.id())

    assert again.status().name == "DONE"
    assert_distribution(again.result(timeout=TIMEOUT).get_counts(), {"00": 0.5, "11": 0.5}, 100)
