"""`rigetti.quil.v1` (Quil text) -> `rigetti.quil-results.v1`: `{"ro": [[b0, b1, ...], ...]}`, per shot.

quil-rs parses the program; our converter builds a qiskit circuit (Quil's gate matrices are big-endian in the
argument order, so qiskit receives the arguments reversed) and Aer samples it. `substitutions` run the
program once per parameter vector, `count` shots each, readouts concatenated as Rigetti does."""

from __future__ import annotations

import cmath
import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._cost import Workload, circuit_counts
from .._errors import ProgramError
from .._model import FormatSpec, RunRequest, TargetKind, TargetOutput
from .._params import seed, shots

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from qiskit import QuantumCircuit
    from qiskit.circuit import Gate
    from quil.program import Program

__all__ = ["FORMAT", "INPUT_FORMAT", "OUTPUT_FORMAT", "Readout", "count", "parse", "run", "to_qiskit"]

INPUT_FORMAT = "rigetti.quil.v1"
OUTPUT_FORMAT = "rigetti.quil-results.v1"
DEFAULT_SHOTS = 1  # Rigetti runs a program once when no count is given
_READOUT_TYPES = ("Bit", "Octet", "Integer")
_IGNORED = ("Declaration", "Pragma", "Fence", "Delay", "Nop", "GateDefinition")

# Quil standard gates that qiskit has with the same argument order and matrix
_STANDARD = {
    "I": "id", "X": "x", "Y": "y", "Z": "z", "H": "h", "S": "s", "T": "t",
    "RX": "rx", "RY": "ry", "RZ": "rz", "PHASE": "p",
    "CNOT": "cx", "CZ": "cz", "CPHASE": "cp", "SWAP": "swap", "ISWAP": "iswap",
    "CCNOT": "ccx", "CSWAP": "cswap",
}  # fmt: skip


@dataclass(frozen=True)
class Readout:
    """A memory region the results report: its name and length."""

    name: str
    size: int


def parse(program: bytes) -> Program:
    from quil import QuilError
    from quil.program import Program

    try:
        text = program.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProgramError("InvalidInputData", f"the Quil program is not UTF-8 text: {exc}") from exc
    try:
        return Program.parse(text)
    except QuilError as exc:
        raise ProgramError("InvalidInputData", f"Quil parse error: {exc}") from exc


def _memory(program: Program, substitution: Mapping[str, list[float]]) -> dict[str, list[float]]:
    memory: dict[str, list[float]] = {}
    for name, declaration in program.declarations.items():
        memory[name] = [0.0] * declaration.size.length
    for name, values in substitution.items():
        if name not in memory:
            raise ProgramError("InvalidInputParameters", f"substitutions name {name!r}, which is not declared")
        if len(values) != len(memory[name]):
            raise ProgramError(
                "InvalidInputParameters",
                f"substitutions for {name!r} have {len(values)} values; {name} has {len(memory[name])}",
            )
        memory[name] = [float(v) for v in values]
    return memory


def _readouts(program: Program) -> list[Readout]:
    from quil.instructions import Instruction

    measured = {
        instruction._0.target.name
        for instruction in program.body_instructions
        if isinstance(instruction, Instruction.Measurement) and instruction._0.target is not None
    }
    readouts = []
    for name, declaration in program.declarations.items():
        if (name in measured or name == "ro") and str(declaration.size.data_type) in _READOUT_TYPES:
            readouts.append(Readout(name, declaration.size.length))
        elif name in measured:
            kind = str(declaration.size.data_type).upper()
            raise ProgramError("InvalidInputData", f"MEASURE into {name}, a {kind} region (not BIT, OCTET or INTEGER)")
    return sorted(readouts, key=lambda r: (r.name != "ro", r.name))


def to_qiskit(program: Program, memory: Mapping[str, list[float]]) -> tuple[QuantumCircuit, list[Readout]]:
    """The circuit for one parameter vector; Quil qubit indices are packed densely in increasing order."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
    from quil.instructions import Instruction

    instructions = program.body_instructions
    qubits = sorted({_fixed(q) for q in program.used_qubits})
    index = {q: i for i, q in enumerate(qubits)}
    readouts = _readouts(program)
    registers = {r.name: ClassicalRegister(r.size, r.name) for r in readouts}
    scratch = ClassicalRegister(1, "_discarded")
    circuit = QuantumCircuit(QuantumRegister(len(qubits), "q"), *registers.values(), scratch)
    for instruction in instructions:
        kind = type(instruction).__name__
        if isinstance(instruction, Instruction.Gate):
            gate = instruction._0
            targets = [index[_fixed(q)] for q in gate.qubits]
            circuit.append(_gate(gate, program, memory), targets)
        elif isinstance(instruction, Instruction.Measurement):
            measurement = instruction._0
            qubit = index[_fixed(measurement.qubit)]
            target = measurement.target
            if target is None:
                circuit.measure(qubit, scratch[0])
            else:
                if target.index >= registers[target.name].size:
                    raise ProgramError("InvalidInputData", f"{instruction.to_quil()}: index out of range")
                circuit.measure(qubit, registers[target.name][target.index])
        elif isinstance(instruction, Instruction.Reset):
            reset = instruction._0.qubit
            for q in [index[_fixed(reset)]] if reset is not None else range(len(qubits)):
                circuit.reset(q)
        elif isinstance(instruction, Instruction.Halt):
            break
        elif kind in _IGNORED:
            continue
        else:
            raise ProgramError("InvalidInputData", f"unsupported Quil instruction: {instruction.to_quil_or_debug()}")
    return circuit, readouts


def _fixed(qubit: Any) -> int:
    from quil.instructions import Qubit

    if not isinstance(qubit, Qubit.Fixed):
        raise ProgramError("InvalidInputData", f"qubit {qubit.to_quil_or_debug()} is not a fixed qubit index")
    return int(qubit._0)


def _value(expression: Any, memory: Mapping[str, list[float]], variables: Mapping[str, complex], where: str) -> complex:
    from quil import QuilError

    try:
        value = expression.evaluate(dict(variables), {k: list(v) for k, v in memory.items()})
    except QuilError as exc:
        raise ProgramError("InvalidInputData", f"{where}: cannot evaluate a parameter: {exc}") from exc
    return complex(value)


def _real(expression: Any, memory: Mapping[str, list[float]], where: str) -> float:
    value = _value(expression, memory, {}, where)
    if abs(value.imag) > 1e-12:
        raise ProgramError("InvalidInputData", f"{where}: a gate parameter is not real")
    return value.real


@functools.cache
def _standard_gates() -> dict[str, Gate]:
    """qiskit builds this mapping anew on every call (about 1 ms): once per process is enough."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    return dict(get_standard_gate_name_mapping())


def _gate(gate: Any, program: Program, memory: Mapping[str, list[float]]) -> Gate:
    from qiskit.circuit.library import UnitaryGate

    where = gate.to_quil_or_debug()
    params = [_real(p, memory, where) for p in gate.parameters]
    name = gate.name
    definitions = program.gate_definitions
    if name in definitions:
        result: Gate = UnitaryGate(_reverse(_defined(definitions[name], params, memory, where)), label=name)
    elif name in _STANDARD:
        base = _standard_gates()[_STANDARD[name]]
        if len(params) != len(base.params):
            raise ProgramError("InvalidInputData", f"{where}: {name} takes {len(base.params)} parameters")
        result = type(base)(*params) if params else base
    elif name in _BIG_ENDIAN:
        matrix, arity = _BIG_ENDIAN[name]
        if len(params) != arity:
            raise ProgramError("InvalidInputData", f"{where}: {name} takes {arity} parameters")
        result = UnitaryGate(_reverse(matrix(*params)), label=name)
    else:
        raise ProgramError("InvalidInputData", f"unknown gate {name} in: {where}")
    if result.num_qubits + sum(1 for m in gate.modifiers if str(m) == "Controlled") != len(gate.qubits):
        raise ProgramError("InvalidInputData", f"{where}: wrong number of qubits for {name}")
    for modifier in reversed(gate.modifiers):  # the innermost modifier applies first
        text = str(modifier)
        if text == "Dagger":
            result = result.inverse()
        elif text == "Controlled":
            result = result.control(1)  # the control is the first argument, as in qiskit
        else:
            raise ProgramError("InvalidInputData", f"{where}: the {text.upper()} modifier is not supported")
    return result


def _reverse(matrix: npt.NDArray[np.complex128]) -> npt.NDArray[np.complex128]:
    """A big-endian matrix (first argument most significant) in qiskit's order (first argument least)."""
    import numpy as np

    n = int(round(math.log2(matrix.shape[0])))
    tensor = matrix.reshape([2] * (2 * n))
    order = list(reversed(range(n))) + [n + i for i in reversed(range(n))]
    return np.ascontiguousarray(tensor.transpose(order).reshape(2**n, 2**n))


def _defined(
    definition: Any, params: list[float], memory: Mapping[str, list[float]], where: str
) -> npt.NDArray[np.complex128]:
    import numpy as np
    from quil.instructions import GateSpecification

    if len(params) != len(definition.parameters):
        raise ProgramError(
            "InvalidInputData", f"{where}: {definition.name} takes {len(definition.parameters)} parameters"
        )
    variables = dict(zip(definition.parameters, params, strict=True))
    specification = definition.specification
    if isinstance(specification, GateSpecification.Matrix):
        rows = specification._0
        matrix = np.array([[_value(e, memory, variables, where) for e in row] for row in rows], dtype=np.complex128)
    elif isinstance(specification, GateSpecification.Permutation):
        permutation = list(specification._0)
        matrix = np.zeros((len(permutation), len(permutation)), dtype=np.complex128)
        for column, row in enumerate(permutation):
            matrix[row, column] = 1
    else:
        raise ProgramError("InvalidInputData", f"{where}: only matrix and permutation DEFGATEs are supported")
    size = matrix.shape[0]
    if matrix.shape != (size, size) or size < 2 or size & (size - 1):
        raise ProgramError("InvalidInputData", f"{where}: {definition.name} is not a 2^n x 2^n matrix")
    if not np.allclose(matrix @ matrix.conj().T, np.eye(size), atol=1e-9):
        raise ProgramError("InvalidInputData", f"{where}: {definition.name} is not unitary")
    return matrix


def _diag(*entries: complex) -> npt.NDArray[np.complex128]:
    import numpy as np

    return np.diag(np.array(entries, dtype=np.complex128))


def _pswap(theta: float) -> npt.NDArray[np.complex128]:
    import numpy as np

    e = cmath.exp(1j * theta)
    return np.array([[1, 0, 0, 0], [0, 0, e, 0], [0, e, 0, 0], [0, 0, 0, 1]], dtype=np.complex128)


def _xy(theta: float) -> npt.NDArray[np.complex128]:
    import numpy as np

    c, s = math.cos(theta / 2), 1j * math.sin(theta / 2)
    return np.array([[1, 0, 0, 0], [0, c, s, 0], [0, s, c, 0], [0, 0, 0, 1]], dtype=np.complex128)


# Quil gates qiskit lacks, as big-endian matrices and their parameter count
_BIG_ENDIAN: dict[str, tuple[Any, int]] = {
    "CPHASE00": (lambda t: _diag(cmath.exp(1j * t), 1, 1, 1), 1),
    "CPHASE01": (lambda t: _diag(1, cmath.exp(1j * t), 1, 1), 1),
    "CPHASE10": (lambda t: _diag(1, 1, cmath.exp(1j * t), 1), 1),
    "PSWAP": (_pswap, 1),
    "XY": (_xy, 1),
}


def _substitutions(params: Mapping[str, Any]) -> list[dict[str, list[float]]]:
    given = params.get("substitutions")
    if given is None:
        return [{}]
    if not isinstance(given, Mapping) or not given:
        raise ProgramError("InvalidInputParameters", "substitutions must map region names to lists of vectors")
    lengths = set()
    for name, vectors in given.items():
        if not isinstance(vectors, list) or not all(isinstance(v, list) for v in vectors):
            raise ProgramError("InvalidInputParameters", f"substitutions[{name!r}] must be a list of vectors")
        lengths.add(len(vectors))
    if len(lengths) != 1 or 0 in lengths:
        raise ProgramError("InvalidInputParameters", "every substitutions entry needs the same number of vectors")
    runs = lengths.pop()
    return [{name: vectors[i] for name, vectors in given.items()} for i in range(runs)]


def run(program: bytes, request: RunRequest) -> TargetOutput:
    """Readouts per shot for every parameter vector; only measured regions (and `ro`) are reported."""
    parsed = parse(program)
    count = shots(request.params, DEFAULT_SHOTS)
    shot_seed = seed(request.params)
    results: dict[str, list[list[int]]] = {}
    for substitution in _substitutions(request.params):
        circuit, readouts = to_qiskit(parsed, _memory(parsed, substitution))
        limit = request.target.num_qubits
        if limit is not None and circuit.num_qubits > limit:
            raise ProgramError(
                "InvalidInputData",
                f"the program uses {circuit.num_qubits} qubits but {request.target.id} has {limit}",
            )
        for readout in readouts:
            results.setdefault(readout.name, [])
        if request.kind is TargetKind.SYNTAX_CHECKER or not readouts:
            for readout in readouts:
                results[readout.name] += [[0] * readout.size for _ in range(count)]
            continue
        from .._sim import sample_memory

        # qiskit lists registers last-declared first, each with its bit 0 rightmost; the scratch bit is last
        order = [r.name for r in readouts] + ["_discarded"]
        for shot in sample_memory(circuit, count, shot_seed):
            fields = dict(zip(reversed(order), shot.split(" "), strict=True))
            for readout in readouts:
                results[readout.name].append([int(bit) for bit in reversed(fields[readout.name])])
    data = json.dumps(results, separators=(",", ":")).encode()
    return TargetOutput(data, "application/json", OUTPUT_FORMAT)


def count(program: bytes, params: Mapping[str, Any]) -> Workload:
    """Operations of the program (parameter values change no count); every parameter vector runs `count`
    shots, so the job's shots are their product."""
    parsed = parse(program)
    substitutions = _substitutions(params)
    circuit, _ = to_qiskit(parsed, _memory(parsed, substitutions[0]))
    return Workload(circuit_counts(circuit), shots(params, DEFAULT_SHOTS) * len(substitutions))


FORMAT = FormatSpec(INPUT_FORMAT, (OUTPUT_FORMAT,), run, count)
