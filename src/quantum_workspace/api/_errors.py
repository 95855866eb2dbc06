"""The only place that writes the contract's error shape: `{"error": {"code", "message"}}` plus the
`x-ms-error-code` header, for service errors, framework validation, unknown routes and methods, and bugs."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import InvalidParameter, WorkspaceError
from ._versions import check_api_version

__all__ = [
    "UnexpectedErrors",
    "client_gone_response",
    "error_response",
    "install_error_handlers",
    "workspace_error_response",
]

log = logging.getLogger("quantum_workspace.api")


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")
    return Response(
        body,
        status_code=status,
        media_type="application/json",
        headers={"x-ms-error-code": code, **(headers or {})},
    )


def workspace_error_response(exc: WorkspaceError) -> Response:
    """A service error as the contract's error response (a server-side one is logged too)."""
    if exc.status >= 500:
        log.error("%s: %s", exc.code, exc.message)
    return error_response(exc.status, exc.code, exc.message)


def _validation_error(exc: RequestValidationError) -> WorkspaceError:
    """FastAPI's parameter errors in the contract's terms: a missing or empty api-version first, then
    every broken path or query parameter in one message."""
    errors: list[dict[str, Any]] = list(exc.errors())
    for error in errors:
        if tuple(error.get("loc", ()))[:2] == ("query", "api-version"):
            try:
                check_api_version(None)
            except WorkspaceError as problem:
                return problem
    problems = []
    for error in errors:
        location = tuple(error.get("loc", ()))
        where = location[0] if location else "request"
        name = ".".join(str(part) for part in location[1:]) or "?"
        value = error.get("input")
        shown = f" (got {str(value)[:80]!r})" if isinstance(value, str | int | float) else ""
        problems.append(f"{where} parameter '{name}': {error.get('msg', 'is not valid')}{shown}")
    return InvalidParameter("The request is not valid: " + "; ".join(problems) + ".")


def _allowed_methods(request: Request) -> str:
    """Every method some route serves on this path (Starlette names only the first route's)."""
    methods = [
        method
        for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in request.app.router.routes
        )
    ]
    return ", ".join(methods)


def install_error_handlers(app: FastAPI) -> None:
    async def on_workspace_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WorkspaceError)
        return workspace_error_response(exc)

    async def on_validation_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problem = _validation_error(exc)
        return error_response(problem.status, problem.code, problem.message)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 404:
            return error_response(
                404, "NotFound", f"No operation matches {request.method} {request.url.path}.", headers
            )
        if exc.status_code == 405:
            allowed = _allowed_methods(request)
            headers = {k: v for k, v in headers.items() if k.lower() != "allow"} | {"Allow": allowed}
            return error_response(
                405,
                "MethodNotAllowed",
                f"{request.method} is not allowed on {request.url.path}"
                + (f" (allowed: {allowed})." if allowed else "."),
                headers,
            )
        code = {
            400: "BadRequest",
            401: "Unauthorized",
            403: "Forbidden",
            409: "Conflict",
            413: "RequestBodyTooLarge",
        }.get(exc.status_code, "Error")
        return error_response(exc.status_code, code, str(exc.detail), headers)

    async def on_disconnect(request: Request, _exc: Exception) -> Response:
        return client_gone_response(request.method, request.url.path)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "InternalServerError", "The service failed unexpectedly; see its log.")

    app.add_exception_handler(WorkspaceError, on_workspace_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(ClientDisconnect, on_disconnect)
    app.add_exception_handler(Exception, on_unexpected)


def client_gone_response(method: str, path: str) -> Response:
    """What a request whose client disconnected mid-body is answered (nobody reads it; nothing was kept),
    noted at INFO: it is the client's doing, not an error of the service."""
    log.info("%s %s: the client went away before its request body ended", method, path)
    return error_response(400, "ClientDisconnected", "The client closed the connection before the body ended.")


class UnexpectedErrors:
    """Pure ASGI middleware: a bug below it is logged and answered 500 in the contract's shape, and the
    connection stays open. (Starlette's own last resort re-raises after its 500, and uvicorn then drops
    the keep-alive connection: the client's next request on it fails without an answer.)"""

    def __init__(self, app: ASGIApp, *, reraise: bool = False) -> None:
        self.app = app
        self._reraise = reraise

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            if started:  # part of an answer went out: only closing the connection can tell the client
                raise
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"), exc_info=error)
            response = error_response(500, "InternalServerError", "The service failed unexpectedly; see its log.")
            await response(scope, receive, send)
            if self._reraise:
                raise
