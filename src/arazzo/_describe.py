"""`arazzo list` and `arazzo describe`: what a document offers, read from the loaded model: workflows,
their inputs (type, required, default), outputs, and steps with the operations they call. Plain text (fast
to start, easy to grep) or JSON. Defaults of `format: password` inputs are masked."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from ._inputs import _deref, _subschemas
from ._model import ArazzoDocument, Workflow
from ._plan import Document
from ._redact import MASK, Redactor
from ._values import MISSING, pointer_get

__all__ = ["list_json", "render_list", "describe_json", "render_description", "workflow_inputs"]


def _shorten(text: str | None, width: int) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _type_text(schema: Mapping[str, Any]) -> str:
    t = schema.get("type")
    text = "/".join(str(x) for x in t) if isinstance(t, list) else str(t) if t is not None else "any"
    if text == "array" and isinstance(schema.get("items"), Mapping) and "type" in schema["items"]:
        text = f"array of {schema['items']['type']}"
    if isinstance(schema.get("format"), str):
        text += f" ({schema['format']})"
    return text


def workflow_inputs(doc: ArazzoDocument, wf: Workflow) -> list[dict[str, Any]]:
    """One entry per declared top-level input: name, type, required, default (masked for passwords),
    enum, description."""
    props: dict[str, Any] = {}
    required: set[str] = set()
    for s in _subschemas(wf.inputs, doc):
        if isinstance(s.get("properties"), Mapping):
            for k, v in s["properties"].items():
                props.setdefault(str(k), v)
        if isinstance(s.get("required"), list):
            required |= {str(r) for r in s["required"]}
    out = []
    for name, raw in props.items():
        schema = _deref(raw, doc)
        schema = schema if isinstance(schema, Mapping) else {}
        entry: dict[str, Any] = {
            "name": name,
            "type": _type_text(schema),
            "required": name in required,
            "description": schema.get("description") if isinstance(schema.get("description"), str) else None,
        }
        if "default" in schema:
            entry["default"] = MASK if schema.get("format") == "password" else schema["default"]
        if isinstance(schema.get("enum"), list):
            entry["enum"] = schema["enum"]
        out.append(entry)
    return out


def _raw(doc: ArazzoDocument, path: tuple[Any, ...]) -> Any:
    value = pointer_get(doc.parsed.value, [str(p) for p in path])
    return None if value is MISSING else value


def _steps(document: Document, wf: Workflow) -> list[dict[str, Any]]:
    doc = document.entry
    out = []
    for step in wf.steps:
        plan = document.plans.get((doc.uri, wf.workflow_id, step.step_id))
        entry: dict[str, Any] = {"stepId": step.step_id, "description": step.description}
        if plan is not None and plan.operation is not None:
            op = plan.operation
            entry.update(
                kind="operation",
                operation=op.label,
                source=op.source,
                method=op.method,
                path=op.path,
            )
        elif step.workflow_id is not None:
            entry.update(kind="workflow", operation=f"workflow {step.workflow_id}", workflow=step.workflow_id)
        elif step.x_operation is not None:
            url = _raw(doc, (*step.x_operation.path, "url"))
            entry.update(
                kind="x-operation",
                operation="x-operation",
                method=step.x_operation.method,
                path=url if isinstance(url, str) else None,
            )
        out.append(entry)
    return out


def _outputs(doc: ArazzoDocument, wf: Workflow) -> list[dict[str, Any]]:
    return [{"name": name, "value": _raw(doc, (*wf.path, "outputs", name))} for name, _ in wf.outputs]


def list_json(document: Document) -> dict[str, Any]:
    doc = document.entry
    return {
        "file": doc.file,
        "title": doc.info.title,
        "version": doc.info.version,
        "workflows": [
            {
                "workflowId": wf.workflow_id,
                "summary": wf.summary,
                "steps": len(wf.steps),
                "inputs": [i["name"] for i in workflow_inputs(doc, wf)],
                "outputs": [name for name, _ in wf.outputs],
            }
            for wf in doc.workflows
        ],
    }


def render_list(document: Document, stream: IO[str]) -> None:
    data = list_json(document)
    rows = [("WORKFLOW", "STEPS", "INPUTS", "SUMMARY")] + [
        (w["workflowId"], str(w["steps"]), str(len(w["inputs"])), _shorten(w["summary"], 70))
        for w in data["workflows"]
    ]
    width = max(len(r[0]) for r in rows)
    stream.write(f"{data['file']}: {data['title']} {data['version']}\n")
    for r in rows:
        stream.write(f"  {r[0]:<{width}}  {r[1]:>5}  {r[2]:>6}  {r[3]}".rstrip() + "\n")
    stream.flush()


def describe_json(document: Document, workflows: list[Workflow]) -> dict[str, Any]:
    doc = document.entry
    redactor = Redactor()
    return {
        "file": doc.file,
        "title": doc.info.title,
        "version": doc.info.version,
        "sources": [{"name": s.name, "url": s.url, "type": s.type} for s in doc.source_descriptions],
        "workflows": [
            {
                "workflowId": wf.workflow_id,
                "summary": wf.summary,
                "description": wf.description,
                "dependsOn": list(wf.depends_on),
                "inputs": redactor.value(workflow_inputs(doc, wf)),
                "outputs": redactor.value(_outputs(doc, wf)),
                "steps": _steps(document, wf),
            }
            for wf in workflows
        ],
    }


def render_description(document: Document, workflows: list[Workflow], stream: IO[str]) -> None:
    data = describe_json(document, workflows)
    w = stream.write
    w(f"{data['file']}: {data['title']} {data['version']}\n")
    for s in data["sources"]:
        w(f"  source {s['name']}: {s['url']}" + (f" ({s['type']})" if s["type"] else "") + "\n")
    for wf in data["workflows"]:
        w(f"\nworkflow {wf['workflowId']}\n")
        if wf["summary"]:
            w(f"  {_shorten(wf['summary'], 110)}\n")
        if wf["dependsOn"]:
            w(f"  depends on: {', '.join(wf['dependsOn'])}\n")
        w("  inputs:\n" if wf["inputs"] else "  inputs: none\n")
        name_w = max((len(i["name"]) for i in wf["inputs"]), default=0)
        type_w = max((len(i["type"]) for i in wf["inputs"]), default=0)
        for i in wf["inputs"]:
            extra = []
            if "default" in i:
                extra.append(f"default {_shorten(json.dumps(i['default'], ensure_ascii=False), 60)}")
            if "enum" in i:
                extra.append("one of " + ", ".join(json.dumps(e, ensure_ascii=False) for e in i["enum"]))
            if i["description"]:
                extra.append(_shorten(i["description"], 70))
            w(
                f"    {i['name']:<{name_w}}  {i['type']:<{type_w}}  "
                f"{'required' if i['required'] else 'optional'}  {'; '.join(extra)}".rstrip()
                + "\n"
            )
        w("  outputs:\n" if wf["outputs"] else "  outputs: none\n")
        out_w = max((len(o["name"]) for o in wf["outputs"]), default=0)
        for o in wf["outputs"]:
            value = o["value"] if isinstance(o["value"], str) else json.dumps(o["value"], ensure_ascii=False)
            w(f"    {o['name']:<{out_w}}  {value}\n")
        w("  steps:\n")
        step_w = max((len(s["stepId"]) for s in wf["steps"]), default=0)
        for n, s in enumerate(wf["steps"], 1):
            call = s.get("operation", "")
            if s.get("method"):
                call += f"  {s['method']} {s.get('path') or ''}"
            w(f"    {n:>2}. {s['stepId']:<{step_w}}  {call}".rstrip() + "\n")
            if s["description"]:
                w(f"        {_shorten(s['description'], 100)}\n")
    stream.flush()
