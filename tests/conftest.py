"""Fixtures shared across the suite: a real `quantum-workspace serve` subprocess on a free port.

    def test_x(workspace_server):
        base_url, api_key, data_dir = workspace_server

`workspace_server` is per test (fresh data directory); `workspace_server_session` is one server for the
whole run. `start_workspace_server` is a factory for tests that restart or kill a server on one data dir.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, NamedTuple

import pytest

from pg_server import PostgresServer

_BIN = Path(sys.executable).parent
_LISTENING = re.compile(r"listening on (https?://\S+)")
_START_TIMEOUT = 60.0


class WorkspaceServer(NamedTuple):
    base_url: str
    api_key: str
    data_dir: Path


class RunningServer:
    """One `quantum-workspace serve` process; stop() sends SIGTERM, kill() SIGKILL."""

    def __init__(self, data_dir: Path, api_key: str, args: Sequence[str] = ()) -> None:
        self.data_dir, self.api_key = data_dir, api_key
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir.parent / f"{data_dir.name}-server-{secrets.token_hex(3)}.log"
        self._log: IO[str] = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        command = [
            str(_BIN / "quantum-workspace"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            f"--api-key={api_key}",  # one argument: a token_urlsafe key may start with "-"
            *args,
        ]
        env = dict(os.environ, QDK_PYTHON_TELEMETRY="none")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env)
        self.base_url = self._wait_ready()

    def _wait_ready(self) -> str:
        assert self.process.stdout is not None
        found: list[str] = []
        ready = threading.Event()

        def read(stream: IO[str]) -> None:
            for line in stream:
                match = _LISTENING.search(line)
                if match and not found:
                    found.append(match.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=read, args=(self.process.stdout,), daemon=True).start()
        if not ready.wait(_START_TIMEOUT) or not found:
            self.kill()
            raise RuntimeError(f"quantum-workspace serve did not start; log:\n{self.log_path.read_text()}")
        return found[0]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()

    def log(self) -> str:
        """Everything the server wrote to stderr so far."""
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()


@pytest.fixture
def start_workspace_server() -> Iterator[Callable[..., RunningServer]]:
    """`start(data_dir, api_key=None, args=())` -> RunningServer; every server is stopped at teardown."""
    started: list[RunningServer] = []

    def start(data_dir: Path, api_key: str | None = None, args: Sequence[str] = ()) -> RunningServer:
        server = RunningServer(data_dir, api_key or secrets.token_urlsafe(24), args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def workspace_server(tmp_path: Path) -> Iterator[WorkspaceServer]:
    server = RunningServer(tmp_path / "data", secrets.token_urlsafe(24))
    try:
        yield WorkspaceServer(server.base_url, server.api_key, server.data_dir)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def workspace_server_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkspaceServer]:
    server = RunningServer(tmp_path_factory.mktemp("workspace") / "data", secrets.token_urlsafe(24))
    try:
        yield WorkspaceServer(server.base_url, server.api_key, server.data_dir)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the run (installed from Debian's packages when missing)."""
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A new, empty database on that server, as a SQLAlchemy URL."""
    return postgres_server.new_database()
