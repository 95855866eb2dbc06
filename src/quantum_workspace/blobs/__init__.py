"""The workspace's linked storage: containers and blobs on disk, SAS signing and verification."""

from ._errors import BlobError
from ._names import ACCOUNT_PATTERN, BlobAddress, check_blob_name, check_container_name, parse_storage_url
from ._sas import OPERATION_PERMISSIONS, SAS_VERSION, SasGrant, SasSigner
from ._store import BlobProperties, BlobStore, ContainerProperties, Upload

__all__ = [
    "ACCOUNT_PATTERN",
    "OPERATION_PERMISSIONS",
    "SAS_VERSION",
    "BlobAddress",
    "BlobError",
    "BlobProperties",
    "BlobStore",
    "ContainerProperties",
    "SasGrant",
    "SasSigner",
    "Upload",
    "check_blob_name",
    "check_container_name",
    "parse_storage_url",
]
