"""The typed Arazzo 1.0.x document: immutable objects built once by `_build`, read by the runner."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from ._compiled import Compiled
from ._criteria import Criterion
from ._errors import Position, Problem
from ._expressions import ComponentsExpr
from ._record import record
from ._text import JsonPath, ParsedText

__all__ = [
    "Action",
    "ArazzoDocument",
    "Components",
    "Info",
    "Parameter",
    "PayloadReplacement",
    "RequestBody",
    "Reusable",
    "SourceDescription",
    "Step",
    "Workflow",
    "XOperation",
    "CriterionObject",
]


@record(frozen=True, slots=True)
class Info:
    """The document's `info` object."""

    title: str
    version: str
    summary: str | None = None
    description: str | None = None


@record(frozen=True, slots=True)
class SourceDescription:
    """A named OpenAPI or Arazzo document this one refers to."""

    name: str
    url: str
    type: str | None
    position: Position | None
    path: JsonPath


@record(frozen=True, slots=True)
class CriterionObject:
    """A Criterion Object as written plus its compiled form."""

    criterion: Criterion
    position: Position | None
    path: JsonPath

    @property
    def condition(self) -> str:
        return self.criterion.condition


@record(frozen=True, slots=True)
class Parameter:
    """A step or workflow parameter: `value` compiled, `raw_value` as written."""

    name: str
    in_: str | None
    value: Compiled
    position: Position | None
    path: JsonPath
    raw_value: Any = None


@record(frozen=True, slots=True)
class Reusable:
    """A Reusable Object: `reference` to a component plus an optional `value` override (parameters only)."""

    reference: ComponentsExpr
    value: Compiled | None
    position: Position | None
    path: JsonPath


@record(frozen=True, slots=True)
class Action:
    """A Success Action or Failure Action Object."""

    name: str
    type: str  # end | goto | retry
    step_id: str | None
    workflow_id: str | None
    retry_after: float | None
    retry_limit: int | None
    criteria: tuple[CriterionObject, ...]
    position: Position | None
    path: JsonPath


@record(frozen=True, slots=True)
class PayloadReplacement:
    """One replacement in a request body: a target pointer and its compiled value."""

    target: str
    value: Compiled
    position: Position | None
    path: JsonPath


@record(frozen=True, slots=True)
class RequestBody:
    """A step's request body: content type, compiled payload and replacements."""

    content_type: str | None
    payload: Compiled | None  # None: no payload given
    replacements: tuple[PayloadReplacement, ...]
    position: Position | None
    path: JsonPath


@record(frozen=True, slots=True)
class XOperation:
    """The `x-operation` step extension: a request to a URL that no source description covers."""

    url: Compiled
    method: str
    position: Position | None
    path: JsonPath


@record(frozen=True, slots=True)
class Step:
    """One step of a workflow, with everything compiled once at load."""

    step_id: str
    description: str | None
    operation_id: str | None
    operation_path: str | None
    workflow_id: str | None
    x_operation: XOperation | None
    parameters: tuple[Parameter | Reusable, ...]
    request_body: RequestBody | None
    success_criteria: tuple[CriterionObject, ...]
    on_success: tuple[Action | Reusable, ...]
    on_failure: tuple[Action | Reusable, ...]
    outputs: tuple[tuple[str, Compiled], ...]
    position: Position | None
    path: JsonPath
    extensions: dict[str, Any] = field(default_factory=dict)


@record(frozen=True, slots=True)
class Workflow:
    """One workflow: inputs schema, steps, actions and outputs, compiled once at load."""

    workflow_id: str
    summary: str | None
    description: str | None
    inputs: Any  # a JSON Schema (dict) or None
    depends_on: tuple[str, ...]
    steps: tuple[Step, ...]
    success_actions: tuple[Action | Reusable, ...]
    failure_actions: tuple[Action | Reusable, ...]
    outputs: tuple[tuple[str, Compiled], ...]
    parameters: tuple[Parameter | Reusable, ...]
    position: Position | None
    path: JsonPath
    extensions: dict[str, Any] = field(default_factory=dict)

    def step(self, step_id: str) -> Step | None:
        for s in self.steps:
            if s.step_id == step_id:
                return s
        return None


@record(frozen=True, slots=True)
class Components:
    """Reusable inputs, parameters and actions, by name."""

    inputs: dict[str, Any]
    parameters: dict[str, Parameter]
    success_actions: dict[str, Action]
    failure_actions: dict[str, Action]
    raw: dict[str, Any]


@record(frozen=True, slots=True)
class ArazzoDocument:
    """One Arazzo document (entry or referenced), with its problems (warnings) and source text."""

    arazzo: str
    info: Info
    source_descriptions: tuple[SourceDescription, ...]
    workflows: tuple[Workflow, ...]
    components: Components
    extensions: dict[str, Any]
    uri: str
    parsed: ParsedText
    problems: tuple[Problem, ...]

    def workflow(self, workflow_id: str) -> Workflow | None:
        for w in self.workflows:
            if w.workflow_id == workflow_id:
                return w
        return None

    @property
    def file(self) -> str:
        return self.parsed.file
