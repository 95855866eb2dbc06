"""A list request in structured form: a filter tree, an ordering and a page window.

The service parses the client's `filter`/`orderby` text into these; each store translates them to its
own query language. Field names are the contract's filter properties (what the SDK emits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

__all__ = [
    "FILTER_FIELDS",
    "And",
    "Comparison",
    "Filter",
    "Hold",
    "ListQuery",
    "Not",
    "Or",
    "Page",
    "StartsWith",
]

#: Filterable and sortable properties and the kind of value each takes.
FILTER_FIELDS: dict[str, str] = {
    "Id": "text",
    "Name": "text",
    "ItemType": "text",
    "JobType": "text",
    "ProviderId": "text",
    "Target": "text",
    "State": "text",
    "SessionId": "text",
    "CreationTime": "time",
}


@dataclass(frozen=True, slots=True)
class Comparison:
    field: str
    op: str  # eq ne gt ge lt le
    value: str | datetime | date | None


@dataclass(frozen=True, slots=True)
class StartsWith:
    field: str
    prefix: str


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Filter


Filter = Comparison | StartsWith | And | Or | Not


@dataclass(frozen=True, slots=True)
class Hold:
    """Waiting jobs the worker's queue leaves out for now: those on `targets` (lower-case ids) created
    after `created_after` (QPU targets in their queue delay)."""

    targets: frozenset[str]
    created_after: datetime


@dataclass(frozen=True, slots=True)
class ListQuery:
    filter: Filter | None = None
    order_by: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    skip: int = 0
    top: int = 100


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    more: bool
