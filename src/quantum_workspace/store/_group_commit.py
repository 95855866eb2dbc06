"""Group commit for the SQLite store: one writer connection, and concurrent write transactions that share
one SQLite transaction (each in its own SAVEPOINT), committed together.

Why: a commit is the expensive part of a small write (WAL frames, the lock, the thread hand-over); under
concurrent creates, one commit for a batch of writers costs about what one commit for one writer did.
Durability is unchanged: a writer leaves `write()` only after the COMMIT that includes its changes returned,
so a request answered after its write is on disk to the same degree as before (WAL, `synchronous=NORMAL`).
A writer whose body raises rolls back to its savepoint: the other writers of the batch are untouched.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from ..errors import StoreError

__all__ = ["GroupCommit", "MAX_BATCH", "WriterBusy", "eager_commits"]

#: Writers one COMMIT may cover at most, so a steady stream of writers still commits regularly.
MAX_BATCH = 64
#: How long a writer that may wait waits for another process's write lock (as SQLite's busy timeout did),
#: and the pauses between its tries, in seconds.
LOCK_WAIT = 30.0
_FIRST_PAUSE = 0.0005
_LAST_PAUSE = 0.005

#: Set for writers that must never wait (the event loop's): they take the connection only when it is free
#: and commit at once.
_EAGER: ContextVar[bool] = ContextVar("quantum_workspace_eager_commit", default=False)


class WriterBusy(StoreError):
    """An eager write found another writer holding the connection; nothing was written. Raised before the
    write's body runs, so the caller can run the same write again where waiting is fine (a thread)."""


@contextmanager
def eager_commits() -> Iterator[None]:
    """Within this block, this thread's (or task's) writes never wait: a write finding the connection taken
    raises WriterBusy before its body runs, and a write that got it commits at its own end instead of
    handing the transaction on to the writers waiting behind it and waiting for their commit."""
    token = _EAGER.set(True)
    try:
        yield
    finally:
        _EAGER.reset(token)


class _Batch:
    """The writers of one SQLite transaction; `done` is set once it committed (or failed to)."""

    __slots__ = ("done", "error", "size")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.size = 0


def _driver_error(error: BaseException) -> str:
    """The driver error's class name (never its text: it may quote SQL parameters)."""
    original = getattr(error, "orig", None)
    return type(original or error).__name__


class GroupCommit:
    """Serializes this process's writers on one connection and commits them in batches.

    The writer holding the lock commits when no other writer waits for it (or the batch is full);
    otherwise it hands the open transaction to the next writer and waits for that batch's commit.
    """

    def __init__(self, connect: Callable[[], Connection]) -> None:
        self._connect = connect
        self._connection: Connection | None = None
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._waiting = 0
        self._batch: _Batch | None = None

    def session(self) -> _WriteSession:
        return _WriteSession(self)

    @contextmanager
    def exclusive(self) -> Iterator[bool]:
        """Holds every writer of this process back while the block runs; yields False (and holds nobody)
        when a batch is still open, that is, handed on to a writer about to take the connection."""
        with self._lock:
            yield self._batch is None

    # -- used by _WriteSession, holding self._lock ---------------------------------------------------

    def _raw(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = self._connect()
            # Another process's writer (the worker process, a CLI command) is waited for in _begin, not in
            # SQLite's busy handler: that sleeps in steps of up to 100 ms, and on the event loop it would
            # stop every request; an eager writer is told at once (WriterBusy) and tries again later.
            self._connection.connection.dbapi_connection.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
        raw: Any = self._connection.connection.dbapi_connection
        return raw  # type: ignore[no-any-return]

    @staticmethod
    def _begin(raw: sqlite3.Connection, eager: bool) -> None:
        """BEGIN IMMEDIATE: takes SQLite's write lock, which a writer in another process may hold."""
        deadline = None
        pause = _FIRST_PAUSE
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if getattr(error, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY:
                    raise
                if eager:
                    raise WriterBusy("another process holds the database's write lock") from None
                deadline = deadline or time.monotonic() + LOCK_WAIT
                if time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(2 * pause, _LAST_PAUSE)

    def _join(self, eager: bool) -> tuple[Connection, sqlite3.Connection, _Batch, bool]:
        """The connection, the batch joined, and whether this writer has a savepoint of its own. An eager
        writer opening the batch has it alone (it commits at its end, still holding the lock), so it needs
        none: two statements fewer on the event loop, each a chance for a thread to take the interpreter
        lock from it."""
        raw = self._raw()
        assert self._connection is not None
        if self._batch is None:
            self._begin(raw, eager)
            self._batch = _Batch()
            if eager:
                return self._connection, raw, self._batch, False
        raw.execute("SAVEPOINT writer")
        return self._connection, raw, self._batch, True

    def _roll_back_alone(self, batch: _Batch) -> None:
        """The writer that had the batch alone raised: nothing of the transaction is kept."""
        self._batch = None
        try:
            self._raw().execute("ROLLBACK")
            assert self._connection is not None
            self._connection.rollback()  # SQLAlchemy's bookkeeping only, as in _commit_if_last
        except (sqlite3.Error, SQLAlchemyError):
            self._discard()
        finally:
            batch.done.set()

    def _commit_if_last(self, batch: _Batch) -> None:
        with self._count_lock:
            others = self._waiting
        if others and batch.size < MAX_BATCH and not _EAGER.get():
            return
        self._batch = None
        try:
            self._raw().execute("COMMIT")
            assert self._connection is not None
            self._connection.commit()  # SQLAlchemy's bookkeeping only: no transaction is open any more
        except (sqlite3.Error, SQLAlchemyError) as error:
            batch.error = error
            self._discard()
        finally:
            batch.done.set()

    def _abandon(self, batch: _Batch | None, error: BaseException) -> None:
        """The connection failed outside any one writer's statements: the open batch cannot commit."""
        if batch is not None:
            batch.error = error
            batch.done.set()
        self._batch = None
        self._discard()

    def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
            except SQLAlchemyError:  # pragma: no cover - closing a broken connection
                pass

    def close(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None:
                try:  # back to the pool, where other users expect SQLite's own busy handling
                    connection.connection.dbapi_connection.execute("PRAGMA busy_timeout=30000")  # type: ignore[union-attr]
                except sqlite3.Error:
                    connection.invalidate()
                connection.close()


class _WriteSession:
    """One writer's turn: lock, savepoint, body, release or roll back to the savepoint, then wait for the
    batch's commit."""

    __slots__ = ("_batch", "_owner", "_savepoint")

    def __init__(self, owner: GroupCommit) -> None:
        self._owner = owner
        self._batch: _Batch | None = None
        self._savepoint = True

    def __enter__(self) -> tuple[Connection, sqlite3.Connection]:
        owner = self._owner
        eager = _EAGER.get()
        if eager:
            # Checking first and then waiting for the lock was a race the worker's writes won often: the
            # event loop then stood still for their whole transaction (seen with a stall probe at 500
            # creates/s: the most frequent place the loop stopped).
            if not owner._lock.acquire(blocking=False):
                raise WriterBusy("the database writer is busy")
        else:
            with owner._count_lock:
                owner._waiting += 1
            owner._lock.acquire()
            with owner._count_lock:
                owner._waiting -= 1
        try:
            connection, raw, self._batch, self._savepoint = owner._join(eager)
        except (sqlite3.Error, SQLAlchemyError) as error:
            owner._abandon(owner._batch, error)
            owner._lock.release()
            raise StoreError(f"database write failed: {_driver_error(error)}") from error
        except BaseException:
            owner._lock.release()
            raise
        return connection, raw

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        owner, batch = self._owner, self._batch
        assert batch is not None
        try:
            raw = owner._raw()
            if not self._savepoint:
                if error is None:
                    batch.size += 1
                    owner._commit_if_last(batch)
                else:
                    owner._roll_back_alone(batch)
                    return
            else:
                if error is None:
                    raw.execute("RELEASE writer")
                else:
                    raw.execute("ROLLBACK TO writer")
                    raw.execute("RELEASE writer")
                batch.size += 1
                owner._commit_if_last(batch)
        except (sqlite3.Error, SQLAlchemyError) as failure:
            owner._abandon(batch, failure)
        finally:
            owner._lock.release()
        batch.done.wait()
        if batch.error is not None:
            raise StoreError(f"database write failed: {_driver_error(batch.error)}") from batch.error
