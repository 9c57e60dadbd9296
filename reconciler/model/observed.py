"""The observed state of a server (docs/observed-state.md): one immutable model whatever the source.

Every reader (simulator, snapshot, export, live server) produces an `ObservedState`; the JSON
form is the snapshot format and the simulator's file, checked by
`schemas/observed-state.schema.json`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import marshal
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.errors import UserError
from reconciler.formats import fastschema, jsonmodel, jsontext, schemas
from reconciler.formats.jsonmodel import prop
from reconciler.formats.memo import ByIdentity

SCHEMA_VERSION = 1
# Real status strings of a run profile (Synchronization Service Manager).
INFORMATIONAL_ERRORS = frozenset({"dn-attributes-failure"})  # V2 page: event 6949, informational only


@dataclass(frozen=True, slots=True)
class ServerInfo:
    name: str = prop("name")
    version: str = prop("version")
    cloud: str = prop("cloud")
    tenant_has_verified_domain: bool | None = prop("tenantHasVerifiedDomain")
    # The machine's own name, read on it (docs/observed-state.md#identity); None: not observed.
    host: str | None = prop("host", optional=True, default=None)
    # The sync service installation's own identifier (Get-ADSyncGlobalSettings).InstanceId.
    instance_id: str | None = prop("instanceId", optional=True, default=None)


@dataclass(frozen=True, slots=True)
class Registry:
    export_api_version: int | None = prop("AadConnectorExportApiVersion")
    import_api_version: int | None = prop("AadConnectorImportApiVersion")
    # Under PerMAInstance\<AAD connector name>; None when absent there. A snapshot written before
    # it was collected has no such key at all: that is "not observed" (see `from_json`).
    export_filtering: int | None = prop("EnableNonExistentObjectReferenceExportFiltering", default=None)


@dataclass(frozen=True, slots=True)
class AadConnector:
    identifier: str = prop("Identifier")
    name: str = prop("Name")
    export_type: int = prop("ExportType")


@dataclass(frozen=True, slots=True)
class Scheduler:
    sync_cycle_enabled: bool | None = prop("SyncCycleEnabled")
    sync_cycle_in_progress: bool | None = prop("SyncCycleInProgress")
    staging_mode_enabled: bool | None = prop("StagingModeEnabled")
    scheduler_suspended: bool | None = prop("SchedulerSuspended")
    maintenance_enabled: bool | None = prop("MaintenanceEnabled")
    next_sync_cycle_policy_type: str | None = prop("NextSyncCyclePolicyType")
    allowed_sync_cycle_interval: str | None = prop("AllowedSyncCycleInterval")
    currently_effective_sync_cycle_interval: str | None = prop("CurrentlyEffectiveSyncCycleInterval")
    customized_sync_cycle_interval: str | None = prop("CustomizedSyncCycleInterval")


@dataclass(frozen=True, slots=True)
class ConnectorOverride:
    connector_name: str = prop("ConnectorName")
    full_import_required: bool = prop("FullImportRequired")
    full_sync_required: bool = prop("FullSyncRequired")


@dataclass(frozen=True, slots=True)
class ScopeCondition:
    attribute: str = prop("Attribute")
    comparison_operator: str = prop("ComparisonOperator")
    comparison_value: str = prop("ComparisonValue")


@dataclass(frozen=True, slots=True)
class ScopeConditionGroup:
    conditions: tuple[ScopeCondition, ...] = prop("ScopeConditionList")


@dataclass(frozen=True, slots=True)
class JoinCondition:
    cs_attribute: str = prop("CSAttribute")
    mv_attribute: str = prop("MVAttribute")
    case_sensitive: bool = prop("CaseSensitive")


@dataclass(frozen=True, slots=True)
class JoinConditionGroup:
    conditions: tuple[JoinCondition, ...] = prop("JoinConditionList")


@dataclass(frozen=True, slots=True)
class AttributeFlowMapping:
    source: tuple[str, ...] = prop("Source")
    destination: str = prop("Destination")
    flow_type: str = prop("FlowType")
    expression: str | None = prop("Expression")
    value_merge_type: str = prop("ValueMergeType", default="Update")
    execute_once: bool = prop("ExecuteOnce", default=False)


@dataclass(frozen=True, slots=True)
class SyncRule:
    identifier: str = prop("Identifier")
    name: str = prop("Name")
    version: int = prop("Version")
    direction: str = prop("Direction")
    precedence: int = prop("Precedence")
    disabled: bool = prop("Disabled")
    immutable_tag: str | None = prop("ImmutableTag")
    is_standard_rule: bool = prop("IsStandardRule")
    connector: str = prop("Connector")
    source_object_type: str = prop("SourceObjectType")
    target_object_type: str = prop("TargetObjectType")
    link_type: str = prop("LinkType")
    scope_filter: tuple[ScopeConditionGroup, ...] = prop("ScopeFilter")
    join_filter: tuple[JoinConditionGroup, ...] = prop("JoinFilter")
    attribute_flow_mappings: tuple[AttributeFlowMapping, ...] = prop("AttributeFlowMappings")

    @property
    def is_standard(self) -> bool:
        # Standard rules carry a Microsoft.* immutable tag (docs/domain.md#the-rules-that-carry-the-limit);
        # either marker counts.
        return self.is_standard_rule or (self.immutable_tag or "").startswith("Microsoft.")


@dataclass(frozen=True, slots=True)
class Group:
    name: str = prop("name")
    member_count: int = prop("memberCount")
    provisioned: bool = prop("provisioned")


@dataclass(frozen=True, slots=True)
class ExportError:
    type: str = prop("type")
    count: int = prop("count")
    message: str | None = prop("message", optional=True, default=None)

    @property
    def informational(self) -> bool:
        return self.type in INFORMATIONAL_ERRORS


@dataclass(frozen=True, slots=True)
class SyncCycleResult:
    result: str = prop("result")
    export_errors: tuple[ExportError, ...] = prop("exportErrors")
    kind: str | None = prop("kind", optional=True, default=None)
    # When the cycle ended (ISO 8601): a staged rollout steps again only after a cycle that ended
    # after its previous step. Snapshots written before it existed leave it out.
    ended_at: str | None = prop("endedAt", optional=True, default=None)

    @property
    def has_real_errors(self) -> bool:
        return any(not e.informational for e in self.export_errors)


@dataclass(frozen=True, slots=True)
class ObservedState:
    collected_at: str = prop("collectedAt")
    server: ServerInfo = prop("server")
    registry: Registry = prop("registry")
    aad_connector: AadConnector = prop("aadConnector")
    scheduler: Scheduler = prop("scheduler")
    connector_overrides: tuple[ConnectorOverride, ...] = prop("connectorOverrides")
    sync_rules: tuple[SyncRule, ...] = prop("syncRules")
    groups: tuple[Group, ...] | None = prop("groups", optional=True, default=None)
    last_sync_cycle: SyncCycleResult | None = prop("lastSyncCycle", optional=True, default=None)
    unobserved: tuple[str, ...] | None = prop("unobserved", optional=True, default=None)
    # The simulator's mark on its own file (servers/simulator/store.py); not part of what was observed.
    simulator: str | None = prop("simulator", optional=True, default=None)
    schema_version: int = prop("schemaVersion", default=SCHEMA_VERSION)

    def rule(self, identifier: str) -> SyncRule | None:
        wanted = identifier.strip("{}").lower()
        return next((r for r in self.sync_rules if r.identifier.lower() == wanted), None)

    def override_for(self, connector_name: str) -> ConnectorOverride | None:
        return next((o for o in self.connector_overrides if o.connector_name == connector_name), None)

    def replace(self, **changes: Any) -> ObservedState:
        return dataclasses.replace(self, **changes)


def to_json(state: ObservedState) -> dict[str, Any]:
    data = jsonmodel.to_json(state)
    # schemaVersion first, as in the examples; dicts keep insertion order.
    return {"schemaVersion": data.pop("schemaVersion"), **data}


# One line of JSON: a simulator file's groups, a fleet report's plans (plans.COMPACT), the digest's lines.
COMPACT = json.JSONEncoder(ensure_ascii=False).encode
STRING = json.encoder.encode_basestring  # what COMPACT writes for a str, without the call tree


def _group_line(group: Group) -> str:
    """A group as COMPACT writes its JSON, character for character, without a call per value."""
    provisioned = "true" if group.provisioned else "false"
    return f'{{"name": {STRING(group.name)}, "memberCount": {group.member_count}, "provisioned": {provisioned}}}'


def dumps(state: ObservedState) -> str:
    """Indented JSON, except one line per group: json's C encoder only runs without indent,
    and a tenant's groups indented would take many times longer to write."""
    return "".join(chunks(state))


# Groups written per piece of `chunks`: few writes, and never the whole file's text at once.
_GROUPS_PER_CHUNK = 2_000


def chunks(state: ObservedState) -> Iterator[str]:
    """`dumps`' text in pieces, for writing a large state without holding all of it in memory."""
    groups = state.groups
    if not groups:
        yield json.dumps(to_json(state), indent=2, ensure_ascii=False) + "\n"
        return
    data = to_json(state.replace(groups=()))  # the groups are written below, not as dicts first
    placeholder = f"groups-{os.urandom(16).hex()}"
    data["groups"] = placeholder
    head, tail = json.dumps(data, indent=2, ensure_ascii=False).split(json.dumps(placeholder), 1)
    yield head + "[\n    "
    for start in range(0, len(groups), _GROUPS_PER_CHUNK):
        lines = ",\n    ".join(map(_group_line, groups[start : start + _GROUPS_PER_CHUNK]))
        yield lines if start == 0 else ",\n    " + lines
    yield "\n  ]" + tail + "\n"


EXPORT_FILTERING_PATH = "registry.EnableNonExistentObjectReferenceExportFiltering"
# Unobserved parts a source may list: the scheduler's connector overrides and the groups' sizes.
OVERRIDES_PATH = "connectorOverrides"
GROUPS_PATH = "groups"


# The parts of a rule that real servers share (no identifier in them: docs/compare.md#remapping),
# each distinct one checked and built once, by the exact marshal of its JSON (1, 1.0 and True differ).
_PART_KEYS = ("ScopeFilter", "JoinFilter", "AttributeFlowMappings")
_PARTS: dict[tuple[str, bytes], tuple[Any, ...]] = {}
_PARTS_MAX = 4_096

_Check = Callable[[Any], bool]


@functools.cache
def _rule_reading() -> tuple[_Check, dict[str, tuple[_Check, Callable[[Any], Any]]]]:
    """The check of a rule whose parts are left to their own checks, and each part's check and builder."""
    items = schemas.schema(schemas.OBSERVED_STATE)["properties"]["syncRules"]["items"]
    # `_rules` reads each part of a rule that passed: the schema must require them all, and no other key.
    assert set(_PART_KEYS) <= set(items["required"]) and items["additionalProperties"] is False
    # Each part present, whatever its value: that is checked once per distinct part, below.
    rule = {**items, "properties": {k: {} if k in _PART_KEYS else v for k, v in items["properties"].items()}}
    loads = jsonmodel.loaders(SyncRule)
    parts = {key: (fastschema.compile_schema(items["properties"][key]), loads[key]) for key in _PART_KEYS}
    return fastschema.compile_schema(rule), parts


def _rules(items: list[Any]) -> tuple[SyncRule, ...] | None:
    """The rules, their shared parts built once; None if any is not valid (the slow path says why)."""
    check_rule, parts = _rule_reading()
    rules = []
    for item in items:
        if not check_rule(item):
            return None
        built = {}
        for key, (check, load) in parts.items():
            value = item[key]
            try:
                cache_key = (key, marshal.dumps(value, 2))
            except ValueError:  # not plain JSON data (a str subclass, say): the slow path reads it
                return None
            part = _PARTS.get(cache_key)
            if part is None:
                if not check(value):
                    return None
                if len(_PARTS) >= _PARTS_MAX:
                    _PARTS.clear()
                part = _PARTS[cache_key] = load(value)
            built[key] = part
        rules.append(jsonmodel.from_json(SyncRule, item, built))
    return tuple(rules)


def from_json(data: Any, source: str) -> ObservedState:
    """Check `data` against the observed-state schema and build the model; UserError lists every problem."""
    if isinstance(data, dict) and isinstance(data.get("syncRules"), list):
        rules = _rules(data["syncRules"])
        rest = {**data, "syncRules": []}
        if rules is not None and schemas.is_valid(rest, schemas.OBSERVED_STATE):
            return _noted(jsonmodel.from_json(ObservedState, rest).replace(sync_rules=rules), data)
    problems = schemas.check_data(data, schemas.OBSERVED_STATE, source)
    if problems:
        raise UserError(problems)
    return _noted(jsonmodel.from_json(ObservedState, data), data)


def _noted(state: ObservedState, data: dict[str, Any]) -> ObservedState:
    if "EnableNonExistentObjectReferenceExportFiltering" not in data["registry"]:
        # Snapshots from before the value was collected still load; the plan says it was not seen.
        seen_missing = state.unobserved or ()
        if EXPORT_FILTERING_PATH not in seen_missing:
            state = state.replace(unobserved=(*seen_missing, EXPORT_FILTERING_PATH))
    return state


def loads(text: str, source: str) -> ObservedState:
    return from_json(jsontext.loads(text, source), source)


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: one text per value, for digests and comparisons."""
    return _CANONICAL_JSON(value)


# What json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False) writes,
# without making an encoder for each call.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


# Each shared part's JSON, for the digest, by the part's identity (a fleet's rules share them: _PARTS).
_PART_TEXTS: ByIdentity[tuple[Any, ...], bytes] = ByIdentity(most=_PARTS_MAX)
# A rule's parts and its other fields, each a plain JSON value as the model holds it, by attribute.
_PART_FIELDS = tuple(f.name for f in dataclasses.fields(SyncRule) if f.metadata["json"] in _PART_KEYS)
_RULE_FIELDS = tuple((name, key) for name, key in jsonmodel.plain_fields(SyncRule) if key not in _PART_KEYS)
assert len(_RULE_FIELDS) + len(_PART_FIELDS) == len(dataclasses.fields(SyncRule)), "a rule field the digest would miss"


def _part_text(part: tuple[Any, ...]) -> bytes:
    text = _PART_TEXTS.get(part)
    if text is None:
        text = _PART_TEXTS.put(part, COMPACT([jsonmodel.to_json(item) for item in part]).encode("utf-8"))
    return text


def digest(state: ObservedState) -> str:
    """A stable fingerprint of what was observed (collection time excluded): lines of JSON, whose
    keys the model writes in a fixed order. The state without its rules; every rule without its
    parts; then each rule's scope filter, join filter and flows."""
    rest = to_json(state.replace(sync_rules=()))
    rest.pop("collectedAt", None)
    rest.pop("simulator", None)
    others = [{key: getattr(rule, name) for name, key in _RULE_FIELDS} for rule in state.sync_rules]
    lines = [COMPACT(rest).encode("utf-8"), COMPACT(others).encode("utf-8")]
    for rule in state.sync_rules:
        lines.extend(_part_text(getattr(rule, name)) for name in _PART_FIELDS)
    return "sha256:" + hashlib.sha256(b"\n".join(lines)).hexdigest()
