"""Sessions: open (idempotent), get, close, list, and the idle timeout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ..clock import Clock
from ..errors import InvalidSessionDefinition, SessionAlreadyExists, SessionNotFound
from ..ids import WorkspaceRef
from ..store import ListQuery, Page, SessionRecord, Store
from ._catalog import Catalog, find_target
from ._lifecycle import settle_if_closed, timed_out
from ._principal import Principal
from ._requests import parse_session_request
from ._states import TERMINAL_SESSION_STATUSES, SessionStatus

__all__ = ["DEFAULT_SESSION_TIMEOUT", "SessionService"]

#: Sessions end as TimedOut after this long without a new job (azure-quantum-service.md §6.5).
DEFAULT_SESSION_TIMEOUT = timedelta(minutes=10)


class SessionService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        catalog: Catalog | None = None,
        *,
        idle_timeout: timedelta = DEFAULT_SESSION_TIMEOUT,
        catalog_loader: Callable[[], Catalog] | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._catalog = catalog
        self._catalog_loader = catalog_loader
        self.idle_timeout = idle_timeout

    def _get_catalog(self) -> Catalog:
        if self._catalog is None:
            assert self._catalog_loader is not None, "SessionService needs a catalog or a catalog_loader"
            self._catalog = self._catalog_loader()
        return self._catalog

    def open(
        self, workspace: WorkspaceRef, session_id: str, body: Any, principal: Principal
    ) -> tuple[SessionRecord, bool]:
        """The session and whether it was created now (False: an identical earlier open)."""
        request = parse_session_request(body, session_id)
        if find_target(self._get_catalog(), request.provider_id, request.target) is None:
            raise InvalidSessionDefinition(
                f"The session definition is not valid: provider '{request.provider_id}' has no target "
                f"'{request.target}'."
            )
        now = self._clock.now()
        with self._store.write() as writer:
            existing = writer.get_session(workspace.key, session_id)
            if existing is not None:
                if existing.request_fingerprint != request.fingerprint:
                    raise SessionAlreadyExists(f"Session {session_id} already exists with a different definition.")
                return existing, False
            record = SessionRecord(
                workspace=workspace.key,
                id=session_id,
                name=request.name,
                provider_id=request.provider_id,
                target=request.target,
                job_failure_policy=request.job_failure_policy,
                status=SessionStatus.WAITING,
                creation_time=now,
                last_activity_time=now,
                request_fingerprint=request.fingerprint,
                priority=request.priority,
                tags=request.tags,
                **principal.created_at(now),
                last_updated_time=now,
            )
            writer.insert_session(record)
            return record, True

    def get(self, workspace: WorkspaceRef, session_id: str) -> SessionRecord:
        with self._store.read() as reader:
            session = reader.get_session(workspace.key, session_id)
        if session is None:
            raise SessionNotFound(f"Session {session_id} does not exist in this workspace.")
        if session.status not in TERMINAL_SESSION_STATUSES and self._idle_for(session):
            return self._expire(workspace.key, session_id) or session
        return session

    def close(self, workspace: WorkspaceRef, session_id: str, principal: Principal) -> SessionRecord:
        """No more jobs are accepted; the session ends now, or when its last unfinished job ends."""
        now = self._clock.now()
        with self._store.write() as writer:
            session = writer.get_session(workspace.key, session_id)
            if session is None:
                raise SessionNotFound(f"Session {session_id} does not exist in this workspace.")
            if session.status in TERMINAL_SESSION_STATUSES:
                return session
            expired = timed_out(writer, session, now, self.idle_timeout)
            if expired is not None:
                writer.update_session(expired)
                return expired
            session = session.replace(
                closed=True,
                **principal.modified_at(now),
                last_updated_time=now,
            )
            session = settle_if_closed(writer, session, now)
            writer.update_session(session)
            return session

    def list(self, workspace: WorkspaceRef, query: ListQuery) -> Page[SessionRecord]:
        self.expire_idle()
        with self._store.read() as reader:
            return reader.list_sessions(workspace.key, query)

    def expire_idle(self) -> int:
        """End every session whose idle timeout has passed; returns how many ended."""
        with self._store.read() as reader:
            candidates = reader.sessions_with_status(
                [SessionStatus.WAITING, SessionStatus.EXECUTING, SessionStatus.FAILURES]
            )
        due = [s for s in candidates if self._idle_for(s)]
        return sum(1 for s in due if self._expire(s.workspace, s.id) is not None)

    def _idle_for(self, session: SessionRecord) -> bool:
        return self._clock.now() - session.last_activity_time >= self.idle_timeout

    def _expire(self, workspace_key: str, session_id: str) -> SessionRecord | None:
        now = self._clock.now()
        with self._store.write() as writer:
            session = writer.get_session(workspace_key, session_id)
            if session is None:
                return None
            expired = timed_out(writer, session, now, self.idle_timeout)
            if expired is not None:
                writer.update_session(expired)
            return expired
