"""A route class for the hottest read operations (the SDK polls Jobs_Get): the description still comes
from the endpoint's signature, but requests skip FastAPI's dependency solving (about two thirds of the
time a job GET spent in the application) and use the same checks written out once here.

An endpoint served this way may only take the parameters named in EXTRACTORS; anything else is refused
when the route is built, so a new parameter cannot be silently left unvalidated.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, cast

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..errors import InvalidParameter
from ..ids import ITEM_ID_PATTERN, RESOURCE_GROUP_PATTERN, SUBSCRIPTION_ID_PATTERN, WORKSPACE_NAME_PATTERN, WorkspaceRef
from ._params import WorkspaceCall, authenticate, json_body, list_query
from ._versions import check_api_version

__all__ = ["EXTRACTORS", "LeanRoute", "Problems", "check_call", "check_path"]

#: (pattern, min length, max length) of each path parameter: the contract's, as the Path() declarations say.
_PATH_RULES: dict[str, tuple[re.Pattern[str], int, int]] = {
    "subscriptionId": (re.compile(SUBSCRIPTION_ID_PATTERN), 36, 36),
    "resourceGroupName": (re.compile(RESOURCE_GROUP_PATTERN), 1, 90),
    "workspaceName": (re.compile(WORKSPACE_NAME_PATTERN), 2, 50),
    "jobId": (re.compile(ITEM_ID_PATTERN), 0, 36),
    "sessionId": (re.compile(ITEM_ID_PATTERN), 0, 36),
}

Problems = list[str]


def _path(request: Request, name: str, problems: Problems) -> str:
    return check_path(name, request.path_params[name], problems)


def check_path(name: str, value: str, problems: Problems) -> str:
    """`value` of path parameter `name`, with its problem (length, then pattern) added to `problems`."""
    pattern, shortest, longest = _PATH_RULES[name]
    if len(value) < shortest:
        problems.append(
            f"path parameter '{name}': String should have at least {shortest} characters (got {value[:80]!r})"
        )
    elif len(value) > longest:
        problems.append(
            f"path parameter '{name}': String should have at most {longest} characters (got {value[:80]!r})"
        )
    elif not pattern.fullmatch(value):  # as the contract's patterns mean `$`: the end, not before a final newline
        problems.append(
            f"path parameter '{name}': String should match pattern '{pattern.pattern}' (got {value[:80]!r})"
        )
    return value


def check_call(version: str | None, path_params: Mapping[str, str], problems: Problems) -> WorkspaceCall:
    """The workspace and api-version of a request: a missing api-version raises at once (reported before
    anything else, as in FastAPI), path problems are collected; the version's value is checked later."""
    if not version:
        check_api_version(None)  # raises MissingApiVersionParameter
    names = ("subscriptionId", "resourceGroupName", "workspaceName")
    subscription, group, workspace = (check_path(name, path_params[name], problems) for name in names)
    return WorkspaceCall(WorkspaceRef(subscription, group, workspace), version or "")


def _call(request: Request, problems: Problems) -> WorkspaceCall:
    return check_call(request.query_params.get("api-version"), request.path_params, problems)


def _int(request: Request, name: str, smallest: int, problems: Problems) -> int | None:
    text = request.query_params.get(name)
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        problems.append(f"query parameter '{name}': Input should be a valid integer (got {text[:80]!r})")
        return None
    if not smallest <= value <= 2**31 - 1:
        problems.append(f"query parameter '{name}': Input should be between {smallest} and {2**31 - 1}")
        return None
    return value


def _list(request: Request, problems: Problems) -> Any:
    query = request.query_params
    skip, top = _int(request, "skip", 0, problems), _int(request, "top", 1, problems)
    if problems:
        return None
    return list_query(query.get("filter"), skip, top, query.get("orderby"))


#: How each supported endpoint parameter is read from the request (problems are collected, not raised).
EXTRACTORS: dict[str, Callable[[Request, Problems], Any]] = {
    "request": lambda request, _problems: request,
    "call": _call,
    "jobId": lambda request, problems: _path(request, "jobId", problems),
    "sessionId": lambda request, problems: _path(request, "sessionId", problems),
    "params": _list,
}


#: Parameters filled after the checks: the authenticated caller, and the JSON body (read as FastAPI would,
#: after the parameters; its own problem is raised by the endpoint when it asks for the value).
_LATE = ("caller", "resource")


class LeanRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        names = list(inspect.signature(self.endpoint).parameters)
        unknown = [name for name in names if name not in EXTRACTORS and name not in _LATE]
        if unknown:
            raise TypeError(f"LeanRoute cannot serve {self.endpoint.__name__}: unsupported parameters {unknown}")
        extractors = [(name, EXTRACTORS[name]) for name in names if name in EXTRACTORS]
        wants_caller, wants_body = "caller" in names, "resource" in names
        endpoint = self.endpoint
        # Plain functions may block (store writes wait for the write lock): they run in the threadpool.
        blocking = not inspect.iscoroutinefunction(endpoint)
        # "call" (api-version, then the workspace path) first, so a missing api-version wins, as in FastAPI.
        extractors.sort(key=lambda item: item[0] != "call")

        async def handler(request: Request) -> Response:
            caller = await authenticate(request)
            problems: Problems = []
            arguments = {name: extract(request, problems) for name, extract in extractors}
            if problems:
                raise InvalidParameter("The request is not valid: " + "; ".join(problems) + ".")
            call = arguments.get("call")
            if isinstance(call, WorkspaceCall):
                check_api_version(call.api_version)
            if wants_caller:
                arguments["caller"] = caller
            if wants_body:
                arguments["resource"] = await json_body(request)
            if blocking:
                return cast(Response, await run_in_threadpool(endpoint, **arguments))
            return cast(Response, await endpoint(**arguments))

        return handler
