from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from reconciler.formats import schemas, yamlsource
from reconciler.model import facts
from tests.support import FIXTURES, ROOT


def _objects(node: Any, path: str = "#") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append((path, node))
        for key, value in node.items():
            found.extend(_objects(value, f"{path}/{key}"))
    return found


def test_published_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads((ROOT / "schemas" / schemas.DESIRED_STATE).read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_every_object_is_closed_and_every_property_documented() -> None:
    schema = schemas.schema(schemas.DESIRED_STATE)
    for path, obj in _objects(schema):
        assert obj.get("additionalProperties") is False, path
        for name, prop in obj["properties"].items():
            assert prop.get("title") and (prop.get("description") or prop.get("type") == "object"), f"{path}/{name}"


def test_loaded_schema_is_the_published_file() -> None:
    published = json.loads((ROOT / "schemas" / schemas.DESIRED_STATE).read_text())
    assert schemas.schema(schemas.DESIRED_STATE) == published


def test_integer_means_integer_not_a_whole_float() -> None:
    doc = yamlsource.parse("a: 1.0\n", "f.yaml")
    validator = schemas.StrictValidator({"properties": {"a": {"type": "integer"}}})
    assert [e.message for e in validator.iter_errors(doc.data)] == ["1.0 is not of type 'integer'"]
    assert not list(validator.iter_errors({"a": 1}))
    assert list(validator.iter_errors({"a": True}))


def test_a_mistyped_value_is_reported_once() -> None:
    doc = yamlsource.parse(
        "apiVersion: reconciler/v1\nkind: SyncServer\nmetadata: {name: a}\n"
        "spec: {cloud: AzureCommercial, apiVersions: {export: '2', import: 2},"
        " groupMemberLimit: 5, scheduler: {syncCycleEnabled: true}}\n",
        "f.yaml",
    )
    assert [str(p) for p in schemas.check(doc, schemas.DESIRED_STATE)] == [
        "f.yaml:4:54: spec.apiVersions.export: expected an integer, got string '2'"
    ]


def test_dotted_paths() -> None:
    assert schemas.dotted(()) == "(document)"
    assert schemas.dotted(("spec", "rules", 3, "name")) == "spec.rules[3].name"


# Where each object-model enum appears in the observed-state schema.
_ENUM_PATHS = {
    "SyncRuleLinkType": ("syncRules", "LinkType"),
    "AttributeValueMergeType": ("syncRules", "AttributeFlowMappings", "ValueMergeType"),
    "AttributeMappingFlowType": ("syncRules", "AttributeFlowMappings", "FlowType"),
    "ComparisonOperator": ("syncRules", "ScopeFilter", "ScopeConditionList", "ComparisonOperator"),
    "SynchronizationPolicyType": ("scheduler", "NextSyncCyclePolicyType"),
    "SynchronizationRuleDirection": ("syncRules", "Direction"),
}


def _schema_enum(schema: dict[str, Any], path: tuple[str, ...]) -> list[Any]:
    node: Any = schema
    for key in path:
        node = node["properties"][key]
        while "items" in node:
            node = node["items"]
    return [v for v in node["enum"] if v is not None]


def test_the_observed_schema_accepts_exactly_the_object_models_enums() -> None:
    schema = json.loads((ROOT / "schemas" / "observed-state.schema.json").read_text(encoding="utf-8"))
    for name, path in _ENUM_PATHS.items():
        assert _schema_enum(schema, path) == list(facts.OBJECT_MODEL_ENUMS[name]), name
    cmdlets = FIXTURES / "adsync-2.2.8.0-cmdlets.json"
    if cmdlets.exists():  # the real module's metadata, where it is beside this checkout
        real = json.loads(cmdlets.read_text(encoding="utf-8"))["enums"]
        assert {name: list(values) for name, values in facts.OBJECT_MODEL_ENUMS.items()} == {
            name: real[name] for name in facts.OBJECT_MODEL_ENUMS
        }
