"""Microsoft: the resource estimator, which reads QIR and estimates instead of simulating."""

from __future__ import annotations

from .._model import Target, TargetInfo, TargetKind
from ..formats import qir_estimator

PROVIDER_ID = "microsoft-qc"
AVAILABILITY = "Available"

TARGETS = (
    Target(
        TargetInfo(
            id="microsoft.estimator",
            provider_id=PROVIDER_ID,
            num_qubits=None,
            target_profile="Unrestricted",
            input_formats=("qir.v1",),
            default_input_format="qir.v1",
            default_output_format="microsoft.resource-estimates.v1",
        ),
        TargetKind.ESTIMATOR,
        (qir_estimator.FORMAT,),
    ),
)
