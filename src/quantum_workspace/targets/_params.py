"""Reading job `inputParams`: the shot count under its three spellings, and an optional seed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._errors import ProgramError

__all__ = ["MAX_SHOTS", "seed", "shots"]

MAX_SHOTS = 1_000_000
_SHOT_KEYS = ("shots", "count", "runs")


def shots(params: Mapping[str, Any], default: int) -> int:
    """The shot count from `shots`, `count` or `runs` (the SDK and older clients use all three)."""
    given = [(key, params[key]) for key in _SHOT_KEYS if params.get(key) is not None]
    if not given:
        return default
    values = {_as_shots(key, value) for key, value in given}
    if len(values) > 1:
        names = ", ".join(f"{key}={value!r}" for key, value in given)
        raise ProgramError("InvalidInputParameters", f"conflicting shot counts in inputParams: {names}")
    return values.pop()


def _as_shots(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ProgramError("InvalidInputParameters", f"inputParams.{key} must be a positive integer")
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else -1
    except ValueError:
        number = -1
    if number < 1 or number > MAX_SHOTS:
        raise ProgramError(
            "InvalidInputParameters",
            f"inputParams.{key} must be an integer from 1 to {MAX_SHOTS}, got {value!r}",
        )
    return number


def seed(params: Mapping[str, Any]) -> int | None:
    """A simulator seed from `seed` or IonQ's `noise.seed`, so that sampled results can be reproduced."""
    value = params.get("seed")
    noise = params.get("noise")
    if value is None and isinstance(noise, Mapping):
        value = noise.get("seed")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProgramError("InvalidInputParameters", f"seed must be a non-negative integer, got {value!r}")
    return value
