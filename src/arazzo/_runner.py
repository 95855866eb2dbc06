"""Executing workflows: steps in order, success criteria, actions (end, goto, retry), dependsOn, nested
workflows, outputs, and a step budget. Async; one `_Run` per call, nothing registered on shared objects."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._auth import Authenticator
from ._compiled import Compiled
from ._errors import InputError, Position, Problem, TransportError
from ._expressions import Message, Scope
from ._http import (
    Client,
    HttpOptions,
    ReceivedResponse,
    error_message,
    make_client,
    retry_after_seconds,
    send,
)
from ._inputs import prepare_inputs, secret_values
from ._model import Action, ArazzoDocument, Step, Workflow
from ._plan import Document, StepPlan
from ._record import record
from ._redact import Redactor
from ._request import OutgoingRequest, RequestBuildError, build_request
from ._result import Exchange, ExchangeObserver, RunError, RunResult, RunWarning, StepRecord
from ._schemacheck import missing_required
from ._values import MISSING

__all__ = ["RunOptions", "execute", "Observer"]

Observer = Callable[[str, StepRecord], None]
"""observer(event, record) with event in {"start", "attempt", "end"}; called synchronously, must be quick."""

MAX_WORKFLOW_DEPTH = 32


@record(frozen=True, slots=True)
class RunOptions:
    """Per-run limits: `max_steps` bounds step executions (retries and gotos included)."""

    max_steps: int = 2000
    http: HttpOptions = field(default_factory=HttpOptions)
    credentials: Mapping[str, Any] | None = None
    """Security scheme name (or `<source>.<scheme>`) -> credential; see `_auth`."""


@dataclass(slots=True)  # made per request: a compiled __init__ (dataclass) is ~5x faster than record's
class _Flow:
    """Where the run goes after a step: next, a goto, end or fail."""

    kind: str  # next | goto_step | goto_workflow | end | fail
    target: str | None = None
    status: str = "succeeded"
    error: RunError | None = None


@record(slots=True)
class _Outcome:
    """How a workflow ended: status, outputs and the error if it failed."""

    status: str
    outputs: dict[str, Any]
    error: RunError | None


class _LazyOutputs(Mapping[str, Any]):
    """`$outputs.<name>` while steps run: the workflow output expression evaluated on demand."""

    def __init__(self, outputs: tuple[tuple[str, Compiled], ...], scope: Scope) -> None:
        self._outputs = dict(outputs)
        self._scope = scope
        self._busy: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        if key not in self._outputs or key in self._busy:
            raise KeyError(key)
        self._busy.add(key)
        try:
            value = self._outputs[key].evaluate(self._scope)
        finally:
            self._busy.discard(key)
        if value is MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._outputs)

    def __len__(self) -> int:
        return len(self._outputs)


class _State:
    """One running workflow: its document, inputs, step outputs and the shared scope."""

    __slots__ = ("doc", "wf", "inputs", "steps", "scope", "lazy_outputs")

    def __init__(self, run: _Run, doc: ArazzoDocument, wf: Workflow, inputs: dict[str, Any]) -> None:
        self.doc = doc
        self.wf = wf
        self.inputs = inputs
        self.steps: dict[str, dict[str, Any]] = {}
        self.scope = Scope(
            inputs=inputs,
            steps=self.steps,
            workflows=run.workflow_values,
            sources=run.document.source_info(doc),
            components=doc.components.raw,
        )
        self.lazy_outputs = _LazyOutputs(wf.outputs, self.scope)
        self.scope.outputs = self.lazy_outputs


class _Run:
    def __init__(
        self,
        document: Document,
        client: Client,
        servers: Mapping[str, str],
        options: RunOptions,
        redactor: Redactor,
        observer: Observer | None,
        exchanges: ExchangeObserver | None = None,
    ) -> None:
        self.exchanges = exchanges
        self.document = document
        self.client = client
        self.servers = servers
        self.options = options
        self.redactor = redactor
        self.observer = observer
        self.records: list[StepRecord] = []
        self.warnings: list[Problem] = []
        self._warned: set[tuple[str, str]] = set()
        self.executed = 0
        self.workflow_values: dict[str, dict[str, Any]] = {}
        self.completed: dict[tuple[str, str], _Outcome] = {}
        self.auth = Authenticator(client, options.http, redactor, options.credentials)

    # -- helpers --------------------------------------------------------------------------------------
    def warn(
        self, step: Step, message: str, path: tuple[Any, ...] | None = None, doc: ArazzoDocument | None = None
    ) -> None:
        key = (step.step_id, message)
        if key in self._warned:
            return
        self._warned.add(key)
        position = doc.parsed.position(path) if doc is not None and path is not None else step.position
        self.warnings.append(Problem("warning", f"step {step.step_id!r}: {message}", position))

    def notify(self, event: str, record: StepRecord) -> None:
        if self.observer is not None:
            self.observer(event, record)

    # -- workflows ------------------------------------------------------------------------------------
    async def call(self, doc: ArazzoDocument, wf: Workflow, given: Mapping[str, Any], depth: int) -> _Outcome:
        """Run a workflow with raw inputs (validated here); failures become a failed outcome."""
        try:
            inputs = prepare_inputs(doc, wf, given)
        except InputError as exc:
            return _Outcome("failed", {}, RunError(None, exc.message, None, wf.workflow_id))
        for s in secret_values(doc, wf, inputs):
            self.redactor.add(s)
        return await self.workflow(doc, wf, inputs, depth)

    def _inputs_for(self, doc: ArazzoDocument, wf: Workflow, available: Mapping[str, Any]) -> dict[str, Any]:
        """Inputs passed to a dependency or goto target: the caller's inputs that the target declares."""
        from ._inputs import _subschemas

        names: set[str] = set()
        for s in _subschemas(wf.inputs, doc):
            if isinstance(s.get("properties"), Mapping):
                names |= set(s["properties"])
        return {k: v for k, v in available.items() if k in names}

    async def workflow(
        self, doc: ArazzoDocument, wf: Workflow, inputs: dict[str, Any], depth: int
    ) -> _Outcome:
        if depth > MAX_WORKFLOW_DEPTH:
            return _Outcome(
                "failed",
                {},
                RunError(
                    None, f"workflows nest deeper than {MAX_WORKFLOW_DEPTH} levels", None, wf.workflow_id
                ),
            )
        for dep in wf.depends_on:
            found = self.document.find_workflow(doc, dep)
            if found is None:  # checked at load time; kept for safety
                return _Outcome(
                    "failed", {}, RunError(None, f"dependency {dep!r} not found", None, wf.workflow_id)
                )
            dep_doc, dep_wf = found
            key = (dep_doc.uri, dep_wf.workflow_id)
            if key not in self.completed:
                await self.call(dep_doc, dep_wf, self._inputs_for(dep_doc, dep_wf, inputs), depth + 1)
            outcome = self.completed.get(key)
            if outcome is None or outcome.status != "succeeded":
                reason = outcome.error.message if outcome and outcome.error else "it did not succeed"
                return _Outcome(
                    "failed", {}, RunError(None, f"dependency {dep!r} failed: {reason}", None, wf.workflow_id)
                )
        state = _State(self, doc, wf, inputs)
        self.workflow_values[wf.workflow_id] = {"inputs": inputs, "outputs": {}}
        status, error = "succeeded", None
        index = 0
        steps = wf.steps
        while index < len(steps):
            flow = await self.step(state, steps[index], depth)
            if flow.kind == "next":
                index += 1
            elif flow.kind == "goto_step":
                index = next(i for i, s in enumerate(steps) if s.step_id == flow.target)
            elif flow.kind == "goto_workflow":
                assert flow.target is not None
                found = self.document.find_workflow(doc, flow.target)
                assert found is not None
                outcome = await self.call(
                    found[0], found[1], self._inputs_for(found[0], found[1], inputs), depth + 1
                )
                status, error = outcome.status, outcome.error
                break
            else:  # end | fail
                status, error = flow.status, flow.error
                break
        outputs: dict[str, Any] = {}
        scope = state.scope
        scope.outputs = outputs
        for name, compiled in wf.outputs:
            value = compiled.evaluate(scope)
            if value is not MISSING:
                outputs[name] = value
        outcome = _Outcome(status, outputs, error)
        self.workflow_values[wf.workflow_id] = {"inputs": inputs, "outputs": outputs}
        self.completed[(doc.uri, wf.workflow_id)] = outcome
        return outcome

    # -- steps ----------------------------------------------------------------------------------------
    async def step(self, state: _State, step: Step, depth: int) -> _Flow:
        plan = self.document.plan(state.doc, state.wf, step)
        record = StepRecord(step.step_id, state.wf.workflow_id, plan.label)
        self.records.append(record)
        self.notify("start", record)
        started = time.perf_counter()
        retries: dict[str, int] = {}
        scope = state.scope
        try:
            while True:
                if self.executed >= self.options.max_steps:
                    message = (
                        f"step budget of {self.options.max_steps} step executions exhausted "
                        "(a goto or retry loop?)"
                    )
                    return self._finish(
                        record, started, "failed", message, _Flow("fail", status="failed"), step.position
                    )
                self.executed += 1
                record.attempts += 1
                ok, failure, response = await self.attempt(state, plan, record, depth)
                if ok:
                    for c in step.success_criteria:
                        if not c.criterion.evaluate(scope):
                            ok = False
                            failure = self._criterion_failure(c.condition, response)
                            break
                outputs = {}
                for name, compiled in step.outputs:
                    value = compiled.evaluate(scope)
                    if value is not MISSING:
                        outputs[name] = value
                state.steps[step.step_id] = outputs
                if ok:
                    return self._finish(
                        record, started, "succeeded", None, self._on_success(plan, scope), step.position
                    )
                self.notify("attempt", record)
                decision = await self._on_failure(state, plan, retries, response, record, depth)
                if decision is None:
                    continue  # retry
                return self._finish(record, started, "failed", failure, decision, step.position)
        finally:
            if record.status == "running":  # cancelled (e.g. Ctrl-C): keep the record meaningful
                record.status = "failed"
                record.error = record.error or "interrupted"
                record.duration_ms = (time.perf_counter() - started) * 1000

    def _finish(
        self,
        record: StepRecord,
        started: float,
        status: str,
        message: str | None,
        flow: _Flow,
        position: Position | None = None,
    ) -> _Flow:
        record.status = status
        record.duration_ms = (time.perf_counter() - started) * 1000
        if message is not None:
            record.error = self.redactor.text(message)
        if flow.kind in ("fail", "end") and flow.status == "failed" and flow.error is None:
            flow.error = RunError(
                record.step_id, record.error or "step failed", record.status_code, record.workflow_id, position
            )
        self.notify("end", record)
        return flow

    def _criterion_failure(self, condition: str, response: ReceivedResponse | None) -> str:
        if response is None:
            return f"success criterion not met: {condition}"
        if response.status_code >= 400:
            return f"HTTP {response.status_code}: {error_message(response)}"
        return f"success criterion not met: {condition} (HTTP {response.status_code})"

    def _matches(self, action: Action, scope: Scope) -> bool:
        return all(c.criterion.evaluate(scope) for c in action.criteria)

    def _on_success(self, plan: StepPlan, scope: Scope) -> _Flow:
        for action in plan.on_success:
            if not self._matches(action, scope):
                continue
            if action.type == "end":
                return _Flow("end", status="succeeded")
            if action.step_id is not None:
                return _Flow("goto_step", action.step_id)
            return _Flow("goto_workflow", action.workflow_id)
        return _Flow("next")

    async def _on_failure(
        self,
        state: _State,
        plan: StepPlan,
        retries: dict[str, int],
        response: ReceivedResponse | None,
        record: StepRecord,
        depth: int,
    ) -> _Flow | None:
        """The flow after a failed attempt, or None to retry the step."""
        for action in plan.on_failure:
            if not self._matches(action, state.scope):
                continue
            if action.type == "retry":
                limit = action.retry_limit if action.retry_limit is not None else 1
                used = retries.get(action.name, 0)
                if used >= limit:
                    continue  # exhausted: later failure actions apply
                retries[action.name] = used + 1
                delay = action.retry_after or 0.0
                if response is not None:
                    header = retry_after_seconds(response.headers, self.options.http.max_retry_after)
                    if header is not None:
                        delay = header
                if delay > 0:
                    await asyncio.sleep(delay)
                if action.step_id is not None:
                    target = state.wf.step(action.step_id)
                    if target is not None:
                        await self.step(state, target, depth)
                elif action.workflow_id is not None:
                    found = self.document.find_workflow(state.doc, action.workflow_id)
                    if found is not None:
                        await self.call(
                            found[0], found[1], self._inputs_for(found[0], found[1], state.inputs), depth + 1
                        )
                return None
            if action.type == "end":
                return _Flow("end", status="failed")
            if action.step_id is not None:
                return _Flow("goto_step", action.step_id)
            return _Flow("goto_workflow", action.workflow_id)
        return _Flow("fail", status="failed")

    async def attempt(
        self, state: _State, plan: StepPlan, record: StepRecord, depth: int
    ) -> tuple[bool, str | None, ReceivedResponse | None]:
        """One try of a step; returns (transport/call ok, failure message, response)."""
        scope = state.scope
        scope.request = scope.response = None
        scope.url = scope.method = None
        scope.status_code = None
        scope.outputs = state.lazy_outputs
        step = plan.step
        if plan.workflow is not None:
            return await self._call_step(state, plan, depth)
        try:
            req = build_request(plan, scope, self.servers)
        except RequestBuildError as exc:
            return False, exc.message, None
        if plan.operation is not None:
            try:
                note = await self.auth.apply(plan.operation, req, state.inputs, self._base(plan))
            except TransportError as exc:
                return False, exc.message, None
            if note is not None:
                req.notes.append(note)
        for note in req.notes:
            self.warn(step, note)
        self._learn_secrets(req)
        if plan.operation is not None and req.body is not MISSING:
            missing = missing_required(plan.operation, req.body)
            if missing:
                body_path = (*step.request_body.path, "payload") if step.request_body else None
                names = ", ".join(m.lstrip("/") for m in missing)
                self.warn(
                    step,
                    f"request body is missing required field(s) of {plan.operation.label}: {names} "
                    "(sent anyway)",
                    body_path,
                    state.doc,
                )
        record.method, record.url = req.method, self.redactor.text(req.url)
        scope.url, scope.method = req.url, req.method
        scope.request = Message({k.lower(): v for k, v in req.headers}, req.body, req.query, req.path_params)
        exchange: Exchange | None = None
        if self.exchanges is not None:
            exchange = Exchange(
                step.step_id,
                state.wf.workflow_id,
                record.attempts,
                req.method,
                req.url,
                list(req.headers),
                req.content,
                req.query,
                time.time(),
            )
            self.exchanges("request", exchange)
        sent_at = time.perf_counter()
        try:
            response = await send(self.client, req, self.options.http)
        except TransportError as exc:
            record.status_code = None
            if exchange is not None and self.exchanges is not None:
                exchange.elapsed_ms = (time.perf_counter() - sent_at) * 1000
                exchange.error = exc.message
                self.exchanges("response", exchange)
            return False, exc.message, None
        if exchange is not None and self.exchanges is not None:
            exchange.elapsed_ms = (time.perf_counter() - sent_at) * 1000
            exchange.status_code = response.status_code
            exchange.response_headers = dict(response.headers)
            exchange.response_content = response.raw
            exchange.response_type = response.content_type
            self.exchanges("response", exchange)
        record.status_code = response.status_code
        for note in response.notes:
            self.warn(step, note)
        scope.status_code = response.status_code
        scope.response = Message(response.headers, response.body)
        if response.status_code >= 400:
            record.response_excerpt = self.redactor.text(error_message(response))
        if not step.success_criteria and not 200 <= response.status_code < 300:
            return False, f"HTTP {response.status_code}: {error_message(response)}", response
        return True, None, response

    async def _call_step(
        self, state: _State, plan: StepPlan, depth: int
    ) -> tuple[bool, str | None, ReceivedResponse | None]:
        assert plan.workflow is not None and plan.workflow_doc is not None
        scope = state.scope
        given: dict[str, Any] = {}
        for p in plan.parameters:
            value = p.value.evaluate(scope)
            if value is not MISSING:
                given[p.name] = value
        outcome = await self.call(plan.workflow_doc, plan.workflow, given, depth + 1)
        # While the caller's step reads results, `$outputs` means the called workflow's outputs.
        scope.outputs = outcome.outputs
        if outcome.status != "succeeded":
            reason = outcome.error.message if outcome.error else "it failed"
            return False, f"workflow {plan.workflow.workflow_id!r} failed: {reason}", None
        return True, None, None

    def _base(self, plan: StepPlan) -> str:
        op = plan.operation
        assert op is not None
        override = self.servers.get(op.source)
        if override is not None:
            return override.rstrip("/")
        try:
            return op.servers[0].render({}).rstrip("/")
        except KeyError:
            return ""

    def _learn_secrets(self, req: OutgoingRequest) -> None:
        for name, value in req.headers:
            low = name.lower()
            if low == "cookie":
                for piece in value.split(";"):
                    self.redactor.add(piece.partition("=")[2])
            elif self.redactor.is_sensitive_header(low):
                self.redactor.add(value)
        for name, values in req.query.items():
            if self.redactor.is_sensitive_query(name):
                for v in values:
                    self.redactor.add(v)


async def execute(
    document: Document,
    workflow: Workflow,
    inputs: Mapping[str, Any] | None,
    *,
    servers: Mapping[str, str] | None = None,
    client: Client | None = None,
    options: RunOptions | None = None,
    observer: Observer | None = None,
    redactor: Redactor | None = None,
    exchanges: ExchangeObserver | None = None,
) -> RunResult:
    """Run one workflow of a loaded document. Invalid inputs raise InputError before any request.
    `exchanges` sees every HTTP exchange of the steps (for HAR files and --verbose)."""
    options = options or RunOptions()
    redactor = redactor or Redactor()
    doc = document.entry
    prepared = prepare_inputs(doc, workflow, inputs)
    for s in secret_values(doc, workflow, prepared):
        redactor.add(s)
    own_client = client is None
    http_client = client if client is not None else make_client(options.http)
    run = _Run(document, http_client, dict(servers or {}), options, redactor, observer, exchanges)
    try:
        outcome = await run.workflow(doc, workflow, prepared, 0)
    finally:
        if own_client:
            await http_client.aclose()
    warnings = [
        RunWarning.from_problem(p) for p in (*document.problems, *run.warnings) if p.severity == "warning"
    ]
    error = outcome.error
    if error is not None:
        error = RunError(
            error.step_id, redactor.text(error.message), error.status_code, error.workflow_id, error.position
        )
    return RunResult(
        workflow.workflow_id, outcome.status, outcome.outputs, run.records, error, warnings, redactor
    )
