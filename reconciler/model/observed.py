"""The observed state of a server (docs/observed-state.md): one immutable model whatever the source.

Every reader (simulator, snapshot, export, live server) produces an `ObservedState`; the JSON
form is the snapshot format and the simulator's file, checked by
`schemas/observed-state.schema.json`.
"""

from __future__ import annotations

import functools
import json
import marshal
import os
from collections.abc import Callable, Iterable, Iterator

from reconciler import digests, records, rulestext
from reconciler.errors import UserError
from reconciler.formats import fastschema, jsonmodel, jsontext, schemas
from reconciler.formats.jsonmodel import prop
from reconciler.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 1
# Real status strings of a run profile (Synchronization Service Manager).
INFORMATIONAL_ERRORS = frozenset({"dn-attributes-failure"})  # V2 page: event 6949, informational only


@record
class ServerInfo:
    name: str = prop("name")
    version: str = prop("version")
    cloud: str = prop("cloud")
    tenant_has_verified_domain: bool | None = prop("tenantHasVerifiedDomain")


@record
class Registry:
    export_api_version: int | None = prop("AadConnectorExportApiVersion")
    import_api_version: int | None = prop("AadConnectorImportApiVersion")
    # Under PerMAInstance\<AAD connector name>; None when absent there. A snapshot written before
    # it was collected has no such key at all: that is "not observed" (see `from_json`).
    export_filtering: int | None = prop("EnableNonExistentObjectReferenceExportFiltering", default=None)


@record
class AadConnector:
    identifier: str = prop("Identifier")
    name: str = prop("Name")
    export_type: int = prop("ExportType")


@record
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


@record
class ConnectorOverride:
    connector_name: str = prop("ConnectorName")
    full_import_required: bool = prop("FullImportRequired")
    full_sync_required: bool = prop("FullSyncRequired")


@record
class ScopeCondition:
    attribute: str = prop("Attribute")
    comparison_operator: str = prop("ComparisonOperator")
    comparison_value: str = prop("ComparisonValue")


@record
class ScopeConditionGroup:
    conditions: tuple[ScopeCondition, ...] = prop("ScopeConditionList")


@record
class JoinCondition:
    cs_attribute: str = prop("CSAttribute")
    mv_attribute: str = prop("MVAttribute")
    case_sensitive: bool = prop("CaseSensitive")


@record
class JoinConditionGroup:
    conditions: tuple[JoinCondition, ...] = prop("JoinConditionList")


@record
class AttributeFlowMapping:
    source: tuple[str, ...] = prop("Source")
    destination: str = prop("Destination")
    flow_type: str = prop("FlowType")
    expression: str | None = prop("Expression")
    value_merge_type: str = prop("ValueMergeType", default="Update")
    execute_once: bool = prop("ExecuteOnce", default=False)


@record
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


@record
class Group:
    name: str = prop("name")
    member_count: int = prop("memberCount")
    provisioned: bool = prop("provisioned")


@record
class ExportError:
    type: str = prop("type")
    count: int = prop("count")
    message: str | None = prop("message", optional=True, default=None)

    @property
    def informational(self) -> bool:
        return self.type in INFORMATIONAL_ERRORS


@record
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


@record
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
    schema_version: int = prop("schemaVersion", default=SCHEMA_VERSION)

    def rule(self, identifier: str) -> SyncRule | None:
        wanted = identifier.strip("{}").lower()
        return next((r for r in self.sync_rules if r.identifier.lower() == wanted), None)

    def override_for(self, connector_name: str) -> ConnectorOverride | None:
        return next((o for o in self.connector_overrides if o.connector_name == connector_name), None)

    def replace(self, **changes: Any) -> ObservedState:
        return records.replace(self, **changes)


def to_json(state: ObservedState) -> dict[str, Any]:
    data = jsonmodel.to_json(state)
    # schemaVersion first, as in the examples; dicts keep insertion order.
    return {"schemaVersion": data.pop("schemaVersion"), **data}


# One line of JSON: a simulator file's groups, and a fleet report's plans (plans.COMPACT).
COMPACT = json.JSONEncoder(ensure_ascii=False).encode
STRING = json.encoder.encode_basestring  # what COMPACT writes for a str, without the call tree


def _group_line(group: Group) -> str:
    """A group as COMPACT writes its JSON, character for character, at a third of the cost."""
    provisioned = "true" if group.provisioned else "false"
    return f'{{"name": {STRING(group.name)}, "memberCount": {group.member_count}, "provisioned": {provisioned}}}'


def dumps(state: ObservedState) -> str:
    """Indented JSON, except one line per group: json's C encoder only runs without indent,
    and a tenant's 100,000 groups indented take 1.7 s to write instead of 0.1 s."""
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


# A fleet's snapshots carry the same standard rules again and again: each distinct rule (by the
# marshal of its JSON, which is exact: 1, 1.0 and True differ; version 2 writes no references, so
# equal content gives equal bytes; three times as fast as repr) is checked and built once, and every
# snapshot holding it shares the one immutable SyncRule.
_RULES: dict[bytes, SyncRule] = {}
_RULES_MAX = 4_096


@functools.cache
def _rule_check() -> Callable[[Any], bool]:
    return fastschema.compile_schema(schemas.schema(schemas.OBSERVED_STATE)["properties"]["syncRules"]["items"])


def _interned_rules(items: list[Any]) -> tuple[SyncRule, ...] | None:
    """The rules, built once per distinct rule; None if any is not valid (the slow path reports it)."""
    built = []
    for item in items:
        key = marshal.dumps(item, 2)
        rule = _RULES.get(key)
        if rule is None:
            if not _rule_check()(item):
                return None
            if len(_RULES) >= _RULES_MAX:
                _RULES.clear()
            rule = _RULES[key] = jsonmodel.from_json(SyncRule, item)
        built.append(rule)
    return tuple(built)


EXPORT_FILTERING_PATH = "registry.EnableNonExistentObjectReferenceExportFiltering"


def from_json(data: Any, source: str) -> ObservedState:
    """Check `data` against the observed-state schema and build the model; UserError lists every problem."""
    if isinstance(data, dict) and isinstance(data.get("syncRules"), list):
        state = _with_rules(data, _interned_rules(data["syncRules"]))
        if state is not None:
            return state
    problems = schemas.check_data(data, schemas.OBSERVED_STATE, source)
    if problems:
        raise UserError(problems)
    return _noted(jsonmodel.from_json(ObservedState, data), data)


def _with_rules(data: dict[str, Any], rules: tuple[SyncRule, ...] | None) -> ObservedState | None:
    """The model of a document whose rules are built already; None if anything is not valid
    (the slow path then says what)."""
    rest = {**data, "syncRules": []}
    if rules is None or not schemas.is_valid(rest, schemas.OBSERVED_STATE):
        return None
    return _noted(jsonmodel.from_json(ObservedState, rest).replace(sync_rules=rules), data)


def _noted(state: ObservedState, data: dict[str, Any]) -> ObservedState:
    if "EnableNonExistentObjectReferenceExportFiltering" not in data["registry"]:
        # Snapshots from before the value was collected still load; the plan says it was not seen.
        seen_missing = state.unobserved or ()
        if EXPORT_FILTERING_PATH not in seen_missing:
            state = state.replace(unobserved=(*seen_missing, EXPORT_FILTERING_PATH))
    return state


def loads(text: str, source: str) -> ObservedState:
    found = rulestext.split(text, _KNOWN)
    if found is not None:
        state = _from_known_rules(found, source)
        if state is not None:
            return state
    state = from_json(jsontext.loads(text, source), source)
    if found is not None and len(found.rules) == len(state.sync_rules) and all(map(jsontext.one_object, found.rules)):
        # Each piece one whole object, as many as the rules: each piece is its rule, and the next
        # snapshot of the fleet finds them known.
        _remember(zip(found.rules, state.sync_rules, strict=True), found.layout)
    return state


# A rule's text read before is not parsed again (see rulestext): by the text itself, which the
# rule it was read into answers exactly.
_RULE_TEXTS: dict[str, SyncRule] = {}
_RULE_TEXTS_MAX = 1_024  # a server's own clone is text no other server has: kept briefly
_KNOWN = rulestext.Known()  # the same texts, for rulestext.split to recognise in place


# A document with more new rules than this is read whole (a single plan, a fleet's first
# server): one parse of it all costs less than parsing rule by rule.
_NEW_RULES_APART = 4


def _remember(pairs: Iterable[tuple[str, SyncRule]], layout: str) -> None:
    for piece, rule in pairs:
        if len(_RULE_TEXTS) >= _RULE_TEXTS_MAX:
            _RULE_TEXTS.clear()
            _KNOWN.clear()
        _RULE_TEXTS[piece] = rule
        _KNOWN.add(piece, layout)


def _from_known_rules(found: rulestext.Split, source: str) -> ObservedState | None:
    known = [_RULE_TEXTS.get(piece) or _variant(piece) for piece in found.rules]
    if sum(rule is None for rule in known) > _NEW_RULES_APART:
        return None
    rules = []
    for piece, kept in zip(found.rules, known, strict=True):
        rule = kept or _rule_from_text(piece)
        if rule is None:
            return None
        if kept is None:
            _remember([(piece, rule)], found.layout)
        rules.append(rule)
    try:
        data = jsontext.loads(found.rest, source)
    except UserError:
        return None
    if not isinstance(data, dict) or data.get("syncRules") != []:
        return None
    return _with_rules(data, tuple(rules))


def _variant(piece: str) -> SyncRule | None:
    """A rule known under another identifier (rulestext.Known.variant: a fleet's managed clones):
    that rule with this identifier, and its canonical text, which the digest hashes, made from the
    known rule's instead of serialising the whole rule again (a clone's parse and canonical
    text were 420 us of a fleet server's ~2 ms on the machines of issue 14)."""
    found = _KNOWN.variant(piece) if _RULE_TEXTS else None  # none for a run's first document
    known = None if found is None else _RULE_TEXTS.get(found[0])
    if found is None or known is None:
        return None
    identifier = found[1]
    rule = records.replace(known, identifier=identifier)
    around = records.memo(known, "_memo_around_identifier", _around_identifier)
    if around is not None:
        records.keep(rule, _CANONICAL, around[0] + identifier.encode("ascii") + around[1])
    return rule


def _around_identifier(rule: SyncRule) -> tuple[bytes, bytes] | None:
    """The rule's canonical text before and after its identifier, quotes included: a GUID is
    written as it is. None if the mark is not there exactly once (it then is computed)."""
    parts = _canonical_bytes(records.replace(rule, identifier="\x00")).split(b'"\\u0000"')
    return (parts[0] + b'"', b'"' + parts[1]) if len(parts) == 2 else None


def _rule_from_text(text: str) -> SyncRule | None:
    try:
        # Two levels above it in a snapshot: the document, and its syncRules array.
        item = jsontext.loads(text, "", max_depth=jsontext.MAX_DEPTH - 2)
    except UserError:
        return None
    if not isinstance(item, dict) or not _rule_check()(item):
        return None
    return jsonmodel.from_json(SyncRule, item)


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: one text per value, for digests and comparisons."""
    return _CANONICAL_JSON(value)


# What json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False) writes,
# without making an encoder for each call (two a plan).
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


# Each rule's canonical text is kept in the rule (as records.memo keeps a value; interned rules are
# serialised once): hashing a rule walks it all.
_CANONICAL = "_memo_canonical"


def _rule_bytes(rule: SyncRule) -> bytes:
    return records.memo(rule, _CANONICAL, _canonical_bytes)


def _canonical_bytes(rule: SyncRule) -> bytes:
    return canonical(jsonmodel.to_json(rule)).encode("utf-8")


def digest(state: ObservedState) -> str:
    """A stable fingerprint of what was observed (collection time excluded)."""
    rest = to_json(state.replace(sync_rules=()))
    rest.pop("collectedAt", None)
    # Each rule after a line break: one part for them all, not two a rule.
    # Kept texts read in line, without two calls a rule (sixty-odd rules a plan; the texts are
    # never empty, so `or` only computes a missing one).
    texts = [r.__dict__.get(_CANONICAL) or _rule_bytes(r) for r in state.sync_rules]
    rules = b"\n" + b"\n".join(texts) if texts else b""
    return "sha256:" + digests.sha256(canonical(rest).encode("utf-8"), rules).hex()
