"""The sync rules that carry the group member limit, found and read robustly.

The limit lives in the standard `Out to AAD - Group Join` rule (a `member` flow expression and
a `memberCount LESSTHAN N` scope condition) or in a managed clone of it; the
effective limit is the one of the enabled outbound group rule on the AAD connector with the
lowest precedence number that flows `member` (docs/domain.md#the-rules-that-carry-the-limit).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from reconciler.errors import UserError
from reconciler.formats.memo import ByIdentity
from reconciler.model import expressions, facts, limitrules
from reconciler.model.expressions import ExpressionError
from reconciler.model.limitrules import LimitRule
from reconciler.model.observed import ObservedState, ScopeCondition, ScopeConditionGroup, SyncRule

MEMBER_ATTRIBUTE = "member"
COUNT_ATTRIBUTE = "memberCount"
PROVISION = "Provision"  # the link type of a rule that creates the object in Entra ID where none joins
SCOPE_OPERATOR = "LESSTHAN"


@dataclass(frozen=True, slots=True)
class RuleLimit:
    """The limit as a rule states it: in its member flow and in its memberCount scope conditions."""

    flow: int | None
    scope: tuple[int, ...]

    @property
    def consistent(self) -> bool:
        return all(s == self.flow for s in self.scope)


def standard_family(rule: SyncRule) -> LimitRule | None:
    """The limit-carrying standard rule this is: by immutable tag, or by name on a standard rule.

    A rule that merely carries a standard rule's name is not one: the Rules Editor's editable
    copy keeps the name and drops the tag."""
    family = limitrules.family_of_tag(rule.immutable_tag)
    if family is not None:
        return family
    return limitrules.family_named(rule.name) if rule.is_standard else None


def is_group_join_standard(rule: SyncRule) -> bool:
    return standard_family(rule) is limitrules.GROUP_JOIN


def is_outbound_group_rule(rule: SyncRule) -> bool:
    # The cheap comparisons first: most of a server's 60-odd rules are not group rules at all.
    return (
        rule.target_object_type == "group"
        and rule.source_object_type == "group"
        and rule.direction == "Outbound"
        and rule.connector.strip("{}").lower() == facts.AAD_CONNECTOR_ID
    )


def flows_member(rule: SyncRule) -> bool:
    return any(m.destination == MEMBER_ATTRIBUTE for m in rule.attribute_flow_mappings)


@dataclass(frozen=True, slots=True)
class _Scan:
    """What planning asks of a server's rules again and again, found in one pass over them."""

    standards: dict[LimitRule, list[SyncRule]]  # the standard rules of each limit family
    custom_outbound: dict[str, list[SyncRule]]  # custom outbound group rules of the AAD connector, by name
    candidates: tuple[SyncRule, ...]  # enabled outbound group rules of the AAD connector that flow member
    provisioning: tuple[SyncRule, ...]  # enabled outbound group rules of the AAD connector that provision


# By the identity of the (immutable) tuple: a plan asks about the same server's rules a dozen
# times; the copies a plan makes of a state share its tuple.
_SCANS: ByIdentity[tuple[SyncRule, ...], _Scan] = ByIdentity(most=16)


def _scan(rules: tuple[SyncRule, ...]) -> _Scan:
    held = _SCANS.get(rules)
    if held is not None:
        return held
    standards: dict[LimitRule, list[SyncRule]] = {}
    custom: dict[str, list[SyncRule]] = {}
    candidates, provisioning = [], []
    for r in rules:
        kind = _kind(r)
        if kind is _NO_KIND:  # most rules
            continue
        family, custom_outbound, candidate, provisions = kind
        if family is not None:
            standards.setdefault(family, []).append(r)
        if custom_outbound:
            custom.setdefault(r.name, []).append(r)
        if candidate:
            candidates.append(r)
        if provisions:
            provisioning.append(r)
    return _SCANS.put(rules, _Scan(standards, custom, tuple(candidates), tuple(provisioning)))


_Kind = tuple[LimitRule | None, bool, bool, bool]


_NO_KIND: _Kind = (None, False, False, False)


def _kind(r: SyncRule) -> _Kind:
    """What `_scan` asks of one rule: its limit family (a standard rule's), whether it is a custom
    outbound group rule of the AAD connector, an enabled one that flows member, an enabled one that
    provisions."""
    # Every limit-carrying rule is an outbound group rule: the cheap test first.
    family = standard_family(r) if r.target_object_type == "group" and r.direction == "Outbound" else None
    outbound = is_outbound_group_rule(r)
    kind = (
        family,
        outbound and not r.is_standard,
        outbound and not r.disabled and flows_member(r),
        outbound and not r.disabled and r.link_type == PROVISION,
    )
    return _NO_KIND if kind == _NO_KIND else kind


def standard_rule(state: ObservedState, family: LimitRule) -> SyncRule | None:
    found = _scan(state.sync_rules).standards.get(family, [])
    if len(found) > 1:
        names = ", ".join(f"{r.name} ({r.identifier})" for r in found)
        raise UserError(f"{state.server.name}: more than one standard '{family.name}' rule: {names}")
    return found[0] if found else None


def standard_group_join(state: ObservedState) -> SyncRule | None:
    return standard_rule(state, limitrules.GROUP_JOIN)


def managed_clones(state: ObservedState, name: str) -> list[SyncRule]:
    """The custom outbound group rules of the AAD connector with that name (normally one; more only
    after a run died half-way). Never a standard rule, whatever its name."""
    return list(_scan(state.sync_rules).custom_outbound.get(name, ()))


def custom_outbound_rules(state: ObservedState) -> list[SyncRule]:
    """Every custom (not standard) outbound group rule of the AAD connector, whatever its name."""
    return [r for rules in _scan(state.sync_rules).custom_outbound.values() for r in rules]


def rule_limit(rule: SyncRule) -> RuleLimit:
    """The limit a rule carries; UserError naming the rule when it cannot be understood."""
    flows = [m for m in rule.attribute_flow_mappings if m.destination == MEMBER_ATTRIBUTE]
    flow: int | None = None
    try:
        if len(flows) > 1:
            raise ExpressionError("more than one flow to member")
        # A Direct or Constant flow to member carries no limit.
        if flows and flows[0].flow_type == "Expression":
            if flows[0].expression is None:
                raise ExpressionError("an Expression flow to member without an expression")
            flow = expressions.member_limit(flows[0].expression)
        conditions = [c for g in rule.scope_filter for c in g.conditions if c.attribute == COUNT_ATTRIBUTE]
        scope = tuple(_scope_value(c) for c in conditions)
    except ExpressionError as exc:
        where = f"sync rule '{rule.name}' ({rule.identifier})"
        raise UserError(f"{where}: cannot understand its member limit: {exc}") from None
    return RuleLimit(flow, scope)


def _scope_value(condition: ScopeCondition) -> int:
    if condition.comparison_operator != SCOPE_OPERATOR:
        raise ExpressionError(f"scope condition memberCount {condition.comparison_operator} is not a limit")
    value = condition.comparison_value.strip()
    if not value.isdigit():
        raise ExpressionError(f"scope condition memberCount LESSTHAN {condition.comparison_value!r} is not a number")
    return int(value)


def limit_candidates(state: ObservedState) -> list[SyncRule]:
    """Enabled outbound group→group rules on AAD that flow member."""
    return list(_scan(state.sync_rules).candidates)


def provisioning_rules(state: ObservedState) -> list[SyncRule]:
    """Enabled outbound group rules on AAD that provision (Group Join and its clones)."""
    return list(_scan(state.sync_rules).provisioning)


def limit_rule(state: ObservedState) -> SyncRule | None:
    """The rule whose limit is in force: the lowest limit among the enabled rules that carry one.

    Each such rule's member flow is IIF(count > N, Error(...), IgnoreThisFlow): below its limit it
    steps aside for the next rule, above it it fails, so every one of them is applied
    (docs/domain.md#the-rules-that-carry-the-limit). Ties go to the lower precedence number."""
    carrying = [(rule_limit(r).flow, r.precedence, r) for r in limit_candidates(state)]
    found = [(flow, precedence, r) for flow, precedence, r in carrying if flow is not None]
    return min(found, key=lambda item: item[:2])[2] if found else None


def effective_limit(state: ObservedState) -> int | None:
    rule = limit_rule(state)
    return None if rule is None else rule_limit(rule).flow


def with_limit(rule: SyncRule, limit: int) -> SyncRule:
    """The rule carrying `limit` in its member flow and every memberCount scope condition."""
    mappings = tuple(
        dataclasses.replace(m, expression=expressions.with_member_limit(m.expression, limit))
        if m.destination == MEMBER_ATTRIBUTE and m.expression is not None
        else m
        for m in rule.attribute_flow_mappings
    )
    scope = tuple(
        ScopeConditionGroup(
            tuple(
                dataclasses.replace(c, comparison_value=str(limit)) if c.attribute == COUNT_ATTRIBUTE else c
                for c in group.conditions
            )
        )
        for group in rule.scope_filter
    )
    return dataclasses.replace(rule, attribute_flow_mappings=mappings, scope_filter=scope)


def clone_identifier(server: str, name: str) -> str:
    """A stable identifier for a managed clone, so a re-run never makes a second one."""
    import uuid  # noqa: PLC0415 - only for a new clone; its import (with platform's) costs every start-up

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"adsync-reconciler:{server}:{name}"))


def make_clone(standard: SyncRule, *, server: str, name: str, precedence: int, limit: int) -> SyncRule:
    """An editable copy of the standard rule with its own name, precedence and limit."""
    clone = dataclasses.replace(
        standard,
        identifier=clone_identifier(server, name),
        name=name,
        version=1,
        precedence=precedence,
        disabled=False,
        immutable_tag=None,
        is_standard_rule=False,
    )
    return with_limit(clone, limit)
