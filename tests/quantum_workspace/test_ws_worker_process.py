"""The worker in a process of its own (`serve`'s default): it runs jobs at a lower CPU priority than the
server, which makes its bookkeeping writes (and no others it might ask for); it ends with a killed server
and is started again when it dies, its running job then run again; a stop leaves no simulation behind.
The few writes it makes itself meet the server's at SQLite's lock, where the event loop never waits in
SQLite's busy handler. (Cancelling a running job there: test_ws_execution.)"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_ws_execution import LONG, _wait_status
from test_ws_server import Client
from ws_helpers import BELL, Api, child_processes, job_record, new_id, process_alive, wait_for

from quantum_workspace.clock import SystemClock
from quantum_workspace.config import Settings
from quantum_workspace.service import JobService, load_catalog
from quantum_workspace.store import WriterBusy, open_sqlite_store
from quantum_workspace.store._group_commit import eager_commits
from quantum_workspace.worker_process import WORKER_NICENESS, WorkerProcess

AppFactory = Callable[..., TestClient]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from /proc")


def test_serve_runs_jobs_in_a_worker_process_at_lower_priority(start_workspace_server: Any, tmp_path: Path) -> None:
    server = start_workspace_server(tmp_path / "data")
    workers = wait_for(lambda: child_processes(server.process.pid))
    assert len(workers) == 1, workers
    base = os.getpriority(os.PRIO_PROCESS, server.process.pid)
    # it lowers its own priority first thing, which may not have happened yet
    expected = min(base + WORKER_NICENESS, 19)  # the kernel caps niceness at 19
    assert wait_for(lambda: os.getpriority(os.PRIO_PROCESS, workers[0]) == expected)
    client = Client(server.base_url, server.api_key)
    job_id, _ = client.run_bell()
    assert client.wait(job_id)["status"] == "Succeeded"


def test_the_worker_process_ends_with_a_killed_server(start_workspace_server: Any, tmp_path: Path) -> None:
    server = start_workspace_server(tmp_path / "data")
    worker = wait_for(lambda: child_processes(server.process.pid))[0]
    server.kill()
    assert wait_for(lambda: not process_alive(worker), deadline=15), "the worker process outlived its server"


def test_a_worker_process_that_dies_is_started_again(start_workspace_server: Any, tmp_path: Path) -> None:
    server = start_workspace_server(tmp_path / "data")
    first = wait_for(lambda: child_processes(server.process.pid))[0]
    os.kill(first, signal.SIGKILL)
    again = wait_for(
        lambda: [pid for pid in child_processes(server.process.pid) if pid != first and process_alive(pid)]
    )
    assert again, "no new worker process"
    client = Client(server.base_url, server.api_key)
    job_id, _ = client.run_bell()
    assert client.wait(job_id)["status"] == "Succeeded"
    assert "the worker process ended" in server.log()


def test_the_app_with_a_worker_process_runs_jobs_and_stops_it(make_client: AppFactory) -> None:
    client = make_client(worker_process=True)
    handle = client.app.state.worker_process  # type: ignore[attr-defined]
    assert handle is not None and handle.pid is not None
    api = Api(client)
    job_id = new_id()
    api.submit(BELL, job_id=job_id)
    assert api.wait_job(job_id)["status"] == "Succeeded"
    process = handle._process
    client.__exit__(None, None, None)
    assert process.returncode == 0  # stopped when asked, not killed


def test_an_eager_write_is_told_when_another_process_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    store = open_sqlite_store(path)
    other = sqlite3.connect(path, isolation_level=None)  # as the worker process's connection would be
    try:
        other.execute("BEGIN IMMEDIATE")
        began = time.monotonic()
        with pytest.raises(WriterBusy), eager_commits(), store.write() as writer:
            writer.insert_job(job_record())
        assert time.monotonic() - began < 0.5  # told at once, not after SQLite's busy timeout
        other.execute("ROLLBACK")
        with eager_commits(), store.write() as writer:
            assert writer.insert_job(job_record())
    finally:
        other.close()
        store.close()


def test_a_writer_in_a_thread_waits_for_another_process_lock(tmp_path: Path) -> None:
    path = tmp_path / "waits.db"
    store = open_sqlite_store(path)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.3, lambda: other.execute("ROLLBACK"))
        release.start()
        began = time.monotonic()
        with store.write() as writer:
            assert writer.insert_job(job_record("00000000-0000-0000-0000-000000000abc"))
        assert time.monotonic() - began >= 0.25
        release.join()
        with store.read() as reader:
            assert reader.get_job("ws", "00000000-0000-0000-0000-000000000abc") is not None
    finally:
        other.close()
        store.close()


def test_a_second_process_store_leaves_checkpoints_to_the_first(tmp_path: Path) -> None:
    names = {thread.name for thread in threading.enumerate()}
    store = open_sqlite_store(tmp_path / "second.db", checkpoints=False)
    try:
        started = {thread.name for thread in threading.enumerate()} - names
        assert "quantum-store-checkpoint" not in started
        with store.write() as writer:
            assert writer.insert_job(job_record())
    finally:
        store.close()


def test_a_job_running_when_the_worker_process_dies_runs_again(make_client: AppFactory) -> None:
    client = make_client(worker_threads=1, job_timeout=600, worker_process=True)
    handle = client.app.state.worker_process  # type: ignore[attr-defined]
    api = Api(client)
    job_id = new_id()
    assert api.submit(LONG, job_id=job_id, inputParams={"shots": 10}).status_code == 200
    first = _wait_status(api, job_id, ("Executing",))
    assert first["status"] == "Executing"
    dead = handle.pid
    os.kill(dead, signal.SIGKILL)

    def running_again() -> dict[str, Any] | None:
        job: dict[str, Any] = api.call("GET", f"/jobs/{job_id}").json()
        started_again = job["status"] == "Executing" and job["beginExecutionTime"] != first["beginExecutionTime"]
        return job if started_again and handle.pid != dead else None

    assert wait_for(running_again), api.call("GET", f"/jobs/{job_id}").json()
    assert api.call("POST", f"/jobs/{job_id}:cancel").status_code == 200
    assert _wait_status(api, job_id, ("Succeeded", "Failed", "Cancelled"), deadline=30)["status"] == "Cancelled"


def _exchange(
    tmp_path: Path, jobs: JobService, worker_side: Callable[[Connection], None], made: list[str] | None = None
) -> None:
    """The server's end of a worker connection, served until `worker_side` (a thread) closes its end; each
    write the server makes for it is noted in `made`."""

    async def write(call: Callable[[], Any]) -> Any:
        if made is not None:
            made.append("write")
        return call()

    handle = WorkerProcess(Settings(data_dir=tmp_path), lambda _replica: jobs, write)
    ours, theirs = socket.socketpair()
    worker_end = Connection(theirs.detach())

    async def serve() -> None:
        worker = threading.Thread(target=worker_side, args=(worker_end,))
        worker.start()
        await handle._serve(ours, threading.Event(), jobs, {"replica": jobs.replica})
        await asyncio.to_thread(worker.join)  # the loop runs on: a socket the server closes closes there

    asyncio.run(asyncio.wait_for(serve(), 30))


def test_the_server_makes_only_the_bookkeeping_writes_a_worker_asks_for(tmp_path: Path) -> None:
    """The worker process's calls name a JobService operation: only the Bookkeeper's are made, with the
    JobService of that worker's replica name; anything else is refused without running. Framed as the
    worker's multiprocessing Connection frames them, both ways, over a real socket pair."""
    store = open_sqlite_store(tmp_path / "calls.db")
    jobs = JobService(store, SystemClock(), None, catalog_loader=load_catalog, replica="worker-a")
    made: list[str] = []
    replies: list[Any] = []

    def worker_side(end: Connection) -> None:
        replies.append(end.recv())  # the configuration comes first
        for call_id, operation in enumerate(("requeue_interrupted", "claim_next", "heartbeat")):
            end.send(("call", call_id, operation, (), {}))
            replies.append(end.recv())
        end.close()

    try:
        _exchange(tmp_path, jobs, worker_side, made)
        assert replies == [
            ("config", {"replica": "worker-a"}),
            ("reply", 0, False, "unknown operation 'requeue_interrupted'"),
            ("reply", 1, True, None),
            ("reply", 2, True, None),
        ]
        assert made == ["write", "write"]
        with store.read() as reader:
            assert reader.live_replicas(SystemClock().now() - timedelta(minutes=1)) == {"worker-a"}
    finally:
        store.close()


def test_a_worker_process_finishes_only_the_jobs_it_claimed(tmp_path: Path) -> None:
    """A finish names its job; the server makes it only for a job claimed under that worker's replica name,
    whatever the record sent says it is."""
    store = open_sqlite_store(tmp_path / "claims.db")
    jobs = JobService(store, SystemClock(), None, catalog_loader=load_catalog, replica="worker-a")
    theirs = job_record(status="Executing", claimed_by="worker-b")
    with store.write() as writer:
        writer.insert_job(theirs)
        writer.insert_job(job_record())
    replies: list[Any] = []

    def worker_side(end: Connection) -> None:
        end.recv()  # the configuration
        calls = [
            ("complete", (theirs,), {"output_format": "x", "content_type": "application/json"}),
            ("fail", (theirs.replace(claimed_by=None),), {}),
            ("acknowledge_cancel", (theirs.replace(claimed_by="worker-a"),), {}),
            ("claim_next", (), {}),
        ]
        for call_id, (operation, args, kwargs) in enumerate(calls):
            end.send(("call", call_id, operation, args, kwargs))
            replies.append(end.recv())
        claimed = replies[-1][3]
        end.send(("call", 9, "fail", (claimed, "Boom", "it failed"), {}))
        replies.append(end.recv())
        end.close()

    try:
        _exchange(tmp_path, jobs, worker_side)
        refused = [reply for reply in replies[:2] if reply[2] is False]
        assert [reply[3] for reply in refused] == [
            "complete is only made for a job this worker process claimed",
            "fail is only made for a job this worker process claimed",
        ]
        assert replies[3][2] is True and replies[3][3].claimed_by == "worker-a"
        assert replies[4][2] is True and replies[4][3].status == "Failed"
        with store.read() as reader:  # the record said worker-a; the store says worker-b's: left alone
            assert reader.get_job(theirs.workspace, theirs.id).status == "Executing"  # type: ignore[union-attr]
    finally:
        store.close()


def test_a_worker_message_naming_other_callables_is_not_unpickled(tmp_path: Path) -> None:
    """The server reads the worker's pickles with builtin values, datetimes and job records only: one that
    would call anything else ends the connection without calling it."""
    store = open_sqlite_store(tmp_path / "evil.db")
    jobs = JobService(store, SystemClock(), None, catalog_loader=load_catalog, replica="worker-a")
    marker = tmp_path / "ran"

    class Touch:
        def __reduce__(self) -> Any:
            return (Path.touch, (marker,))

    ended: list[bool] = []

    def worker_side(end: Connection) -> None:
        end.recv()
        end.send(("call", 0, "claim_next", (Touch(),), {}))
        try:
            end.recv()
        except EOFError:
            ended.append(True)
        end.close()

    try:
        _exchange(tmp_path, jobs, worker_side)
        assert ended == [True]
        assert not marker.exists()
    finally:
        store.close()


def test_stopping_with_a_job_running_leaves_no_simulation_behind(make_client: AppFactory) -> None:
    """The stop waits its deadline for the running job, then ends its simulation with the worker process:
    the job stays Executing, for the next start to run again."""
    client = make_client(worker_threads=1, job_timeout=600, worker_process=True)
    handle = client.app.state.worker_process  # type: ignore[attr-defined]
    api = Api(client)
    job_id = new_id()
    assert api.submit(LONG, job_id=job_id, inputParams={"shots": 10}).status_code == 200
    assert _wait_status(api, job_id, ("Executing",))["status"] == "Executing"
    simulations = wait_for(lambda: child_processes(handle.pid, b"quantum_workspace.simulators"))
    assert simulations
    process = handle._process
    client.__exit__(None, None, None)
    assert process.returncode == 0
    assert wait_for(lambda: not any(process_alive(pid) for pid in simulations), deadline=10)
    again = Api(make_client(start_worker=False))
    assert again.call("GET", f"/jobs/{job_id}").json()["status"] == "Executing"
