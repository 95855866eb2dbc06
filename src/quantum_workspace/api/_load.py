"""How many requests the app is serving right now, so background work can step aside for them."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["InFlight", "InFlightCounter"]


class InFlight:
    """The number of HTTP requests between arrival and their last response byte (event loop only)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def busy(self) -> bool:
        return self.count > 0


class InFlightCounter:
    """Pure ASGI middleware keeping `InFlight.count`."""

    def __init__(self, app: ASGIApp, *, counter: InFlight) -> None:
        self.app, self._counter = app, counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        counter = self._counter
        counter.count += 1
        try:
            await self.app(scope, receive, send)
        finally:
            counter.count -= 1
