"""Loading a document with everything it references, and resolving each step once (the "plan"):
its operation or workflow, its effective parameters and its effective success and failure actions."""

from __future__ import annotations

import os
import re
from dataclasses import field
from typing import Any
from urllib.parse import unquote

from ._build import build_document
from ._errors import DocumentError, ExpressionSyntaxError, Position, Problem
from ._expressions import SourceDescriptionsExpr, parse_expression
from ._model import Action, ArazzoDocument, Parameter, Reusable, Step, Workflow
from ._openapi import OpenAPIDescription, Operation, Resolver
from ._record import record
from ._retrieve import Retriever, SourcePolicy, to_uri
from ._values import format_pointer

__all__ = ["Document", "StepPlan", "load"]

_OPERATION_PATH_RE = re.compile(r"\{\$sourceDescriptions\.([A-Za-z0-9_\-]+)\.url\}#(.*)\Z", re.S)


@record(frozen=True, slots=True)
class StepPlan:
    """What a step does, resolved once: one of operation / workflow / x-operation, plus merged lists."""

    step: Step
    operation: Operation | None
    workflow_doc: ArazzoDocument | None
    workflow: Workflow | None
    parameters: tuple[Parameter, ...]
    on_success: tuple[Action, ...]
    on_failure: tuple[Action, ...]

    @property
    def label(self) -> str:
        if self.operation is not None:
            return self.operation.label
        if self.workflow is not None:
            return f"workflow {self.workflow.workflow_id}"
        xo = self.step.x_operation
        return f"{xo.method if xo else '?'} x-operation"


@record
class Document:
    """A loaded, checked Arazzo document and everything it references; reusable for many runs."""

    entry: ArazzoDocument
    docs: dict[str, ArazzoDocument]
    sources: dict[tuple[str, str], OpenAPIDescription | ArazzoDocument]
    plans: dict[tuple[str, str, str], StepPlan] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def workflows(self) -> tuple[Workflow, ...]:
        return self.entry.workflows

    def workflow(self, workflow_id: str | None) -> Workflow:
        """The workflow to run: the one named, else the first; raises UsageError for an unknown id."""
        from ._errors import UsageError

        if workflow_id is None:
            return self.entry.workflows[0]
        wf = self.entry.workflow(workflow_id)
        if wf is None:
            import difflib

            ids = [w.workflow_id for w in self.entry.workflows]
            close = difflib.get_close_matches(workflow_id, ids, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (workflows: {', '.join(ids)})"
            raise UsageError(f"no workflow {workflow_id!r} in {self.entry.file}{hint}")
        return wf

    def plan(self, doc: ArazzoDocument, wf: Workflow, step: Step) -> StepPlan:
        return self.plans[(doc.uri, wf.workflow_id, step.step_id)]

    def find_workflow(self, doc: ArazzoDocument, ref: str) -> tuple[ArazzoDocument, Workflow] | None:
        """A workflow by local id or by `$sourceDescriptions.<name>.<workflowId>`."""
        if ref.startswith("$sourceDescriptions."):
            try:
                expr = parse_expression(ref)
            except ExpressionSyntaxError:
                return None
            if not isinstance(expr, SourceDescriptionsExpr) or not expr.parts:
                return None
            other = self.sources.get((doc.uri, expr.name))
            if not isinstance(other, ArazzoDocument):
                return None
            wf = other.workflow(".".join(expr.parts))
            return (other, wf) if wf is not None else None
        wf = doc.workflow(ref)
        return (doc, wf) if wf is not None else None

    def source_info(self, doc: ArazzoDocument) -> dict[str, dict[str, Any]]:
        """What `$sourceDescriptions.<name>.*` reads for a document."""
        out: dict[str, dict[str, Any]] = {}
        for s in doc.source_descriptions:
            loaded = self.sources.get((doc.uri, s.name))
            info: dict[str, Any] = {"name": s.name, "url": s.url, "type": s.type}
            if isinstance(loaded, OpenAPIDescription):
                info.update({k: k for k in loaded.by_id})
            elif isinstance(loaded, ArazzoDocument):
                info.update({w.workflow_id: w.workflow_id for w in loaded.workflows})
            out[s.name] = info
        return out


class _Loader:
    def __init__(self, retriever: Retriever, *, lenient: bool = False) -> None:
        self.lenient = lenient  # keep documents with errors (validation reports everything it can)
        self.retriever = retriever
        self.resolver = Resolver(retriever)
        self.problems: list[Problem] = []
        self.docs: dict[str, ArazzoDocument] = {}
        self.sources: dict[tuple[str, str], OpenAPIDescription | ArazzoDocument] = {}
        self.openapi: dict[tuple[str, str], OpenAPIDescription] = {}

    def error(self, message: str, position: Position | None, json_path: str = "", code: str = "unresolved") -> None:
        self.problems.append(Problem("error", message, position, json_path, code))

    def arazzo(self, uri: str, referrer: str | None, where: Position | None) -> ArazzoDocument:
        if uri in self.docs:
            return self.docs[uri]
        parsed = self.retriever.fetch(uri, referrer=referrer, where=where)
        doc = build_document(parsed, uri, lenient=self.lenient)
        self.docs[uri] = doc
        self.problems.extend(doc.problems)
        for s in doc.source_descriptions:
            target = self.retriever.resolve(s.url, uri)
            try:
                if s.type == "arazzo" or (
                    s.type is None and self._sniff(target, uri, s.position) == "arazzo"
                ):
                    self.sources[(uri, s.name)] = self.arazzo(target, uri, s.position)
                else:
                    key = (target, s.name)
                    if key not in self.openapi:
                        raw = self.retriever.fetch(
                            target, positions=False, referrer=uri, where=s.position
                        ).value
                        self.openapi[key] = OpenAPIDescription(s.name, target, raw, self.resolver, s.position)
                    self.sources[(uri, s.name)] = self.openapi[key]
            except DocumentError as exc:
                if exc.problems:
                    self.problems.extend(exc.problems)
                else:
                    self.error(f"source description {s.name!r}: {exc.message}", exc.position or s.position)
        return doc

    def _sniff(self, target: str, referrer: str, where: Position | None) -> str:
        value = self.retriever.fetch(target, positions=False, referrer=referrer, where=where).value
        return "arazzo" if isinstance(value, dict) and "arazzo" in value else "openapi"

    # -- plans ----------------------------------------------------------------------------------------
    def plan_all(self, document: Document) -> None:
        for doc in self.docs.values():
            for wf in doc.workflows:
                for step in wf.steps:
                    plan = self.plan_step(document, doc, wf, step)
                    if plan is not None:
                        document.plans[(doc.uri, wf.workflow_id, step.step_id)] = plan

    def _pos(self, doc: ArazzoDocument, path: tuple[Any, ...]) -> tuple[Position | None, str]:
        return doc.parsed.position(path), format_pointer([str(p) for p in path])

    def plan_step(self, document: Document, doc: ArazzoDocument, wf: Workflow, step: Step) -> StepPlan | None:
        operation: Operation | None = None
        target: tuple[ArazzoDocument, Workflow] | None = None
        if step.operation_id is not None:
            operation = self.by_operation_id(doc, step)
            if operation is None:
                return None
        elif step.operation_path is not None:
            operation = self.by_operation_path(doc, step)
            if operation is None:
                return None
        elif step.workflow_id is not None:
            target = document.find_workflow(doc, step.workflow_id)
            if target is None:
                self.error(
                    f"step {step.step_id!r}: workflow {step.workflow_id!r} not found",
                    *self._pos(doc, (*step.path, "workflowId")),
                )
                return None
        params = self.parameters(doc, wf, step)
        on_success = self.actions(doc, step.on_success, wf.success_actions, "success")
        on_failure = self.actions(doc, step.on_failure, wf.failure_actions, "failure")
        for a in (*on_success, *on_failure):
            if a.workflow_id is not None and document.find_workflow(doc, a.workflow_id) is None:
                self.error(
                    f"action {a.name!r}: workflow {a.workflow_id!r} not found",
                    *self._pos(doc, (*a.path, "workflowId")),
                )
            if a.step_id is not None and wf.step(a.step_id) is None:
                self.error(
                    f"action {a.name!r} (used by step {step.step_id!r}): stepId {a.step_id!r} is not a "
                    f"step of workflow {wf.workflow_id!r}",
                    *self._pos(doc, (*a.path, "stepId")),
                )
        return StepPlan(
            step,
            operation,
            target[0] if target else None,
            target[1] if target else None,
            params,
            on_success,
            on_failure,
        )

    def openapi_sources(self, doc: ArazzoDocument) -> list[OpenAPIDescription]:
        return [
            s
            for s in (self.sources.get((doc.uri, sd.name)) for sd in doc.source_descriptions)
            if isinstance(s, OpenAPIDescription)
        ]

    def by_operation_id(self, doc: ArazzoDocument, step: Step) -> Operation | None:
        ref = step.operation_id or ""
        where = self._pos(doc, (*step.path, "operationId"))
        if ref.startswith("$sourceDescriptions."):
            try:
                expr = parse_expression(ref)
            except ExpressionSyntaxError as exc:
                self.error(
                    f"step {step.step_id!r}: operationId {ref!r} does not parse: {exc.message}", *where
                )
                return None
            if not isinstance(expr, SourceDescriptionsExpr) or not expr.parts:
                self.error(
                    f"step {step.step_id!r}: operationId {ref!r} must be "
                    "$sourceDescriptions.<name>.<operationId>",
                    *where,
                )
                return None
            source = self.sources.get((doc.uri, expr.name))
            op_id = ".".join(expr.parts)
            if not isinstance(source, OpenAPIDescription):
                self.error(
                    f"step {step.step_id!r}: {expr.name!r} is not a loaded OpenAPI source description", *where
                )
                return None
            candidates = [source]
        else:
            op_id = ref
            candidates = self.openapi_sources(doc)
        found = [s.by_id[op_id] for s in candidates if op_id in s.by_id]
        if not found:
            import difflib

            known = sorted({k for s in candidates for k in s.by_id})
            close = difflib.get_close_matches(op_id, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            names = ", ".join(s.name for s in candidates)
            within = f"not found in {names}" if names else "has no OpenAPI source description that loaded to look in"
            self.error(f"step {step.step_id!r}: operationId {op_id!r} {within}{hint}", *where)
            return None
        if len(found) > 1:
            self.error(
                f"step {step.step_id!r}: operationId {op_id!r} exists in several sources; qualify it as "
                f"$sourceDescriptions.<name>.{op_id}",
                *where,
            )
            return None
        if len(candidates) > 1 and not ref.startswith("$"):
            self.problems.append(
                Problem(
                    "warning",
                    f"step {step.step_id!r}: with several source descriptions, "
                    f"operationId should be written $sourceDescriptions."
                    f"{found[0].source}.{op_id}",
                    *where,
                    "unqualified-operation",
                )
            )
        return found[0]

    def by_operation_path(self, doc: ArazzoDocument, step: Step) -> Operation | None:
        ref = step.operation_path or ""
        where = self._pos(doc, (*step.path, "operationPath"))
        m = _OPERATION_PATH_RE.match(ref)
        if m is None:
            self.error(
                f"step {step.step_id!r}: operationPath must look like "
                "'{$sourceDescriptions.<name>.url}#/paths/~1pets/get'",
                *where,
            )
            return None
        source = self.sources.get((doc.uri, m.group(1)))
        if not isinstance(source, OpenAPIDescription):
            self.error(
                f"step {step.step_id!r}: {m.group(1)!r} is not a loaded OpenAPI source description", *where
            )
            return None
        op = source.find_pointer(m.group(2)) or source.find_pointer(unquote(m.group(2)))
        if op is None:
            self.error(f"step {step.step_id!r}: no operation at {m.group(2)!r} in {source.name}", *where)
        return op

    def parameters(self, doc: ArazzoDocument, wf: Workflow, step: Step) -> tuple[Parameter, ...]:
        def resolve(items: tuple[Parameter | Reusable, ...]) -> list[Parameter]:
            out = []
            for p in items:
                if isinstance(p, Reusable):
                    base = doc.components.parameters.get(p.reference.name)
                    if base is None:
                        continue
                    if p.value is not None:
                        base = Parameter(base.name, base.in_, p.value, p.position, p.path)
                    out.append(base)
                else:
                    out.append(p)
            return out

        def key(p: Parameter) -> tuple[str, str | None]:
            return (p.name.lower() if p.in_ == "header" else p.name, p.in_)

        step_params = resolve(step.parameters)
        overridden = {key(p) for p in step_params}
        merged = [p for p in resolve(wf.parameters) if key(p) not in overridden]
        return tuple([*merged, *step_params])

    def actions(
        self,
        doc: ArazzoDocument,
        own: tuple[Action | Reusable, ...],
        inherited: tuple[Action | Reusable, ...],
        kind: str,
    ) -> tuple[Action, ...]:
        table = doc.components.success_actions if kind == "success" else doc.components.failure_actions

        def resolve(items: tuple[Action | Reusable, ...]) -> list[Action]:
            out = []
            for a in items:
                if isinstance(a, Reusable):
                    target = table.get(a.reference.name)
                    if target is not None:
                        out.append(target)
                else:
                    out.append(a)
            return out

        mine = resolve(own)
        names = {a.name for a in mine}
        return tuple([*mine, *(a for a in resolve(inherited) if a.name not in names)])


def load(
    location: str | os.PathLike[str],
    *,
    policy: SourcePolicy | None = None,
    retriever: Retriever | None = None,
) -> Document:
    """Load an Arazzo document, its source descriptions and referenced documents, and plan every step.

    Raises DocumentError (with every problem found) when anything is invalid."""
    retriever = retriever or Retriever(policy)
    loader = _Loader(retriever)
    uri = to_uri(location)
    try:
        entry = loader.arazzo(uri, None, None)
    except DocumentError as exc:
        if not exc.problems:
            exc.problems = (Problem("error", exc.message, exc.position),)
        raise
    document = Document(entry, loader.docs, loader.sources)
    if not any(p.severity == "error" for p in loader.problems):
        loader.plan_all(document)
    document.problems = _dedupe(loader.problems)
    errors = [p for p in document.problems if p.severity == "error"]
    if errors:
        raise DocumentError(errors[0].message, position=errors[0].position, problems=tuple(document.problems))
    return document


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for p in problems:
        k = (p.severity, p.message, str(p.position))
        if k not in seen:
            seen.add(k)
            out.append(p)
    return out
