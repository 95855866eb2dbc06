"""Cost estimates: operations counted per format on known programs, each provider's formula and prices,
free simulators, the contract's CostEstimate shape, and program errors."""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import pytest
from qdk import TargetProfile, openqasm

from quantum_workspace.targets import ProgramError, get_catalog
from quantum_workspace.targets import _pricing as pricing

CATALOG = get_catalog()


def target(target_id: str) -> Any:
    provider = target_id.split(".")[0]
    return CATALOG.find("microsoft-qc" if provider == "microsoft" else provider, target_id)


def estimate(target_id: str, program: str | bytes, input_format: str, **params: Any) -> dict[str, Any]:
    raw = program.encode() if isinstance(program, str) else program
    cost = target(target_id).estimate_cost(raw, input_format, params)
    assert set(cost) == {"currencyCode", "estimatedTotal", "events"}
    assert cost["currencyCode"] == "USD"
    for event in cost["events"]:
        assert set(event) == {
            "dimensionId",
            "dimensionName",
            "measureUnit",
            "amountBilled",
            "amountConsumed",
            "unitPrice",
        }
        assert all(isinstance(event[k], float) for k in ("amountBilled", "amountConsumed", "unitPrice"))
    billed = sum(e["amountBilled"] * e["unitPrice"] for e in cost["events"])
    assert math.isclose(cost["estimatedTotal"], billed, abs_tol=1e-6)
    json.dumps(cost)  # plain JSON, ready for the JobDetails
    return cost


def events(cost: dict[str, Any]) -> dict[str, tuple[float, float, float]]:
    """dimensionId -> (consumed, billed, unit price)."""
    return {e["dimensionId"]: (e["amountConsumed"], e["amountBilled"], e["unitPrice"]) for e in cost["events"]}


# --- IonQ: gate-shots -------------------------------------------------------------------------------

# 3 one-qubit gates; cnot (2q), a doubly-controlled x (3 qubits: 6 * (3 - 2) = 6 two-qubit gates), xx (2q),
# and a cnot with two targets (two 2q gates): 10 two-qubit gates
IONQ_QIS = {
    "qubits": 4,
    "circuit": [
        {"gate": "h", "target": 0},
        {"gate": "rz", "target": 1, "rotation": 0.5},
        {"gate": "v", "target": 3},
        {"gate": "cnot", "control": 0, "target": 1},
        {"gate": "x", "controls": [0, 1], "target": 2},
        {"gate": "xx", "targets": [2, 3], "rotation": 0.25},
        {"gate": "cnot", "control": 0, "targets": [2, 3]},
    ],
}
IONQ_NATIVE = {
    "gateset": "native",
    "qubits": 2,
    "circuit": [
        {"gate": "gpi", "target": 0, "phase": 0.1},
        {"gate": "gpi2", "target": 1, "phase": 0.2},
        {"gate": "ms", "targets": [0, 1], "phases": [0, 0]},
    ],
}


def test_ionq_qpu_bills_gate_shots_and_the_program_minimum() -> None:
    cost = estimate("ionq.qpu.aria-1", json.dumps(IONQ_QIS), "ionq.circuit.v1", shots=1000)
    assert events(cost) == {
        "gs1q": (3000.0, 3000.0, 0.00022),
        "gs2q": (10000.0, 10000.0, 0.000975),
        "program": (1.0, 1.0, 97.5),
    }
    assert cost["estimatedTotal"] == pytest.approx(97.5 + 3000 * 0.00022 + 10000 * 0.000975)  # 107.91


def test_ionq_minimum_without_error_mitigation() -> None:
    cost = estimate(
        "ionq.qpu.forte-1",
        json.dumps(IONQ_NATIVE),
        "ionq.circuit.v1",
        shots=100,
        **{"error-mitigation": {"debias": False}},
    )
    assert events(cost) == {
        "gs1q": (200.0, 200.0, 0.00022),
        "gs2q": (100.0, 100.0, 0.000975),
        "program": (1.0, 1.0, 12.4166),
    }
    assert cost["estimatedTotal"] == pytest.approx(12.4166 + 0.044 + 0.0975)


def test_ionq_simulator_is_free_but_reports_gate_shots() -> None:
    cost = estimate("ionq.simulator", json.dumps(IONQ_QIS), "ionq.circuit.v1", shots=10)
    assert events(cost) == {"gs1q": (30.0, 0.0, 0.0), "gs2q": (100.0, 0.0, 0.0)}
    assert cost["estimatedTotal"] == 0.0


def test_ionq_default_shots_and_the_other_spellings() -> None:
    program = json.dumps(IONQ_NATIVE)
    assert events(estimate("ionq.qpu.aria-1", program, "ionq.circuit.v1"))["gs1q"][0] == 2 * 100
    assert events(estimate("ionq.qpu.aria-1", program, "ionq.circuit.v1", count=7))["gs1q"][0] == 2 * 7


# --- QIR (counted with pyqir, priced by the target's provider) ------------------------------------------

GHZ3 = """OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q; bit[3] c;
h q[0]; cx q[0], q[1]; cx q[1], q[2]; ccx q[0], q[1], q[2];
c = measure q;
"""
FEED_FORWARD = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q; bit[2] c;
h q[0];
c[0] = measure q[0];
if (c[0]) { x q[1]; cx q[1], q[0]; }
c[1] = measure q[1];
"""


def qir(source: str, profile: TargetProfile = TargetProfile.Base) -> str:
    return str(openqasm.compile(source, target_profile=profile))


def test_qir_on_ionq_counts_a_toffoli_as_six_two_qubit_gates() -> None:
    cost = estimate("ionq.qpu.aria-1", qir(GHZ3), "qir.v1", shots=100)
    assert events(cost)["gs1q"][0] == 100.0
    assert events(cost)["gs2q"][0] == (2 + 6) * 100.0


def test_qir_items_are_programs_each_with_its_minimum() -> None:
    program = qir(GHZ3)
    items = [{"entryPoint": "ENTRYPOINT__main", "arguments": []}] * 2
    cost = estimate("ionq.qpu.aria-1", program, "qir.v1", shots=100, items=items)
    assert events(cost)["program"] == (2.0, 2.0, 97.5)
    assert events(cost)["gs2q"][0] == 2 * 8 * 100.0


def test_quantinuum_hqc_formula_on_an_adaptive_program() -> None:
    # N1q = 2 (h, x: both branches count), N2q = 1, Nm = 2 preparations + 2 measurements
    cost = estimate("quantinuum.qpu.h2-1", qir(FEED_FORWARD, TargetProfile.Adaptive_RI), "qir.v1", shots=500)
    hqc = 5 + 500 * (2 + 10 * 1 + 5 * 4) / 5000
    assert events(cost) == {"hqc": (hqc, hqc, 13.5)}
    assert cost["estimatedTotal"] == pytest.approx(hqc * 13.5)


def test_qir_on_the_qvm_is_free_time() -> None:
    cost = estimate("rigetti.sim.qvm", qir(GHZ3), "qir.v1", shots=100)
    assert events(cost) == {"qpu_time_10ms": (3.0, 0.0, 0.0)}  # 100 x ~208 us = 20.8 ms -> 3 increments


# --- Quantinuum: HQC / eHQC on OpenQASM ----------------------------------------------------------------

QASM = """OPENQASM 2.0;
include "hqslib1.inc";
qreg q[3];
creg c[3];
h q[0];
U1q(0.5, 0.1) q[1];
Rz(0.2) q[2];
ZZ q[0], q[1];
cx q[1], q[2];
measure q[0] -> c[0];
reset q[0];
if(c[0]==1) x q[0];
measure q -> c;
"""
# N1q = 4 (h, U1q, Rz, the conditional x), N2q = 2, Nm = 3 preparations + 4 measurements + 1 reset
QASM_WEIGHT = 4 + 10 * 2 + 5 * 8


@pytest.mark.parametrize(
    ("target_id", "dimension", "billed", "price"),
    [
        ("quantinuum.qpu.h2-1", "hqc", True, 13.5),
        ("quantinuum.sim.h2-1e", "ehqc", True, 0.0),
        ("quantinuum.sim.h2-1sc", "ehqc", False, 0.0),
    ],
)
def test_quantinuum_formula(target_id: str, dimension: str, billed: bool, price: float) -> None:
    cost = estimate(target_id, QASM, "honeywell.openqasm.v1", shots=250)
    hqc = 5 + 250 * QASM_WEIGHT / 5000
    assert events(cost) == {dimension: (hqc, hqc if billed else 0.0, price)}


def test_the_minimum_job_costs_five_hqc() -> None:
    empty = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\n'
    assert (
        events(estimate("quantinuum.qpu.h2-2", empty, "quantinuum.openqasm.v1", shots=1))["hqc"][0] == 5.001
    )  # one preparation


# --- Rigetti: QPU time ---------------------------------------------------------------------------------

QUIL = """DECLARE ro BIT[2]
DECLARE theta REAL[1]
RX(theta) 0
H 1
CNOT 0 1
CONTROLLED CNOT 2 0 1
MEASURE 0 ro[0]
MEASURE 1 ro[1]
"""


def test_rigetti_qpu_bills_10_ms_increments() -> None:
    # per shot: 200 us + 2 x 0.05 (RX, H) + (1 + 6) x 0.2 (CNOT, a 3-qubit CCNOT) + 2 x 2 us readout
    per_shot_us = 200 + 2 * 0.05 + 7 * 0.2 + 2 * 2
    cost = estimate("rigetti.qpu.cepheus-1-108q", QUIL, "rigetti.quil.v1", count=1000)
    increments = math.ceil(1000 * per_shot_us / 10_000)
    assert events(cost) == {"qpu_time_10ms": (float(increments), float(increments), 0.013)}
    assert cost["estimatedTotal"] == pytest.approx(increments * 0.013)


def test_rigetti_substitutions_multiply_the_shots_and_one_shot_bills_one_increment() -> None:
    single = estimate("rigetti.qpu.cepheus-1-108q", QUIL, "rigetti.quil.v1")
    assert events(single)["qpu_time_10ms"][1] == 1.0  # one shot by default, at least one increment
    params = {"substitutions": {"theta": [[0.1]] * 3}, "count": 1000}
    triple = estimate("rigetti.qpu.cepheus-1-108q", QUIL, "rigetti.quil.v1", **params)
    one = estimate("rigetti.qpu.cepheus-1-108q", QUIL, "rigetti.quil.v1", count=3000)
    assert events(triple) == events(one)


# --- Pasqal: hours -------------------------------------------------------------------------------------


def pulser_program(duration_ns: int) -> str:
    from pulser import Pulse, Register, Sequence
    from pulser.devices import AnalogDevice
    from pulser.waveforms import ConstantWaveform

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sequence = Sequence(Register.from_coordinates([(0, 0), (30, 0), (0, 30)], prefix="q"), AnalogDevice)
        sequence.declare_channel("rydberg", "rydberg_global")
        sequence.add(Pulse.ConstantDetuning(ConstantWaveform(duration_ns, 1.0), 0, 0), "rydberg")
        sequence.measure("ground-rydberg")
    return json.dumps({"sequence_builder": json.loads(sequence.to_abstract_repr())})


def test_pasqal_qpu_bills_hours() -> None:
    cost = estimate("pasqal.qpu.fresnel", pulser_program(2000), "pasqal.pulser.v1", shots=3600)
    hours = 3600 * (2000e-9 + 0.25) / 3600
    assert events(cost) == {"qpu_hours": (pytest.approx(hours), pytest.approx(hours), 3000.0)}
    assert cost["estimatedTotal"] == pytest.approx(hours * 3000)


def test_pasqal_emulators_are_free() -> None:
    cost = estimate("pasqal.sim.emu-tn", pulser_program(1000), "pasqal.pulser.v1", runs=100)
    consumed, billed, price = events(cost)["emulator_hours"]
    assert consumed == pytest.approx(100 * (1e-6 + 0.25) / 3600)
    assert (billed, price, cost["estimatedTotal"]) == (0.0, 0.0, 0.0)


# --- free targets, errors, purity ---------------------------------------------------------------------


def test_the_resource_estimator_is_free() -> None:
    assert estimate("microsoft.estimator", qir(GHZ3), "qir.v1") == {
        "currencyCode": "USD",
        "estimatedTotal": 0.0,
        "events": [],
    }


@pytest.mark.parametrize(
    ("target_id", "program", "input_format", "needle"),
    [
        ("ionq.qpu.aria-1", '{"qubits": 2, "circuit": [{"gate": "nope", "target": 0}]}', "ionq.circuit.v1", "nope"),
        ("quantinuum.qpu.h2-1", QASM.replace("h q[0];", "h q[0]"), "honeywell.openqasm.v1", "line 6"),
        ("rigetti.qpu.cepheus-1-108q", "H 0\nFOO 1\n", "rigetti.quil.v1", "FOO"),
        ("ionq.qpu.aria-1", "not llvm", "qir.v1", "does not parse"),
        ("pasqal.qpu.fresnel", "{}", "pasqal.pulser.v1", "sequence_builder"),
    ],
)
def test_unreadable_programs_raise_the_same_program_error_as_running(
    target_id: str, program: str, input_format: str, needle: str
) -> None:
    with pytest.raises(ProgramError) as caught:
        target(target_id).estimate_cost(program.encode(), input_format, {"shots": 10})
    assert caught.value.code == "InvalidInputData"
    assert needle in caught.value.message


def test_a_format_the_target_does_not_take_is_refused() -> None:
    with pytest.raises(ProgramError) as caught:
        target("rigetti.sim.qvm").estimate_cost(b"{}", "ionq.circuit.v1", {})
    assert caught.value.code == "UnsupportedInputFormat"


def test_bad_shots_are_refused_as_when_running() -> None:
    with pytest.raises(ProgramError) as caught:
        target("ionq.qpu.aria-1").estimate_cost(json.dumps(IONQ_NATIVE).encode(), "ionq.circuit.v1", {"shots": 0})
    assert caught.value.code == "InvalidInputParameters"


def test_estimating_runs_nothing_and_is_repeatable() -> None:
    program = json.dumps(IONQ_QIS).encode()
    first = target("ionq.qpu.aria-1").estimate_cost(program, "ionq.circuit.v1", {"shots": 5})
    assert target("ionq.qpu.aria-1").estimate_cost(program, "ionq.circuit.v1", {"shots": 5}) == first


def test_prices_are_the_documented_ones() -> None:
    assert (pricing.IONQ_1Q_GATE_SHOT, pricing.IONQ_2Q_GATE_SHOT) == (0.000220, 0.000975)
    assert (pricing.IONQ_PROGRAM_MINIMUM, pricing.IONQ_PROGRAM_MINIMUM_NO_MITIGATION) == (97.50, 12.4166)
    assert (pricing.RIGETTI_10MS, pricing.PASQAL_QPU_HOUR) == (0.013, 3000.0)
