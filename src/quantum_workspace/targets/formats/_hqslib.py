"""Quantinuum's `hqslib1.inc` gates as qiskit custom instructions (imported lazily: it needs qiskit).

U1q(theta, phi) = exp(-i theta/2 (cos(phi) X + sin(phi) Y)); Rz(lambda) = exp(-i lambda/2 Z);
RZZ(theta) = exp(-i theta/2 Z(x)Z); ZZ = RZZ(pi/2); Rxxyyzz(a, b, c) = exp(-i/2 (a XX + b YY + c ZZ))."""

from __future__ import annotations

import math

from qiskit import QuantumCircuit, qasm2
from qiskit.circuit import Gate
from qiskit.circuit.library import RGate, RZGate, RZZGate

__all__ = ["ALIASES", "CUSTOM_INSTRUCTIONS"]

# Quantinuum's names start with capitals, which OpenQASM 2 (and qiskit's parser) reserve; the source is
# rewritten to these lower-case aliases before parsing.
ALIASES = {
    "U1q": "hqs_u1q",
    "Rz": "hqs_rz",
    "ZZ": "hqs_zz",
    "RZZ": "hqs_rzz",
    "Rxxyyzz": "hqs_rxxyyzz",
}


def _zz_max() -> Gate:
    return RZZGate(math.pi / 2)


def _rxxyyzz(a: float, b: float, c: float) -> Gate:
    circuit = QuantumCircuit(2, name="Rxxyyzz")
    circuit.rxx(a, 0, 1)
    circuit.ryy(b, 0, 1)
    circuit.rzz(c, 0, 1)
    return circuit.to_gate()


CUSTOM_INSTRUCTIONS = (
    *qasm2.LEGACY_CUSTOM_INSTRUCTIONS,
    qasm2.CustomInstruction("hqs_u1q", 2, 1, RGate, builtin=True),
    qasm2.CustomInstruction("hqs_rz", 1, 1, RZGate, builtin=True),
    qasm2.CustomInstruction("hqs_zz", 0, 2, _zz_max, builtin=True),
    qasm2.CustomInstruction("hqs_rzz", 1, 2, RZZGate, builtin=True),
    qasm2.CustomInstruction("hqs_rxxyyzz", 3, 2, _rxxyyzz, builtin=True),
)
