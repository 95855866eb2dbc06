"""`qir.v1` on `microsoft.estimator` -> `microsoft.resource-estimates.v1`: physical resource estimates.

Logical counts (qubits, T gates, rotations and their depth, CCZ, measurements) are read from the QIR with
pyqir over every block of the entry point, so adaptive programs are counted as if every branch ran (an upper
bound). qdk's estimator, the same engine Azure's target used, turns the counts and Azure-style parameters
(`qubitParams`, `qecScheme`, `errorBudget`, `constraints`, ...) into the estimate. `items` makes a batch:
each item's parameters override the shared ones, and the result is a list."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

from .._errors import ProgramError
from .._model import FormatSpec, RunRequest, TargetOutput
from .qir import load_module

__all__ = ["FORMAT", "INPUT_FORMAT", "OUTPUT_FORMAT", "logical_counts", "run"]

INPUT_FORMAT = "qir.v1"
OUTPUT_FORMAT = "microsoft.resource-estimates.v1"
# job parameters that steer the job, not the estimate
_NOT_ESTIMATOR = {"items", "entryPoint", "arguments", "shots", "count", "runs", "targetCapability", "seed"}
_QIS = re.compile(r"__quantum__qis__(?P<name>\w+?)__(?:body|adj|ctl)$")
_ROTATIONS = {"rx", "ry", "rz", "rxx", "ryy", "rzz", "r1"}
_T = {"t"}
_CCZ = {"ccx", "ccz", "ccnot"}
_MEASUREMENTS = {"m", "mz", "mresetz"}


def logical_counts(function: Any) -> dict[str, int]:
    """Counts for qdk's `LogicalCounts`; the rotation depth layers rotations by the qubits they touch."""
    import pyqir

    counts = dict.fromkeys(("tCount", "rotationCount", "cczCount", "ccixCount", "measurementCount"), 0)
    layers: dict[int, int] = {}
    depth = 0
    used = -1
    for block in function.basic_blocks:
        for instruction in block.instructions:
            if not isinstance(instruction, pyqir.Call):
                continue
            match = _QIS.match(instruction.callee.name)
            if match is None:
                continue
            name = match["name"]
            qubits = [
                int(q)
                for q in (pyqir.ptr_id(a) for a in instruction.args if isinstance(a.type, pyqir.PointerType))
                if q is not None
            ]
            if name in _MEASUREMENTS:
                counts["measurementCount"] += 1
                qubits = qubits[:1]  # the second pointer is the result
            elif name in _T:
                counts["tCount"] += 1
            elif name in _CCZ:
                counts["cczCount"] += 1
            elif name in _ROTATIONS:
                counts["rotationCount"] += 1
                layer = max((layers.get(q, 0) for q in qubits), default=0) + 1
                for q in qubits:
                    layers[q] = layer
                depth = max(depth, layer)
            used = max([used, *qubits])
    declared = pyqir.required_num_qubits(function) or 0
    return {"numQubits": max(declared, used + 1), **counts, "rotationDepth": depth}


def _merged(shared: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(shared)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _estimate(counts: dict[str, int], params: dict[str, Any]) -> dict[str, Any]:
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    import warnings

    from qdk.estimator import LogicalCounts

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # qdk announces the successor API on every call
        try:
            result = LogicalCounts(counts).estimate(params).data()
        except Exception as exc:  # qdk raises its own QSharpError (a plain Exception) for bad parameters
            raise ProgramError("InvalidInputParameters", f"the estimator refused the parameters: {exc}") from exc
    if not isinstance(result, dict):
        raise ProgramError("InvalidInputParameters", "one estimate expected per item")
    return result


def run(program: bytes, request: RunRequest) -> TargetOutput:
    """One estimate, or a list of them when `items` is given."""
    import pyqir

    module = load_module(program)
    entries = {f.name: f for f in module.functions if pyqir.is_entry_point(f)}
    if not entries:
        raise ProgramError("InvalidInputData", 'the QIR module has no entry point (no "entry_point" attribute)')
    shared = {k: v for k, v in request.params.items() if k not in _NOT_ESTIMATOR}
    items = request.params.get("items")
    if items is not None and (not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items)):
        raise ProgramError("InvalidInputParameters", "inputParams.items must be an array of objects")
    estimates = []
    for item in items or [{}]:
        name = item.get("entryPoint", request.params.get("entryPoint", next(iter(entries))))
        if name not in entries:
            raise ProgramError("InvalidInputData", f"entry point {name!r} is not in the QIR module")
        overrides = {k: v for k, v in item.items() if k not in _NOT_ESTIMATOR}
        estimates.append(_estimate(logical_counts(entries[name]), _merged(shared, overrides)))
    body: Any = estimates if items is not None else estimates[0]
    data = json.dumps(body, separators=(",", ":")).encode()
    return TargetOutput(data, "application/json", OUTPUT_FORMAT)


FORMAT = FormatSpec(INPUT_FORMAT, (OUTPUT_FORMAT,), run)
