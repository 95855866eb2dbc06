"""ionq.circuit.v1 on IonQ targets: golden histograms, native gate matrices, errors, sampling statistics."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from qiskit.quantum_info import Operator
from scipy.linalg import expm

from quantum_workspace.targets import ProgramError, get_catalog
from quantum_workspace.targets.formats import _ionq_native as native
from quantum_workspace.targets.formats.ionq_circuit import parse, to_qiskit

SIMULATOR = get_catalog().find("ionq", "ionq.simulator")
ARIA = get_catalog().find("ionq", "ionq.qpu.aria-1")

X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.array([[1, 0], [0, -1]], dtype=complex)


def histogram(circuit: Any, target: Any = SIMULATOR, **params: Any) -> dict[str, float]:
    program = circuit if isinstance(circuit, bytes) else json.dumps(circuit).encode()
    out = target.run(program, "ionq.circuit.v1", None, params)
    assert out.output_format == "ionq.quantum-results.v1"
    body = json.loads(out.data)
    assert list(body) == ["histogram"]
    result: dict[str, float] = body["histogram"]
    return result


def qis(qubits: int, *gates: dict[str, Any]) -> dict[str, Any]:
    return {"qubits": qubits, "circuit": list(gates)}


def native_circuit(qubits: int, *gates: dict[str, Any]) -> dict[str, Any]:
    return {"gateset": "native", "qubits": qubits, "circuit": list(gates)}


# --- golden results on the ideal simulator --------------------------------------------------------


def test_bell_pair() -> None:
    bell = qis(2, {"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1})
    assert histogram(bell) == {"0": 0.5, "3": 0.5}


def test_bell_pair_result_bytes_are_compact_json() -> None:
    bell = qis(2, {"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1})
    out = SIMULATOR.run(json.dumps(bell).encode(), "ionq.circuit.v1", None, {"shots": 100})
    assert out.data == b'{"histogram":{"0":0.5,"3":0.5}}'


def test_ghz_with_plural_targets_and_controls() -> None:
    ghz = qis(
        3,
        {"gate": "h", "targets": [0]},
        {"gate": "cnot", "controls": [0], "targets": [1]},
        {"gate": "cnot", "controls": [0], "targets": [2]},
    )
    assert histogram(ghz) == {"0": 0.5, "7": 0.5}


def test_x_and_qubit_zero_is_the_least_significant_bit() -> None:
    assert histogram(qis(1, {"gate": "x", "target": 0})) == {"1": 1.0}
    assert histogram(qis(3, {"gate": "x", "target": 1})) == {"2": 1.0}
    assert histogram(qis(3, {"gate": "not", "target": 2})) == {"4": 1.0}


def test_single_qubit_gates_apply_to_each_target() -> None:
    assert histogram(qis(3, {"gate": "x", "targets": [0, 2]})) == {"5": 1.0}


def test_multi_controlled_not_is_a_toffoli() -> None:
    toffoli = qis(3, {"gate": "x", "targets": [0, 1]}, {"gate": "cnot", "controls": [0, 1], "target": 2})
    assert histogram(toffoli) == {"7": 1.0}
    half = qis(3, {"gate": "x", "target": 0}, {"gate": "cnot", "controls": [0, 1], "target": 2})
    assert histogram(half) == {"1": 1.0}


def test_controlled_forms_of_other_gates() -> None:
    controlled_x = qis(2, {"gate": "x", "target": 0}, {"gate": "x", "control": 0, "target": 1})
    assert histogram(controlled_x) == {"3": 1.0}
    controlled_h = qis(2, {"gate": "x", "target": 0}, {"gate": "h", "controls": [0], "target": 1})
    assert histogram(controlled_h) == {"1": 0.5, "3": 0.5}
    fredkin = qis(3, {"gate": "x", "targets": [0, 1]}, {"gate": "swap", "controls": [0], "targets": [1, 2]})
    assert histogram(fredkin) == {"5": 1.0}


def test_swap_moves_an_excitation() -> None:
    assert histogram(qis(2, {"gate": "x", "target": 0}, {"gate": "swap", "targets": [0, 1]})) == {"2": 1.0}


@pytest.mark.parametrize(
    ("gates", "expected"),
    [
        ([{"gate": "h"}, {"gate": "s"}, {"gate": "si"}, {"gate": "h"}], {"0": 1.0}),
        ([{"gate": "h"}, {"gate": "t"}, {"gate": "ti"}, {"gate": "h"}], {"0": 1.0}),
        ([{"gate": "h"}, {"gate": "s"}, {"gate": "s"}, {"gate": "h"}], {"1": 1.0}),  # S^2 = Z
        (
            [{"gate": "h"}, {"gate": "t"}, {"gate": "t"}, {"gate": "t"}, {"gate": "t"}, {"gate": "h"}],
            {"1": 1.0},
        ),
        ([{"gate": "v"}, {"gate": "v"}], {"1": 1.0}),  # V = sqrt(X)
        ([{"gate": "v"}, {"gate": "vi"}], {"0": 1.0}),
        ([{"gate": "v"}], {"0": 0.5, "1": 0.5}),
        ([{"gate": "y"}], {"1": 1.0}),
        ([{"gate": "h"}, {"gate": "z"}, {"gate": "h"}], {"1": 1.0}),
    ],
)
def test_fixed_single_qubit_gates(gates: list[dict[str, Any]], expected: dict[str, float]) -> None:
    assert histogram(qis(1, *({**g, "target": 0} for g in gates))) == expected


def test_rotations_are_in_radians() -> None:
    assert histogram(qis(1, {"gate": "rx", "target": 0, "rotation": math.pi})) == {"1": 1.0}
    assert histogram(qis(1, {"gate": "ry", "target": 0, "rotation": math.pi / 2})) == {"0": 0.5, "1": 0.5}
    assert histogram(
        qis(
            1,
            {"gate": "h", "target": 0},
            {"gate": "rz", "target": 0, "rotation": math.pi},
            {"gate": "h", "target": 0},
        )
    ) == {"1": 1.0}
    quarter = histogram(qis(1, {"gate": "rx", "target": 0, "rotation": math.pi / 3}))
    assert quarter == {"0": 0.75, "1": 0.25}


def test_two_qubit_ising_rotations() -> None:
    assert histogram(qis(2, {"gate": "xx", "targets": [0, 1], "rotation": math.pi})) == {"3": 1.0}
    assert histogram(qis(2, {"gate": "yy", "targets": [0, 1], "rotation": math.pi / 2})) == {
        "0": 0.5,
        "3": 0.5,
    }
    assert histogram(qis(2, {"gate": "zz", "targets": [0, 1], "rotation": 1.0})) == {"0": 1.0}


def test_qubits_may_be_inferred_and_input_may_be_wrapped() -> None:
    assert histogram({"circuit": [{"gate": "x", "target": 2}]}) == {"4": 1.0}
    wrapped = {"input": qis(2, {"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1})}
    assert histogram(wrapped) == {"0": 0.5, "3": 0.5}


def test_an_empty_circuit_stays_in_the_ground_state() -> None:
    assert histogram(qis(3)) == {"0": 1.0}


def test_tiny_probabilities_are_kept_and_float_noise_is_rounded() -> None:
    eight = qis(8, *({"gate": "h", "target": q} for q in range(8)))
    result = histogram(eight)
    assert len(result) == 256 and set(result.values()) == {1 / 256}


# --- native gates ---------------------------------------------------------------------------------


def sigma(phase: float) -> np.ndarray:
    """The equatorial Pauli operator at angle phase (turns), from which IonQ defines its native gates."""
    return math.cos(2 * math.pi * phase) * X + math.sin(2 * math.pi * phase) * Y


@pytest.mark.parametrize("phase", [0.0, 0.125, 0.25, 0.3, -0.7, 1.0])
def test_gpi_and_gpi2_match_their_definitions(phase: float) -> None:
    e = complex(math.cos(2 * math.pi * phase), math.sin(2 * math.pi * phase))
    assert np.allclose(native.gpi(phase), [[0, e.conjugate()], [e, 0]])
    assert np.allclose(native.gpi(phase), sigma(phase))
    documented_gpi2 = np.array([[1, -1j * e.conjugate()], [-1j * e, 1]]) / math.sqrt(2)
    assert np.allclose(native.gpi2(phase), documented_gpi2)
    assert np.allclose(native.gpi2(phase), expm(-1j * math.pi / 4 * sigma(phase)))
    assert np.allclose(native.gpi2(phase) @ native.gpi2(phase), -1j * sigma(phase))


@pytest.mark.parametrize(
    ("phi0", "phi1", "angle"), [(0, 0, 0.25), (0.1, 0.35, 0.25), (0.2, -0.05, 0.1), (0.5, 0, 0)]
)
def test_ms_matches_its_definition(phi0: float, phi1: float, angle: float) -> None:
    c, s = math.cos(math.pi * angle), math.sin(math.pi * angle)
    p = complex(math.cos(2 * math.pi * (phi0 + phi1)), math.sin(2 * math.pi * (phi0 + phi1)))
    m = complex(math.cos(2 * math.pi * (phi0 - phi1)), math.sin(2 * math.pi * (phi0 - phi1)))
    documented = np.array(
        [
            [c, 0, 0, -1j * p.conjugate() * s],
            [0, c, -1j * m.conjugate() * s, 0],
            [0, -1j * m * s, c, 0],
            [-1j * p * s, 0, 0, c],
        ]
    )
    assert np.allclose(native.ms(phi0, phi1, angle), documented)
    assert np.allclose(
        native.ms(phi0, phi1, angle), expm(-1j * math.pi * angle * np.kron(sigma(phi0), sigma(phi1)))
    )


@pytest.mark.parametrize("angle", [0.0, 0.1, 0.25, -0.3])
def test_zz_matches_its_definition(angle: float) -> None:
    assert np.allclose(native.zz(angle), expm(-1j * math.pi * angle * np.kron(Z, Z)))


def test_ms_phase_zero_belongs_to_the_first_target() -> None:
    """qiskit's operator is little-endian: on targets [0, 1] the first target is the right-hand factor."""
    phi0, phi1 = 0.1, 0.35
    ms = {"gate": "ms", "targets": [0, 1], "phases": [phi0, phi1]}
    forward = to_qiskit(parse(json.dumps(native_circuit(2, ms)).encode()))
    expected = expm(-1j * math.pi / 4 * np.kron(sigma(phi1), sigma(phi0)))
    assert np.allclose(Operator(forward).data, expected)
    backward = to_qiskit(parse(json.dumps(native_circuit(2, {**ms, "targets": [1, 0]})).encode()))
    assert np.allclose(Operator(backward).data, expm(-1j * math.pi / 4 * np.kron(sigma(phi0), sigma(phi1))))


def test_native_golden_histograms() -> None:
    assert histogram(native_circuit(1, {"gate": "gpi", "target": 0, "phase": 0})) == {"1": 1.0}
    assert histogram(native_circuit(1, {"gate": "gpi2", "target": 0, "phase": 0.25})) == {"0": 0.5, "1": 0.5}
    two_gpi2 = native_circuit(
        1, {"gate": "gpi2", "targets": [0], "phase": 0}, {"gate": "gpi2", "targets": [0], "phase": 0}
    )
    assert histogram(two_gpi2) == {"1": 1.0}
    ms = {"gate": "ms", "targets": [0, 1], "phases": [0, 0]}
    assert histogram(native_circuit(2, ms)) == {"0": 0.5, "3": 0.5}
    assert histogram(native_circuit(2, {**ms, "phases": [0.3, 0.1], "angle": 0})) == {"0": 1.0}
    assert histogram(native_circuit(2, {"gate": "zz", "targets": [0, 1], "angle": 0.25})) == {"0": 1.0}


@pytest.mark.parametrize("angle", [0.25, 0.125, 0.05])
def test_zz_between_gpi2_pairs_is_an_xx_rotation(angle: float) -> None:
    """GPI2(1/4) = RY(pi/2) and GPI2(3/4) = RY(-pi/2), so the sandwich is exp(-i pi angle XX) on |00>."""
    sandwich = native_circuit(
        2,
        {"gate": "gpi2", "target": 0, "phase": 0.25},
        {"gate": "gpi2", "target": 1, "phase": 0.25},
        {"gate": "zz", "targets": [0, 1], "angle": angle},
        {"gate": "gpi2", "target": 0, "phase": 0.75},
        {"gate": "gpi2", "target": 1, "phase": 0.75},
    )
    result = histogram(sandwich)
    assert set(result) == {"0", "3"}
    assert math.isclose(result["0"], math.cos(math.pi * angle) ** 2, abs_tol=1e-11)
    assert math.isclose(result["3"], math.sin(math.pi * angle) ** 2, abs_tol=1e-11)


# --- errors ---------------------------------------------------------------------------------------


def error(program: Any, target: Any = SIMULATOR, **params: Any) -> ProgramError:
    raw = program if isinstance(program, bytes) else json.dumps(program).encode()
    with pytest.raises(ProgramError) as caught:
        target.run(raw, "ionq.circuit.v1", None, params)
    return caught.value


def test_not_json() -> None:
    e = error(b'{"qubits": 2, "circuit": [')
    assert e.code == "InvalidInputData" and "not valid JSON" in e.message and "line 1" in e.message
    assert error(b"\xff\xfe").code == "InvalidInputData"
    assert error([1, 2]).code == "InvalidInputData"
    assert "circuit" in error({"qubits": 2}).message
    assert error(b'{"qubits": ' + b"9" * 5000 + b', "circuit": []}').code == "InvalidInputData"
    deep = error(b'{"qubits": 2, "circuit": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    assert deep.code == "InvalidInputData" and "nested too deeply" in deep.message


def test_unknown_gate_names_its_index_and_name() -> None:
    e = error(qis(2, {"gate": "h", "target": 0}, {"gate": "frobnicate", "target": 1}))
    assert e.code == "InvalidInputData"
    assert "circuit[1]" in e.message and "'frobnicate'" in e.message


def test_qubit_index_out_of_range_is_named() -> None:
    e = error(qis(2, {"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 5}))
    assert "circuit[1]" in e.message and "'cnot'" in e.message and "qubit 5" in e.message


def test_too_many_qubits_for_the_target() -> None:
    e = error(qis(26, {"gate": "h", "target": 25}), ARIA)
    assert e.code == "InvalidInputData" and "26 qubits" in e.message and "ionq.qpu.aria-1" in e.message
    assert "30 qubits" in error(qis(30)).message


@pytest.mark.parametrize(
    ("program", "fragment"),
    [
        (qis(2, {"gate": "gpi", "target": 0, "phase": 0}), "gateset"),
        (native_circuit(2, {"gate": "h", "target": 0}), "gateset"),
        (native_circuit(2, {"gate": "gpi", "target": 0, "phase": 0, "controls": [1]}), "no controls"),
        (qis(2, {"gate": "cnot", "target": 1}), "control"),
        (qis(2, {"gate": "cnot", "control": 1, "target": 1}), "twice"),
        (qis(2, {"gate": "rx", "target": 0}), "rotation"),
        (qis(2, {"gate": "rx", "target": 0, "rotation": "pi"}), "rotation"),
        (qis(2, {"gate": "swap", "targets": [0]}), "2 targets"),
        (qis(2, {"gate": "h"}), "target"),
        (qis(2, {"gate": "h", "target": -1}), "-1"),
        (qis(2, {"gate": "h", "target": True}), "True"),
        (qis(2, {"target": 0}), "gate"),
        (native_circuit(2, {"gate": "ms", "targets": [0, 1], "phases": [0]}), "phases"),
        ({"qubits": 0, "circuit": []}, "qubits"),
        ({"gateset": "clifford", "qubits": 1, "circuit": []}, "gateset"),
        ({"circuit": []}, "qubits"),
    ],
)
def test_malformed_gates(program: dict[str, Any], fragment: str) -> None:
    e = error(program)
    assert e.code == "InvalidInputData"
    assert fragment in e.message


@pytest.mark.parametrize(
    "params", [{"shots": 0}, {"shots": "many"}, {"shots": True}, {"shots": 10, "count": 20}]
)
def test_bad_shot_counts(params: dict[str, Any]) -> None:
    assert error(qis(1, {"gate": "h", "target": 0}), ARIA, **params).code == "InvalidInputParameters"


def test_unsupported_noise_models_are_refused_not_faked() -> None:
    e = error(qis(1, {"gate": "h", "target": 0}), SIMULATOR, noise={"model": "aria-1"})
    assert e.code == "InvalidInputParameters" and "aria-1" in e.message
    assert histogram(qis(1, {"gate": "x", "target": 0}), noise={"model": "ideal"}) == {"1": 1.0}


# --- sampled QPU targets --------------------------------------------------------------------------


def counts_of(result: dict[str, float], shots: int) -> dict[str, int]:
    counts = {key: round(p * shots) for key, p in result.items()}
    assert all(math.isclose(counts[key] / shots, p) for key, p in result.items())
    assert sum(counts.values()) == shots
    return counts


def chi_square(observed: dict[str, int], expected: dict[str, float], shots: int) -> float:
    assert set(observed) <= set(expected)
    return sum((observed.get(key, 0) - p * shots) ** 2 / (p * shots) for key, p in expected.items())


def test_qpu_ghz_samples_only_the_two_branches_and_passes_chi_square() -> None:
    ghz = qis(3, {"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "targets": [1, 2]})
    shots = 2000
    counts = counts_of(histogram(ghz, ARIA, shots=shots, seed=11), shots)
    # chi-square with 1 degree of freedom; 10.83 is the 0.1% critical value
    assert chi_square(counts, {"0": 0.5, "7": 0.5}, shots) < 10.83


def test_qpu_uneven_distribution_passes_chi_square() -> None:
    theta = 2 * math.asin(math.sqrt(0.2))  # P(1) = 0.2 on qubit 0, qubit 1 follows it
    program = qis(
        2, {"gate": "ry", "target": 0, "rotation": theta}, {"gate": "cnot", "control": 0, "target": 1}
    )
    shots = 5000
    counts = counts_of(
        histogram(program, get_catalog().find("ionq", "ionq.qpu.forte-1"), count=shots, noise={"seed": 5}),
        shots,
    )
    assert chi_square(counts, {"0": 0.8, "3": 0.2}, shots) < 10.83


def test_qpu_shots_default_to_100_and_accept_runs() -> None:
    program = qis(1, {"gate": "h", "target": 0})
    counts_of(histogram(program, ARIA), 100)
    counts_of(histogram(program, ARIA, runs=37), 37)


def test_qpu_sampling_is_reproducible_with_a_seed() -> None:
    program = qis(4, *({"gate": "h", "target": q} for q in range(4)))
    assert histogram(program, ARIA, shots=300, seed=3) == histogram(program, ARIA, shots=300, seed=3)


def test_qpu_runs_native_gates() -> None:
    program = native_circuit(2, {"gate": "ms", "targets": [0, 1], "phases": [0, 0]})
    counts = counts_of(histogram(program, ARIA, shots=1000, seed=1), 1000)
    assert set(counts) <= {"0", "3"}
    assert chi_square(counts, {"0": 0.5, "3": 0.5}, 1000) < 10.83


@pytest.mark.parametrize("seed", range(5))
def test_exact_histograms_agree_with_qiskits_reference_statevector(seed: int) -> None:
    """Random qis and controlled gates: Aer's exact probabilities equal qiskit.quantum_info's."""
    import random

    from qiskit.quantum_info import Statevector

    rng = random.Random(seed)
    gates: list[dict[str, Any]] = []
    for _ in range(40):
        name = rng.choice(
            ["h", "x", "y", "z", "s", "si", "t", "ti", "v", "vi", "rx", "ry", "rz", "cnot", "swap", "xx"]
        )
        qubits = rng.sample(range(5), 3)
        gate: dict[str, Any] = {"gate": name, "target": qubits[0]}
        if name in ("rx", "ry", "rz", "xx"):
            gate["rotation"] = rng.uniform(-3, 3)
        if name in ("swap", "xx"):
            gate = {**gate, "targets": qubits[:2]}
            del gate["target"]
        if name == "cnot" or rng.random() < 0.2:
            gate["controls"] = [qubits[2]]
        gates.append(gate)
    circuit = qis(5, *gates)
    reference = Statevector(to_qiskit(parse(json.dumps(circuit).encode()))).probabilities()
    ours = histogram(circuit)
    assert math.isclose(sum(ours.values()), 1.0, abs_tol=1e-9)
    for index, p in enumerate(reference):
        assert math.isclose(ours.get(str(index), 0.0), p, abs_tol=1e-11)
