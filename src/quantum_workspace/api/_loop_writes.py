"""Short store writes run on the event loop, whoever asks for them: the API's creates and the worker's
claims and finishes.

Why: a write holds the store's one writer connection, and a thread holding it loses the interpreter lock at
every SQLite call to the event loop and waits up to a switch interval (5 ms) to get it back, so a write of
under a millisecond held the writer for 5-20 ms. Creates arriving meanwhile went to the threadpool, which
held the writer longer still: at 500 creates/s offered with the worker running, 43-57 % of creates took
that path, p50 19-26 ms and p99 70-74 ms against p99 4-5 ms for those written on the loop (measured in the
server with a probe; bench/SERVICE.md). On the loop a write runs without a wait for the interpreter lock,
between two requests. A write there never waits for the writer: when another thread holds it (quota
admission, the WAL restart), the write is tried again a little later, and after `MAX_LOOP_WAIT` it runs in
a thread after all. Reads of a shared database (PostgreSQL), a network round trip each, go the other way:
to the threadpool (`read`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from ..store import Store, WriterBusy

__all__ = ["MAX_LOOP_WAIT", "LoopWrites"]

T = TypeVar("T")

#: How long a write keeps being tried on the loop while another thread holds the writer, in seconds: past
#: it the write waits for the writer in a thread. Long, because a thread waiting for the writer holds it
#: longer once it has it (see above): falling back after 50 ms sent 2-5 % of creates to the threadpool
#: behind each WAL restart, at p50 100 ms.
MAX_LOOP_WAIT = 2.0
#: The pause before the first retry, doubled after each up to the last.
_FIRST_RETRY = 0.0005
_LAST_RETRY = 0.004
#: How often a thread waiting for its write on the loop checks whether the loop still takes writes.
_WAKE_EVERY = 0.1

_PENDING, _ON_LOOP, _TAKEN = 0, 1, 2


class LoopWrites:
    """Runs store calls on the event loop `attach`ed at start-up; before that, after `detach`, on a store
    that cannot write eagerly, and on the loop's own thread, a call just runs where it is."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    @property
    def usable(self) -> bool:
        """Whether writes go to the loop: the store's writer is in this process and it can tell when it is
        taken (SQLite; not a shared database, whose writer is the database server's lock)."""
        return not self._store.shared and self._store.eager_writes_never_wait

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop, self._loop_thread = loop, threading.get_ident()

    def detach(self) -> None:
        """From now on every call runs in its caller's thread (the loop is about to wait for those threads)."""
        self._loop = None

    # -- from the event loop ------------------------------------------------------------------------

    async def write(self, call: Callable[[], T]) -> T:
        """`call()` (one store write and what surrounds it) on the loop, as soon as the writer is free;
        in the threadpool when it stays taken for MAX_LOOP_WAIT or writes cannot be tried eagerly."""
        if self.usable:
            deadline = time.monotonic() + MAX_LOOP_WAIT
            pause = _FIRST_RETRY
            while True:
                try:
                    with self._store.eager_writes():
                        return call()
                except WriterBusy:
                    if time.monotonic() >= deadline:
                        break
                await asyncio.sleep(pause)
                pause = min(2 * pause, _LAST_RETRY)
        return await run_in_threadpool(call)

    async def read(self, call: Callable[[], T]) -> T:
        """`call()`, a store read, where it cannot hold up other requests: here for SQLite (a WAL read takes
        tens of microseconds and never waits for a writer), in the threadpool for a shared database (a
        network round trip, or a wait on a busy server, would stop every request meanwhile)."""
        if self._store.shared:
            return await run_in_threadpool(call)
        return call()

    # -- from other threads -------------------------------------------------------------------------

    def __call__(self, call: Callable[[], T]) -> T:
        """`call()` run on the loop, this thread waiting for its result (or its exception)."""
        loop = self._loop
        if loop is None or not self.usable or threading.get_ident() == self._loop_thread:
            return call()
        handed = _Handed()
        deadline = time.monotonic() + MAX_LOOP_WAIT
        pause = _FIRST_RETRY

        def attempt() -> None:
            nonlocal pause
            if not handed.start():
                return
            try:
                with self._store.eager_writes():
                    handed.finish(call(), None)
            except WriterBusy:
                if time.monotonic() < deadline and self._loop is loop:
                    handed.back_to_pending()
                    loop.call_later(pause, attempt)
                    pause = min(2 * pause, _LAST_RETRY)
                else:
                    handed.give_back()
            except BaseException as error:
                handed.finish(None, error)

        try:
            loop.call_soon_threadsafe(attempt)
        except RuntimeError:  # the loop closed meanwhile
            return call()
        while not handed.done.wait(_WAKE_EVERY):
            # The loop stopped taking writes before this one ran (detached at shutdown, or gone without a
            # lifespan shutdown, as uvicorn's forced exit does): run it here.
            if (self._loop is not loop or loop.is_closed() or not loop.is_running()) and handed.take():
                return call()
        if handed.given_back:
            return call()
        if handed.error is not None:
            raise handed.error
        result: T = handed.result
        return result


class _Handed:
    """One call handed to the loop: who runs it (the loop or, after all, the caller's thread) and its outcome."""

    __slots__ = ("_lock", "_state", "done", "error", "given_back", "result")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _PENDING
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.given_back = False

    def start(self) -> bool:
        with self._lock:
            if self._state != _PENDING:
                return False
            self._state = _ON_LOOP
            return True

    def take(self) -> bool:
        """The caller's thread takes the call back, if the loop has not started it."""
        with self._lock:
            if self._state != _PENDING:
                return False
            self._state = _TAKEN
            return True

    def back_to_pending(self) -> None:
        with self._lock:
            self._state = _PENDING

    def give_back(self) -> None:
        """The writer stayed taken: the caller runs the call in its own thread (waiting there is fine)."""
        with self._lock:
            self._state = _TAKEN
        self.given_back = True
        self.done.set()

    def finish(self, result: Any, error: BaseException | None) -> None:
        self.result, self.error = result, error
        self.done.set()
