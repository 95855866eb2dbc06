"""Store writes on the event loop (api/_loop_writes.py): they never make the loop wait for the writer, the
worker's writes run on the loop thread and come back with their result or exception, and a loop that stops
taking writes hands them back to their threads."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ws_helpers import job_record

from quantum_workspace.api._loop_writes import LoopWrites
from quantum_workspace.store import JobRecord, Store, open_sqlite_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_sqlite_store(tmp_path / "loop.db")
    yield opened
    opened.close()


def _insert(store: Store, job_id: str) -> str:
    with store.write() as writer:
        writer.insert_job(job_record(job_id))
    return threading.current_thread().name


def _stored(store: Store, job_id: str) -> JobRecord | None:
    with store.read() as reader:
        return reader.get_job("ws", job_id)


def _hold_writer(store: Store, seconds: float, holding: threading.Event) -> threading.Thread:
    def hold() -> None:
        with store.write() as writer:
            writer.insert_job(job_record("holder"))
            holding.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def test_a_write_on_the_loop_waits_for_a_taken_writer_without_stopping_the_loop(store: Store) -> None:
    writes = LoopWrites(store)
    holding = threading.Event()

    async def scenario() -> tuple[int, float, str]:
        holder = _hold_writer(store, 0.3, holding)
        assert holding.wait(5)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        started = time.monotonic()
        ran_in = await writes.write(lambda: _insert(store, "from-loop"))
        waited = time.monotonic() - started
        ticking.cancel()
        holder.join(5)
        return ticks, waited, ran_in

    ticks, waited, ran_in = asyncio.run(scenario())
    assert ran_in == threading.current_thread().name  # on the loop's thread, not in the threadpool
    assert waited >= 0.2  # it did wait for the holder...
    assert ticks >= 10  # ...and the loop went on meanwhile (a blocking wait would have frozen the ticker)
    assert _stored(store, "from-loop") is not None


class _LoopThread:
    """An event loop running in a thread, as uvicorn's runs in the server's main thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="the-loop")
        self.thread.start()

    def block(self, seconds: float) -> None:
        """Keep the loop busy (a long callback), as the lifespan does while it joins the worker's threads."""
        self.loop.call_soon_threadsafe(time.sleep, seconds)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def loop_thread() -> Iterator[_LoopThread]:
    running = _LoopThread()
    yield running
    running.close()


def _attached(store: Store, loop_thread: _LoopThread) -> LoopWrites:
    writes = LoopWrites(store)
    ready = threading.Event()

    def attach() -> None:
        writes.attach(asyncio.get_running_loop())
        ready.set()

    loop_thread.loop.call_soon_threadsafe(attach)
    assert ready.wait(5)
    return writes


def test_a_threads_write_runs_on_the_loop_and_returns_its_result_or_exception(
    store: Store, loop_thread: _LoopThread
) -> None:
    writes = _attached(store, loop_thread)
    assert writes(lambda: _insert(store, "via-loop")) == "the-loop"
    assert _stored(store, "via-loop") is not None

    def failing() -> None:
        with store.write() as writer:
            writer.insert_job(job_record("rolled-back"))
            raise LookupError("the call's own error")

    with pytest.raises(LookupError, match="the call's own error"):
        writes(failing)
    assert _stored(store, "rolled-back") is None

    writes.detach()
    assert writes(lambda: _insert(store, "after-detach")) == threading.current_thread().name


def test_a_threads_write_waits_on_the_loop_while_another_thread_holds_the_writer(
    store: Store, loop_thread: _LoopThread
) -> None:
    writes = _attached(store, loop_thread)
    holding = threading.Event()
    holder = _hold_writer(store, 0.2, holding)
    assert holding.wait(5)
    assert writes(lambda: _insert(store, "after-holder")) == "the-loop"
    holder.join(5)
    assert _stored(store, "after-holder") is not None


def test_a_write_handed_to_a_loop_that_stops_taking_writes_runs_in_its_own_thread(
    store: Store, loop_thread: _LoopThread
) -> None:
    """The lifespan detaches before it joins the worker's threads from the loop: a write queued on the
    loop then must not wait for a loop that is waiting for it."""
    writes = _attached(store, loop_thread)
    loop_thread.block(3.0)
    time.sleep(0.05)  # the loop is now inside the blocking callback
    threading.Timer(0.2, writes.detach).start()
    started = time.monotonic()
    ran_in = writes(lambda: _insert(store, "taken-back"))
    assert ran_in == threading.current_thread().name
    assert time.monotonic() - started < 1.5
    assert _stored(store, "taken-back") is not None


def test_a_store_that_cannot_refuse_waiting_writes_in_the_caller_thread(tmp_path: Path) -> None:
    store = open_sqlite_store(tmp_path / "plain.db")
    try:
        store.eager_writes_never_wait = False  # as a shared (PostgreSQL) store reports
        writes = LoopWrites(store)
        assert not writes.usable

        async def scenario() -> str:
            writes.attach(asyncio.get_running_loop())
            return await writes.write(lambda: _insert(store, "threadpool"))

        assert asyncio.run(scenario()) != threading.current_thread().name  # ran in the threadpool
    finally:
        store.close()
