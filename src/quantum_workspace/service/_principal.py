"""Who is acting: recorded as createdBy/lastModifiedBy on the items they touch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["SYSTEM", "Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller's display name and the contract's CreatedByType (User, Application, ManagedIdentity, Key)."""

    name: str
    type: str

    def modified_at(self, now: datetime) -> dict[str, Any]:
        """The lastModified* fields of an item this principal changes at `now`."""
        return {"last_modified_time": now, "last_modified_by": self.name, "last_modified_by_type": self.type}

    def created_at(self, now: datetime) -> dict[str, Any]:
        """The createdBy* and lastModified* fields of an item this principal creates at `now`."""
        return {"created_by": self.name, "created_by_type": self.type, **self.modified_at(now)}


SYSTEM = Principal("quantum-workspace", "Application")
