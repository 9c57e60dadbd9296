"""The typed difference between two projections (see `reconciler.planning.views`), by deepdiff."""

from __future__ import annotations

import marshal
from dataclasses import dataclass
from typing import Any

_OPS = {
    "values_changed": "change",
    "type_changes": "change",
    "dictionary_item_added": "add",
    "dictionary_item_removed": "remove",
}


@dataclass(frozen=True, slots=True)
class DiffItem:
    """One managed setting that differs: `op` is change, add or remove; `path` is dotted."""

    op: str
    path: str
    observed: Any
    desired: Any


def _plain(value: Any) -> Any:
    # deepdiff marks the missing side of an added or removed key with a NotPresent object.
    return None if type(value).__name__ == "NotPresent" else value


def _same(a: Any, b: Any) -> bool:
    """Equal as deepdiff sees it: 1, 1.0 and True differ (a type change), at any depth."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _differing(observed: dict[str, Any], desired: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both sides less every key whose value is equal on both, at every level of nested objects:
    deepdiff then reports exactly what it would on the whole, at the same paths."""
    left, right = {}, {}
    for key in observed.keys() | desired.keys():
        if key not in desired:
            left[key] = observed[key]
        elif key not in observed:
            right[key] = desired[key]
        elif not _same(observed[key], desired[key]):
            old, new = observed[key], desired[key]
            if type(old) is dict and type(new) is dict:
                old, new = _differing(old, new)
            left[key], right[key] = old, new
    return left, right


def diff(observed: dict[str, Any], desired: dict[str, Any]) -> tuple[DiffItem, ...]:
    if _same(observed, desired):
        return ()  # the common case in CI, decided without loading deepdiff (slow to import)
    # Only what differs goes in: the parts that are equal report nothing, and cost deepdiff's walk.
    left, right = _differing(observed, desired)
    # A fleet drifts in a handful of ways: the same difference is asked about again and again.
    # Marshal's bytes are exact (1, 1.0 and True differ), so equal keys mean equal questions.
    key = marshal.dumps((left, right), 2)
    answer = _ANSWERS.get(key)
    if answer is None:
        if len(_ANSWERS) >= _ANSWERS_MAX:
            _ANSWERS.clear()
        answer = _ANSWERS[key] = _deepdiff(left, right)
    return answer


_ANSWERS: dict[bytes, tuple[DiffItem, ...]] = {}
_ANSWERS_MAX = 4096


def _deepdiff(left: dict[str, Any], right: dict[str, Any]) -> tuple[DiffItem, ...]:
    from deepdiff import DeepDiff

    # threshold_to_diff_deeper=0: always report the setting that changed, never its whole parent.
    # cache_purge_level=0: the diff is thrown away after reading, so its caches need no clean-up
    # (a fifth of a small diff's time).
    result = DeepDiff(left, right, view="tree", verbose_level=2, threshold_to_diff_deeper=0, cache_purge_level=0)
    items = []
    for report, levels in result.items():
        op = _OPS.get(report)
        if op is None:
            raise AssertionError(f"projection diff produced {report}; projections hold no lists or sets")
        for level in levels:
            path = ".".join(str(p) for p in level.path(output_format="list"))
            old, new = _plain(level.t1), _plain(level.t2)
            kind = "add" if old is None else "remove" if new is None else op
            items.append(DiffItem(kind, path, old, new))
    return tuple(sorted(items, key=lambda item: item.path))
