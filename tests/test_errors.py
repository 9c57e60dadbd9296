"""Problems order as the frozen dataclass with order=True they used to be."""

from __future__ import annotations

import dataclasses
import operator

from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import Problem


@dataclasses.dataclass(frozen=True, order=True)
class _Former:
    file: str
    line: int | None
    column: int | None
    message: str


_PROBLEMS = st.tuples(
    st.sampled_from(["a.yaml", "b.yaml"]), st.integers(1, 3), st.integers(1, 3), st.sampled_from("xy")
)


@given(_PROBLEMS, _PROBLEMS)
def test_problems_order_as_the_dataclass_did(one: tuple[str, int, int, str], two: tuple[str, int, int, str]) -> None:
    for compare in (operator.lt, operator.le, operator.gt, operator.ge, operator.eq):
        assert compare(Problem(*one), Problem(*two)) == compare(_Former(*one), _Former(*two))
    assert sorted([Problem(*two), Problem(*one)]) == sorted([Problem(*one), Problem(*two)])
