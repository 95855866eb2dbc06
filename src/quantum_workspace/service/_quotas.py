"""Quotas: per provider and dimension, what a workspace used this month against a configured limit.

Where a limit is enforced: in the worker, just before a job runs, not at create time. A job's cost depends
on its program, and counting a program's operations means reading the input blob and, for QIR, parsing it
with qiskit; that belongs in the simulator child (`simulators`), not in the HTTP request. So the child
estimates the cost, the worker calls `QuotaService.admit`, and a job whose estimate would take a dimension
past its limit fails without running, with errorData `{"code": "QuotaExceeded", "message": ...}` naming the
provider, dimension, usage and limit. An admitted job's estimate is stored on it at once and counts as a
hold until the job ends.

Usage of a dimension = the `amountBilled` of the cost events it counts (`DIMENSIONS`; any other dimension
counts events with its own id), summed over the workspace's jobs created this calendar month (UTC):
`utilization` over Succeeded jobs, `holds` over unfinished jobs that already have an estimate (a Waiting
job has none yet). Free targets bill nothing, so they use no quota.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ..clock import Clock
from ..errors import BadRequest
from ..store import And, Comparison, JobRecord, ListQuery, Or, Store, StoreReader
from ._states import JobStatus

__all__ = ["DEFAULT_QUOTAS", "DIMENSIONS", "QuotaExceeded", "QuotaService", "parse_quota"]

#: (provider, dimension) -> {cost event dimensionId: weight}. IonQ's `qgs` are qubit-gate-shots: a
#: two-qubit gate-shot touches two qubits [INF: the weights are ours; the docs name the unit only].
DIMENSIONS: Mapping[tuple[str, str], Mapping[str, float]] = {
    ("ionq", "qgs"): {"gs1q": 1.0, "gs2q": 2.0},
    ("quantinuum", "hqc"): {"hqc": 1.0},
    ("quantinuum", "ehqc"): {"ehqc": 1.0},
}

#: Limits in force without configuration: the reference's example (`sdk-wire-facts.md` §2b); every other
#: dimension is unlimited until `serve --quota` sets one.
DEFAULT_QUOTAS: Mapping[tuple[str, str], float] = {("ionq", "qgs"): 16_666_667.0}

_PAGE = 500


class QuotaExceeded(BadRequest):
    """A job whose estimate would take a quota dimension past its limit."""

    code = "QuotaExceeded"


def parse_quota(text: str) -> tuple[str, str, float]:
    """`PROVIDER:DIMENSION=LIMIT` (the `serve --quota` syntax) -> (provider, dimension, limit)."""
    head, equals, limit_text = text.partition("=")
    provider, colon, dimension = head.partition(":")
    try:
        limit = float(limit_text)
    except ValueError:
        limit = -1.0
    if not (equals and colon and provider.strip() and dimension.strip()) or not 0 <= limit < float("inf"):
        raise ValueError(f"expected PROVIDER:DIMENSION=LIMIT with a limit >= 0, got {text!r}")
    return provider.strip().lower(), dimension.strip(), limit


def _amount(cost: Any, provider_id: str, dimension: str) -> float:
    """The part of one cost estimate that a dimension counts."""
    if not isinstance(cost, Mapping):
        return 0.0
    weights = DIMENSIONS.get((provider_id, dimension), {dimension: 1.0})
    total = 0.0
    for event in cost.get("events") or ():
        if isinstance(event, Mapping) and event.get("dimensionId") in weights:
            billed = event.get("amountBilled")
            if isinstance(billed, int | float):
                total += weights[event["dimensionId"]] * float(billed)
    return total


class QuotaService:
    def __init__(self, store: Store, clock: Clock, limits: Iterable[tuple[str, str, float]] = ()) -> None:
        merged = dict(DEFAULT_QUOTAS)
        for provider_id, dimension, limit in limits:
            merged[(provider_id.lower(), dimension)] = float(limit)
        self._store, self._clock, self._limits = store, clock, merged
        self._lock = threading.Lock()  # one admission at a time in this process: two jobs never share headroom

    def limited(self, provider_id: str) -> bool:
        """Whether any limit applies to the provider's jobs (only then does the worker ask `admit`)."""
        return any(provider == provider_id.lower() for provider, _dimension in self._limits)

    def quotas(self, workspace: str) -> list[dict[str, Any]]:
        """Quotas_List: one contract `Quota` per limited (provider, dimension)."""
        with self._store.read() as reader:
            jobs = self._jobs_this_period(reader, workspace, (provider for provider, _dimension in self._limits))
        rows = []
        for (provider_id, dimension), limit in sorted(self._limits.items()):
            used, held = self._usage(jobs, provider_id, dimension)
            rows.append(
                {
                    "dimension": dimension,
                    "scope": "Workspace",
                    "providerId": provider_id,
                    "utilization": used,
                    "holds": held,
                    "limit": limit,
                    "period": "Monthly",
                }
            )
        return rows

    def admit(self, job: JobRecord, cost: Any) -> None:
        """Record `cost` on the running job as a hold, or raise QuotaExceeded when it does not fit."""
        provider_id = job.provider_id.lower()
        if cost is None or not self._bills_limited(provider_id, cost):
            return  # nothing to check or hold (free jobs: simulators); the estimate is stored on completion
        with self._lock, self._store.write() as writer:
            current = writer.get_job(job.workspace, job.id)
            if current is None or current.status != JobStatus.EXECUTING:
                return  # cancelled meanwhile: the worker's finish handles it
            jobs: list[JobRecord] | None = None  # read only when the job bills a limited dimension (free jobs skip it)
            for (limited_provider, dimension), limit in sorted(self._limits.items()):
                needed = _amount(cost, provider_id, dimension) if limited_provider == provider_id else 0.0
                if needed <= 0:
                    continue
                if jobs is None:
                    period = self._jobs_this_period(writer, job.workspace, (provider_id,))
                    jobs = [other for other in period if other.id != job.id]
                used, held = self._usage(jobs, provider_id, dimension)
                if used + held + needed > limit:
                    raise QuotaExceeded(
                        f"Quota exceeded for provider '{provider_id}', dimension '{dimension}': this job needs "
                        f"{needed:g}, the workspace has used {used:g} this month (plus {held:g} held by running "
                        f"jobs) of its limit of {limit:g}."
                    )
            writer.update_job(current.replace(cost_estimate=cost))

    def _bills_limited(self, provider_id: str, cost: Any) -> bool:
        return any(
            limited_provider == provider_id and _amount(cost, provider_id, dimension) > 0
            for limited_provider, dimension in self._limits
        )

    def _period_start(self) -> datetime:
        now = self._clock.now()
        return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)

    def _jobs_this_period(self, reader: StoreReader, workspace: str, providers: Iterable[str]) -> list[JobRecord]:
        """This month's jobs of `providers` that carry a cost estimate. The store filters on creation time
        and provider (an index on the first): admission once read every job the workspace ever had."""
        start = self._period_start()
        named = sorted(set(providers))
        if not named:
            return []
        by_provider = Or(tuple(Comparison("ProviderId", "eq", provider) for provider in named))
        period = And((Comparison("CreationTime", "ge", start), by_provider))
        found: list[JobRecord] = []
        skip = 0
        while True:
            page = reader.list_jobs(workspace, ListQuery(filter=period, skip=skip, top=_PAGE))
            found.extend(job for job in page.items if job.cost_estimate is not None)
            if not page.more:
                return found
            skip += len(page.items)

    @staticmethod
    def _usage(jobs: Iterable[JobRecord], provider_id: str, dimension: str) -> tuple[float, float]:
        """(utilization, holds) of one dimension over the given jobs."""
        used = held = 0.0
        for job in jobs:
            if job.provider_id.lower() != provider_id:
                continue
            amount = _amount(job.cost_estimate, provider_id, dimension)
            if job.status == JobStatus.SUCCEEDED:
                used += amount
            elif job.status in (JobStatus.EXECUTING, JobStatus.CANCELLATION_REQUESTED):
                held += amount
        return round(used, 9), round(held, 9)
