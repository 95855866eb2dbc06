"""IonQ: the ideal simulator (exact probabilities) and the trapped-ion QPUs (sampled shots)."""

from __future__ import annotations

from .. import _pricing
from .._model import Target, TargetInfo, TargetKind
from ..formats import ionq_circuit, qir

PROVIDER_ID = "ionq"
AVAILABILITY = "Available"

_INPUTS = ("ionq.circuit.v1", "qir.v1")
_STATUS_PAGE = "https://status.ionq.co"
_FORMATS = (ionq_circuit.FORMAT, qir.FORMAT)


def _target(target_id: str, qubits: int, kind: TargetKind, queue_seconds: int) -> Target:
    info = TargetInfo(
        id=target_id,
        provider_id=PROVIDER_ID,
        num_qubits=qubits,
        target_profile="Base",
        input_formats=_INPUTS,
        default_input_format="ionq.circuit.v1",
        default_output_format="ionq.quantum-results.v1",
        average_queue_time=queue_seconds,
        status_page=_STATUS_PAGE,
    )
    return Target(info, kind, _FORMATS, _pricing.ionq)


TARGETS = (
    _target("ionq.simulator", 29, TargetKind.SIMULATOR, 0),
    _target("ionq.qpu.aria-1", 25, TargetKind.QPU, 1800),
    _target("ionq.qpu.forte-1", 36, TargetKind.QPU, 1800),
    _target("ionq.qpu.forte-enterprise-1", 36, TargetKind.QPU, 1800),
)
