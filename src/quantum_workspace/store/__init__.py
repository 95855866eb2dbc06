"""Persistence behind one interface; SQLite by default, PostgreSQL for several replicas."""

from ._group_commit import WriterBusy
from ._interface import Store, StoreReader, StoreWriter
from ._postgres import PostgresStore, open_postgres_store, redact_url
from ._query import FILTER_FIELDS, And, Comparison, Filter, Hold, ListQuery, Not, Or, Page, StartsWith
from ._records import JobRecord, SessionRecord
from ._sql import SqlStore, open_sqlite_store

__all__ = [
    "FILTER_FIELDS",
    "And",
    "Comparison",
    "Filter",
    "Hold",
    "JobRecord",
    "ListQuery",
    "Not",
    "Or",
    "Page",
    "PostgresStore",
    "SessionRecord",
    "SqlStore",
    "StartsWith",
    "Store",
    "StoreReader",
    "StoreWriter",
    "WriterBusy",
    "open_postgres_store",
    "open_sqlite_store",
    "redact_url",
]
