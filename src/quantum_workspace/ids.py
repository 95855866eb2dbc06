"""Identifiers: the contract's path-parameter patterns and the workspace a request addresses."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

__all__ = [
    "ITEM_ID_PATTERN",
    "RESOURCE_GROUP_PATTERN",
    "SUBSCRIPTION_ID_PATTERN",
    "WORKSPACE_NAME_PATTERN",
    "WorkspaceRef",
    "is_item_id",
]

#: Path-parameter patterns, exactly as the contract states them (azure-quantum-service.md §1).
SUBSCRIPTION_ID_PATTERN = r"^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$"
RESOURCE_GROUP_PATTERN = r"^[a-zA-Z][a-zA-Z0-9\-_\.]*$"
WORKSPACE_NAME_PATTERN = r"^[a-zA-Z][a-zA-Z0-9\-_]*$"
ITEM_ID_PATTERN = r"^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$"

_ITEM_ID = re.compile(ITEM_ID_PATTERN)


def is_item_id(value: object) -> bool:
    """A job or session id: a UUID string in either case."""
    return isinstance(value, str) and len(value) <= 36 and _ITEM_ID.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class WorkspaceRef:
    """One workspace. Azure resource names compare case-insensitively, so the key is lower-cased."""

    subscription_id: str
    resource_group: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.subscription_id}/{self.resource_group}/{self.name}".lower()

    @property
    def storage_account(self) -> str:
        """The linked storage account: 24 lower-case alphanumerics derived from the workspace, so it is
        stable across restarts, distinct per workspace, and never looks like a data-plane path segment."""
        digest = hashlib.sha256(self.key.encode("utf-8")).hexdigest()
        return "qw" + digest[:22]
