"""The typed outcome of a run: per-step records, outputs, the error, warnings; JSON form redacted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._errors import Position, Problem
from ._record import record
from ._redact import Redactor
from ._values import MISSING

__all__ = ["Exchange", "ExchangeObserver", "RunError", "RunResult", "StepRecord", "RunWarning"]


@dataclass(slots=True)  # made per request: a compiled __init__ (dataclass) is ~5x faster than record's
class StepRecord:
    """One execution of a step (retries are attempts of the same record; a goto back is a new record)."""

    step_id: str
    workflow_id: str
    operation: str
    status: str = "running"  # running | succeeded | failed
    status_code: int | None = None
    attempts: int = 0
    duration_ms: float = 0.0
    method: str | None = None
    url: str | None = None
    error: str | None = None
    response_excerpt: str | None = None

    def to_json(self, redactor: Redactor) -> dict[str, Any]:
        return {
            "stepId": self.step_id,
            "status": self.status,
            "statusCode": self.status_code,
            "attempts": self.attempts,
            "durationMs": round(self.duration_ms, 3),
        }


@record(slots=True)
class Exchange:
    """One HTTP exchange of a step, as sent and as received (raw values: redact before showing them).
    `status_code` is None until a response arrives; `error` says why none did."""

    step_id: str
    workflow_id: str
    attempt: int
    method: str
    url: str
    headers: list[tuple[str, str]]
    content: bytes | None
    query: dict[str, list[str]]
    started: float  # seconds since the epoch
    elapsed_ms: float = 0.0
    status_code: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_content: bytes = b""
    response_type: str = ""
    error: str | None = None


ExchangeObserver = Callable[[str, Exchange], None]
"""exchanges(event, exchange) with event "request" (about to send) or "response" (answered or failed)."""


@record(frozen=True, slots=True)
class RunError:
    """Why a workflow failed: the step (if any), its HTTP status, and a message (already redacted)."""

    step_id: str | None
    message: str
    status_code: int | None = None
    workflow_id: str | None = None
    position: Position | None = None  # where the failing step is written

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"stepId": self.step_id, "message": self.message}
        if self.position is not None:
            out.update(file=self.position.file, line=self.position.line, column=self.position.column)
        return out


@record(frozen=True, slots=True)
class RunWarning:
    """A warning shown with a run, positioned in its file when known."""

    file: str | None
    line: int | None
    column: int | None
    message: str

    @classmethod
    def from_problem(cls, p: Problem) -> RunWarning:
        pos = p.position
        return cls(
            pos.file if pos else None, pos.line if pos else None, pos.column if pos else None, p.message
        )

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}: " if self.file else ""
        return f"{where}warning: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message}


@record(slots=True)
class RunResult:
    """What `arazzo.run` returns. `outputs` hold the real values; `to_json()` masks secrets for display."""

    workflow_id: str
    status: str  # succeeded | failed
    outputs: dict[str, Any]
    steps: list[StepRecord]
    error: RunError | None
    warnings: list[RunWarning]
    redactor: Redactor = field(repr=False, compare=False, default_factory=Redactor)

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    def to_json(self) -> dict[str, Any]:
        r = self.redactor
        return {
            "workflowId": self.workflow_id,
            "status": self.status,
            "outputs": r.value({k: v for k, v in self.outputs.items() if v is not MISSING}),
            "steps": [s.to_json(r) for s in self.steps],
            "error": self.error.to_json() if self.error else None,
            "warnings": [{**w.to_json(), "message": r.text(w.message)} for w in self.warnings],
        }

    def __repr__(self) -> str:
        return (
            f"RunResult(workflow_id={self.workflow_id!r}, status={self.status!r}, steps={len(self.steps)}, "
            f"error={self.redactor.text(self.error.message) if self.error else None!r})"
        )
