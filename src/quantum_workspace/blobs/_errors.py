"""Storage errors carry the Azure Storage code; `api/blobs.py` writes them as XML with `x-ms-error-code`."""

from __future__ import annotations

from ..errors import WorkspaceError

__all__ = ["BlobError"]


class BlobError(WorkspaceError):
    """A Blob REST failure. Factory methods keep each code's status and wording in one place."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message, code=code, status=status)

    @classmethod
    def authentication_failed(cls, detail: str) -> BlobError:
        return cls(
            "AuthenticationFailed",
            403,
            "Server failed to authenticate the request. Make sure the value of the SAS is formed correctly. " + detail,
        )

    @classmethod
    def permission_mismatch(cls, needed: str) -> BlobError:
        return cls(
            "AuthorizationPermissionMismatch",
            403,
            f"This request is not authorized to perform this operation using this permission (needs '{needed}').",
        )

    @classmethod
    def resource_type_mismatch(cls) -> BlobError:
        return cls(
            "AuthorizationResourceTypeMismatch",
            403,
            "This request is not authorized to perform this operation using this resource type.",
        )

    @classmethod
    def container_not_found(cls) -> BlobError:
        return cls("ContainerNotFound", 404, "The specified container does not exist.")

    @classmethod
    def container_exists(cls) -> BlobError:
        return cls("ContainerAlreadyExists", 409, "The specified container already exists.")

    @classmethod
    def blob_not_found(cls) -> BlobError:
        return cls("BlobNotFound", 404, "The specified blob does not exist.")

    @classmethod
    def blob_exists(cls) -> BlobError:
        return cls("BlobAlreadyExists", 409, "The specified blob already exists.")

    @classmethod
    def invalid_range(cls) -> BlobError:
        return cls("InvalidRange", 416, "The range specified is invalid for the current size of the resource.")

    @classmethod
    def invalid_name(cls, what: str, detail: str) -> BlobError:
        code = "InvalidResourceName" if what != "blob" else "InvalidBlobName"
        return cls(code, 400, f"The specified {what} name is not valid: {detail}")

    @classmethod
    def missing_header(cls, header: str) -> BlobError:
        return cls(
            "MissingRequiredHeader",
            400,
            f"An HTTP header that's mandatory for this request is not specified: {header}.",
        )

    @classmethod
    def invalid_header(cls, header: str, detail: str) -> BlobError:
        return cls("InvalidHeaderValue", 400, f"The value for header {header} is not valid: {detail}")

    @classmethod
    def unsupported(cls, what: str) -> BlobError:
        return cls("UnsupportedHttpVerb", 405, f"The resource doesn't support the specified operation: {what}.")

    @classmethod
    def too_large(cls, limit: int) -> BlobError:
        return cls(
            "RequestBodyTooLarge",
            413,
            f"The request body is too large and exceeds the maximum permissible limit ({limit} bytes).",
        )

    @classmethod
    def condition_not_met(cls) -> BlobError:
        return cls("ConditionNotMet", 412, "The condition specified using HTTP conditional header(s) is not met.")
