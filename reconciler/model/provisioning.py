"""What a sync cycle does to each group, by the product's rule semantics (docs/domain.md#lower-limit-same-endpoint).

- A group not yet in Entra ID is provisioned when an enabled provisioning rule (Out to AAD - Group
  Join or its clone) has it in scope — `memberCount LESSTHAN N` is strict: a group of exactly N
  members is out of scope — and no limit-carrying rule's member flow fails for it.
- A provisioned group stays in scope through the `cloudAnchor ISNOTNULL` scope groups whatever its
  size. Above the limit in force its member flow fails ("Maximum Group member count exceeded") each
  cycle and its membership stops updating; it is not deleted.
- A provisioned group in scope of no enabled provisioning rule, or above what the endpoint can
  carry (50,000 after a switch back to V1), is deleted on the next full cycle.
- A staging server imports and synchronizes but exports nothing: it provisions and deletes nothing.

The simulator's sync cycle, the planner's impact and the executor's safety check (invariant 7 of
docs/plan.md#ordering-invariants) all ask this module, so they cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.model import inforce, syncrules
from reconciler.model.observed import Group, ObservedState, SyncRule


@dataclass(frozen=True, slots=True)
class CycleOutcome:
    provisioned: frozenset[str]  # provisioned after the cycle
    newly_provisioned: frozenset[str]
    deleted: frozenset[str]
    over_limit: frozenset[str]  # in scope, but their member flow fails


Scope = tuple[tuple[int | None, bool | None], ...] | None


def _scope(rule: SyncRule) -> Scope:
    """The rule's scope groups as (member count below which it holds, whether the group must already
    be in Entra ID): cloudAnchor ISNOTNULL means provisioned. Every other condition (security or
    mail enabled, not cloud-filtered, a source anchor) holds for the synced groups a server's
    observed state lists. None: the rule has no scope filter, so it takes every group."""
    if not rule.scope_filter:
        return None
    groups = []
    for group in rule.scope_filter:
        below: int | None = None
        anchored: bool | None = None
        for condition in group.conditions:
            if (
                condition.attribute == syncrules.COUNT_ATTRIBUTE
                and condition.comparison_operator == syncrules.SCOPE_OPERATOR
            ):
                value = condition.comparison_value.strip()
                limit = int(value) if value.isdigit() else 0  # a count we cannot read holds for no group
                below = limit if below is None else min(below, limit)
            elif condition.attribute == "cloudAnchor" and condition.comparison_operator in ("ISNOTNULL", "ISNULL"):
                anchored = condition.comparison_operator == "ISNOTNULL"
        groups.append((below, anchored))
    return tuple(groups)


def _in(scope: Scope, group: Group) -> bool:
    """Whether one rule's scope takes the group: the definition, group by group, that `_below`
    answers for all rules at once (and is tested against)."""
    if scope is None:
        return True
    return any(
        (below is None or group.member_count < below) and (anchored is None or anchored == group.provisioned)
        for below, anchored in scope
    )


def _below(scopes: Iterable[Scope]) -> dict[bool, float]:
    """The scopes of all enabled provisioning rules as one bound per provisioned state: a group is
    in scope of some rule exactly when its member count is below the bound for its state (any of
    the `LESSTHAN` conditions that apply holds when the count is below the largest of them)."""
    bound = {False: -math.inf, True: -math.inf}
    for scope in scopes:
        pairs = [(None, None)] if scope is None else scope
        for below, anchored in pairs:
            for provisioned in (False, True):
                if anchored is None or anchored == provisioned:
                    bound[provisioned] = max(bound[provisioned], math.inf if below is None else below)
    return bound


def next_cycle(state: ObservedState, full: bool) -> CycleOutcome:
    """What one sync cycle would do to the observed groups (none when groups are not observed)."""
    groups = state.groups or ()
    provisioned_now = frozenset(g.name for g in groups if g.provisioned)
    if state.scheduler.staging_mode_enabled:
        return CycleOutcome(provisioned_now, frozenset(), frozenset(), frozenset())
    limit = inforce.member_limit(state)
    cap = inforce.sync_cap(state)
    below = _below(_scope(r) for r in syncrules.provisioning_rules(state))  # read once, not once per group
    after, new, deleted, over = set(provisioned_now), set(), set(), set()
    for group in groups:
        scoped = group.member_count < below[group.provisioned]
        if not group.provisioned:
            if scoped and group.member_count > limit:
                over.add(group.name)
            elif scoped:
                after.add(group.name)
                new.add(group.name)
        elif not scoped or group.member_count > cap:
            if full:
                after.discard(group.name)
                deleted.add(group.name)
        elif group.member_count > limit:
            over.add(group.name)
    return CycleOutcome(frozenset(after), frozenset(new), frozenset(deleted), frozenset(over))


@dataclass(frozen=True, slots=True)
class DeletionRisk:
    """What the next full cycle would delete: the groups by name where they were observed, and in
    any case what the rules and the endpoint say on their own."""

    groups: frozenset[str] | None
    no_provisioning_rule: bool  # every provisioned group goes
    cap: int  # provisioned groups above this go

    def new_since(self, before: DeletionRisk) -> list[str]:
        """What this risk deletes that `before` would not have: empty when nothing more goes."""
        if self.groups is not None and before.groups is not None:
            return sorted(self.groups - before.groups)
        found = []
        if self.no_provisioning_rule and not before.no_provisioning_rule:
            found.append("every provisioned group (no enabled provisioning rule)")
        if self.cap < before.cap:
            found.append(f"every provisioned group above {self.cap} members")
        return found


def deletion_risk(state: ObservedState) -> DeletionRisk:
    staging = bool(state.scheduler.staging_mode_enabled)
    groups = None if state.groups is None else next_cycle(state, full=True).deleted
    no_rule = not staging and not syncrules.provisioning_rules(state)
    cap = inforce.NO_CAP if staging else inforce.sync_cap(state)
    return DeletionRisk(groups, no_rule, cap)
