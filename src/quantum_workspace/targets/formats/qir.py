"""`qir.v1` (QIR as LLVM text or bitcode) -> `microsoft.quantum-results.v2` (or v1 when asked).

pyqir reads the module. A base-profile entry point (straight-line calls, unconditional branches) becomes a
qiskit circuit that Aer samples, every result a classical bit. Anything adaptive (reading results, conditional
branches, classical computation) runs on qdk's QIR simulator instead, which re-simulates each shot and is
therefore capped in width. Outcomes follow the program's output recording calls: arrays become lists and
tuples `{"Item1": ...}` objects, one `Results` entry per `inputParams.items` entry."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._cost import OperationCounts, Workload
from .._errors import ProgramError
from .._model import FormatSpec, RunRequest, TargetKind, TargetOutput
from .._params import seed, shots

if TYPE_CHECKING:
    import pyqir
    from qiskit import QuantumCircuit

__all__ = [
    "ADAPTIVE_QUBIT_LIMIT",
    "FORMAT",
    "INPUT_FORMAT",
    "OUTPUT_V1",
    "OUTPUT_V2",
    "Operation",
    "Record",
    "StraightLine",
    "count",
    "load_module",
    "run",
    "to_qiskit",
]

INPUT_FORMAT = "qir.v1"
OUTPUT_V2 = "microsoft.quantum-results.v2"
OUTPUT_V1 = "microsoft.quantum-results.v1"
DEFAULT_SHOTS = 100
# qdk's simulator re-runs the whole program for every shot; wider adaptive programs would take hours
ADAPTIVE_QUBIT_LIMIT = 20
_BITCODE_MAGIC = (b"BC\xc0\xde", b"\xde\xc0\x17\x0b")

# QIR gate name -> (qiskit standard gate name, number of angle parameters, number of qubits)
_GATES: dict[str, tuple[str, int, int]] = {
    "h": ("h", 0, 1), "x": ("x", 0, 1), "y": ("y", 0, 1), "z": ("z", 0, 1),
    "s": ("s", 0, 1), "s__adj": ("sdg", 0, 1), "t": ("t", 0, 1), "t__adj": ("tdg", 0, 1),
    "sx": ("sx", 0, 1), "sx__adj": ("sxdg", 0, 1),
    "rx": ("rx", 1, 1), "ry": ("ry", 1, 1), "rz": ("rz", 1, 1),
    "cx": ("cx", 0, 2), "cnot": ("cx", 0, 2), "cy": ("cy", 0, 2), "cz": ("cz", 0, 2), "swap": ("swap", 0, 2),
    "rxx": ("rxx", 1, 2), "ryy": ("ryy", 1, 2), "rzz": ("rzz", 1, 2),
    "ccx": ("ccx", 0, 3),
}  # fmt: skip
_QIS = re.compile(r"__quantum__qis__(?P<name>\w+?)__(?P<variant>body|adj)$")
_IGNORED = {"__quantum__rt__initialize", "__quantum__qis__barrier__body"}
_CONTAINERS = {"__quantum__rt__array_record_output": "array", "__quantum__rt__tuple_record_output": "tuple"}
_LEAVES = {
    "__quantum__rt__result_record_output": "result",
    "__quantum__rt__bool_record_output": "bool",
    "__quantum__rt__int_record_output": "int",
    "__quantum__rt__double_record_output": "double",
}


class _Adaptive(Exception):
    """Internal signal: the entry point needs a simulator that follows classical control flow."""


@dataclass(frozen=True)
class Operation:
    """A gate (qiskit name), `measure` (qubit -> result), or `reset`."""

    name: str
    qubits: tuple[int, ...]
    params: tuple[float, ...] = ()
    result: int | None = None


@dataclass(frozen=True)
class Record:
    """An output recording call: a container of `size` following records, or a leaf (result or constant)."""

    kind: str
    size: int = 0
    result: int | None = None
    value: bool | int | float | None = None


@dataclass(frozen=True)
class StraightLine:
    """A base-profile entry point: every operation in order, and its output recording."""

    entry_point: str
    num_qubits: int
    num_results: int
    operations: tuple[Operation, ...]
    records: tuple[Record, ...]


# --- reading the module ---------------------------------------------------------------------------


def load_module(program: bytes) -> pyqir.Module:
    """The pyqir module of LLVM bitcode or text IR; parse failures become ProgramError."""
    import pyqir

    context = pyqir.Context()
    try:
        if program.startswith(_BITCODE_MAGIC):
            return pyqir.Module.from_bitcode(context, program)
        return pyqir.Module.from_ir(context, program.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ProgramError("InvalidInputData", "the QIR program is neither LLVM bitcode nor UTF-8 text") from exc
    except ValueError as exc:
        raise ProgramError("InvalidInputData", f"the QIR program does not parse: {exc}") from exc


def _entry_points(module: pyqir.Module, params: Mapping[str, Any]) -> list[pyqir.Function]:
    import pyqir

    entries = {f.name: f for f in module.functions if pyqir.is_entry_point(f)}
    if not entries:
        raise ProgramError("InvalidInputData", 'the QIR module has no entry point (no "entry_point" attribute)')
    items = params.get("items")
    if items is not None:
        if not isinstance(items, list) or not items:
            raise ProgramError("InvalidInputParameters", "inputParams.items must be a non-empty array")
        names = []
        for index, item in enumerate(items):
            name = item.get("entryPoint") if isinstance(item, Mapping) else None
            if not isinstance(name, str):
                raise ProgramError("InvalidInputParameters", f"inputParams.items[{index}] has no entryPoint")
            if item.get("arguments"):
                raise ProgramError(
                    "InvalidInputParameters",
                    f"inputParams.items[{index}]: entry point arguments are not supported by this emulator",
                )
            names.append(name)
    elif isinstance(params.get("entryPoint"), str):
        names = [params["entryPoint"]]
    else:
        names = list(entries)
    missing = [name for name in names if name not in entries]
    if missing:
        raise ProgramError(
            "InvalidInputData",
            f"entry point {missing[0]!r} is not in the QIR module (it has: {', '.join(entries)})",
        )
    for name in names:
        if entries[name].params:
            raise ProgramError("InvalidInputData", f"entry point {name!r} takes parameters, which is not supported")
    return [entries[name] for name in names]


def _straight_line(function: pyqir.Function) -> StraightLine:
    """Walk a base-profile entry point; raises _Adaptive on anything that needs classical control flow."""
    import pyqir

    operations: list[Operation] = []
    records: list[Record] = []
    blocks = {block.name: block for block in function.basic_blocks}
    block = function.basic_blocks[0]
    visited: set[str] = set()
    while True:
        if block.name in visited:
            raise _Adaptive()  # a loop
        visited.add(block.name)
        next_block = None
        for instruction in block.instructions:
            if isinstance(instruction, pyqir.Call):
                _call(instruction, operations, records)
            elif instruction.opcode == pyqir.Opcode.BR:
                successors = instruction.successors
                if len(successors) != 1:
                    raise _Adaptive()
                next_block = blocks[successors[0].name]
            elif instruction.opcode == pyqir.Opcode.RET:
                break
            else:
                raise _Adaptive()
        if next_block is None:
            break
        block = next_block
    used_qubits = max((q for op in operations for q in op.qubits), default=-1) + 1
    used_results = max(
        [op.result for op in operations if op.result is not None] + [r.result for r in records if r.result is not None],
        default=-1,
    )
    return StraightLine(
        function.name,
        max(pyqir.required_num_qubits(function) or 0, used_qubits),
        max(pyqir.required_num_results(function) or 0, used_results + 1),
        tuple(operations),
        tuple(records),
    )


def _call(instruction: pyqir.Call, operations: list[Operation], records: list[Record]) -> None:
    name = instruction.callee.name
    args = instruction.args
    if name in _IGNORED:
        return
    if name in _CONTAINERS:
        records.append(Record(_CONTAINERS[name], size=_int(args[0])))
        return
    if name in _LEAVES:
        kind = _LEAVES[name]
        if kind == "result":
            records.append(Record("result", result=_result(args[0])))
        else:
            records.append(Record(kind, value=_constant(args[0], kind)))
        return
    match = _QIS.match(name)
    if match is None:
        if name in ("__quantum__rt__read_result", "__quantum__rt__read_loss"):
            raise _Adaptive()
        raise ProgramError("InvalidInputData", f"unsupported instruction: {str(instruction).strip()}")
    gate = match["name"] if match["variant"] == "body" else f"{match['name']}__adj"
    if gate in ("m", "mz", "mresetz"):
        qubit, result = _qubit(args[0]), _result(args[1])
        operations.append(Operation("measure", (qubit,), result=result))
        if gate == "mresetz":
            operations.append(Operation("reset", (qubit,)))
    elif gate == "reset":
        operations.append(Operation("reset", (_qubit(args[0]),)))
    elif gate in ("read_result", "read_loss"):
        raise _Adaptive()
    elif gate in _GATES:
        qiskit_name, n_params, n_qubits = _GATES[gate]
        if len(args) != n_params + n_qubits:
            raise ProgramError("InvalidInputData", f"wrong number of arguments: {str(instruction).strip()}")
        params = tuple(_angle(arg) for arg in args[:n_params])
        qubits = tuple(_qubit(arg) for arg in args[n_params:])
        if len(set(qubits)) != len(qubits):
            raise ProgramError("InvalidInputData", f"a qubit is used twice in: {str(instruction).strip()}")
        operations.append(Operation(qiskit_name, qubits, params))
    else:
        raise ProgramError("InvalidInputData", f"unsupported instruction: {str(instruction).strip()}")


def _qubit(value: pyqir.Value) -> int:
    import pyqir

    qubit = pyqir.ptr_id(value)
    if qubit is None:
        raise _Adaptive()  # a computed qubit pointer (dynamic qubit management)
    return int(qubit)


def _result(value: pyqir.Value) -> int:
    import pyqir

    result = pyqir.ptr_id(value)
    if result is None:
        raise _Adaptive()
    return int(result)


def _int(value: pyqir.Value) -> int:
    import pyqir

    if not isinstance(value, pyqir.IntConstant):
        raise _Adaptive()
    return int(value.value)


def _angle(value: pyqir.Value) -> float:
    import pyqir

    if isinstance(value, pyqir.FloatConstant):
        return float(value.value)
    raise _Adaptive()  # an angle computed at run time


def _constant(value: pyqir.Value, kind: str) -> bool | int | float:
    import pyqir

    if isinstance(value, pyqir.IntConstant):
        return bool(value.value) if kind == "bool" else int(value.value)
    if isinstance(value, pyqir.FloatConstant):
        return float(value.value)
    raise _Adaptive()


# --- running --------------------------------------------------------------------------------------


def to_qiskit(program: StraightLine) -> QuantumCircuit:
    """One classical bit per QIR result; Aer memory then holds result r at position -1-r."""
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import get_standard_gate_name_mapping

    standard = get_standard_gate_name_mapping()
    circuit = QuantumCircuit(program.num_qubits, program.num_results)
    for op in program.operations:
        if op.name == "measure":
            circuit.measure(op.qubits[0], op.result)
        elif op.name == "reset":
            circuit.reset(op.qubits[0])
        else:
            gate = standard[op.name]
            circuit.append(type(gate)(*op.params) if op.params else gate, list(op.qubits))
    return circuit


def _shaped(records: Sequence[Record], bits: Sequence[int]) -> Any:
    """One shot's outcome in the shape the recording calls describe (tuples as Python tuples)."""
    position = 0

    def take() -> Any:
        nonlocal position
        record = records[position]
        position += 1
        if record.kind == "array":
            return [take() for _ in range(record.size)]
        if record.kind == "tuple":
            return tuple(take() for _ in range(record.size))
        if record.kind == "result":
            assert record.result is not None
            return bits[record.result]
        return record.value

    values = []
    while position < len(records):
        values.append(take())
    if not records:
        return list(bits)  # a program without output recording: every result, in result order
    return values[0] if len(values) == 1 else tuple(values)


def _from_qdk(value: Any) -> Any:
    """qdk's shot values (Result.Zero/One, lists, tuples) as plain ints, lists and tuples."""
    from qdk import Result

    if isinstance(value, Result):
        return 1 if value == Result.One else 0
    if isinstance(value, list):
        return [_from_qdk(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_from_qdk(v) for v in value)
    return value


def _run_straight_line(program: StraightLine, count: int, kind: TargetKind, shot_seed: int | None) -> list[Any]:
    if kind is TargetKind.SYNTAX_CHECKER:
        to_qiskit(program)
        return [_shaped(program.records, [0] * program.num_results)] * count
    if program.num_results == 0:
        return [_shaped(program.records, [])] * count
    from .._sim import sample_memory

    memory = sample_memory(to_qiskit(program), count, shot_seed)
    outcomes = []
    for shot in memory:
        bits = [int(bit) for bit in reversed(shot.replace(" ", ""))]
        outcomes.append(_shaped(program.records, bits))
    return outcomes


def _run_adaptive(
    module: pyqir.Module,
    function: pyqir.Function,
    count: int,
    kind: TargetKind,
    limit: int | None,
    shot_seed: int | None,
) -> list[Any]:
    import pyqir

    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    from qdk.simulation import run_qir

    qubits = pyqir.required_num_qubits(function) or 0
    if limit is not None and qubits > limit:
        raise ProgramError(
            "InvalidInputData", f"entry point {function.name} uses {qubits} qubits, over the target's {limit}"
        )
    if qubits > ADAPTIVE_QUBIT_LIMIT:
        raise ProgramError(
            "InvalidInputData",
            f"adaptive QIR ({function.name}) uses {qubits} qubits; this emulator simulates adaptive programs"
            f" shot by shot up to {ADAPTIVE_QUBIT_LIMIT} qubits",
        )
    if sum(1 for f in module.functions if pyqir.is_entry_point(f)) != 1:
        raise ProgramError("InvalidInputData", "adaptive QIR must have exactly one entry point")
    try:
        runs = 1 if kind is TargetKind.SYNTAX_CHECKER else count
        values = run_qir(module.bitcode, shots=runs, seed=shot_seed, type="cpu")
    except Exception as exc:  # qdk raises plain Exception subclasses from its native module
        raise ProgramError("InvalidInputData", f"adaptive QIR failed in the simulator: {exc}") from exc
    outcomes = [_from_qdk(value) for value in values]
    if kind is TargetKind.SYNTAX_CHECKER:
        return [_zeroed(outcomes[0])] * count
    return outcomes


def _zeroed(value: Any) -> Any:
    if isinstance(value, list):
        return [_zeroed(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_zeroed(v) for v in value)
    return 0 if isinstance(value, int) and not isinstance(value, bool) else value


# --- writing results ------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return {f"Item{i + 1}": _json_value(v) for i, v in enumerate(value)}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def _histogram(outcomes: Sequence[Any]) -> list[tuple[str, Any, int]]:
    counts: dict[str, tuple[Any, int]] = {}
    for outcome in outcomes:
        display = repr(outcome)
        previous = counts.get(display)
        counts[display] = (outcome, previous[1] + 1 if previous else 1)
    return [(display, outcome, count) for display, (outcome, count) in counts.items()]


def _v2(results: Sequence[Sequence[Any]]) -> dict[str, Any]:
    return {
        "DataFormat": OUTPUT_V2,
        "Results": [
            {
                "Histogram": [
                    {"Outcome": _json_value(outcome), "Display": display, "Count": count}
                    for display, outcome, count in _histogram(outcomes)
                ],
                "Shots": [_json_value(outcome) for outcome in outcomes],
            }
            for outcomes in results
        ],
    }


def _v1(results: Sequence[Sequence[Any]]) -> dict[str, Any]:
    if len(results) != 1:
        raise ProgramError(
            "CannotTranslateOutputData",
            f"{OUTPUT_V1} holds one program's results; this job has {len(results)}",
        )
    outcomes = results[0]
    flat: list[Any] = []
    for display, _, count in _histogram(outcomes):
        flat += [display, count / len(outcomes)]
    return {"Histogram": flat}


def run(program: bytes, request: RunRequest) -> TargetOutput:
    """Sample every requested entry point; v2 keeps per-shot outcomes, v1 only the histogram."""
    module = load_module(program)
    functions = _entry_points(module, request.params)
    count = shots(request.params, DEFAULT_SHOTS)
    shot_seed = seed(request.params)
    limit = request.target.num_qubits
    results = []
    for function in functions:
        try:
            straight = _straight_line(function)
        except _Adaptive:
            results.append(_run_adaptive(module, function, count, request.kind, limit, shot_seed))
            continue
        if limit is not None and straight.num_qubits > limit:
            raise ProgramError(
                "InvalidInputData",
                f"entry point {function.name} uses {straight.num_qubits} qubits but {request.target.id} has {limit}",
            )
        results.append(_run_straight_line(straight, count, request.kind, shot_seed))
    body = _v2(results) if request.output_format == OUTPUT_V2 else _v1(results)
    return TargetOutput(json.dumps(body, separators=(",", ":")).encode(), "application/json", request.output_format)


# --- counting for cost estimates ------------------------------------------------------------------

_QIS_ANY = re.compile(r"__quantum__qis__(?P<name>\w+?)__(?:body|adj|ctl)$")
_MEASURE_NAMES = {"m", "mz", "mresetz"}
_NOT_GATES = {"read_result", "read_loss", "barrier"}


def _operation_counts(function: pyqir.Function) -> OperationCounts:
    """Every quantum call in every block, once: adaptive branches all count (an upper bound), a loop body
    once (a lower bound)."""
    import pyqir

    one = two = measurements = resets = 0
    wide: list[int] = []
    used = -1
    for block in function.basic_blocks:
        for instruction in block.instructions:
            if not isinstance(instruction, pyqir.Call):
                continue
            match = _QIS_ANY.match(instruction.callee.name)
            if match is None or match["name"] in _NOT_GATES:
                continue
            name = match["name"]
            pointers = [a for a in instruction.args if isinstance(a.type, pyqir.PointerType)]
            if name in _MEASURE_NAMES or name == "reset":
                pointers = pointers[:1]  # a measurement's second pointer is its result
            used = max([used, *(pyqir.ptr_id(p) or 0 for p in pointers)])
            if name in _MEASURE_NAMES:
                measurements += 1
                resets += name == "mresetz"
            elif name == "reset":
                resets += 1
            elif len(pointers) == 1:
                one += 1
            elif len(pointers) == 2:
                two += 1
            elif len(pointers) > 2:
                wide.append(len(pointers))
    qubits = max(pyqir.required_num_qubits(function) or 0, used + 1)
    return OperationCounts(qubits, one, two, tuple(wide), measurements, resets)


def count(program: bytes, params: Mapping[str, Any]) -> Workload:
    """Operations of every entry point the job runs (each `items` entry is one program)."""
    module = load_module(program)
    functions = _entry_points(module, params)
    total = OperationCounts()
    for function in functions:
        total = total + _operation_counts(function)
    return Workload(total, shots(params, DEFAULT_SHOTS), programs=len(functions))


FORMAT = FormatSpec(INPUT_FORMAT, (OUTPUT_V2, OUTPUT_V1), run, count)
