"""`arazzo validate`: static checks with exact positions, on the user's workflow as given, on every workflow
that ships with the project, and one check at a time on small documents against the test API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arazzo._validate import validate
from conftest import HEADER, run_cli

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "workflows"
USERS = WORKFLOWS / "microsoft-quantum-session-lifecycle-workflow.yml"


def findings(path: Path, *, infos: bool = False) -> list[tuple[int, int, str, str, str]]:
    return [
        (p.position.line, p.position.column, p.severity, p.code, p.message)
        for p in validate(path)
        if p.position is not None and (infos or p.severity != "info")
    ]


def codes(path: Path) -> list[tuple[int, str, str]]:
    return [(line, severity, code) for line, _col, severity, code, _m in findings(path)]


def test_users_workflow_as_given_reports_exactly_the_thirteen_mistakes() -> None:
    import arazzo

    assert [str(p) for p in arazzo.validate(USERS)] == [str(p) for p in validate(USERS)]  # the public name
    got = [(line, col, severity) for line, col, severity, _code, _m in findings(USERS)]
    missing = [(95, 9, "error")] * 4 + [(157, 9, "error")] * 4
    literal = [(line, 14, "warning") for line in (76, 109, 138, 175, 203)]
    assert got == sorted(missing + literal)
    messages = [m for *_, m in findings(USERS)]
    for step, op in (("openSession", "Sessions_Open"), ("createSessionJob", "Jobs_Create")):
        for field in ("name", "providerId", "target", "itemType"):
            assert f"step {step!r}: request body of {op} is missing the required field {field!r}" in messages
    assert sum("'Bearer $inputs.authToken' contains '$inputs.authToken'" in m for m in messages) == 5


def test_users_workflow_through_the_cli_text_and_json() -> None:
    proc = run_cli("validate", str(USERS))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 13
    name = str(USERS.relative_to(Path.cwd())) if USERS.is_relative_to(Path.cwd()) else str(USERS)
    assert lines[0].startswith(f"{name}:76:14: warning: 'Bearer $inputs.authToken' contains")
    assert lines[1] == (
        f"{name}:95:9: error: step 'openSession': request body of Sessions_Open is missing the required field 'name'"
    )
    assert "8 error(s), 5 warning(s)" in proc.stderr
    proc = run_cli("validate", str(USERS), "--format", "json")
    assert proc.returncode == 2
    report = json.loads(proc.stdout)
    assert report["valid"] is False and report["errors"] == 8 and report["warnings"] == 5
    assert report["infos"] == 3  # id twice and quantumComputingData: read-only members, counted but not shown
    first = report["diagnostics"][1]
    assert first == {
        "file": name,
        "line": 95,
        "column": 9,
        "severity": "error",
        "code": "missing-required-field",
        "message": "step 'openSession': request body of Sessions_Open is missing the required field 'name'",
        "jsonPath": "/workflows/0/steps/0/requestBody/payload",
    }


SHIPPED = sorted(p for p in WORKFLOWS.glob("*.y*ml") if p != USERS)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_workflow_validates_without_warnings(path: Path) -> None:
    assert findings(path) == []
    proc = run_cli("validate", str(path))
    assert proc.returncode == 0 and proc.stdout == "" and "valid: 0 error(s), 0 warning(s)" in proc.stderr


def test_read_only_members_sent_are_notes_not_warnings() -> None:
    corrected = WORKFLOWS / "session-lifecycle.arazzo.yaml"
    notes = [(line, code, m) for line, _c, severity, code, m in findings(corrected, infos=True) if severity == "info"]
    assert [(line, code) for line, code, _ in notes] == [
        (126, "read-only-field"),
        (234, "read-only-field"),
        (246, "read-only-field"),
    ]
    assert "field 'quantumComputingData' is read-only; the server ignores it" in notes[2][2]
    proc = run_cli("validate", str(corrected), "--info")
    assert proc.returncode == 0 and proc.stdout.count(": info: ") == 3


def doc(write_doc, steps: str, *, inputs: str = "", outputs: str = "", extra: str = "") -> Path:
    """A one-workflow document against the test API; `steps` is the YAML of the step list (6 spaces)."""
    text = HEADER + "workflows:\n  - workflowId: w\n"
    if inputs:
        text += "    inputs:\n" + inputs
    text += "    steps:\n" + steps
    if outputs:
        text += "    outputs:\n" + outputs
    return write_doc(text + extra)


def test_unknown_steps_outputs_and_inputs_with_did_you_mean(write_doc) -> None:
    path = doc(
        write_doc,
        """\
      - stepId: create
        operationId: createItem
        requestBody: {payload: {name: $inputs.nmae, tag: x}}
        outputs: {itemId: $response.body#/id}
      - stepId: get
        operationId: getItem
        parameters:
          - {name: itemId, in: path, value: $steps.create.outputs.itemID}
          - {name: X-Trace, in: header, value: "t-{$steps.craete.outputs.itemId}"}
        successCriteria:
          - condition: $outputs.ids != null
""",
        inputs="      type: object\n      properties:\n        name: {type: string}\n",
        outputs="      id: $steps.get.outputs.id\n",
    )
    got = [(line, col, m) for line, col, severity, code, m in findings(path) if code == "unknown-reference"]
    assert got == [
        (14, 39, "step 'create': $inputs.nmae: workflow 'w' has no input 'nmae' (did you mean 'name'?)"),
        (
            19,
            45,
            "step 'get': $steps.create.outputs.itemID: step 'create' has no output 'itemID' "
            "(did you mean 'itemId'?)",
        ),
        (
            20,
            48,
            "step 'get': $steps.craete.outputs.itemId: workflow 'w' has no step 'craete' (did you mean 'create'?)",
        ),
        (22, 24, "step 'get': $outputs.ids: workflow 'w' has no output 'ids' (did you mean 'id'?)"),
        (24, 11, "workflow 'w': $steps.get.outputs.id: step 'get' declares no outputs"),
    ]


def test_workflows_components_and_sources_references(write_doc) -> None:
    path = doc(
        write_doc,
        """\
      - stepId: s
        operationId: listItems
        parameters:
          - {name: tag, in: query, value: $components.inputs.colour}
        outputs:
          a: $workflows.other.outputs.totl
          b: $workflows.othr.outputs.total
          c: $sourceDescriptions.testAPI.url
""",
        extra="""\
  - workflowId: other
    steps:
      - {stepId: t, operationId: listItems, outputs: {n: $response.body#/count}}
    outputs: {total: $steps.t.outputs.n}
components:
  inputs:
    color: {type: string}
""",
    )
    got = [m for _l, _c, _s, code, m in findings(path) if code == "unknown-reference"]
    assert got == [
        "step 's': $components.inputs.colour: no component inputs.colour (did you mean 'color'?)",
        "step 's': $workflows.other.outputs.totl: workflow 'other' has no output 'totl' (did you mean 'total'?)",
        "step 's': $workflows.othr.outputs.total: no workflow 'othr' (did you mean 'other'?)",
        "step 's': $sourceDescriptions.testAPI.url: no source description 'testAPI' (did you mean 'testApi'?)",
    ]


def test_goto_and_depends_on_targets_and_unique_ids(write_doc) -> None:
    path = write_doc(
        HEADER
        + """\
workflows:
  - workflowId: w
    dependsOn: [prepar]
    steps:
      - stepId: a
        operationId: listItems
        onSuccess: [{name: next, type: goto, stepId: bb}]
      - stepId: b
        operationId: listItems
        onFailure: [{name: other, type: goto, workflowId: prepare2}]
      - stepId: b
        operationId: listItems
  - workflowId: prepare
    steps: [{stepId: p, operationId: listItems}]
  - workflowId: prepare
    steps: [{stepId: p, operationId: listItems}]
"""
    )
    got = [(line, severity, code) for line, _c, severity, code, _m in findings(path)]
    assert got == [
        (7, "error", "unknown-reference"),
        (11, "error", "unknown-reference"),
        (14, "error", "unknown-reference"),
        (15, "error", "duplicate-id"),
        (19, "error", "duplicate-id"),
    ]
    messages = [m for *_, m in findings(path)]
    assert "dependsOn 'prepar' is not a workflow of this document (did you mean 'prepare'?)" in messages
    assert any("stepId 'bb' is not a step of workflow 'w' (did you mean 'b'?)" in m for m in messages)


def test_exactly_one_target_and_unresolvable_operations(write_doc) -> None:
    path = doc(
        write_doc,
        """\
      - {stepId: none}
      - {stepId: two, operationId: listItems, workflowId: w}
""",
    )
    assert [(line, code) for line, _c, _s, code, _m in findings(path)] == [
        (8, "step-target"),
        (9, "step-target"),
    ]
    path = doc(
        write_doc,
        """\
      - {stepId: a, operationId: listItem}
      - {stepId: b, operationPath: '{$sourceDescriptions.testApi.url}#/paths/~1nothing/get'}
      - {stepId: c, workflowId: nowhere}
""",
    )
    got = [(line, code, m) for line, _c, _s, code, m in findings(path)]
    assert got[0] == (
        8,
        "unresolved",
        "step 'a': operationId 'listItem' not found in testApi (did you mean 'listItems'?)",
    )
    assert got[1][:2] == (9, "unresolved") and "no operation at '/paths/~1nothing/get'" in got[1][2]
    assert got[2][:2] == (10, "unknown-reference") and "'nowhere' is not a workflow" in got[2][2]


def test_structure_unknown_fields_extensions_and_in_body(write_doc) -> None:
    path = doc(
        write_doc,
        """\
      - stepId: s
        operationId: listItems
        x-oai-thing: 1
        x-ours: fine
        paramters: []
        parameters:
          - {name: tag, in: body, value: x}
""",
    )
    got = [(line, severity, code) for line, _c, severity, code, _m in findings(path)]
    assert got == [(10, "warning", "structure"), (12, "warning", "structure"), (14, "error", "in-body")]
    assert "unknown field 'paramters' in a step" in findings(path)[1][4]


def test_bad_expressions_and_criteria(write_doc) -> None:
    path = doc(
        write_doc,
        """\
      - stepId: s
        operationId: listItems
        parameters:
          - {name: tag, in: query, value: $inputs.}
          - {name: limit, in: query, value: "{$steps.x}"}
        successCriteria:
          - condition: $statusCode ==
          - {condition: '[', context: $response.body, type: regex}
""",
    )
    got = [(line, severity, code) for line, _c, severity, code, _m in findings(path)]
    assert got == [
        (11, "warning", "expression-syntax"),
        (12, "warning", "expression-syntax"),
        (14, "error", "criterion-syntax"),
        (15, "error", "criterion-syntax"),
    ]


def test_literal_expression_text_is_a_warning_at_the_value(write_doc) -> None:
    path = doc(
        write_doc,
        """\
      - stepId: s
        operationId: getItem
        parameters:
          - {name: itemId, in: path, value: "item-$inputs.id"}
""",
        inputs="      type: object\n      properties:\n        id: {type: string}\n",
    )
    assert [(line, col, code) for line, col, _s, code, _m in findings(path)] == [(15, 45, "literal-expression")]


def test_parameters_against_the_operation(write_doc) -> None:
    path = doc(
        write_doc,
        """\
      - stepId: get
        operationId: getItem
        parameters:
          - {name: X-Trce, in: header, value: t}
          - {name: itemId, in: query, value: q}
      - stepId: secured
        operationId: secureBearer
        parameters:
          - {name: Authorization, in: header, value: Bearer abc}
      - stepId: apiKeys
        operationId: secureQuery
        parameters:
          - {name: api_key, in: query, value: k}
      - stepId: unsecured
        operationId: listItems
        parameters:
          - {name: Authorization, in: header, value: Bearer abc}
""",
    )
    got = [(line, severity, code, m) for line, _c, severity, code, m in findings(path)]
    assert got == [
        (
            10,
            "error",
            "missing-parameter",
            "step 'get': the required path parameter 'itemId' of getItem is missing",
        ),
        (
            11,
            "warning",
            "undeclared-parameter",
            "step 'get': getItem does not declare a header parameter 'X-Trce' (did you mean 'X-Trace'?)",
        ),
        (
            12,
            "warning",
            "undeclared-parameter",
            "step 'get': getItem does not declare a query parameter 'itemId' (it declares 'itemId' in: path)",
        ),
        (
            24,
            "warning",
            "undeclared-parameter",
            "step 'unsecured': listItems does not declare a header parameter 'Authorization'",
        ),
    ]


def test_payloads_against_the_request_schema(write_doc) -> None:
    path = doc(
        write_doc,
        """\
      - stepId: create
        operationId: createItem
        requestBody:
          payload:
            name: 5
            labels: [ok, 7]
      - stepId: put
        operationId: putItem
        parameters: [{name: itemId, in: path, value: i}]
        requestBody:
          payload: {id: i, name: n, tag: $inputs.count}
      - stepId: open
        operationId: Sessions_Open
        parameters:
          - {name: sessionId, in: path, value: s}
          - {name: api-version, in: query, value: v}
        requestBody:
          payload: {name: n, providerId: p, target: t, itemType: "{$inputs.kind}"}
          replacements: [{target: /jobFailurePolicy, value: Abort}]
""",
        inputs="      type: object\n      properties:\n        count: {type: integer}\n        kind: {type: string}\n",
    )
    got = [(line, col, severity, code, m) for line, col, severity, code, m in findings(path, infos=True)]
    assert got == [
        (
            17,
            13,
            "error",
            "missing-required-field",
            "step 'create': request body of createItem is missing the required field 'tag'",
        ),
        (
            17,
            19,
            "error",
            "wrong-type",
            "step 'create': request body of createItem: field 'name' must be string, not integer",
        ),
        (
            18,
            26,
            "error",
            "wrong-type",
            "step 'create': request body of createItem: field 'labels.1' must be string, not integer",
        ),
        (
            23,
            21,
            "info",
            "read-only-field",
            "step 'put': request body of putItem: field 'id' is read-only; the server ignores it",
        ),
        (
            23,
            42,
            "warning",
            "input-type",
            "step 'put': request body of putItem: field 'tag' must be string, but $inputs.count is declared as integer",
        ),
    ]


def test_enums_and_closed_objects(write_doc) -> None:
    path = write_doc(
        HEADER.replace("./testapi.openapi.yaml", "./enum.openapi.yaml")
        + """\
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: make
        requestBody:
          payload: {kind: Sesion, extra: 1, nested: {level: 3}}
"""
    )
    (path.parent / "enum.openapi.yaml").write_text(
        """\
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /make:
    post:
      operationId: make
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              properties:
                kind: {type: string, enum: [Session, Job]}
                extras: {type: integer}
                nested:
                  type: object
                  properties: {level: {type: integer, enum: [1, 2], nullable: true}}
      responses: {'200': {description: ok}}
"""
    )
    got = [(line, col, severity, code, m) for line, col, severity, code, m in findings(path)]
    prefix = "step 's': request body of make"
    assert got == [
        (11, 27, "error", "not-in-enum", f"{prefix}: field 'kind' is 'Sesion', not one of 'Session', 'Job'"),
        (11, 35, "warning", "unknown-field", f"{prefix} has no field 'extra' (did you mean 'extras'?)"),
        (11, 61, "error", "not-in-enum", f"{prefix}: field 'nested.level' is 3, not one of 1, 2"),
    ]


def test_request_bodies_on_get_and_responses_read_too_early(write_doc) -> None:
    path = doc(
        write_doc,
        """\
      - stepId: s
        operationId: listItems
        parameters:
          - {name: tag, in: query, value: $response.body#/tag}
        requestBody: {payload: {a: 1}}
      - stepId: up
        x-operation: {url: 'http://example.test/x', method: GET}
        requestBody: {payload: {a: 1}}
      - stepId: sessions
        operationId: Sessions_Open
        parameters:
          - {name: sessionId, in: path, value: s}
          - {name: api-version, in: query, value: v}
""",
    )
    got = [(line, severity, code) for line, _c, severity, code, _m in findings(path)]
    assert got == [
        (11, "warning", "response-before-request"),
        (12, "warning", "body-on-get"),
        (15, "warning", "body-on-get"),
        (17, "error", "missing-body"),
    ]


def test_steps_calling_workflows_pass_declared_inputs(write_doc) -> None:
    path = doc(
        write_doc,
        """\
      - stepId: call
        workflowId: callee
        parameters:
          - {name: nmae, value: x}
""",
        extra="""\
  - workflowId: callee
    inputs:
      type: object
      required: [name, tag]
      properties:
        name: {type: string}
        tag: {type: string, default: t}
    steps: [{stepId: t, operationId: listItems}]
""",
    )
    got = [(line, severity, code, m) for line, _c, severity, code, m in findings(path)]
    assert got == [
        (
            10,
            "error",
            "missing-parameter",
            "step 'call': workflow 'callee' requires the input 'name', which no parameter of this step gives",
        ),
        (
            11,
            "warning",
            "undeclared-parameter",
            "step 'call': workflow 'callee' has no input 'nmae' (did you mean 'name'?)",
        ),
    ]


def test_input_defaults_must_match_their_schema(write_doc) -> None:
    path = doc(
        write_doc,
        "      - {stepId: s, operationId: listItems}\n",
        inputs="""\
      type: object
      properties:
        limit: {type: integer, default: ten}
        mode: {type: string, enum: [a, b], default: c}
""",
    )
    assert [(line, code) for line, _c, _s, code, _m in findings(path)] == [(10, "wrong-type"), (11, "not-in-enum")]


def test_several_documents_strict_and_missing_files(write_doc, tmp_path: Path) -> None:
    good = doc(write_doc, "      - {stepId: s, operationId: listItems}\n")
    warned = write_doc(
        HEADER + "workflows:\n  - workflowId: w\n    steps:\n      - {stepId: s, operationId: listItems, x-oai-a: 1}\n",
        "warned.arazzo.yaml",
    )
    assert run_cli("validate", str(good), str(warned)).returncode == 0
    assert run_cli("validate", "--strict", str(good), str(warned)).returncode == 2
    proc = run_cli("validate", str(good), str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2 and "missing.yaml:1:1: error: file not found" in proc.stdout
    proc = run_cli("validate", "--format", "json", str(good))
    assert json.loads(proc.stdout) == {"valid": True, "errors": 0, "warnings": 0, "infos": 0, "diagnostics": []}


def test_broken_yaml_is_one_positioned_error(write_doc) -> None:
    path = write_doc("arazzo: 1.0.1\ninfo: [unclosed\n")
    proc = run_cli("validate", str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stdout.count("\n") == 1 and ": error: invalid YAML" in proc.stdout


def test_outputs_must_be_runtime_expressions(write_doc) -> None:
    path = doc(
        write_doc,
        "      - {stepId: s, operationId: listItems, outputs: {n: $response.body#/count, fixed: 3}}\n",
        outputs="      total: $steps.s.outputs.n\n      label: items\n",
    )
    got = [(line, col, severity, code, m) for line, col, severity, code, m in findings(path)]
    tail = "is not a runtime expression; it is this literal value"
    assert got == [
        (8, 88, "warning", "literal-output", f"step 's': output 'fixed' {tail}"),
        (11, 14, "warning", "literal-output", f"workflow 'w': output 'label' {tail}"),
    ]
