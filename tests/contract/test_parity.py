"""The generated OpenAPI file (openapi/azure-quantum-data-plane-openapi.json) against Microsoft's contract.

Every operation the file declares must match the contract facts; operations it does not declare yet are
only reported. Each test lists every problem it finds as "operation: field: expected ..., found ...".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from . import _parity

Checker = Callable[[dict[str, Any], dict[str, Any]], list[str]]


@pytest.mark.parametrize("check", _parity.ALL_CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_generated_openapi_matches_contract(
    check: Checker, openapi_doc: dict[str, Any], facts: dict[str, Any]
) -> None:
    problems = check(openapi_doc, facts)
    assert not problems, f"{len(problems)} contract mismatch(es):\n  " + "\n  ".join(problems)


def test_walking_skeleton_operations_present(openapi_doc: dict[str, Any], facts: dict[str, Any]) -> None:
    implemented = set(_parity.implemented_operations(openapi_doc, facts))
    missing = [op for op in _parity.SKELETON_OPERATIONS if op not in implemented]
    assert not missing, f"walking-skeleton operations missing from the OpenAPI file: {missing}"


def test_contract_coverage_report(
    openapi_doc: dict[str, Any], facts: dict[str, Any], record_coverage: Callable[[str], None]
) -> None:
    """Which of the contract's operations the service implements: reported, never a failure by itself."""
    contract = sorted(facts["operations"])
    assert len(contract) == 18, f"facts.json should list the contract's 18 operations, found {len(contract)}"
    implemented = _parity.implemented_operations(openapi_doc, facts)
    missing = [op for op in contract if op not in implemented]
    line = f"contract coverage: {len(implemented)}/{len(contract)} operations implemented" + (
        f"; not yet: {', '.join(missing)}" if missing else ""
    )
    record_coverage(line)
    print(line)
