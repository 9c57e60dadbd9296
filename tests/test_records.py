"""`@record` behaves as `@dataclass(frozen=True)`: the same methods, written more cheaply."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler import records
from reconciler.records import record


def pair(**fields: Any) -> tuple[type, type]:
    """The same class body, once as a record and once as a frozen dataclass."""

    def body() -> type:
        class Sample:
            a: int
            b: str = "x"
            c: tuple[int, ...] = dataclasses.field(default=(), compare=False)
            d: list[int] = dataclasses.field(default_factory=list, hash=False, repr=False)

            @functools.cached_property
            def total(self) -> int:
                return self.a + len(self.c)

        return Sample

    return record(body()), dataclasses.dataclass(frozen=True)(body())


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
    assert one.total == a + len(c)  # cached_property writes the instance dict, as with dataclass
    assert dataclasses.replace(one, b="y") == RECORD(a, "y")
    assert [f.name for f in dataclasses.fields(one)] == ["a", "b", "c", "d"]
    assert dataclasses.asdict(one) == dataclasses.asdict(ref_one)


def test_frozen_defaults_and_introspection() -> None:
    made = RECORD(1)
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'a'"):
        made.a = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'b'"):
        del made.b  # type: ignore[misc]
    assert made.d == [] and RECORD(1).d is not made.d  # a fresh default from the factory
    assert dataclasses.is_dataclass(made) and made.__dataclass_params__.frozen  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        RECORD()  # type: ignore[call-arg]


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
    assert repr(Base(1)) == "mine"  # a method the class writes is kept
    assert Child(1) == Child(1, 2) and Child(1) != Base(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        Child(1).b = 3  # type: ignore[misc]


@given(st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3), st.integers())
def test_replace_makes_what_dataclasses_replace_makes(a: int, b: str, c: list[int], a2: int) -> None:
    one = RECORD(a, b, tuple(c))
    for changes in ({}, {"a": a2}, {"b": b + "z", "c": ()}):
        made, reference = records.replace(one, **changes), dataclasses.replace(one, **changes)
        assert made == reference and _shown(made) == _shown(reference) and made is not one
        assert vars(made) == vars(reference) and made.total == reference.total
    _ = one.total  # a cached value in the instance dict is never carried into the copy
    assert records.replace(one, a=a2 + 1).total == a2 + 1 + len(c)
    with pytest.raises(TypeError):
        records.replace(one, e=1)


def test_replace_runs_post_init() -> None:
    @record
    class Checked:
        a: int

        def __post_init__(self) -> None:
            if self.a < 0:
                raise ValueError("negative")

    with pytest.raises(ValueError, match="negative"):
        records.replace(Checked(1), a=-1)
