"""The compiled fast path says "valid" exactly when jsonschema does, on our three schemas."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.formats import fastschema, schemas
from reconciler.formats.memo import ByIdentity
from reconciler.model import desired, observed
from reconciler.planning import plans
from reconciler.servers.simulator import defaults
from tests.scenario import make_plan, server, state


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _leaves(value, (*path, index))
    return found


def _documents() -> dict[str, Any]:
    srv = server("1.6.2.4")
    return {
        schemas.OBSERVED_STATE: observed.to_json(defaults.new_server("s", "1.6.2.4")),
        schemas.PLAN: plans.to_json(make_plan(srv, state())),
        schemas.DESIRED_STATE: desired.to_document(state(max_limit_increase=5, connector_name="c - AAD")),
    }


DOCUMENTS = _documents()
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 300000), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "x", "Outbound", "LESSTHAN", "2.4.18.0", "sha256:" + "a" * 64, "AzureGermany"]),
    st.just({}), st.just([]),
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, names: tuple[str, ...] = tuple(sorted(DOCUMENTS))) -> tuple[str, Any]:
    name = draw(st.sampled_from(names))
    doc = copy.deepcopy(DOCUMENTS[name])
    for _ in range(draw(st.integers(1, 3))):
        paths = _leaves(doc)
        path = draw(st.sampled_from(paths))
        if not path:
            continue
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["set", "delete", "add"]))
        if action == "set":
            parent[path[-1]] = draw(VALUES)
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "Name", "name", "kind"]))] = draw(VALUES)
    return name, doc


@settings(max_examples=400, deadline=None)
@given(mutated())
def test_fast_path_agrees_with_jsonschema(case: tuple[str, Any]) -> None:
    name, doc = case
    full = schemas.StrictValidator(schemas.schema(name))
    assert fastschema.compile_schema(schemas.schema(name))(doc) == full.is_valid(doc)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_unmutated_documents_are_valid(name: str) -> None:
    assert fastschema.compile_schema(schemas.schema(name))(DOCUMENTS[name])


def test_unknown_keywords_are_refused() -> None:
    with pytest.raises(ValueError, match=r"cannot compile keywords \['anyOf'\]"):
        fastschema.compile_schema({"anyOf": [{"type": "string"}]})
    with pytest.raises(ValueError, match="additionalProperties: false only"):
        fastschema.compile_schema({"type": "object", "additionalProperties": {"type": "string"}})


def test_json_equality_in_enums() -> None:
    check = fastschema.compile_schema({"enum": [1, 2, None]})
    assert check(1) and check(None) and not check(True) and not check("1")


def test_a_schema_is_compiled_once_and_a_sub_schema_shares_its_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastschema, "_COMPILED", ByIdentity())
    compiled: list[int] = []
    compile_for_real = fastschema._compile

    def counted(schema: dict[str, Any]) -> fastschema.Check:
        compiled.append(id(schema))
        return compile_for_real(schema)

    monkeypatch.setattr(fastschema, "_compile", counted)
    whole = schemas.schema(schemas.OBSERVED_STATE)
    rule_items = whole["properties"]["syncRules"]["items"]
    alone = fastschema.compile_schema(rule_items)
    fastschema.compile_schema(whole)
    assert compiled.count(id(rule_items)) == 1  # the whole schema's compile used the rules' check
    assert fastschema.compile_schema(rule_items) is alone
    equal_copy = {**rule_items}
    assert fastschema.compile_schema(equal_copy) is not alone  # by identity, never by value
