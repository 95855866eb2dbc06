"""Requests as the server receives them: parameter styles, percent-encoding, cookies, bodies (JSON,
form, multipart, XML, text), payload replacements, x-operation query merging, and $request.*."""

from __future__ import annotations

import json

import pytest

import arazzo
from conftest import HEADER


def echo(write_doc, api_base: str, step: str, outputs: str = "echo: $response.body") -> dict:
    body = f"""\
workflows:
  - workflowId: w
    inputs:
      type: object
      properties:
        base: {{type: string, default: "{api_base}"}}
    steps:
{step}
        outputs:
          {outputs}
    outputs:
      echo: $steps.e.outputs.echo
"""
    result = arazzo.run_sync(write_doc(HEADER + body), servers={"testApi": api_base})
    assert result.status == "succeeded", result.error
    return result.outputs["echo"]


def test_query_styles_and_encoding(write_doc, api_base: str) -> None:
    got = echo(
        write_doc,
        api_base,
        """\
      - stepId: e
        operationId: echoGet
        parameters:
          - {name: p, in: path, value: "a b/c?d"}
          - {name: ids, in: query, value: [1, 2]}
          - {name: csv, in: query, value: [x, y]}
          - {name: pipes, in: query, value: [x, y]}
          - {name: filter, in: query, value: {color: red, size: 2}}
          - {name: obj, in: query, value: {k: v}}
          - {name: reserved, in: query, value: "a/b:c"}
          - {name: plain, in: query, value: "a/b:c&d=e ü"}
          - {name: undeclared, in: query, value: true}""",
    )
    assert got["rawPath"] == "/api/echo/a%20b%2Fc%3Fd"
    assert got["rawQuery"] == (
        "ids=1&ids=2&csv=x,y&pipes=x|y&filter%5Bcolor%5D=red&filter%5Bsize%5D=2&k=v"
        "&reserved=a/b:c&plain=a%2Fb%3Ac%26d%3De%20%C3%BC&undeclared=true"
    )


def test_path_styles(write_doc, api_base: str) -> None:
    got = echo(
        write_doc,
        api_base,
        """\
      - stepId: e
        operationId: echoStyles
        parameters:
          - {name: label, in: path, value: [a, b]}
          - {name: matrix, in: path, value: {x: 1, y: two}}""",
    )
    assert got["rawPath"] == "/api/echo/.a,b/;x=1;y=two"


def test_headers_and_cookies(write_doc, api_base: str) -> None:
    got = echo(
        write_doc,
        api_base,
        """\
      - stepId: e
        operationId: echoGet
        parameters:
          - {name: p, in: path, value: x}
          - {name: X-List, in: header, value: [a, b]}
          - {name: x-number, in: header, value: 42}
          - {name: session, in: cookie, value: "abc 1"}
          - {name: theme, in: cookie, value: dark}""",
    )
    assert got["headers"]["x-list"] == "a,b" and got["headers"]["x-number"] == "42"
    assert got["headers"]["cookie"] == "session=abc%201; theme=dark"


BODY_STEP = """\
      - stepId: e
        operationId: echoPost
        parameters: [{{name: p, in: path, value: body}}]
        requestBody:
{body}"""


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (
            "          payload: {a: 1, b: [true, null], c: '{$inputs.base}'}",
            "application/json",
            lambda base: json.dumps({"a": 1, "b": [True, None], "c": base}, separators=(",", ":")),
        ),
        (
            "          contentType: application/x-www-form-urlencoded\n"
            "          payload: {grant_type: client_credentials, scope: 'a b', n: 1, list: [x, y]}",
            "application/x-www-form-urlencoded",
            lambda base: "grant_type=client_credentials&scope=a%20b&n=1&list=x&list=y",
        ),
        (
            "          contentType: application/x-www-form-urlencoded\n"
            "          payload: 'a=1&b={$inputs.base}'",
            "application/x-www-form-urlencoded",
            lambda base: f"a=1&b={base}",
        ),
        (
            "          contentType: application/xml\n"
            "          payload: |\n            <order><id>{$inputs.base}</id></order>",
            "application/xml",
            lambda base: f"<order><id>{base}</id></order>\n",
        ),
        (
            "          contentType: text/plain\n          payload: hello {$inputs.base}",
            "text/plain",
            lambda base: f"hello {base}",
        ),
        (
            '          contentType: application/json\n          payload: \'{"raw": "{$inputs.base}"}\'',
            "application/json",
            lambda base: '{"raw": "' + base + '"}',
        ),
    ],
)
def test_bodies(write_doc, api_base: str, body: str, content_type: str, expected) -> None:
    got = echo(write_doc, api_base, BODY_STEP.format(body=body))
    assert got["contentType"] == content_type
    assert got["body"] == expected(api_base)


def test_multipart_body(write_doc, api_base: str) -> None:
    got = echo(
        write_doc,
        api_base,
        BODY_STEP.format(
            body="""\
          contentType: multipart/form-data
          payload: {name: rex, meta: {age: 3}, tags: [a, b]}"""
        ),
    )
    assert got["contentType"].startswith("multipart/form-data; boundary=")
    boundary = got["contentType"].split("boundary=")[1]
    parts = got["body"].split(f"--{boundary}")
    assert 'name="name"\r\n\r\nrex\r\n' in parts[1]
    assert 'name="meta"\r\nContent-Type: application/json\r\n\r\n{"age": 3}' in parts[2]
    assert parts[3].endswith("\r\n\r\na\r\n") and parts[4].endswith("\r\n\r\nb\r\n") and parts[5] == "--\r\n"


def test_json_pointer_replacements_add_missing_members(write_doc, api_base: str) -> None:
    got = echo(
        write_doc,
        api_base,
        BODY_STEP.format(
            body="""\
          payload: {order: {id: 1, items: [x]}}
          replacements:
            - {target: /order/id, value: 42}
            - {target: /order/items/-, value: y}
            - {target: /order/note, value: "{$inputs.base}"}
            - {target: /new~1member, value: {deep: true}}"""
        ),
    )
    assert json.loads(got["body"]) == {
        "order": {"id": 42, "items": ["x", "y"], "note": api_base},
        "new/member": {"deep": True},
    }


def test_xpath_replacements_in_xml_payloads(write_doc, api_base: str) -> None:
    got = echo(
        write_doc,
        api_base,
        BODY_STEP.format(
            body="""\
          contentType: application/xml
          payload: "<order status='new'><id>0</id><qty>1</qty></order>"
          replacements:
            - {target: /order/id, value: 42}
            - {target: /order/@status, value: placed}"""
        ),
    )
    assert got["body"] == '<order status="placed"><id>42</id><qty>1</qty></order>'


def test_request_expressions_read_what_was_sent(write_doc, api_base: str) -> None:
    got = echo(
        write_doc,
        api_base,
        """\
      - stepId: e
        operationId: echoPost
        parameters:
          - {name: p, in: path, value: seen}
          - {name: plain, in: query, value: q1}
          - {name: X-Thing, in: header, value: t1}
        requestBody:
          payload: {user: {uuid: u-9}}
        successCriteria:
          - condition: $request.body#/user/uuid == 'U-9' && $request.header.x-thing == 't1'
          - condition: $request.query.plain == 'q1' && $request.path.p == 'seen' && $method == 'POST'""",
        outputs="echo: {url: $url, header: $response.header.X-Echo-Method}",
    )
    assert got == {"url": f"{api_base}/echo/seen?plain=q1", "header": "POST"}


def test_x_operation_merges_query_parameters(write_doc, api_base: str) -> None:
    got = echo(
        write_doc,
        api_base,
        """\
      - stepId: e
        x-operation:
          url: "{$inputs.base}/echo/x?sv=1&sig=abc%2B%2F%3D"
          method: DELETE
        parameters:
          - {name: extra, in: query, value: "a b"}
          - {name: X-Hdr, in: header, value: h}""",
    )
    assert got["method"] == "DELETE" and got["rawQuery"] == "sv=1&sig=abc%2B%2F%3D&extra=a%20b"
    assert got["headers"]["x-hdr"] == "h"


def test_bad_json_response_is_kept_as_text_with_a_warning(write_doc, api_base: str) -> None:
    body = """\
workflows:
  - workflowId: w
    steps:
      - stepId: e
        operationId: badJson
        outputs: {raw: $response.body}
    outputs: {raw: $steps.e.outputs.raw}
"""
    result = arazzo.run_sync(write_doc(HEADER + body), servers={"testApi": api_base})
    assert result.outputs["raw"] == "{not json"
    assert any("does not parse as JSON" in w.message for w in result.warnings)


def test_missing_path_parameter_fails_the_step(write_doc, api_base: str) -> None:
    body = """\
workflows:
  - workflowId: w
    steps:
      - {stepId: e, operationId: getItem}
"""
    result = arazzo.run_sync(write_doc(HEADER + body), servers={"testApi": api_base})
    assert result.status == "failed" and "path parameter 'itemId' of getItem" in result.error.message


def test_x_operation_text_body_with_its_content_type(write_doc, api_base: str) -> None:
    got = echo(
        write_doc,
        api_base,
        """\
      - stepId: e
        x-operation:
          url: "{$inputs.base}/echo/blob"
          method: PUT
        parameters:
          - {name: x-ms-blob-type, in: header, value: BlockBlob}
        requestBody:
          contentType: application/qasm
          payload: "OPENQASM 2.0; // {$inputs.base}"
""",
    )
    assert got["method"] == "PUT" and got["contentType"] == "application/qasm"
    assert got["body"] == f"OPENQASM 2.0; // {api_base}"


def test_x_operation_form_body(write_doc, api_base: str) -> None:
    got = echo(
        write_doc,
        api_base,
        """\
      - stepId: e
        x-operation: {url: "{$inputs.base}/echo/form", method: POST}
        requestBody:
          contentType: application/x-www-form-urlencoded
          payload: {a: "1 2", b: x}
""",
    )
    assert got["body"] == "a=1%202&b=x"


def test_payload_members_that_evaluate_to_nothing_are_left_out(write_doc, api_base: str) -> None:
    got = echo(
        write_doc,
        api_base,
        BODY_STEP.format(body="          payload: {a: $inputs.nothing, b: 1, c: [$inputs.nothing]}"),
    )
    assert json.loads(got["body"]) == {"b": 1, "c": [None]}
