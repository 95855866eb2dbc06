"""What the HTTP layer reaches through `app.state`: the services, built once per app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request

from ..blobs import BlobStore, SasSigner
from ..clock import Clock
from ..config import Settings
from ..service import JobService, ProviderService, SessionService, StorageService, WorkspaceDirectory
from ._auth import Authenticator
from ._loop_writes import LoopWrites
from ._render import RenderedJobs

__all__ = ["Services", "services", "store_read"]

T = TypeVar("T")


@dataclass(frozen=True)
class Services:
    settings: Settings
    clock: Clock
    authenticator: Authenticator
    arm_authenticator: Authenticator
    jobs: JobService
    sessions: SessionService
    storage: StorageService
    providers: ProviderService
    workspaces: WorkspaceDirectory
    rendered_jobs: RenderedJobs
    blobs: BlobStore
    signer: SasSigner
    #: Runs short store writes on the event loop (see _loop_writes.py).
    writes: LoopWrites


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def store_read(request: Request, call: Callable[[], T]) -> T:
    """`call()`, a store read, where it cannot hold up other requests (see LoopWrites.read)."""
    return await services(request).writes.read(call)
