"""`ionq.circuit.v1` (IonQ JSON gates, qis or native gateset) -> `ionq.quantum-results.v1` histograms.

Parsed once into frozen gate objects; the simulator sees a qiskit circuit whose qubit i is IonQ qubit i,
so basis-state indices put qubit 0 in the least significant bit, as IonQ's histogram keys do."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._cost import OperationCounts, Workload, circuit_counts
from .._errors import ProgramError
from .._model import FormatSpec, RunRequest, TargetKind, TargetOutput
from .._params import seed, shots

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Gate as QiskitGate

__all__ = [
    "FORMAT",
    "INPUT_FORMAT",
    "OUTPUT_FORMAT",
    "IonqCircuit",
    "IonqGate",
    "count",
    "parse",
    "run",
    "to_qiskit",
]

INPUT_FORMAT = "ionq.circuit.v1"
OUTPUT_FORMAT = "ionq.quantum-results.v1"
DEFAULT_SHOTS = 100

# qis single-qubit gates without parameters -> qiskit standard gate names
_QIS_FIXED = {
    "x": "x", "not": "x", "y": "y", "z": "z", "h": "h",
    "s": "s", "si": "sdg", "t": "t", "ti": "tdg", "v": "sx", "vi": "sxdg",
}  # fmt: skip
_QIS_ROTATION_1Q = {"rx", "ry", "rz"}
_QIS_ROTATION_2Q = {"xx": "rxx", "yy": "ryy", "zz": "rzz"}
_QIS_GATES = set(_QIS_FIXED) | _QIS_ROTATION_1Q | set(_QIS_ROTATION_2Q) | {"cnot", "swap"}
_NATIVE_GATES = {"gpi", "gpi2", "ms", "zz"}


@dataclass(frozen=True)
class IonqGate:
    """One entry of `circuit`; `rotation` is in radians (qis), `phases` and `angle` in turns (native)."""

    index: int
    name: str
    targets: tuple[int, ...]
    controls: tuple[int, ...] = ()
    rotation: float | None = None
    phases: tuple[float, ...] = ()
    angle: float | None = None


@dataclass(frozen=True)
class IonqCircuit:
    qubits: int
    gateset: str
    gates: tuple[IonqGate, ...]


def parse(program: bytes) -> IonqCircuit:
    """Validate and parse an IonQ JSON circuit, bare or wrapped in `{"input": {...}}` as IonQ's API does."""
    try:
        document = json.loads(program)
    except UnicodeDecodeError as exc:
        raise ProgramError("InvalidInputData", f"the program is not UTF-8 text: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ProgramError(
            "InvalidInputData",
            f"the program is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from exc
    except (ValueError, RecursionError) as exc:  # an integer past 4,300 digits; nesting past the stack
        raise ProgramError("InvalidInputData", f"the program cannot be read as JSON: {_reason(exc)}") from exc
    if isinstance(document, dict) and "circuit" not in document and isinstance(document.get("input"), dict):
        document = document["input"]
    if not isinstance(document, dict):
        raise ProgramError("InvalidInputData", "an ionq.circuit.v1 program must be a JSON object")
    gateset = document.get("gateset", "qis")
    if gateset not in ("qis", "native"):
        raise ProgramError("InvalidInputData", f'gateset must be "qis" or "native", got {gateset!r}')
    entries = document.get("circuit")
    if not isinstance(entries, list):
        raise ProgramError("InvalidInputData", 'the program needs a "circuit" array of gates')
    gates = tuple(_parse_gate(i, entry, gateset) for i, entry in enumerate(entries))
    used = max((q for g in gates for q in (*g.targets, *g.controls)), default=-1) + 1
    declared = document.get("qubits")
    if declared is None:
        if used == 0:
            raise ProgramError("InvalidInputData", 'the program declares no "qubits" and uses none')
        return IonqCircuit(used, gateset, gates)
    if isinstance(declared, bool) or not isinstance(declared, int) or declared < 1:
        raise ProgramError("InvalidInputData", f'"qubits" must be a positive integer, got {declared!r}')
    for gate in gates:
        for qubit in (*gate.targets, *gate.controls):
            if qubit >= declared:
                raise ProgramError(
                    "InvalidInputData",
                    f"{_where(gate.index, gate.name)}: qubit {qubit} is out of range for {declared} qubits",
                )
    return IonqCircuit(declared, gateset, gates)


def _where(index: int, name: object) -> str:
    return f"circuit[{index}] (gate {name!r})" if isinstance(name, str) else f"circuit[{index}]"


def _parse_gate(index: int, entry: Any, gateset: str) -> IonqGate:
    if not isinstance(entry, dict):
        raise ProgramError("InvalidInputData", f"circuit[{index}] must be a JSON object")
    name = entry.get("gate")
    where = _where(index, name)
    if not isinstance(name, str):
        raise ProgramError("InvalidInputData", f'{where}: missing "gate" name')
    allowed = _NATIVE_GATES if gateset == "native" else _QIS_GATES
    if name not in allowed:
        if name in (_QIS_GATES if gateset == "native" else _NATIVE_GATES):
            raise ProgramError(
                "InvalidInputData",
                f"{where}: not a gate of the {gateset!r} gateset (gatesets cannot be mixed)",
            )
        raise ProgramError("InvalidInputData", f"{where}: unknown gate")
    targets = _qubit_list(entry, "targets", "target", where)
    controls = _qubit_list(entry, "controls", "control", where)
    if not targets:
        raise ProgramError("InvalidInputData", f'{where}: needs "target" or "targets"')
    if len(set(targets) | set(controls)) != len(targets) + len(controls):
        raise ProgramError("InvalidInputData", f"{where}: a qubit appears twice among targets and controls")
    two_qubit = name in ("swap", "ms") or name in _QIS_ROTATION_2Q or (gateset == "native" and name == "zz")
    if two_qubit and len(targets) != 2:
        raise ProgramError("InvalidInputData", f"{where}: needs exactly 2 targets, got {len(targets)}")
    if name == "cnot" and not controls:
        raise ProgramError("InvalidInputData", f'{where}: needs "control" or "controls"')
    if gateset == "native":
        if controls:
            raise ProgramError("InvalidInputData", f"{where}: native gates take no controls")
        return _parse_native(index, name, entry, targets, where)
    rotation = None
    if name in _QIS_ROTATION_1Q or name in _QIS_ROTATION_2Q:
        rotation = _number(entry, "rotation", where)
    return IonqGate(index, name, targets, controls, rotation=rotation)


def _parse_native(index: int, name: str, entry: Mapping[str, Any], targets: tuple[int, ...], where: str) -> IonqGate:
    if name in ("gpi", "gpi2"):
        if "phase" in entry or "phases" not in entry:
            phases: tuple[float, ...] = (_number(entry, "phase", where),)
        else:
            phases = _numbers(entry, "phases", 1, where)
        return IonqGate(index, name, targets, phases=phases)
    if name == "ms":
        angle = _number(entry, "angle", where) if "angle" in entry else 0.25
        return IonqGate(index, name, targets, phases=_numbers(entry, "phases", 2, where), angle=angle)
    return IonqGate(index, name, targets, angle=_number(entry, "angle", where))


def _qubit_list(entry: Mapping[str, Any], plural: str, singular: str, where: str) -> tuple[int, ...]:
    if plural in entry:
        value = entry[plural]
        if not isinstance(value, list):
            raise ProgramError("InvalidInputData", f'{where}: "{plural}" must be an array of qubit indices')
        items = value
    elif singular in entry:
        items = [entry[singular]]
    else:
        return ()
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or item < 0:
            raise ProgramError("InvalidInputData", f"{where}: qubit index {item!r} is not a non-negative integer")
    return tuple(items)


def _number(entry: Mapping[str, Any], key: str, where: str) -> float:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProgramError("InvalidInputData", f'{where}: "{key}" must be a finite number, got {value!r}')
    return float(value)


def _numbers(entry: Mapping[str, Any], key: str, count: int, where: str) -> tuple[float, ...]:
    value = entry.get(key)
    if not isinstance(value, list) or len(value) != count:
        raise ProgramError("InvalidInputData", f'{where}: "{key}" must be an array of {count} numbers')
    return tuple(_number({key: item}, key, where) for item in value)


def to_qiskit(circuit: IonqCircuit) -> QuantumCircuit:
    """The equivalent qiskit circuit (no measurements); native gates become unitary matrices."""
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(circuit.qubits)
    for gate in circuit.gates:
        if gate.name in _NATIVE_GATES and circuit.gateset == "native":
            _append_native(qc, gate)
            continue
        if gate.name == "cnot":
            for target in gate.targets:
                if len(gate.controls) == 1:
                    qc.cx(gate.controls[0], target)
                else:
                    qc.mcx(list(gate.controls), target)
            continue
        base = _qis_gate(gate)
        if base.num_qubits == 1:
            for target in gate.targets:
                qc.append(_controlled(base, gate.controls), [*gate.controls, target])
        else:
            qc.append(_controlled(base, gate.controls), [*gate.controls, *gate.targets])
    return qc


@functools.cache
def _standard_gates() -> dict[str, QiskitGate]:
    """qiskit builds this mapping anew on every call (about 1 ms): once per process is enough."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    return dict(get_standard_gate_name_mapping())


def _qis_gate(gate: IonqGate) -> QiskitGate:
    standard = _standard_gates()
    if gate.name in _QIS_FIXED:
        return standard[_QIS_FIXED[gate.name]]
    if gate.name == "swap":
        return standard["swap"]
    name = _QIS_ROTATION_2Q.get(gate.name, gate.name)
    rotated: QiskitGate = type(standard[name])(gate.rotation)
    return rotated


def _controlled(base: QiskitGate, controls: tuple[int, ...]) -> QiskitGate:
    return base.control(len(controls)) if controls else base


def _append_native(qc: QuantumCircuit, gate: IonqGate) -> None:
    from qiskit.circuit.library import UnitaryGate

    from . import _ionq_native as native

    if gate.name == "gpi":
        qc.append(UnitaryGate(native.gpi(gate.phases[0]), label="gpi"), [gate.targets[0]])
    elif gate.name == "gpi2":
        qc.append(UnitaryGate(native.gpi2(gate.phases[0]), label="gpi2"), [gate.targets[0]])
    else:
        angle = gate.angle if gate.angle is not None else 0.25
        matrix = native.ms(gate.phases[0], gate.phases[1], angle) if gate.name == "ms" else native.zz(angle)
        # matrices are big-endian in (targets[0], targets[1]); qiskit lists the least significant qubit first
        qc.append(UnitaryGate(matrix, label=gate.name), [gate.targets[1], gate.targets[0]])


def run(program: bytes, request: RunRequest) -> TargetOutput:
    """Exact probabilities on the ideal simulator, sampled count/shots probabilities on QPU targets."""
    circuit = parse(program)
    limit = request.target.num_qubits
    if limit is not None and circuit.qubits > limit:
        raise ProgramError(
            "InvalidInputData",
            f"the circuit uses {circuit.qubits} qubits but {request.target.id} has {limit}",
        )
    _check_noise(request.params)
    qc = to_qiskit(circuit)
    if request.kind is TargetKind.SIMULATOR:
        from .._sim import exact_probabilities

        keys, probabilities = exact_probabilities(qc)
    else:
        from .._sim import sample_counts

        count = shots(request.params, DEFAULT_SHOTS)
        qc.measure_all()
        counts = sample_counts(qc, count, seed(request.params))
        sampled = {int(key.replace(" ", ""), 2): value / count for key, value in counts.items()}
        keys = sorted(sampled)
        probabilities = [sampled[key] for key in keys]
    data = _histogram_json(keys, probabilities)
    return TargetOutput(data, "application/json", OUTPUT_FORMAT)


def _histogram_json(keys: list[int], probabilities: list[float]) -> bytes:
    """`{"histogram": {"<index>": p, ...}}` written directly: for a million entries three times faster than
    json.dumps of a dict. Keys are integers and values finite floats, whose repr is valid JSON."""
    entries = ",".join([f'"{key}":{value!r}' for key, value in zip(keys, probabilities, strict=True)])
    return ('{"histogram":{' + entries + "}}").encode()


def _check_noise(params: Mapping[str, Any]) -> None:
    noise = params.get("noise")
    if noise is None:
        return
    model = noise.get("model", "ideal") if isinstance(noise, Mapping) else noise
    if model != "ideal":
        raise ProgramError(
            "InvalidInputParameters",
            f'noise model {model!r} is not supported by this emulator (only "ideal")',
        )


def count(program: bytes, params: Mapping[str, Any]) -> Workload:
    """Gates as the qiskit circuit has them (a controlled gate per target), every qubit measured once."""
    circuit = parse(program)
    measured = OperationCounts(qubits=circuit.qubits, measurements=circuit.qubits)
    return Workload(circuit_counts(to_qiskit(circuit)) + measured, shots(params, DEFAULT_SHOTS))


FORMAT = FormatSpec(INPUT_FORMAT, (OUTPUT_FORMAT,), run, count)


def _reason(error: Exception) -> str:
    return "it is nested too deeply" if isinstance(error, RecursionError) else str(error)
