"""Workflows calling workflows: arazzo sources, components scoped to their document, dependsOn, steps that
call workflows, workflow-level parameters and actions, goto workflowId; and Swagger 2.0 sources."""

from __future__ import annotations

import arazzo
from conftest import FIXTURES, HEADER


def test_cross_document_workflows_dependson_and_scoped_components(api_base: str) -> None:
    result = arazzo.run_sync(FIXTURES / "multi.arazzo.yaml", "main", servers={"testApi": api_base})
    assert result.status == "succeeded", result.error
    out = result.outputs
    # the library's own components gave the input default; the workflow-level reference with a value override
    # replaced the component's value in `fetch` only where `main` set it (here `fetch` has its own parameter)
    assert out["tag"] == "library-tag" and out["fetchedName"] == "main-item"
    assert out["trace"] == "from-components"
    assert out["prepared"] >= 1 and out["preparedKey"] == "k"
    ids = [s.step_id for s in result.steps]
    assert ids == [
        "count",
        "viaLibrary",
        "create",
        "local",
        "get",
    ]  # dependency first; a caller before its callee


def test_library_components_stay_in_the_library(api, api_base: str) -> None:
    arazzo.run_sync(FIXTURES / "multi.arazzo.yaml", "main", servers={"testApi": api_base})
    creates = [e for e in api.state.log if e["path"] == "/api/items" and e["method"] == "POST"]
    # the library step used the library's `trace` component, not the caller's override
    assert creates[-1]["headers"]["x-trace"] == "from-library"


def test_goto_workflow_from_a_reusable_failure_action(api_base: str) -> None:
    result = arazzo.run_sync(FIXTURES / "multi.arazzo.yaml", "fallback", servers={"testApi": api_base})
    assert [s.step_id for s in result.steps] == ["notFound", "list"]
    assert result.status == "succeeded"  # the goto target's outcome is the workflow's outcome


def test_step_actions_override_workflow_actions_by_name(api_base: str) -> None:
    result = arazzo.run_sync(
        FIXTURES / "multi.arazzo.yaml", "workflowDefaults", servers={"testApi": api_base}
    )
    # step-level `again` (limit 2) replaced the workflow's `again`; then the workflow's `toEnd` applied;
    # `toEnd` comes first in the workflow list but the step's own list is consulted before it
    assert [(s.step_id, s.attempts) for s in result.steps] == [("first", 3)]
    assert result.status == "failed"


def test_swagger_2_source_with_parameterized_host(write_doc, api, api_base: str) -> None:
    doc = write_doc(
        HEADER.replace("./testapi.openapi.yaml", "./testapi.swagger.json")
        + f"""\
workflows:
  - workflowId: w
    parameters:
      - {{name: endpoint, in: path, value: "{api.url}"}}
    steps:
      - stepId: create
        operationId: Items_Create
        requestBody:
          payload: {{name: swagger, tag: two}}
        successCriteria: [{{condition: $statusCode == 201}}]
        outputs: {{id: $response.body#/id}}
      - stepId: get
        operationId: Items_Get
        parameters: [{{name: itemId, in: path, value: $steps.create.outputs.id}}]
        outputs: {{name: $response.body#/name}}
      - stepId: list
        operationId: Items_List
        parameters:
          - {{name: ids, in: query, value: [a, b]}}
          - {{name: names, in: query, value: [x, y]}}
      - stepId: echo
        operationId: Echo_Get
        parameters:
          - {{name: p, in: path, value: z}}
          - {{name: csv, in: query, value: [a, b]}}
          - {{name: ssv, in: query, value: [c, d]}}
        outputs: {{query: $response.body#/rawQuery}}
    outputs:
      name: $steps.get.outputs.name
      query: $steps.echo.outputs.query
"""
    )
    result = arazzo.run_sync(doc)
    assert result.status == "succeeded", result.error
    assert result.outputs == {"name": "swagger", "query": "csv=a,b&ssv=c%20d"}
    lists = [e for e in api.state.log if e["path"] == "/api/items" and e["method"] == "GET"]
    assert lists[-1]["query"] == "ids=a&ids=b&names=x|y"


def test_inputs_ref_to_components(write_doc, api_base: str) -> None:
    doc = write_doc(
        HEADER
        + """\
workflows:
  - workflowId: w
    inputs: {$ref: '#/components/inputs/page'}
    steps:
      - stepId: list
        operationId: listItems
        parameters: [{name: limit, in: query, value: $inputs.size}]
    outputs: {size: $inputs.size}
components:
  inputs:
    page:
      type: object
      properties:
        size: {type: integer, format: int32, default: 5}
"""
    )
    assert arazzo.run_sync(doc, servers={"testApi": api_base}).outputs == {"size": 5}
    try:
        arazzo.run_sync(doc, inputs={"size": 2**40}, servers={"testApi": api_base})
    except arazzo.InputError as exc:
        assert "input 'size'" in exc.message and "int32" in exc.message
    else:
        raise AssertionError("an int32 out of range must be refused")


def test_reusable_parameter_with_a_value_override(write_doc, api, api_base: str) -> None:
    doc = write_doc(
        HEADER
        + """\
workflows:
  - workflowId: w
    parameters:
      - {reference: $components.parameters.limit}
    steps:
      - stepId: plain
        operationId: listItems
      - stepId: overridden
        operationId: listItems
        parameters:
          - {reference: $components.parameters.limit, value: 2}
          - {reference: $components.parameters.tag, value: blue}
        outputs: {count: $response.body#/count}
      - stepId: byName
        operationId: listItems
        parameters: [{name: limit, in: query, value: 3}]
components:
  parameters:
    limit: {name: limit, in: query, value: 1}
    tag: {name: tag, in: query, value: none}
"""
    )
    result = arazzo.run_sync(doc, servers={"testApi": api_base})
    assert result.status == "succeeded", result.error
    queries = [e["query"] for e in api.state.log if e["path"] == "/api/items" and e["method"] == "GET"][-3:]
    assert queries == ["limit=1", "limit=2&tag=blue", "limit=3"]
