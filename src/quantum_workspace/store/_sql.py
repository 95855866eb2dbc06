"""The store on SQLAlchemy Core: SQLite (a WAL-mode file) by default; the SQL is portable to PostgreSQL.

Each record is one row: a JSON document with everything, plus the columns that lists filter and sort on.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..clock import format_timestamp
from ..errors import StoreError
from ._group_commit import GroupCommit, eager_commits
from ._query import And, Comparison, Filter, Hold, ListQuery, Not, Or, Page, StartsWith
from ._records import JobRecord, SessionRecord, record_from_doc, record_to_doc

__all__ = ["SqlStore", "SqliteStore", "open_sqlite_store"]

log = logging.getLogger("quantum_workspace.store")

_metadata = sa.MetaData()

sessions_table = sa.Table(
    "sessions",
    _metadata,
    sa.Column("workspace", sa.String, primary_key=True),
    sa.Column("id_key", sa.String, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("provider_key", sa.String, nullable=False),
    sa.Column("target", sa.String, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("creation_time", sa.String, nullable=False),
    sa.Column("doc", sa.Text, nullable=False),
    sa.Index("ix_sessions_created", "workspace", "creation_time"),
    sa.Index("ix_sessions_status", "status"),
)

jobs_table = sa.Table(
    "jobs",
    _metadata,
    sa.Column("workspace", sa.String, primary_key=True),
    sa.Column("id_key", sa.String, primary_key=True),
    sa.Column("session_key", sa.String, nullable=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("provider_key", sa.String, nullable=False),
    sa.Column("target", sa.String, nullable=False),
    sa.Column("job_type", sa.String, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("creation_time", sa.String, nullable=False),
    sa.Column("doc", sa.Text, nullable=False),
    sa.Index("ix_jobs_created", "workspace", "creation_time"),
    sa.Index("ix_jobs_session", "workspace", "session_key"),
    sa.Index("ix_jobs_status", "status", "creation_time"),
)


#: Replicas that run a worker on this store, and when each last said it was alive.
replicas_table = sa.Table(
    "replicas",
    _metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("last_seen", sa.String, nullable=False),
)

_HEARTBEAT = {
    dialect: insert(replicas_table)
    .values(id=sa.bindparam("id"), last_seen=sa.bindparam("last_seen"))
    .on_conflict_do_update(index_elements=["id"], set_={"last_seen": sa.bindparam("last_seen")})
    for dialect, insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
}


#: How long a replica that stopped beating stays in the table.
REPLICA_MEMORY = timedelta(days=1)


def _job_row(record: JobRecord) -> dict[str, Any]:
    return {
        "workspace": record.workspace,
        "id_key": record.id.lower(),
        "session_key": record.session_id.lower() if record.session_id else None,
        "name": record.name,
        "provider_key": record.provider_id.lower(),
        "target": record.target,
        "job_type": record.job_type,
        "status": record.status,
        "creation_time": format_timestamp(record.creation_time),
        "doc": json.dumps(record_to_doc(record), separators=(",", ":")),
    }


def _session_row(record: SessionRecord) -> dict[str, Any]:
    return {
        "workspace": record.workspace,
        "id_key": record.id.lower(),
        "name": record.name,
        "provider_key": record.provider_id.lower(),
        "target": record.target,
        "status": record.status,
        "creation_time": format_timestamp(record.creation_time),
        "doc": json.dumps(record_to_doc(record), separators=(",", ":")),
    }


def _load(doc: str, item_type: str) -> JobRecord | SessionRecord:
    if item_type == "Job":
        return record_from_doc(JobRecord, json.loads(doc))
    return record_from_doc(SessionRecord, json.loads(doc))


#: Reads that repeat, by content: a polled job's document (and the head of the worker's queue) is the same
#: text until it changes, and records are immutable (nothing changes their JSON values in place), so equal
#: text can share one parsed record. Documents up to _CACHED_DOC_SIZE only: a client may send large ones.
_load_cached = lru_cache(maxsize=2048)(_load)
_CACHED_DOC_SIZE = 64 * 1024


def _load_point_read(doc: str, item_type: str) -> JobRecord | SessionRecord:
    return _load_cached(doc, item_type) if len(doc) <= _CACHED_DOC_SIZE else _load(doc, item_type)


class _Columns:
    """The filterable columns of one selectable (jobs, sessions, or their union)."""

    def __init__(self, table: Any, *, item_type: Any, job_type: Any, session_key: Any) -> None:
        c = table.c
        self.by_field: dict[str, Any] = {
            "Id": c.id_key,
            "Name": c.name,
            "ItemType": item_type,
            "JobType": job_type,
            "ProviderId": c.provider_key,
            "Target": c.target,
            "State": c.status,
            "SessionId": session_key,
            "CreationTime": c.creation_time,
        }
        self.id_key = c.id_key
        self.creation_time = c.creation_time

    #: Fields compared without regard to case (provider ids, enum-like values, GUIDs); Name stays exact.
    CASE_INSENSITIVE = frozenset({"Id", "ProviderId", "Target", "ItemType", "JobType", "State", "SessionId"})

    def condition(self, node: Filter) -> Any:
        if isinstance(node, And):
            return sa.and_(*(self.condition(item) for item in node.items))
        if isinstance(node, Or):
            return sa.or_(*(self.condition(item) for item in node.items))
        if isinstance(node, Not):
            return sa.not_(self.condition(node.item))
        column = self.by_field[node.field]
        if isinstance(node, StartsWith):
            prefix = node.prefix
            if node.field in self.CASE_INSENSITIVE:
                column, prefix = sa.func.lower(column), prefix.lower()
            return sa.func.substr(column, 1, len(prefix)) == prefix
        return self._compare(node, column)

    def _compare(self, node: Comparison, column: Any) -> Any:
        value: Any = node.value
        if value is None:  # the parser allows eq and ne only
            return column.is_(None) if node.op == "eq" else column.is_not(None)
        if node.field == "CreationTime":
            if isinstance(value, datetime):
                value = format_timestamp(value)
            elif isinstance(value, date):
                column, value = sa.func.substr(column, 1, 10), value.isoformat()
        elif node.field in self.CASE_INSENSITIVE:
            column, value = sa.func.lower(column), str(value).lower()
        return {
            "eq": column == value,
            "ne": column != value,
            "gt": column > value,
            "ge": column >= value,
            "lt": column < value,
            "le": column <= value,
        }[node.op]

    def ordering(self, query: ListQuery) -> list[Any]:
        clauses = []
        for field, descending in query.order_by:
            column = self.by_field[field]
            clauses.append(column.desc() if descending else column.asc())
        clauses += [self.creation_time.asc(), self.id_key.asc()]
        return clauses


_JOB_COLUMNS = _Columns(
    jobs_table,
    item_type=sa.literal("Job"),
    job_type=jobs_table.c.job_type,
    session_key=jobs_table.c.session_key,
)
_SESSION_COLUMNS = _Columns(sessions_table, item_type=sa.literal("Session"), job_type=sa.null(), session_key=sa.null())


_GET_JOB = sa.select(jobs_table.c.doc).where(
    jobs_table.c.workspace == sa.bindparam("workspace"), jobs_table.c.id_key == sa.bindparam("id_key")
)
_GET_SESSION = sa.select(sessions_table.c.doc).where(
    sessions_table.c.workspace == sa.bindparam("workspace"), sessions_table.c.id_key == sa.bindparam("id_key")
)


def _prepared_update(table: sa.Table) -> Any:
    """UPDATE ... SET every non-key column WHERE the key matches, built once (statement construction
    costs more than executing it)."""
    keys = ("workspace", "id_key")
    return (
        table.update()
        .where(table.c.workspace == sa.bindparam("key_workspace"), table.c.id_key == sa.bindparam("key_id"))
        .values({column.name: sa.bindparam(column.name) for column in table.c if column.name not in keys})
    )


_UPDATE_JOB = _prepared_update(jobs_table)
_UPDATE_SESSION = _prepared_update(sessions_table)
#: INSERT ... ON CONFLICT DO NOTHING RETURNING the key: a row comes back only when one was written (the
#: driver's rowcount is not reliable for it: psycopg reports -1).
_INSERT_IF_NEW = {
    (dialect, table.name): insert(table)
    .on_conflict_do_nothing(index_elements=["workspace", "id_key"])
    .returning(table.c.id_key)
    for dialect, insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
    for table in (jobs_table, sessions_table)
}


class _View:
    """Reads (and, for writers, writes) on one connection inside one transaction."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- reads ---------------------------------------------------------------------------------

    def get_job(self, workspace: str, job_id: str) -> JobRecord | None:
        row = self._c.execute(_GET_JOB, {"workspace": workspace, "id_key": job_id.lower()}).first()
        return cast(JobRecord, _load_point_read(row[0], "Job")) if row else None

    def get_session(self, workspace: str, session_id: str) -> SessionRecord | None:
        row = self._c.execute(_GET_SESSION, {"workspace": workspace, "id_key": session_id.lower()}).first()
        return cast(SessionRecord, _load_point_read(row[0], "Session")) if row else None

    def _page(self, statement: Any, columns: _Columns, query: ListQuery, item_type: str | None) -> Page[Any]:
        if query.filter is not None:
            statement = statement.where(columns.condition(query.filter))
        statement = statement.order_by(*columns.ordering(query)).offset(query.skip).limit(query.top + 1)
        rows = self._c.execute(statement).all()
        items = [_load(row[0], item_type or row[1]) for row in rows[: query.top]]
        return Page(items, len(rows) > query.top)

    def list_jobs(self, workspace: str, query: ListQuery, *, session_id: str | None = None) -> Page[JobRecord]:
        statement = sa.select(jobs_table.c.doc).where(jobs_table.c.workspace == workspace)
        if session_id is not None:
            statement = statement.where(jobs_table.c.session_key == session_id.lower())
        return self._page(statement, _JOB_COLUMNS, query, "Job")

    def list_sessions(self, workspace: str, query: ListQuery) -> Page[SessionRecord]:
        statement = sa.select(sessions_table.c.doc).where(sessions_table.c.workspace == workspace)
        return self._page(statement, _SESSION_COLUMNS, query, "Session")

    def list_top_level_items(self, workspace: str, query: ListQuery) -> Page[JobRecord | SessionRecord]:
        jobs = sa.select(
            jobs_table.c.doc,
            sa.literal("Job").label("item_type"),
            jobs_table.c.id_key,
            jobs_table.c.name,
            jobs_table.c.provider_key,
            jobs_table.c.target,
            jobs_table.c.job_type,
            jobs_table.c.status,
            jobs_table.c.creation_time,
            jobs_table.c.session_key,
        ).where(jobs_table.c.workspace == workspace, jobs_table.c.session_key.is_(None))
        sessions = sa.select(
            sessions_table.c.doc,
            sa.literal("Session").label("item_type"),
            sessions_table.c.id_key,
            sessions_table.c.name,
            sessions_table.c.provider_key,
            sessions_table.c.target,
            sa.null().label("job_type"),
            sessions_table.c.status,
            sessions_table.c.creation_time,
            sa.null().label("session_key"),
        ).where(sessions_table.c.workspace == workspace)
        union = sa.union_all(jobs, sessions).subquery("items")
        columns = _Columns(
            union, item_type=union.c.item_type, job_type=union.c.job_type, session_key=union.c.session_key
        )
        statement = sa.select(union.c.doc, union.c.item_type)
        return self._page(statement, columns, query, None)

    def jobs_in_session(
        self, workspace: str, session_id: str, statuses: Iterable[str] | None = None
    ) -> list[JobRecord]:
        statement = sa.select(jobs_table.c.doc).where(
            jobs_table.c.workspace == workspace, jobs_table.c.session_key == session_id.lower()
        )
        if statuses is not None:
            statement = statement.where(jobs_table.c.status.in_(list(statuses)))
        statement = statement.order_by(jobs_table.c.creation_time, jobs_table.c.id_key)
        return [cast(JobRecord, _load(row[0], "Job")) for row in self._c.execute(statement)]

    def jobs_with_status(
        self,
        statuses: Iterable[str],
        limit: int = 100,
        *,
        high_priority_first: bool = False,
        hold: Hold | None = None,
    ) -> list[JobRecord]:
        order: list[Any] = [jobs_table.c.creation_time, jobs_table.c.id_key]
        if high_priority_first:  # priority lives in the document: JSON_EXTRACT on SQLite, ->> on PostgreSQL
            as_json = sa.type_coerce if self._c.dialect.name == "sqlite" else sa.cast
            priority = as_json(jobs_table.c.doc, sa.JSON)["priority"].as_string()
            order.insert(0, sa.case((priority == "High", 0), else_=1))
        statement = self._queue(statuses, hold).order_by(*order).limit(limit)
        return [cast(JobRecord, _load(row[0], "Job")) for row in self._c.execute(statement)]

    @staticmethod
    def _queue(statuses: Iterable[str], hold: Hold | None) -> sa.Select[Any]:
        """The documents of jobs in `statuses`, without those `hold` leaves out; not ordered yet."""
        statement = sa.select(jobs_table.c.doc).where(jobs_table.c.status.in_(list(statuses)))
        if hold is not None and hold.targets:
            held = sa.and_(
                sa.func.lower(jobs_table.c.target).in_(sorted(hold.targets)),
                jobs_table.c.creation_time > format_timestamp(hold.created_after),
            )
            statement = statement.where(sa.not_(held))
        return statement

    def sessions_with_status(self, statuses: Iterable[str], limit: int = 1000) -> list[SessionRecord]:
        statement = (
            sa.select(sessions_table.c.doc)
            .where(sessions_table.c.status.in_(list(statuses)))
            .order_by(sessions_table.c.creation_time)
            .limit(limit)
        )
        return [cast(SessionRecord, _load(row[0], "Session")) for row in self._c.execute(statement)]

    def workspaces(self) -> list[str]:
        statement = sa.union(sa.select(jobs_table.c.workspace), sa.select(sessions_table.c.workspace))
        return sorted(row[0] for row in self._c.execute(statement))

    def live_replicas(self, since: datetime) -> set[str]:
        statement = sa.select(replicas_table.c.id).where(replicas_table.c.last_seen >= format_timestamp(since))
        return {row[0] for row in self._c.execute(statement)}

    # -- writes --------------------------------------------------------------------------------

    def heartbeat(self, replica: str, now: datetime) -> None:
        self._c.execute(_HEARTBEAT[self._c.dialect.name], {"id": replica, "last_seen": format_timestamp(now)})
        # Replicas gone for a day are forgotten: every process start adds one.
        forgotten = format_timestamp(now - REPLICA_MEMORY)
        self._c.execute(replicas_table.delete().where(replicas_table.c.last_seen < forgotten))

    def insert_job(self, record: JobRecord) -> bool:
        return self._insert(jobs_table, _job_row(record))

    def update_job(self, record: JobRecord) -> None:
        self._update(_UPDATE_JOB, _job_row(record.replace(revision=record.revision + 1)))

    def insert_session(self, record: SessionRecord) -> bool:
        return self._insert(sessions_table, _session_row(record))

    def update_session(self, record: SessionRecord) -> None:
        self._update(_UPDATE_SESSION, _session_row(record))

    def _update(self, statement: Any, row: dict[str, Any]) -> None:
        row["key_workspace"], row["key_id"] = row.pop("workspace"), row.pop("id_key")
        self._c.execute(statement, row)

    def _insert(self, table: sa.Table, row: dict[str, Any]) -> bool:
        """One statement: insert unless the (workspace, id) exists; True when a row was written."""
        statement = _INSERT_IF_NEW.get((self._c.dialect.name, table.name))
        if statement is None:  # pragma: no cover - only SQLite and PostgreSQL are supported
            try:
                with self._c.begin_nested():
                    self._c.execute(table.insert().values(**row))
            except IntegrityError:
                return False
            return True
        return self._c.execute(statement, row).first() is not None


class _LazyConnection:
    """Checks a SQLAlchemy connection out of the pool only when a view first needs one."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.connection: Connection | None = None

    def get(self) -> Connection:
        if self.connection is None:
            self.connection = self._engine.connect()
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.rollback()
            self.connection.close()


#: The worker's high-priority test, written identically in the partial index and the query that uses it.
_HIGH_PRIORITY = "json_extract(doc, '$.priority') = 'High'"
_SQLITE_INDEXES = (
    f"CREATE INDEX IF NOT EXISTS ix_jobs_queue_high ON jobs (status, creation_time, id_key) WHERE {_HIGH_PRIORITY}",
)


class _SqliteReadView(_View):
    """Point reads (a job or session by id: every GET) straight on a per-thread sqlite3 connection,
    skipping SQLAlchemy's per-statement work; everything else through SQLAlchemy, connected lazily."""

    def __init__(self, raw: sqlite3.Connection, lazy: _LazyConnection) -> None:
        self._raw, self._lazy = raw, lazy

    @property
    def _c(self) -> Connection:  # type: ignore[override]
        return self._lazy.get()

    def get_job(self, workspace: str, job_id: str) -> JobRecord | None:
        row = self._raw.execute(
            "SELECT doc FROM jobs WHERE workspace = ? AND id_key = ?", (workspace, job_id.lower())
        ).fetchone()
        return cast(JobRecord, _load_point_read(row[0], "Job")) if row else None

    def get_session(self, workspace: str, session_id: str) -> SessionRecord | None:
        row = self._raw.execute(
            "SELECT doc FROM sessions WHERE workspace = ? AND id_key = ?", (workspace, session_id.lower())
        ).fetchone()
        return cast(SessionRecord, _load_point_read(row[0], "Session")) if row else None

    def jobs_with_status(
        self,
        statuses: Iterable[str],
        limit: int = 100,
        *,
        high_priority_first: bool = False,
        hold: Hold | None = None,
    ) -> list[JobRecord]:
        """The same order as the SQLAlchemy query, in two index-ordered reads: ordering every waiting job
        by a value inside its document sorted the whole backlog on each claim (milliseconds per claim
        with thousands waiting). The worker asks for the head of the queue on every claim, so the same
        waiting documents come back again and again: they are parsed once (see _load_point_read)."""
        if not high_priority_first:
            return super().jobs_with_status(statuses, limit, hold=hold)
        wanted: list[Any] = list(statuses)
        where = f"status IN ({', '.join('?' * len(wanted))})"
        if hold is not None and hold.targets:
            held = sorted(hold.targets)
            where += f" AND NOT (lower(target) IN ({', '.join('?' * len(held))}) AND creation_time > ?)"
            wanted += [*held, format_timestamp(hold.created_after)]
        high = self._raw.execute(
            f"SELECT doc FROM jobs WHERE {where} AND {_HIGH_PRIORITY} ORDER BY creation_time, id_key LIMIT ?",
            (*wanted, limit),
        ).fetchall()

        def oldest(count: int) -> list[JobRecord]:
            rows = self._raw.execute(
                f"SELECT doc FROM jobs WHERE {where} ORDER BY creation_time, id_key LIMIT ?", (*wanted, count)
            ).fetchall()
            return [cast(JobRecord, _load_point_read(row[0], "Job")) for row in rows]

        return high_then_oldest([cast(JobRecord, _load_point_read(row[0], "Job")) for row in high], oldest, limit)


def high_then_oldest(high: list[JobRecord], oldest: Callable[[int], list[JobRecord]], limit: int) -> list[JobRecord]:
    """The worker's queue from its two index-ordered reads: the high-priority jobs (oldest first, at most
    `limit`), then the oldest of all the others; `oldest(n)` reads the n oldest of every priority."""
    jobs = list(high)
    if len(jobs) < limit:
        taken = {(job.workspace, job.id.lower()) for job in jobs}
        for job in oldest(limit + len(jobs)):
            if (job.workspace, job.id.lower()) not in taken and len(jobs) < limit:
                jobs.append(job)
    return jobs


def _raw_insert(table: sa.Table) -> str:
    names = [column.name for column in table.c]
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)}) "
        "ON CONFLICT (workspace, id_key) DO NOTHING"
    )


def _raw_update(table: sa.Table) -> str:
    names = [column.name for column in table.c if column.name not in ("workspace", "id_key")]
    return (
        f"UPDATE {table.name} SET {', '.join(f'{n} = :{n}' for n in names)} "
        "WHERE workspace = :key_workspace AND id_key = :key_id"
    )


_RAW_INSERT = {table.name: _raw_insert(table) for table in (jobs_table, sessions_table)}
_RAW_UPDATE = {table.name: _raw_update(table) for table in (jobs_table, sessions_table)}


class _SqliteWriteView(_SqliteReadView):
    """A writer's view on the group-commit connection: the statements every create and state change runs
    go straight to sqlite3 (same SQL as the SQLAlchemy ones); lists and scans through SQLAlchemy, on the
    same connection and so inside the same transaction."""

    def __init__(self, connection: Connection, raw: sqlite3.Connection) -> None:
        self._raw, self._connection = raw, connection

    @property
    def _c(self) -> Connection:  # type: ignore[override]
        return self._connection

    def update_job(self, record: JobRecord) -> None:
        self._raw_update("jobs", _job_row(record.replace(revision=record.revision + 1)))

    def update_session(self, record: SessionRecord) -> None:
        self._raw_update("sessions", _session_row(record))

    def _raw_update(self, table: str, row: dict[str, Any]) -> None:
        row["key_workspace"], row["key_id"] = row.pop("workspace"), row.pop("id_key")
        self._raw.execute(_RAW_UPDATE[table], row)

    def _insert(self, table: sa.Table, row: dict[str, Any]) -> bool:
        return self._raw.execute(_RAW_INSERT[table.name], row).rowcount == 1


def _cause(error: SQLAlchemyError) -> str:
    """The driver error's class name (never its text: it may quote SQL parameters)."""
    original = getattr(error, "orig", None)
    return type(original or error).__name__


class SqlStore:
    """Store over a SQLAlchemy engine. SQLAlchemy/DBAPI errors become StoreError here and nowhere else."""

    #: The view each transaction gets (a dialect may read some queries its own way).
    _view_class: type[_View] = _View

    #: Whether several service processes may use this store at once (replicas): then a job left Executing
    #: may still be running elsewhere, and only a replica that stopped saying it is alive gives its jobs up.
    shared = False

    #: This store's writes wait at the database's lock like any other (see SqliteStore).
    eager_writes_never_wait = False

    def eager_writes(self) -> AbstractContextManager[None]:
        """Writes in this block commit at their own end, never waiting for writers queued behind them."""
        return nullcontext()

    def beat(self, replica: str, now: datetime) -> None:
        with self.write() as writer:
            writer.heartbeat(replica, now)

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        try:
            _metadata.create_all(engine)
        except SQLAlchemyError as error:
            raise StoreError(f"cannot prepare the database: {_cause(error)}") from error

    @contextmanager
    def read(self) -> Iterator[_View]:
        try:
            with self._engine.connect() as connection:
                yield self._view_class(connection)
                connection.rollback()
        except SQLAlchemyError as error:
            raise StoreError(f"database read failed: {_cause(error)}") from error

    @contextmanager
    def write(self) -> Iterator[_View]:
        try:
            with self._engine.connect().execution_options(write=True) as connection, connection.begin():
                yield self._view_class(connection)
        except SQLAlchemyError as error:
            raise StoreError(f"database write failed: {_cause(error)}") from error

    def close(self) -> None:
        self._engine.dispose()


def open_sqlite_store(path: Path, *, checkpoints: bool = True) -> SqliteStore:
    """A store in one SQLite file: WAL journal (readers never block the writer), `BEGIN IMMEDIATE` for
    write transactions so two writers queue on the lock instead of failing on a read-to-write upgrade,
    and reads outside transactions (one statement each). `checkpoints=False` for a second process on the
    same file (the worker process): the first one's store thread checkpoints for both."""
    engine = sa.create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=8,
        max_overflow=16,
        hide_parameters=True,  # parameters hold job documents, SAS URIs included: never in an error's text
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Checkpoints run in the store's own thread (SqliteStore), never inside a request's commit.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Reads run without a transaction: each statement sees a consistent WAL snapshot and never waits.
        if connection.get_execution_options().get("write", False):
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return SqliteStore(engine, path, checkpoints=checkpoints)


#: Seconds between the store thread's checkpoints; WAL frames after which the log is restarted once all
#: are copied; the longest that restart may hold writers back, in seconds (see _Checkpointer).
CHECKPOINT_EVERY = 1.0
RESTART_AFTER = 1000
RESTART_WAIT = 0.01
#: Passive rounds at most before a RESTART, and how few frames committed during the last round make it
#: short enough to restart after.
_CATCH_UP_ROUNDS = 3
_CAUGHT_UP = 64


class _Checkpointer:
    """Moves committed WAL frames into the database file from a thread of its own, every CHECKPOINT_EVERY
    seconds. SQLite's default runs the checkpoint inside whichever commit pushes the WAL past 1,000 pages:
    under a steady stream of creates that put a 15-25 ms stall into one request every few hundred ms.

    PASSIVE never waits for readers or writers. Once every frame is copied, RESTART lets the next writer
    start the log from its beginning: with reads and writes never pausing, SQLite found no moment to do
    that itself and the WAL grew without bound (28,000 frames, 110 MB, in ten seconds of creates). RESTART
    holds new writers back while it waits for readers, so it waits at most RESTART_WAIT seconds, and it
    runs holding the process's writer lock (`writers`): a writer of this process then waits on that lock
    (or, eager on the event loop, is told the writer is busy) instead of inside SQLite's busy handler,
    which sleeps in steps of up to 100 ms and stood the event loop still."""

    def __init__(
        self, path: Path, writers: GroupCommit | None = None, interval: float | None = None, *, enabled: bool = True
    ) -> None:
        self._writers = writers
        self._path, self._interval = path, CHECKPOINT_EVERY if interval is None else interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="quantum-store-checkpoint", daemon=True)
        if enabled:
            self._thread.start()

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not self._stopping.wait(self._interval):
                try:
                    if connection is None:
                        connection = sqlite3.connect(
                            self._path, check_same_thread=False, isolation_level=None, timeout=RESTART_WAIT
                        )
                    self.checkpoint(connection, self._writers)
                except sqlite3.Error as error:  # the next round tries again; the WAL keeps every change
                    log.warning("WAL checkpoint failed: %s", type(error).__name__)
        finally:
            if connection is not None:
                connection.close()

    @staticmethod
    def checkpoint(connection: sqlite3.Connection, writers: GroupCommit | None = None) -> None:
        busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if busy or frames < RESTART_AFTER or copied != frames:
            return
        # What was committed while that ran (a checkpoint of 4,000 frames took 50 ms under load) is copied
        # by more passive rounds first, so that RESTART, holding every writer back, has only a few frames
        # and two syncs left to do (it held them 12-86 ms when it copied those frames itself). After the
        # last round it restarts even when writes kept up with the rounds: the log must stay bounded.
        for _ in range(_CATCH_UP_ROUNDS):
            busy, now_frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if busy or copied != now_frames:
                return
            caught_up = now_frames - frames <= _CAUGHT_UP
            frames = now_frames
            if caught_up:
                break
        if writers is None:
            connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            return
        with writers.exclusive() as free:
            if free:  # else a batch is open on the writer connection: RESTART would wait for it in vain
                connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()

    @property
    def stopped(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)


class SqliteStore(SqlStore):
    """SqlStore on one SQLite file, with point reads on per-thread sqlite3 connections."""

    def __init__(self, engine: Engine, path: Path, *, checkpoints: bool = True) -> None:
        super().__init__(engine)
        self._path = path
        self._checkpoints = checkpoints
        self._local = threading.local()
        self._raw_connections: list[sqlite3.Connection] = []
        self._raw_lock = threading.Lock()
        self._generation = 0
        self._group = GroupCommit(engine.connect)
        try:
            with engine.begin() as connection:
                for statement in _SQLITE_INDEXES:
                    connection.exec_driver_sql(statement)
        except SQLAlchemyError as error:
            raise StoreError(f"cannot prepare the database: {_cause(error)}") from error
        self._checkpointer = _Checkpointer(path, self._group, enabled=checkpoints)

    eager_writes_never_wait = True

    def eager_writes(self) -> AbstractContextManager[None]:
        return eager_commits()

    def _raw(self) -> sqlite3.Connection:
        """This thread's connection; a new one after close() (the store stays usable, as the engine does)."""
        cached: tuple[int, sqlite3.Connection] | None = getattr(self._local, "connection", None)
        if cached is not None and cached[0] == self._generation:
            return cached[1]
        connection = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None, timeout=30)
        connection.execute("PRAGMA busy_timeout=30000")
        self._local.connection = (self._generation, connection)
        with self._raw_lock:
            self._raw_connections.append(connection)
        return connection

    @contextmanager
    def read(self) -> Iterator[_View]:
        lazy = _LazyConnection(self._engine)
        try:
            yield _SqliteReadView(self._raw(), lazy)
            lazy.close()
        except (SQLAlchemyError, sqlite3.Error) as error:
            cause = _cause(error) if isinstance(error, SQLAlchemyError) else type(error).__name__
            raise StoreError(f"database read failed: {cause}") from error

    @contextmanager
    def write(self) -> Iterator[_View]:
        """Writers of this process take turns on one connection (a Python lock: SQLite's busy handler
        sleeps in steps of up to 100 ms, which would turn a 1 ms wait into a long tail) and commit in
        groups (see _group_commit.py); this returns only after the commit that holds the changes. Other
        processes on the same file still meet at the SQLite lock (`BEGIN IMMEDIATE`, busy timeout)."""
        if self._checkpointer.stopped:  # used again after close(), as the engine allows
            with self._raw_lock:
                if self._checkpointer.stopped:
                    self._checkpointer = _Checkpointer(self._path, self._group, enabled=self._checkpoints)
        with self._group.session() as (connection, raw):
            try:
                yield _SqliteWriteView(connection, raw)
            except (SQLAlchemyError, sqlite3.Error) as error:
                cause = _cause(error) if isinstance(error, SQLAlchemyError) else type(error).__name__
                raise StoreError(f"database write failed: {cause}") from error

    def close(self) -> None:
        self._checkpointer.stop()
        with self._raw_lock:
            self._generation += 1
            for connection in self._raw_connections:
                connection.close()
            self._raw_connections.clear()
        self._group.close()
        super().close()
