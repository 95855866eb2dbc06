"""The application factory: wires store, blobs, services, worker and routes for one data directory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from ..blobs import BlobStore, SasSigner
from ..clock import Clock, SystemClock
from ..config import Settings
from ..errors import StoreError
from ..service import (
    Catalog,
    JobService,
    ProviderService,
    QuotaService,
    SessionService,
    StorageService,
    WorkspaceDirectory,
    load_catalog,
)
from ..store import Store, open_postgres_store, open_sqlite_store
from ..worker import Worker
from ..worker_process import WorkerProcess
from . import arm, blobs, items, jobs, providers, quotas, sessions, storage
from ._auth import ARM_AUDIENCES, Authenticator
from ._context import Services
from ._errors import UnexpectedErrors, install_error_handlers
from ._fast import FastJobCreate, FastJobGet
from ._load import InFlight, InFlightCounter
from ._loop_writes import LoopWrites
from ._render import RenderedJobs
from ._request_ids import RequestIds
from ._versions import CURRENT_API_VERSION

__all__ = ["create_app"]


def create_app(settings: Settings, *, clock: Clock | None = None, catalog: Catalog | None = None) -> FastAPI:
    """A ready app over `settings.data_dir` (created if missing). The worker runs while the app's
    lifespan does (uvicorn, or `with TestClient(app)`)."""
    own_clock = clock is None
    clock = clock or SystemClock()
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create the data directory {settings.data_dir}: {error.strerror}") from error
    if settings.database_url:
        store: Store = open_postgres_store(settings.database_url)
    else:
        store = open_sqlite_store(settings.data_dir / "workspace.db")
    blob_store = BlobStore(settings.data_dir / "blobs", clock)
    signer = SasSigner.load_or_create(settings.data_dir)

    def get_catalog() -> Catalog:
        return catalog if catalog is not None else load_catalog()

    def new_job_service(replica: str | None = None) -> JobService:
        return JobService(
            store,
            clock,
            catalog,
            catalog_loader=get_catalog,
            qpu_queue_delay=settings.qpu_queue_delay,
            replica=replica,
            session_timeout=settings.session_timeout,
        )

    job_service = new_job_service()
    session_service = SessionService(
        store, clock, catalog, catalog_loader=get_catalog, idle_timeout=settings.session_timeout
    )
    storage_service = StorageService(blob_store, signer, clock)
    quota_service = QuotaService(store, clock, settings.quotas)
    loop_writes = LoopWrites(store)
    found = Services(
        settings=settings,
        clock=clock,
        authenticator=Authenticator(settings.api_keys, clock, disable_keys=settings.disable_keys),
        arm_authenticator=Authenticator((), clock, audiences=ARM_AUDIENCES),
        jobs=job_service,
        sessions=session_service,
        storage=storage_service,
        providers=ProviderService(get_catalog, quota_service),
        workspaces=WorkspaceDirectory(store),
        rendered_jobs=RenderedJobs(storage_service, clock),
        blobs=blob_store,
        signer=signer,
        writes=loop_writes,
    )
    in_flight = InFlight()
    # A catalog or clock handed in exists in this process only: the worker then runs here too.
    worker_process: WorkerProcess | None = None
    if settings.worker_process and catalog is None and own_clock:

        def jobs_for(replica: str) -> JobService:
            """The JobService that makes one worker process's writes here, under that worker's name."""
            service = new_job_service(replica)
            assert worker_process is not None
            service.set_cancel_listener(worker_process.cancel)
            return service

        worker_process = WorkerProcess(settings, jobs_for, loop_writes.write)
    worker = Worker(
        job_service,
        session_service,
        blob_store,
        get_catalog,
        threads=settings.worker_threads,
        poll_interval=settings.poll_interval,
        cancel_check_interval=settings.cancel_check_interval,
        job_timeout=settings.job_timeout,
        quotas=quota_service,
        wait_idle=in_flight.wait_idle,
        bookkeeping=loop_writes,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Replicas share the blob directory: only what no upload can still be writing is collected.
        blob_store.collect_garbage(older_than=3600.0 if store.shared else None)
        loop_writes.attach(asyncio.get_running_loop())
        if settings.start_worker and worker_process is not None:
            job_service.set_listener(worker_process.wake)
            job_service.set_cancel_listener(worker_process.cancel)
            worker_process.start(asyncio.get_running_loop())
        elif settings.start_worker:
            job_service.set_listener(worker.wake)
            worker.start()
        try:
            yield
        finally:
            loop_writes.detach()  # before the loop waits for the worker's threads: their writes run there
            if worker_process is not None:
                await asyncio.to_thread(worker_process.stop)
            worker.stop()
            store.close()

    app = FastAPI(
        title="Azure Quantum Workspace Services (local)",
        version=CURRENT_API_VERSION,
        description="A local Azure Quantum workspace: the data plane, linked blob storage and simulators.",
        lifespan=lifespan,
        # No OpenTelemetry here: FastAPI otherwise asks the global providers on every request (40 us).
        telemetry={"tracing": False, "metrics": False, "logs": False},
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.services = found
    app.state.worker = worker
    app.state.worker_process = worker_process
    app.state.in_flight = in_flight
    install_error_handlers(app)
    for module in (jobs, sessions, items, storage, providers, quotas, arm):
        if hasattr(module, "reads"):
            app.include_router(module.reads)
        app.include_router(module.router)
    app.router.routes.extend(blobs.routes)
    # Included without a further prefix, so the router's route has the app's path for Jobs_Get.
    app.add_middleware(FastJobCreate, route=_route(jobs.reads, "Jobs_Create"))
    app.add_middleware(FastJobGet, services=found, route=_route(jobs.reads, "Jobs_Get"))
    app.add_middleware(UnexpectedErrors, reraise=settings.raise_unexpected_errors)
    app.add_middleware(RequestIds)
    app.add_middleware(InFlightCounter, counter=in_flight)  # added last: the outermost, so it sees every request
    return app


def _route(router: APIRouter, operation_id: str) -> APIRoute:
    for route in router.routes:
        if isinstance(route, APIRoute) and route.operation_id == operation_id:
            return route
    raise LookupError(f"no route has operation id {operation_id}")
