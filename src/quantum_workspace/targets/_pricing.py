"""Each provider's price list, in USD, turning a job's workload into the events of its cost estimate.

Simulators and syntax checkers are free: they report what they consume, bill 0 and price 0. Quota usage
should add up `amountBilled` (free targets then use no quota). Tags: [DOCS] from Azure Quantum's pricing
page (2025), [INF] our guess where nothing is published.

IonQ (QPU targets), in Azure Quantum Tokens, 1 AQT = 1 USD [DOCS]:
    AQT = m + 0.000220 * N1q * C + 0.000975 * N2q * C        (C shots, m per program)
    m = 97.50 with error mitigation (the default on QPUs), 12.4166 with `error-mitigation.debias` false.
    A gate on N >= 3 qubits (multi-controlled) counts as 6 * (N - 2) two-qubit gates [DOCS].
    Events: gs1q and gs2q gate-shots (dimension ids as the real service reports them) and one
    `program` event per program for m [INF: the formula's minimum shown as its own line].
Quantinuum, in H-System Quantum Credits [DOCS]:
    HQC = 5 + C * (N1q + 10 * N2q + 5 * Nm) / 5000 per program, Nm = state preparations (one per qubit),
    measurements and resets; N-qubit gates count as 6 * (N - 2) two-qubit gates [INF].
    QPUs bill `hqc` at 13.50 USD [INF: the Standard plan's 135,000 USD a month for 10,000 HQC];
    emulators consume and bill `ehqc` at 0 USD [INF: eHQC come with plans and credits, not sold alone];
    syntax checkers are free [DOCS].
Rigetti, QPU time in 10 ms increments at 0.013 USD each [DOCS], at least one increment per job.
    Time per shot [INF]: 200 us of reset and readout overhead + 0.05 us per 1q gate + 0.2 us per 2q
    gate + 2 us per measurement (no parallelism: an upper bound). The QVM is free [DOCS].
Pasqal, QPU hours at 3,000 USD [DOCS]; time per shot [INF] = the sequence duration + 0.25 s of
    register preparation and imaging (a 4 Hz repetition rate). Emulators are free [DOCS: Emu-TN free
    within quotas], reporting the same QPU-equivalent hours as consumed.
Microsoft resource estimator: free, no events [DOCS]."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ._cost import UsageEvent, Workload
from ._model import TargetKind

__all__ = [
    "IONQ_1Q_GATE_SHOT",
    "IONQ_2Q_GATE_SHOT",
    "IONQ_PROGRAM_MINIMUM",
    "IONQ_PROGRAM_MINIMUM_NO_MITIGATION",
    "PASQAL_QPU_HOUR",
    "QUANTINUUM_HQC",
    "RIGETTI_10MS",
    "free",
    "ionq",
    "pasqal",
    "quantinuum",
    "quantinuum_hqc",
    "rigetti",
    "rigetti_seconds",
]

IONQ_1Q_GATE_SHOT = 0.000220
IONQ_2Q_GATE_SHOT = 0.000975
IONQ_PROGRAM_MINIMUM = 97.50
IONQ_PROGRAM_MINIMUM_NO_MITIGATION = 12.4166
QUANTINUUM_HQC = 13.50
RIGETTI_10MS = 0.013
PASQAL_QPU_HOUR = 3000.0

_RIGETTI_SHOT_OVERHEAD_US = 200.0
_RIGETTI_1Q_US = 0.05
_RIGETTI_2Q_US = 0.2
_RIGETTI_MEASURE_US = 2.0
_PASQAL_SHOT_OVERHEAD_S = 0.25

_FREE_KINDS = (TargetKind.SIMULATOR, TargetKind.SYNTAX_CHECKER)


def free(workload: Workload, kind: TargetKind, params: Mapping[str, Any]) -> list[UsageEvent]:
    """No charge and nothing to report (the resource estimator)."""
    return []


def _billed(amount: float, kind: TargetKind, price: float) -> tuple[float, float]:
    """(billed amount, unit price): nothing is billed on simulators and syntax checkers."""
    return (0.0, 0.0) if kind in _FREE_KINDS else (amount, price)


def _error_mitigation(params: Mapping[str, Any]) -> bool:
    setting = params.get("error-mitigation")
    return not (isinstance(setting, Mapping) and setting.get("debias") is False)


def ionq(workload: Workload, kind: TargetKind, params: Mapping[str, Any]) -> list[UsageEvent]:
    counts, shots = workload.counts, workload.shots
    one, two = counts.one_qubit * shots, counts.two_qubit_equivalent() * shots
    events = [
        UsageEvent("gs1q", "1Q Gate Shot", "1q gate shot", one, *_billed(one, kind, IONQ_1Q_GATE_SHOT)),
        UsageEvent("gs2q", "2Q Gate Shot", "2q gate shot", two, *_billed(two, kind, IONQ_2Q_GATE_SHOT)),
    ]
    if kind not in _FREE_KINDS:
        minimum = IONQ_PROGRAM_MINIMUM if _error_mitigation(params) else IONQ_PROGRAM_MINIMUM_NO_MITIGATION
        programs = float(workload.programs)
        events.append(UsageEvent("program", "Program execution", "program", programs, programs, minimum))
    return events


def quantinuum_hqc(workload: Workload) -> float:
    """HQC (or eHQC) of the job: the formula once per program, with the job's operations split evenly."""
    counts = workload.counts
    spam = counts.qubits * workload.programs + counts.measurements + counts.resets
    weighted = counts.one_qubit + 10 * counts.two_qubit_equivalent() + 5 * spam
    return 5.0 * workload.programs + workload.shots * weighted / 5000


def quantinuum(workload: Workload, kind: TargetKind, params: Mapping[str, Any]) -> list[UsageEvent]:
    hqc = quantinuum_hqc(workload)
    if kind is TargetKind.QPU:
        return [UsageEvent("hqc", "HQC", "hqc", hqc, hqc, QUANTINUUM_HQC)]
    billed = 0.0 if kind is TargetKind.SYNTAX_CHECKER else hqc
    return [UsageEvent("ehqc", "eHQC", "hqc", hqc, billed, 0.0)]


def rigetti_seconds(workload: Workload) -> float:
    counts = workload.counts
    per_shot_us = (
        _RIGETTI_SHOT_OVERHEAD_US
        + _RIGETTI_1Q_US * counts.one_qubit
        + _RIGETTI_2Q_US * counts.two_qubit_equivalent()
        + _RIGETTI_MEASURE_US * counts.measurements
    )
    return workload.shots * per_shot_us / 1e6


def rigetti(workload: Workload, kind: TargetKind, params: Mapping[str, Any]) -> list[UsageEvent]:
    increments = float(max(1, math.ceil(round(rigetti_seconds(workload) / 0.010, 9))))
    billed, price = (0.0, 0.0) if kind is not TargetKind.QPU else (increments, RIGETTI_10MS)
    return [UsageEvent("qpu_time_10ms", "QPU execution time", "10 ms", increments, billed, price)]


def pasqal(workload: Workload, kind: TargetKind, params: Mapping[str, Any]) -> list[UsageEvent]:
    seconds = workload.shots * (workload.duration_ns / 1e9 + _PASQAL_SHOT_OVERHEAD_S)
    hours = seconds / 3600
    if kind is TargetKind.QPU:
        return [UsageEvent("qpu_hours", "QPU time", "hour", hours, hours, PASQAL_QPU_HOUR)]
    return [UsageEvent("emulator_hours", "Emulator time", "hour", hours, 0.0, 0.0)]
