"""Schemathesis against the generated OpenAPI description, in process: whatever the generated requests
(valid or not), the service never answers 5xx and every error has the contract's shape."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from ws_helpers import API_KEY, API_VERSION

from quantum_workspace.api import contract_openapi, create_app
from quantum_workspace.config import Settings

# Built at import: schemathesis parametrizes from a schema object (its lazy-fixture mode does not work
# with this pytest). The data directory lives as long as the test process.
_DATA = tempfile.TemporaryDirectory(prefix="qw-fuzz-")
APP = create_app(
    Settings(
        data_dir=Path(_DATA.name) / "data", api_keys=(API_KEY,), start_worker=False, max_json_body=64 * 1024
    )
)
schema = schemathesis.openapi.from_dict(contract_openapi(APP))
schema.app = APP


def contract_error_shape(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx is `{"error": {"code", "message"}}` with `x-ms-error-code` equal to the code."""
    del ctx, case
    if response.status_code < 400:
        return None
    body = json.loads(response.content)
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), body
    assert response.headers["x-ms-error-code"] == [body["error"]["code"]], response.headers
    assert response.status_code != 422
    return None


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_no_server_errors_and_contract_error_shape(case: Any) -> None:
    case.query = {**(case.query or {}), "api-version": API_VERSION}
    case.headers = {**(case.headers or {}), "x-ms-quantum-api-key": API_KEY}
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance, contract_error_shape])


@schema.parametrize()
@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_unauthenticated_and_unversioned_requests_are_rejected_in_shape(case: Any) -> None:
    """Raw generated requests (random api-version, no key): always an error in the contract shape."""
    response = case.call()
    contract_error_shape(None, response, case)
    assert response.status_code in (400, 401, 405), response.content
