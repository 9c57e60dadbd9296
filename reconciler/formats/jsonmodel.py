"""Frozen dataclasses to and from JSON, with the JSON property name beside each field.

Conversion trusts its input: documents are checked against their JSON Schema first, so this
module only reshapes. A per-class plan is computed once, because the observed state of a
large tenant holds a hundred thousand groups.
"""

from __future__ import annotations

import dataclasses
import operator
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    T = TypeVar("T")
    _Converters = tuple[Callable[[Any], Any], Callable[[Any], Any]]
    _Plan = tuple[tuple[str, str, Callable[[Any], Any], Callable[[Any], Any], Any, bool], ...]


def prop(json_name: str, *, optional: bool = False, **kwargs: Any) -> Any:
    """A dataclass field stored under `json_name`; an `optional` one is left out of JSON when None."""
    return dataclasses.field(metadata={"json": json_name, "optional": optional}, **kwargs)


def _converters(owner: type, text: object) -> _Converters:
    """(from JSON, to JSON) for one field, from its annotation's text (`from __future__ import
    annotations` keeps every annotation as text): a dataclass, a tuple of one type, either or None;
    anything else (str, int, dict[...], a union of several) passes as it is. Read here rather than
    by typing.get_type_hints, which evaluates every annotation; a form not read here is an error,
    never a guess."""
    if not isinstance(text, str):
        raise TypeError(f"{owner.__qualname__}: jsonmodel reads annotations as text (__future__ annotations)")
    parts = _top_level(text, "|")
    inner = [p for p in parts if p != "None"]
    if len(inner) != 1:
        return _identity, _identity
    if len(parts) > 1:
        load, dump = _converters(owner, inner[0])
        if load is dump is _identity:
            return _identity, _identity  # None passes as it is too
        return (lambda v: None if v is None else load(v)), (lambda v: None if v is None else dump(v))
    name, bracket, rest = inner[0].partition("[")
    if name in ("tuple", "typing.Tuple"):
        load, dump = _converters(owner, _top_level(rest[:-1], ",")[0])
        if load is _identity:
            return tuple, list
        return (lambda v: tuple(map(load, v))), (lambda v: list(map(dump, v)))
    if bracket and name not in ("dict", "list", "Mapping", "Sequence"):
        raise TypeError(f"{owner.__qualname__}: jsonmodel cannot read the annotation {text!r}")
    found = vars(sys.modules[owner.__module__]).get(name)
    if isinstance(found, type) and dataclasses.is_dataclass(found):
        return (lambda v: from_json(found, v)), to_json
    return _identity, _identity


def _top_level(text: str, separator: str) -> list[str]:
    """`text` split at `separator` outside brackets, each part stripped."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return parts


def _identity(value: Any) -> Any:
    return value


_PLANS: dict[type, _Plan] = {}
_FLAT: dict[type, Callable[[dict[str, Any]], Any]] = {}


def _owner(cls: type, name: str) -> type:
    """The class whose body annotates the field: its module is where the annotation's names live."""
    return next(c for c in cls.__mro__ if name in c.__dict__.get("__annotations__", {}))  # noqa: RUF063


def _plan(cls: type) -> _Plan:
    if cls in _PLANS:
        return _PLANS[cls]
    plan = []
    for f in dataclasses.fields(cls):
        load, dump = _converters(_owner(cls, f.name), f.type)
        default = f.default
        optional = bool(f.metadata.get("optional", False))
        plan.append((f.name, f.metadata.get("json", f.name), load, dump, default, optional))
    _PLANS[cls] = tuple(plan)
    if all(load is _identity and default is dataclasses.MISSING for _n, _k, load, _d, default, _o in plan):
        _FLAT[cls] = operator.itemgetter(*(key for _n, key, *_rest in plan))
    return _PLANS[cls]


def loaders(cls: type) -> dict[str, Callable[[Any], Any]]:
    """Each field's conversion from JSON, by its JSON name: for a part built apart (see `built`)."""
    return {key: load for _name, key, load, *_rest in _plan(cls)}


def plain_fields(cls: type) -> tuple[tuple[str, str], ...]:
    """(attribute, JSON name) of each field whose JSON value is the model's value as it is."""
    return tuple((name, key) for name, key, load, dump, *_rest in _plan(cls) if load is dump is _identity)


_NOTHING_BUILT: Mapping[str, Any] = {}


def from_json(cls: type[T], data: dict[str, Any], built: Mapping[str, Any] = _NOTHING_BUILT) -> T:
    """`built`: values already converted, by JSON name, taken instead of `data`'s (not for a record
    of plain values, which has none to convert)."""
    plan = _plan(cls)
    if cls in _FLAT:
        # Records of plain required values (100,000 groups): positional, no per-field work.
        return cls(*_FLAT[cls](data))
    kwargs = {}
    for name, key, load, _dump, default, _optional in plan:
        if key in data:
            kwargs[name] = built[key] if key in built else load(data[key])
        elif default is not dataclasses.MISSING:
            kwargs[name] = default
        else:
            kwargs[name] = None
    return cls(**kwargs)


def to_json(obj: Any) -> dict[str, Any]:
    cls = type(obj)
    dumper = _DUMPERS.get(cls) or _make_dumper(cls)
    return dumper(obj)


_DUMPERS: dict[type, Callable[[Any], dict[str, Any]]] = {}


def _make_dumper(cls: type) -> Callable[[Any], dict[str, Any]]:
    plan = _plan(cls)
    keys = tuple(key for _n, key, *_rest in plan)
    getter = operator.attrgetter(*(name for name, *_rest in plan))
    dumps = tuple(dump for _n, _k, _l, dump, _d, _o in plan)
    optional = {key for _n, key, _l, _d, _df, opt in plan if opt}

    if not optional and all(d is _identity for d in dumps):
        # Records of plain values (every group, scope condition, flow): one zip, no per-field calls.
        def plain(obj: Any) -> dict[str, Any]:
            return dict(zip(keys, getter(obj), strict=True))

        _DUMPERS[cls] = plain
        return plain

    def general(obj: Any) -> dict[str, Any]:
        values = getter(obj) if len(keys) > 1 else (getter(obj),)
        return {
            key: dump(value)
            for key, dump, value in zip(keys, dumps, values, strict=True)
            if value is not None or key not in optional
        }

    _DUMPERS[cls] = general
    return general
