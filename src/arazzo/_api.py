"""The Python entry points: `run` (async) and `run_sync`."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any

from ._http import Client
from ._plan import Document, load
from ._redact import Redactor
from ._result import RunResult
from ._retrieve import SourcePolicy
from ._runner import Observer, RunOptions, execute

__all__ = ["run", "run_sync", "DocumentLike"]

DocumentLike = Document | str | os.PathLike[str]


async def run(
    document: DocumentLike,
    workflow_id: str | None = None,
    inputs: Mapping[str, Any] | None = None,
    servers: Mapping[str, str] | None = None,
    client: Client | None = None,
    *,
    options: RunOptions | None = None,
    observer: Observer | None = None,
    policy: SourcePolicy | None = None,
) -> RunResult:
    """Run a workflow (the named one, else the first) and return its typed result.

    document: a path/URL or a `Document` from `arazzo.load` (load once, run many times).
    servers: `{source description name: base URL}` replacing that source's servers.
    client: a shared client (`arazzo.make_client()`, or an `httpx.AsyncClient`); without one, a client is
    created and closed for this run.
    Raises DocumentError, InputError or UsageError before any request is sent; HTTP and connection
    failures do not raise: they give a result with status "failed"."""
    doc = document if isinstance(document, Document) else load(document, policy=policy)
    workflow = doc.workflow(workflow_id)
    return await execute(
        doc,
        workflow,
        inputs,
        servers=servers,
        client=client,
        options=options,
        observer=observer,
        redactor=Redactor(),
    )


def run_sync(
    document: DocumentLike,
    workflow_id: str | None = None,
    inputs: Mapping[str, Any] | None = None,
    servers: Mapping[str, str] | None = None,
    client: Client | None = None,
    *,
    options: RunOptions | None = None,
    observer: Observer | None = None,
    policy: SourcePolicy | None = None,
) -> RunResult:
    """`run` for synchronous code (starts its own event loop; not callable from inside a running loop)."""
    return asyncio.run(
        run(document, workflow_id, inputs, servers, client, options=options, observer=observer, policy=policy)
    )
