"""Quantinuum: syntax checkers (compile, return zeros), emulators and QPUs (sampled shots)."""

from __future__ import annotations

from .. import _pricing
from .._model import Target, TargetInfo, TargetKind
from ..formats import openqasm2, qir

PROVIDER_ID = "quantinuum"
AVAILABILITY = "Available"

_INPUTS = ("honeywell.openqasm.v1", "quantinuum.openqasm.v1", "honeywell.qir.v1", "qir.v1")
_FORMATS = (
    openqasm2.FORMAT,
    openqasm2.FORMAT.renamed("quantinuum.openqasm.v1"),
    qir.FORMAT,
    qir.FORMAT.renamed("honeywell.qir.v1"),
)


def _target(target_id: str, qubits: int, kind: TargetKind, queue_seconds: int) -> Target:
    info = TargetInfo(
        id=target_id,
        provider_id=PROVIDER_ID,
        num_qubits=qubits,
        target_profile="Adaptive_RI",
        input_formats=_INPUTS,
        default_input_format="honeywell.openqasm.v1",
        default_output_format="honeywell.quantum-results.v1",
        average_queue_time=queue_seconds,
    )
    return Target(info, kind, _FORMATS, _pricing.quantinuum)


TARGETS = (
    _target("quantinuum.sim.h2-1sc", 56, TargetKind.SYNTAX_CHECKER, 0),
    _target("quantinuum.sim.h2-2sc", 56, TargetKind.SYNTAX_CHECKER, 0),
    _target("quantinuum.sim.h2-1e", 56, TargetKind.EMULATOR, 60),
    _target("quantinuum.sim.h2-2e", 56, TargetKind.EMULATOR, 60),
    _target("quantinuum.qpu.h2-1", 56, TargetKind.QPU, 3600),
    _target("quantinuum.qpu.h2-2", 56, TargetKind.QPU, 3600),
    _target("quantinuum.sim.helios-1sc", 98, TargetKind.SYNTAX_CHECKER, 0),
    _target("quantinuum.sim.helios-1e", 98, TargetKind.EMULATOR, 60),
    _target("quantinuum.qpu.helios-1", 98, TargetKind.QPU, 3600),
)
