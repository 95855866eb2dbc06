"""The catalog's value types: what a target declares, what a run returns, and how a format is plugged in."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import ProgramError

__all__ = [
    "FormatSpec",
    "Provider",
    "RunRequest",
    "Runner",
    "Target",
    "TargetInfo",
    "TargetKind",
    "TargetOutput",
]


class TargetKind(enum.Enum):
    """How a target computes: decides exact vs sampled results, zeros for syntax checkers, estimates."""

    SIMULATOR = "simulator"  # ideal, exact probabilities where the format allows (ionq.simulator)
    EMULATOR = "emulator"  # sampled shots on a simulator (quantinuum.sim.*e, rigetti.sim.qvm, pasqal.sim.*)
    QPU = "qpu"  # hardware stand-in: sampled shots
    SYNTAX_CHECKER = "syntax-checker"  # compiles the program, returns all-zero results
    ESTIMATOR = "estimator"  # resource estimation, no simulation


@dataclass(frozen=True)
class TargetInfo:
    """What `providerStatus` reports for one target and what the service needs to accept a job."""

    id: str
    provider_id: str
    num_qubits: int | None
    target_profile: str | None
    input_formats: tuple[str, ...]
    default_input_format: str
    default_output_format: str
    availability: str = "Available"
    average_queue_time: int = 0
    status_page: str | None = None


@dataclass(frozen=True)
class TargetOutput:
    """The result blob of a job: bytes, their content type, and the format they are written in."""

    data: bytes
    content_type: str
    output_format: str


@dataclass(frozen=True)
class RunRequest:
    """Everything a format runner needs besides the program bytes; the output format is already resolved."""

    target: TargetInfo
    kind: TargetKind
    input_format: str
    output_format: str
    params: Mapping[str, Any]


Runner = Callable[[bytes, RunRequest], TargetOutput]


@dataclass(frozen=True)
class FormatSpec:
    """One implemented input format: the output formats it writes (the first is the default), its runner."""

    input_format: str
    output_formats: tuple[str, ...]
    runner: Runner

    def renamed(self, input_format: str) -> FormatSpec:
        """The same runner under an alias name (e.g. `quantinuum.openqasm.v1` for `honeywell.openqasm.v1`)."""
        return FormatSpec(input_format, self.output_formats, self.runner)


@dataclass(frozen=True)
class Target:
    """A runnable target: its public info plus the formats implemented for it. Picklable for process pools."""

    info: TargetInfo
    kind: TargetKind
    formats: tuple[FormatSpec, ...] = ()

    def format_spec(self, input_format: str) -> FormatSpec:
        """The implemented format, or ProgramError(UnsupportedInputFormat) naming what the target accepts."""
        if input_format not in self.info.input_formats:
            accepted = ", ".join(self.info.input_formats)
            raise ProgramError(
                "UnsupportedInputFormat",
                f"target {self.info.id} does not accept input format {input_format!r} (accepted: {accepted})",
            )
        for spec in self.formats:
            if spec.input_format == input_format:
                return spec
        raise ProgramError(
            "UnsupportedInputFormat",
            f"input format {input_format!r} on target {self.info.id} is not implemented by this emulator",
        )

    def run(
        self,
        program: bytes,
        input_format: str,
        output_format: str | None,
        params: Mapping[str, Any],
    ) -> TargetOutput:
        """Run one job synchronously; ProgramError for anything wrong with the program or its formats."""
        spec = self.format_spec(input_format)
        chosen = output_format or spec.output_formats[0]
        if chosen not in spec.output_formats:
            raise ProgramError(
                "CannotTranslateOutputData",
                f"input format {input_format!r} on target {self.info.id} cannot produce output format"
                f" {chosen!r}"
                f" (possible: {', '.join(spec.output_formats)})",
            )
        if not isinstance(params, Mapping):
            raise ProgramError("InvalidInputParameters", "inputParams must be a JSON object")
        request = RunRequest(self.info, self.kind, input_format, chosen, params)
        try:
            return spec.runner(program, request)
        except BaseException as exc:
            # Rust extensions (quil-rs, pyqir, qdk) report panics as pyo3's PanicException, a BaseException
            # that would escape `except Exception` and kill the worker thread running this job.
            if type(exc).__name__ == "PanicException":
                raise ProgramError(
                    "SimulationFailed", f"the simulator crashed on this program: {exc}"
                ) from exc
            raise


@dataclass(frozen=True)
class Provider:
    """A provider as `providerStatus` lists it; `targets` is an immutable sequence of TargetInfo."""

    id: str
    availability: str
    targets: tuple[TargetInfo, ...] = field(default_factory=tuple)
