"""Response helpers: body parsing by content type, Retry-After forms, service error messages."""

from __future__ import annotations

import email.utils
import time

from arazzo._http import ReceivedResponse, error_message, parse_body, retry_after_seconds
from arazzo._values import MISSING


def test_parse_body_by_content_type() -> None:
    assert parse_body("application/json; charset=utf-8", b'{"a": 1}') == ({"a": 1}, None)
    assert parse_body("application/problem+json", b'{"a": 1}')[0] == {"a": 1}
    assert parse_body("application/json", b"{bad")[1] is not None
    assert parse_body("text/plain; charset=latin-1", "é".encode("latin-1"))[0] == "é"
    assert parse_body("application/xml", b"<a/>")[0] == "<a/>"
    assert parse_body("application/octet-stream", b'{"a": 1}')[0] == b'{"a": 1}'  # only a JSON type parses
    assert parse_body("application/json", b"")[0] is MISSING


def test_retry_after_forms() -> None:
    assert retry_after_seconds({"retry-after": "3"}, 300) == 3.0
    assert retry_after_seconds({"retry-after": "9999"}, 300) == 300.0
    assert retry_after_seconds({"retry-after": "soon"}, 300) is None
    assert retry_after_seconds({}, 300) is None
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    seconds = retry_after_seconds({"retry-after": when}, 300)
    assert seconds is not None and 15 <= seconds <= 21
    past = email.utils.formatdate(time.time() - 60, usegmt=True)
    assert retry_after_seconds({"retry-after": past}, 300) == 0.0


def response(body: object) -> ReceivedResponse:
    return ReceivedResponse(400, {}, body, b"", "application/json")


def test_error_messages() -> None:
    assert error_message(response({"error": {"code": "Bad", "message": "no"}})) == "Bad: no"
    assert error_message(response({"error": {"message": "no"}})) == "no"
    assert error_message(response({"error": "invalid_client"})) == "invalid_client"
    assert error_message(response({"detail": "nope"})) == "nope"
    assert error_message(response("plain   text\nbody")) == "plain text body"
    assert error_message(response("x" * 500)).endswith("…")
