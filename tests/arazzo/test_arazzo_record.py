"""`arazzo._record.record` behaves like `dataclasses.dataclass`: each check runs the same class made both ways."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import field
from typing import Any

import pytest

from arazzo._errors import Position
from arazzo._model import Info
from arazzo._record import record
from arazzo._result import RunResult


def _pair(frozen: bool) -> list[type]:
    made = []
    for deco in (dataclasses.dataclass, record):

        class Point:
            """A test record."""

            x: int
            y: Any
            tags: list[str] = field(default_factory=list)
            note: str | None = None
            hidden: str = field(default="h", repr=False, compare=False)

        made.append(deco(frozen=frozen, slots=True)(Point))
    return made


def _outcome(fn: Any) -> Any:
    try:
        return ("ok", fn())
    except Exception as exc:  # the kind of failure must match too
        return ("raised", type(exc))


@pytest.mark.parametrize("frozen", [True, False])
def test_construction_repr_eq_hash_match_those_of_dataclass(frozen: bool) -> None:
    real, ours = _pair(frozen)
    calls = [
        lambda c: c(1, 2),
        lambda c: c(1, y=2, note="n"),
        lambda c: c(x=1, y=[2], tags=["a"], note=None, hidden="z"),
        lambda c: c(1, 2, ["t"], "n", "h2"),
        lambda c: c(1),  # missing y
        lambda c: c(1, 2, 3, 4, 5, 6),  # too many
        lambda c: c(1, 2, x=3),  # twice
        lambda c: c(1, 2, nope=3),  # unknown
    ]
    for call in calls:
        a, b = _outcome(lambda call=call: call(real)), _outcome(lambda call=call: call(ours))
        assert a[0] == b[0]
        if a[0] == "raised":
            assert a[1] is b[1]
            continue
        ra, rb = a[1], b[1]
        assert repr(ra).replace(real.__qualname__, "P") == repr(rb).replace(ours.__qualname__, "P")
        assert dataclasses.astuple(ra) == dataclasses.astuple(rb)
    r1, r2 = ours(1, 2, (), hidden="a"), ours(1, 2, (), hidden="b")
    assert r1 == r2 and r1 != ours(1, 3, ()) and r1 != real(1, 2, ()) and (r1 == 5) is False
    assert ours(1, 2).tags is not ours(1, 2).tags  # a fresh default each time
    if frozen:
        assert hash(r1) == hash(r2) == hash(real(1, 2, ()))
        assert _outcome(lambda: hash(ours(1, 2))) == _outcome(lambda: hash(real(1, 2))) == ("raised", TypeError)
    else:
        with pytest.raises(TypeError):
            hash(r1)
    assert ours.__match_args__ == real.__match_args__ == ("x", "y", "tags", "note", "hidden")
    assert not hasattr(ours(1, 2), "__dict__")


def test_frozen_records_refuse_changes_like_dataclass() -> None:
    real, ours = _pair(True)
    for cls in (real, ours):
        p = cls(1, 2)
        with pytest.raises(dataclasses.FrozenInstanceError):
            p.x = 5
        with pytest.raises(dataclasses.FrozenInstanceError):
            del p.y
        assert p.x == 1
    _, mutable = _pair(False)
    m = mutable(1, 2)
    m.x = 7
    assert m.x == 7


@pytest.mark.parametrize("frozen", [True, False])
def test_replace_copy_pickle_and_match(frozen: bool) -> None:
    _, ours = _pair(frozen)
    globals()["Point"] = ours  # pickle finds classes by module and name
    ours.__qualname__ = "Point"
    try:
        p = ours(1, {"k": [1]}, ["t"], "n")
        q = dataclasses.replace(p, x=2)
        assert (q.x, q.y, q.tags, q.note) == (2, p.y, p.tags, "n")
        deep = copy.deepcopy(p)
        assert deep == p and deep.y is not p.y
        assert copy.copy(p) == p
        assert pickle.loads(pickle.dumps(p)) == p
        match p:
            case ours(x, y):
                assert (x, y) == (1, {"k": [1]})
            case _:
                raise AssertionError("no match")
    finally:
        del globals()["Point"]


def test_recursive_repr_does_not_loop_and_own_methods_win() -> None:
    _, ours = _pair(False)
    p = ours(1, None)
    p.y = p
    assert repr(p).count("...") == 1
    assert str(Position("f.yaml", 3, 4)) == "f.yaml:3:4"  # the class's own __str__ stays
    assert "RunResult.__repr__" in RunResult.__repr__.__qualname__
    assert Info("t", "1") == Info("t", "1") and hash(Info("t", "1")) == hash(Info("t", "1"))
    assert dataclasses.is_dataclass(Info) and [f.name for f in dataclasses.fields(Info)][:2] == ["title", "version"]


def test_non_default_after_default_is_refused_like_dataclass() -> None:
    for deco in (dataclasses.dataclass, record):

        class Bad:
            """Out of order."""

            a: int = 1
            b: int

        with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
            deco(frozen=True, slots=True)(Bad)
