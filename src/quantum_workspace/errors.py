"""The one exception root of the workspace service: every error has an Azure code, a message and a status."""

from __future__ import annotations

__all__ = [
    "BadRequest",
    "Conflict",
    "InvalidBlobDetails",
    "InvalidJobDefinition",
    "InvalidParameter",
    "InvalidRequestContent",
    "InvalidSessionDefinition",
    "JobAlreadyExists",
    "JobAlreadyFinished",
    "JobNotFound",
    "MethodNotAllowed",
    "MissingApiVersionParameter",
    "NotFound",
    "ProviderNotFound",
    "RequestBodyTooLarge",
    "SessionAlreadyExists",
    "SessionNotFound",
    "StoreError",
    "Unauthorized",
    "UnsupportedApiVersion",
    "WorkspaceError",
]


class WorkspaceError(Exception):
    """Base of every error the service raises on purpose; `api/` turns it into `{"error": {...}}`."""

    code: str = "InternalError"
    status: int = 500

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status}, message={self.message!r})"


# One small class per Azure error code: the service raises these, `api/` writes them. Named after the code.


class BadRequest(WorkspaceError):
    """A client mistake the more specific classes do not cover."""

    code = "BadRequest"
    status = 400


class InvalidParameter(BadRequest):
    """A path or query parameter breaks its pattern, type or range."""

    code = "InvalidParameter"


class InvalidRequestContent(BadRequest):
    """The body is not JSON, not an object, or a member has the wrong type."""

    code = "InvalidRequestContent"


class MissingApiVersionParameter(BadRequest):
    code = "MissingApiVersionParameter"


class UnsupportedApiVersion(BadRequest):
    code = "UnsupportedApiVersion"


class InvalidJobDefinition(BadRequest):
    """A job body the service refuses: missing members, unknown target, closed or foreign session, bad URI."""

    code = "InvalidJobDefinition"


class InvalidSessionDefinition(BadRequest):
    code = "InvalidSessionDefinition"


class InvalidBlobDetails(BadRequest):
    code = "InvalidBlobDetails"


class Unauthorized(WorkspaceError):
    code = "Unauthorized"
    status = 401


class NotFound(WorkspaceError):
    code = "NotFound"
    status = 404


class JobNotFound(NotFound):
    code = "JobNotFound"


class SessionNotFound(NotFound):
    code = "SessionNotFound"


class ProviderNotFound(NotFound):
    code = "ProviderNotFound"


class Conflict(WorkspaceError):
    code = "Conflict"
    status = 409


class JobAlreadyExists(Conflict):
    """The same job id was created before with a different body."""

    code = "JobAlreadyExists"


class SessionAlreadyExists(Conflict):
    code = "SessionAlreadyExists"


class JobAlreadyFinished(Conflict):
    """Cancelling or deleting a job that already reached a final state."""

    code = "JobAlreadyFinished"


class MethodNotAllowed(WorkspaceError):
    code = "MethodNotAllowed"
    status = 405


class RequestBodyTooLarge(WorkspaceError):
    code = "RequestBodyTooLarge"
    status = 413


class StoreError(WorkspaceError):
    """The persistence layer failed (disk full, database locked too long); never a client mistake."""

    code = "InternalServerError"
    status = 500
