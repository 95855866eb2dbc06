"""rigetti.quil.v1 on Rigetti targets: readouts per shot, substitutions, gate conventions, errors."""

from __future__ import annotations

import cmath
import json
import math
from collections import Counter
from typing import Any

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator

from quantum_workspace.targets import ProgramError, get_catalog
from quantum_workspace.targets.formats.quil import parse, to_qiskit

QVM = get_catalog().find("rigetti", "rigetti.sim.qvm")
CEPHEUS = get_catalog().find("Rigetti", "rigetti.qpu.cepheus-1-108q")
BELL = "DECLARE ro BIT[2]\nH 0\nCNOT 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n"


def readouts(source: str, target: Any = QVM, **params: Any) -> Any:
    out = target.run(source.encode(), "rigetti.quil.v1", None, params)
    assert (out.output_format, out.content_type) == ("rigetti.quil-results.v1", "application/json")
    return json.loads(out.data)


def operator(source: str) -> Operator:
    circuit, _ = to_qiskit(parse(source.encode()), {})
    circuit.remove_final_measurements()
    return Operator(circuit)


def chi_square(observed: Counter[str], expected: dict[str, float], shots: int) -> float:
    assert set(observed) <= set(expected), observed
    return sum((observed.get(key, 0) - p * shots) ** 2 / (p * shots) for key, p in expected.items())


def test_bell_pair_readouts_pass_chi_square() -> None:
    body = readouts(BELL, count=1000, seed=6)
    assert list(body) == ["ro"] and len(body["ro"]) == 1000
    assert chi_square(Counter(str(shot) for shot in body["ro"]), {"[0, 0]": 0.5, "[1, 1]": 0.5}, 1000) < 10.83


def test_one_shot_by_default_and_ro_zero_first() -> None:
    assert readouts("DECLARE ro BIT[3]\nX 2\nMEASURE 2 ro[2]\n") == {"ro": [[0, 0, 1]]}
    assert len(readouts(BELL, shots=4)["ro"]) == 4


def test_substitutions_run_once_per_vector_as_the_sdk_documents() -> None:
    source = (
        "DECLARE ro BIT[3]\nDECLARE theta REAL[2]\nDECLARE beta REAL[1]\n"
        "RX(theta[0]) 0\nRX(theta[1]) 1\nRX(beta) 2\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\nMEASURE 2 ro[2]\n"
    )
    substitutions = {"theta": [[0.0, math.pi], [math.pi, 0.0]], "beta": [[2 * math.pi], [2 * math.pi]]}
    assert readouts(source, count=2, substitutions=substitutions) == {
        "ro": [[0, 1, 0], [0, 1, 0], [1, 0, 0], [1, 0, 0]]
    }


def test_sparse_physical_qubit_indices() -> None:
    source = "DECLARE ro BIT[2]\nX 107\nMEASURE 100 ro[0]\nMEASURE 107 ro[1]\n"
    assert readouts(source, CEPHEUS, count=3) == {"ro": [[0, 1]] * 3}


def test_unmeasured_ro_reads_zeros_and_other_measured_regions_are_reported() -> None:
    source = "DECLARE ro BIT[1]\nDECLARE flags BIT[2]\nX 0\nMEASURE 0 flags[1]\nMEASURE 0\n"
    assert readouts(source, count=2) == {"ro": [[0], [0]], "flags": [[0, 1], [0, 1]]}


def test_reset_one_qubit_and_all() -> None:
    source = (
        "DECLARE ro BIT[2]\nX 0\nX 1\nRESET 0\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\nRESET\nMEASURE 1 ro[1]\n"
    )
    assert readouts(source, count=2) == {"ro": [[0, 0], [0, 0]]}


def test_halt_ends_the_program() -> None:
    assert readouts("DECLARE ro BIT[1]\nMEASURE 0 ro[0]\nHALT\nX 0\nMEASURE 0 ro[0]\n") == {"ro": [[0]]}


# --- gate conventions -----------------------------------------------------------------------------


def test_cnot_control_is_the_first_argument() -> None:
    reference = QuantumCircuit(2)
    reference.cx(0, 1)
    assert operator("CNOT 0 1").equiv(Operator(reference))
    assert readouts("DECLARE ro BIT[2]\nX 1\nCNOT 1 0\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n") == {
        "ro": [[1, 1]]
    }


def test_defgate_matrices_are_big_endian_in_argument_order() -> None:
    source = "DEFGATE MYCNOT:\n    1, 0, 0, 0\n    0, 1, 0, 0\n    0, 0, 0, 1\n    0, 0, 1, 0\nMYCNOT 0 1\n"
    reference = QuantumCircuit(2)
    reference.cx(0, 1)
    assert operator(source).equiv(Operator(reference))
    permutation = "DEFGATE PCNOT AS PERMUTATION:\n    0, 1, 3, 2\nPCNOT 1 0\n"
    swapped = QuantumCircuit(2)
    swapped.cx(1, 0)
    assert operator(permutation).equiv(Operator(swapped))


def test_parametric_defgate() -> None:
    source = "DEFGATE MYRX(%t):\n    cos(%t/2), -i*sin(%t/2)\n    -i*sin(%t/2), cos(%t/2)\nMYRX(0.7) 0\n"
    reference = QuantumCircuit(1)
    reference.rx(0.7, 0)
    assert operator(source).equiv(Operator(reference))


def test_cphase_variants_put_the_phase_on_their_named_state() -> None:
    e = cmath.exp(0.4j)
    # qiskit index = arg0 + 2*arg1; CPHASE01 means arg0 = 0, arg1 = 1
    assert np.allclose(operator("CPHASE01(0.4) 0 1").data, np.diag([1, 1, e, 1]))
    assert np.allclose(operator("CPHASE10(0.4) 0 1").data, np.diag([1, e, 1, 1]))
    assert np.allclose(operator("CPHASE00(0.4) 0 1").data, np.diag([e, 1, 1, 1]))
    assert np.allclose(operator("CPHASE(0.4) 0 1").data, np.diag([1, 1, 1, e]))


def test_xy_and_pswap_exchange_excitations() -> None:
    assert readouts("DECLARE ro BIT[2]\nX 0\nXY(pi) 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n") == {
        "ro": [[0, 1]]
    }
    assert readouts("DECLARE ro BIT[2]\nX 0\nPSWAP(0.3) 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n") == {
        "ro": [[0, 1]]
    }


def test_modifiers() -> None:
    reference = QuantumCircuit(2)
    reference.cx(0, 1)
    assert operator("CONTROLLED X 0 1").equiv(Operator(reference))
    assert operator("DAGGER S 0\nS 0").equiv(Operator(QuantumCircuit(1)))
    controlled_inverse = QuantumCircuit(2)
    controlled_inverse.crx(-0.5, 1, 0)
    assert operator("CONTROLLED DAGGER RX(0.5) 1 0").equiv(Operator(controlled_inverse))


# --- errors ---------------------------------------------------------------------------------------


def error(source: str | bytes, target: Any = QVM, **params: Any) -> ProgramError:
    raw = source if isinstance(source, bytes) else source.encode()
    with pytest.raises(ProgramError) as caught:
        target.run(raw, "rigetti.quil.v1", None, params)
    return caught.value


def test_parse_errors_name_the_line() -> None:
    e = error("DECLARE ro BIT[1]\nH 0\nRX( 0\n")
    assert e.code == "InvalidInputData" and "line 3" in e.message
    assert error(b"\xff").code == "InvalidInputData"


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("FROB 0", "FROB"),
        ("DECLARE ro BIT[1]\nLABEL @a\nJUMP @a\n", "unsupported Quil instruction"),
        ("RX 0", "parameters"),
        ("CNOT 0", "qubits"),
        ("DECLARE t REAL[1]\nMEASURE 0 t[0]\n", "REAL"),
        ("DECLARE ro BIT[1]\nMEASURE 0 ro[3]\n", "out of range"),
        ("H q", "not a fixed qubit"),
        ("RX(theta) 0", "cannot evaluate"),
        ("DEFGATE BAD:\n    1, 1\n    1, 1\nBAD 0\n", "unitary"),
    ],
)
def test_program_errors(source: str, fragment: str) -> None:
    e = error(source)
    assert e.code == "InvalidInputData" and fragment in e.message


@pytest.mark.parametrize(
    "substitutions",
    [{"nope": [[1.0]]}, {"theta": [[1.0, 2.0]]}, {"theta": [1.0]}, {"theta": []}, ["theta"]],
)
def test_bad_substitutions(substitutions: Any) -> None:
    e = error("DECLARE theta REAL[1]\nRX(theta) 0\n", substitutions=substitutions)
    assert e.code == "InvalidInputParameters"


def test_too_many_qubits_for_the_target() -> None:
    e = error("".join(f"I {q}\n" for q in range(31)))
    assert "31 qubits" in e.message and "rigetti.sim.qvm" in e.message
