"""qir.v1 on IonQ, Quantinuum and Rigetti targets: base profile on Aer, adaptive on qdk, v2/v1."""

from __future__ import annotations

import ast
import json
import math
from collections import Counter
from typing import Any

import numpy as np
import pyqir
import pytest
from qdk import TargetProfile, openqasm
from qdk.qiskit import QSharpBackend
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.quantum_info import Statevector

from quantum_workspace.targets import ProgramError, get_catalog
from quantum_workspace.targets.formats.qir import _straight_line, load_module, to_qiskit

QVM = get_catalog().find("rigetti", "rigetti.sim.qvm")
IONQ = get_catalog().find("ionq", "ionq.simulator")
ARIA = get_catalog().find("ionq", "ionq.qpu.aria-1")
H2E = get_catalog().find("quantinuum", "quantinuum.sim.h2-1e")
H2SC = get_catalog().find("quantinuum", "quantinuum.sim.h2-1sc")

BELL3 = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q; bit[2] c;
h q[0]; cx q[0], q[1];
c[0] = measure q[0];
c[1] = measure q[1];
"""
FEED_FORWARD = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q; bit[2] c;
h q[0];
c[0] = measure q[0];
if (c[0]) x q[1];
c[1] = measure q[1];
"""


def qir(source: str, profile: TargetProfile = TargetProfile.Base) -> str:
    return str(openqasm.compile(source, target_profile=profile))


def run(program: str | bytes, target: Any = QVM, output: str | None = None, **params: Any) -> Any:
    raw = program.encode() if isinstance(program, str) else program
    out = target.run(raw, "qir.v1", output, params)
    assert out.content_type == "application/json"
    return json.loads(out.data)


def results_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert body["DataFormat"] == "microsoft.quantum-results.v2"
    for result in body["Results"]:
        shots = result["Shots"]
        assert sum(entry["Count"] for entry in result["Histogram"]) == len(shots)
        for entry in result["Histogram"]:
            # the SDK rebuilds outcomes from Display with ast.literal_eval, tuples from Item1..n
            assert _from_json(entry["Outcome"]) == ast.literal_eval(entry["Display"])
            assert entry["Count"] == sum(1 for shot in shots if shot == entry["Outcome"])
    return list(body["Results"])


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(_from_json(value[f"Item{i + 1}"]) for i in range(len(value)))
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def chi_square(observed: Counter[str], expected: dict[str, float], shots: int) -> float:
    assert set(observed) <= set(expected), observed
    return sum((observed.get(key, 0) - p * shots) ** 2 / (p * shots) for key, p in expected.items())


# --- base profile ---------------------------------------------------------------------------------


def test_bell_pair_in_text_ir_gives_histogram_and_shots() -> None:
    (result,) = results_of(run(qir(BELL3), shots=1000, seed=4))
    assert len(result["Shots"]) == 1000
    displays = Counter(str(shot) for shot in result["Shots"])
    assert chi_square(displays, {"[0, 0]": 0.5, "[1, 1]": 0.5}, 1000) < 10.83  # 1 dof, 0.1%


def test_bitcode_and_text_give_the_same_seeded_results() -> None:
    text = qir(BELL3)
    bitcode = pyqir.Module.from_ir(pyqir.Context(), text).bitcode
    assert run(bitcode, shots=50, seed=9) == run(text, shots=50, seed=9)


def test_qiskit_registers_become_a_tuple_in_recording_order() -> None:
    qr, a, b = QuantumRegister(3), ClassicalRegister(2, "a"), ClassicalRegister(1, "b")
    circuit = QuantumCircuit(qr, a, b, name="bell")
    circuit.x(2)
    circuit.x(0)
    circuit.measure(0, a[0])
    circuit.measure(1, a[1])
    circuit.measure(2, b[0])
    program = QSharpBackend(target_profile=TargetProfile.Base, skip_transpilation=True).qir(circuit)
    items = [{"entryPoint": "ENTRYPOINT__main", "arguments": []}]
    (result,) = results_of(run(program, IONQ, shots=5, items=items))
    # the Qiskit provider records the last register first and each register's bits from the highest
    assert result["Shots"] == [{"Item1": [1], "Item2": [0, 1]}] * 5
    assert result["Histogram"] == [
        {"Outcome": {"Item1": [1], "Item2": [0, 1]}, "Display": "([1], [0, 1])", "Count": 5}
    ]


def test_all_base_gates_match_a_qiskit_reference() -> None:
    source = """OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
h q[0]; x q[1]; y q[2]; z q[0]; s q[1]; sdg q[2]; t q[0]; tdg q[1]; sx q[2];
rx(0.3) q[0]; ry(0.4) q[1]; rz(0.5) q[2];
cx q[0], q[1]; cy q[1], q[2]; cz q[2], q[0]; swap q[0], q[2]; ccx q[0], q[1], q[2];
rxx(0.6) q[0], q[1]; ryy(0.7) q[1], q[2]; rzz(0.8) q[0], q[2];
"""
    module = load_module(qir(source).encode())
    entry = next(f for f in module.functions if pyqir.is_entry_point(f))
    ours = to_qiskit(_straight_line(entry))
    ref = QuantumCircuit(3)
    ref.h(0), ref.x(1), ref.y(2), ref.z(0), ref.s(1), ref.sdg(2), ref.t(0), ref.tdg(1), ref.sx(2)
    ref.rx(0.3, 0), ref.ry(0.4, 1), ref.rz(0.5, 2)
    ref.cx(0, 1), ref.cy(1, 2), ref.cz(2, 0), ref.swap(0, 2), ref.ccx(0, 1, 2)
    ref.rxx(0.6, 0, 1), ref.ryy(0.7, 1, 2), ref.rzz(0.8, 0, 2)
    assert Statevector(ours).equiv(Statevector(ref))
    assert np.allclose(Statevector(ours).probabilities(), Statevector(ref).probabilities())


def test_v1_output_is_a_flat_display_probability_list() -> None:
    body = run(qir(BELL3.replace("h q[0];", "x q[0];")), QVM, "microsoft.quantum-results.v1", shots=20)
    assert body == {"Histogram": ["[1, 1]", 1.0]}


def test_every_qir_target_samples_even_the_ionq_simulator() -> None:
    for target in (IONQ, ARIA, H2E, get_catalog().find("rigetti", "rigetti.qpu.cepheus-1-108q")):
        (result,) = results_of(run(qir(BELL3), target, shots=30, seed=1))
        assert len(result["Shots"]) == 30


def test_measure_reset_and_reuse() -> None:
    source = """OPENQASM 3.0;
include "stdgates.inc";
qubit[1] q; bit[2] c;
x q[0];
c[0] = measure q[0];
reset q[0];
c[1] = measure q[0];
"""
    (result,) = results_of(run(qir(source), shots=4))
    assert result["Shots"] == [[1, 0]] * 4


def test_shots_spellings_and_default() -> None:
    assert len(results_of(run(qir(BELL3)))[0]["Shots"]) == 100
    assert len(results_of(run(qir(BELL3), count=7))[0]["Shots"]) == 7


# hand-written QIR: two entry points in one module, as a batch of Qiskit circuits produces
TWO_ENTRY_POINTS = """
%Qubit = type opaque
%Result = type opaque

define void @first() #0 {
entry:
  call void @__quantum__qis__x__body(%Qubit* null)
  call void @__quantum__qis__mz__body(%Qubit* null, %Result* null)
  call void @__quantum__rt__result_record_output(%Result* null, i8* null)
  ret void
}

define void @second() #0 {
entry:
  call void @__quantum__qis__mz__body(%Qubit* null, %Result* null)
  br label %next
next:
  call void @__quantum__qis__x__body(%Qubit* inttoptr (i64 1 to %Qubit*))
  call void @__quantum__qis__mz__body(%Qubit* inttoptr (i64 1 to %Qubit*),
                                      %Result* inttoptr (i64 1 to %Result*))
  call void @__quantum__rt__array_record_output(i64 2, i8* null)
  call void @__quantum__rt__result_record_output(%Result* null, i8* null)
  call void @__quantum__rt__result_record_output(%Result* inttoptr (i64 1 to %Result*), i8* null)
  ret void
}

declare void @__quantum__qis__x__body(%Qubit*)
declare void @__quantum__qis__mz__body(%Qubit*, %Result*)
declare void @__quantum__rt__result_record_output(%Result*, i8*)
declare void @__quantum__rt__array_record_output(i64, i8*)

attributes #0 = { "entry_point" "qir_profiles"="base_profile"
                  "required_num_qubits"="2" "required_num_results"="2" }
"""


def test_one_results_entry_per_item() -> None:
    items = [{"entryPoint": "second", "arguments": []}, {"entryPoint": "first", "arguments": []}]
    second, first = results_of(run(TWO_ENTRY_POINTS, shots=3, items=items))
    assert second["Shots"] == [[0, 1]] * 3
    assert first["Shots"] == [1] * 3 and first["Histogram"][0]["Display"] == "1"


def test_v1_cannot_hold_several_programs() -> None:
    with pytest.raises(ProgramError) as caught:
        run(TWO_ENTRY_POINTS, QVM, "microsoft.quantum-results.v1")
    assert caught.value.code == "CannotTranslateOutputData"


# --- adaptive profile -----------------------------------------------------------------------------


def test_adaptive_feed_forward_runs_on_qdk() -> None:
    (result,) = results_of(run(qir(FEED_FORWARD, TargetProfile.Adaptive_RI), H2E, shots=400, seed=8))
    shots = Counter(str(shot) for shot in result["Shots"])
    assert chi_square(shots, {"[0, 0]": 0.5, "[1, 1]": 0.5}, 400) < 10.83


def test_adaptive_programs_are_capped_in_width() -> None:
    wide = FEED_FORWARD.replace("qubit[2] q;", "qubit[21] q;").replace("h q[0];", "h q[0]; h q[20];")
    with pytest.raises(ProgramError) as caught:
        run(qir(wide, TargetProfile.Adaptive_RI), H2E)
    assert "21 qubits" in caught.value.message and "20" in caught.value.message


# --- syntax checker -------------------------------------------------------------------------------


def test_syntax_checker_returns_zeros_in_the_program_shape() -> None:
    (base,) = results_of(run(qir(BELL3.replace("h q[0];", "x q[0];")), H2SC, shots=3))
    assert base["Shots"] == [[0, 0]] * 3
    (adaptive,) = results_of(run(qir(FEED_FORWARD, TargetProfile.Adaptive_RI), H2SC, shots=2))
    assert adaptive["Shots"] == [[0, 0]] * 2


def test_aliases_of_the_format() -> None:
    body = H2E.run(qir(BELL3).encode(), "honeywell.qir.v1", None, {"shots": 2}).data
    assert len(results_of(json.loads(body))[0]["Shots"]) == 2
    body = QVM.run(qir(BELL3).encode(), "rigetti.qir.v1", None, {"shots": 2}).data
    assert len(results_of(json.loads(body))[0]["Shots"]) == 2


# --- errors ---------------------------------------------------------------------------------------


def error(program: str | bytes, target: Any = QVM, **params: Any) -> ProgramError:
    with pytest.raises(ProgramError) as caught:
        run(program, target, **params)
    return caught.value


def test_text_that_is_not_llvm() -> None:
    e = error("this is not LLVM")
    assert e.code == "InvalidInputData" and "does not parse" in e.message
    assert error(b"\xff\xfe\x00").code == "InvalidInputData"


def test_unknown_entry_point() -> None:
    e = error(qir(BELL3), items=[{"entryPoint": "nope", "arguments": []}])
    assert "'nope'" in e.message and "ENTRYPOINT__main" in e.message


def test_unsupported_instruction_is_named() -> None:
    program = TWO_ENTRY_POINTS.replace("__quantum__qis__x__body", "__quantum__qis__frob__body")
    e = error(program)
    assert e.code == "InvalidInputData" and "__quantum__qis__frob__body" in e.message


def test_too_many_qubits_for_the_target() -> None:
    wide = BELL3.replace("qubit[2] q;", "qubit[26] q;").replace("h q[0];", "h q[25];")
    e = error(qir(wide), ARIA)
    assert "26 qubits" in e.message and "ionq.qpu.aria-1" in e.message


def test_entry_point_arguments_are_refused() -> None:
    e = error(
        qir(BELL3), items=[{"entryPoint": "ENTRYPOINT__main", "arguments": [{"name": "n", "value": 3}]}]
    )
    assert e.code == "InvalidInputParameters"


def test_statistics_of_an_uneven_distribution() -> None:
    theta = 2 * math.asin(math.sqrt(0.3))
    source = BELL3.replace("h q[0];", f"ry({theta}) q[0];")
    (result,) = results_of(run(qir(source), shots=3000, seed=12))
    shots = Counter(str(shot) for shot in result["Shots"])
    assert chi_square(shots, {"[0, 0]": 0.7, "[1, 1]": 0.3}, 3000) < 10.83
