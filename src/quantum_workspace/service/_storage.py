"""Storage_GetSasUri and the SAS URIs the service hands out (container, blob, job output)."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from ..blobs import BlobError, BlobStore, SasGrant, SasSigner, check_blob_name, check_container_name
from ..clock import Clock
from ..errors import InvalidBlobDetails
from ..ids import WorkspaceRef

__all__ = ["CONTAINER_PERMISSIONS", "StorageService"]

#: What a client may do with the SAS it asks for: a container SAS reads, adds, creates, writes and lists
#: (as the real service's `sp=racwl`); a blob SAS reads, creates and writes that one blob.
CONTAINER_PERMISSIONS = "racwl"
BLOB_PERMISSIONS = "rcw"


class StorageService:
    def __init__(
        self, blobs: BlobStore, signer: SasSigner, clock: Clock, *, sas_ttl: timedelta = timedelta(hours=24)
    ) -> None:
        self.blobs = blobs
        self._signer = signer
        self._clock = clock
        self._ttl = sas_ttl

    def sas_uri(self, workspace: WorkspaceRef, body: Any, base_url: str) -> str:
        """A container SAS (or a blob SAS when `blobName` is given); the container exists afterwards."""
        if not isinstance(body, dict):
            raise InvalidBlobDetails("The blob details must be a JSON object.")
        container, blob = body.get("containerName"), body.get("blobName")
        try:
            if container is None:
                raise InvalidBlobDetails("The blob details are not valid: 'containerName' is required.")
            check_container_name(container)
            if blob is not None:
                check_blob_name(blob)
        except BlobError as error:
            raise InvalidBlobDetails(f"The blob details are not valid: {error.message}") from error
        self.blobs.create_container(workspace.storage_account, container)
        permissions = CONTAINER_PERMISSIONS if blob is None else BLOB_PERMISSIONS
        return self.signed_url(base_url, workspace.storage_account, container, blob, permissions, self._ttl)

    def signed_url(
        self, base_url: str, account: str, container: str, blob: str | None, permissions: str, ttl: timedelta
    ) -> str:
        """A SAS URL valid for `ttl` from the start of the current minute. Within a minute the same URL is
        returned from a cache: every job GET carries two of them, and signing is the costly part."""
        minute = self._clock.now().replace(second=0, microsecond=0)
        return self._signed(base_url, account, container, blob, permissions, minute + ttl)

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one service per app; the cache dies with it
    def _signed(
        self, base_url: str, account: str, container: str, blob: str | None, permissions: str, expiry: datetime
    ) -> str:
        grant = SasGrant(account, container, blob, permissions, expiry)
        path = f"{account}/{container}" + (f"/{quote(blob, safe='/~')}" if blob is not None else "")
        return f"{base_url.rstrip('/')}/{path}?{self._signer.sign(grant)}"
