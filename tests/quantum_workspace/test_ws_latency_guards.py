"""What keeps request latency flat while the service works in the background: WAL checkpoints in the
store's own thread (not inside a request's commit), worker threads that step aside for requests in
flight, and simulator children at a lower CPU priority than the server."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from ws_helpers import API_KEY, WS, Api, job_record

from quantum_workspace import worker as worker_module
from quantum_workspace.api import create_app
from quantum_workspace.api._load import InFlight
from quantum_workspace.config import Settings
from quantum_workspace.simulators import SIMULATOR_NICENESS, SimulatorPool
from quantum_workspace.store import WriterBusy, open_sqlite_store
from quantum_workspace.store import _sql as sql_module
from quantum_workspace.store._group_commit import GroupCommit


def test_commits_never_checkpoint_and_the_store_thread_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql_module, "CHECKPOINT_EVERY", 3600.0)  # first: no checkpoints at all
    path = tmp_path / "wal.db"
    store = open_sqlite_store(path)
    for _ in range(1500):  # well past SQLite's default of a checkpoint every 1,000 WAL pages
        with store.write() as writer:
            writer.insert_job(job_record(request_fingerprint="f" * 500))
    size_without = path.stat().st_size
    assert Path(f"{path}-wal").stat().st_size > 1000 * 4096  # every page is still only in the WAL
    store.close()

    monkeypatch.setattr(sql_module, "CHECKPOINT_EVERY", 0.05)
    path = tmp_path / "checkpointed.db"
    store = open_sqlite_store(path)
    try:
        for _ in range(1500):
            with store.write() as writer:
                writer.insert_job(job_record(request_fingerprint="f" * 500))
        deadline = time.monotonic() + 10
        while path.stat().st_size <= size_without and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > size_without  # the store's thread copied the pages into the file
        with store.read() as reader:
            assert len(reader.jobs_with_status(["Waiting"], limit=2000)) == 1500
    finally:
        store.close()
    check = sqlite3.connect(path)
    assert check.execute("SELECT count(*) FROM jobs").fetchone() == (1500,)
    check.close()


def test_a_store_used_after_close_checkpoints_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql_module, "CHECKPOINT_EVERY", 0.05)
    store = open_sqlite_store(tmp_path / "again.db")
    store.close()
    with store.write() as writer:
        writer.insert_job(job_record(request_fingerprint="f" * 500))
    try:
        assert not store._checkpointer.stopped
    finally:
        store.close()


def test_in_flight_counts_requests_until_their_last_byte(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data", api_keys=(API_KEY,), start_worker=False))
    with TestClient(app) as client:
        counter: InFlight = app.state.in_flight
        assert counter.count == 0
        seen: list[int] = []
        original = app.state.services.jobs.list

        def listing(*args: object, **kwargs: object) -> object:
            seen.append(counter.count)
            assert not counter.wait_idle(0.01)  # a request is in flight: a worker waiting now would wait
            return original(*args, **kwargs)  # type: ignore[arg-type]

        app.state.services.jobs.list = listing  # type: ignore[method-assign]
        assert Api(client).call("GET", "/jobs").status_code == 200
        assert seen == [1] and counter.count == 0
        assert counter.wait_idle(0.0)  # and now it returns at once
        assert client.get(f"{WS}/nowhere").status_code == 404  # errors are counted and uncounted too
        assert counter.count == 0


class _Busy:
    """Requests in flight until done(), waited for as the worker waits for InFlight."""

    def __init__(self) -> None:
        self._idle = threading.Event()

    def done(self) -> None:
        self._idle.set()

    def __call__(self, timeout: float) -> bool:
        return self._idle.wait(timeout)


def _worker(busy: _Busy | None) -> worker_module.Worker:
    return worker_module.Worker(None, None, None, lambda: None, wait_idle=busy)  # type: ignore[arg-type]


def test_the_worker_waits_for_requests_in_flight_but_not_forever(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module, "MAX_DEFER", 0.3)
    busy = _Busy()
    started = time.monotonic()
    _worker(busy)._defer_to_requests()  # always busy: gives up after MAX_DEFER
    assert 0.3 <= time.monotonic() - started < 2.0

    threading.Timer(0.1, busy.done).start()
    started = time.monotonic()
    _worker(busy)._defer_to_requests()  # goes on as soon as the requests are done
    assert time.monotonic() - started < 0.28

    started = time.monotonic()
    _worker(None)._defer_to_requests()  # nothing to defer to (no HTTP layer)
    _worker(busy)._defer_to_requests()  # idle
    assert time.monotonic() - started < 0.05


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no process priorities on this platform")
def test_simulator_children_run_at_a_lower_priority() -> None:
    pool = SimulatorPool(1)
    try:
        pool.warm()
        child = pool._children[0]._process
        assert child is not None
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == min(19, ours + SIMULATOR_NICENESS)
    finally:
        pool.close()


def test_the_log_starts_over_once_everything_is_copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With reads and writes never pausing SQLite finds no moment to restart the WAL itself: the store's
    thread does, so the log stays bounded however long creates keep coming."""
    monkeypatch.setattr(sql_module, "CHECKPOINT_EVERY", 3600.0)
    path = tmp_path / "restart.db"
    store = open_sqlite_store(path)
    try:
        for _ in range(sql_module.RESTART_AFTER + 200):
            with store.write() as writer:
                writer.insert_job(job_record(request_fingerprint="f" * 500))
        checkpointer = sqlite3.connect(path, isolation_level=None)
        sql_module._Checkpointer.checkpoint(checkpointer)
        with store.write() as writer:  # the first write after the restart writes from the log's start
            writer.insert_job(job_record(request_fingerprint="f" * 500))
        busy, frames, copied = checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert (busy, copied) == (0, frames) and frames < 50
        checkpointer.close()
    finally:
        store.close()


def test_the_log_restarts_holding_the_process_writers_back_on_their_own_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RESTART keeps writers out while it runs. Held on the store's writer lock, a writer of the process
    waits there (an eager one on the event loop is told the writer is busy) instead of in SQLite's busy
    handler, which sleeps in steps of up to 100 ms with the event loop standing still."""
    monkeypatch.setattr(sql_module, "CHECKPOINT_EVERY", 3600.0)
    path = tmp_path / "restart-locked.db"
    store = open_sqlite_store(path)
    refused_during_restart: list[bool] = []
    real_exclusive = GroupCommit.exclusive

    @contextmanager
    def watched(self: GroupCommit) -> Iterator[bool]:
        with real_exclusive(self) as free:
            try:
                with store.eager_writes(), store.write() as writer:
                    writer.insert_job(job_record())
            except WriterBusy:
                refused_during_restart.append(True)
            yield free

    monkeypatch.setattr(GroupCommit, "exclusive", watched)
    try:
        for _ in range(sql_module.RESTART_AFTER + 200):
            with store.write() as writer:
                writer.insert_job(job_record(request_fingerprint="f" * 500))
        checkpointer = sqlite3.connect(path, isolation_level=None)
        sql_module._Checkpointer.checkpoint(checkpointer, store._group)
        assert refused_during_restart == [True]
        with store.write() as writer:
            writer.insert_job(job_record(request_fingerprint="f" * 500))
        busy, frames, copied = checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert (busy, copied) == (0, frames) and frames < 50  # restarted all the same
        checkpointer.close()
    finally:
        store.close()
