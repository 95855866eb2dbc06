"""Errors of the target plug-ins: a program the target cannot run, or a target that does not exist."""

from __future__ import annotations

from quantum_workspace.errors import WorkspaceError

__all__ = ["ProgramError", "TargetNotFound"]


class ProgramError(WorkspaceError):
    """The job's program, parameters or formats cannot be run; the job fails with this code and message."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


class TargetNotFound(WorkspaceError):
    """No target of that id under that provider: the job cannot be accepted."""

    code = "InvalidTarget"
    status = 400

    def __init__(self, provider_id: str, target_id: str) -> None:
        super().__init__(f"provider {provider_id!r} has no target {target_id!r}")
        self.provider_id = provider_id
        self.target_id = target_id
