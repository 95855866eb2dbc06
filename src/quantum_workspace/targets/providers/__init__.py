"""One module per provider; each exposes `PROVIDER_ID`, `AVAILABILITY` and `TARGETS` (a tuple of Target)."""

from . import ionq, microsoft_qc, pasqal, quantinuum, rigetti

__all__ = ["MODULES"]

MODULES = (ionq, quantinuum, rigetti, pasqal, microsoft_qc)
