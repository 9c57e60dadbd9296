"""`@record`: `@dataclass(frozen=True)` at a fifth of its import-time cost, same behaviour.

Python 3.10-3.12's dataclass writes each generated method (`__init__`, `__repr__`, `__eq__`,
`__hash__`, `__setattr__`, `__delattr__`) with an `exec` of its own: about 0.5 ms a class, and
start-up loads some fifty of them before a plan is made (issue 14). This lets `dataclass` collect
the fields (so `dataclasses.fields`, `replace` and `asdict` work as before) without generating
anything, then writes `__init__` with one small `exec` (its signature must be the real one) and
the other five as closures over the fields. They do what `dataclass(frozen=True)`'s do: the same
signature, the same repr text, equality and hash over the fields that `compare` (and `hash`)
select, `FrozenInstanceError` on assignment.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # type checkers read `record` as the frozen dataclass it makes (PEP 681)
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_options: object) -> Any:
        return lambda function: function


T = TypeVar("T")


def _tuple_of(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of these attributes as a tuple, as dataclass's methods compare and hash them."""
    if len(names) == 1:
        (only,) = names
        return lambda obj: (getattr(obj, only),)
    return operator.attrgetter(*names) if names else lambda _obj: ()


def _methods(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> dict[str, Callable[..., Any]]:
    """`__repr__`, `__eq__`, `__hash__` and the frozen pair as closures: no source to compile."""
    shown = tuple(f.name for f in fields if f.repr)
    compared = _tuple_of([f.name for f in fields if f.compare])
    hashed = _tuple_of([f.name for f in fields if (f.compare if f.hash is None else f.hash)])
    names = frozenset(f.name for f in fields)

    def __repr__(self: Any) -> str:
        inside = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({inside})"

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)  # type: ignore[arg-type]

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)  # type: ignore[arg-type]

    return {"__repr__": __repr__, "__eq__": __eq__, "__hash__": __hash__,
            "__setattr__": __setattr__, "__delattr__": __delattr__}  # fmt: skip


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: type[T]) -> type[T]:
    for method in ("__setattr__", "__delattr__"):
        if method in vars(cls):  # as dataclass(frozen=True) refuses
            raise TypeError(f"Cannot overwrite attribute {method} in class {cls.__name__}")
    # A record that extends another must be frozen to dataclass too (it then writes the two
    # frozen methods itself, with the same text as below).
    if not cls.__doc__:
        # dataclass writes a missing docstring from inspect.signature, whose first use costs
        # milliseconds of start-up: the field names say as much.
        cls.__doc__ = f"{cls.__name__}({', '.join(getattr(cls, '__annotations__', {}))})"
    extends = any(getattr(getattr(base, "__dataclass_params__", None), "frozen", False) for base in cls.__mro__[1:])
    made = dataclasses.dataclass(init=False, repr=False, eq=False, frozen=extends)(cls)
    fields = dataclasses.fields(made)  # type: ignore[arg-type]
    namespace: dict[str, Any] = {
        "_MISSING": dataclasses.MISSING,
        "_object_setattr": object.__setattr__,
    }
    params, body = [], []
    for f in fields:
        if not f.init:
            raise TypeError(f"@record does not take init=False fields ({made.__qualname__}.{f.name})")
        if f.default is not dataclasses.MISSING:
            namespace[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
            body.append(f"_object_setattr(self, {f.name!r}, {f.name})")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_MISSING")
            body.append(f"_object_setattr(self, {f.name!r}, _factory_{f.name}() if {f.name} is _MISSING else {f.name})")
        else:
            params.append(f.name)
            body.append(f"_object_setattr(self, {f.name!r}, {f.name})")
    if hasattr(made, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}) -> None:\n    {'; '.join(body) or 'pass'}\n"
    exec(source, namespace)
    methods = _methods(made, fields)
    methods["__init__"] = namespace["__init__"]
    own = vars(made)
    for method, function in methods.items():
        kept = own.get("__hash__") is not None if method == "__hash__" else method in own
        if kept:
            continue  # a method the class writes itself is kept, as dataclass keeps it
        function.__qualname__ = f"{made.__qualname__}.{method}"
        setattr(made, method, function)
    # What introspection reads: a frozen dataclass with equality.
    params = made.__dataclass_params__  # type: ignore[attr-defined]
    params.init = params.repr = params.eq = params.frozen = True
    return made


_FIELDS: dict[type, tuple[frozenset[str], bool]] = {}


def replace(obj: T, /, **changes: Any) -> T:
    """`dataclasses.replace` for a record at a fifth of its cost (a plan makes a dozen): the
    fields copied as they are, the changed ones set. A record's `__init__` only stores its
    arguments, so this is the object `__init__` would make; a class with a `__post_init__`, or
    with more in its `__dict__` than its fields (a cached property), goes through `__init__`."""
    cls = obj.__class__
    known = _FIELDS.get(cls)
    if known is None:
        names = frozenset(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        known = _FIELDS[cls] = (names, hasattr(cls, "__post_init__"))
    names, checks = known
    values = obj.__dict__
    if checks or len(values) != len(names) or not names.issuperset(changes):
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    new: T = object.__new__(cls)
    new.__dict__.update(values)
    new.__dict__.update(changes)
    return new
