"""`@record`: `@dataclass(frozen=True)` at a fifth of its import-time cost, same behaviour.

Python 3.10-3.12's dataclass writes each generated method (`__init__`, `__repr__`, `__eq__`,
`__hash__`, `__setattr__`, `__delattr__`) with an `exec` of its own: about 0.5 ms a class, and
start-up loads some fifty of them before a plan is made (issue 14). This lets `dataclass` collect
the fields (so `dataclasses.fields`, `replace` and `asdict` work as before) without generating
anything, then writes all six methods in one `exec`, as Python 3.13's dataclass does. The methods
are the ones `dataclass(frozen=True)` writes: same signature, same repr text, equality and hash
over the fields that `compare` (and `hash`) select, `FrozenInstanceError` on assignment.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # type checkers read `record` as the frozen dataclass it makes (PEP 681)
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_options: object) -> Any:
        return lambda function: function


T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: type[T]) -> type[T]:
    for method in ("__setattr__", "__delattr__"):
        if method in vars(cls):  # as dataclass(frozen=True) refuses
            raise TypeError(f"Cannot overwrite attribute {method} in class {cls.__name__}")
    # A record that extends another must be frozen to dataclass too (it then writes the two
    # frozen methods itself, with the same text as below).
    extends = any(getattr(getattr(base, "__dataclass_params__", None), "frozen", False) for base in cls.__mro__[1:])
    made = dataclasses.dataclass(init=False, repr=False, eq=False, frozen=extends)(cls)
    fields = dataclasses.fields(made)  # type: ignore[arg-type]
    namespace: dict[str, Any] = {
        "_MISSING": dataclasses.MISSING,
        "_FrozenInstanceError": dataclasses.FrozenInstanceError,
        "_object_setattr": object.__setattr__,
        "_cls": made,
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
    shown = ", ".join(f"{f.name}={{self.{f.name}!r}}" for f in fields if f.repr)
    compared = [f.name for f in fields if f.compare]
    hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
    names = tuple(f.name for f in fields)
    source = f"""
def __init__(self, {", ".join(params)}) -> None:
    {"; ".join(body) or "pass"}

def __repr__(self):
    return f"{{self.__class__.__qualname__}}({shown})"

def __eq__(self, other):
    if other.__class__ is self.__class__:
        return ({"".join(f"self.{n}," for n in compared)}) == ({"".join(f"other.{n}," for n in compared)})
    return NotImplemented

def __hash__(self):
    return hash(({"".join(f"self.{n}," for n in hashed)}))

def __setattr__(self, name, value):
    if type(self) is _cls or name in {names!r}:
        raise _FrozenInstanceError(f"cannot assign to field {{name!r}}")
    super(_cls, self).__setattr__(name, value)

def __delattr__(self, name):
    if type(self) is _cls or name in {names!r}:
        raise _FrozenInstanceError(f"cannot delete field {{name!r}}")
    super(_cls, self).__delattr__(name)
"""
    own = vars(made)
    exec(source, namespace)
    for method in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
        kept = own.get("__hash__") is not None if method == "__hash__" else method in own
        if kept:
            continue  # a method the class writes itself is kept, as dataclass keeps it
        function = namespace[method]
        function.__qualname__ = f"{made.__qualname__}.{method}"
        setattr(made, method, function)
    # What introspection reads: a frozen dataclass with equality.
    params = made.__dataclass_params__  # type: ignore[attr-defined]
    params.init = params.repr = params.eq = params.frozen = True
    return made
