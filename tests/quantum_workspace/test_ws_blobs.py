"""Linked storage: Storage_GetSasUri, SAS verification on every blob request, and the Blob REST subset."""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from ws_helpers import WS, Api, assert_error

from quantum_workspace.blobs import BlobError, SasGrant, SasSigner
from quantum_workspace.clock import ManualClock

PUT_HEADERS = {"x-ms-blob-type": "BlockBlob"}


def blob_error(response: object, status: int, code: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["x-ms-error-code"] == code  # type: ignore[attr-defined]
    if response.request.method != "HEAD":  # type: ignore[attr-defined]
        root = ET.fromstring(response.content)  # type: ignore[attr-defined]
        assert root.tag == "Error" and root.findtext("Code") == code
        assert "sig=" not in (root.findtext("Message") or "")


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts._replace(query=urlencode(query)).geturl()


def test_container_sas_layout_and_container_exists(api: Api) -> None:
    uri = api.sas("my-container")
    parts = urlsplit(uri)
    account, container = parts.path.strip("/").split("/")
    assert parts.scheme == "http" and parts.netloc == "testserver"
    assert account.isalnum() and account.islower() and "subscriptions" not in account
    assert container == "my-container"
    query = parse_qs(parts.query)
    assert query["sr"] == ["c"] and "r" in query["sp"][0] and "w" in query["sp"][0]
    assert datetime.fromisoformat(query["se"][0].replace("Z", "+00:00")) > datetime.now(UTC) + timedelta(hours=1)
    properties = api.client.get(with_query(uri, restype="container"))
    assert properties.status_code == 200 and properties.headers["etag"]


def test_blob_sas_names_the_blob(api: Api) -> None:
    uri = api.sas("c-blob", "dir/input data.json")
    parts = urlsplit(uri)
    assert parts.path.endswith("/c-blob/dir/input%20data.json")
    assert parse_qs(parts.query)["sr"] == ["b"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"containerName": "Bad_Name"},
        {"containerName": "ab"},
        {"containerName": "ok-name", "blobName": ""},
        {"containerName": 5},
        [1],
    ],
)
def test_invalid_blob_details_are_400(api: Api, body: object) -> None:
    assert_error(api.call("POST", "/storage/sasUri", json_body=body), 400)


def test_put_then_get_whole_and_ranged(api: Api) -> None:
    data = b'{"qubits": 1, "circuit": []}'
    uri = api.sas("c-put", "inputData")
    put = api.client.put(
        uri,
        content=data,
        headers=PUT_HEADERS
        | {
            "x-ms-blob-content-type": "application/json",
            "Content-Type": "application/octet-stream",
            "If-None-Match": "*",
        },
    )
    assert put.status_code == 201
    assert put.headers["content-md5"] == base64.b64encode(hashlib.md5(data).digest()).decode()  # noqa: S324
    assert put.headers["etag"] and put.headers["last-modified"]
    whole = api.client.get(uri)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "application/json"
    assert "content-range" not in whole.headers
    part = api.client.get(uri, headers={"x-ms-range": "bytes=0-33554431"})
    assert part.status_code == 206 and part.content == data
    assert part.headers["content-range"] == f"bytes 0-{len(data) - 1}/{len(data)}"
    middle = api.client.get(uri, headers={"Range": "bytes=2-5"})
    assert middle.status_code == 206 and middle.content == data[2:6]
    head = api.client.head(uri)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(data))


def test_if_none_match_star_refuses_to_overwrite(api: Api) -> None:
    uri = api.sas("c-once", "inputData")
    assert api.client.put(uri, content=b"1", headers=PUT_HEADERS | {"If-None-Match": "*"}).status_code == 201
    blob_error(
        api.client.put(uri, content=b"2", headers=PUT_HEADERS | {"If-None-Match": "*"}),
        409,
        "BlobAlreadyExists",
    )
    assert api.client.put(uri, content=b"3", headers=PUT_HEADERS).status_code == 201
    assert api.client.get(uri).content == b"3"


def test_empty_blob_ranged_is_416(api: Api) -> None:
    uri = api.sas("c-empty", "nothing")
    assert api.client.put(uri, content=b"", headers=PUT_HEADERS).status_code == 201
    assert api.client.get(uri).content == b""
    blob_error(api.client.get(uri, headers={"x-ms-range": "bytes=0-100"}), 416, "InvalidRange")


def test_missing_blob_and_container(api: Api) -> None:
    blob_error(api.client.get(api.sas("c-missing", "nope")), 404, "BlobNotFound")


@pytest.mark.parametrize("tamper", ["sig", "se", "sp", "sr", "drop-sig"])
def test_tampered_sas_is_403_authentication_failed(api: Api, tamper: str) -> None:
    uri = api.sas("c-tamper", "inputData")
    api.client.put(uri, content=b"x", headers=PUT_HEADERS)
    query = {k: v[0] for k, v in parse_qs(urlsplit(uri).query).items()}
    if tamper == "sig":
        query["sig"] = base64.b64encode(b"\x00" * 32).decode()
    elif tamper == "se":
        query["se"] = "2099-01-01T00:00:00Z"
    elif tamper == "sp":
        query["sp"] = "racwdl"
    elif tamper == "sr":
        query["sr"] = "c"
    else:
        del query["sig"]
    blob_error(api.client.get(urlsplit(uri)._replace(query=urlencode(query)).geturl()), 403, "AuthenticationFailed")


def test_sas_for_one_blob_does_not_open_another(api: Api) -> None:
    uri = api.sas("c-scope", "a")
    api.client.put(uri, content=b"a", headers=PUT_HEADERS)
    other = uri.replace("/c-scope/a?", "/c-scope/b?")
    blob_error(api.client.put(other, content=b"b", headers=PUT_HEADERS), 403, "AuthenticationFailed")


def test_sas_of_one_workspace_does_not_open_another(api: Api) -> None:
    mine = api.sas("shared-name", "inputData")
    theirs = Api(api.client, WS.replace("ws-test", "ws-other")).sas("shared-name", "inputData")
    assert urlsplit(mine).path != urlsplit(theirs).path
    moved = urlsplit(theirs)._replace(query=urlsplit(mine).query).geturl()
    blob_error(api.client.get(moved), 403, "AuthenticationFailed")


def test_read_only_sas_cannot_write(api: Api) -> None:
    read_only = api.submit().json()["outputDataUri"]
    assert parse_qs(urlsplit(read_only).query)["sp"] == ["r"]
    blob_error(api.client.put(read_only, content=b"x", headers=PUT_HEADERS), 403, "AuthorizationPermissionMismatch")


def test_expired_sas_is_403(make_client: object, clock: ManualClock) -> None:
    api = Api(make_client(clock=clock, start_worker=False))  # type: ignore[operator]
    uri = api.sas("c-expiry", "inputData")
    assert api.client.put(uri, content=b"x", headers=PUT_HEADERS).status_code == 201
    clock.advance(timedelta(hours=25))
    blob_error(api.client.get(uri), 403, "AuthenticationFailed")


def test_put_needs_the_block_blob_type(api: Api) -> None:
    uri = api.sas("c-type", "inputData")
    blob_error(api.client.put(uri, content=b"x"), 400, "MissingRequiredHeader")
    blob_error(api.client.put(uri, content=b"x", headers={"x-ms-blob-type": "PageBlob"}), 400, "InvalidHeaderValue")


def test_oversized_blob_is_413(make_client: object) -> None:
    api = Api(make_client(max_blob_size=10, start_worker=False))  # type: ignore[operator]
    blob_error(
        api.client.put(api.sas("c-big", "b"), content=b"x" * 11, headers=PUT_HEADERS),
        413,
        "RequestBodyTooLarge",
    )


def test_create_container_and_list_blobs(api: Api) -> None:
    uri = api.sas("c-list")
    blob_error(api.client.put(with_query(uri, restype="container")), 409, "ContainerAlreadyExists")
    for name in ("b/2", "a", "b/1"):
        base, query = uri.split("?")
        assert api.client.put(f"{base}/{name}?{query}", content=name.encode(), headers=PUT_HEADERS).status_code == 201
    listing = api.client.get(with_query(uri, restype="container", comp="list", prefix="b/"))
    assert listing.status_code == 200
    names = [el.text for el in ET.fromstring(listing.content).iter("Name")]
    assert names == ["b/1", "b/2"]


def test_blob_sas_cannot_list_the_container(api: Api) -> None:
    uri = api.sas("c-nolist", "one")
    base = uri.split("?")[0].rsplit("/", 1)[0]
    response = api.client.get(f"{base}?{urlencode({'restype': 'container', 'comp': 'list'})}&{uri.split('?')[1]}")
    assert response.status_code == 403


def test_sas_survives_a_new_signer_on_the_same_directory(tmp_path: Path) -> None:
    first = SasSigner.load_or_create(tmp_path)
    grant = SasGrant("qw" + "0" * 22, "c", "b", "r", datetime(2030, 1, 1, tzinfo=UTC))
    query = {k: v[0] for k, v in parse_qs(first.sign(grant)).items()}
    again = SasSigner.load_or_create(tmp_path)
    now = datetime(2029, 1, 1, tzinfo=UTC)
    assert again.verify(query, account=grant.account, container="c", blob="b", operation="GetBlob", now=now)
    other = SasSigner.load_or_create(tmp_path / "elsewhere") if (tmp_path / "elsewhere").mkdir() is None else None
    assert other is not None
    with pytest.raises(BlobError) as caught:
        other.verify(query, account=grant.account, container="c", blob="b", operation="GetBlob", now=now)
    assert caught.value.code == "AuthenticationFailed"
    assert (tmp_path / SasSigner.KEY_FILE).stat().st_mode & 0o077 == 0
    assert "key" not in repr(again).replace("key=***", "")


def test_put_block_and_block_list(api: Api) -> None:
    uri = api.sas("c-blocks", "assembled")
    base, query = uri.split("?")
    for block_id, data in (("YQ==", b"first-"), ("Yg==", b"second")):
        staged = api.client.put(f"{base}?{query}&comp=block&blockid={block_id}", content=data)
        assert staged.status_code == 201 and staged.headers["content-md5"]
    listing = b"<?xml version='1.0'?><BlockList><Latest>Yg==</Latest><Latest>YQ==</Latest></BlockList>"
    committed = api.client.put(
        f"{base}?{query}&comp=blocklist", content=listing, headers={"x-ms-blob-content-type": "text/plain"}
    )
    assert committed.status_code == 201
    whole = api.client.get(uri)
    assert whole.content == b"secondfirst-" and whole.headers["content-type"] == "text/plain"
    blob_error(api.client.put(f"{base}?{query}&comp=blocklist", content=listing), 400, "InvalidBlockList")
    blob_error(api.client.put(f"{base}?{query}&comp=blocklist", content=b"<nope"), 400, "InvalidXmlDocument")
    blob_error(api.client.put(f"{base}?{query}&comp=block", content=b"x"), 400, "InvalidQueryParameterValue")
    read_only = api.submit().json()["outputDataUri"]
    blob_error(
        api.client.put(read_only + "&comp=block&blockid=YQ==", content=b"x"), 403, "AuthorizationPermissionMismatch"
    )


def test_names_xml_cannot_hold_are_refused_and_the_listing_stays_well_formed(api: Api) -> None:
    container = api.sas("c-xml-names")
    base, query = container.split("?")
    for name in ("%EF%BF%BE", "a%EF%BF%BF", "b%01c"):  # U+FFFE, U+FFFF, a control character
        blob_error(api.client.put(f"{base}/{name}?{query}", content=b"x", headers=PUT_HEADERS), 400, "InvalidBlobName")
    assert api.client.put(f"{base}/%C3%A9t%C3%A9?{query}", content=b"x", headers=PUT_HEADERS).status_code == 201
    listing = api.client.get(f"{base}?{query}&restype=container&comp=list")
    assert [item.text for item in ET.fromstring(listing.content).iter("Name")] == ["été"]


def test_a_blob_named_like_a_temporary_file_survives_a_restart(tmp_path: Path) -> None:
    """The store's temporary files cannot be named like any blob's files, so collecting them (at every
    start) never takes a blob with them."""
    from quantum_workspace.blobs import BlobStore

    store = BlobStore(tmp_path / "blobs")
    store.write_bytes("qw" + "0" * 22, "c-tmp", ".tmp-hidden", b"kept", "text/plain")
    store.collect_garbage()
    assert store.read_bytes("qw" + "0" * 22, "c-tmp", ".tmp-hidden")[1] == b"kept"


def test_concurrent_block_list_commits_of_one_blob_never_fail_unexpectedly(api: Api) -> None:
    """Twenty commits of the same staged blocks race with new Put Blocks: each is a 201 or a 400 for blocks
    another commit took, and the blob is whole."""
    from concurrent.futures import ThreadPoolExecutor

    uri = api.sas("c-race", "raced")
    base, query = uri.split("?")
    blocks = [(base64.b64encode(f"block-{i}".encode()).decode(), bytes([65 + i]) * 100_000) for i in range(5)]
    for block_id, data in blocks:
        assert api.client.put(f"{base}?{query}&comp=block&blockid={block_id}", content=data).status_code == 201
    listing = "<BlockList>" + "".join(f"<Latest>{block_id}</Latest>" for block_id, _ in blocks) + "</BlockList>"

    def one(index: int) -> int:
        if index % 4 == 3:
            block_id, data = blocks[index % 5]
            return api.client.put(f"{base}?{query}&comp=block&blockid={block_id}", content=data).status_code
        return api.client.put(f"{base}?{query}&comp=blocklist", content=listing.encode()).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(one, range(20)))
    assert set(statuses) <= {201, 400}, statuses
    assert 201 in statuses
    assert api.client.get(uri).content == b"".join(data for _, data in blocks)


def test_odd_ranges_block_lists_and_conditions_get_storage_errors(api: Api) -> None:
    uri = api.sas("c-odd", "blob")
    base, query = uri.split("?")
    assert api.client.put(uri, content=b"0123456789", headers=PUT_HEADERS).status_code == 201
    for header in ("bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 30):
        blob_error(api.client.get(uri, headers={"x-ms-range": header}), 400, "InvalidHeaderValue")
    ebcdic = b'<?xml version="1.0" encoding="ebcdic"?><BlockList/>'
    blob_error(api.client.put(f"{base}?{query}&comp=blocklist", content=ebcdic), 400, "InvalidXmlDocument")
    blob_error(
        api.client.put(uri, content=b"new", headers=PUT_HEADERS | {"If-None-Match": '"", *'}), 409, "BlobAlreadyExists"
    )
    assert api.client.get(uri).content == b"0123456789"
    container = api.sas("c-odd")
    base, query = container.split("?")
    unsupported = api.client.delete(f"{base}?{query}&restype=container")  # blob_error checks no sig= is echoed
    blob_error(unsupported, 405, "UnsupportedHttpVerb")
