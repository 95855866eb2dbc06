"""Rigetti: the QVM simulator and the superconducting QPU, both returning per-shot readout."""

from __future__ import annotations

from .. import _pricing
from .._model import Target, TargetInfo, TargetKind
from ..formats import qir, quil

PROVIDER_ID = "rigetti"
AVAILABILITY = "Available"

_INPUTS = ("rigetti.quil.v1", "rigetti.qir.v1", "qir.v1")
_FORMATS = (quil.FORMAT, qir.FORMAT, qir.FORMAT.renamed("rigetti.qir.v1"))


def _target(target_id: str, qubits: int, kind: TargetKind, queue_seconds: int) -> Target:
    info = TargetInfo(
        id=target_id,
        provider_id=PROVIDER_ID,
        num_qubits=qubits,
        target_profile="Base",
        input_formats=_INPUTS,
        default_input_format="rigetti.quil.v1",
        default_output_format="rigetti.quil-results.v1",
        average_queue_time=queue_seconds,
    )
    return Target(info, kind, _FORMATS, _pricing.rigetti)


TARGETS = (
    _target("rigetti.sim.qvm", 30, TargetKind.EMULATOR, 5),
    _target("rigetti.qpu.cepheus-1-108q", 108, TargetKind.QPU, 600),
)
