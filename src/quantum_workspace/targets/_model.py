"""The catalog's value types: what a target declares, what a run returns, and how a format is plugged in."""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._cost import Counter, Pricing, cost_estimate
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
    """One implemented input format: the output formats it writes (the first is the default), its runner,
    and the counter of its programs' operations that cost estimates need (None: nothing to count)."""

    input_format: str
    output_formats: tuple[str, ...]
    runner: Runner
    counter: Counter | None = None

    def renamed(self, input_format: str) -> FormatSpec:
        """The same runner under an alias name (e.g. `quantinuum.openqasm.v1` for `honeywell.openqasm.v1`)."""
        return FormatSpec(input_format, self.output_formats, self.runner, self.counter)


@dataclass(frozen=True)
class Target:
    """A runnable target: its public info, the formats implemented for it and its provider's pricing (None:
    free, no usage events). Picklable for process pools."""

    info: TargetInfo
    kind: TargetKind
    formats: tuple[FormatSpec, ...] = ()
    pricing: Pricing | None = None

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
        with _panics_as("SimulationFailed", "the simulator crashed on this program"):
            return spec.runner(program, request)

    def estimate_cost(self, program: bytes, input_format: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The job's cost in the contract's CostEstimate shape (`currencyCode`, `estimatedTotal`, `events`),
        from the program's operations and shots; pure (no simulation). ProgramError when the program cannot
        be read, exactly as `run` would fail on it."""
        spec = self.format_spec(input_format)
        if not isinstance(params, Mapping):
            raise ProgramError("InvalidInputParameters", "inputParams must be a JSON object")
        if self.pricing is None or spec.counter is None:
            return cost_estimate(())
        with _panics_as("InvalidInputData", "the program cannot be read"):
            workload = spec.counter(program, params)
        return cost_estimate(self.pricing(workload, self.kind, params))


@dataclass(frozen=True)
class Provider:
    """A provider as `providerStatus` lists it; `targets` is an immutable sequence of TargetInfo."""

    id: str
    availability: str
    targets: tuple[TargetInfo, ...] = field(default_factory=tuple)


@contextlib.contextmanager
def _panics_as(code: str, message: str) -> Iterator[None]:
    """Rust extensions (quil-rs, pyqir, qdk) report panics as pyo3's PanicException, a BaseException that
    would escape `except Exception` and kill the worker thread running the job: make it a ProgramError."""
    try:
        yield
    except BaseException as exc:
        if type(exc).__name__ == "PanicException":
            raise ProgramError(code, f"{message}: {exc}") from exc
        raise
