"""Fixtures for the workspace service's unit tests: an in-process app over a real SQLite file, a real
blob directory and the real target catalog, driven through TestClient (server exceptions raise)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ws_helpers import API_KEY, Api

from quantum_workspace.api import create_app
from quantum_workspace.clock import Clock, ManualClock
from quantum_workspace.config import Settings

AppFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[AppFactory]:
    """`make_client(clock=None, **settings)` -> a started TestClient over `tmp_path/data`."""
    opened: list[TestClient] = []

    def make(clock: Clock | None = None, data_dir: Path | None = None, **overrides: Any) -> TestClient:
        values: dict[str, Any] = {
            "data_dir": data_dir or tmp_path / "data",
            "api_keys": (API_KEY,),
            "poll_interval": 0.05,
            "raise_unexpected_errors": True,  # a bug raises in the test, as well as being answered 500
        }
        values.update(overrides)
        client = TestClient(create_app(Settings(**values), clock=clock), raise_server_exceptions=True)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in reversed(opened):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    return make_client()


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def idle_api(make_client: AppFactory, clock: ManualClock) -> Api:
    """No worker, a manual clock and a 10-minute session timeout: for state and time rules."""
    return Api(make_client(clock=clock, start_worker=False, session_timeout=timedelta(minutes=10)))
