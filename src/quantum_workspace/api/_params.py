"""Request parts every data-plane route shares: workspace path, item ids, api-version, auth, list
parameters and the JSON body. Declared once so the generated description matches the contract."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request

from ..errors import InvalidRequestContent, RequestBodyTooLarge, WorkspaceError
from ..ids import (
    ITEM_ID_PATTERN,
    RESOURCE_GROUP_PATTERN,
    SUBSCRIPTION_ID_PATTERN,
    WORKSPACE_NAME_PATTERN,
    WorkspaceRef,
)
from ..service import Principal, parse_filter, parse_orderby
from ..store import ListQuery
from ._context import services
from ._versions import check_api_version

__all__ = [
    "MAX_PAGE_SIZE",
    "Body",
    "Caller",
    "InWorkspace",
    "JobId",
    "ListParams",
    "SessionId",
    "Subscription",
    "Workspace",
    "WorkspaceCall",
    "SUBSCRIPTION_PREFIX",
    "WORKSPACE_PREFIX",
    "authenticate",
    "JsonBody",
    "json_body",
    "list_query",
]

SUBSCRIPTION_PREFIX = "/subscriptions/{subscriptionId}/providers/Microsoft.Quantum"
WORKSPACE_PREFIX = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
    "/providers/Microsoft.Quantum/workspaces/{workspaceName}"
)
#: The most items one page holds, whatever `top` asks for; more come through nextLink.
MAX_PAGE_SIZE = 100


async def authenticate(request: Request) -> Principal:
    """API key or bearer JWT; runs before any other check, so a stranger learns nothing else."""
    headers = request.headers
    return services(request).authenticator.authenticate(
        headers.get("x-ms-quantum-api-key"), headers.get("authorization")
    )


async def workspace(
    subscriptionId: Annotated[str, Path(min_length=36, max_length=36, pattern=SUBSCRIPTION_ID_PATTERN)],
    resourceGroupName: Annotated[str, Path(min_length=1, max_length=90, pattern=RESOURCE_GROUP_PATTERN)],
    workspaceName: Annotated[str, Path(min_length=2, max_length=50, pattern=WORKSPACE_NAME_PATTERN)],
) -> WorkspaceRef:
    return WorkspaceRef(subscriptionId, resourceGroupName, workspaceName)


async def subscription(
    subscriptionId: Annotated[str, Path(min_length=36, max_length=36, pattern=SUBSCRIPTION_ID_PATTERN)],
    api_version: Annotated[str, Query(alias="api-version", min_length=1)],
) -> str:
    """The subscription of a suite-offer operation (after checking its api-version)."""
    check_api_version(api_version)
    return subscriptionId


@dataclass(frozen=True, slots=True)
class WorkspaceCall:
    """The workspace a data-plane request addresses and the api-version it speaks."""

    workspace: WorkspaceRef
    api_version: str


async def workspace_call(
    subscriptionId: Annotated[str, Path(min_length=36, max_length=36, pattern=SUBSCRIPTION_ID_PATTERN)],
    resourceGroupName: Annotated[str, Path(min_length=1, max_length=90, pattern=RESOURCE_GROUP_PATTERN)],
    workspaceName: Annotated[str, Path(min_length=2, max_length=50, pattern=WORKSPACE_NAME_PATTERN)],
    api_version: Annotated[str, Query(alias="api-version", min_length=1)],
) -> WorkspaceCall:
    """One dependency for the four parameters every workspace operation has (each dependency costs)."""
    return WorkspaceCall(WorkspaceRef(subscriptionId, resourceGroupName, workspaceName), check_api_version(api_version))


Caller = Annotated[Principal, Depends(authenticate)]
InWorkspace = Annotated[WorkspaceCall, Depends(workspace_call)]
Subscription = Annotated[str, Depends(subscription)]
Workspace = Annotated[WorkspaceRef, Depends(workspace)]
JobId = Annotated[str, Path(max_length=36, pattern=ITEM_ID_PATTERN)]
SessionId = Annotated[str, Path(max_length=36, pattern=ITEM_ID_PATTERN)]


def list_query(
    filter_text: str | None, skip: int | None, top: int | None, orderby: str | None
) -> tuple[ListQuery, dict[str, str]]:
    """The store query, and the effective parameters to carry into nextLink."""
    page = min(top or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    query = ListQuery(filter=parse_filter(filter_text), order_by=parse_orderby(orderby), skip=skip or 0, top=page)
    carried = {name: value for name, value in (("filter", filter_text), ("orderby", orderby)) if value}
    if top is not None:
        carried["top"] = str(top)
    return query, carried


async def list_params(
    filter: Annotated[str | None, Query()] = None,  # noqa: A002 - the contract's parameter name
    skip: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    top: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    orderby: Annotated[str | None, Query()] = None,
) -> tuple[ListQuery, dict[str, str]]:
    return list_query(filter, skip, top, orderby)


ListParams = Annotated[tuple[ListQuery, dict[str, str]], Depends(list_params)]


class Body:
    """A request body read before the handler runs; `value()` raises its problem (malformed, too large)
    only then, so parameter errors (api-version, ids) are reported first."""

    def __init__(self, value: Any = None, problem: WorkspaceError | None = None) -> None:
        self._value, self._problem = value, problem

    def value(self) -> Any:
        if self._problem is not None:
            raise self._problem
        return self._value


async def json_body(request: Request) -> Body:
    """The request body parsed as JSON, bounded in size; a malformed body is the client's 400."""
    limit = services(request).settings.max_json_body
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return Body(problem=RequestBodyTooLarge(f"The request body exceeds the limit of {limit} bytes."))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return Body(problem=RequestBodyTooLarge(f"The request body exceeds the limit of {limit} bytes."))
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return Body(problem=InvalidRequestContent("The request body is empty; a JSON object is required."))
    try:
        # UTF-8 only (a BOM allowed): json.loads on bytes would also take UTF-16 and UTF-32, decoded so that
        # unpaired surrogates pass; the strict UTF-8 decoder refuses the bytes of one.
        text = raw.decode("utf-8-sig")
        value = _DECODER.decode(text)
    except UnicodeDecodeError:
        return Body(problem=InvalidRequestContent("The request body is not UTF-8 encoded JSON."))
    except json.JSONDecodeError as error:
        return Body(
            problem=InvalidRequestContent(
                f"The request body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}."
            )
        )
    except (_NotJson, RecursionError) as error:
        return Body(problem=InvalidRequestContent(f"The request body is not valid JSON: {_why(error)}."))
    except ValueError:  # an integer past Python's 4,300-digit conversion limit
        return Body(problem=InvalidRequestContent("The request body is not valid JSON: a number has too many digits."))
    problem = _unstorable(text, value)
    return (
        Body(problem=InvalidRequestContent(f"The request body is not valid JSON: {problem}."))
        if problem
        else Body(value)
    )


#: How deeply a body's arrays and objects may nest (ASP.NET's System.Text.Json default, which the service runs
#: on): a deeper one could be read but not written back out.
MAX_JSON_DEPTH = 64
#: The only way left for an unpaired UTF-16 surrogate into a UTF-8 body: a \uD800-\uDFFF escape, which
#: the JSON decoder lets through; it cannot be encoded again, so a response that held it would fail.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _NotJson(ValueError):
    """NaN, Infinity and -Infinity, which Python reads but JSON does not have, and numbers that would be
    infinite as doubles."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    """A JSON number read as a float, which must be finite: 1e400 would be written back as Infinity."""
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"{text} is out of range for a double")
    return value


#: One decoder for every body (json.loads with hooks builds a new one per call).
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def _why(error: Exception) -> str:
    return f"nested more than {MAX_JSON_DEPTH} levels" if isinstance(error, RecursionError) else str(error)


def _unstorable(text: str, value: Any) -> str | None:
    """Why a parsed body cannot be kept and echoed, or None; each walk runs only on bodies that could fail,
    judged from cheap looks at the text."""
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH):
        return f"nested more than {MAX_JSON_DEPTH} levels"
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) and not _encodable(value):
        return "a string holds an unpaired UTF-16 surrogate"
    return None


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (containers only are visited)."""
    pending = [(value, 1)] if isinstance(value, dict | list) else []
    while pending:
        item, level = pending.pop()
        if level > limit:
            return True
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                pending.append((child, level + 1))
    return False


def _encodable(value: Any) -> bool:
    """Whether the body could be written back out as UTF-8 (a surrogate pair decodes to one character)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


JsonBody = Annotated[Body, Depends(json_body)]
