"""The store on PostgreSQL, for several service replicas over one database (and one shared data directory
for the blobs). Same tables and SQL as SQLite (`SqlStore`).

The store's contract is that no two write transactions interleave. SQLite gives that with its single
writer; here every write transaction first takes one transaction-scoped advisory lock, so writers of all
replicas take turns exactly as the threads of one process do, and a read-then-write rule (claim a Waiting
job, admit a job into an open session) never sees a value another writer is about to change. Reads take
no lock and never wait.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from ..errors import StoreError
from ._query import Hold
from ._records import JobRecord
from ._sql import SqlStore, _cause, _load, _metadata, _View, high_then_oldest, jobs_table

__all__ = ["PostgresStore", "open_postgres_store", "redact_url"]

#: The advisory lock every write transaction holds: a constant of this service ("qwstore" in ASCII).
WRITE_LOCK_KEY = 0x71_77_73_74_6F_72_65


#: Query parameters of a database URL that carry secrets (libpq's names).
_SECRET_PARAMETERS = ("password", "sslpassword")
#: libpq settings of every connection: give up connecting after 10 s, notice a dead peer within about a
#: minute, and let the server end a transaction left idle (a replica cut off while holding the write lock).
_CONNECT_ARGS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "options": "-c idle_in_transaction_session_timeout=60000",
}


def redact_url(url: str) -> str:
    """The URL with its password masked (in the user part and in the query), for messages and logs."""
    try:
        parsed = sa.engine.make_url(url)
        hidden = {name: "***" for name in _SECRET_PARAMETERS if name in parsed.query}
        return parsed.update_query_dict(hidden).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return "<a database URL that cannot be parsed>"


#: The advisory lock replicas take while they create the tables, so two starting together do not both try.
SCHEMA_LOCK_KEY = WRITE_LOCK_KEY + 1


def _hold_lock(connection: sa.Connection, key: int) -> None:
    """Take a transaction-scoped advisory lock, waiting for whoever holds it."""
    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


#: The worker's high-priority test, written identically in the partial index and the query that uses it.
_HIGH_PRIORITY = "(doc::json ->> 'priority') = 'High'"
_QUEUE_INDEX = (
    f"CREATE INDEX IF NOT EXISTS ix_jobs_queue_high ON jobs (status, creation_time, id_key) WHERE {_HIGH_PRIORITY}"
)


class _PostgresView(_View):
    def jobs_with_status(
        self,
        statuses: Iterable[str],
        limit: int = 100,
        *,
        high_priority_first: bool = False,
        hold: Hold | None = None,
    ) -> list[JobRecord]:
        """The portable query's order in two index-ordered reads, as on SQLite: ordering by a value inside
        the document sorted every waiting job on each claim. High-priority jobs come from the partial
        index (its predicate written out as in the index, so the planner can match it), then the oldest."""
        if not high_priority_first:
            return super().jobs_with_status(statuses, limit, hold=hold)
        wanted = list(statuses)
        order = (jobs_table.c.creation_time, jobs_table.c.id_key)

        def read(statement: sa.Select[Any]) -> list[JobRecord]:
            return [cast(JobRecord, _load(row[0], "Job")) for row in self._c.execute(statement)]

        high = read(self._queue(wanted, hold).where(sa.text(_HIGH_PRIORITY)).order_by(*order).limit(limit))
        return high_then_oldest(
            high, lambda count: read(self._queue(wanted, hold).order_by(*order).limit(count)), limit
        )


class PostgresStore(SqlStore):
    shared = True
    _view_class = _PostgresView

    def __init__(self, engine: sa.Engine) -> None:
        try:
            with engine.begin() as connection:
                _hold_lock(connection, SCHEMA_LOCK_KEY)
                _metadata.create_all(connection)
                connection.execute(sa.text(_QUEUE_INDEX))
        except SQLAlchemyError as error:
            raise StoreError(f"cannot prepare the database: {_cause(error)}") from error
        super().__init__(engine)  # finds every table in place

    @contextmanager
    def write(self) -> Iterator[_View]:
        try:
            with self._engine.connect() as connection, connection.begin():
                _hold_lock(connection, WRITE_LOCK_KEY)
                yield self._view_class(connection)
        except SQLAlchemyError as error:
            raise StoreError(f"database write failed: {_cause(error)}") from error

    def beat(self, replica: str, now: datetime) -> None:
        """Without the write lock: one replica's row (an upsert) and the pruning of day-old rows never
        take part in another writer's read-then-write rule, and under the lock a heartbeat would wait for
        the longest write of any replica, so a live replica could look silent past its lease."""
        try:
            with self._engine.connect() as connection, connection.begin():
                _View(connection).heartbeat(replica, now)
        except SQLAlchemyError as error:
            raise StoreError(f"database write failed: {_cause(error)}") from error


def open_postgres_store(url: str) -> PostgresStore:
    """A store in the PostgreSQL database at `url` (`postgresql://user:password@host:port/database`); its
    tables are created when missing."""
    try:
        parsed = sa.engine.make_url(url)
        parsed.port  # noqa: B018 - a port that is not a number raises here, not at the first connection
    except (sa.exc.ArgumentError, ValueError) as error:
        raise StoreError("the database URL cannot be parsed (expected postgresql://user@host:port/database)") from error
    if parsed.get_backend_name() != "postgresql":
        raise StoreError(f"the database URL must be a postgresql:// URL, not {parsed.get_backend_name()}://")
    if parsed.get_driver_name() not in ("psycopg",):  # the one driver installed with the extra
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        import psycopg  # noqa: F401 - only to say clearly what is missing
    except ImportError as error:
        raise StoreError("PostgreSQL needs the psycopg driver: pip install 'arazzo-quantum[postgres]'") from error
    options: dict[str, Any] = {
        "pool_size": 8,
        "max_overflow": 16,
        "pool_pre_ping": True,
        # The store's rules read and write under the advisory lock and expect to see every commit before it.
        "isolation_level": "READ COMMITTED",
        # Statement parameters hold job documents, SAS URIs included: never in an error's text.
        "hide_parameters": True,
        "connect_args": dict(_CONNECT_ARGS),
    }
    try:
        engine = sa.create_engine(parsed, **options)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as error:
        raise StoreError(f"cannot connect to the database at {redact_url(url)}: {_cause(error)}") from error
    return PostgresStore(engine)
