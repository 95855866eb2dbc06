"""Every response carries `x-ms-request-id`, and the client's `x-ms-client-request-id` comes back, as on
Azure: data plane (the fast job GET included), errors, and blob storage (whose routes set their own id)."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from ws_helpers import Api, new_id


def _ids(response: object) -> tuple[list[str], list[str]]:
    headers = response.headers  # type: ignore[attr-defined]
    return headers.get_list("x-ms-request-id"), headers.get_list("x-ms-client-request-id")


def test_data_plane_answers_carry_request_ids(client: TestClient) -> None:
    api = Api(client)
    job_id = new_id()
    assert api.submit(job_id=job_id).status_code == 200
    seen = set()
    for path in (f"/jobs/{job_id}", "/jobs", f"/jobs/{new_id()}", "/providerStatus"):
        mine = str(uuid.uuid1())
        response = api.call("GET", path, headers={"x-ms-client-request-id": mine})
        ids, echoed = _ids(response)
        assert len(ids) == 1 and uuid.UUID(ids[0]) and echoed == [mine], (path, response.headers)
        seen.add(ids[0])
    assert len(seen) == 4  # a new id for every request
    unauthenticated = client.get(f"{api.ws}/jobs/{job_id}", params={"api-version": "2026-01-15-preview"})
    assert unauthenticated.status_code == 401 and len(_ids(unauthenticated)[0]) == 1


def test_blob_answers_keep_their_own_id_and_echo_the_clients(client: TestClient) -> None:
    api = Api(client)
    url = api.sas("ids", "inputData")
    response = client.put(url, content=b"{}", headers={"x-ms-blob-type": "BlockBlob", "x-ms-client-request-id": "abc"})
    ids, echoed = _ids(response)
    assert response.status_code == 201 and len(ids) == 1 and echoed == ["abc"]


def test_an_overlong_client_id_is_not_echoed(client: TestClient) -> None:
    response = Api(client).call("GET", "/jobs", headers={"x-ms-client-request-id": "x" * 2000})
    ids, echoed = _ids(response)
    assert response.status_code == 200 and len(ids) == 1 and echoed == []
