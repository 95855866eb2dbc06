"""`record`: `dataclasses.dataclass` without compiling code at import.

On Python 3.11 every dataclass compiles six small functions with `exec` (about 0.5 ms per class, some
25 ms of `arazzo run`'s start). `record` lets `dataclass` do the field bookkeeping (`fields()`, `replace()`,
`__match_args__`, slots) and attaches prebuilt generic methods with the same behaviour: `__init__`,
`__repr__`, `__eq__`, `__hash__` and, when frozen, `__setattr__`/`__delattr__` raising `FrozenInstanceError`.
Its `__init__` is slower (about 0.9 us against 0.2 us), so classes made per request stay plain dataclasses.
Type checkers see the real `dataclass`.
"""

from __future__ import annotations

import dataclasses
from _thread import get_ident
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

__all__ = ["record"]

if TYPE_CHECKING:
    from dataclasses import dataclass as record
else:

    def record(cls: type | None = None, /, *, frozen: bool = False, slots: bool = False) -> Any:
        """Use like `@dataclass(frozen=..., slots=...)` (only those two options)."""

        def wrap(c: type) -> type:
            return _make(c, frozen=frozen, slots=slots)

        return wrap if cls is None else wrap(cls)


def _make(cls: type, *, frozen: bool, slots: bool) -> type:
    own = set(cls.__dict__)
    cls = dataclasses.dataclass(cls, init=False, repr=False, eq=False, slots=slots)
    fields = [f for f in dataclasses.fields(cls) if f.init]
    names = tuple(f.name for f in dataclasses.fields(cls))
    methods: dict[str, Any] = {
        "__init__": _init(cls.__qualname__, fields),
        "__repr__": _repr(tuple(f.name for f in dataclasses.fields(cls) if f.repr)),
        "__eq__": _eq(tuple(f.name for f in dataclasses.fields(cls) if f.compare)),
    }
    if frozen:
        hashed = tuple(f.name for f in dataclasses.fields(cls) if (f.compare if f.hash is None else f.hash))
        methods["__hash__"] = _hash(hashed)
        methods["__setattr__"], methods["__delattr__"] = _frozen(cls, frozenset(names))
        if slots:  # pickle and copy restore slots through __setstate__, past the frozen __setattr__
            methods["__getstate__"], methods["__setstate__"] = _state(names)
    else:
        methods["__hash__"] = None  # eq without frozen: unhashable, as dataclass makes it
    for name, fn in methods.items():
        if name in own:
            continue
        if fn is not None:
            fn.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, fn)
    return cls


_NO_DEFAULT = dataclasses.MISSING


def _init(qualname: str, fields: list[dataclasses.Field[Any]]) -> Callable[..., None]:
    names = tuple(f.name for f in fields)
    known = frozenset(names)
    defaults = {f.name: f.default for f in fields if f.default is not _NO_DEFAULT}
    factories = {f.name: f.default_factory for f in fields if f.default_factory is not _NO_DEFAULT}
    seen_default = False
    for f in fields:
        if f.name in defaults or f.name in factories:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
    count = len(names)
    setter = object.__setattr__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if not kwargs and len(args) == count:
            for name, value in zip(names, args, strict=True):
                setter(self, name, value)
            return
        if len(args) > count:
            raise TypeError(
                f"{qualname}.__init__() takes {count + 1} positional arguments but {len(args) + 1} were given"
            )
        values = dict(zip(names, args, strict=False))
        for key, value in kwargs.items():
            if key not in known:
                raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument {key!r}")
            if key in values:
                raise TypeError(f"{qualname}.__init__() got multiple values for argument {key!r}")
            values[key] = value
        missing = [n for n in names if n not in values and n not in defaults and n not in factories]
        if missing:
            raise TypeError(f"{qualname}.__init__() missing {len(missing)} required argument(s): {missing}")
        for name in names:
            if name in values:
                setter(self, name, values[name])
            elif name in defaults:
                setter(self, name, defaults[name])
            else:
                setter(self, name, factories[name]())

    return __init__


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    active: set[tuple[int, int]] = set()  # (object, thread) pairs being printed: a cycle shows as ...

    def __repr__(self: Any) -> str:
        key = (id(self), get_ident())
        if key in active:
            return "..."
        active.add(key)
        try:
            inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        finally:
            active.discard(key)
        return f"{self.__class__.__qualname__}({inner})"

    return __repr__


def _eq(names: tuple[str, ...]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)
        return NotImplemented

    return __eq__


def _hash(names: tuple[str, ...]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(tuple(getattr(self, n) for n in names))

    return __hash__


def _frozen(cls: Any, names: frozenset[str]) -> tuple[Callable[..., None], Callable[..., None]]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__


def _state(names: tuple[str, ...]) -> tuple[Callable[[Any], list[Any]], Callable[[Any, Any], None]]:
    def __getstate__(self: Any) -> list[Any]:
        return [getattr(self, n) for n in names]

    def __setstate__(self: Any, state: Any) -> None:
        for name, value in zip(names, state, strict=False):
            object.__setattr__(self, name, value)

    return __getstate__, __setstate__
