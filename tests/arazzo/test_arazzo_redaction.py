"""Known secrets sent through every output of the command line: console, --json, --junit, --har, --verbose
and `plan` (text and JSON). None may appear anywhere; the masks must."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

BEARER = "bearer-secret-7f3a9c2e"
QUANTUM_KEY = "quantum-key-41b7d0aa"
QUERY_KEY = "query-key-98e1c4f2"  # an apiKey in the query, named by securitySchemes only ("zkey")
SAS_SIG = "sassig5d2b8e71"
COOKIE = "cookie-secret-0c6f93"
PASSWORD = "password-input-a71e55"
SECRETS = (BEARER, QUANTUM_KEY, QUERY_KEY, SAS_SIG, COOKIE, PASSWORD)

OPENAPI = """\
openapi: 3.1.0
info: {title: secrets, version: '1'}
servers: [{url: 'http://127.0.0.1:9/api'}]
components:
  securitySchemes:
    zkey: {type: apiKey, in: query, name: zkey}
paths:
  /echo/{p}:
    get:
      operationId: echoGet
      security: [{zkey: []}]
      parameters:
        - {name: p, in: path, required: true, schema: {type: string}}
        - {name: plain, in: query, schema: {type: string}}
        - {name: sig, in: query, schema: {type: string}}
        - {name: session, in: cookie, schema: {type: string}}
        - {name: x-ms-quantum-api-key, in: header, schema: {type: string}}
      responses: {'200': {description: ok}}
  /status/{code}:
    get:
      operationId: status
      parameters: [{name: code, in: path, required: true, schema: {type: integer}}]
      responses: {default: {description: any}}
"""

ARAZZO = f"""\
arazzo: 1.0.1
info: {{title: secrets, version: '1'}}
sourceDescriptions:
  - {{name: api, url: ./secrets.openapi.yaml, type: openapi}}
workflows:
  - workflowId: w
    inputs:
      type: object
      properties:
        pw: {{type: string, format: password}}
        token: {{type: string}}
        zkey: {{type: string}}
    steps:
      - stepId: echo
        operationId: echoGet
        parameters:
          - {{name: p, in: path, value: x}}
          - {{name: Authorization, in: header, value: "Bearer {{$inputs.token}}"}}
          - {{name: x-ms-quantum-api-key, in: header, value: {QUANTUM_KEY}}}
          - {{name: plain, in: query, value: $inputs.pw}}
          - {{name: sig, in: query, value: {SAS_SIG}}}
          - {{name: session, in: cookie, value: {COOKIE}}}
        outputs:
          echoed: $response.body
          pw: $inputs.pw
      - stepId: fail
        operationId: status
        parameters: [{{name: code, in: path, value: 400}}]
    outputs:
      echoed: $steps.echo.outputs.echoed
      pw: $steps.echo.outputs.pw
"""


def test_no_secret_reaches_any_output(api_base: str, tmp_path: Path) -> None:
    (tmp_path / "secrets.openapi.yaml").write_text(OPENAPI)
    doc = tmp_path / "secrets.arazzo.yaml"
    doc.write_text(ARAZZO)
    inputs = ["--input", f"pw={PASSWORD}", "--input", f"token={BEARER}", "--input", f"zkey={QUERY_KEY}"]
    common = [str(doc), "--server", f"api={api_base}", *inputs]
    junit, har = tmp_path / "r.xml", tmp_path / "r.har"
    outputs: list[str] = []
    for extra in ([], ["--json"]):
        proc = run_cli("run", *common, "--junit", str(junit), "--har", str(har), "--verbose", *extra)
        assert proc.returncode == 1, proc.stderr  # the second step answers 400 on purpose
        outputs += [proc.stdout, proc.stderr, junit.read_text(), har.read_text()]
    report = json.loads(proc.stdout)
    echoed = report["outputs"]["echoed"]
    # The request really carried every secret (the test API echoes it), and the report shows masks.
    assert echoed["headers"]["authorization"] == "Bearer ***"
    assert echoed["headers"]["x-ms-quantum-api-key"] == "***"
    assert echoed["args"]["zkey"] == ["***"] and echoed["args"]["sig"] == ["***"]
    assert echoed["args"]["plain"] == ["***"] and echoed["cookies"]["session"] == "***"
    assert report["outputs"]["pw"] == "***"
    entries = json.loads(har.read_text())["log"]["entries"]
    sent = {q["name"]: q["value"] for q in entries[0]["request"]["queryString"]}
    assert sent == {"plain": "***", "sig": "***", "zkey": "***"}
    for fmt in ("text", "json"):
        proc = run_cli("plan", *common, "--format", fmt)
        assert proc.returncode == 0, proc.stderr
        outputs += [proc.stdout, proc.stderr]
    assert "Bearer ***" in outputs[-2] and "session=***" in outputs[-2]
    everything = "\n".join(outputs)
    for secret in SECRETS:
        assert secret not in everything, secret
    assert "leaked-token-1234" not in everything  # a bearer token inside the service's error message
