"""The official azure-storage-blob client against the service's linked storage over a real socket: single
and block uploads (Put Block / Put Block List), ranged downloads, properties, listing."""

from __future__ import annotations

import os
import uuid
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

WS = (
    "/subscriptions/00000000-0000-0000-0000-0000000000d1/resourceGroups/rg-blob/providers/Microsoft.Quantum"
    "/workspaces/ws-blob"
)


def sas(base_url: str, key: str, container: str, blob: str | None = None) -> str:
    body = {"containerName": container} | ({"blobName": blob} if blob else {})
    response = httpx.post(
        f"{base_url}{WS}/storage/sasUri",
        params={"api-version": "2026-01-15-preview"},
        headers={"x-ms-quantum-api-key": key},
        json=body,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    uri: str = response.json()["sasUri"]
    return uri


def test_sdk_uploads_in_blocks_and_downloads_in_ranges(workspace_server_session: Any) -> None:
    from azure.storage.blob import BlobClient, ContainerClient, ContentSettings

    base_url, key, _ = workspace_server_session
    container = f"sdk-{uuid.uuid4().hex[:12]}"
    data = os.urandom(300_000)
    client = BlobClient.from_blob_url(
        sas(base_url, key, container, "big.bin"),
        max_single_put_size=64 * 1024,
        max_block_size=64 * 1024,
        max_chunk_get_size=100_000,
        max_single_get_size=100_000,
    )
    client.upload_blob(data, content_settings=ContentSettings(content_type="application/x-test"))
    assert client.download_blob().readall() == data
    properties = client.get_blob_properties()
    assert properties.size == len(data)
    assert properties.content_settings.content_type == "application/x-test"

    small = BlobClient.from_blob_url(sas(base_url, key, container, "inputData"))
    small.upload_blob(b'{"qubits": 1}', content_settings=ContentSettings(content_type="application/json"))
    assert small.download_blob().readall() == b'{"qubits": 1}'

    listing = ContainerClient.from_container_url(sas(base_url, key, container))
    assert sorted(blob.name for blob in listing.list_blobs()) == ["big.bin", "inputData"]
