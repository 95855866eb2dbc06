"""Loading documents: structure checks with file:line:col, versions, sources resolved relative to the
referring document, operations by operationId and operationPath, and the user's workflow warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

import arazzo
from arazzo import DocumentError
from conftest import FIXTURES, HEADER

STEP = """\
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: getItem
        parameters:
          - {name: itemId, in: path, value: x}
"""


def errors_of(exc: DocumentError) -> list[str]:
    return [
        f"{p.position.line if p.position else '?'}: {p.message}"
        for p in exc.problems
        if p.severity == "error"
    ]


def test_fixture_documents_load() -> None:
    for name in ("basic.arazzo.yaml", "lifecycle.arazzo.yaml", "lifecycle-as-given.arazzo.yaml"):
        doc = arazzo.load(FIXTURES / name)
        assert doc.entry.workflows


@pytest.mark.parametrize("version", ["1.0.0", "1.0.1", "1.0.7"])
def test_versions_1_0_x_are_accepted(write_doc, version: str) -> None:
    path = write_doc(HEADER.replace("1.0.1", version) + STEP)
    assert arazzo.load(path).entry.arazzo == version


@pytest.mark.parametrize("version", ["1.1.0", "2.0.0", "1.0"])
def test_other_versions_are_rejected(write_doc, version: str) -> None:
    path = write_doc(HEADER.replace("arazzo: 1.0.1", f"arazzo: '{version}'") + STEP)
    with pytest.raises(DocumentError, match="not supported"):
        arazzo.load(path)


def test_structure_errors_are_all_reported_with_positions(write_doc) -> None:
    path = write_doc(
        HEADER
        + """\
workflows:
  - workflowId: w
    steps:
      - stepId: a
        operationId: getItem
        workflowId: other
      - stepId: a
        operationId: getItem
        parameters:
          - {name: itemId, in: body, value: 1}
          - {name: q, value: 1}
        onFailure:
          - {name: again, type: retry, retryLimit: -1}
          - {name: jump, type: goto, stepId: nowhere}
        successCriteria:
          - condition: $statusCode = 200
"""
    )
    with pytest.raises(DocumentError) as info:
        arazzo.load(path)
    found = errors_of(info.value)
    joined = "\n".join(found)
    assert (
        "8: step 'a' must have exactly one of operationId, operationPath, workflowId or x-operation" in joined
    )
    assert "11: duplicate stepId 'a'" in joined
    assert "in: body' was removed" in joined and "needs 'in'" in joined
    assert "retryLimit must be a non-negative integer" in joined
    assert "stepId 'nowhere' is not a step" in joined
    assert "condition does not parse" in joined
    assert "workflowId 'other' is not a workflow" in joined
    assert all(
        p.position is not None and p.position.file.endswith("flow.arazzo.yaml") for p in info.value.problems
    )


def test_unknown_operation_is_an_error_with_a_suggestion(write_doc) -> None:
    path = write_doc(HEADER + STEP.replace("operationId: getItem", "operationId: getItems"))
    with pytest.raises(DocumentError) as info:
        arazzo.load(path)
    problem = info.value.problems[0]
    assert "operationId 'getItems' not found in testApi (did you mean 'getItem'?)" in problem.message
    assert problem.position is not None and problem.position.line == 9


def test_missing_source_file_is_reported(write_doc) -> None:
    path = write_doc(HEADER.replace("./testapi.openapi.yaml", "./nope.yaml") + STEP)
    with pytest.raises(DocumentError, match="file not found: .*nope.yaml"):
        arazzo.load(path)


def test_sources_resolve_relative_to_the_referring_document(tmp_path: Path, monkeypatch) -> None:
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (tmp_path / "a" / "api.yaml").write_text((FIXTURES / "testapi.openapi.yaml").read_text())
    (tmp_path / "a" / "schemas.yaml").write_text((FIXTURES / "schemas.yaml").read_text())
    (nested / "flow.yaml").write_text(HEADER.replace("./testapi.openapi.yaml", "../api.yaml") + STEP)
    monkeypatch.chdir(tmp_path)  # the process directory must not matter
    doc = arazzo.load(nested / "flow.yaml")
    plan = doc.plan(doc.entry, doc.entry.workflows[0], doc.entry.workflows[0].steps[0])
    assert plan.operation is not None and plan.operation.path == "/items/{itemId}"


def test_operation_path_and_qualified_operation_id(write_doc) -> None:
    path = write_doc(
        HEADER
        + """\
workflows:
  - workflowId: w
    steps:
      - stepId: byPath
        operationPath: '{$sourceDescriptions.testApi.url}#/paths/~1items~1{itemId}/get'
        parameters: [{name: itemId, in: path, value: x}]
      - stepId: qualified
        operationId: $sourceDescriptions.testApi.listItems
"""
    )
    doc = arazzo.load(path)
    wf = doc.entry.workflows[0]
    assert doc.plan(doc.entry, wf, wf.steps[0]).operation.operation_id == "getItem"
    assert doc.plan(doc.entry, wf, wf.steps[1]).operation.operation_id == "listItems"


def test_cross_file_refs_in_the_openapi_description(write_doc) -> None:
    doc = arazzo.load(write_doc(HEADER + STEP))
    op = doc.sources[(doc.entry.uri, "testApi")].by_id["createItem"]
    schema, _ = op.description.resolver.follow(op.body_schema, op.description.uri)
    schema, _ = op.description.resolver.follow(schema, op.description.uri)
    assert schema["required"] == ["name", "tag"]  # from ./schemas.yaml


def test_dependson_cycles_are_detected(write_doc) -> None:
    path = write_doc(
        HEADER
        + """\
workflows:
  - workflowId: a
    dependsOn: [b]
    steps: [{stepId: s, operationId: listItems}]
  - workflowId: b
    dependsOn: [a]
    steps: [{stepId: s, operationId: listItems}]
"""
    )
    with pytest.raises(DocumentError, match="dependsOn cycle"):
        arazzo.load(path)


def test_users_workflow_literal_tokens_are_warned_at_their_lines() -> None:
    from arazzo._build import build_document
    from arazzo._text import parse_text

    path = FIXTURES / "user-workflow-as-given.yml"
    doc = build_document(parse_text(path.read_text(), "user.yml"), path.as_uri())
    warnings = [p for p in doc.problems if "$inputs.authToken" in p.message]
    assert [(w.position.line, w.position.column) for w in warnings] == [
        (76, 14),
        (109, 14),
        (138, 14),
        (175, 14),
        (203, 14),
    ]
    assert all(w.severity == "warning" and "{$inputs.authToken}" in w.message for w in warnings)


def test_openapi_30_and_several_sources_need_qualified_ids(write_doc, tmp_path: Path) -> None:
    text = (FIXTURES / "testapi.openapi.yaml").read_text().replace("openapi: 3.1.0", "openapi: 3.0.3")
    (tmp_path / "second.yaml").write_text(text)
    two = HEADER + "  - {name: second, url: ./second.yaml}\n"
    ambiguous = write_doc(two + STEP, "ambiguous.yaml")
    with pytest.raises(DocumentError, match="exists in several sources; qualify it"):
        arazzo.load(ambiguous)
    qualified = write_doc(
        two + STEP.replace("operationId: getItem", "operationId: $sourceDescriptions.second.getItem"),
        "qualified.yaml",
    )
    doc = arazzo.load(qualified)
    wf = doc.entry.workflows[0]
    op = doc.plan(doc.entry, wf, wf.steps[0]).operation
    assert op.source == "second" and op.description.version == "3.0"
