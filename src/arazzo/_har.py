"""The HTTP exchanges of a run, shown to people: a HAR 1.2 file (`--har`) and request/response dumps
(`--verbose`). Both redact at the moment they write, with everything the run's Redactor has learned."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import IO, Any

from ._redact import MASK, Redactor
from ._request import media_kind
from ._result import Exchange

__all__ = ["HarRecorder", "VerbosePrinter", "body_text"]

VERSION = "0.1.0"
MAX_VERBOSE_BODY = 2000


def body_text(content: bytes | None, content_type: str, redactor: Redactor) -> str | None:
    """A body as redacted text, or None for binary content (never shown: it cannot be redacted)."""
    if not content:
        return None
    kind = media_kind(content_type) if content_type else "json"
    if kind not in ("json", "text", "xml", "form"):
        return None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if kind == "json":
        try:
            return json.dumps(redactor.value(json.loads(text)), ensure_ascii=False)
        except ValueError:
            pass
    if kind == "form":
        return redactor.text("?" + text)[1:]  # query-style masking of sensitive field names
    return redactor.text(text)


def _reason(status: int | None) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status or 0).phrase
    except ValueError:
        return ""


def _header(headers: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in headers if k.lower() == name), "")


class HarRecorder:
    """An exchange observer that keeps every exchange and writes them as a HAR 1.2 log."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def __call__(self, event: str, exchange: Exchange) -> None:
        if event == "request":
            self.exchanges.append(exchange)

    def har(self, redactor: Redactor) -> dict[str, Any]:
        return {
            "log": {
                "version": "1.2",
                "creator": {"name": "arazzo", "version": VERSION},
                "entries": [self._entry(x, redactor) for x in self.exchanges],
            }
        }

    def write(self, path: str, redactor: Redactor) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.har(redactor), f, ensure_ascii=False, indent=1)
            f.write("\n")

    @staticmethod
    def _entry(x: Exchange, r: Redactor) -> dict[str, Any]:
        request_type = _header(x.headers, "content-type")
        request: dict[str, Any] = {
            "method": x.method,
            "url": r.text(x.url),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in r.headers_text(x.headers)],
            "queryString": [
                {"name": k, "value": MASK if r.is_sensitive_query(k) else r.text(v)}
                for k, values in x.query.items()
                for v in values
            ],
            "headersSize": -1,
            "bodySize": len(x.content or b""),
        }
        if x.content:
            text = body_text(x.content, request_type, r)
            request["postData"] = {"mimeType": request_type, "text": text if text is not None else ""}
            if text is None:
                request["postData"]["comment"] = "binary content not included"
        answered = x.status_code is not None
        content: dict[str, Any] = {"size": len(x.response_content), "mimeType": x.response_type}
        text = body_text(x.response_content, x.response_type, r)
        if text is not None:
            content["text"] = text
        elif x.response_content:
            content["comment"] = "binary content not included"
        response: dict[str, Any] = {
            "status": x.status_code if answered else 0,
            "statusText": _reason(x.status_code) if answered else "no response",
            "httpVersion": "HTTP/1.1" if answered else "",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in r.headers_text(x.response_headers.items())],
            "content": content,
            "redirectURL": r.text(x.response_headers.get("location", "")),
            "headersSize": -1,
            "bodySize": len(x.response_content) if answered else -1,
        }
        if not answered:
            response["_error"] = r.text(x.error or "interrupted before a response arrived")
        return {
            "startedDateTime": datetime.fromtimestamp(x.started, UTC).isoformat(timespec="milliseconds"),
            "time": round(x.elapsed_ms, 3),
            "request": request,
            "response": response,
            "cache": {},
            "timings": {"send": 0, "wait": round(x.elapsed_ms, 3), "receive": 0},
            "_stepId": x.step_id,
            "_workflowId": x.workflow_id,
            "_attempt": x.attempt,
        }


class VerbosePrinter:
    """An exchange observer that prints each request as it goes out and each response as it comes back."""

    def __init__(self, stream: IO[str], redactor: Redactor) -> None:
        self.stream = stream
        self.redactor = redactor

    def _body(self, content: bytes | None, content_type: str) -> list[str]:
        if not content:
            return []
        text = body_text(content, content_type, self.redactor)
        if text is None:
            return [f"<{len(content)} bytes of {content_type or 'binary data'}>"]
        if len(text) > MAX_VERBOSE_BODY:
            text = text[:MAX_VERBOSE_BODY] + f"… ({len(text)} characters)"
        return text.splitlines()

    def __call__(self, event: str, x: Exchange) -> None:
        r = self.redactor
        lines: list[str]
        if event == "request":
            lines = [f"> {x.step_id}: {x.method} {r.text(x.url)}"]
            lines += [f"> {k}: {v}" for k, v in r.headers_text(x.headers)]
            lines += [f">   {line}" for line in self._body(x.content, _header(x.headers, "content-type"))]
        elif x.status_code is None:
            lines = [f"< {x.step_id}: no response ({r.text(x.error or 'failed')}) after {x.elapsed_ms:.0f} ms"]
        else:
            lines = [f"< {x.step_id}: {x.status_code} in {x.elapsed_ms:.0f} ms"]
            lines += [f"< {k}: {v}" for k, v in r.headers_text(x.response_headers.items())]
            lines += [f"<   {line}" for line in self._body(x.response_content, x.response_type)]
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()
