"""`@record` behaves as `@dataclass(frozen=True)`: the same methods, written more cheaply."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import subprocess
import sys
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler import recordinits, records
from reconciler.records import record
from tests.support import ROOT


def pair() -> tuple[type, type]:
    """The same class body, once as a record and once as a frozen dataclass (each with its own field())."""

    def body(field: Any) -> type:
        class Sample:
            a: int
            b: str = "x"
            c: tuple[int, ...] = field(default=(), compare=False)
            d: list[int] = field(default_factory=list, hash=False, repr=False)

            @functools.cached_property
            def total(self) -> int:
                return self.a + len(self.c)

        return Sample

    return record(body(records.field)), dataclasses.dataclass(frozen=True)(body(dataclasses.field))


RECORD, DATACLASS = pair()


def _shown(value: object) -> str:
    return repr(value).replace("test_records.pair.<locals>.body.<locals>.", "")


@given(st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3), st.integers(), st.text(max_size=5))
def test_the_same_methods(a: int, b: str, c: list[int], a2: int, b2: str) -> None:
    one, two = RECORD(a, b, tuple(c)), RECORD(a2, b2)
    ref_one, ref_two = DATACLASS(a, b, tuple(c)), DATACLASS(a2, b2)
    assert _shown(one) == _shown(ref_one)
    assert (one == two) == (ref_one == ref_two)
    assert hash(one) == hash(ref_one)  # the same tuple of the same fields
    assert hash(one) == hash(RECORD(a, b, (9,)))  # c does not compare, so it does not hash
    assert one == RECORD(a, b, (9,)) and one != (a, b)
    assert vars(one) == vars(ref_one)
    assert one.total == a + len(c)  # cached_property writes the instance dict, as with dataclass
    assert records.replace(one, b="y") == RECORD(a, "y")
    described = [(f.name, f.default is records.MISSING, f.compare, f.hash, f.repr) for f in records.fields(one)]
    assert described == [
        (f.name, f.default is dataclasses.MISSING, f.compare, f.hash, f.repr) for f in dataclasses.fields(ref_one)
    ]


def test_frozen_defaults_and_introspection() -> None:
    made = RECORD(1)
    with pytest.raises(records.FrozenInstanceError, match="cannot assign to field 'a'"):
        made.a = 2
    with pytest.raises(AttributeError, match="cannot delete field 'b'"):  # dataclass's is one too
        del made.b
    assert made.d == [] and RECORD(1).d is not made.d  # a fresh default from the factory
    assert records.is_record(made) and records.is_record(RECORD) and not records.is_record(DATACLASS)
    assert getattr(RECORD, "b") == getattr(DATACLASS, "b") == "x"  # noqa: B009 - a class built at run time
    assert not hasattr(RECORD, "d") and not hasattr(DATACLASS, "d")
    assert getattr(RECORD, "__match_args__") == getattr(DATACLASS, "__match_args__")  # noqa: B009
    with pytest.raises(TypeError):
        RECORD()


def test_post_init_explicit_methods_and_inheritance() -> None:
    @record
    class Base:
        a: int

        def __post_init__(self) -> None:
            if self.a < 0:
                raise ValueError("negative")

        def __repr__(self) -> str:
            return "mine"

    @record
    class Child(Base):
        b: int = 2

    with pytest.raises(ValueError, match="negative"):
        Base(-1)
    with pytest.raises(ValueError, match="negative"):
        records.replace(Base(1), a=-1)  # a copy runs __post_init__ too
    assert repr(Base(1)) == "mine"  # a method the class writes is kept
    assert Child(1) == Child(1, 2) and Child(1) != Base(1)
    with pytest.raises(records.FrozenInstanceError):
        Child(1).b = 3  # type: ignore[misc]
    assert [f.name for f in records.fields(Child)] == ["a", "b"]


@given(st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3), st.integers())
def test_replace_makes_what_dataclasses_replace_makes(a: int, b: str, c: list[int], a2: int) -> None:
    one = RECORD(a, b, tuple(c))
    for changes in ({}, {"a": a2}, {"b": b + "z", "c": ()}):
        made, reference = records.replace(one, **changes), RECORD(**{**vars(one), **changes})
        assert made == reference and _shown(made) == _shown(reference) and made is not one
        assert vars(made) == vars(reference) and made.total == reference.total
    with pytest.raises(TypeError):
        records.replace(DATACLASS(a), a=1)  # only a record
    _ = one.total  # a cached value in the instance dict is never carried into the copy
    assert records.replace(one, a=a2 + 1).total == a2 + 1 + len(c)
    with pytest.raises(TypeError):
        records.replace(one, e=1)


def test_what_dataclass_refuses_is_refused() -> None:
    class Mutable:
        items: list[int] = []  # noqa: RUF012 - the point of the test

    with pytest.raises(ValueError, match="mutable default"):
        record(Mutable)

    class Ordered:
        a: int = 1
        b: int

    with pytest.raises(TypeError, match="non-default argument 'b'"):
        record(Ordered)

    class Writes:
        a: int

        def __setattr__(self, name: str, value: object) -> None: ...

    with pytest.raises(TypeError, match="Cannot overwrite attribute __setattr__"):
        record(Writes)

    class Selfish:  # dataclass renames its own parameter; a record refuses rather than mix them up
        self: int

    with pytest.raises(TypeError, match="cannot be named 'self'"):
        record(Selfish)


def test_class_variables_are_no_fields() -> None:
    @record
    class Kind:
        name: ClassVar[str] = "k"
        value: int = 0

    assert [f.name for f in records.fields(Kind)] == ["value"] and Kind(3).name == "k"


def test_dataclasses_is_not_imported() -> None:
    """The point of records (issue 14): a plan's start-up loads neither dataclasses nor inspect."""
    code = (
        "import sys, reconciler.records, reconciler.model.observed, reconciler.errors; "
        "print(sorted({'dataclasses', 'inspect'} & set(sys.modules)))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert found == "[]"


def test_a_memo_is_computed_once_and_never_copied() -> None:
    calls: list[int] = []

    def doubled(obj: Any) -> int:
        calls.append(obj.a)
        return 2 * int(obj.a)

    one = RECORD(4)
    assert records.memo(one, "_memo_doubled", doubled) == records.memo(one, "_memo_doubled", doubled) == 8
    assert calls == [4] and one == RECORD(4) and hash(one) == hash(RECORD(4)) and repr(one) == repr(RECORD(4))
    changed = records.replace(one, a=5)
    assert "_memo_doubled" not in vars(changed) and records.memo(changed, "_memo_doubled", doubled) == 10


def _shaped(decorate: Any, field: Any, kinds: list[str], post_init: bool) -> type:
    body: dict[str, Any] = {"__annotations__": {f"f{i}": "int" for i in range(len(kinds))}}
    for i, kind in enumerate(kinds):
        if kind == "default":
            body[f"f{i}"] = i * 10
        elif kind == "factory":
            body[f"f{i}"] = field(default_factory=lambda i=i: [i])
    if post_init:
        body["__post_init__"] = lambda self: object.__setattr__(self, "seen", True)
    made: type = decorate(type("Shaped", (), body))
    return made


@given(
    st.lists(st.sampled_from(["required", "default", "factory"]), max_size=6).map(
        lambda kinds: sorted(kinds, key=lambda kind: kind != "required")
    ),
    st.booleans(),
    st.data(),
)
def test_every_shape_of_init_is_the_one_dataclass_writes(kinds: list[str], post_init: bool, data: Any) -> None:
    """`__init__` is compiled once per shape of fields and renamed for each class (issue 14)."""
    mine = _shaped(record, records.field, kinds, post_init)
    theirs = _shaped(dataclasses.dataclass(frozen=True), dataclasses.field, kinds, post_init)
    ours, reference = inspect.signature(mine).parameters, inspect.signature(theirs).parameters
    assert list(ours) == list(reference)
    for name, kind in zip(ours, kinds, strict=True):
        if kind != "factory":
            assert ours[name].default == reference[name].default
    given_values = data.draw(st.lists(st.integers(), min_size=kinds.count("required"), max_size=len(kinds)))
    as_keywords = {f"f{i}": value for i, value in enumerate(given_values)}
    for args, kwargs in ((given_values, {}), ((), as_keywords)):
        assert vars(mine(*args, **kwargs)) == vars(theirs(*args, **kwargs))
    if kinds.count("required"):
        with pytest.raises(TypeError, match=r"missing 1 required positional argument: 'f\d'"):
            mine(*given_values[: kinds.count("required") - 1])


def test_fields_named_like_the_templates_own_names_are_renamed_right() -> None:
    """The shared `__init__` is written with `_0`, `_1`, ..., `_MISSING`, `_object_setattr` and
    `_factory__N`; fields of those very names must still land where they belong."""

    def body(field: Any) -> type:
        class Clash:
            _1: int
            _0: int
            _MISSING: int = 7
            _object_setattr: list[int] = field(default_factory=lambda: [1])
            _factory__0: str = "f"

        return Clash

    mine, theirs = record(body(records.field)), dataclasses.dataclass(frozen=True)(body(dataclasses.field))
    assert list(inspect.signature(mine).parameters) == list(inspect.signature(theirs).parameters)
    for args, kwargs in (((1, 2), {}), ((1, 2, 3, [4], "x"), {}), ((), {"_0": 5, "_1": 6, "_factory__0": "y"})):
        assert vars(mine(*args, **kwargs)) == vars(theirs(*args, **kwargs))


def test_the_precompiled_templates_are_what_records_writes() -> None:
    text = (ROOT / "reconciler" / "recordinits.py").read_text(encoding="utf-8")
    assert text == records.templates_module(recordinits.TEMPLATES), "run: python -m reconciler.records"


@pytest.mark.parametrize(("kinds", "post_init"), sorted(recordinits.TEMPLATES))
def test_a_precompiled_template_is_the_code_records_would_compile(kinds: tuple[str, ...], post_init: bool) -> None:
    namespace: dict[str, object] = {"_MISSING": records.MISSING}
    exec(records.template_source(kinds, post_init), namespace)
    compiled = namespace["__init__"].__code__  # type: ignore[attr-defined]
    known = recordinits.TEMPLATES[kinds, post_init].__code__
    for part in ("co_code", "co_consts", "co_names", "co_varnames", "co_argcount", "co_flags"):
        assert getattr(known, part) == getattr(compiled, part), part


def test_every_record_of_the_package_finds_its_template_precompiled() -> None:
    """A new shape of record would be compiled at every start-up: regenerate recordinits.py."""
    code = (
        "import importlib, pkgutil, reconciler\n"
        "for m in pkgutil.walk_packages(reconciler.__path__, 'reconciler.'):\n"
        "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
        "from reconciler import records\n"
        "print(sorted(records.COMPILED_AT_RUN))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]", "run: python -m reconciler.records > reconciler/recordinits.py"
