"""The engine's exceptions: one root (`ArazzoError`), split by what the caller can do about them."""

from __future__ import annotations

from ._record import record

__all__ = [
    "ArazzoError",
    "DocumentError",
    "ExpressionSyntaxError",
    "InputError",
    "Position",
    "Problem",
    "SourceError",
    "TransportError",
    "UsageError",
]


@record(frozen=True, slots=True)
class Position:
    """Where a node sits in a file (1-based line and column), so every message can point at it."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@record(frozen=True, slots=True)
class Problem:
    """One finding about a document: an error stops a run, a warning is reported and the run goes on;
    an info is shown only on request (`arazzo validate --info`)."""

    severity: str  # "error" | "warning" | "info"
    message: str
    position: Position | None = None
    json_path: str = ""
    code: str = ""  # a stable name for the kind of finding (e.g. "missing-required-field"), for tools

    def __str__(self) -> str:
        where = f"{self.position}: " if self.position else ""
        at = f" (at {self.json_path})" if self.json_path else ""
        return f"{where}{self.severity}: {self.message}{at}"


class ArazzoError(Exception):
    """Root of every error the engine raises on purpose."""

    def __init__(self, message: str, *, position: Position | None = None, step_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.step_id = step_id

    def __str__(self) -> str:
        parts = []
        if self.position is not None:
            parts.append(f"{self.position}: ")
        if self.step_id:
            parts.append(f"step {self.step_id}: ")
        parts.append(self.message)
        return "".join(parts)


class DocumentError(ArazzoError):
    """The document (or a source it references) is not a valid Arazzo/OpenAPI description: exit code 2."""

    def __init__(self, message: str, *, position: Position | None = None, problems: tuple[Problem, ...] = ()):
        super().__init__(message, position=position)
        self.problems = problems

    def __str__(self) -> str:
        if not self.problems:
            return super().__str__()
        return "\n".join(str(p) for p in self.problems if p.severity == "error")


class SourceError(DocumentError):
    """A source description could not be retrieved or parsed (missing file, refused by policy, bad YAML)."""


class ExpressionSyntaxError(ArazzoError):
    """A runtime expression or condition does not parse; `offset` is the character where parsing stopped."""

    def __init__(self, message: str, text: str, offset: int) -> None:
        super().__init__(message)
        self.text = text
        self.offset = offset

    def __str__(self) -> str:
        return f"{self.message} at character {self.offset + 1} of {self.text!r}"


class InputError(ArazzoError):
    """Workflow inputs are missing or do not match the workflow's input schema: exit code 2."""

    def __init__(self, message: str, *, input_name: str | None = None) -> None:
        super().__init__(message)
        self.input_name = input_name


class UsageError(ArazzoError):
    """The caller asked for something that does not exist (unknown workflow, bad --server value): exit 2."""


class TransportError(ArazzoError):
    """No HTTP response was obtained (connection refused, timeout, size limit); the step fails with it."""

    def __init__(self, message: str, *, kind: str = "transport", step_id: str | None = None) -> None:
        super().__init__(message, step_id=step_id)
        self.kind = kind
