"""Shared access signatures: sign a grant with the data directory's key, verify one on every blob request.

The checks run in Azurite's order — well-formed, signature, time window, resource, permission — and each
failure is a BlobError. Signatures are compared with hmac.compare_digest and never logged or echoed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from ..errors import StoreError
from ._errors import BlobError

__all__ = ["OPERATION_PERMISSIONS", "SAS_VERSION", "SasGrant", "SasSigner"]

#: The `sv` written into every SAS this service issues.
SAS_VERSION = "2025-01-05"
#: Canonical order of permission letters (read, add, create, write, delete, list).
_PERMISSION_ORDER = "racwdl"
#: The permission each blob operation needs; any one of the letters suffices (Azure's table, trimmed to
#: the operations served here).
OPERATION_PERMISSIONS: Mapping[str, str] = {
    "GetBlob": "r",
    "GetBlobProperties": "r",
    "PutBlob": "cw",
    "OverwriteBlob": "w",
    "CreateContainer": "cw",
    "GetContainerProperties": "rl",
    "ListBlobs": "l",
}


@dataclass(frozen=True, slots=True)
class SasGrant:
    """What a SAS allows: one container (sr=c) or one blob (sr=b), some permissions, until an expiry."""

    account: str
    container: str
    blob: str | None
    permissions: str
    expiry: datetime
    version: str = SAS_VERSION

    @property
    def resource(self) -> str:
        return "c" if self.blob is None else "b"


def _format_expiry(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_expiry(text: str) -> datetime:
    value = text[:-1] + "+00:00" if text.endswith("Z") else text
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


class SasSigner:
    """HMAC-SHA256 over account, container, blob, permissions, expiry and version with a secret key."""

    KEY_FILE = "sas-signing.key"

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a SAS signing key needs at least 16 bytes")
        self._key = key

    def __repr__(self) -> str:
        return "SasSigner(key=***)"

    @classmethod
    def load_or_create(cls, data_dir: Path) -> SasSigner:
        """The key lives in the data directory, so a SAS issued before a restart stays valid after it, and
        replicas sharing the directory sign alike. A new key is written whole to a temporary file and
        linked into place, so a replica starting at the same moment reads the winner's key, never a
        half-written file."""
        path = data_dir / cls.KEY_FILE
        if not path.exists():
            fd, temporary = tempfile.mkstemp(dir=data_dir, prefix=".tmp-sas-key-")  # mode 0600
            try:
                with os.fdopen(fd, "w", encoding="ascii") as handle:
                    handle.write(base64.b64encode(secrets.token_bytes(32)).decode("ascii") + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())
                try:
                    os.link(temporary, path)
                except FileExistsError:
                    pass  # another process made the key first: use theirs
            finally:
                os.unlink(temporary)
        try:
            key = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
        except (OSError, ValueError) as error:
            raise StoreError(f"the SAS signing key {path} cannot be read ({type(error).__name__})") from error
        if len(key) < 16:
            raise StoreError(f"the SAS signing key {path} is damaged: remove it to make a new one")
        return cls(key)

    def _signature(
        self,
        account: str,
        container: str,
        blob: str | None,
        permissions: str,
        start: str,
        expiry: str,
        version: str,
        resource: str,
    ) -> str:
        canonical = f"/blob/{account}/{container}" + (f"/{blob}" if blob is not None else "")
        text = "\n".join([permissions, start, expiry, canonical, version, resource])
        digest = hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii")

    def sign(self, grant: SasGrant) -> str:
        """The SAS query string (without `?`)."""
        permissions = "".join(ch for ch in _PERMISSION_ORDER if ch in grant.permissions)
        expiry = _format_expiry(grant.expiry)
        sig = self._signature(
            grant.account, grant.container, grant.blob, permissions, "", expiry, grant.version, grant.resource
        )
        return urlencode({"sv": grant.version, "se": expiry, "sr": grant.resource, "sp": permissions, "sig": sig})

    def verify(
        self,
        query: Mapping[str, str],
        *,
        account: str,
        container: str,
        blob: str | None,
        operation: str,
        now: datetime,
    ) -> SasGrant:
        """Check a request's SAS for `operation` on the container or blob: the grant, or BlobError."""
        sig = query.get("sig")
        if not sig:
            raise BlobError.authentication_failed("The request carries no SAS signature (sig).")
        missing = [name for name in ("sv", "se", "sr", "sp") if not query.get(name)]
        if missing:
            raise BlobError.authentication_failed(f"The SAS lacks {', '.join(missing)}.")
        resource, permissions = query["sr"], query["sp"]
        if resource not in ("c", "b"):
            raise BlobError.authentication_failed("Signed resource (sr) must be 'c' or 'b'.")
        if resource == "b" and blob is None:
            raise BlobError.resource_type_mismatch()
        signed_blob = blob if resource == "b" else None
        expected = self._signature(
            account,
            container,
            signed_blob,
            permissions,
            query.get("st", ""),
            query["se"],
            query["sv"],
            resource,
        )
        if not hmac.compare_digest(expected.encode("ascii"), sig.encode("utf-8", "replace")):
            raise BlobError.authentication_failed("Signature did not match.")
        try:
            expiry = _parse_expiry(query["se"])
            start = _parse_expiry(query["st"]) if query.get("st") else None
        except ValueError as error:
            raise BlobError.authentication_failed("Signed expiry (se) or start (st) is not a valid time.") from error
        if now >= expiry:
            raise BlobError.authentication_failed("Signed expiry time has passed.")
        if start is not None and now < start:
            raise BlobError.authentication_failed("Signed start time is in the future.")
        needed = OPERATION_PERMISSIONS[operation]
        if not any(letter in permissions for letter in needed):
            raise BlobError.permission_mismatch(needed)
        return SasGrant(account, container, signed_blob, permissions, expiry, query["sv"])
