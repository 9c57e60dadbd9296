"""A JSON Schema, compiled to a yes/no check: the fast path in front of jsonschema.

jsonschema is slow on a real server's observed state, slower on a tenant's groups, and a fleet
reads thousands of snapshots (docs/performance.md). Documents are nearly always valid, so a
compiled check answers "valid" quickly, and only an invalid document goes to jsonschema for its
located messages. The compiler knows the keywords our schemas use and
refuses any other, so the two can never silently disagree (tests/test_fastschema.py checks them
against each other on generated documents).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reconciler.formats.memo import ByIdentity

if TYPE_CHECKING:
    Check = Callable[[Any], bool]

_ANNOTATIONS = {"$schema", "$id", "title", "description", "default", "format", "x-hint", "examples"}
# JSON types as the exact Python types json.loads and YAML produce. An integer is an int, not a
# bool (bool's type is bool) and not 100000.0 (schemas.StrictValidator agrees).
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _same(a: Any, b: Any) -> bool:
    # JSON equality: True is not 1, as jsonschema's enum and const hold.
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


# Each (sub)schema compiled once per process: the observed-state schema and the parts of its sync
# rules are checked apart and together. By identity: schemas are never changed once read, and only
# the shipped ones (and tests') are compiled.
_COMPILED: ByIdentity[dict[str, Any], Check] = ByIdentity()


def compile_schema(schema: dict[str, Any]) -> Check:
    known = _COMPILED.get(schema)
    return known if known is not None else _COMPILED.put(schema, _compile(schema))


def _compile(schema: dict[str, Any]) -> Check:
    unknown = set(schema) - _ANNOTATIONS - _KEYWORDS.keys()
    if unknown:
        raise ValueError(f"fastschema cannot compile keywords {sorted(unknown)}")
    if schema.get("additionalProperties", False) is not False:
        raise ValueError("fastschema compiles additionalProperties: false only")
    made = [_KEYWORDS[key](schema[key], schema) for key in schema if key in _KEYWORDS]
    if "properties" not in schema and ("required" in schema or "additionalProperties" in schema):
        made.append(_properties({}, schema))
    checks = [c for c in made if c is not None]
    # Shapes by arity: a generator per value costs more than the checks themselves on 100,000 groups.
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)
    if len(checks) == 3:
        one, two, three = checks
        return lambda value: one(value) and two(value) and three(value)
    every = tuple(checks)

    def each(value: Any) -> bool:
        for check in every:  # noqa: SIM110 - a plain loop; all() with a generator is slower here
            if not check(value):
                return False
        return True

    return each


def _type(types: str | list[str], _schema: dict[str, Any]) -> Check:
    names = [types] if isinstance(types, str) else types
    allowed = frozenset(t for name in names for t in _PY_TYPES[name])
    if len(allowed) == 1:
        (only,) = allowed
        return lambda v: type(v) is only
    return lambda v: type(v) in allowed


def _enum_key(value: Any) -> tuple[str, Any]:
    # JSON equality as jsonschema has it: True is not 1, but 1.0 is 1.
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    return (type(value).__name__, value)


def _enum(options: list[Any], _schema: dict[str, Any]) -> Check:
    if not all(isinstance(o, (str, int, float, bool, type(None))) for o in options):
        return lambda v: any(_same(v, o) for o in options)
    keys = frozenset(_enum_key(o) for o in options)

    def check(value: Any) -> bool:
        try:
            return _enum_key(value) in keys
        except TypeError:  # an unhashable value (a list or an object) is in no enum of scalars
            return False

    return check


def _const(value: Any, _schema: dict[str, Any]) -> Check:
    return lambda v: _same(v, value)


def _properties(props: dict[str, Any], schema: dict[str, Any]) -> Check:
    compiled = {key: compile_schema(sub) for key, sub in props.items()}
    required = tuple(schema.get("required", ()))
    closed = schema.get("additionalProperties") is False
    if closed and set(required) == set(compiled):
        # Every key required, no other allowed: one comparison of the key sets, then the values.
        keys = compiled.keys()
        pairs = tuple(compiled.items())

        def exact(value: Any) -> bool:
            if type(value) is not dict:
                return True
            if value.keys() != keys:
                return False
            for key, sub in pairs:  # noqa: SIM110 - a plain loop; all() with a generator is slower here
                if not sub(value[key]):
                    return False
            return True

        return exact

    def check(value: Any) -> bool:
        if type(value) is not dict:
            return True  # `type` says whether it must be an object
        for key in required:
            if key not in value:
                return False
        for key, item in value.items():
            sub = compiled.get(key)
            if sub is None:
                if closed:
                    return False
            elif not sub(item):
                return False
        return True

    return check


# What a flat record's property may say, for the loop below (annotations aside).
_FLAT_KEYWORDS = {"type", "minLength", "minimum"}
_FLAT_TYPES = {"string": str, "integer": int, "boolean": bool}


def _flat_record(item_schema: dict[str, Any]) -> tuple[tuple[str, type, int | None, int | None], ...] | None:
    """The fields of an item schema that is a closed object of required scalar values (a group:
    name, memberCount, provisioned), or None when it is anything else."""
    if set(item_schema) - _ANNOTATIONS != {"type", "properties", "required", "additionalProperties"}:
        return None
    props = item_schema["properties"]
    if item_schema["type"] != "object" or item_schema["additionalProperties"] is not False:
        return None
    if set(item_schema["required"]) != set(props):
        return None
    fields = []
    for key, sub in props.items():
        if set(sub) - _ANNOTATIONS - _FLAT_KEYWORDS or sub.get("type") not in _FLAT_TYPES:
            return None
        fields.append((key, _FLAT_TYPES[sub["type"]], sub.get("minLength"), sub.get("minimum")))
    return tuple(fields)


def _flat_items(fields: tuple[tuple[str, type, int | None, int | None], ...]) -> Check:
    """An array of flat objects (a tenant's groups) in one loop, with no call per value."""
    keys = {key: None for key, *_rest in fields}.keys()

    def check(value: Any) -> bool:
        if type(value) is not list:
            return True
        for item in value:
            if type(item) is not dict or item.keys() != keys:
                return False
            for key, kind, min_length, minimum in fields:
                field: Any = item[key]
                if type(field) is not kind:
                    return False
                # (an exact type was checked: a str has a length, an int an order)
                if min_length is not None and len(field) < min_length:  # type: ignore[arg-type]
                    return False
                if minimum is not None and field < minimum:  # type: ignore[operator]
                    return False
        return True

    return check


def _items(item_schema: dict[str, Any], _schema: dict[str, Any]) -> Check:
    flat = _flat_record(item_schema)
    if flat is not None:
        return _flat_items(flat)
    sub = compile_schema(item_schema)

    def check(value: Any) -> bool:
        if type(value) is not list:
            return True
        for item in value:  # noqa: SIM110 - a plain loop; all() with a generator is slower here
            if not sub(item):
                return False
        return True

    return check


def _numeric(test: Callable[[Any, Any], bool]) -> Callable[[Any, dict[str, Any]], Check]:
    def make(bound: Any, _schema: dict[str, Any]) -> Check:
        return lambda v: type(v) not in (int, float) or test(v, bound)

    return make


def _length(test: Callable[[int, int], bool]) -> Callable[[Any, dict[str, Any]], Check]:
    def make(bound: int, _schema: dict[str, Any]) -> Check:
        return lambda v: type(v) is not str or test(len(v), bound)

    return make


def _pattern(regex: str, _schema: dict[str, Any]) -> Check:
    compiled = re.compile(regex)
    return lambda v: type(v) is not str or compiled.search(v) is not None


def _unique(flag: bool, _schema: dict[str, Any]) -> Check | None:
    if not flag:
        return None
    return lambda v: type(v) is not list or len({json.dumps(x, sort_keys=True) for x in v}) == len(v)


def _one_of(options: list[dict[str, Any]], _schema: dict[str, Any]) -> Check:
    compiled = [compile_schema(o) for o in options]
    return lambda v: sum(1 for c in compiled if c(v)) == 1


def _handled_elsewhere(_value: Any, _schema: dict[str, Any]) -> None:
    return None  # `required` and `additionalProperties` are part of `properties`


_KEYWORDS: dict[str, Callable[[Any, dict[str, Any]], Check | None]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "properties": _properties,
    "required": _handled_elsewhere,
    "additionalProperties": _handled_elsewhere,
    "items": _items,
    "minimum": _numeric(lambda v, b: v >= b),
    "maximum": _numeric(lambda v, b: v <= b),
    "minLength": _length(lambda n, b: n >= b),
    "maxLength": _length(lambda n, b: n <= b),
    "pattern": _pattern,
    "uniqueItems": _unique,
    "oneOf": _one_of,
}
