"""Pasqal: neutral-atom emulators and QPUs running Pulser sequences."""

from __future__ import annotations

from .. import _pricing
from .._model import Target, TargetInfo, TargetKind
from ..formats import pasqal_pulser

PROVIDER_ID = "pasqal"
AVAILABILITY = "Available"

_INPUTS = ("pasqal.pulser.v1",)
_FORMATS = (pasqal_pulser.FORMAT,)


def _target(target_id: str, qubits: int, kind: TargetKind, queue_seconds: int) -> Target:
    info = TargetInfo(
        id=target_id,
        provider_id=PROVIDER_ID,
        num_qubits=qubits,
        target_profile=None,
        input_formats=_INPUTS,
        default_input_format="pasqal.pulser.v1",
        default_output_format="pasqal.pulser-results.v1",
        average_queue_time=queue_seconds,
    )
    return Target(info, kind, _FORMATS, _pricing.pasqal)


TARGETS = (
    _target("pasqal.sim.emu-free", 12, TargetKind.EMULATOR, 10),
    _target("pasqal.sim.emu-sv", 25, TargetKind.EMULATOR, 10),
    _target("pasqal.sim.emu-mps", 80, TargetKind.EMULATOR, 10),
    _target("pasqal.sim.emu-tn", 100, TargetKind.EMULATOR, 10),
    _target("pasqal.qpu.fresnel", 100, TargetKind.QPU, 3600),
    _target("pasqal.qpu.fresnel-can1", 100, TargetKind.QPU, 3600),
)
