"""honeywell.openqasm.v1 on Quantinuum targets: hqslib1 gates, mid-circuit measurement, conditions."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import numpy as np
import pytest
from qiskit.quantum_info import Operator
from scipy.linalg import expm

from quantum_workspace.targets import ProgramError, get_catalog
from quantum_workspace.targets.formats.openqasm2 import parse, rewrite

EMULATOR = get_catalog().find("quantinuum", "quantinuum.sim.h2-1e")
CHECKER = get_catalog().find("Quantinuum", "quantinuum.sim.h2-1sc")
QPU = get_catalog().find("quantinuum", "quantinuum.qpu.h2-1")

X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.array([[1, 0], [0, -1]], dtype=complex)
I2 = np.eye(2, dtype=complex)

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
BELL = HEADER + "qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"


def results(
    source: str, target: Any = EMULATOR, input_format: str = "honeywell.openqasm.v1", **params: Any
) -> Any:
    out = target.run(source.encode(), input_format, None, params)
    assert out.output_format == "honeywell.quantum-results.v1"
    assert out.content_type == "application/json"
    return json.loads(out.data)


def chi_square(observed: Counter[str], expected: dict[str, float], shots: int) -> float:
    assert set(observed) <= set(expected), observed
    return sum((observed.get(key, 0) - p * shots) ** 2 / (p * shots) for key, p in expected.items())


def test_bell_pair_gives_one_bitstring_per_shot_and_passes_chi_square() -> None:
    body = results(BELL, shots=2000, seed=7)
    assert list(body) == ["c"] and len(body["c"]) == 2000
    assert chi_square(Counter(body["c"]), {"00": 0.5, "11": 0.5}, 2000) < 10.83  # 1 dof, 0.1%


def test_bit_zero_is_the_rightmost_character() -> None:
    source = HEADER + "qreg q[3];\ncreg c[3];\nx q[0];\nmeasure q -> c;\n"
    assert results(source, shots=5) == {"c": ["001"] * 5}


def test_registers_are_listed_separately_in_declaration_order() -> None:
    source = (
        HEADER + "qreg q[3];\ncreg a[1];\ncreg b[2];\nx q[2];\nmeasure q[0] -> a[0];\nmeasure q[2] -> b[1];\n"
    )
    body = results(source, shots=4)
    assert list(body) == ["a", "b"]
    assert body == {"a": ["0"] * 4, "b": ["10"] * 4}


def test_the_quantinuum_alias_of_the_format_and_the_qpu_run_the_same_way() -> None:
    source = HEADER + "qreg q[1];\ncreg c[1];\nx q[0];\nmeasure q[0] -> c[0];\n"
    assert results(source, EMULATOR, "quantinuum.openqasm.v1", shots=3) == {"c": ["1"] * 3}
    assert results(source, QPU, shots=3) == {"c": ["1"] * 3}


def test_shots_default_and_count_spelling() -> None:
    assert len(results(BELL)["c"]) == 100
    assert len(results(BELL, count=17)["c"]) == 17


def test_syntax_checker_compiles_and_returns_zeros() -> None:
    source = HEADER + "qreg q[3];\ncreg c[2];\ncreg d[3];\nx q;\nmeasure q[0] -> c[0];\nmeasure q -> d;\n"
    assert results(source, CHECKER, shots=4) == {"c": ["00"] * 4, "d": ["000"] * 4}


def test_syntax_checker_still_rejects_broken_programs() -> None:
    with pytest.raises(ProgramError) as caught:
        CHECKER.run((HEADER + "qreg q[1];\nfoo q[0];\n").encode(), "honeywell.openqasm.v1", None, {})
    assert caught.value.code == "InvalidInputData" and "line 4" in caught.value.message


# --- Quantinuum's gates ---------------------------------------------------------------------------


def test_hqslib1_gates_match_their_definitions() -> None:
    source = (
        'OPENQASM 2.0;\ninclude "hqslib1.inc";\nqreg q[2];\n'
        "U1q(0.3, 0.7) q[0];\nRz(0.2) q[1];\nRZZ(0.4) q[0], q[1];\nZZ q[0], q[1];\n"
        "Rxxyyzz(0.1, 0.2, 0.3) q[0], q[1];\n"
    )

    def on0(m: np.ndarray) -> np.ndarray:  # qiskit operators are little-endian: qubit 0 is the right factor
        return np.kron(I2, m)

    u1q = expm(-0.5j * 0.3 * (math.cos(0.7) * X + math.sin(0.7) * Y))
    rz = expm(-0.5j * 0.2 * Z)
    zz = np.kron(Z, Z)
    rzz = expm(-0.5j * 0.4 * zz)
    zz_max = expm(-0.25j * math.pi * zz)
    rxxyyzz = expm(-0.5j * (0.1 * np.kron(X, X) + 0.2 * np.kron(Y, Y) + 0.3 * zz))
    expected = rxxyyzz @ zz_max @ rzz @ np.kron(rz, I2) @ on0(u1q)
    assert Operator(parse(source.encode())).equiv(Operator(expected))
    assert np.allclose(Operator(parse(source.encode())).data, expected)


def test_u1q_pi_flips_a_qubit_in_a_run() -> None:
    source = (
        'OPENQASM 2.0;\ninclude "hqslib1.inc";\nqreg q[1];\ncreg c[1];\nU1q(pi, 0) q[0];\nmeasure q -> c;\n'
    )
    assert results(source, shots=5) == {"c": ["1"] * 5}


def test_capitalised_names_in_comments_and_strings_are_untouched() -> None:
    source = 'OPENQASM 2.0; // ZZ and Rz here stay\ninclude "qelib1.inc";\nqreg q[1];\n'
    assert rewrite(source).text == source


def test_rewriting_keeps_line_numbers() -> None:
    source = 'OPENQASM 2.0;\ninclude "hqslib1.inc";\nqreg q[1];\ncreg c[1];\nif(c[0]==1) U1q(pi, 0) q[0];\n'
    assert rewrite(source).text.count("\n") == source.count("\n")


# --- mid-circuit measurement, reset and conditionals ----------------------------------------------


def test_register_condition_after_mid_circuit_measurement() -> None:
    source = (
        HEADER
        + "qreg q[2];\ncreg c[2];\nh q[0];\nmeasure q[0] -> c[0];\nif(c==1) x q[1];\nmeasure q[1] -> c[1];\n"
    )
    body = results(source, shots=1000, seed=3)
    assert chi_square(Counter(body["c"]), {"00": 0.5, "11": 0.5}, 1000) < 10.83


def test_bit_level_condition() -> None:
    source = (
        HEADER + "qreg q[3];\ncreg c[2];\ncreg d[1];\nh q[0];\nmeasure q[0] -> c[0];\nx q[2];\n"
        "measure q[2] -> c[1];\nif(c[0]==1) x q[1];\nif (c[1] == 0) x q[1];\nmeasure q[1] -> d[0];\n"
    )
    body = results(source, shots=600, seed=5)
    assert list(body) == ["c", "d"]  # the synthetic condition registers do not leak into the result
    pairs = Counter(zip(body["c"], body["d"], strict=True))
    assert set(pairs) <= {("10", "0"), ("11", "1")}
    assert chi_square(Counter(body["c"]), {"10": 0.5, "11": 0.5}, 600) < 10.83


def test_reset_and_measure_twice() -> None:
    source = (
        HEADER
        + "qreg q[1];\ncreg c[2];\nx q[0];\nmeasure q[0] -> c[0];\nreset q[0];\nmeasure q[0] -> c[1];\n"
    )
    assert results(source, shots=5) == {"c": ["01"] * 5}


# --- errors ---------------------------------------------------------------------------------------


def error(source: str | bytes, target: Any = EMULATOR, **params: Any) -> ProgramError:
    raw = source if isinstance(source, bytes) else source.encode()
    with pytest.raises(ProgramError) as caught:
        target.run(raw, "honeywell.openqasm.v1", None, params)
    return caught.value


def test_syntax_errors_name_line_and_column() -> None:
    e = error(HEADER + "qreg q[2];\nh q[0]\ncx q[0],q[1];\n")
    assert e.code == "InvalidInputData" and "line 5, column" in e.message


def test_unknown_gates_are_named() -> None:
    e = error(HEADER + "qreg q[1];\nfrobnicate q[0];\n")
    assert "frobnicate" in e.message and "line 4" in e.message


def test_errors_name_quantinuum_gates_by_their_own_names() -> None:
    e = error('OPENQASM 2.0;\ninclude "hqslib1.inc";\nqreg q[2];\nZZ q[0];\n')
    assert "ZZ" in e.message and "hqs_" not in e.message


def test_only_the_two_known_include_files_are_read() -> None:
    e = error('OPENQASM 2.0;\ninclude "/etc/passwd";\nqreg q[1];\n')
    assert e.code == "InvalidInputData" and "line 2" in e.message and "/etc/passwd" in e.message


def test_too_many_qubits_for_the_target() -> None:
    e = error(HEADER + "qreg q[57];\n")
    assert "57 qubits" in e.message and "quantinuum.sim.h2-1e" in e.message


def test_not_text_and_bad_bit_values() -> None:
    assert error(b"\xff\xfe").code == "InvalidInputData"
    assert "0 or 1" in error(HEADER + "qreg q[1];\ncreg c[1];\nif(c[0]==2) x q[0];\n").message
    assert "c[4]" in error(HEADER + "qreg q[1];\ncreg c[1];\nif(c[4]==1) x q[0];\n").message


def test_classical_arithmetic_is_refused_with_its_line() -> None:
    e = error(HEADER + "qreg q[1];\ncreg c[2];\nc = c + 1;\n")
    assert e.code == "InvalidInputData" and "line 5" in e.message


def test_gate_definitions_are_decomposed_for_the_simulator() -> None:
    source = (
        HEADER + "gate flip(a) x, y { cu3(a, 0, 0) x, y; }\nqreg q[2];\ncreg c[2];\nx q[0];\n"
        "flip(pi) q[0], q[1];\nbarrier q;\nmeasure q -> c;\n"
    )
    assert results(source, shots=3) == {"c": ["11"] * 3}


def test_wide_clifford_circuits_run_on_the_stabilizer_method() -> None:
    source = (
        HEADER + "qreg q[50];\ncreg c[50];\nh q[0];\n" + "".join(f"cx q[0], q[{i}];\n" for i in range(1, 50))
    )
    body = results(source + "measure q -> c;\n", shots=200, seed=2)
    assert set(body["c"]) <= {"0" * 50, "1" * 50}
    assert chi_square(Counter(body["c"]), {"0" * 50: 0.5, "1" * 50: 0.5}, 200) < 10.83


def test_wide_non_clifford_circuits_fail_cleanly() -> None:
    e = error(HEADER + "qreg q[50];\ncreg c[50];\nh q;\nt q;\nmeasure q -> c;\n")
    assert e.code == "SimulationFailed" and "memory" in e.message


def test_hqslib1_alone_also_provides_the_qelib1_gates() -> None:
    source = 'OPENQASM 2.0;\ninclude "hqslib1.inc";\nqreg q[2];\ncreg c[2];\n'
    source += "h q[0];\nZZ q[0], q[1];\ncx q[0], q[1];\n"
    body = results(source + "measure q -> c;\n", shots=200, seed=1)
    assert set(body["c"]) <= {"00", "11"}
    both = 'OPENQASM 2.0;\ninclude "qelib1.inc";\ninclude "hqslib1.inc";\nqreg q[1];\ncreg c[1];\nx q[0];\n'
    assert results(both + "measure q -> c;\n", shots=2) == {"c": ["1", "1"]}
