"""`honeywell.openqasm.v1` (OpenQASM 2 with Quantinuum's extensions) -> `honeywell.quantum-results.v1`.

qiskit's strict OpenQASM 2 parser reads the program after a token-level rewrite that keeps line numbers:
Quantinuum's capitalised `hqslib1.inc` gates become lower-case aliases, and bit-level conditions
`if(c[0]==1)` become conditions on synthetic one-bit registers that are mapped back onto the real bit after
parsing. Aer runs every shot (mid-circuit measurement, reset, conditionals). Results list one bitstring per
shot for each classical register, bit 0 rightmost; syntax checkers compile and return zeros."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._cost import Workload, circuit_counts
from .._errors import ProgramError
from .._model import FormatSpec, RunRequest, TargetKind, TargetOutput
from .._params import seed, shots

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["FORMAT", "INPUT_FORMAT", "OUTPUT_FORMAT", "Rewritten", "count", "parse", "rewrite", "run"]

INPUT_FORMAT = "honeywell.openqasm.v1"
OUTPUT_FORMAT = "honeywell.quantum-results.v1"
DEFAULT_SHOTS = 100
_ALLOWED_INCLUDES = {"qelib1.inc", "hqslib1.inc"}
_SYNTHETIC = "hqsbit"
# the same names as `_hqslib.ALIASES`, repeated here so that rewriting needs no qiskit import
_ALIASES = {"U1q": "hqs_u1q", "Rz": "hqs_rz", "ZZ": "hqs_zz", "RZZ": "hqs_rzz", "Rxxyyzz": "hqs_rxxyyzz"}

_TOKEN = re.compile(
    r"(?P<comment>//[^\n]*)|(?P<string>\"[^\"\n]*\")|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)|(?P<int>\d+)"
    r"|(?P<space>\s+)|(?P<other>.)",
    re.S,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Rewritten:
    """Source qiskit can parse, and the real bit (register, index) behind each synthetic register."""

    text: str
    bit_conditions: tuple[tuple[str, str, int], ...]


def _line(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


def rewrite(source: str) -> Rewritten:
    """Rewrite Quantinuum extensions into strict OpenQASM 2 without moving any statement to another line."""
    tokens = [
        _Token(m.lastgroup or "other", m.group(), m.start(), m.end())
        for m in _TOKEN.finditer(source)
        if m.lastgroup not in ("space", "comment")
    ]
    edits: list[tuple[int, int, str]] = []
    conditions: list[tuple[str, str, int]] = []
    header_end: int | None = None
    includes_qelib1 = any(
        t.text == "include" and n.kind == "string" and n.text == '"qelib1.inc"'
        for t, n in zip(tokens, tokens[1:], strict=False)
    )
    qelib1_added = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        texts = [t.text for t in tokens[i : i + 10]]
        if header_end is None and token.text == "OPENQASM":
            semicolon = next((t for t in tokens[i:] if t.text == ";"), None)
            header_end = semicolon.end if semicolon else None
        if token.text == "include" and len(texts) >= 3 and tokens[i + 1].kind == "string" and texts[2] == ";":
            name = tokens[i + 1].text.strip('"')
            if name not in _ALLOWED_INCLUDES:
                raise ProgramError(
                    "InvalidInputData",
                    f"line {_line(source, token.start)}: include {name!r} is not available"
                    f" (only {', '.join(sorted(_ALLOWED_INCLUDES))})",
                )
            if name == "hqslib1.inc":
                # hqslib1.inc carries the qelib1 gates too: keep them available exactly once
                keep_qelib1 = not includes_qelib1 and not qelib1_added
                edits.append((token.start, tokens[i + 2].end, 'include "qelib1.inc";' if keep_qelib1 else ""))
                qelib1_added = qelib1_added or keep_qelib1
            i += 3
            continue
        if token.kind == "ident" and token.text in _ALIASES:
            edits.append((token.start, token.end, _ALIASES[token.text]))
        elif token.text == "if" and _is_bit_condition(tokens[i + 1 : i + 10]):
            register, index, value = texts[2], int(texts[4]), int(texts[8])
            if value not in (0, 1):
                raise ProgramError(
                    "InvalidInputData", f"line {_line(source, token.start)}: a bit can only equal 0 or 1"
                )
            synthetic = f"{_SYNTHETIC}{len(conditions)}"
            conditions.append((synthetic, register, index))
            edits.append((tokens[i + 1].start, tokens[i + 9].end, f"({synthetic}=={value})"))
            i += 10
            continue
        i += 1
    if conditions:
        declarations = "".join(f" creg {name}[1];" for name, _, _ in conditions)
        edits.append((header_end or 0, header_end or 0, declarations))
    text = source
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + replacement + text[end:]
    return Rewritten(text, tuple(conditions))


def _is_bit_condition(tokens: list[_Token]) -> bool:
    """`( name [ int ] == int` followed by `)`: the Quantinuum bit-level condition."""
    shape = ("(", "ident", "[", "int", "]", "=", "=", "int", ")")
    if len(tokens) < len(shape):
        return False
    for token, want in zip(tokens, shape, strict=False):
        if want in ("ident", "int"):
            if token.kind != want:
                return False
        elif token.text != want:
            return False
    return True


def parse(program: bytes) -> QuantumCircuit:
    """The qiskit circuit of an OpenQASM 2 program; errors name the line and column."""
    from qiskit import qasm2

    from ._hqslib import CUSTOM_INSTRUCTIONS

    try:
        source = program.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProgramError("InvalidInputData", f"the program is not UTF-8 text: {exc}") from exc
    rewritten = rewrite(source)
    try:
        circuit = qasm2.loads(rewritten.text, custom_instructions=CUSTOM_INSTRUCTIONS, include_path=())
    except qasm2.QASM2Error as exc:
        message = re.sub(r"<input>:(\d+),(\d+):", r"line \1, column \2:", str(exc))
        for alias_of, alias in _ALIASES.items():
            message = message.replace(alias, alias_of)
        raise ProgramError("InvalidInputData", f"OpenQASM 2 error: {message}") from exc
    if rewritten.bit_conditions:
        circuit = _map_bit_conditions(circuit, rewritten.bit_conditions)
    return circuit


def _map_bit_conditions(circuit: QuantumCircuit, conditions: tuple[tuple[str, str, int], ...]) -> QuantumCircuit:
    """Rebuild the circuit without the synthetic registers, conditioning each body on the real bit."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import IfElseOp

    real = {reg.name: reg for reg in circuit.cregs}
    targets = {}
    for synthetic, register, index in conditions:
        if register not in real or index >= real[register].size:
            raise ProgramError("InvalidInputData", f"condition on unknown bit {register}[{index}]")
        targets[synthetic] = real[register][index]
    rebuilt = QuantumCircuit(*circuit.qregs, *(reg for name, reg in real.items() if name not in targets))
    for instruction in circuit.data:
        operation = instruction.operation
        condition = getattr(operation, "condition", None)
        if isinstance(operation, IfElseOp) and condition is not None and condition[0].name in targets:
            body = operation.blocks[0]
            qubits = dict(zip(body.qubits, instruction.qubits, strict=True))
            clbits = dict(zip(body.clbits, instruction.clbits, strict=True))
            with rebuilt.if_test((targets[condition[0].name], condition[1])):
                for inner in body.data:
                    rebuilt.append(
                        inner.operation,
                        [qubits[q] for q in inner.qubits],
                        [clbits[c] for c in inner.clbits],
                    )
        else:
            rebuilt.append(operation, instruction.qubits, instruction.clbits)
    return rebuilt


def run(program: bytes, request: RunRequest) -> TargetOutput:
    """Per-register bitstrings per shot from Aer; zeros from syntax checkers once the program compiles."""
    circuit = parse(program)
    limit = request.target.num_qubits
    if limit is not None and circuit.num_qubits > limit:
        raise ProgramError(
            "InvalidInputData",
            f"the program uses {circuit.num_qubits} qubits but {request.target.id} has {limit}",
        )
    count = shots(request.params, DEFAULT_SHOTS)
    registers = [(reg.name, reg.size) for reg in circuit.cregs]
    if request.kind is TargetKind.SYNTAX_CHECKER:
        results = {name: ["0" * size] * count for name, size in registers}
    elif not registers:
        results = {}
    else:
        from .._sim import sample_memory

        memory = sample_memory(circuit, count, seed(request.params))
        results = {name: [] for name, _ in registers}
        for shot in memory:
            # qiskit writes the last-declared register first, separated by spaces
            for (name, _), bits in zip(registers, reversed(shot.split(" ")), strict=True):
                results[name].append(bits)
    data = json.dumps(results, separators=(",", ":")).encode()
    return TargetOutput(data, "application/json", OUTPUT_FORMAT)


def count(program: bytes, params: Mapping[str, Any]) -> Workload:
    """Operations of the parsed program; both sides of every condition count."""
    return Workload(circuit_counts(parse(program)), shots(params, DEFAULT_SHOTS))


FORMAT = FormatSpec(INPUT_FORMAT, (OUTPUT_FORMAT,), run, count)
