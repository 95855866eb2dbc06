"""Running qiskit circuits: exact probabilities and sampled shots. qiskit is imported here, lazily, never at
catalog time; its exceptions become ProgramError once, here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import ProgramError

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["exact_probabilities", "sample_counts", "sample_memory"]

_SIGNIFICANT = 12
_NEGLIGIBLE = 1e-12


def exact_probabilities(circuit: QuantumCircuit) -> tuple[list[int], list[float]]:
    """Ideal probability of every basis state with non-negligible weight: the basis-state indices (qubit 0 =
    least significant bit) in increasing order, and their probabilities. Two lists, not a dict: a random
    20-qubit circuit has a million of them, which the caller writes out without building a dict.

    Aer's statevector method computes them exactly (no sampling), an order of magnitude faster than
    `qiskit.quantum_info.Statevector` at 20 qubits."""
    import numpy as np
    from qiskit.exceptions import QiskitError
    from qiskit_aer import AerSimulator
    from qiskit_aer.aererror import AerError

    simulator = AerSimulator(method="statevector")
    try:
        measured = _for_aer(circuit, simulator).copy()
        measured.save_probabilities()
        result = simulator.run(measured, shots=1).result()
    except (QiskitError, AerError, MemoryError) as exc:
        raise ProgramError("SimulationFailed", f"statevector simulation failed: {exc}") from exc
    if not result.success:
        raise ProgramError("SimulationFailed", f"statevector simulation failed: {result.status}")
    probabilities = np.asarray(result.data(0)["probabilities"], dtype=float)
    (indices,) = np.nonzero(probabilities > _NEGLIGIBLE)
    values = probabilities[indices]
    # round to _SIGNIFICANT digits (0.4999999999999999 -> 0.5), vectorized: 2^n entries at n qubits
    scale = 10.0 ** (_SIGNIFICANT - 1 - np.floor(np.log10(values)))
    rounded = np.round(values * scale) / scale
    return indices.tolist(), rounded.tolist()


def sample_memory(circuit: QuantumCircuit, shots: int, seed: int | None) -> list[str]:
    """Per-shot bitstrings of the circuit's classical bits (qiskit order: registers separated by spaces, the
    last-declared register first, bit 0 of each register rightmost)."""
    memory: list[str] = _run(circuit, shots, seed, memory=True).get_memory(0)
    return memory


def sample_counts(circuit: QuantumCircuit, shots: int, seed: int | None) -> dict[str, int]:
    """Counts per bitstring of the circuit's classical bits, in the same key order as `sample_memory`."""
    counts = _run(circuit, shots, seed, memory=False).get_counts(0)
    return {str(key): int(value) for key, value in counts.items()}


def _run(circuit: QuantumCircuit, shots: int, seed: int | None, *, memory: bool) -> Any:
    from qiskit.exceptions import QiskitError
    from qiskit_aer import AerSimulator
    from qiskit_aer.aererror import AerError

    simulator = AerSimulator(method="automatic")
    options: dict[str, object] = {"shots": shots, "memory": memory}
    if seed is not None:
        options["seed_simulator"] = seed
    try:
        compiled = _for_aer(circuit, simulator)
        result = simulator.run(compiled, **options).result()
    except (QiskitError, AerError, MemoryError) as exc:
        raise ProgramError("SimulationFailed", f"simulation failed: {exc}") from exc
    if not result.success:
        raise ProgramError("SimulationFailed", f"simulation failed: {result.status}")
    return result


def _for_aer(circuit: QuantumCircuit, simulator: Any) -> QuantumCircuit:
    """Hand Aer the circuit as is when it knows every instruction; otherwise decompose to standard gates it
    knows. No coupling map: Aer's own target caps the width by memory and would refuse wide stabilizer
    circuits that Aer can run."""
    from qiskit import transpile
    from qiskit.circuit.library import get_standard_gate_name_mapping

    supported = set(simulator.target.operation_names)
    if _all_supported(circuit, supported):
        return circuit
    basis = sorted(supported & set(get_standard_gate_name_mapping()))
    compiled: QuantumCircuit = transpile(circuit, basis_gates=basis, optimization_level=0)
    return compiled


def _all_supported(circuit: QuantumCircuit, supported: set[str]) -> bool:
    for instruction in circuit.data:
        operation = instruction.operation
        if operation.name not in supported:
            return False
        for block in getattr(operation, "blocks", ()):
            if not _all_supported(block, supported):
                return False
    return True
