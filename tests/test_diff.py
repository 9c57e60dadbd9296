"""The typed diff gives deepdiff only what differs, and reports exactly what deepdiff reports on the whole."""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff
from hypothesis import given
from hypothesis import strategies as st

from reconciler.planning import diff

_SCALARS = st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from([1.0, "a", "b", ""])
_KEYS = st.sampled_from(["precedence", "limit", "enabled", "export", "import", "x"])
_VIEWS = st.recursive(_SCALARS, lambda inner: st.dictionaries(_KEYS, inner, max_size=4), max_leaves=12)


def _whole(observed: dict[str, Any], desired: dict[str, Any]) -> list[tuple[str, str, Any, Any]]:
    """What deepdiff says of the whole views, in the diff's terms."""
    result = DeepDiff(observed, desired, view="tree", verbose_level=2, threshold_to_diff_deeper=0)  # as 0.1 did
    found = []
    for report, levels in result.items():
        for level in levels:
            path = ".".join(str(p) for p in level.path(output_format="list"))
            old, new = diff._plain(level.t1), diff._plain(level.t2)
            kind = "add" if old is None else "remove" if new is None else diff._OPS[report]
            found.append((path, kind, old, new))
    return sorted(found)


@given(st.dictionaries(_KEYS, _VIEWS, max_size=5), st.dictionaries(_KEYS, _VIEWS, max_size=5))
def test_the_same_items_as_deepdiff_on_the_whole(observed: dict[str, Any], desired: dict[str, Any]) -> None:
    items = sorted((i.path, i.op, i.observed, i.desired) for i in diff.diff(observed, desired))
    assert items == _whole(observed, desired)


def test_one_and_true_differ() -> None:
    assert [(i.path, i.op) for i in diff.diff({"a": {"b": 1}}, {"a": {"b": True}})] == [("a.b", "change")]


def test_a_remembered_answer_is_never_another_questions() -> None:
    """The fleet's memo of answers tells 1, 1.0 and True apart, asked in any order."""
    for value in (1, True, 1.0, 1, True, 1.0):
        answer = diff.diff({"a": {"b": 0}}, {"a": {"b": value}})
        assert answer == diff._deepdiff({"a": {"b": 0}}, {"a": {"b": value}})
        assert [type(item.desired) for item in answer] == [type(value)]
