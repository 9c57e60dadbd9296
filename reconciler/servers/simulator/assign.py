"""`sim set KEY=VALUE`: poke any value of the simulated server, as a test bed needs to.

KEY is a dotted path into the observed-state JSON (`scheduler.SyncCycleInProgress`,
`groups.3.memberCount`); VALUE is read as JSON when it parses, else taken as a string. The
result must still be valid observed state, so a poke cannot damage the file.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler.errors import UserError


def parse(assignment: str) -> tuple[list[str], Any]:
    key, sep, raw = assignment.partition("=")
    if not sep or not key.strip():
        raise UserError(f"sim set: expected KEY=VALUE, got {assignment!r}")
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or a number of thousands of digits: the text itself
        value = raw
    return key.strip().split("."), value


def read(data: dict[str, Any], path: list[str]) -> Any:
    """The value at `path`, or None where there is none (what `sim set` reports as the old value)."""
    node: Any = data
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and re.fullmatch(r"[0-9]{1,9}", part) and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def apply(data: dict[str, Any], path: list[str], value: Any) -> None:
    """Set `value` at `path` in `data` (in place); every step but the last must already exist."""
    node: Any = data
    walked: list[str] = []
    for part in path[:-1]:
        walked.append(part)
        node = _step(node, part, ".".join(walked))
    last = path[-1]
    if isinstance(node, list):
        index = _index(node, last, ".".join(path))
        node[index] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise UserError(f"sim set: {'.'.join(path[:-1])} is a value, not an object or list")


def _step(node: Any, part: str, where: str) -> Any:
    if isinstance(node, dict):
        if part not in node or node[part] is None:
            raise UserError(f"sim set: {where} does not exist")
        return node[part]
    if isinstance(node, list):
        return node[_index(node, part, where)]
    raise UserError(f"sim set: {where} is inside a value, not an object or list")


def _index(node: list[Any], part: str, where: str) -> int:
    if not re.fullmatch(r"[0-9]{1,9}", part) or int(part) >= len(node):  # ASCII digits: '²'.isdigit() is True
        raise UserError(f"sim set: {where}: no item {part!r} (the list has {len(node)})")
    return int(part)
