"""Target plug-ins: the provider catalog, and running a job's program on a real simulator.

`get_catalog()` is cheap (no simulator is imported); `Target.run()` imports what its format needs."""

from ._catalog import Catalog, get_catalog
from ._errors import ProgramError, TargetNotFound
from ._model import FormatSpec, Provider, RunRequest, Target, TargetInfo, TargetKind, TargetOutput

__all__ = [
    "Catalog",
    "FormatSpec",
    "ProgramError",
    "Provider",
    "RunRequest",
    "Target",
    "TargetInfo",
    "TargetKind",
    "TargetNotFound",
    "TargetOutput",
    "get_catalog",
]
