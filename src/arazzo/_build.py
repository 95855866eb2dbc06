"""Turning a parsed Arazzo document into the typed model, checking its structure as it goes.

Every problem carries its file:line:col; errors stop the run (exit 2), warnings are reported."""

from __future__ import annotations

import re
from typing import Any

from ._compiled import Compiled, compile_value
from ._criteria import CriterionError, build_criterion
from ._errors import DocumentError, ExpressionSyntaxError, Problem
from ._expressions import ComponentsExpr, parse_expression
from ._model import (
    Action,
    ArazzoDocument,
    Components,
    CriterionObject,
    Info,
    Parameter,
    PayloadReplacement,
    RequestBody,
    Reusable,
    SourceDescription,
    Step,
    Workflow,
    XOperation,
)
from ._text import JsonPath, ParsedText
from ._values import format_pointer

__all__ = ["build_document", "SUPPORTED_VERSIONS"]

SUPPORTED_VERSIONS = re.compile(r"1\.0\.\d+\Z")
_ID_PATTERN = re.compile(r"[A-Za-z0-9_\-]+\Z")
_KEY_PATTERN = re.compile(r"[a-zA-Z0-9.\-_]+\Z")
_METHODS = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE")

# Fixed fields per object (Arazzo 1.0.1 §Schema); `x-` fields are always allowed besides these.
FIELDS: dict[str, frozenset[str]] = {
    "root": frozenset({"arazzo", "info", "sourceDescriptions", "workflows", "components"}),
    "info": frozenset({"title", "summary", "description", "version"}),
    "source": frozenset({"name", "url", "type"}),
    "workflow": frozenset(
        {
            "workflowId",
            "summary",
            "description",
            "inputs",
            "dependsOn",
            "steps",
            "successActions",
            "failureActions",
            "outputs",
            "parameters",
        }
    ),
    "step": frozenset(
        {
            "description",
            "stepId",
            "operationId",
            "operationPath",
            "workflowId",
            "parameters",
            "requestBody",
            "successCriteria",
            "onSuccess",
            "onFailure",
            "outputs",
        }
    ),
    "parameter": frozenset({"name", "in", "value"}),
    "success": frozenset({"name", "type", "workflowId", "stepId", "criteria"}),
    "failure": frozenset({"name", "type", "workflowId", "stepId", "retryAfter", "retryLimit", "criteria"}),
    "components": frozenset({"inputs", "parameters", "successActions", "failureActions"}),
    "criterion": frozenset({"context", "condition", "type"}),
    "requestBody": frozenset({"contentType", "payload", "replacements"}),
    "replacement": frozenset({"target", "value"}),
    "x-operation": frozenset({"url", "method"}),
}


class _Builder:
    def __init__(self, parsed: ParsedText, uri: str) -> None:
        self.parsed = parsed
        self.uri = uri
        self.problems: list[Problem] = []

    # -- reporting -------------------------------------------------------------------------------------
    def report(
        self, severity: str, message: str, path: JsonPath, code: str = "structure", *, key: bool = False
    ) -> None:
        self.problems.append(
            Problem(
                severity,
                message,
                self.parsed.position(path, key=key),
                format_pointer([str(p) for p in path]),
                code,
            )
        )

    def error(self, message: str, path: JsonPath, *, key: bool = False, code: str = "structure") -> None:
        self.report("error", message, path, code, key=key)

    def warn(self, message: str, path: JsonPath) -> None:
        self.report("warning", message, path)

    def compile(self, value: Any, path: JsonPath) -> Compiled:
        return compile_value(value, path, self.report_expression)

    def report_expression(self, severity: str, message: str, path: JsonPath) -> None:
        """compile_value's findings: literal text that looks like an expression, or one that does not parse."""
        code = "literal-expression" if "literal text here" in message else "expression-syntax"
        self.report(severity, message, path, code)

    # -- field helpers --------------------------------------------------------------------------------
    def obj(self, value: Any, path: JsonPath, what: str, kind: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(f"{what} must be an object", path)
            return None
        allowed = FIELDS[kind]
        for k in value:
            if k in allowed:
                continue
            if k.startswith("x-"):
                if k.startswith(("x-oai-", "x-oas-", "x-arazzo")):
                    self.warn(f"extension {k!r} uses a prefix reserved by the OpenAPI Initiative", (*path, k))
                continue
            self.warn(f"unknown field {k!r} in {what} (ignored; extensions must start with 'x-')", (*path, k))
        return value

    def string(
        self, d: dict[str, Any], name: str, path: JsonPath, what: str, *, required: bool = False
    ) -> str | None:
        if name not in d:
            if required:
                self.error(f"{what} is missing the required field {name!r}", path)
            return None
        value = d[name]
        if not isinstance(value, str):
            self.error(f"{what}: {name!r} must be a string, not {_type_name(value)}", (*path, name))
            return None
        return value

    def array(
        self, d: dict[str, Any], name: str, path: JsonPath, what: str, *, required: bool = False
    ) -> list[Any]:
        if name not in d:
            if required:
                self.error(f"{what} is missing the required field {name!r}", path)
            return []
        value = d[name]
        if not isinstance(value, list):
            self.error(f"{what}: {name!r} must be a list, not {_type_name(value)}", (*path, name))
            return []
        return value

    def extensions(self, d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k.startswith("x-")}

    # -- document -------------------------------------------------------------------------------------
    def build(self, lenient: bool = False) -> ArazzoDocument:
        root = self.obj(self.parsed.value, (), "the Arazzo document", "root")
        if root is None:
            raise DocumentError("not an Arazzo document", problems=tuple(self.problems))
        version = root.get("arazzo")
        if "arazzo" not in root:
            self.error("not an Arazzo document: the 'arazzo' version field is missing", ())
        elif not isinstance(version, str):
            self.error(f"'arazzo' must be a version string such as '1.0.1', not {version!r}", ("arazzo",))
        elif not SUPPORTED_VERSIONS.match(version):
            self.error(f"Arazzo version {version!r} is not supported (this engine runs 1.0.x)", ("arazzo",))
        info = self.info(root.get("info"), ("info",)) if "info" in root else None
        if info is None and "info" not in root:
            self.error("the document is missing the required field 'info'", ())
        sources = self.sources(root)
        components = self.components(root.get("components"), ("components",))
        raw_workflows = self.array(root, "workflows", (), "the document", required=True)
        if "workflows" in root and not raw_workflows:
            self.error("'workflows' must have at least one entry", ("workflows",))
        workflows: list[Workflow] = []
        seen: set[str] = set()
        for i, raw in enumerate(raw_workflows):
            wf = self.workflow(raw, ("workflows", i), components, sources)
            if wf is None:
                continue
            if wf.workflow_id in seen:
                self.error(
                    f"duplicate workflowId {wf.workflow_id!r}", ("workflows", i, "workflowId"), code="duplicate-id"
                )
            seen.add(wf.workflow_id)
            workflows.append(wf)
        self.check_cross_references(workflows, sources)
        self.problems.sort(key=lambda p: (p.position.line, p.position.column) if p.position else (0, 0))
        doc = ArazzoDocument(
            arazzo=version if isinstance(version, str) else "",
            info=info or Info("", ""),
            source_descriptions=tuple(sources),
            workflows=tuple(workflows),
            components=components,
            extensions=self.extensions(root),
            uri=self.uri,
            parsed=self.parsed,
            problems=tuple(self.problems),
        )
        if not lenient and any(p.severity == "error" for p in self.problems):
            first = next(p for p in self.problems if p.severity == "error")
            raise DocumentError(first.message, position=first.position, problems=tuple(self.problems))
        return doc

    def info(self, raw: Any, path: JsonPath) -> Info | None:
        d = self.obj(raw, path, "info", "info")
        if d is None:
            return None
        title = self.string(d, "title", path, "info", required=True)
        version = self.string(d, "version", path, "info", required=True)
        return Info(
            title or "",
            version or "",
            self.string(d, "summary", path, "info"),
            self.string(d, "description", path, "info"),
        )

    def sources(self, root: dict[str, Any]) -> list[SourceDescription]:
        raw_list = self.array(root, "sourceDescriptions", (), "the document", required=True)
        if "sourceDescriptions" in root and not raw_list:
            self.error("'sourceDescriptions' must have at least one entry", ("sourceDescriptions",))
        out: list[SourceDescription] = []
        names: set[str] = set()
        for i, raw in enumerate(raw_list):
            path: JsonPath = ("sourceDescriptions", i)
            d = self.obj(raw, path, "a source description", "source")
            if d is None:
                continue
            name = self.string(d, "name", path, "a source description", required=True)
            url = self.string(d, "url", path, f"source description {name!r}", required=True)
            type_ = self.string(d, "type", path, f"source description {name!r}")
            if type_ is not None and type_ not in ("openapi", "arazzo"):
                self.error(
                    f"source description type must be 'openapi' or 'arazzo', not {type_!r}", (*path, "type")
                )
            if name is None or url is None:
                continue
            if name in names:
                self.error(f"duplicate source description name {name!r}", (*path, "name"), code="duplicate-id")
            if not _ID_PATTERN.match(name):
                self.warn(f"source description name {name!r} should match [A-Za-z0-9_-]+", (*path, "name"))
            names.add(name)
            out.append(SourceDescription(name, url, type_, self.parsed.position(path), path))
        return out

    # -- components -----------------------------------------------------------------------------------
    def components(self, raw: Any, path: JsonPath) -> Components:
        if raw is None:
            return Components({}, {}, {}, {}, {})
        d = self.obj(raw, path, "components", "components")
        if d is None:
            return Components({}, {}, {}, {}, {})
        tables: dict[str, dict[str, Any]] = {}
        for kind in ("inputs", "parameters", "successActions", "failureActions"):
            table = d.get(kind, {})
            if not isinstance(table, dict):
                self.error(f"components.{kind} must be an object", (*path, kind))
                table = {}
            for key in table:
                if not _KEY_PATTERN.match(key):
                    self.error(
                        f"component name {key!r} must match ^[a-zA-Z0-9.-_]+$", (*path, kind, key), key=True
                    )
            tables[kind] = table
        params: dict[str, Parameter] = {}
        for key, value in tables["parameters"].items():
            p = self.parameter(value, (*path, "parameters", key), for_workflow_step=None)
            if isinstance(p, Parameter):
                params[key] = p
        succ = {
            k: a
            for k, v in tables["successActions"].items()
            if isinstance(a := self.action(v, (*path, "successActions", k), "success"), Action)
        }
        fail = {
            k: a
            for k, v in tables["failureActions"].items()
            if isinstance(a := self.action(v, (*path, "failureActions", k), "failure"), Action)
        }
        return Components(tables["inputs"], params, succ, fail, d)

    # -- workflow -------------------------------------------------------------------------------------
    def workflow(
        self, raw: Any, path: JsonPath, components: Components, sources: list[SourceDescription]
    ) -> Workflow | None:
        d = self.obj(raw, path, "a workflow", "workflow")
        if d is None:
            return None
        wid = self.string(d, "workflowId", path, "a workflow", required=True)
        if wid is None:
            return None
        what = f"workflow {wid!r}"
        if not _ID_PATTERN.match(wid):
            self.warn(f"workflowId {wid!r} should match [A-Za-z0-9_-]+", (*path, "workflowId"))
        inputs = d.get("inputs")
        if inputs is not None and not isinstance(inputs, (dict, bool)):
            self.error(f"{what}: 'inputs' must be a JSON Schema object", (*path, "inputs"))
        depends: list[str] = []
        for j, dep in enumerate(self.array(d, "dependsOn", path, what)):
            if not isinstance(dep, str):
                self.error(f"{what}: dependsOn entries must be workflow ids", (*path, "dependsOn", j))
            else:
                depends.append(dep)
        raw_steps = self.array(d, "steps", path, what, required=True)
        if "steps" in d and not raw_steps:
            self.error(f"{what} has no steps", (*path, "steps"))
        steps: list[Step] = []
        step_ids: set[str] = set()
        for j, rs in enumerate(raw_steps):
            step = self.step(rs, (*path, "steps", j), wid)
            if step is None:
                continue
            if step.step_id in step_ids:
                self.error(
                    f"duplicate stepId {step.step_id!r} in {what}", (*path, "steps", j, "stepId"), code="duplicate-id"
                )
            step_ids.add(step.step_id)
            steps.append(step)
        wf = Workflow(
            workflow_id=wid,
            summary=self.string(d, "summary", path, what),
            description=self.string(d, "description", path, what),
            inputs=inputs,
            depends_on=tuple(depends),
            steps=tuple(steps),
            success_actions=self.actions(d, "successActions", path, "success"),
            failure_actions=self.actions(d, "failureActions", path, "failure"),
            outputs=self.outputs(d, path, what),
            parameters=self.parameters(d, path, for_workflow_step=None),
            position=self.parsed.position(path),
            path=path,
            extensions=self.extensions(d),
        )
        self.check_references(wf, components)
        return wf

    def outputs(self, d: dict[str, Any], path: JsonPath, what: str) -> tuple[tuple[str, Compiled], ...]:
        raw = d.get("outputs")
        if raw is None:
            return ()
        if not isinstance(raw, dict):
            self.error(f"{what}: 'outputs' must be a map of names to runtime expressions", (*path, "outputs"))
            return ()
        out = []
        for name, value in raw.items():
            if not _KEY_PATTERN.match(name):
                self.error(
                    f"output name {name!r} must match ^[a-zA-Z0-9.-_]+$", (*path, "outputs", name), key=True
                )
            out.append((name, self.compile(value, (*path, "outputs", name))))
        return tuple(out)

    # -- step -----------------------------------------------------------------------------------------
    def step(self, raw: Any, path: JsonPath, wid: str) -> Step | None:
        d = self.obj(raw, path, "a step", "step")
        if d is None:
            return None
        sid = self.string(d, "stepId", path, f"a step of workflow {wid!r}", required=True)
        if sid is None:
            return None
        what = f"step {sid!r}"
        if not _ID_PATTERN.match(sid):
            self.warn(f"stepId {sid!r} should match [A-Za-z0-9_-]+", (*path, "stepId"))
        kinds = [k for k in ("operationId", "operationPath", "workflowId", "x-operation") if k in d]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            self.error(
                f"{what} must have exactly one of operationId, operationPath, workflowId or x-operation "
                f"(found: {found})",
                path,
                code="step-target",
            )
        x_op = (
            self.x_operation(d["x-operation"], (*path, "x-operation"), what) if "x-operation" in d else None
        )
        is_workflow = "workflowId" in d
        body = (
            self.request_body(d.get("requestBody"), (*path, "requestBody"), what)
            if "requestBody" in d
            else None
        )
        if body is not None and is_workflow:
            self.warn(f"{what} calls a workflow; its requestBody is ignored", (*path, "requestBody"))
        return Step(
            step_id=sid,
            description=self.string(d, "description", path, what),
            operation_id=self.string(d, "operationId", path, what),
            operation_path=self.string(d, "operationPath", path, what),
            workflow_id=self.string(d, "workflowId", path, what),
            x_operation=x_op,
            parameters=self.parameters(d, path, for_workflow_step=is_workflow),
            request_body=body,
            success_criteria=self.criteria(d, "successCriteria", path, what),
            on_success=self.actions(d, "onSuccess", path, "success"),
            on_failure=self.actions(d, "onFailure", path, "failure"),
            outputs=self.outputs(d, path, what),
            position=self.parsed.position(path),
            path=path,
            extensions=self.extensions(d),
        )

    def x_operation(self, raw: Any, path: JsonPath, what: str) -> XOperation | None:
        if not isinstance(raw, dict):
            self.error(f"{what}: x-operation must be an object with 'url' and 'method'", path)
            return None
        for k in raw:
            if k not in FIELDS["x-operation"] and not k.startswith("x-"):
                self.warn(f"unknown field {k!r} in x-operation (ignored)", (*path, k))
        url = self.string(raw, "url", path, f"{what} x-operation", required=True)
        method = self.string(raw, "method", path, f"{what} x-operation", required=True)
        if method is not None and method.upper() not in _METHODS:
            self.error(f"{what}: x-operation method {method!r} is not an HTTP method", (*path, "method"))
        if url is None or method is None:
            return None
        return XOperation(self.compile(url, (*path, "url")), method.upper(), self.parsed.position(path), path)

    def request_body(self, raw: Any, path: JsonPath, what: str) -> RequestBody | None:
        d = self.obj(raw, path, f"{what} requestBody", "requestBody")
        if d is None:
            return None
        replacements: list[PayloadReplacement] = []
        for i, r in enumerate(self.array(d, "replacements", path, f"{what} requestBody")):
            rp: JsonPath = (*path, "replacements", i)
            rd = self.obj(r, rp, "a payload replacement", "replacement")
            if rd is None:
                continue
            target = self.string(rd, "target", rp, "a payload replacement", required=True)
            if "value" not in rd:
                self.error("a payload replacement is missing the required field 'value'", rp)
                continue
            if target is not None:
                replacements.append(
                    PayloadReplacement(
                        target, self.compile(rd["value"], (*rp, "value")), self.parsed.position(rp), rp
                    )
                )
        payload = self.compile(d["payload"], (*path, "payload")) if "payload" in d else None
        return RequestBody(
            self.string(d, "contentType", path, f"{what} requestBody"),
            payload,
            tuple(replacements),
            self.parsed.position(path),
            path,
        )

    # -- parameters -----------------------------------------------------------------------------------
    def parameters(
        self, d: dict[str, Any], path: JsonPath, *, for_workflow_step: bool | None
    ) -> tuple[Parameter | Reusable, ...]:
        out: list[Parameter | Reusable] = []
        seen: set[tuple[str, str | None]] = set()
        for i, raw in enumerate(self.array(d, "parameters", path, "parameters")):
            p = self.parameter(raw, (*path, "parameters", i), for_workflow_step=for_workflow_step)
            if p is None:
                continue
            if isinstance(p, Parameter):
                key = (p.name.lower() if p.in_ == "header" else p.name, p.in_)
                if key in seen:
                    self.error(
                        f"duplicate parameter {p.name!r} (in: {p.in_})", (*path, "parameters", i), code="duplicate-id"
                    )
                seen.add(key)
            out.append(p)
        return tuple(out)

    def parameter(
        self, raw: Any, path: JsonPath, *, for_workflow_step: bool | None
    ) -> Parameter | Reusable | None:
        if isinstance(raw, dict) and "reference" in raw:
            return self.reusable(raw, path, "parameters")
        d = self.obj(raw, path, "a parameter", "parameter")
        if d is None:
            return None
        name = self.string(d, "name", path, "a parameter", required=True)
        in_ = self.string(d, "in", path, f"parameter {name!r}")
        if in_ == "body":
            self.error(
                f"parameter {name!r}: 'in: body' was removed in Arazzo 1.0.1; use requestBody",
                (*path, "in"),
                code="in-body",
            )
        elif in_ is not None and in_ not in ("path", "query", "header", "cookie"):
            self.error(
                f"parameter {name!r}: 'in' must be path, query, header or cookie, not {in_!r}", (*path, "in")
            )
        elif in_ is None and for_workflow_step is False:
            self.error(
                f"parameter {name!r} needs 'in' (path, query, header or cookie) for an operation step", path
            )
        if "value" not in d:
            self.error(f"parameter {name!r} is missing the required field 'value'", path)
            return None
        if name is None:
            return None
        return Parameter(
            name,
            in_,
            self.compile(d["value"], (*path, "value")),
            self.parsed.position(path),
            path,
            d["value"],
        )

    def reusable(self, raw: dict[str, Any], path: JsonPath, kind: str) -> Reusable | None:
        ref = raw.get("reference")
        if not isinstance(ref, str):
            self.error(
                "a Reusable Object's 'reference' must be a runtime expression string", (*path, "reference")
            )
            return None
        try:
            expr = parse_expression(ref)
        except ExpressionSyntaxError as exc:
            self.error(f"reference {ref!r} is not a runtime expression: {exc.message}", (*path, "reference"))
            return None
        if not isinstance(expr, ComponentsExpr) or expr.kind != kind:
            self.error(f"reference {ref!r} must point at $components.{kind}.<name>", (*path, "reference"))
            return None
        value = None
        if "value" in raw:
            if kind != "parameters":
                self.warn("'value' only applies to parameter references (ignored)", (*path, "value"))
            else:
                value = self.compile(raw["value"], (*path, "value"))
        return Reusable(expr, value, self.parsed.position(path), path)

    # -- actions --------------------------------------------------------------------------------------
    def actions(
        self, d: dict[str, Any], field: str, path: JsonPath, kind: str
    ) -> tuple[Action | Reusable, ...]:
        out: list[Action | Reusable] = []
        names: set[str] = set()
        for i, raw in enumerate(self.array(d, field, path, field)):
            ap: JsonPath = (*path, field, i)
            a: Action | Reusable | None
            if isinstance(raw, dict) and "reference" in raw:
                a = self.reusable(raw, ap, "successActions" if kind == "success" else "failureActions")
            else:
                a = self.action(raw, ap, kind)
            if isinstance(a, Action):
                if a.name in names:
                    self.error(f"duplicate action name {a.name!r} in {field}", (*ap, "name"), code="duplicate-id")
                names.add(a.name)
            if a is not None:
                out.append(a)
        return tuple(out)

    def action(self, raw: Any, path: JsonPath, kind: str) -> Action | None:
        what = f"a {kind} action"
        d = self.obj(raw, path, what, kind)
        if d is None:
            return None
        name = self.string(d, "name", path, what, required=True)
        type_ = self.string(d, "type", path, what, required=True)
        allowed = ("end", "goto") if kind == "success" else ("end", "retry", "goto")
        if type_ is not None and type_ not in allowed:
            self.error(
                f"{kind} action {name!r}: type must be one of {', '.join(allowed)}, not {type_!r}",
                (*path, "type"),
            )
        step_id = self.string(d, "stepId", path, what)
        workflow_id = self.string(d, "workflowId", path, what)
        if step_id is not None and workflow_id is not None:
            self.error(f"{kind} action {name!r}: stepId and workflowId are mutually exclusive", path)
        if type_ == "goto" and step_id is None and workflow_id is None:
            self.error(f"{kind} action {name!r}: goto needs a stepId or a workflowId", path)
        retry_after = d.get("retryAfter")
        if retry_after is not None and (
            isinstance(retry_after, bool) or not isinstance(retry_after, (int, float)) or retry_after < 0
        ):
            self.error(
                f"{kind} action {name!r}: retryAfter must be a non-negative number of seconds",
                (*path, "retryAfter"),
            )
            retry_after = None
        retry_limit = d.get("retryLimit")
        if retry_limit is not None and (
            isinstance(retry_limit, bool) or not isinstance(retry_limit, int) or retry_limit < 0
        ):
            self.error(
                f"{kind} action {name!r}: retryLimit must be a non-negative integer", (*path, "retryLimit")
            )
            retry_limit = None
        if type_ != "retry" and ("retryAfter" in d or "retryLimit" in d):
            self.warn(f"{kind} action {name!r}: retryAfter/retryLimit only apply to retry actions", path)
        if name is None or type_ is None:
            return None
        return Action(
            name,
            type_,
            step_id,
            workflow_id,
            float(retry_after) if retry_after is not None else None,
            retry_limit,
            self.criteria(d, "criteria", path, f"action {name!r}"),
            self.parsed.position(path),
            path,
        )

    def criteria(
        self, d: dict[str, Any], field: str, path: JsonPath, what: str
    ) -> tuple[CriterionObject, ...]:
        out = []
        for i, raw in enumerate(self.array(d, field, path, what)):
            cp: JsonPath = (*path, field, i)
            cd = self.obj(raw, cp, "a criterion", "criterion")
            if cd is None:
                continue
            condition = self.string(cd, "condition", cp, "a criterion", required=True)
            context = self.string(cd, "context", cp, "a criterion")
            type_ = cd.get("type")
            if condition is None:
                continue
            try:
                crit = build_criterion(condition, type_, context)
            except ExpressionSyntaxError as exc:
                self.error(f"{what}: condition does not parse: {exc}", (*cp, "condition"), code="criterion-syntax")
                continue
            except CriterionError as exc:
                self.error(f"{what}: {exc}", (*cp, "condition"), code="criterion-syntax")
                continue
            out.append(CriterionObject(crit, self.parsed.position((*cp, "condition")), cp))
        return tuple(out)

    # -- references between parts of the document ----------------------------------------------------
    def check_references(self, wf: Workflow, components: Components) -> None:
        step_ids = {s.step_id for s in wf.steps}

        def check_actions(actions: tuple[Action | Reusable, ...], table: dict[str, Action]) -> None:
            for a in actions:
                if isinstance(a, Reusable):
                    if a.reference.name not in table:
                        self.error(
                            f"reference {a.reference.text!r} does not exist in components",
                            a.path,
                            code="unknown-reference",
                        )
                    continue
                if a.step_id is not None and a.step_id not in step_ids:
                    self.error(
                        f"action {a.name!r}: stepId {a.step_id!r} is not a step of workflow "
                        f"{wf.workflow_id!r}{_suggest(a.step_id, step_ids)}",
                        (*a.path, "stepId"),
                        code="unknown-reference",
                    )

        def check_params(params: tuple[Parameter | Reusable, ...]) -> None:
            for p in params:
                if isinstance(p, Reusable) and p.reference.name not in components.parameters:
                    self.error(
                        f"reference {p.reference.text!r} does not exist in components.parameters",
                        p.path,
                        code="unknown-reference",
                    )

        check_actions(wf.success_actions, components.success_actions)
        check_actions(wf.failure_actions, components.failure_actions)
        check_params(wf.parameters)
        for s in wf.steps:
            check_actions(s.on_success, components.success_actions)
            check_actions(s.on_failure, components.failure_actions)
            check_params(s.parameters)

    def check_cross_references(self, workflows: list[Workflow], sources: list[SourceDescription]) -> None:
        ids = {w.workflow_id for w in workflows}
        arazzo_sources = {s.name for s in sources if s.type == "arazzo"}

        def check(ref: str, path: JsonPath, what: str) -> None:
            if ref.startswith("$sourceDescriptions."):
                name = ref.split(".")[1] if ref.count(".") >= 2 else ""
                if name not in {s.name for s in sources}:
                    self.error(f"{what} {ref!r} names an unknown source description", path, code="unknown-reference")
                elif name not in arazzo_sources and any(
                    s.name == name and s.type is not None for s in sources
                ):
                    self.error(f"{what} {ref!r}: source {name!r} is not an arazzo source", path)
                return
            if ref not in ids:
                self.error(
                    f"{what} {ref!r} is not a workflow of this document{_suggest(ref, ids)}",
                    path,
                    code="unknown-reference",
                )

        for w in workflows:
            for j, dep in enumerate(w.depends_on):
                check(dep, (*w.path, "dependsOn", j), "dependsOn")
            for s in w.steps:
                if s.workflow_id is not None:
                    check(s.workflow_id, (*s.path, "workflowId"), f"step {s.step_id!r}: workflowId")
            for a in (
                *w.success_actions,
                *w.failure_actions,
                *(a for s in w.steps for a in (*s.on_success, *s.on_failure)),
            ):
                if isinstance(a, Action) and a.workflow_id is not None:
                    check(a.workflow_id, (*a.path, "workflowId"), f"action {a.name!r}: workflowId")
        self.check_cycles(workflows)

    def check_cycles(self, workflows: list[Workflow]) -> None:
        graph = {w.workflow_id: [d for d in w.depends_on if not d.startswith("$")] for w in workflows}
        state: dict[str, int] = {}

        def visit(node: str, trail: list[str]) -> None:
            state[node] = 1
            for nxt in graph.get(node, []):
                if state.get(nxt) == 1:
                    cycle = " -> ".join([*trail[trail.index(nxt) :], nxt]) if nxt in trail else nxt
                    wf = next(w for w in workflows if w.workflow_id == node)
                    self.error(f"dependsOn cycle: {cycle}", (*wf.path, "dependsOn"))
                elif state.get(nxt) is None and nxt in graph:
                    visit(nxt, [*trail, nxt])
            state[node] = 2

        for w in workflows:
            if w.workflow_id not in state:
                visit(w.workflow_id, [w.workflow_id])


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _suggest(name: str, candidates: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def build_document(parsed: ParsedText, uri: str, *, lenient: bool = False) -> ArazzoDocument:
    """Check and convert a parsed Arazzo document; raises DocumentError listing every error found.

    lenient=True (for `arazzo validate`) returns what could be built, its problems in `.problems`, and
    raises only when the text is not an Arazzo document at all."""
    return _Builder(parsed, uri).build(lenient)
