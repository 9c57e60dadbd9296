"""`@record`: an immutable class with the methods `@dataclass(frozen=True)` writes, made without it.

`dataclasses` imports `inspect` (and with it `ast`, `dis`, `tokenize`): 6 ms of every start-up,
and it writes each method of each class with an `exec` of its own, about 0.1 ms a class, with some
sixty classes loaded before a plan is made (issue 14). Here the fields are collected from the
class's annotations as dataclass collects them (a base record's first, `ClassVar` skipped,
defaults from the class body or from `field()`), `__init__` is compiled once per shape of
fields and given each class's field names (its signature must be the real one), and the rest are
closures over the fields. They do what `dataclass(frozen=True)`'s do: the same signature, the
same repr text, equality and hash over the fields that `compare` (and `hash`) select,
`FrozenInstanceError` on assignment; the tests compare them with dataclass's. `fields`, `replace`
and `field` stand in for dataclasses' own.
"""

from __future__ import annotations

import functools
import operator
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from types import CodeType, FunctionType, MappingProxyType

from reconciler import recordinits

TYPE_CHECKING = False
if TYPE_CHECKING:  # type checkers read `record` as the frozen dataclass it makes (PEP 681)
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
else:

    def dataclass_transform(**_options: object) -> Any:
        return lambda function: function


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenInstanceError(AttributeError):
    """An assignment to a field of a record (dataclasses' error of the same name, and kind)."""


class Field:
    """One field of a record: its name, default and what it takes part in."""

    __slots__ = ("compare", "default", "default_factory", "hash", "metadata", "name", "repr", "type")

    def __init__(
        self,
        *,
        default: Any,
        default_factory: Any,
        repr: bool,
        hash: bool | None,
        compare: bool,
        metadata: Mapping[str, Any] | None,
    ) -> None:
        self.name, self.type = "", ""
        self.default, self.default_factory = default, default_factory
        self.repr, self.hash, self.compare = repr, hash, compare
        self.metadata: Mapping[str, Any] = MappingProxyType(dict(metadata or {}))

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r}, default_factory={self.default_factory!r})"


def field(
    *,
    default: Any = MISSING,
    default_factory: Callable[[], Any] | Any = MISSING,
    repr: bool = True,
    hash: bool | None = None,
    compare: bool = True,
    metadata: Mapping[str, Any] | None = None,
) -> Any:
    """What `dataclasses.field` says of a field, for a record."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(
        default=default, default_factory=default_factory, repr=repr, hash=hash, compare=compare, metadata=metadata
    )


def fields(class_or_instance: Any) -> tuple[Field, ...]:
    """The record's fields, in order (a base record's first)."""
    try:
        found: tuple[Field, ...] = class_or_instance.__record_fields__
    except AttributeError:
        raise TypeError(f"{class_or_instance!r} is not a record or an instance of one") from None
    return found


def is_record(class_or_instance: Any) -> bool:
    return hasattr(class_or_instance, "__record_fields__")


# With `from __future__ import annotations` every annotation is its text.
_CLASSVAR = re.compile(r"\s*(?:typing\.)?ClassVar\b")


def _collect(cls: type) -> tuple[Field, ...]:
    found: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        for f in base.__dict__.get("__record_fields__", ()):
            found[f.name] = f
    # The class's own annotations (inspect.get_annotations would import inspect, which this avoids).
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
        if isinstance(annotation, str) and _CLASSVAR.match(annotation):
            continue
        value = cls.__dict__.get(name, MISSING)
        if isinstance(value, Field):
            made = value
            if made.default is MISSING:
                delattr(cls, name)  # as dataclass does: no class attribute without a default
            else:
                setattr(cls, name, made.default)
        else:
            made = Field(default=value, default_factory=MISSING, repr=True, hash=None, compare=True, metadata=None)
        if isinstance(made.default, (list, dict, set)):
            raise ValueError(
                f"mutable default {type(made.default)} for field {name} is not allowed: use default_factory"
            )
        made.name, made.type = name, annotation
        found[name] = made
    seen_default = ""
    for f in found.values():
        if f.default is not MISSING or f.default_factory is not MISSING:
            seen_default = f.name
        elif seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument {seen_default!r}")
    return tuple(found.values())


def _tuple_of(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of these attributes as a tuple, as dataclass's methods compare and hash them."""
    if len(names) == 1:
        (only,) = names
        return lambda obj: (getattr(obj, only),)
    return operator.attrgetter(*names) if names else lambda _obj: ()


def _methods(cls: type, fields: tuple[Field, ...]) -> dict[str, Callable[..., Any]]:
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
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)  # type: ignore[arg-type]

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)  # type: ignore[arg-type]

    return {"__repr__": __repr__, "__eq__": __eq__, "__hash__": __hash__,
            "__setattr__": __setattr__, "__delattr__": __delattr__}  # fmt: skip


def _kind(f: Field) -> str:
    return "factory" if f.default_factory is not MISSING else "required" if f.default is MISSING else "default"


def template_source(kinds: tuple[str, ...], post_init: bool, name: str = "__init__", annotated: bool = False) -> str:
    """The source of an `__init__` for fields of these kinds, named `_0`, `_1`, ..."""
    hint = ": Any" if annotated else ""
    params, body = [f"self{hint}"], []
    for i, kind in enumerate(kinds):
        param = f"_{i}"
        params.append(f"{param}{hint}" if kind == "required" else f"{param}{hint} = _MISSING")
        value = f"_factory_{param}() if {param} is _MISSING else {param}" if kind == "factory" else param
        body.append(f'_object_setattr(self, "{param}", {value})')
    if post_init:
        body.append("self.__post_init__()")
    lines = "".join(f"    {line}\n" for line in body) or "    pass\n"
    return f"def {name}({', '.join(params)}) -> None:\n{lines}"


# Shapes compiled here at run time, not found in recordinits (tests/test_records.py: none of ours).
COMPILED_AT_RUN: set[tuple[tuple[str, ...], bool]] = set()


@functools.cache
def _template(kinds: tuple[str, ...], post_init: bool) -> CodeType:
    """An `__init__` for fields of these kinds: compiling is two thirds of what `@record` costs,
    and the 53 records a plan loads come in 27 such shapes (issue 14). The package's own shapes
    are compiled once, at install, into recordinits' bytecode (6.6 ms of a plan's start-up on a
    slow machine); any other is compiled here."""
    known = recordinits.TEMPLATES.get((kinds, post_init))
    if known is not None:
        code: CodeType = known.__code__
        return code
    COMPILED_AT_RUN.add((kinds, post_init))
    namespace: dict[str, Any] = {"_MISSING": MISSING}  # the defaults themselves come with each class
    exec(template_source(kinds, post_init), namespace)
    code = namespace["__init__"].__code__
    return code


def templates_module(shapes: Iterable[tuple[tuple[str, ...], bool]]) -> str:
    """The text of reconciler/recordinits.py for these shapes (`python -m reconciler.records`)."""
    shapes = sorted(shapes)
    factories = sorted({i for kinds, _post in shapes for i, kind in enumerate(kinds) if kind == "factory"})
    out = [
        '"""`@record`\'s `__init__` templates, one per shape of fields the package\'s records have,\n'
        "compiled with the package (its bytecode is cached as any module's) instead of at every\n"
        "start-up. Generated: `python -m reconciler.records > reconciler/recordinits.py`; do not edit\n"
        '(tests/test_records.py holds it to what records writes).\n"""\n',
        "\n# fmt: off\n",
        "from __future__ import annotations\n",
        "\nTYPE_CHECKING = False\nif TYPE_CHECKING:\n",
        "    from collections.abc import Callable\n    from typing import Any\n",
        "\n# Placeholders: records runs each template with globals (and defaults) of its own.\n",
        "_MISSING: Any = None\n_object_setattr: Any = None\n",
        *(f"_factory__{i}: Any = None\n" for i in factories),
    ]
    for number, (kinds, post_init) in enumerate(shapes):
        out.append("\n\n" + template_source(kinds, post_init, f"_shape{number}", annotated=True))
    out.append("\n\nTEMPLATES: dict[tuple[tuple[str, ...], bool], Callable[..., None]] = {\n")
    out.extend(f"    ({kinds!r}, {post_init!r}): _shape{number},\n" for number, (kinds, post_init) in enumerate(shapes))
    out.append("}\n")
    return "".join(out)


def _init(cls: type, fields: tuple[Field, ...]) -> Callable[..., None]:
    """The shape's `__init__` with the fields' names: its signature is the real one (parameter
    names, defaults), as the source dataclass would compile."""
    if any(f.name == "self" for f in fields):  # the parameter names must be distinct
        raise TypeError(f"{cls.__name__}: a record field cannot be named 'self'")
    code = _template(tuple(map(_kind, fields)), hasattr(cls, "__post_init__"))
    names = {f"_{i}": f.name for i, f in enumerate(fields)}
    code = code.replace(
        co_name="__init__",
        co_varnames=tuple(names.get(name, name) for name in code.co_varnames),
        co_consts=tuple(names.get(c, c) if type(c) is str else c for c in code.co_consts),
    )
    if sys.version_info >= (3, 11):  # as a template compiled alone has it
        code = code.replace(co_qualname="__init__")
    namespace: dict[str, Any] = {"_MISSING": MISSING, "_object_setattr": object.__setattr__}
    namespace.update({f"_factory__{i}": f.default_factory for i, f in enumerate(fields) if _kind(f) == "factory"})
    defaults = tuple(MISSING if _kind(f) == "factory" else f.default for f in fields if _kind(f) != "required")
    init: Callable[..., None] = FunctionType(code, namespace, "__init__", defaults or None)
    init.__annotations__ = {"return": None}
    return init


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(cls: type[T]) -> type[T]:
    for method in ("__setattr__", "__delattr__"):
        if method in vars(cls):  # as dataclass(frozen=True) refuses
            raise TypeError(f"Cannot overwrite attribute {method} in class {cls.__name__}")
    found = _collect(cls)
    cls.__record_fields__ = found  # type: ignore[attr-defined]
    if not cls.__doc__:
        cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in found)})"
    methods = _methods(cls, found)
    methods["__init__"] = _init(cls, found)
    own = vars(cls)
    for method, function in methods.items():
        kept = own.get("__hash__") is not None if method == "__hash__" else method in own
        if kept:
            continue  # a method the class writes itself is kept, as dataclass keeps it
        function.__qualname__ = f"{cls.__qualname__}.{method}"
        setattr(cls, method, function)
    if "__match_args__" not in own:
        setattr(cls, "__match_args__", tuple(f.name for f in found))  # noqa: B010 - no attribute to type-check
    _FIELDS[cls] = (frozenset(f.name for f in found), hasattr(cls, "__post_init__"))
    return cls


_FIELDS: dict[type, tuple[frozenset[str], bool]] = {}


def replace(obj: T, /, **changes: Any) -> T:
    """`dataclasses.replace` for a record: the fields copied as they are, the changed ones set.
    A record's `__init__` only stores its arguments, so this is the object `__init__` would make;
    a class with a `__post_init__`, or with more in its `__dict__` than its fields (a cached
    property), goes through `__init__`."""
    cls = obj.__class__
    known = _FIELDS.get(cls)
    if known is None:
        raise TypeError(f"replace() takes a record, not {cls.__name__}")
    names, checks = known
    values = obj.__dict__
    if checks or len(values) != len(names) or not names.issuperset(changes):
        return cls(**{name: values[name] for name in names if name not in changes}, **changes)
    new: T = object.__new__(cls)
    new.__dict__.update(values)
    new.__dict__.update(changes)
    return new


def memo(obj: Any, key: str, compute: Callable[[Any], T]) -> T:
    """`compute(obj)` worked out once per record and kept in it, as `functools.cached_property`
    keeps a value (in the instance's dict, past the frozen guard): it lives and dies with the
    record, so a fleet's interned rules answer once and a server's own rules leave no trace.
    `key` names it apart from the fields; `replace` never carries it into a copy."""
    values = obj.__dict__
    try:
        found: T = values[key]
    except KeyError:
        found = values[key] = compute(obj)
    return found


def keep(obj: Any, key: str, value: T) -> T:
    """`value` kept as `memo` keeps what it works out, for a value known another way: exactly
    what `memo`'s `compute` would give (its caller's tests hold it to that)."""
    obj.__dict__[key] = value
    return value


if __name__ == "__main__":  # the shapes of every record in the package, as recordinits.py
    import importlib
    import pkgutil

    import reconciler

    for module in pkgutil.walk_packages(reconciler.__path__, "reconciler."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    made_by = sys.modules["reconciler.records"]  # the module the package's records were made by
    sys.stdout.write(templates_module({*recordinits.TEMPLATES, *made_by.COMPILED_AT_RUN}))
