"""The chi-square check the client tests apply to counts: right outcomes, right total, plausible frequencies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CHI2_CRITICAL", "assert_distribution"]

# chi-square critical values at p = 1e-6 by degrees of freedom: a correct emulator fails once in a million runs
CHI2_CRITICAL = {1: 23.93, 2: 27.63, 3: 30.66, 4: 33.38, 5: 35.89, 6: 38.26, 7: 40.52}


def assert_distribution(counts: Mapping[Any, int], expected: Mapping[Any, float], shots: int) -> None:
    """Only outcomes the circuit can give, `shots` in all, and frequencies that pass a chi-square test."""
    assert set(counts) <= set(expected), f"impossible outcomes: {set(counts) - set(expected)}"
    assert sum(counts.values()) == shots
    chi_square = sum((counts.get(k, 0) - p * shots) ** 2 / (p * shots) for k, p in expected.items())
    assert chi_square < CHI2_CRITICAL[len(expected) - 1], (dict(counts), expected)
