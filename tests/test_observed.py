from __future__ import annotations

import copy
import dataclasses
import json
import types
import typing
from typing import Any, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from reconciler.errors import UserError
from reconciler.formats import jsonmodel, schemas
from reconciler.model import observed
from reconciler.servers.simulator import defaults
from tests import test_fastschema
from tests.support import ROOT

# The example of docs/observed-state.md.
DOCUMENTED_EXAMPLE: dict[str, Any] = {
    "schemaVersion": 1,
    "collectedAt": "2026-11-21T09:00:00Z",
    "server": {"name": "contoso-aadc01", "version": "1.6.2.4", "cloud": "AzureCommercial",
               "tenantHasVerifiedDomain": True},
    "registry": {"AadConnectorExportApiVersion": 2, "AadConnectorImportApiVersion": None,
                 "EnableNonExistentObjectReferenceExportFiltering": 1},
    "aadConnector": {"Identifier": "b891884f-051e-4a83-95af-2544101c9083",
                     "Name": "contoso.onmicrosoft.com - AAD", "ExportType": 5},
    "scheduler": {"SyncCycleEnabled": True, "SyncCycleInProgress": False, "StagingModeEnabled": False,
                  "SchedulerSuspended": False, "MaintenanceEnabled": True,
                  "NextSyncCyclePolicyType": "Delta", "AllowedSyncCycleInterval": "00:30:00",
                  "CurrentlyEffectiveSyncCycleInterval": "00:30:00", "CustomizedSyncCycleInterval": None},
    "connectorOverrides": [{"ConnectorName": "contoso.onmicrosoft.com - AAD",
                            "FullImportRequired": False, "FullSyncRequired": False}],
    "syncRules": [
        {"Identifier": "039dcc3a-1513-4c08-b296-0973691e644a", "Name": "Out to AAD - Group Join",
         "Version": 1, "Direction": "Outbound", "Precedence": 139, "Disabled": False,
         "ImmutableTag": "Microsoft.OuttoAADGroupJoin.006", "IsStandardRule": True,
         "Connector": "b891884f-051e-4a83-95af-2544101c9083", "SourceObjectType": "group",
         "TargetObjectType": "group", "LinkType": "Provision",
         "ScopeFilter": [{"ScopeConditionList": [
             {"Attribute": "memberCount", "ComparisonOperator": "LESSTHAN", "ComparisonValue": "50000"}]}],
         "JoinFilter": [],
         "AttributeFlowMappings": [
             {"Source": ["member"], "Destination": "member", "FlowType": "Expression",
              "Expression": "IIF(([memberCount]> 50000),Error(\"Maximum Group member count exceeded\"),IgnoreThisFlow)",
              "ValueMergeType": "Update", "ExecuteOnce": False}]}
    ],
    "groups": [{"name": "All Staff", "memberCount": 120000, "provisioned": False}],
    "lastSyncCycle": {"result": "success", "exportErrors": [{"type": "dn-attributes-failure", "count": 12}]},
}  # fmt: skip


def test_schema_is_valid_and_closed() -> None:
    schema = json.loads((ROOT / "schemas" / schemas.OBSERVED_STATE).read_text())
    Draft202012Validator.check_schema(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert node.get("additionalProperties") is False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)


def test_the_documented_example_validates_and_round_trips() -> None:
    state = observed.from_json(copy.deepcopy(DOCUMENTED_EXAMPLE), "example")
    assert state.registry.import_api_version is None
    assert state.sync_rules[0].is_standard
    assert state.last_sync_cycle is not None and not state.last_sync_cycle.has_real_errors
    assert observed.to_json(state) == DOCUMENTED_EXAMPLE


def test_a_snapshot_from_before_the_export_filtering_value_loads_and_says_it_was_not_seen() -> None:
    data = copy.deepcopy(DOCUMENTED_EXAMPLE)
    del data["registry"]["EnableNonExistentObjectReferenceExportFiltering"]
    state = observed.from_json(data, "old snapshot")
    assert state.unobserved == ("registry.EnableNonExistentObjectReferenceExportFiltering",)
    assert observed.from_json(observed.to_json(state), "again") == state


def test_every_real_enum_value_is_accepted() -> None:
    """A real server's rules use JoinNoFlow and Replace too (ADSync 2.2.8.0 object model)."""
    data = copy.deepcopy(DOCUMENTED_EXAMPLE)
    rule = data["syncRules"][0]
    rule["LinkType"] = "JoinNoFlow"
    rule["AttributeFlowMappings"][0]["ValueMergeType"] = "Replace"
    state = observed.from_json(data, "real enums")
    assert state.sync_rules[0].link_type == "JoinNoFlow"
    assert state.sync_rules[0].attribute_flow_mappings[0].value_merge_type == "Replace"


def test_every_problem_is_reported_by_path() -> None:
    data = copy.deepcopy(DOCUMENTED_EXAMPLE)
    data["registry"]["AadConnectorExportApiVersion"] = 3
    data["syncRules"][0]["Direction"] = "Sideways"
    data["groups"][0]["memberCount"] = "many"
    data["groups"].append({"name": "", "memberCount": -1, "provisioned": True, "extra": 1})
    del data["scheduler"]
    with pytest.raises(UserError) as exc:
        observed.from_json(data, "snap.json")
    assert sorted(str(p) for p in exc.value.problems) == sorted(
        [
            "snap.json: (document): missing required key 'scheduler'",
            "snap.json: registry.AadConnectorExportApiVersion: expected one of 1, 2, None, got integer 3",
            "snap.json: syncRules[0].Direction: expected one of Inbound, Outbound, got string 'Sideways'",
            "snap.json: groups[0].memberCount: expected an integer, got string 'many'",
            "snap.json: groups[1].name: must not be empty",
            "snap.json: groups[1].memberCount: -1 is below the minimum 0",
            "snap.json: groups[1].extra: unknown key 'extra' (allowed: memberCount, name, provisioned)",
        ]
    )


GROUP_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3), st.floats(0, 1))
GROUP_ITEMS = st.one_of(
    st.dictionaries(st.sampled_from(["name", "memberCount", "provisioned", "other"]), GROUP_VALUES),
    GROUP_VALUES,
    st.lists(st.integers(), max_size=2),
)


@given(GROUP_ITEMS)
def test_fast_group_check_agrees_with_jsonschema(item: Any) -> None:
    data = copy.deepcopy(DOCUMENTED_EXAMPLE)
    data["groups"] = [item]
    fast = schemas.check_data(data, schemas.OBSERVED_STATE, "x")
    full = list(schemas.StrictValidator(schemas.schema(schemas.OBSERVED_STATE)).iter_errors(data))
    assert bool(fast) == bool(full), (fast, [e.message for e in full])


def test_digest_ignores_collection_time_only() -> None:
    state = defaults.new_server("s")
    later = state.replace(collected_at="2030-01-01T00:00:00Z")
    assert observed.digest(state) == observed.digest(later)
    assert observed.digest(state) != observed.digest(state.replace(groups=()))
    assert observed.digest(state).startswith("sha256:")


def _with_rule(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(DOCUMENTED_EXAMPLE)
    data["syncRules"][0].update(changes)
    return data


@pytest.fixture
def parts(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, bytes], tuple[Any, ...]]:
    """The shared parts held afresh for the test, whatever earlier tests left."""
    held: dict[tuple[str, bytes], tuple[Any, ...]] = {}
    monkeypatch.setattr(observed, "_PARTS", held)
    return held


@pytest.mark.usefixtures("parts")
def test_two_snapshots_share_the_parts_of_their_rules_that_are_equal() -> None:
    one = observed.from_json(_with_rule(), "one.json")
    other = observed.from_json(_with_rule(Identifier="11111111-2222-3333-4444-555555555555"), "other.json")
    a, b = one.sync_rules[0], other.sync_rules[0]
    assert a.identifier != b.identifier
    assert a.attribute_flow_mappings is b.attribute_flow_mappings
    assert a.scope_filter is b.scope_filter
    assert a == dataclasses.replace(b, identifier=a.identifier)


def test_the_parts_held_are_let_go_at_their_bound(
    parts: dict[tuple[str, bytes], tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(observed, "_PARTS_MAX", 2)
    observed.from_json(_with_rule(), "one.json")
    assert len(parts) == 1  # full at the flows: the scope and join filters let go, the flows held
    again = observed.from_json(_with_rule(), "again.json")
    assert len(parts) <= 2 and again == observed.from_json(_with_rule(), "once-more.json")


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [("ExecuteOnce", 0, "ExecuteOnce"), ("ExecuteOnce", None, "ExecuteOnce"), ("FlowType", "Sum", "FlowType")],
)
def test_a_part_held_already_never_stands_in_for_one_that_is_not_valid(field: str, value: Any, said: str) -> None:
    # 0 == False in Python, yet only false is valid: the part is checked on its own.
    observed.from_json(_with_rule(), "valid.json")
    data = _with_rule()
    data["syncRules"][0]["AttributeFlowMappings"][0][field] = value
    with pytest.raises(UserError) as raised:
        observed.from_json(data, "invalid.json")
    assert said in str(raised.value) and "invalid.json" in str(raised.value)


def test_the_digest_is_the_same_whether_a_rule_s_parts_are_shared_or_not() -> None:
    data = _with_rule()
    read = observed.from_json(data, "one.json")
    built = jsonmodel.from_json(observed.ObservedState, copy.deepcopy(data))  # its parts shared with nothing
    assert built.sync_rules[0].attribute_flow_mappings is not read.sync_rules[0].attribute_flow_mappings
    assert observed.digest(observed._noted(built, data)) == observed.digest(read)


@pytest.mark.parametrize(
    "change",
    [
        {"Precedence": 140},
        {"ScopeFilter": []},
        {"JoinFilter": [{"JoinConditionList": [{"CSAttribute": "a", "MVAttribute": "b", "CaseSensitive": False}]}]},
        {"AttributeFlowMappings": []},
    ],
)
def test_the_digest_changes_with_any_part_of_a_rule(change: dict[str, Any]) -> None:
    before = observed.from_json(_with_rule(), "before.json")
    after = observed.from_json(_with_rule(**change), "after.json")
    assert observed.digest(before) != observed.digest(after)


def test_the_digest_changes_with_a_flow_s_expression() -> None:
    data = _with_rule()
    data["syncRules"][0]["AttributeFlowMappings"][0]["Expression"] = (
        'IIF(([memberCount]> 100000),Error("x"),IgnoreThisFlow)'
    )
    assert observed.digest(observed.from_json(data, "a.json")) != observed.digest(
        observed.from_json(_with_rule(), "b.json")
    )


@settings(max_examples=300, deadline=None)
@given(test_fastschema.mutated(names=(schemas.OBSERVED_STATE,)))
def test_reading_rules_part_by_part_accepts_and_builds_exactly_what_the_full_check_does(case: tuple[str, Any]) -> None:
    # The valid parts held first: a part held already never stands in for an invalid one.
    observed.from_json(copy.deepcopy(test_fastschema.DOCUMENTS[schemas.OBSERVED_STATE]), "warm.json")
    doc = case[1]
    full = schemas.StrictValidator(schemas.schema(schemas.OBSERVED_STATE))
    if not full.is_valid(doc):
        with pytest.raises(UserError):
            observed.from_json(copy.deepcopy(doc), "mutated.json")
        return
    read = observed.from_json(copy.deepcopy(doc), "mutated.json")
    assert read == observed._noted(jsonmodel.from_json(observed.ObservedState, doc), doc)
    assert observed.digest(read) == observed.digest(
        observed._noted(jsonmodel.from_json(observed.ObservedState, doc), doc)
    )


def test_not_json_is_located() -> None:
    with pytest.raises(UserError, match=r"^snap.json:1:2: not valid JSON"):
        observed.loads("{,}", "snap.json")


def _reference_dumps(state: observed.ObservedState) -> str:
    """How dumps wrote a state before it wrote group lines itself: the text must not change."""
    data = observed.to_json(state)
    groups = data.get("groups")
    if not groups:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    data["groups"] = "PLACEHOLDER"
    encode = json.JSONEncoder(ensure_ascii=False).encode
    lines = ",\n    ".join(map(encode, groups))
    return json.dumps(data, indent=2, ensure_ascii=False).replace('"PLACEHOLDER"', f"[\n    {lines}\n  ]", 1) + "\n"


_NAMES = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=12)


@given(st.lists(st.tuples(_NAMES, st.integers(0, 250_000), st.booleans()), max_size=6))
def test_dumps_writes_groups_exactly_as_json_does(groups: list[tuple[str, int, bool]]) -> None:
    state = defaults.new_server("srv1", "2.4.18.0").replace(groups=tuple(observed.Group(*g) for g in groups))
    assert observed.dumps(state) == _reference_dumps(state)
    assert observed.loads(observed.dumps(state), "x").groups == state.groups


def test_dumps_in_pieces_is_the_same_text_across_piece_boundaries() -> None:
    groups = tuple(observed.Group(f'g{i}\u00e9"', i, i % 2 == 0) for i in range(4_501))
    state = defaults.new_server("srv1", "2.4.18.0").replace(groups=groups)
    assert observed.dumps(state) == _reference_dumps(state)
    assert len(list(observed.chunks(state))) == 5  # head, three pieces of groups, tail


def test_every_field_converts_as_its_type_says() -> None:
    """jsonmodel reads annotations as text: each observed-state field gets the converters its type
    (as typing.get_type_hints evaluates it) calls for; a form it cannot read is an error."""

    def kind(hint: Any) -> Any:
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            inner = [a for a in typing.get_args(hint) if a is not type(None)]
            return ("optional", kind(inner[0])) if len(inner) == 1 else "as is"
        if origin is tuple:
            return ("tuple", kind(typing.get_args(hint)[0]))
        return hint if dataclasses.is_dataclass(hint) else "as is"

    def converted(load: Any, sample: Any) -> Any:
        return load(sample)

    for name in dir(observed):
        cls = getattr(observed, name)
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            continue
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            load, _dump = jsonmodel._converters(cls, f.type)
            expected = kind(hints[f.name])
            if expected == "as is":
                assert load is jsonmodel._identity, (cls, f.name)
            elif expected in (("tuple", "as is"),):
                assert load is tuple, (cls, f.name)
            elif expected == ("optional", "as is"):
                assert load is jsonmodel._identity, (cls, f.name)  # None passes as it is too
            elif isinstance(expected, tuple) and expected[0] == "optional":
                assert load is not jsonmodel._identity and converted(load, None) is None, (cls, f.name)
            else:
                assert load is not jsonmodel._identity, (cls, f.name)

    @dataclasses.dataclass(frozen=True)
    class Odd:
        x: Optional[int]  # noqa: UP045 - the form jsonmodel does not read

    with pytest.raises(TypeError, match="cannot read the annotation"):
        jsonmodel._converters(Odd, dataclasses.fields(Odd)[0].type)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_canonical_text_is_json_dumps_with_sorted_keys_and_no_spaces(value: Any) -> None:
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert observed.canonical(value) == expected
