"""ByIdentity: a value per object by its identity, never by an equal object's."""

from __future__ import annotations

from reconciler.formats.memo import ByIdentity


def test_a_value_is_found_by_its_object_and_never_by_an_equal_one() -> None:
    memo: ByIdentity[tuple[int, ...], str] = ByIdentity()
    key = tuple(range(3))
    assert memo.put(key, "kept") == "kept"
    assert memo.get(key) == "kept"
    assert memo.get(tuple(range(3))) is None  # equal, not the same object


def test_it_is_emptied_when_it_holds_its_bound() -> None:
    memo: ByIdentity[object, int] = ByIdentity(most=2)
    first, second, third = object(), object(), object()
    memo.put(first, 1)
    memo.put(second, 2)
    assert len(memo) == 2
    memo.put(third, 3)
    assert len(memo) == 1 and memo.get(first) is None and memo.get(third) == 3
