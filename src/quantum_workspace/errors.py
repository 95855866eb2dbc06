"""The one exception root of the workspace service: every error carries an Azure code, a message and a status."""

from __future__ import annotations

__all__ = ["WorkspaceError"]


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
