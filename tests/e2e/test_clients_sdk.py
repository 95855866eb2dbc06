"""The azure-quantum SDK's provider targets, unmodified, against a real `quantum-workspace serve`: `IonQ`,
`Quantinuum` (OpenQASM 2), `Rigetti` (Quil), `Pasqal` (a Pulser sequence) and the resource estimator, with
results read through the SDK's own result classes.

azure-quantum 3.13.0 no longer ships a `MicrosoftEstimator` class (the estimator moved to qdk): the estimator
job goes through the SDK's generic `Target` with the formats that class used, and its result is read with
qdk's `EstimatorResult`, the class that replaced `MicrosoftEstimatorResult`."""

from __future__ import annotations

import json
import math
import os
import warnings
from collections import Counter

import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from azure.quantum import Workspace  # noqa: E402
from azure.quantum.target import IonQ, Pasqal, Quantinuum, Rigetti, Target  # noqa: E402
from azure.quantum.target.pasqal import InputParams as PasqalParams  # noqa: E402
from azure.quantum.target.pasqal import Result as PasqalResult  # noqa: E402
from azure.quantum.target.rigetti import InputParams as RigettiParams  # noqa: E402
from azure.quantum.target.rigetti import Result as RigettiResult  # noqa: E402

from ._sdk import sdk_workspace  # noqa: E402
from ._stats import assert_distribution  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    # the SDK's own advice when its typed InputParams (count/runs) carry the shot count
    pytest.mark.filterwarnings("ignore:Field 'shots' from the 'input_params':UserWarning"),
]

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000c2"
TIMEOUT = 120


@pytest.fixture(scope="module")
def workspace(workspace_server_session) -> Workspace:
    base_url, key, _ = workspace_server_session
    return sdk_workspace(
        base_url, key, subscription_id=SUBSCRIPTION, resource_group="rg-sdk-targets", name="ws-sdk-targets"
    )


GHZ = {
    "qubits": 3,
    "circuit": [
        {"gate": "h", "target": 0},
        {"gate": "cnot", "control": 0, "target": 1},
        {"gate": "cnot", "control": 0, "targets": [2]},
    ],
}


def test_ionq_simulator_returns_exact_probabilities(workspace) -> None:
    job = IonQ(workspace, "ionq.simulator").submit(GHZ, name="ghz", shots=100)
    job.wait_until_completed(timeout_secs=TIMEOUT)

    assert job.details.provider_id == "IonQ"  # the typed target's spelling, accepted case-insensitively
    assert job.get_results() == {"histogram": {"0": 0.5, "7": 0.5}}


def test_ionq_qpu_histogram_is_sampled(workspace) -> None:
    rotation = {"qubits": 1, "circuit": [{"gate": "ry", "target": 0, "rotation": 2 * math.asin(math.sqrt(0.3))}]}
    job = IonQ(workspace, "ionq.qpu.aria-1").submit(rotation, name="ry", shots=1000)
    histogram = job.get_results(timeout_secs=TIMEOUT)["histogram"]

    counts = {key: round(p * 1000) for key, p in histogram.items()}
    assert all(math.isclose(p * 1000, counts[key]) for key, p in histogram.items())
    assert_distribution(counts, {"0": 0.7, "1": 0.3}, 1000)


QASM = """OPENQASM 2.0;
include "hqslib1.inc";
qreg q[2];
creg c[2];
creg flag[1];
h q[0];
measure q[0] -> c[0];
if(c[0]==1) x q[1];
measure q[1] -> c[1];
U1q(pi, 0) q[0];
measure q[0] -> flag[0];
"""


def test_quantinuum_emulator_runs_openqasm_with_a_bit_condition(workspace) -> None:
    job = Quantinuum(workspace, "quantinuum.sim.h2-1e").submit(QASM, name="feed-forward", shots=300)
    results = job.get_results(timeout_secs=TIMEOUT)

    assert set(results) == {"c", "flag"} and all(len(v) == 300 for v in results.values())
    # c[1] copies c[0]; U1q(pi, 0) flips q[0], so flag is the opposite of c[0]
    pairs = Counter(f"{c}/{f}" for c, f in zip(results["c"], results["flag"], strict=True))
    assert_distribution(pairs, {"00/1": 0.5, "11/0": 0.5}, 300)


def test_quantinuum_syntax_checker_returns_zeros(workspace) -> None:
    job = Quantinuum(workspace, "quantinuum.sim.h2-1sc").submit(QASM, name="check", shots=5)
    assert job.get_results(timeout_secs=TIMEOUT) == {"c": ["00"] * 5, "flag": ["0"] * 5}


def test_quantinuum_program_error_fails_the_job_naming_the_line(workspace) -> None:
    broken = QASM.replace("h q[0];", "h q[0]")
    job = Quantinuum(workspace, "quantinuum.sim.h2-1e").submit(broken, name="broken", shots=5)
    job.wait_until_completed(timeout_secs=TIMEOUT)

    assert job.details.status == "Failed"
    assert job.details.error_data.code == "InvalidInputData"
    assert "line 7" in job.details.error_data.message
    with pytest.raises(RuntimeError):
        job.get_results()


QUIL = """DECLARE ro BIT[2]
DECLARE theta REAL[1]
RX(theta) 0
CNOT 0 1
MEASURE 0 ro[0]
MEASURE 1 ro[1]
"""


def test_rigetti_quil_with_substitutions_read_through_the_result_class(workspace) -> None:
    params = RigettiParams(count=400, substitutions={"theta": [[math.pi], [2 * math.acos(math.sqrt(0.25))]]})
    job = Rigetti(workspace, "rigetti.sim.qvm").submit(QUIL, name="rx", input_params=params)
    job.wait_until_completed(timeout_secs=TIMEOUT)

    readout = RigettiResult(job)["ro"]
    assert len(readout) == 800
    first, second = readout[:400], readout[400:]
    assert first == [[1, 1]] * 400  # RX(pi) flips qubit 0, CNOT copies it
    assert_distribution(Counter(f"{a}{b}" for a, b in second), {"00": 0.25, "11": 0.75}, 400)


def pulser_program(area: float) -> str:
    """A resonant global Blackman pulse of `area` on two atoms far outside each other's blockade radius."""
    from pulser import Pulse, Register, Sequence
    from pulser.devices import AnalogDevice
    from pulser.waveforms import BlackmanWaveform

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sequence = Sequence(Register.from_coordinates([(0, 0), (40, 0)], prefix="q"), AnalogDevice)
        sequence.declare_channel("rydberg", "rydberg_global")
        sequence.add(Pulse.ConstantDetuning(BlackmanWaveform(1000, area), 0, 0), "rydberg")
        sequence.measure("ground-rydberg")
    return json.dumps({"sequence_builder": json.loads(sequence.to_abstract_repr())})


def test_pasqal_pulser_sequence_read_through_the_result_class(workspace) -> None:
    job = Pasqal(workspace, "pasqal.sim.emu-tn").submit(
        pulser_program(math.pi / 2), name="half-pi", input_params=PasqalParams(runs=400)
    )
    job.wait_until_completed(timeout_secs=TIMEOUT)

    assert job.details.status == "Succeeded"
    counts = PasqalResult(job).data
    # two independent atoms, each excited with probability 1/2
    assert_distribution(counts, {"00": 0.25, "01": 0.25, "10": 0.25, "11": 0.25}, 400)


def test_pasqal_pi_pulse_excites_both_atoms(workspace) -> None:
    job = Pasqal(workspace, "pasqal.sim.emu-free").submit(pulser_program(math.pi), name="pi", shots=30)
    job.wait_until_completed(timeout_secs=TIMEOUT)
    assert PasqalResult(job)["11"] == 30


_Q0, _Q1, _Q2 = (f"%Qubit* inttoptr (i64 {i} to %Qubit*)" for i in range(3))
ESTIMATOR_QIR = f"""%Qubit = type opaque
%Result = type opaque

define void @main() #0 {{
  call void @__quantum__qis__t__body({_Q0})
  call void @__quantum__qis__ccx__body({_Q0}, {_Q1}, {_Q2})
  call void @__quantum__qis__rz__body(double 3.000000e-01, {_Q1})
  call void @__quantum__qis__mz__body({_Q0}, %Result* null)
  ret void
}}

declare void @__quantum__qis__t__body(%Qubit*)
declare void @__quantum__qis__ccx__body(%Qubit*, %Qubit*, %Qubit*)
declare void @__quantum__qis__rz__body(double, %Qubit*)
declare void @__quantum__qis__mz__body(%Qubit*, %Result*)

attributes #0 = {{ "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="3" "required_num_results"="1" }}
"""


def estimator(workspace: Workspace) -> Target:
    """The target as azure-quantum's former `MicrosoftEstimator` class declared it."""
    return Target(
        workspace,
        name="microsoft.estimator",
        provider_id="microsoft-qc",
        input_data_format="qir.v1",
        output_data_format="microsoft.resource-estimates.v1",
        content_type="qir.v1",
    )


def test_estimator_with_azure_style_parameters(workspace) -> None:
    from qdk.estimator import EstimatorParams, EstimatorResult, QECScheme, QubitParams

    params = EstimatorParams()
    params.qubit_params.name = QubitParams.MAJ_NS_E6
    params.qec_scheme.name = QECScheme.FLOQUET_CODE
    params.error_budget = 0.01
    job = estimator(workspace).submit(ESTIMATOR_QIR, name="estimate", input_params=params.as_dict())

    result = EstimatorResult(job.get_results(timeout_secs=TIMEOUT))

    assert result["status"] == "success"
    assert result["jobParams"]["qubitParams"]["name"] == "qubit_maj_ns_e6"
    assert result["jobParams"]["qecScheme"]["name"] == "floquet_code"
    assert result["logicalCounts"]["numQubits"] == 3
    assert (result["logicalCounts"]["tCount"], result["logicalCounts"]["cczCount"]) == (1, 1)
    assert result["logicalCounts"]["rotationCount"] == 1
    assert result["physicalCounts"]["physicalQubits"] > 3


def test_estimator_batch_items_give_one_result_each(workspace) -> None:
    from qdk.estimator import EstimatorParams, EstimatorResult, QubitParams

    params = EstimatorParams(num_items=2)
    params.items[0].qubit_params.name = QubitParams.GATE_NS_E3
    params.items[1].qubit_params.name = QubitParams.GATE_NS_E4
    job = estimator(workspace).submit(ESTIMATOR_QIR, name="batch", input_params=params.as_dict())

    result = EstimatorResult(job.get_results(timeout_secs=TIMEOUT))

    assert len(result) == 2
    names = [result[i]["jobParams"]["qubitParams"]["name"] for i in range(2)]
    assert names == ["qubit_gate_ns_e3", "qubit_gate_ns_e4"]
    # a better physical qubit (1e-4 error rate) needs no more physical qubits than a worse one (1e-3)
    assert result[1]["physicalCounts"]["physicalQubits"] <= result[0]["physicalCounts"]["physicalQubits"]
