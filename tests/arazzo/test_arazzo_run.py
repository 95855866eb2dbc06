"""Documents run end to end through the Python API against the loopback test API."""

from __future__ import annotations

import asyncio
import uuid

import pytest

import arazzo
from arazzo import InputError, RunOptions
from conftest import FIXTURES, HEADER


def uid() -> str:
    return uuid.uuid4().hex[:12]


def test_basic_flow_outputs(api_base: str) -> None:
    result = arazzo.run_sync(
        FIXTURES / "basic.arazzo.yaml", inputs={"name": "rex"}, servers={"testApi": api_base}
    )
    assert result.status == "succeeded", result.error
    out = result.outputs
    assert out["name"] == "rex" and out["version"] == "7" and out["count"] >= 1
    assert out["trace"] == f"trace-{out['id']}" == out["sentTrace"]
    assert out["url"] == f"{api_base}/items/{out['id']}" and out["method"] == "GET"
    assert [(s.step_id, s.status, s.status_code, s.attempts) for s in result.steps] == [
        ("create", "succeeded", 201, 1),
        ("get", "succeeded", 200, 1),
        ("list", "succeeded", 200, 1),
    ]
    assert result.warnings == []


def test_lifecycle_like_the_corrected_workflow(api_base: str) -> None:
    token = arazzo_token()
    job = uid()
    result = arazzo.run_sync(
        FIXTURES / "lifecycle.arazzo.yaml",
        servers={"dataPlaneApi": api_base},
        inputs={"authToken": token, "sessionId": uid(), "jobId": job},
    )
    assert result.status == "succeeded", result.error
    assert result.outputs["jobStatus"] == "Succeeded"
    assert result.outputs["finalSessionStatus"] == "Succeeded"
    assert result.outputs["histogram"] == {"0": 0.5, "3": 0.5}
    # the circuit went to the blob through the x-operation PUT, with its stored content type
    assert result.outputs["program"]["circuit"][1] == {"gate": "cnot", "control": 0, "target": 1}
    steps = {s.step_id: s for s in result.steps}
    assert steps["uploadCircuit"].operation == "PUT x-operation" and steps["uploadCircuit"].status_code == 201
    assert steps["downloadResults"].operation == "GET x-operation"
    assert steps["waitForJob"].attempts == 3  # Waiting, Executing, Succeeded
    # real values for the caller; masked when shown
    assert "sig=abc%2B%2F%3Ddef" in result.outputs["sasUri"]
    shown = result.to_json()
    assert shown["outputs"]["sasUri"].endswith("sig=***") and token not in repr(shown)


def arazzo_token() -> str:
    import arazzo_testapi

    return arazzo_testapi.BEARER


def test_failed_job_ends_the_workflow_through_the_end_action(api_base: str) -> None:
    result = arazzo.run_sync(
        FIXTURES / "lifecycle.arazzo.yaml",
        servers={"dataPlaneApi": api_base},
        inputs={"authToken": arazzo_token(), "sessionId": uid(), "jobId": uid(), "finalStatus": "Failed"},
    )
    assert result.status == "failed"
    assert result.error is not None and result.error.step_id == "waitForJob"
    assert "Succeeded" in result.error.message
    assert [s.step_id for s in result.steps][-1] == "waitForJob"
    assert result.steps[-1].attempts == 3
    assert result.outputs["jobStatus"] == "Failed"


def test_users_mistakes_fail_with_the_service_message_and_warnings(api_base: str) -> None:
    result = arazzo.run_sync(
        FIXTURES / "lifecycle-as-given.arazzo.yaml",
        servers={"dataPlaneApi": api_base},
        inputs={"authToken": arazzo_token(), "sessionId": uid()},
    )
    assert result.status == "failed"
    assert (
        result.error is not None and result.error.step_id == "openSession" and result.error.status_code == 401
    )
    assert "Unauthorized" in result.error.message and "bearer token" in result.error.message
    literal = [w for w in result.warnings if "$inputs.authToken" in w.message]
    assert [(w.line, w.column) for w in literal] == [(23, 20), (38, 20)]
    missing = [w for w in result.warnings if "missing required" in w.message]
    assert missing and "name, providerId, target, itemType" in missing[0].message and missing[0].line == 29


def test_inputs_are_validated_before_any_request(api, api_base: str) -> None:
    before = len(api.state.log)
    with pytest.raises(InputError) as info:
        arazzo.run_sync(
            FIXTURES / "basic.arazzo.yaml", inputs={"limit": "ten"}, servers={"testApi": api_base}
        )
    assert info.value.input_name in ("limit", "name")
    assert (
        "missing required input 'name'" in info.value.message
        and "'ten' is not of type 'integer'" in info.value.message
    )
    assert len(api.state.log) == before


def test_defaults_are_applied_and_password_inputs_masked(api_base: str) -> None:
    result = arazzo.run_sync(
        FIXTURES / "basic.arazzo.yaml", inputs={"name": "super-secret-input"}, servers={"testApi": api_base}
    )
    assert result.status == "succeeded"
    assert result.outputs["name"] == "super-secret-input"  # real value for the caller
    assert result.to_json()["outputs"]["name"] == "***"  # `format: password` default value is masked


def test_connection_refused_is_a_failed_step(write_doc) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    doc = write_doc(
        HEADER
        + """\
workflows:
  - workflowId: w
    steps:
      - {stepId: list, operationId: listItems}
"""
    )
    result = arazzo.run_sync(doc, servers={"testApi": f"http://127.0.0.1:{port}/api"})
    assert result.status == "failed" and result.steps[0].status_code is None
    assert result.error is not None and "connection refused" in result.error.message.lower()


def test_read_timeout_and_size_limit(write_doc, api_base: str) -> None:
    doc = write_doc(
        HEADER
        + """\
workflows:
  - workflowId: slow
    steps:
      - stepId: slow
        operationId: slow
        parameters: [{name: seconds, in: query, value: 2}]
  - workflowId: big
    steps:
      - stepId: big
        operationId: big
        parameters: [{name: bytes, in: query, value: 5000}]
"""
    )
    options = RunOptions(http=arazzo.HttpOptions(read_timeout=0.2, max_response_bytes=1000))
    slow = arazzo.run_sync(doc, "slow", servers={"testApi": api_base}, options=options)
    assert slow.status == "failed" and "read timeout" in slow.error.message
    big = arazzo.run_sync(doc, "big", servers={"testApi": api_base}, options=options)
    assert big.status == "failed" and "exceeds the limit of 1000 bytes" in big.error.message


def test_server_variables_default_and_missing_server(write_doc) -> None:
    doc = write_doc(
        HEADER
        + """\
workflows:
  - workflowId: w
    steps:
      - {stepId: list, operationId: listItems}
"""
    )
    loaded = arazzo.load(doc)
    op = loaded.sources[(loaded.entry.uri, "testApi")].by_id["listItems"]
    assert op.servers[0].render({}) == "http://127.0.0.1:9/api"
    assert op.servers[0].render({"port": "8080"}) == "http://127.0.0.1:8080/api"


def test_many_concurrent_runs_share_one_client(api_base: str) -> None:
    document = arazzo.load(FIXTURES / "basic.arazzo.yaml")

    async def main() -> list[arazzo.RunResult]:
        client = arazzo.make_client()
        try:
            return await asyncio.gather(
                *(
                    arazzo.run(
                        document, inputs={"name": f"n{i}"}, servers={"testApi": api_base}, client=client
                    )
                    for i in range(40)
                )
            )
        finally:
            await client.aclose()

    results = asyncio.run(main())
    assert all(r.status == "succeeded" for r in results)
    assert sorted(r.outputs["name"] for r in results) == sorted(f"n{i}" for i in range(40))
    assert len({r.outputs["id"] for r in results}) == 40


def test_unknown_workflow_is_a_usage_error() -> None:
    with pytest.raises(arazzo.UsageError, match="did you mean 'items'"):
        arazzo.run_sync(FIXTURES / "basic.arazzo.yaml", "itemz")


def test_an_injected_httpx_client_works_too(api_base: str) -> None:
    import httpx

    async def main() -> arazzo.RunResult:
        async with httpx.AsyncClient() as client:
            return await arazzo.run(
                FIXTURES / "basic.arazzo.yaml",
                inputs={"name": "via-httpx"},
                servers={"testApi": api_base},
                client=client,
            )

    result = asyncio.run(main())
    assert result.status == "succeeded" and result.outputs["name"] == "via-httpx"
