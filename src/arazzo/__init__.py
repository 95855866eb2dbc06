"""Arazzo 1.0.x workflow engine: load a document once, run its workflows many times.

    result = await arazzo.run("flow.arazzo.yaml", inputs={...}, servers={"api": "http://127.0.0.1:8080"})
    result = arazzo.run_sync(...)  # same arguments, for synchronous callers
    problems = arazzo.validate("flow.arazzo.yaml")  # static checks, each a positioned Problem

Names are imported lazily so that `arazzo --help` starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._api import run, run_sync
    from ._errors import (
        ArazzoError,
        DocumentError,
        ExpressionSyntaxError,
        InputError,
        Position,
        Problem,
        SourceError,
        TransportError,
        UsageError,
    )
    from ._http import HttpOptions, make_client
    from ._plan import Document, load
    from ._result import RunError, RunResult, RunWarning, StepRecord
    from ._retrieve import SourcePolicy
    from ._runner import Observer, RunOptions
    from ._validate import validate

__all__ = [
    "ArazzoError",
    "Document",
    "DocumentError",
    "ExpressionSyntaxError",
    "HttpOptions",
    "InputError",
    "Observer",
    "Position",
    "Problem",
    "RunError",
    "RunOptions",
    "RunResult",
    "SourceError",
    "SourcePolicy",
    "StepRecord",
    "TransportError",
    "UsageError",
    "RunWarning",
    "load",
    "make_client",
    "run",
    "run_sync",
    "validate",
]

_WHERE = {
    "run": "_api",
    "run_sync": "_api",
    "ArazzoError": "_errors",
    "DocumentError": "_errors",
    "ExpressionSyntaxError": "_errors",
    "InputError": "_errors",
    "Position": "_errors",
    "Problem": "_errors",
    "SourceError": "_errors",
    "TransportError": "_errors",
    "UsageError": "_errors",
    "HttpOptions": "_http",
    "make_client": "_http",
    "Document": "_plan",
    "load": "_plan",
    "RunError": "_result",
    "RunResult": "_result",
    "StepRecord": "_result",
    "RunWarning": "_result",
    "SourcePolicy": "_retrieve",
    "Observer": "_runner",
    "RunOptions": "_runner",
    "validate": "_validate",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'arazzo' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
