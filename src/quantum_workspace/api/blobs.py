"""The Blob REST subset the Azure SDKs and the workflows use, on the account layout
`/<account>/<container>[/<blob>]`: Put Blob, Put Block + Put Block List (large uploads), Get Blob (ranged),
Get Blob Properties, Create Container, Get Container Properties, List Blobs. Every request carries a SAS,
verified before anything else; errors are Azure Storage XML with `x-ms-error-code`.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET  # noqa: N817 - the usual name
from email.utils import format_datetime
from xml.sax.saxutils import escape

from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..blobs import ACCOUNT_PATTERN, BlobError, BlobProperties, ContainerProperties
from ..clock import format_timestamp
from ._context import Services, services

__all__ = ["routes"]

_STORAGE_VERSION = "2026-10-06"
#: Offsets of up to 19 digits (a 64-bit size); longer ones are no range a blob can have.
_RANGE = re.compile(r"^bytes=(\d{1,19})-(\d{0,19})$")


class _AccountConvertor(Convertor[str]):
    """Only names the service derives route here, so `/subscriptions/...` never reaches blob handlers."""

    regex = ACCOUNT_PATTERN

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("storageaccount", _AccountConvertor())


def _base_headers(request_id: str) -> dict[str, str]:
    return {"x-ms-request-id": request_id, "x-ms-version": _STORAGE_VERSION}


def _error(error: BlobError, request: Request, request_id: str) -> Response:
    headers = _base_headers(request_id) | {"x-ms-error-code": error.code}
    if request.method == "HEAD":
        return Response(status_code=error.status, headers=headers)
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<Error><Code>{escape(error.code)}</Code><Message>{escape(error.message)}\n"
        f"RequestId:{request_id}\nTime:{format_timestamp(request.state.now)}</Message></Error>"
    )
    return Response(xml.encode("utf-8"), status_code=error.status, media_type="application/xml", headers=headers)


def _http_date(props: BlobProperties | ContainerProperties) -> str:
    return format_datetime(props.last_modified, usegmt=True)


def _query(request: Request) -> dict[str, str]:
    return {key: value for key, value in request.query_params.items()}


async def _container_endpoint(request: Request) -> Response:
    request_id = str(uuid.uuid4())
    found = services(request)
    request.state.now = found.clock.now()
    account, container = request.path_params["account"], request.path_params["container"]
    query = _query(request)
    try:
        if query.get("restype") != "container":
            raise BlobError(
                "InvalidQueryParameterValue",
                400,
                "Value for one of the query parameters specified in the request URI is invalid: "
                "restype must be 'container'.",
            )
        if request.method == "PUT" and "comp" not in query:
            _verify(found, request, account, container, None, "CreateContainer")
            props = await run_in_threadpool(found.blobs.create_container, account, container, exist_ok=False)
            return Response(
                status_code=201,
                headers=_base_headers(request_id) | {"ETag": props.etag, "Last-Modified": _http_date(props)},
            )
        if request.method in ("GET", "HEAD") and query.get("comp") == "list":
            _verify(found, request, account, container, None, "ListBlobs")
            return await _list_blobs(found, request, account, container, query, request_id)
        if request.method in ("GET", "HEAD") and "comp" not in query:
            _verify(found, request, account, container, None, "GetContainerProperties")
            props = found.blobs.container_properties(account, container)
            return Response(
                status_code=200,
                headers=_base_headers(request_id)
                | {
                    "ETag": props.etag,
                    "Last-Modified": _http_date(props),
                    "x-ms-lease-status": "unlocked",
                    "x-ms-lease-state": "available",
                    "x-ms-has-immutability-policy": "false",
                    "x-ms-has-legal-hold": "false",
                },
            )
        asked = ", ".join(f"{name}={query[name]}" for name in ("restype", "comp") if name in query)  # never the SAS
        raise BlobError.unsupported(f"{request.method} on a container with {asked}")
    except BlobError as error:
        return _error(error, request, request_id)


async def _list_blobs(
    found: Services, request: Request, account: str, container: str, query: dict[str, str], request_id: str
) -> Response:
    prefix = query.get("prefix", "")
    try:
        limit = max(1, min(int(query.get("maxresults", "5000")), 5000))
    except ValueError as error:
        raise BlobError("InvalidQueryParameterValue", 400, "maxresults must be an integer.") from error
    marker = query.get("marker", "")
    blobs = [
        p
        for p in await run_in_threadpool(found.blobs.list_blobs, account, container, prefix)
        if p.name > marker or not marker
    ]
    page, rest = blobs[:limit], blobs[limit:]
    items = "".join(
        f"<Blob><Name>{escape(p.name)}</Name><Properties>"
        f"<Creation-Time>{format_datetime(p.creation_time, usegmt=True)}</Creation-Time>"
        f"<Last-Modified>{_http_date(p)}</Last-Modified><Etag>{escape(p.etag)}</Etag>"
        f"<Content-Length>{p.size}</Content-Length><Content-Type>{escape(p.content_type)}</Content-Type>"
        f"<Content-MD5>{p.content_md5}</Content-MD5><BlobType>BlockBlob</BlobType>"
        "<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>"
        "<ServerEncrypted>false</ServerEncrypted></Properties></Blob>"
        for p in page
    )
    next_marker = escape(page[-1].name) if rest else ""
    endpoint = escape(str(request.base_url).rstrip("/") + f"/{account}")
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<EnumerationResults ServiceEndpoint="{endpoint}/" ContainerName="{escape(container)}">'
        f"<Prefix>{escape(prefix)}</Prefix><Marker>{escape(marker)}</Marker><MaxResults>{limit}</MaxResults>"
        f"<Blobs>{items}</Blobs><NextMarker>{next_marker}</NextMarker></EnumerationResults>"
    )
    body = b"" if request.method == "HEAD" else xml.encode("utf-8")
    return Response(body, status_code=200, media_type="application/xml", headers=_base_headers(request_id))


def _verify(found: Services, request: Request, account: str, container: str, blob: str | None, operation: str) -> None:
    found.signer.verify(
        _query(request),
        account=account,
        container=container,
        blob=blob,
        operation=operation,
        now=request.state.now,
    )


async def _blob_endpoint(request: Request) -> Response:
    request_id = str(uuid.uuid4())
    found = services(request)
    request.state.now = found.clock.now()
    account = request.path_params["account"]
    container, blob = request.path_params["container"], request.path_params["blob"]
    try:
        if request.method in ("GET", "HEAD"):
            return await _get_blob(found, request, account, container, blob, request_id)
        if request.method == "PUT":
            return await _put_blob(found, request, account, container, blob, request_id)
        raise BlobError.unsupported(f"{request.method} on a blob")
    except BlobError as error:
        return _error(error, request, request_id)


def _blob_headers(props: BlobProperties, request_id: str) -> dict[str, str]:
    headers = _base_headers(request_id) | {
        "ETag": props.etag,
        "Last-Modified": _http_date(props),
        "Accept-Ranges": "bytes",
        "x-ms-blob-type": "BlockBlob",
        "x-ms-creation-time": format_datetime(props.creation_time, usegmt=True),
        "x-ms-lease-status": "unlocked",
        "x-ms-lease-state": "available",
        "x-ms-server-encrypted": "false",
    }
    for name, value in (
        ("Content-Language", props.content_language),
        ("Content-Disposition", props.content_disposition),
        ("Cache-Control", props.cache_control),
    ):
        if value:
            headers[name] = value
    return headers


async def _get_blob(
    found: Services, request: Request, account: str, container: str, blob: str, request_id: str
) -> Response:
    operation = "GetBlobProperties" if request.method == "HEAD" else "GetBlob"
    _verify(found, request, account, container, blob, operation)
    props, handle = await run_in_threadpool(found.blobs.open, account, container, blob)
    headers = _blob_headers(props, request_id) | {"Content-Type": props.content_type}
    wanted = request.headers.get("x-ms-range") or request.headers.get("range")
    if request.method == "HEAD" or wanted is None:
        headers |= {"Content-Length": str(props.size), "Content-MD5": props.content_md5}
        if request.method == "HEAD":
            handle.close()
            return Response(status_code=200, headers=headers)
        return StreamingResponse(found.blobs.iter_range(handle, 0, props.size), status_code=200, headers=headers)
    match = _RANGE.match(wanted.strip())
    if match is None:
        handle.close()
        raise BlobError.invalid_header("x-ms-range", "expected bytes=<start>-[<end>]")
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else props.size - 1
    if props.size == 0 or start >= props.size or end < start:
        handle.close()
        error = BlobError.invalid_range()
        response = _error(error, request, request_id)
        response.headers["Content-Range"] = f"bytes */{props.size}"
        return response
    end = min(end, props.size - 1)
    length = end - start + 1
    headers |= {"Content-Length": str(length), "Content-Range": f"bytes {start}-{end}/{props.size}"}
    return StreamingResponse(found.blobs.iter_range(handle, start, length), status_code=206, headers=headers)


async def _put_blob(
    found: Services, request: Request, account: str, container: str, blob: str, request_id: str
) -> Response:
    query = _query(request)
    if query.get("comp") == "block":
        return await _put_block(found, request, account, container, blob, query, request_id)
    if query.get("comp") == "blocklist":
        return await _put_block_list(found, request, account, container, blob, request_id)
    if "comp" in query:
        raise BlobError.unsupported(f"Put with comp={query['comp']}")
    exists = found.blobs.exists(account, container, blob) if found.blobs.container_exists(account, container) else False
    _verify(found, request, account, container, blob, "OverwriteBlob" if exists else "PutBlob")
    blob_type = request.headers.get("x-ms-blob-type")
    if blob_type is None:
        raise BlobError.missing_header("x-ms-blob-type")
    if blob_type != "BlockBlob":
        raise BlobError.invalid_header("x-ms-blob-type", "only BlockBlob is supported")
    limit = found.settings.max_blob_size
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BlobError.too_large(limit)
    upload = await run_in_threadpool(found.blobs.begin_upload, account, container, blob, limit=limit)
    try:
        async for chunk in request.stream():
            if chunk:
                upload.write(chunk)
    except BlobError:
        raise
    except BaseException:
        upload.abort()
        raise
    headers = request.headers
    content_type = headers.get("x-ms-blob-content-type") or headers.get("content-type")
    props = await run_in_threadpool(
        lambda: upload.commit(
            content_type=content_type,
            if_none_match=headers.get("if-none-match"),
            content_encoding=headers.get("x-ms-blob-content-encoding"),
            content_language=headers.get("x-ms-blob-content-language"),
            content_disposition=headers.get("x-ms-blob-content-disposition"),
            cache_control=headers.get("x-ms-blob-cache-control"),
        )
    )
    return Response(
        status_code=201,
        headers=_base_headers(request_id)
        | {
            "ETag": props.etag,
            "Last-Modified": _http_date(props),
            "Content-MD5": props.content_md5,
            "x-ms-request-server-encrypted": "false",
        },
    )


async def _read_body(request: Request, limit: int) -> list[bytes]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BlobError.too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BlobError.too_large(limit)
        chunks.append(chunk)
    return chunks


async def _put_block(
    found: Services, request: Request, account: str, container: str, blob: str, query: dict[str, str], request_id: str
) -> Response:
    """Put Block: one uncommitted piece of a large upload, named by its base64 block id."""
    _verify(found, request, account, container, blob, "PutBlob")
    block_id = query.get("blockid", "")
    if not block_id or len(block_id) > 256:
        raise BlobError("InvalidQueryParameterValue", 400, "blockid must be a base64 string of up to 64 bytes.")
    chunks = await _read_body(request, found.settings.max_blob_size)
    md5 = await run_in_threadpool(found.blobs.stage_block, account, container, blob, block_id, chunks)
    return Response(
        status_code=201,
        headers=_base_headers(request_id) | {"Content-MD5": md5, "x-ms-request-server-encrypted": "false"},
    )


async def _put_block_list(
    found: Services, request: Request, account: str, container: str, blob: str, request_id: str
) -> Response:
    """Put Block List: the blob becomes the listed blocks, in order (Latest, Uncommitted and Committed all
    name blocks staged since the last commit)."""
    exists = found.blobs.exists(account, container, blob) if found.blobs.container_exists(account, container) else False
    _verify(found, request, account, container, blob, "OverwriteBlob" if exists else "PutBlob")
    body = b"".join(await _read_body(request, 4 * 1024 * 1024))
    try:
        root = ET.fromstring(body)
    except (ET.ParseError, LookupError, ValueError) as error:  # LookupError: an encoding expat does not know
        raise BlobError("InvalidXmlDocument", 400, "The block list is not well-formed XML.") from error
    if root.tag != "BlockList":
        raise BlobError("InvalidXmlDocument", 400, "The block list must be a <BlockList> element.")
    block_ids = [(item.text or "").strip() for item in root if item.tag in ("Latest", "Committed", "Uncommitted")]
    headers = request.headers
    props = await run_in_threadpool(
        lambda: found.blobs.commit_blocks(
            account,
            container,
            blob,
            block_ids,
            limit=found.settings.max_blob_size,
            content_type=headers.get("x-ms-blob-content-type"),
            if_none_match=headers.get("if-none-match"),
            content_encoding=headers.get("x-ms-blob-content-encoding"),
            content_language=headers.get("x-ms-blob-content-language"),
            content_disposition=headers.get("x-ms-blob-content-disposition"),
            cache_control=headers.get("x-ms-blob-cache-control"),
        )
    )
    return Response(
        status_code=201,
        headers=_base_headers(request_id)
        | {"ETag": props.etag, "Last-Modified": _http_date(props), "x-ms-request-server-encrypted": "false"},
    )


routes = [
    Route(
        "/{account:storageaccount}/{container}",
        _container_endpoint,
        methods=["GET", "HEAD", "PUT", "DELETE", "POST", "PATCH"],
        include_in_schema=False,
    ),
    Route(
        "/{account:storageaccount}/{container}/{blob:path}",
        _blob_endpoint,
        methods=["GET", "HEAD", "PUT", "DELETE", "POST", "PATCH"],
        include_in_schema=False,
    ),
]
