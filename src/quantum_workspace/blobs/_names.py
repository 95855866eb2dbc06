"""Storage names: what a container or blob may be called, and how a storage URL splits into its parts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ._errors import BlobError

__all__ = ["ACCOUNT_PATTERN", "BlobAddress", "check_blob_name", "check_container_name", "parse_storage_url"]

#: Account names the service derives (see WorkspaceRef.storage_account); also the blob route convertor.
ACCOUNT_PATTERN = r"qw[0-9a-f]{22}"
#: Azure container rules: 3-63 characters; lower-case letters, digits and single hyphens; alphanumeric ends.
_CONTAINER = re.compile(r"^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$")
_ACCOUNT = re.compile(ACCOUNT_PATTERN)


def check_container_name(name: object) -> str:
    if not isinstance(name, str) or not _CONTAINER.fullmatch(name):
        raise BlobError.invalid_name(
            "container",
            f"{name!r}: 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit",
        )
    return name


#: Characters a blob name may not hold: control characters, and those XML 1.0 has no place for (a List Blobs
#: answer naming them would not be well-formed XML).
_NOT_IN_BLOB_NAMES = re.compile("[\x00-\x1f\ud800-\udfff\ufffe\uffff]")


def check_blob_name(name: object) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 1024 or _NOT_IN_BLOB_NAMES.search(name):
        raise BlobError.invalid_name("blob", f"{name!r}: 1-1024 printable characters")
    if any(part in (".", "..") for part in name.split("/")):
        raise BlobError.invalid_name("blob", f"{name!r}: no '.' or '..' path segments")
    return name


@dataclass(frozen=True, slots=True)
class BlobAddress:
    """Where a storage URL points: account, container and (for a blob URL) blob."""

    account: str
    container: str
    blob: str | None


def parse_storage_url(url: str) -> BlobAddress | None:
    """Split `http(s)://host/<account>/<container>[/<blob>]?sas` (account layout); None if it is not one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    segments = parts.path.lstrip("/").split("/", 2)
    if len(segments) < 2 or not _ACCOUNT.fullmatch(segments[0]) or not segments[1]:
        return None
    container = unquote(segments[1])
    blob = unquote(segments[2]) if len(segments) == 3 and segments[2] else None
    return BlobAddress(segments[0], container, blob)
