"""Fixtures for the engine's tests: a real HTTP test API on a loopback port, and helpers to run documents
through the Python API and through the real `arazzo` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import arazzo_testapi as testapi
import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def api() -> Iterator[testapi.TestServer]:
    server, thread = testapi.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def api_base(api: testapi.TestServer) -> str:
    """The base URL to pass as the test API's server (`servers={"testApi": api_base}`)."""
    return api.url + "/api"


@pytest.fixture()
def write_doc(tmp_path: Path):
    """Write an Arazzo document next to a copy of the test API's descriptions; returns its path."""
    for name in ("testapi.openapi.yaml", "schemas.yaml", "testapi.swagger.json"):
        src = FIXTURES / name
        if src.exists():
            (tmp_path / name).write_text(src.read_text())

    def write(text: str, name: str = "flow.arazzo.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


HEADER = """\
arazzo: 1.0.1
info: {title: test, version: '1'}
sourceDescriptions:
  - {name: testApi, url: ./testapi.openapi.yaml, type: openapi}
"""


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the real command line (`python -m arazzo.cli`) and capture its output."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("COLUMNS", None)
    return subprocess.run(
        [sys.executable, "-m", "arazzo.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


def cli_json(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    proc = run_cli(*args, "--json", env=env)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"--json must print exactly one line on stdout, got: {proc.stdout!r}"
    return proc.returncode, json.loads(lines[0]), proc.stderr
