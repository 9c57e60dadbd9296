"""A sync cycle's scoping, decided once per group by a bound, agrees with every rule's scope."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reconciler.model import provisioning
from reconciler.model.observed import Group

_PAIRS = st.tuples(st.none() | st.integers(0, 300_000), st.none() | st.booleans())
_SCOPES = st.none() | st.lists(_PAIRS, max_size=3).map(tuple)


@given(st.lists(_SCOPES, max_size=4), st.integers(0, 300_000), st.booleans())
def test_the_bound_is_in_scope_of_some_rule(scopes: list[provisioning.Scope], count: int, provisioned: bool) -> None:
    group = Group("g", count, provisioned)
    expected = any(provisioning._in(scope, group) for scope in scopes)
    assert (count < provisioning._below(scopes)[provisioned]) == expected
