"""The typed difference between two projections (see `reconciler.views`), by deepdiff."""

from __future__ import annotations

from typing import Any

from reconciler.records import record

_OPS = {
    "values_changed": "change",
    "type_changes": "change",
    "dictionary_item_added": "add",
    "dictionary_item_removed": "remove",
}


@record
class DiffItem:
    """One managed setting that differs: `op` is change, add or remove; `path` is dotted."""

    op: str
    path: str
    observed: Any
    desired: Any


def _plain(value: Any) -> Any:
    # deepdiff marks the missing side of an added or removed key with a NotPresent object.
    return None if type(value).__name__ == "NotPresent" else value


def diff(observed: dict[str, Any], desired: dict[str, Any]) -> tuple[DiffItem, ...]:
    if observed == desired:
        return ()  # the common case in CI, decided without loading deepdiff (a third of start-up)
    from deepdiff import DeepDiff

    # threshold_to_diff_deeper=0: always report the setting that changed, never its whole parent.
    result = DeepDiff(observed, desired, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
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
