"""Static validation (`arazzo validate`): everything that can be known about a document before a request is
sent, each finding a positioned Problem. Loading already checks structure, ids, targets and grammar; this
module adds references between parts (with a did-you-mean), parameters against the operation, and request
payloads against the operation's request schema."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from ._errors import DocumentError, ExpressionSyntaxError, Position, Problem
from ._expressions import (
    ComponentsExpr,
    Expr,
    InputsExpr,
    MessageExpr,
    OutputsExpr,
    SourceDescriptionsExpr,
    StatusCodeExpr,
    StepsExpr,
    WorkflowsExpr,
    parse_expression,
    parse_template,
)
from ._inputs import _subschemas, declared_input_names, input_schema_for
from ._model import ArazzoDocument, Parameter, Step, Workflow
from ._openapi import Operation
from ._plan import Document, StepPlan, _dedupe, _Loader
from ._retrieve import Retriever, SourcePolicy, display_name, to_uri
from ._text import JsonPath
from ._validate_payload import PayloadChecker, accepts, classify, json_type, same, schema_types, suggest
from ._values import MISSING, format_pointer, parse_pointer, pointer_get

__all__ = ["validate", "check_document"]

MAX_DEPTH = 32
# OpenAPI 3.x: header parameters with these names are ignored by the specification (set by other means).
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "TRACE"})


def validate(
    location: str | os.PathLike[str],
    *,
    policy: SourcePolicy | None = None,
    retriever: Retriever | None = None,
) -> list[Problem]:
    """Every problem of a document and what it references, sorted by file, line and column.

    Never raises for a bad document: unreadable files and parse failures are problems too."""
    uri = to_uri(location)
    loader = _Loader(retriever or Retriever(policy), lenient=True)
    try:
        loader.arazzo(uri, None, None)
    except DocumentError as exc:
        found = list(exc.problems) or [
            Problem("error", exc.message, exc.position or Position(display_name(uri), 1, 1), code="document")
        ]
        return _sorted([*loader.problems, *found])
    entry = loader.docs[uri]
    document = Document(entry, loader.docs, loader.sources)
    loaded = list(loader.problems)
    loader.problems = []
    loader.plan_all(document)
    # Planning may find again what building already reported (e.g. an unknown workflowId): keep the first.
    flagged = {str(p.position) for p in loaded if p.severity == "error"}
    planned = [p for p in loader.problems if not (p.severity == "error" and str(p.position) in flagged)]
    return _sorted([*loaded, *planned, *check_document(document)])


def _sorted(problems: list[Problem]) -> list[Problem]:
    def key(p: Problem) -> tuple[str, int, int]:
        pos = p.position
        return (pos.file, pos.line, pos.column) if pos else ("", 0, 0)

    return sorted(_dedupe(problems), key=key)


def check_document(document: Document) -> list[Problem]:
    """The checks beyond loading, for every Arazzo document of a loaded (or partly loaded) Document."""
    out: list[Problem] = []
    for doc in document.docs.values():
        _Checker(document, doc, out).run()
    return out


def _names_of(name_parts: tuple[str, ...], known: Any) -> str | None:
    """The declared name a dotted reference uses (longest prefix first, as evaluation does), or None."""
    for cut in range(len(name_parts), 0, -1):
        candidate = ".".join(name_parts[:cut])
        if candidate in known:
            return candidate
    return None


def _expressions_in(value: Any, path: JsonPath, depth: int = 0) -> Iterator[tuple[Expr, JsonPath]]:
    """The runtime expressions of a document value, each with the path of the string holding it."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        if value.startswith("$"):
            try:
                yield parse_expression(value), path
                return
            except ExpressionSyntaxError:
                pass
        if "{$" in value:
            template, _ = parse_template(value)
            if template is not None:
                for e in template.expressions:
                    yield e, path
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _expressions_in(v, (*path, k), depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _expressions_in(v, (*path, i), depth + 1)


class _Checker:
    def __init__(self, document: Document, doc: ArazzoDocument, sink: list[Problem]) -> None:
        self.document = document
        self.doc = doc
        self.sink = sink
        # `$workflows.<id>` reads any workflow that ran, including those of other Arazzo documents.
        self.all_workflows: dict[str, tuple[ArazzoDocument, Workflow]] = {}
        for d in (doc, *document.docs.values()):
            for w in d.workflows:
                self.all_workflows.setdefault(w.workflow_id, (d, w))
        self.workflow_ids = set(self.all_workflows)
        self.source_names = {s.name for s in doc.source_descriptions}

    def raw(self, path: JsonPath) -> Any:
        return pointer_get(self.doc.parsed.value, [str(p) for p in path])

    # -- walk ----------------------------------------------------------------------------------------------
    def run(self) -> None:
        for wf in self.doc.workflows:
            self.inputs_defaults(wf)
            for name, _ in wf.outputs:
                self.output_value(wf, None, name, (*wf.path, "outputs", name))
                self.references(wf, None, (*wf.path, "outputs", name), context="outputs")
            for p in wf.parameters:
                if isinstance(p, Parameter):
                    self.references(wf, None, (*p.path, "value"), context="request")
            for a in (*wf.success_actions, *wf.failure_actions):
                for c in getattr(a, "criteria", ()):
                    for expr in c.criterion.expressions():
                        self.expression(wf, None, expr, (*c.path, "condition"), "criteria", None)
            for step in wf.steps:
                self.step(wf, step)

    def step(self, wf: Workflow, step: Step) -> None:
        plan = self.document.plans.get((self.doc.uri, wf.workflow_id, step.step_id))
        params = plan.parameters if plan is not None else tuple(p for p in step.parameters if isinstance(p, Parameter))
        for p in params:
            self.references(wf, step, (*p.path, "value"), context="request")
        body = step.request_body
        if body is not None:
            self.references(wf, step, (*body.path, "payload"), context="request")
            for r in body.replacements:
                self.references(wf, step, (*r.path, "value"), context="request")
        if step.x_operation is not None:
            self.references(wf, step, (*step.x_operation.path, "url"), context="request")
        callee = plan.workflow if plan is not None else None
        for c in step.success_criteria:
            self.criterion(wf, step, c.criterion.expressions(), c.path, callee)
        for name, _ in step.outputs:
            self.output_value(wf, step, name, (*step.path, "outputs", name))
            self.references(wf, step, (*step.path, "outputs", name), context="outputs", callee=callee)
        for actions in (step.on_success, step.on_failure):
            for a in actions:
                for c in getattr(a, "criteria", ()):
                    self.criterion(wf, step, c.criterion.expressions(), c.path, callee)
        if plan is None:
            return
        if plan.operation is not None:
            self.operation_parameters(wf, step, plan, plan.operation)
            self.operation_body(wf, step, plan.operation)
        elif plan.workflow is not None and plan.workflow_doc is not None:
            self.call_parameters(step, plan)
        elif step.x_operation is not None and body is not None and step.x_operation.method in _NO_BODY_METHODS:
            self.report(
                "warning",
                "body-on-get",
                f"step {step.step_id!r}: a {step.x_operation.method} request should not have a requestBody",
                body.path,
            )

    # -- expressions -----------------------------------------------------------------------------------
    def references(
        self,
        wf: Workflow,
        step: Step | None,
        path: JsonPath,
        *,
        context: str,
        callee: Workflow | None = None,
    ) -> None:
        value = self.raw(path)
        if value is MISSING:
            return
        for expr, at in _expressions_in(value, path):
            self.expression(wf, step, expr, at, context, callee)

    def criterion(
        self, wf: Workflow, step: Step, exprs: list[Expr], path: JsonPath, callee: Workflow | None
    ) -> None:
        for expr in exprs:
            self.expression(wf, step, expr, (*path, "condition"), "criteria", callee)

    def expression(
        self, wf: Workflow, step: Step | None, expr: Expr, path: JsonPath, context: str, callee: Workflow | None
    ) -> None:
        where = f"step {step.step_id!r}: " if step is not None else f"workflow {wf.workflow_id!r}: "
        text = expr.text

        def bad(message: str) -> None:
            self.report("error", "unknown-reference", f"{where}{text}: {message}", path)

        if isinstance(expr, InputsExpr):
            known = self.input_names(self.doc, wf)
            if known is None:
                return
            if not known:
                bad(f"workflow {wf.workflow_id!r} declares no inputs")
            elif _names_of(expr.parts, known) is None:
                bad(f"workflow {wf.workflow_id!r} has no input {expr.parts[0]!r}{suggest(expr.parts[0], known)}")
        elif isinstance(expr, StepsExpr):
            target = wf.step(expr.step_id)
            if target is None:
                ids = [s.step_id for s in wf.steps]
                bad(f"workflow {wf.workflow_id!r} has no step {expr.step_id!r}{suggest(expr.step_id, ids)}")
            elif expr.parts:
                step_outputs = [n for n, _ in target.outputs]
                if not step_outputs:
                    bad(f"step {expr.step_id!r} declares no outputs")
                elif _names_of(expr.parts, step_outputs) is None:
                    bad(
                        f"step {expr.step_id!r} has no output {expr.parts[0]!r}"
                        f"{suggest(expr.parts[0], step_outputs)}"
                    )
        elif isinstance(expr, OutputsExpr):
            names = {n for n, _ in wf.outputs}
            if callee is not None and context in ("criteria", "outputs"):
                names |= {n for n, _ in callee.outputs}
            if _names_of(expr.parts, names) is None:
                owner = f"workflow {callee.workflow_id!r}" if callee is not None else f"workflow {wf.workflow_id!r}"
                bad(f"{owner} has no output {expr.parts[0]!r}{suggest(expr.parts[0], names)}")
        elif isinstance(expr, WorkflowsExpr):
            found = self.all_workflows.get(expr.workflow_id)
            if found is None:
                bad(f"no workflow {expr.workflow_id!r}{suggest(expr.workflow_id, self.workflow_ids)}")
                return
            other_doc, other = found
            if expr.parts:
                if expr.field == "outputs":
                    outputs = [n for n, _ in other.outputs]
                    if _names_of(expr.parts, outputs) is None:
                        bad(
                            f"workflow {other.workflow_id!r} has no output {expr.parts[0]!r}"
                            f"{suggest(expr.parts[0], outputs)}"
                        )
                else:
                    known = self.input_names(other_doc, other)
                    if known is not None and _names_of(expr.parts, known) is None:
                        bad(
                            f"workflow {other.workflow_id!r} has no input {expr.parts[0]!r}"
                            f"{suggest(expr.parts[0], known)}"
                        )
        elif isinstance(expr, SourceDescriptionsExpr):
            if expr.name not in self.source_names:
                bad(f"no source description {expr.name!r}{suggest(expr.name, self.source_names)}")
        elif isinstance(expr, ComponentsExpr):
            table = self.doc.components.raw.get(expr.kind)
            components = table if isinstance(table, Mapping) else {}
            if expr.name not in components:
                bad(f"no component {expr.kind}.{expr.name}{suggest(expr.name, components)}")
        elif context == "request" and (
            isinstance(expr, StatusCodeExpr) or (isinstance(expr, MessageExpr) and expr.response)
        ):
            self.report(
                "warning",
                "response-before-request",
                f"{where}{text} is read while the request is being built, before any response exists; "
                "it has no value here",
                path,
            )

    def output_value(self, wf: Workflow, step: Step | None, name: str, path: JsonPath) -> None:
        """Outputs map names to runtime expressions; a literal value is allowed by this engine but is
        almost always a mistake (a typo in `$response...`, or a constant that belongs in an input)."""
        kind, _ = classify(self.raw(path))
        if kind == "literal":
            owner = f"step {step.step_id!r}" if step is not None else f"workflow {wf.workflow_id!r}"
            self.report(
                "warning",
                "literal-output",
                f"{owner}: output {name!r} is not a runtime expression; it is this literal value",
                path,
            )

    @staticmethod
    def input_names(doc: ArazzoDocument, wf: Workflow) -> set[str] | None:
        """Declared top-level input names (empty: the workflow declares no inputs; None: any name goes)."""
        return declared_input_names(doc, wf)

    def inputs_defaults(self, wf: Workflow) -> None:
        """A default that does not match its input's own type or enum is a mistake in the document."""
        if not isinstance(wf.inputs, Mapping):
            return
        props = wf.inputs.get("properties")
        if not isinstance(props, Mapping):
            return
        for name, raw in props.items():
            schema = input_schema_for(self.doc, wf, str(name))
            if not isinstance(raw, Mapping) or schema is None or "default" not in schema:
                continue
            default = schema["default"]
            path: JsonPath = (*wf.path, "inputs", "properties", name, "default")
            types = schema_types([schema])
            if types is not None and not accepts(types, json_type(default)):
                self.report(
                    "error",
                    "wrong-type",
                    f"workflow {wf.workflow_id!r}: the default of input {name!r} is {json_type(default)}, "
                    f"but the input is declared as {' or '.join(sorted(types))}",
                    path,
                )
            enum = schema.get("enum")
            if isinstance(enum, list) and not any(same(default, e) for e in enum):
                self.report(
                    "error",
                    "not-in-enum",
                    f"workflow {wf.workflow_id!r}: the default of input {name!r} is not one of its enum values",
                    path,
                )

    # -- parameters --------------------------------------------------------------------------------------
    def operation_parameters(self, wf: Workflow, step: Step, plan: StepPlan, op: Operation) -> None:
        security_headers, security_query, security_cookies = _security_names(op)
        host_params = {n for s in op.servers for n in s.host_params}
        given: set[tuple[str, str]] = set()
        for p in plan.parameters:
            if p.in_ not in ("path", "query", "header", "cookie"):
                continue  # a missing or invalid `in` is reported by the structure check
            key = (p.name.lower() if p.in_ == "header" else p.name, p.in_)
            given.add(key)
            if op.param(p.name, p.in_) is not None:
                continue
            if p.in_ == "header" and p.name.lower() in security_headers:
                continue
            if p.in_ == "query" and p.name in security_query:
                continue
            if p.in_ == "cookie" and p.name in security_cookies:
                continue
            if p.in_ == "path" and p.name in host_params:
                continue
            elsewhere = sorted({s.in_ for s in op.parameters.values() if s.name.lower() == p.name.lower()})
            same_in = [s.name for s in op.parameters.values() if s.in_ == p.in_]
            hint = (
                f" (it declares {p.name!r} in: {', '.join(elsewhere)})"
                if elsewhere
                else suggest(p.name, same_in)
            )
            self.report(
                "warning",
                "undeclared-parameter",
                f"step {step.step_id!r}: {op.label} does not declare a {p.in_} parameter {p.name!r}{hint}",
                p.path,
            )
        for spec in op.parameters.values():
            if not spec.required or spec.in_ not in ("path", "query", "header", "cookie"):
                continue
            if spec.in_ == "header" and (
                spec.name.lower() in _IGNORED_HEADERS or spec.name.lower() in security_headers
            ):
                continue
            if spec.in_ == "query" and spec.name in security_query:
                continue
            key = (spec.name.lower() if spec.in_ == "header" else spec.name, spec.in_)
            if key in given:
                continue
            self.report(
                "error",
                "missing-parameter",
                f"step {step.step_id!r}: the required {spec.in_} parameter {spec.name!r} of {op.label} is missing",
                *self.step_anchor(step),
            )

    def step_anchor(self, step: Step) -> tuple[JsonPath, bool]:
        """Where to point for something a step lacks: its `parameters` key, else what it calls."""
        raw = self.raw(step.path)
        fields = raw if isinstance(raw, Mapping) else {}
        if "parameters" in fields:
            return (*step.path, "parameters"), True
        for name in ("operationId", "operationPath", "workflowId", "x-operation"):
            if name in fields:
                return (*step.path, name), False
        return step.path, False

    def report(self, severity: str, code: str, message: str, path: JsonPath, key: bool = False) -> None:
        position = self.doc.parsed.position(path, key=key) or Position(self.doc.file, 1, 1)
        self.sink.append(Problem(severity, message, position, format_pointer([str(p) for p in path]), code))

    def call_parameters(self, step: Step, plan: StepPlan) -> None:
        """A step that calls a workflow passes its parameters as that workflow's inputs."""
        callee, callee_doc = plan.workflow, plan.workflow_doc
        assert callee is not None and callee_doc is not None
        known = self.input_names(callee_doc, callee)
        given = {p.name for p in plan.parameters}
        if known is not None:
            for p in plan.parameters:
                if p.path[: len(step.path)] != step.path:
                    continue  # inherited from the workflow (or a component used there): not this step's choice
                if _names_of(tuple(p.name.split(".")), known) is None and p.name not in known:
                    self.report(
                        "warning",
                        "undeclared-parameter",
                        f"step {step.step_id!r}: workflow {callee.workflow_id!r} has no input {p.name!r}"
                        f"{suggest(p.name, known)}",
                        p.path,
                    )
        for s in _subschemas(callee.inputs, callee_doc):
            required = s.get("required")
            for name in required if isinstance(required, list) else []:
                if not isinstance(name, str) or name in given:
                    continue
                sub = input_schema_for(callee_doc, callee, name)
                if sub is not None and "default" in sub:
                    continue
                self.report(
                    "error",
                    "missing-parameter",
                    f"step {step.step_id!r}: workflow {callee.workflow_id!r} requires the input {name!r}, "
                    "which no parameter of this step gives",
                    *self.step_anchor(step),
                )

    # -- request bodies -------------------------------------------------------------------------------
    def operation_body(self, wf: Workflow, step: Step, op: Operation) -> None:
        body = step.request_body
        prefix = f"step {step.step_id!r}: "
        if body is None:
            if op.body_required:
                self.report(
                    "error",
                    "missing-body",
                    f"{prefix}{op.label} requires a request body, and the step has no requestBody",
                    (*step.path, "operationId" if step.operation_id is not None else "operationPath"),
                )
            return
        if op.method in _NO_BODY_METHODS:
            self.report(
                "warning",
                "body-on-get",
                f"{prefix}{op.label} is a {op.method} request; a requestBody should not be sent with it",
                body.path,
            )
            return
        if not op.media_types and op.body_schema is None:
            self.report(
                "warning",
                "unexpected-body",
                f"{prefix}{op.label} declares no request body; the requestBody is sent anyway",
                body.path,
            )
            return
        if body.content_type is not None and op.media_types and not _media_matches(body.content_type, op.media_types):
            self.report(
                "warning",
                "content-type",
                f"{prefix}{op.label} does not accept {body.content_type!r} "
                f"(it declares {', '.join(op.media_types)})",
                (*body.path, "contentType"),
            )
        if body.payload is None or op.body_schema is None:
            return
        targets: set[tuple[str, ...]] = set()
        for r in body.replacements:
            try:
                targets.add(parse_pointer(r.target))
            except ValueError:
                continue
        checker = PayloadChecker(self.report, self.doc, wf, step, op, targets)
        payload_path: JsonPath = (*body.path, "payload")
        checker.check(op.body_schema, op.description.uri, self.raw(payload_path), payload_path, ())


def _security_names(op: Operation) -> tuple[set[str], set[str], set[str]]:
    """Header (lower-case), query and cookie names that the operation's security schemes put on a request;
    a step may set these itself (e.g. `Authorization: Bearer {$inputs.token}`)."""
    headers: set[str] = set()
    query: set[str] = set()
    cookies: set[str] = set()
    schemes = op.description.security_schemes
    for requirement in op.security or ():
        if not isinstance(requirement, Mapping):
            continue
        for name in requirement:
            scheme = schemes.get(name)
            if not isinstance(scheme, Mapping):
                continue
            kind = str(scheme.get("type", "")).lower()
            if kind == "apikey" and isinstance(scheme.get("name"), str):
                where = scheme.get("in")
                if where == "header":
                    headers.add(scheme["name"].lower())
                elif where == "query":
                    query.add(scheme["name"])
                elif where == "cookie":
                    cookies.add(scheme["name"])
            elif kind in ("http", "oauth2", "openidconnect", "basic"):
                headers.add("authorization")
    return headers, query, cookies


def _media_matches(content_type: str, declared: tuple[str, ...]) -> bool:
    base = content_type.split(";")[0].strip().lower()
    for m in declared:
        d = m.split(";")[0].strip().lower()
        if d in (base, "*/*") or (d.endswith("/*") and base.startswith(d[:-1])):
            return True
    return False
