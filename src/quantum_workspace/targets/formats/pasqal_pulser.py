"""`pasqal.pulser.v1` (`{"sequence_builder": <Pulser abstract repr>}`) -> `pasqal.pulser-results.v1`.

Pulser rebuilds the sequence (parametrized ones with `variables`), pulser-simulation's exact qutip emulator
evolves it, and shots are drawn from the final bitstring distribution with our own seeded generator.
Exact emulation grows as 2^atoms, so this emulator caps the register size whatever the target's own size."""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._cost import OperationCounts, Workload
from .._errors import ProgramError
from .._model import FormatSpec, RunRequest, TargetKind, TargetOutput
from .._params import seed, shots

if TYPE_CHECKING:
    from pulser import Sequence

__all__ = ["EXACT_ATOM_LIMIT", "FORMAT", "INPUT_FORMAT", "OUTPUT_FORMAT", "count", "parse", "run"]

INPUT_FORMAT = "pasqal.pulser.v1"
OUTPUT_FORMAT = "pasqal.pulser-results.v1"
DEFAULT_SHOTS = 100
EXACT_ATOM_LIMIT = 14


def parse(program: bytes, params: Mapping[str, Any]) -> Sequence[Any]:
    """The built sequence; `variables` may come in the payload or in inputParams."""
    try:
        payload = json.loads(program)
    except (ValueError, RecursionError) as exc:  # undecodable, malformed, a huge integer, too deep
        raise ProgramError("InvalidInputData", f"the program is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise ProgramError("InvalidInputData", "a pasqal.pulser.v1 program must be a JSON object")
    builder = payload.get("sequence_builder", payload if "register" in payload else None)
    if isinstance(builder, str):
        try:
            builder = json.loads(builder)
        except (ValueError, RecursionError) as exc:
            raise ProgramError("InvalidInputData", f"sequence_builder is not JSON: {exc}") from exc
    if not isinstance(builder, dict):
        raise ProgramError("InvalidInputData", 'the program needs a "sequence_builder" object')
    variables = {**_variables(payload.get("variables")), **_variables(params.get("variables"))}

    from pulser import Sequence

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sequence = Sequence.from_abstract_repr(json.dumps(builder))
        except Exception as exc:  # jsonschema, pulser and value errors all mean an unusable sequence
            raise ProgramError("InvalidInputData", f"not a valid Pulser sequence: {_first_line(exc)}") from exc
        if sequence.is_parametrized():
            try:
                sequence = sequence.build(**variables)
            except (TypeError, ValueError) as exc:
                raise ProgramError("InvalidInputData", f"cannot build the sequence: {_first_line(exc)}") from exc
    return sequence


def _variables(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ProgramError("InvalidInputParameters", "variables must be an object of name -> value")
    return dict(value)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def run(program: bytes, request: RunRequest) -> TargetOutput:
    """Bitstring counts (atom order of the register, 1 = Rydberg) from an exact emulation."""
    sequence = parse(program, request.params)
    atoms = len(sequence.register.qubit_ids)
    limit = request.target.num_qubits
    if limit is not None and atoms > limit:
        raise ProgramError("InvalidInputData", f"the register has {atoms} atoms but {request.target.id} has {limit}")
    if atoms > EXACT_ATOM_LIMIT:
        raise ProgramError(
            "InvalidInputData",
            f"the register has {atoms} atoms; this emulator simulates up to {EXACT_ATOM_LIMIT} atoms exactly",
        )
    count = shots(request.params, DEFAULT_SHOTS)
    if request.kind is TargetKind.SYNTAX_CHECKER:
        counter = {"0" * atoms: count}
    else:
        counter = _sample(sequence, count, seed(request.params))
    data = json.dumps({"counter": counter}, separators=(",", ":")).encode()
    return TargetOutput(data, "application/json", OUTPUT_FORMAT)


def _sample(sequence: Sequence[Any], count: int, shot_seed: int | None) -> dict[str, int]:
    import numpy as np
    from pulser_simulation import QutipEmulator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # QutipEmulator is deprecated in favour of an API without seeding
        try:
            final = QutipEmulator.from_sequence(sequence).run()[-1]
            distribution = final.sampling_dist
        except (ValueError, TypeError, RuntimeError) as exc:
            raise ProgramError("SimulationFailed", f"emulation failed: {_first_line(exc)}") from exc
    outcomes = sorted(distribution)
    probabilities = np.clip(np.array([float(distribution[o]) for o in outcomes]), 0, None)
    draws = np.random.default_rng(shot_seed).multinomial(count, probabilities / probabilities.sum())
    return {outcome: int(n) for outcome, n in zip(outcomes, draws, strict=True) if n}


def count(program: bytes, params: Mapping[str, Any]) -> Workload:
    """Atoms (each prepared and imaged once per shot) and the sequence's duration, which QPU time follows."""
    sequence = parse(program, params)
    atoms = len(sequence.register.qubit_ids)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        duration = float(sequence.get_duration())
    counts = OperationCounts(qubits=atoms, measurements=atoms)
    return Workload(counts, shots(params, DEFAULT_SHOTS), duration_ns=duration)


FORMAT = FormatSpec(INPUT_FORMAT, (OUTPUT_FORMAT,), run, count)
