"""`arazzo plan`: the requests each step of a workflow would send, built exactly as a run builds them but
never sent. Inputs are filled in; values that only exist at run time (earlier responses, step outputs) are
shown as placeholders such as `<$steps.open.outputs.id>`. Everything shown is redacted."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import field
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from ._compiled import Compiled, Const, DictValue, ExprValue, ListValue, TemplateValue
from ._errors import ArazzoError, InputError
from ._expressions import ComponentsExpr, Expr, InputsExpr, Scope, SourceDescriptionsExpr
from ._inputs import _apply_defaults, _subschemas, prepare_inputs, secret_values
from ._model import Action, ArazzoDocument, RequestBody, Workflow, XOperation
from ._openapi import OpenAPIDescription
from ._plan import Document, StepPlan
from ._record import record
from ._redact import Redactor
from ._request import build_request
from ._values import MISSING, as_text

__all__ = ["Placeholder", "PlannedStep", "WorkflowPlan", "plan_workflow", "render_plan", "plan_json"]

_PLACEHOLDER_IN_URL = re.compile(r"(?:<|%3C)(?:\$|%24)[^<>\s]*?(?:>|%3E)", re.I)
_STAND_IN = "http://arazzo-plan.invalid/__url__"
MAX_BODY_TEXT = 4000


class Placeholder(str):
    """A value only known at run time, shown as `<expression>`."""

    __slots__ = ()

    @classmethod
    def of(cls, expr: Expr) -> Placeholder:
        return cls(f"<{expr.text}>")


@record(slots=True)
class PlannedStep:
    """What one step would send in a dry run (placeholders for unknown values)."""

    step_id: str
    operation: str
    method: str | None = None
    url: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Any = MISSING
    calls: str | None = None  # workflow id, for a step that calls a workflow
    inputs: dict[str, Any] | None = None  # what that workflow receives
    notes: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)


@record(slots=True)
class WorkflowPlan:
    """The dry run of one workflow: its inputs and planned steps."""

    workflow_id: str
    inputs: dict[str, Any]
    missing_inputs: list[str]
    depends_on: list[str]
    steps: list[PlannedStep]
    notes: list[str]
    redactor: Redactor


def _value(expr: Expr, scope: Scope) -> Any:
    """Inputs, source descriptions and components are known before a run; anything else is a placeholder."""
    if isinstance(expr, (InputsExpr, SourceDescriptionsExpr, ComponentsExpr)):
        value = expr.evaluate(scope)
        return Placeholder.of(expr) if value is MISSING else value
    return Placeholder.of(expr)


def evaluate(c: Compiled, scope: Scope) -> Any:
    """A compiled value with run-time-only parts replaced by placeholders."""
    if isinstance(c, Const):
        return c.value
    if isinstance(c, ExprValue):
        return _value(c.expr, scope)
    if isinstance(c, TemplateValue):
        return "".join(p if isinstance(p, str) else as_text(_value(p, scope)) for p in c.template.parts)
    if isinstance(c, DictValue):
        return {k: v for k, sub in c.items if (v := evaluate(sub, scope)) is not MISSING}
    if isinstance(c, ListValue):
        return [None if (v := evaluate(sub, scope)) is MISSING else v for sub in c.items]
    return c.evaluate(scope)  # pragma: no cover - every Compiled kind is handled above


def _describe_action(a: Action, kind: str) -> str:
    if a.type == "end":
        what = "end the workflow"
    elif a.type == "retry":
        after = f" after {a.retry_after:g} s" if a.retry_after else ""
        limit = a.retry_limit if a.retry_limit is not None else 1
        what = f"retry{after}, at most {limit} time(s)"
        if a.step_id:
            what += f" (running step {a.step_id} first)"
        elif a.workflow_id:
            what += f" (running workflow {a.workflow_id} first)"
    else:
        what = f"go to step {a.step_id}" if a.step_id else f"go to workflow {a.workflow_id}"
    when = " and ".join(c.condition for c in a.criteria)
    return f"on {kind}: {what}" + (f" when {when}" if when else "")


def _restore_placeholders(url: str) -> str:
    return _PLACEHOLDER_IN_URL.sub(lambda m: unquote(m.group(0)), url)


def _const_plan(plan: StepPlan, scope: Scope) -> tuple[StepPlan, str | None]:
    """The step with every value already evaluated (placeholders included), ready for build_request; and
    the x-operation URL text to show when it is not an absolute URL yet (it holds a placeholder)."""
    step = plan.step
    params = tuple(dataclasses.replace(p, value=Const(evaluate(p.value, scope))) for p in plan.parameters)
    body: RequestBody | None = step.request_body
    if body is not None:
        body = dataclasses.replace(
            body,
            payload=Const(evaluate(body.payload, scope)) if body.payload is not None else None,
            replacements=tuple(
                dataclasses.replace(r, value=Const(evaluate(r.value, scope))) for r in body.replacements
            ),
        )
    xo: XOperation | None = step.x_operation
    shown_url: str | None = None
    if xo is not None:
        url = as_text(evaluate(xo.url, scope))
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            shown_url, url = url, _STAND_IN
        xo = dataclasses.replace(xo, url=Const(url))
    new_step = dataclasses.replace(step, request_body=body, x_operation=xo)
    return dataclasses.replace(plan, step=new_step, parameters=params), shown_url


def _security_note(plan: StepPlan, headers: list[tuple[str, str]], query: Mapping[str, Any]) -> str | None:
    op = plan.operation
    if op is None or not op.security:
        return None
    schemes = op.description.security_schemes
    sent = {k.lower() for k, _ in headers}
    names: list[str] = []
    for requirement in op.security:
        if not isinstance(requirement, Mapping):
            continue
        if not requirement:
            return None
        for name in requirement:
            s = schemes.get(name)
            if not isinstance(s, Mapping):
                continue
            if s.get("type") == "apiKey":
                key = str(s.get("name", ""))
                if (s.get("in") == "header" and key.lower() in sent) or (s.get("in") == "query" and key in query):
                    return None
            elif "authorization" in sent:
                return None
            names.append(name)
    if not names:
        return None
    return f"credentials for {' or '.join(dict.fromkeys(names))} are added at run time (--auth or ARAZZO_AUTH_*)"


def _register_security_names(document: Document, redactor: Redactor, inputs: Mapping[str, Any]) -> None:
    """Names that carry credentials, and inputs named like a security scheme (a run uses those as its
    credentials, so they are secrets)."""
    for source in document.sources.values():
        if not isinstance(source, OpenAPIDescription):
            continue
        for name in source.security_schemes:
            value = inputs.get(name)
            if isinstance(value, Mapping):
                for v in value.values():
                    redactor.add(str(v))
            elif value is not None:
                redactor.add(str(value))
        redactor.add_scheme_names(source.security_schemes)


def _declared_inputs(doc: ArazzoDocument, wf: Workflow) -> tuple[list[str], set[str]]:
    names: list[str] = []
    required: set[str] = set()
    for s in _subschemas(wf.inputs, doc):
        if isinstance(s.get("properties"), Mapping):
            names.extend(str(k) for k in s["properties"] if str(k) not in names)
        if isinstance(s.get("required"), list):
            required |= {str(r) for r in s["required"]}
    return names, required


def plan_workflow(
    document: Document,
    workflow: Workflow,
    given: Mapping[str, Any] | None = None,
    servers: Mapping[str, str] | None = None,
) -> WorkflowPlan:
    """Build (never send) every step's request of one workflow, in document order."""
    doc = document.entry
    redactor = Redactor()
    notes: list[str] = []
    inputs: dict[str, Any] = dict(given or {})
    if workflow.inputs is not None:
        _apply_defaults(inputs, workflow.inputs, doc)
    declared, required = _declared_inputs(doc, workflow)
    missing = [n for n in declared if n in required and n not in inputs]
    try:
        inputs = prepare_inputs(doc, workflow, inputs)
    except InputError as exc:
        if not missing:
            notes.append(exc.message)
    for s in secret_values(doc, workflow, inputs):
        redactor.add(s)
    _register_security_names(document, redactor, inputs)
    scope = Scope(inputs=inputs, sources=document.source_info(doc), components=doc.components.raw)
    steps: list[PlannedStep] = []
    for step in workflow.steps:
        plan = document.plans.get((doc.uri, workflow.workflow_id, step.step_id))
        if plan is None:  # pragma: no cover - a loaded document has a plan for every step
            continue
        planned = PlannedStep(step.step_id, plan.label)
        planned.actions = [_describe_action(a, "success") for a in plan.on_success] + [
            _describe_action(a, "failure") for a in plan.on_failure
        ]
        steps.append(planned)
        if plan.workflow is not None:
            planned.calls = plan.workflow.workflow_id
            planned.inputs = {
                p.name: v for p in plan.parameters if (v := evaluate(p.value, scope)) is not MISSING
            }
            continue
        const_plan, shown_url = _const_plan(plan, scope)
        try:
            req = build_request(const_plan, Scope(), dict(servers or {}))
        except ArazzoError as exc:
            planned.notes.append(f"the request cannot be built yet: {exc.message}")
            continue
        url = req.url
        if shown_url is not None:
            url = url.replace(_STAND_IN, shown_url, 1)
        planned.method = req.method
        planned.url = _restore_placeholders(url)
        planned.headers = req.headers
        planned.body = req.body
        planned.notes.extend(n for n in req.notes if "has no value" not in n)
        note = _security_note(plan, req.headers, req.query)
        if note:
            planned.notes.append(note)
        for name, value in req.headers:
            if redactor.is_sensitive_header(name) and not isinstance(value, Placeholder):
                redactor.add(value)
    if missing:
        notes.insert(0, f"inputs not given, shown as placeholders: {', '.join(missing)}")
    return WorkflowPlan(workflow.workflow_id, inputs, missing, list(workflow.depends_on), steps, notes, redactor)


def _body_text(body: Any, redactor: Redactor) -> str:
    if isinstance(body, (bytes, bytearray)):
        return f"<{len(body)} bytes>"
    if isinstance(body, str):
        text = redactor.text(body)
    else:
        text = json.dumps(redactor.value(body), indent=2, ensure_ascii=False)
    return text if len(text) <= MAX_BODY_TEXT else text[:MAX_BODY_TEXT] + "\n… (truncated)"


def render_plan(wp: WorkflowPlan, stream: IO[str]) -> None:
    """The plan as text, one block per step."""
    r = wp.redactor
    w = stream.write
    w(f"workflow {wp.workflow_id}: {len(wp.steps)} step(s), dry run (nothing is sent)\n")
    for note in wp.notes:
        w(f"  note: {r.text(note)}\n")
    if wp.depends_on:
        w(f"  runs first (dependsOn): {', '.join(wp.depends_on)}\n")
    for i, s in enumerate(wp.steps, 1):
        w(f"\n{i}. {s.step_id}  ({s.operation})\n")
        if s.calls is not None:
            w(f"   calls workflow {s.calls} with inputs {json.dumps(r.value(s.inputs or {}), ensure_ascii=False)}\n")
        if s.method is not None and s.url is not None:
            w(f"   {s.method} {r.text(s.url)}\n")
            for name, value in r.headers_text(s.headers):
                w(f"   {name}: {value}\n")
            if s.body is not MISSING:
                w("".join(f"   | {line}\n" for line in _body_text(s.body, r).splitlines()))
        for note in s.notes:
            w(f"   note: {r.text(note)}\n")
        for action in s.actions:
            w(f"   {r.text(action)}\n")
    stream.flush()


def plan_json(wp: WorkflowPlan) -> dict[str, Any]:
    r = wp.redactor
    steps = []
    for s in wp.steps:
        entry: dict[str, Any] = {"stepId": s.step_id, "operation": s.operation}
        if s.calls is not None:
            entry["calls"] = s.calls
            entry["inputs"] = r.value(s.inputs or {})
        if s.method is not None:
            entry["method"] = s.method
            entry["url"] = r.text(s.url or "")
            entry["headers"] = [{"name": k, "value": v} for k, v in r.headers_text(s.headers)]
            if s.body is not MISSING:
                entry["body"] = (
                    f"<{len(s.body)} bytes>" if isinstance(s.body, (bytes, bytearray)) else r.value(s.body)
                )
        entry["notes"] = [r.text(n) for n in s.notes]
        entry["actions"] = [r.text(a) for a in s.actions]
        steps.append(entry)
    return {
        "workflowId": wp.workflow_id,
        "inputs": r.value(wp.inputs),
        "missingInputs": wp.missing_inputs,
        "dependsOn": wp.depends_on,
        "notes": [r.text(n) for n in wp.notes],
        "steps": steps,
    }
