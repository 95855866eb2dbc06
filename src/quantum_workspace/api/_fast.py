"""Jobs_Get answered before the framework: clients poll it (the SDK every second or faster, per job), and
FastAPI's routing, scope bookkeeping and exception middleware cost more than the read itself. Jobs_Create,
the write every submit sends, goes to its route's handler without the router (FastJobCreate).

The checks are LeanRoute's, in the same order (authentication, api-version present, path parameters,
api-version accepted, the job), and the path is matched with the route's own regex and convertors, so
this answers exactly the requests the route would, with the same bytes; everything else goes on to the
app unchanged. Only the hot success path is special: errors are rendered by the shared error writer.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl

from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import InvalidParameter, WorkspaceError
from ._base_url import base_url_of
from ._context import Services
from ._errors import client_gone_response, workspace_error_response
from ._lean import Problems, check_call, check_path
from ._versions import check_api_version

__all__ = ["FastJobCreate", "FastJobGet"]

_API_KEY, _AUTHORIZATION, _HOST = b"x-ms-quantum-api-key", b"authorization", b"host"


@lru_cache(maxsize=256)
def _query(raw: bytes) -> dict[str, str]:
    """The query as Starlette reads it (latin-1, blanks kept, the last value of a name wins); polls repeat
    the same query string, so it is parsed once."""
    return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))


class _OneRoute:
    """A pure ASGI middleware standing in for one route: its method, its own regex and convertors; every
    other request goes on to `app` unchanged."""

    method = ""

    def __init__(self, app: ASGIApp, route: APIRoute) -> None:
        self.app = app
        self._route = route
        self._regex = route.path_regex
        self._convertors = route.param_convertors

    def _matched(self, scope: Scope) -> dict[str, str] | None:
        """The path parameters as matched (not converted) when the request is the route's, else None."""
        if scope["type"] != "http" or scope["method"] != self.method:
            return None
        match = self._regex.match(get_route_path(scope))
        return None if match is None else match.groupdict()


class FastJobGet(_OneRoute):
    """GET of one job served here, any other request passed to `app`."""

    method = "GET"

    def __init__(self, app: ASGIApp, *, services: Services, route: APIRoute) -> None:
        super().__init__(app, route)
        self._services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        matched = self._matched(scope)
        if matched is None:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._services.writes.read(lambda: self._answer(scope, matched))
        except WorkspaceError as problem:
            await workspace_error_response(problem)(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _answer(self, scope: Scope, matched: dict[str, str]) -> bytes:
        api_key = authorization = host = None
        for name, value in scope["headers"]:
            if name == _API_KEY and api_key is None:
                api_key = value.decode("latin-1")
            elif name == _AUTHORIZATION and authorization is None:
                authorization = value.decode("latin-1")
            elif name == _HOST and host is None:
                host = value
        found = self._services
        found.authenticator.authenticate(api_key, authorization)
        params = {name: self._convertors[name].convert(value) for name, value in matched.items()}
        problems: Problems = []
        call = check_call(_query(scope.get("query_string", b"")).get("api-version"), params, problems)
        job_id = check_path("jobId", params["jobId"], problems)
        if problems:
            raise InvalidParameter("The request is not valid: " + "; ".join(problems) + ".")
        check_api_version(call.api_version)
        job = found.jobs.get(call.workspace, job_id)
        return found.rendered_jobs.body(job, base_url_of(scope, host))


class FastJobCreate(_OneRoute):
    """Pure ASGI middleware: Jobs_Create handed straight to its own route's handler (LeanRoute's checks,
    body and endpoint, unchanged), past FastAPI's router, which matched every request twice over the
    whole route table (about 100 us of a 650 us create), and its exception and exit-stack middleware."""

    method = "PUT"

    def __init__(self, app: ASGIApp, *, route: APIRoute) -> None:
        super().__init__(app, route)
        self._handler = route.get_route_handler()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        matched = self._matched(scope)
        if matched is None:
            await self.app(scope, receive, send)
            return
        # What the router puts in the scope for the route it picked.
        converted = {name: self._convertors[name].convert(value) for name, value in matched.items()}
        scope["path_params"] = {**scope.get("path_params", {}), **converted}
        scope["endpoint"], scope["route"] = self._route.endpoint, self._route
        try:
            response = await self._handler(Request(scope, receive, send))
        except WorkspaceError as problem:
            response = workspace_error_response(problem)
        except ClientDisconnect:
            response = client_gone_response(scope["method"], scope["path"])
        await response(scope, receive, send)
