"""Control flow: success criteria, end, goto, retry (limit default 1, retryAfter, Retry-After header,
exhaustion before later actions), action criteria seeing the current response, and the step budget."""

from __future__ import annotations

import uuid

import arazzo
from arazzo import RunOptions
from conftest import HEADER


def key() -> str:
    return uuid.uuid4().hex[:10]


def run(write_doc, api_base: str, body: str, workflow: str | None = None, **kw):
    return arazzo.run_sync(write_doc(HEADER + body), workflow, servers={"testApi": api_base}, **kw)


def flaky_step(k: str, failures: int, actions: str, retry_after_header: str | None = None) -> str:
    params = f"[{{name: key, in: path, value: {k}}}, {{name: failures, in: query, value: {failures}}}"
    if retry_after_header is not None:
        params += f", {{name: retryAfter, in: query, value: '{retry_after_header}'}}"
    params += "]"
    return f"""\
workflows:
  - workflowId: w
    steps:
      - stepId: flaky
        operationId: flaky
        parameters: {params}
        successCriteria: [{{condition: $statusCode == 200}}]
        onFailure:
{actions}
        outputs: {{calls: $response.body#/calls}}
      - stepId: after
        operationId: count
        parameters: [{{name: key, in: path, value: after-{k}}}]
    outputs: {{calls: $steps.flaky.outputs.calls}}
"""


def test_retry_limit_defaults_to_one(write_doc, api_base: str) -> None:
    result = run(write_doc, api_base, flaky_step(key(), 2, "          - {name: again, type: retry}"))
    assert result.status == "failed"
    assert [(s.step_id, s.attempts, s.status_code) for s in result.steps] == [("flaky", 2, 503)]
    assert (
        result.error.step_id == "flaky" and "503" in result.error.message and "Busy" in result.error.message
    )


def test_retry_until_success(write_doc, api_base: str) -> None:
    actions = "          - {name: again, type: retry, retryAfter: 0.01, retryLimit: 5}"
    result = run(write_doc, api_base, flaky_step(key(), 3, actions))
    assert result.status == "succeeded"
    assert result.steps[0].attempts == 4 and result.outputs["calls"] == 4
    assert [s.step_id for s in result.steps] == ["flaky", "after"]


def test_retry_after_header_overrides_retry_after(write_doc, api_base: str) -> None:
    # retryAfter says an hour; the server's Retry-After: 0 wins, so the test finishes at once
    actions = "          - {name: again, type: retry, retryAfter: 3600, retryLimit: 2}"
    result = run(write_doc, api_base, flaky_step(key(), 1, actions, retry_after_header="0"))
    assert result.status == "succeeded" and result.steps[0].attempts == 2


def test_limit_is_exhausted_before_later_actions_run(write_doc, api_base: str) -> None:
    actions = """\
          - {name: again, type: retry, retryLimit: 2}
          - {name: giveUp, type: goto, stepId: after}"""
    result = run(write_doc, api_base, flaky_step(key(), 10, actions))
    # three attempts, then the goto: the failure was handled, so the workflow goes on and succeeds
    assert [(s.step_id, s.status, s.attempts) for s in result.steps] == [
        ("flaky", "failed", 3),
        ("after", "succeeded", 1),
    ]
    assert result.status == "succeeded"


def test_action_criteria_see_the_current_response(write_doc, api_base: str) -> None:
    actions = """\
          - name: stopOnBusy
            type: end
            criteria: [{condition: "$statusCode == 503 && $response.body#/error/code == 'busy'"}]
          - {name: again, type: retry, retryLimit: 3}"""
    result = run(write_doc, api_base, flaky_step(key(), 10, actions))
    assert result.status == "failed" and result.steps[0].attempts == 1  # end matched at once


def test_retry_with_step_id_runs_that_step_first(write_doc, api_base: str) -> None:
    k = key()
    body = f"""\
workflows:
  - workflowId: w
    steps:
      - stepId: flaky
        operationId: flaky
        parameters: [{{name: key, in: path, value: {k}}}, {{name: failures, in: query, value: 1}}]
        onFailure:
          - {{name: refresh, type: retry, stepId: refresh, retryLimit: 1}}
      - stepId: refresh
        operationId: count
        parameters: [{{name: key, in: path, value: refresh-{k}}}]
        outputs: {{calls: $response.body#/calls}}
    outputs: {{refreshCalls: $steps.refresh.outputs.calls}}
"""
    result = run(write_doc, api_base, body)
    assert [(s.step_id, s.attempts) for s in result.steps] == [("flaky", 2), ("refresh", 1), ("refresh", 1)]
    assert result.status == "succeeded" and result.outputs["refreshCalls"] == 2


def test_success_goto_and_end(write_doc, api_base: str) -> None:
    k = key()
    body = f"""\
workflows:
  - workflowId: w
    steps:
      - stepId: tick
        operationId: count
        parameters: [{{name: key, in: path, value: {k}}}]
        onSuccess:
          - name: done
            type: end
            criteria: [{{condition: $response.body#/calls >= 3}}]
          - {{name: loop, type: goto, stepId: tick}}
        outputs: {{calls: $response.body#/calls}}
      - stepId: never
        operationId: count
        parameters: [{{name: key, in: path, value: never-{k}}}]
    outputs: {{calls: $steps.tick.outputs.calls}}
"""
    result = run(write_doc, api_base, body)
    assert result.status == "succeeded" and result.outputs["calls"] == 3
    assert [s.step_id for s in result.steps] == ["tick", "tick", "tick"]


def test_step_budget_stops_a_goto_loop(write_doc, api_base: str) -> None:
    body = f"""\
workflows:
  - workflowId: w
    steps:
      - stepId: spin
        operationId: count
        parameters: [{{name: key, in: path, value: {key()}}}]
        onSuccess: [{{name: again, type: goto, stepId: spin}}]
"""
    result = run(write_doc, api_base, body, options=RunOptions(max_steps=7))
    assert result.status == "failed" and "step budget of 7" in result.error.message
    assert len(result.steps) == 8 and result.steps[-1].attempts == 0


def test_no_criteria_means_2xx(write_doc, api_base: str) -> None:
    body = """\
workflows:
  - workflowId: w
    steps:
      - stepId: notFound
        operationId: status
        parameters: [{name: code, in: path, value: 404}]
"""
    result = run(write_doc, api_base, body)
    assert result.status == "failed" and result.steps[0].status_code == 404
    assert result.error.message.startswith("HTTP 404: Status404: the service says 404")


def test_workflow_outputs_on_failure_are_the_evaluable_ones(write_doc, api_base: str) -> None:
    k = key()
    body = f"""\
workflows:
  - workflowId: w
    steps:
      - stepId: ok
        operationId: count
        parameters: [{{name: key, in: path, value: {k}}}]
        outputs: {{calls: $response.body#/calls}}
      - stepId: bad
        operationId: status
        parameters: [{{name: code, in: path, value: 500}}]
        successCriteria: [{{condition: $statusCode == 200}}]
        outputs: {{never: $response.body#/nothing}}
    outputs:
      calls: $steps.ok.outputs.calls
      never: $steps.bad.outputs.never
"""
    result = run(write_doc, api_base, body)
    assert result.status == "failed" and result.outputs == {"calls": 1}


def test_retry_with_workflow_id_runs_that_workflow_first(write_doc, api_base: str) -> None:
    k = key()
    body = f"""\
workflows:
  - workflowId: w
    steps:
      - stepId: flaky
        operationId: flaky
        parameters: [{{name: key, in: path, value: {k}}}, {{name: failures, in: query, value: 1}}]
        onFailure:
          - {{name: refresh, type: retry, workflowId: refresh}}
    outputs: {{refreshed: $workflows.refresh.outputs.calls}}
  - workflowId: refresh
    steps:
      - stepId: tick
        operationId: count
        parameters: [{{name: key, in: path, value: refresh-{k}}}]
        outputs: {{calls: $response.body#/calls}}
    outputs: {{calls: $steps.tick.outputs.calls}}
"""
    result = run(write_doc, api_base, body, "w")
    assert [(s.step_id, s.attempts) for s in result.steps] == [("flaky", 2), ("tick", 1)]
    assert result.status == "succeeded" and result.outputs == {"refreshed": 1}


def test_total_timeout(write_doc, api_base: str) -> None:
    body = """\
workflows:
  - workflowId: w
    steps:
      - stepId: slow
        operationId: slow
        parameters: [{name: seconds, in: query, value: 1.5}]
"""
    options = RunOptions(http=arazzo.HttpOptions(total_timeout=0.2))
    result = run(write_doc, api_base, body, options=options)
    assert result.status == "failed" and "total timeout" in result.error.message
