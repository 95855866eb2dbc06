"""Request ids on every response, as Azure services send them: `x-ms-request-id` (new for each request,
the id support would ask for) and the client's own `x-ms-client-request-id` echoed back, so a client's
log line and the service's answer can be matched. Routes that set their own (blob storage) keep theirs."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestIds"]

_REQUEST_ID, _CLIENT_REQUEST_ID = b"x-ms-request-id", b"x-ms-client-request-id"
#: Longer client ids are not echoed (Azure Storage's limit for the header is 1 KiB).
_MAX_CLIENT_ID = 1024


class RequestIds:
    """Pure ASGI middleware adding the two headers to each HTTP response start."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client_id = next((value for name, value in scope["headers"] if name == _CLIENT_REQUEST_ID), None)
        if client_id is not None and len(client_id) > _MAX_CLIENT_ID:
            client_id = None

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", ()))
                present = {name.lower() for name, _value in headers}
                if _REQUEST_ID not in present:
                    headers.append((_REQUEST_ID, str(uuid.uuid4()).encode()))
                if client_id is not None and _CLIENT_REQUEST_ID not in present:
                    headers.append((_CLIENT_REQUEST_ID, client_id))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_ids)
