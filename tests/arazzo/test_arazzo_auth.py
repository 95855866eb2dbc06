"""Authentication from the OpenAPI security schemes, with credentials from the caller, inputs or the
environment; secrets masked everywhere."""

from __future__ import annotations

import arazzo_testapi as t
import pytest

import arazzo
from arazzo import RunOptions
from conftest import HEADER, cli_json

FLOW = """\
workflows:
  - workflowId: w
    inputs:
      type: object
      properties:
        bearer: {type: string, format: password}
    steps:
      - stepId: call
        operationId: %s
        successCriteria: [{condition: $statusCode == 200}]
"""


@pytest.mark.parametrize(
    ("operation", "credentials"),
    [
        ("secureHeader", {"apiKeyHeader": t.API_KEY}),
        ("secureQuery", {"apiKeyQuery": t.API_KEY}),
        ("secureCookie", {"apiKeyCookie": t.API_KEY}),
        ("secureBearer", {"bearer": t.BEARER}),
        ("secureBasic", {"basic": f"{t.BASIC_USER}:{t.BASIC_PASSWORD}"}),
        ("secureBasic", {"basic": {"username": t.BASIC_USER, "password": t.BASIC_PASSWORD}}),
        ("secureOauth", {"oauth": f"{t.CLIENT_ID}:{t.CLIENT_SECRET}"}),
        ("secureOauth", {"testApi.oauth": {"clientId": t.CLIENT_ID, "clientSecret": t.CLIENT_SECRET}}),
        ("secureEither", {"apiKeyHeader": t.API_KEY}),
    ],
)
def test_each_scheme(write_doc, api_base: str, operation: str, credentials: dict) -> None:
    doc = write_doc(HEADER + FLOW % operation)
    result = arazzo.run_sync(doc, servers={"testApi": api_base}, options=RunOptions(credentials=credentials))
    assert result.status == "succeeded", result.error
    shown = repr(result.to_json()) + repr(result)
    for secret in (t.API_KEY, t.BEARER, t.BASIC_PASSWORD, t.CLIENT_SECRET):
        assert secret not in shown


def test_without_credentials_the_request_is_sent_and_a_hint_given(write_doc, api_base: str) -> None:
    result = arazzo.run_sync(write_doc(HEADER + FLOW % "secureBearer"), servers={"testApi": api_base})
    assert result.status == "failed" and result.steps[0].status_code == 401
    assert any("ARAZZO_AUTH_BEARER" in w.message for w in result.warnings)


def test_optional_security_sends_nothing(write_doc, api_base: str) -> None:
    result = arazzo.run_sync(write_doc(HEADER + FLOW % "secureEither"), servers={"testApi": api_base})
    assert result.steps[0].status_code == 401 and not result.warnings


def test_credential_from_an_input_named_like_the_scheme(write_doc, api_base: str) -> None:
    doc = write_doc(HEADER + FLOW % "secureBearer")
    result = arazzo.run_sync(doc, inputs={"bearer": t.BEARER}, servers={"testApi": api_base})
    assert result.status == "succeeded"


def test_an_explicit_parameter_wins_over_the_scheme(write_doc, api_base: str) -> None:
    doc = write_doc(
        HEADER + (FLOW % "secureBearer") + "        parameters: [{name: Authorization, in: header, "
        "value: Bearer wrong-token-123}]\n"
    )
    result = arazzo.run_sync(
        doc, servers={"testApi": api_base}, options=RunOptions(credentials={"bearer": t.BEARER})
    )
    assert result.steps[0].status_code == 401


def test_cli_auth_from_environment_and_flag(write_doc, api_base: str) -> None:
    doc = str(write_doc(HEADER + FLOW % "secureOauth"))
    code, report, stderr = cli_json(
        "run",
        doc,
        "--server",
        f"testApi={api_base}",
        env={"ARAZZO_AUTH_OAUTH": f"{t.CLIENT_ID}:{t.CLIENT_SECRET}"},
    )
    assert code == 0, stderr
    code, report, stderr = cli_json(
        "run", doc, "--server", f"testApi={api_base}", "--auth", f"oauth={t.CLIENT_ID}:wrong-secret-1"
    )
    assert code == 1 and "token endpoint" in report["error"]["message"]
    assert "wrong-secret-1" not in repr(report) + stderr
