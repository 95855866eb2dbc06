"""Which workspaces exist: any well-formed name is a workspace, and those that hold data are known."""

from __future__ import annotations

from collections.abc import Sequence

from ..ids import WorkspaceRef
from ..store import Store

__all__ = ["DEFAULT_RESOURCE_GROUP", "DEFAULT_SUBSCRIPTION", "WorkspaceDirectory"]

#: What a name-only lookup answers for a workspace that holds no data yet.
DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
DEFAULT_RESOURCE_GROUP = "rg-local"


class WorkspaceDirectory:
    def __init__(self, store: Store) -> None:
        self._store = store

    def find(
        self, name: str, *, resource_group: str | None = None, subscriptions: Sequence[str] = ()
    ) -> list[WorkspaceRef]:
        """Workspaces named `name` (case-insensitively) that hold data; when none does, the one workspace
        the lookup describes (every workspace exists in this emulator), so name-only clients connect."""
        with self._store.read() as reader:
            keys = reader.workspaces()
        wanted_subscriptions = {s.lower() for s in subscriptions}
        found = []
        for key in keys:
            subscription, group, workspace = key.split("/", 2)
            if workspace != name.lower():
                continue
            if resource_group is not None and group != resource_group.lower():
                continue
            if wanted_subscriptions and subscription not in wanted_subscriptions:
                continue
            found.append(WorkspaceRef(subscription, group, workspace))
        if found:
            return found
        subscription = subscriptions[0] if subscriptions else DEFAULT_SUBSCRIPTION
        return [WorkspaceRef(subscription, resource_group or DEFAULT_RESOURCE_GROUP, name)]
