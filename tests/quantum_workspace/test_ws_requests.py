"""Request handling every route shares: api-version, path patterns, JSON bodies, 404/405, never 422."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from ws_helpers import API_KEY, SUB, WS, Api, assert_error, new_id

from quantum_workspace.api import API_VERSIONS


def test_missing_api_version_is_400_listing_accepted_versions(api: Api) -> None:
    response = api.client.get(f"{WS}/sessions/{new_id()}", headers={"x-ms-quantum-api-key": API_KEY})
    error = assert_error(response, 400, "MissingApiVersionParameter")
    for version in API_VERSIONS:
        assert version in error["message"]


@pytest.mark.parametrize("version", ["", "2019-01-01", "2026-01-15"])
def test_unknown_or_empty_api_version_is_400(api: Api, version: str) -> None:
    response = api.client.get(
        f"{WS}/sessions/{new_id()}",
        params={"api-version": version},
        headers={"x-ms-quantum-api-key": API_KEY},
    )
    error = assert_error(response, 400)
    assert error["code"] in ("UnsupportedApiVersion", "MissingApiVersionParameter")
    assert "2026-01-15-preview" in error["message"]


@pytest.mark.parametrize("version", API_VERSIONS)
def test_every_accepted_version_is_served(api: Api, version: str) -> None:
    response = api.client.post(
        f"{WS}/storage/sasUri",
        params={"api-version": version},
        headers={"x-ms-quantum-api-key": API_KEY},
        json={"containerName": "c-1"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "path",
    [
        f"/subscriptions/NOT-A-GUID/resourceGroups/rg/providers/Microsoft.Quantum/workspaces/ws/jobs/{new_id()}",
        f"/subscriptions/{SUB.upper().replace('0', 'A')}/resourceGroups/rg/providers/Microsoft.Quantum"
        f"/workspaces/ws/jobs/{new_id()}",
        f"/subscriptions/{SUB}/resourceGroups/9rg/providers/Microsoft.Quantum/workspaces/ws/jobs/{new_id()}",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Quantum/workspaces/w/jobs/{new_id()}",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Quantum/workspaces/ws.x/jobs/{new_id()}",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Quantum/workspaces/ws/jobs/not-a-guid",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Quantum/workspaces/ws/sessions/{new_id()}x",
        # `$` in the contract's patterns is the end of the value, not the place before a final newline
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Quantum/workspaces/ws%0A/jobs/{new_id()}",
        f"/subscriptions/{SUB}/resourceGroups/rg%0A/providers/Microsoft.Quantum/workspaces/ws/jobs",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Quantum/workspaces/ws%0A/topLevelItems",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Quantum/workspaces/ws/sessions/{new_id()}%0A/jobs",
    ],
)
def test_malformed_path_parameters_are_400(client: TestClient, path: str) -> None:
    response = client.get(path, params={"api-version": "2026-01-15-preview"}, headers={"x-ms-quantum-api-key": API_KEY})
    error = assert_error(response, 400, "InvalidParameter")
    assert "path parameter" in error["message"]


def test_ids_in_either_case_are_accepted(api: Api) -> None:
    upper = new_id().upper()
    assert api.open_session(upper).status_code == 200
    assert api.call("GET", f"/sessions/{upper.lower()}").json()["id"] == upper


def test_malformed_json_is_400_not_500(api: Api) -> None:
    response = api.call(
        "PUT", f"/sessions/{new_id()}", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    error = assert_error(response, 400, "InvalidRequestContent")
    assert "not valid JSON" in error["message"]


@pytest.mark.parametrize("raw", [b"", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_bodies_that_are_not_json_objects_are_400(api: Api, raw: bytes) -> None:
    response = api.call("PUT", f"/jobs/{new_id()}", content=raw, headers={"content-type": "application/json"})
    assert_error(response, 400)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b'{"name": "x\\ud800"}', "unpaired UTF-16 surrogate"),
        (b'{"name": "x\xed\xa0\x80"}', "not UTF-8 encoded JSON"),
        ('{"name": "x\ud800"}'.encode("utf-16-le", "surrogatepass"), "not UTF-8 encoded JSON"),
        (b'{"name": "j", "tags": {"\\udfff": 1}}', "unpaired UTF-16 surrogate"),
        (b'{"name": "j", "inputParams": {"shots": NaN}}', "NaN is not a JSON value"),
        (b'{"name": "j", "metadata": {"x": -Infinity}}', "-Infinity is not a JSON value"),
        (b'{"name": "j", "inputParams": {"shots": 1e400}}', "1e400 is out of range for a double"),
        (b'{"name": "j", "inputParams": {"shots": ' + b"9" * 5000 + b"}}", "a number has too many digits"),
        (b'{"name": "j", "inputParams": ' + b"[" * 1000 + b"]" * 1000 + b"}", "nested more than 64 levels"),
        (b'{"name": "j", "inputParams": ' + b"[" * 64 + b"]" * 64 + b"}", "nested more than 64 levels"),
    ],
    ids=[
        "escaped-surrogate",
        "encoded-surrogate",
        "utf-16-surrogate",
        "surrogate-key",
        "nan",
        "infinity",
        "overflowing-double",
        "5000-digits",
        "deep",
        "65-levels",
    ],
)
def test_json_that_could_not_be_written_back_is_400(api: Api, raw: bytes, fragment: str) -> None:
    """Python's decoder reads these; JSON (and the response that would echo them) does not have them."""
    for path in (f"/jobs/{new_id()}", f"/sessions/{new_id()}"):
        response = api.call("PUT", path, content=raw, headers={"content-type": "application/json"})
        error = assert_error(response, 400, "InvalidRequestContent")
        assert fragment in error["message"]


def test_a_patch_with_an_unpaired_surrogate_changes_nothing(idle_api: Api) -> None:
    job_id = new_id()
    assert idle_api.submit(job_id=job_id).status_code == 200
    patched = idle_api.call(
        "PATCH",
        f"/jobs/{job_id}",
        content=b'[{"op": "add", "path": "/tags/-", "value": "x\\ud800"}]',
        headers={"content-type": "application/json-patch+json"},
    )
    assert_error(patched, 400)
    merge = idle_api.call(
        "PATCH",
        f"/jobs/{job_id}",
        content=b'{"tags": ["x\\ud800"]}',
        headers={"content-type": "application/merge-patch+json"},
    )
    assert_error(merge, 400, "InvalidRequestContent")
    assert idle_api.call("GET", "/jobs").status_code == 200
    assert idle_api.call("GET", f"/jobs/{job_id}").json().get("tags") in (None, [])


def test_valid_json_near_the_limits_is_accepted(api: Api) -> None:
    """A surrogate pair is one character; 64 levels are allowed; a literal backslash-u is text."""
    body = {
        "name": "😀 \\ud800 is text",
        "providerId": "ionq",
        "target": "ionq.simulator",
        "itemType": "Session",
    }
    raw = json.dumps(body).encode()  # the emoji as the escaped pair \\ud83d\\ude00
    session_id = new_id()
    response = api.call("PUT", f"/sessions/{session_id}", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == body["name"]
    job_id = new_id()
    nested = json.dumps(api.job_body(f"job-{job_id}", inputParams={"a": "A"})).replace('"A"', "[" * 62 + "]" * 62)
    created = api.call("PUT", f"/jobs/{job_id}", content=nested.encode(), headers={"content-type": "application/json"})
    assert created.status_code == 200, created.text  # the body's object, inputParams, its object and 62 arrays
    bom = b"\xef\xbb\xbf" + json.dumps(api.job_body(f"job-{job_id}x")).encode()
    assert (
        api.call("PUT", f"/jobs/{new_id()}", content=bom, headers={"content-type": "application/json"}).status_code
        == 200
    )


def test_oversized_json_body_is_413(make_client: object) -> None:
    client = make_client(max_json_body=1024)  # type: ignore[operator]
    response = Api(client).call("PUT", f"/sessions/{new_id()}", json_body={"name": "x" * 2000})
    assert_error(response, 413, "RequestBodyTooLarge")


def test_wrong_query_types_are_400(api: Api) -> None:
    session_id = new_id()
    api.open_session(session_id)
    for params in ({"top": "ten"}, {"skip": "-1"}, {"top": "0"}):
        assert_error(api.call("GET", f"/sessions/{session_id}/jobs", params=params), 400, "InvalidParameter")


def test_unknown_route_is_404_in_the_contract_shape(client: TestClient) -> None:
    for path in ("/", "/nothing", f"{WS}/nothing", f"/subscriptions/{SUB}/jobs"):
        assert_error(client.get(path), 404, "NotFound")


def test_wrong_method_is_405_in_the_contract_shape(api: Api) -> None:
    response = api.call("DELETE", f"/sessions/{new_id()}")
    assert_error(response, 405, "MethodNotAllowed")
    assert "GET" in response.headers["allow"] and "PUT" in response.headers["allow"]


def test_every_route_answers_errors_in_the_contract_shape(client: TestClient) -> None:
    """Walk every data-plane operation the app describes: without credentials each is a 401 in the
    contract shape, with credentials but no api-version a 400: never a framework body, never a 422."""
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    operations = [(path, method) for path, item in paths.items() for method in item]
    assert len(operations) == 18
    for template, method in operations:
        path = template.format(
            subscriptionId=SUB,
            resourceGroupName="rg",
            workspaceName="ws",
            jobId=new_id(),
            sessionId=new_id(),
            providerId="ionq",
        )
        assert_error(client.request(method, path), 401, "Unauthorized")
        response = client.request(method, path, headers={"x-ms-quantum-api-key": API_KEY})
        assert_error(response, 400, "MissingApiVersionParameter")


def test_lean_routes_refuse_parameters_they_cannot_check() -> None:
    from fastapi import APIRouter

    from quantum_workspace.api._lean import LeanRoute

    router = APIRouter(route_class=LeanRoute)

    async def unchecked(request: object, color: str) -> None:  # 'color' has no extractor
        del request, color

    with pytest.raises(TypeError, match="color"):
        router.add_api_route("/x/{color}", unchecked, methods=["GET"])


@pytest.mark.parametrize("path", [f"/jobs/{'a' * 37}", "/jobs/not-a-guid", f"/sessions/{'b' * 40}/jobs"])
def test_lean_and_framework_routes_reject_ids_alike(api: Api, path: str) -> None:
    error = assert_error(api.call("GET", path), 400, "InvalidParameter")
    assert "path parameter" in error["message"]
