"""Who is acting: recorded as createdBy/lastModifiedBy on the items they touch."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SYSTEM", "Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller's display name and the contract's CreatedByType (User, Application, ManagedIdentity, Key)."""

    name: str
    type: str


SYSTEM = Principal("quantum-workspace", "Application")
