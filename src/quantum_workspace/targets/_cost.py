"""What a job will cost, before it runs: the operations a program contains (counted per format) and the
contract's `CostEstimate` shape that a provider's pricing turns them into. Prices live in `_pricing`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from ._model import TargetKind

__all__ = [
    "CURRENCY",
    "Counter",
    "OperationCounts",
    "Pricing",
    "UsageEvent",
    "Workload",
    "circuit_counts",
    "cost_estimate",
]

CURRENCY = "USD"
# instructions that take no time on hardware and are not billed
_FREE_INSTRUCTIONS = {"barrier", "delay", "id", "global_phase", "store"}


@dataclass(frozen=True)
class OperationCounts:
    """Gates by width, measurements and resets of one program; `wide` lists the width of every gate on three
    or more qubits (a Toffoli is 3), which providers bill as several two-qubit gates."""

    qubits: int = 0
    one_qubit: int = 0
    two_qubit: int = 0
    wide: tuple[int, ...] = ()
    measurements: int = 0
    resets: int = 0

    def __add__(self, other: OperationCounts) -> OperationCounts:
        return OperationCounts(
            max(self.qubits, other.qubits),
            self.one_qubit + other.one_qubit,
            self.two_qubit + other.two_qubit,
            self.wide + other.wide,
            self.measurements + other.measurements,
            self.resets + other.resets,
        )

    def two_qubit_equivalent(self) -> int:
        """Two-qubit gates with every N-qubit gate (N >= 3) counted as 6 * (N - 2) of them."""
        return self.two_qubit + sum(6 * (width - 2) for width in self.wide)


@dataclass(frozen=True)
class Workload:
    """What one job asks for: its operations (summed over its programs), shots per program, how many
    programs (batch items or parameter vectors) and, for pulse-level programs, the sequence length."""

    counts: OperationCounts
    shots: int
    programs: int = 1
    duration_ns: float = 0.0


@dataclass(frozen=True)
class UsageEvent:
    """One line of a cost estimate: consumed units, billed units (free targets bill 0) and the unit price."""

    dimension_id: str
    dimension_name: str
    measure_unit: str
    amount_consumed: float
    amount_billed: float
    unit_price: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimensionId": self.dimension_id,
            "dimensionName": self.dimension_name,
            "measureUnit": self.measure_unit,
            "amountBilled": _tidy(self.amount_billed),
            "amountConsumed": _tidy(self.amount_consumed),
            "unitPrice": self.unit_price,
        }


Counter = Callable[[bytes, Mapping[str, Any]], Workload]
Pricing = Callable[[Workload, "TargetKind", Mapping[str, Any]], list[UsageEvent]]


def _tidy(value: float) -> float:
    """Round away binary noise (0.1 + 0.2) without hiding real fractions of a unit."""
    return round(float(value), 9)


def cost_estimate(events: Iterable[UsageEvent]) -> dict[str, Any]:
    """The contract's CostEstimate: total = sum of billed amount x unit price, in USD."""
    listed = list(events)
    total = sum(event.amount_billed * event.unit_price for event in listed)
    return {
        "currencyCode": CURRENCY,
        "estimatedTotal": round(total, 6),
        "events": [event.as_dict() for event in listed],
    }


def circuit_counts(circuit: QuantumCircuit) -> OperationCounts:
    """Operations of a qiskit circuit; every branch of a conditional counts (an upper bound)."""
    one = two = measurements = resets = 0
    wide: list[int] = []
    pending = [circuit]
    while pending:
        current = pending.pop()
        for instruction in current.data:
            operation = instruction.operation
            blocks = getattr(operation, "blocks", ())
            if blocks:
                pending.extend(blocks)
                continue
            name = operation.name
            if name == "measure":
                measurements += len(instruction.qubits)
            elif name == "reset":
                resets += 1
            elif name in _FREE_INSTRUCTIONS:
                continue
            elif len(instruction.qubits) == 1:
                one += 1
            elif len(instruction.qubits) == 2:
                two += 1
            elif len(instruction.qubits) > 2:
                wide.append(len(instruction.qubits))
    return OperationCounts(circuit.num_qubits, one, two, tuple(wide), measurements, resets)
