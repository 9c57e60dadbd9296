"""Two servers side by side (`reconciler compare`, docs/compare.md): what differs, and what only looks so.

Made from two observed states alone, so any two targets compare: an active and a staging server, a
server before and after an upgrade, last month's snapshot and today's. Each difference is one of:

    managed   a managed setting (reconciler.planning.views.ManagedSettings) differs: exit 2
    other     a real difference the state files do not manage (a rule, the scheduler, the build)
    noise     an upgrade's own doing (docs/domain.md#upgrades): a standard rule's tag generation,
              standard precedences renumbered in the same order, a standard rule's flows or the
              rule itself added or changed by a different build

Rules are matched, not compared by identifier: the AAD connector by its fixed identifier, every
other connector through the standard rules the two servers share (each standard rule belongs to
the same connector on both), standard rules by their tag without its generation, custom rules by
direction, connector and name. So a staging server's own GUIDs and an upgrade's new rule objects
are remapped, never reported.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.model import inforce, syncrules
from reconciler.model.observed import ObservedState, SyncRule
from reconciler.planning import views

MANAGED, OTHER, NOISE = "managed", "other", "noise"
KINDS = (MANAGED, OTHER, NOISE)
# Why a difference is noise (docs/compare.md#what-is-compared).
TAG_GENERATION = "tag generation"
RENUMBERED = "standard precedences renumbered"
BUILD = "a different build's standard rule"
# Scheduler values that say what the server is doing now, not how it is set.
_TRANSIENT = frozenset(
    {"sync_cycle_in_progress", "next_sync_cycle_policy_type", "currently_effective_sync_cycle_interval"}
)
_SCHEDULER_NAMES = {
    "sync_cycle_enabled": "SyncCycleEnabled",
    "staging_mode_enabled": "StagingModeEnabled",
    "scheduler_suspended": "SchedulerSuspended",
    "maintenance_enabled": "MaintenanceEnabled",
    "allowed_sync_cycle_interval": "AllowedSyncCycleInterval",
    "customized_sync_cycle_interval": "CustomizedSyncCycleInterval",
}
AAD = "AAD connector"


@dataclass(frozen=True, slots=True)
class Difference:
    kind: str  # managed | other | noise
    path: str  # a managed setting's path, or what differs in words (`rule '…' [tag]: precedence`)
    left: Any
    right: Any
    why: str = ""  # for noise: which of the upgrade's doings it is


@dataclass(frozen=True, slots=True)
class Comparison:
    left: ObservedState
    right: ObservedState
    differences: tuple[Difference, ...]
    connectors: tuple[tuple[str, str, str], ...]  # (connector, left, right): names and identifiers remapped
    matched_rules: int  # rules found on both sides
    remapped_rules: int  # of them, with another identifier on the right
    unobserved: tuple[str, ...]  # managed settings one side could not observe: not compared

    def of(self, kind: str) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.kind == kind)

    @property
    def differs(self) -> bool:
        """They differ in what the state files manage."""
        return any(d.kind == MANAGED for d in self.differences)


def compare(left: ObservedState, right: ObservedState, clone_names: Mapping[str, str] | None = None) -> Comparison:
    """`clone_names` names each limit family's managed clone (by family key), as a state file does."""
    managed, unobserved = _managed(left, right, clone_names)
    clones = _clone_ids(left, clone_names) | _clone_ids(right, clone_names)
    connectors = _connector_map(left, right)
    rules, matched, remapped = _rules(left, right, connectors, clones)
    named = [(AAD, _aad_label(left), _aad_label(right))]
    named += [(f"connector {i}", a, b) for i, (a, b) in enumerate(sorted(connectors.items()), 1) if a != _aad(left)]
    return Comparison(
        left=left,
        right=right,
        differences=(*managed, *_server(left, right), *_overrides(left, right), *rules),
        connectors=tuple((n, a, b) for n, a, b in named),
        matched_rules=matched,
        remapped_rules=remapped,
        unobserved=unobserved,
    )


def _aad_label(state: ObservedState) -> str:
    return f"{state.aad_connector.name} ({state.aad_connector.identifier})"


def _flat(view: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in view.items():
        if isinstance(value, dict) and key not in ("managedRule", "writeupManagedRule"):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _managed(
    left: ObservedState, right: ObservedState, names: Mapping[str, str] | None
) -> tuple[list[Difference], tuple[str, ...]]:
    views_of = [_flat(views.observed(s, inforce.read(s, names)).as_dict()) for s in (left, right)]
    a, b = views_of
    unobserved = tuple(sorted(set(views.unobserved(left)) | set(views.unobserved(right))))
    found = []
    for path in sorted(a.keys() | b.keys()):
        if path in unobserved or path not in a or path not in b:
            continue
        if a[path] != b[path]:
            found.append(Difference(MANAGED, path, a[path], b[path]))
    return found, unobserved


def _clone_ids(state: ObservedState, names: Mapping[str, str] | None) -> frozenset[str]:
    return frozenset(r.identifier for f in inforce.read(state, names).families for r in f.clones)


def _server(left: ObservedState, right: ObservedState) -> list[Difference]:
    found = []
    for path, a, b in (
        ("server.version", left.server.version, right.server.version),
        ("server.cloud", left.server.cloud, right.server.cloud),
        (
            "server.tenantHasVerifiedDomain",
            left.server.tenant_has_verified_domain,
            right.server.tenant_has_verified_domain,
        ),
    ):
        if a != b:
            found.append(Difference(OTHER, path, a, b))
    for field, name in _SCHEDULER_NAMES.items():
        if field == "sync_cycle_enabled":
            continue  # a managed setting
        a, b = getattr(left.scheduler, field), getattr(right.scheduler, field)
        if a != b and a is not None and b is not None:
            found.append(Difference(OTHER, f"scheduler.{name}", a, b))
    return found


def _overrides(left: ObservedState, right: ObservedState) -> list[Difference]:
    """The AAD connector's full import and full sync flags, its name remapped."""
    found: list[Difference] = []
    a = left.override_for(left.aad_connector.name)
    b = right.override_for(right.aad_connector.name)
    if a is None or b is None:
        return found
    for path, x, y in (
        ("AAD connector override FullImportRequired", a.full_import_required, b.full_import_required),
        ("AAD connector override FullSyncRequired", a.full_sync_required, b.full_sync_required),
    ):
        if x != y:
            found.append(Difference(OTHER, path, x, y))
    return found


def tag_family(tag: str | None) -> str | None:
    """A standard rule's tag without its generation (`Microsoft.OuttoAADGroupJoin.006` → `…GroupJoin`):
    what ADSync's ImmutableTag calls VersionAgnosticTag."""
    if not tag:
        return None
    family, _, generation = tag.rpartition(".")
    return family if family and generation.isdigit() else tag


def _standard_key(rule: SyncRule) -> str:
    return tag_family(rule.immutable_tag) or f"name:{rule.name}"


def _connector_map(left: ObservedState, right: ObservedState) -> dict[str, str]:
    """Each left connector's identifier on the right: the AAD connector's own, the others by the
    connector their shared standard rules sit on (the most common pairing wins)."""
    mapping = {_aad(left): _aad(right)}
    right_standard = {_standard_key(r): r for r in right.sync_rules if r.is_standard}
    votes: dict[str, collections.Counter[str]] = {}
    for rule in left.sync_rules:
        other = right_standard.get(_standard_key(rule)) if rule.is_standard else None
        if other is not None and _id(rule.connector) != _aad(left):
            votes.setdefault(_id(rule.connector), collections.Counter())[_id(other.connector)] += 1
    for connector, counted in votes.items():
        mapping[connector] = counted.most_common(1)[0][0]
    return mapping


def _aad(state: ObservedState) -> str:
    return _id(state.aad_connector.identifier)


def _id(identifier: str) -> str:
    return identifier.strip("{}").lower()


def _keyed(rules: Iterable[SyncRule], connectors: Mapping[str, str] | None) -> dict[tuple[str, ...], SyncRule]:
    """Rules by what they are: a standard rule by its tag family, a custom one by direction,
    connector (in the right server's identifiers) and name, with a number for extra copies."""
    keyed: dict[tuple[str, ...], SyncRule] = {}
    for rule in sorted(rules, key=lambda r: (r.precedence, r.identifier)):
        if rule.is_standard:
            key: tuple[str, ...] = ("standard", _standard_key(rule))
        else:
            connector = _id(rule.connector)
            if connectors is not None:
                connector = connectors.get(connector, connector)
            key = ("custom", rule.direction, connector, rule.name)
        copy = 1
        while (*key, str(copy)) in keyed:
            copy += 1
        keyed[(*key, str(copy))] = rule
    return keyed


def _label(rule: SyncRule) -> str:
    tag = tag_family(rule.immutable_tag)
    return f"rule '{rule.name}'" + (f" [{tag}]" if rule.is_standard and tag else f" ({rule.direction.lower()})")


def _rules(
    left: ObservedState, right: ObservedState, connectors: Mapping[str, str], clones: frozenset[str]
) -> tuple[list[Difference], int, int]:
    a, b = _keyed(left.sync_rules, connectors), _keyed(right.sync_rules, None)
    builds_differ = left.server.version != right.server.version
    found: list[Difference] = []
    for key in sorted(a.keys() - b.keys()):
        found.append(_alone(a[key], "left", builds_differ, right.server.version))
    for key in sorted(b.keys() - a.keys()):
        found.append(_alone(b[key], "right", builds_differ, left.server.version))
    both = sorted(a.keys() & b.keys(), key=lambda k: (a[k].precedence, k))
    same_order = _standard_order(both, a) == _standard_order(sorted(both, key=lambda k: (b[k].precedence, k)), b)
    context = _Context(connectors, builds_differ, same_order, clones)
    for key in both:
        found += _rule_differences(a[key], b[key], context)
    remapped = sum(1 for k in both if _id(a[k].identifier) != _id(b[k].identifier))
    return found, len(both), remapped


def _standard_order(keys: list[tuple[str, ...]], rules: Mapping[tuple[str, ...], SyncRule]) -> list[tuple[str, ...]]:
    return [k for k in keys if rules[k].is_standard]


def _alone(rule: SyncRule, side: str, builds_differ: bool, other_version: str) -> Difference:
    """A rule on one side only: its state on that side, None (absent) on the other."""
    said = f"{'disabled' if rule.disabled else 'enabled'}, precedence {rule.precedence}"
    left, right = (said, None) if side == "left" else (None, said)
    if rule.is_standard and builds_differ:
        why = f"{BUILD}: build {other_version} has no such standard rule"
        return Difference(NOISE, _label(rule), left, right, why=why)
    return Difference(OTHER, _label(rule), left, right)


def _flows(rule: SyncRule, managed: bool) -> dict[str, Any]:
    flows: dict[str, Any] = {}
    for m in rule.attribute_flow_mappings:
        expression = m.expression
        if managed and m.destination == syncrules.MEMBER_ATTRIBUTE:
            expression = "(the member limit: a managed setting)"
        value: dict[str, Any] = {"source": list(m.source), "type": m.flow_type, "expression": expression}
        if m.value_merge_type != "Update" or m.execute_once:
            value |= {"merge": m.value_merge_type, "executeOnce": m.execute_once}
        flows.setdefault(m.destination, []).append(value)
    return flows


def _scope(rule: SyncRule, managed: bool) -> list[list[str]]:
    def said(c: Any) -> str:
        value = c.comparison_value
        if managed and c.attribute == syncrules.COUNT_ATTRIBUTE:
            value = "(the member limit)"
        return f"{c.attribute} {c.comparison_operator} {value}".rstrip()

    return [[said(c) for c in group.conditions] for group in rule.scope_filter]


@dataclass(frozen=True, slots=True)
class _Context:
    """What judging one pair of rules needs to know about the two servers."""

    connectors: Mapping[str, str]
    builds_differ: bool
    same_order: bool  # the standard rules both have are in the same order of precedence
    clones: frozenset[str]  # identifiers of the managed clones, on either side


def _rule_differences(a: SyncRule, b: SyncRule, context: _Context) -> list[Difference]:
    label = _label(a)
    found: list[Difference] = []
    # What a managed setting shows already: the limit families' member limits, the standard
    # rules' enabled state and the clones' precedence and enabled state.
    family = syncrules.standard_family(a) is not None and a.is_standard
    connectors, builds_differ, same_order = context.connectors, context.builds_differ, context.same_order
    clone = a.identifier in context.clones or b.identifier in context.clones
    managed = family or clone
    standard = a.is_standard and b.is_standard

    def build_or_other(path: str, x: Any, y: Any) -> None:
        if standard and builds_differ:
            found.append(Difference(NOISE, path, x, y, why=BUILD))
        else:
            found.append(Difference(OTHER, path, x, y))

    if a.disabled != b.disabled and not managed:
        found.append(Difference(OTHER, f"{label}: disabled", a.disabled, b.disabled))
    if a.precedence != b.precedence and not clone:
        if standard and same_order:
            found.append(Difference(NOISE, f"{label}: precedence", a.precedence, b.precedence, why=RENUMBERED))
        else:
            found.append(Difference(OTHER, f"{label}: precedence", a.precedence, b.precedence))
    if standard and a.immutable_tag != b.immutable_tag:
        found.append(Difference(NOISE, f"{label}: tag", a.immutable_tag, b.immutable_tag, why=TAG_GENERATION))
    if connectors.get(_id(a.connector), _id(a.connector)) != _id(b.connector):
        found.append(Difference(OTHER, f"{label}: connector", a.connector, b.connector))
    for field in ("source_object_type", "target_object_type", "link_type"):
        x, y = getattr(a, field), getattr(b, field)
        if x != y:
            build_or_other(f"{label}: {field.replace('_', ' ')}", x, y)
    scope_a, scope_b = _scope(a, managed), _scope(b, managed)
    if scope_a != scope_b:
        build_or_other(f"{label}: scope", scope_a, scope_b)
    join_a = [[f"{c.cs_attribute} = {c.mv_attribute}" for c in g.conditions] for g in a.join_filter]
    join_b = [[f"{c.cs_attribute} = {c.mv_attribute}" for c in g.conditions] for g in b.join_filter]
    if join_a != join_b:
        build_or_other(f"{label}: join", join_a, join_b)
    flows_a, flows_b = _flows(a, managed), _flows(b, managed)
    for destination in sorted(flows_a.keys() | flows_b.keys()):
        x, y = flows_a.get(destination), flows_b.get(destination)
        if x != y:
            build_or_other(f"{label}: flow to {destination}", x, y)
    return found


def noise_summary(differences: Iterable[Difference]) -> list[tuple[str, int]]:
    """How many differences each of the upgrade's doings explains, most first."""
    counted = collections.Counter(d.why.split(":", 1)[0] for d in differences if d.kind == NOISE)
    return sorted(counted.items(), key=lambda item: (-item[1], item[0]))
