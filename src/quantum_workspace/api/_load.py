"""How many requests the app is serving right now, so background work can step aside for them."""

from __future__ import annotations

import threading

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["InFlight", "InFlightCounter"]


class InFlight:
    """The number of HTTP requests between arrival and their last response byte (changed on the event loop
    only), and an event other threads can wait on until it is zero."""

    __slots__ = ("_idle", "count")

    def __init__(self) -> None:
        self.count = 0
        self._idle = threading.Event()
        self._idle.set()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no request is in flight or `timeout` passes; whether it got idle. A wait, not a poll:
        worker threads looking every millisecond woke 2,000 times a second each under load, every time
        taking the interpreter lock from the event loop."""
        return self._idle.wait(timeout)

    def arrived(self) -> None:
        self.count += 1
        if self.count == 1:
            self._idle.clear()

    def left(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()


class InFlightCounter:
    """Pure ASGI middleware keeping `InFlight.count`."""

    def __init__(self, app: ASGIApp, *, counter: InFlight) -> None:
        self.app, self._counter = app, counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        counter = self._counter
        counter.arrived()
        try:
            await self.app(scope, receive, send)
        finally:
            counter.left()
