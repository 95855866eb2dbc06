"""Fixtures for the contract tests: the committed facts, the generated OpenAPI file, a coverage line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ._parity import load_json
from ._paths import FACTS_PATH, OPENAPI_PATH, REPO_ROOT

COVERAGE_KEY = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def facts() -> dict[str, Any]:
    """The committed contract facts (regenerate with scripts/extract_contract.py)."""
    return load_json(FACTS_PATH)


@pytest.fixture(scope="session")
def openapi_doc() -> dict[str, Any]:
    """The OpenAPI 3.1 file generated from the service; its absence is a failure, not a skip."""
    if not OPENAPI_PATH.exists():
        pytest.fail(
            f"{OPENAPI_PATH.relative_to(REPO_ROOT)} is missing: it must be generated from the "
            "quantum_workspace app's routes and models (issue 3 item 3)",
            pytrace=False,
        )
    try:
        doc = load_json(OPENAPI_PATH)
    except ValueError as exc:
        pytest.fail(f"{OPENAPI_PATH.relative_to(REPO_ROOT)} is not valid JSON: {exc}", pytrace=False)
    if not str(doc.get("openapi", "")).startswith("3.1"):
        pytest.fail(
            f"{OPENAPI_PATH.relative_to(REPO_ROOT)}: openapi: expected 3.1.x, found {doc.get('openapi')!r}",
            pytrace=False,
        )
    return doc


@pytest.fixture
def record_coverage(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Keep a coverage line for the terminal summary: it informs, it does not fail."""

    def record(line: str) -> None:
        request.config.stash[COVERAGE_KEY] = line

    return record


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    line = config.stash.get(COVERAGE_KEY, None)
    if line:
        terminalreporter.write_line(line)
