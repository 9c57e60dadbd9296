from __future__ import annotations

from typing import Any

import pytest

from reconciler.errors import UserError
from reconciler.servers.simulator import assign


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("scheduler.SyncCycleInProgress=true", ["scheduler", "SyncCycleInProgress"], True),
        ("server.version=1.6.2.4", ["server", "version"], "1.6.2.4"),
        ("groups.0.memberCount=60000", ["groups", "0", "memberCount"], 60000),
        ("registry.AadConnectorImportApiVersion=null", ["registry", "AadConnectorImportApiVersion"], None),
        ('server.name="a=b"', ["server", "name"], "a=b"),
        ("server.name=", ["server", "name"], ""),
    ],
)
def test_parse(text: str, path: list[str], value: Any) -> None:
    assert assign.parse(text) == (path, value)


def test_parse_needs_key_and_equals() -> None:
    with pytest.raises(UserError, match="expected KEY=VALUE"):
        assign.parse("scheduler")


def test_apply_into_objects_and_lists() -> None:
    data: dict[str, Any] = {"a": {"b": 1}, "l": [{"x": 1}]}
    assign.apply(data, ["a", "c"], 2)
    assign.apply(data, ["l", "0", "x"], 5)
    assert data == {"a": {"b": 1, "c": 2}, "l": [{"x": 5}]}
    with pytest.raises(UserError, match=r"sim set: l\.3: no item '3' \(the list has 1\)"):
        assign.apply(data, ["l", "3"], 1)
    with pytest.raises(UserError, match="nope does not exist"):
        assign.apply(data, ["nope", "x"], 1)
    with pytest.raises(UserError, match=r"a\.b is a value"):
        assign.apply(data, ["a", "b", "c"], 1)
