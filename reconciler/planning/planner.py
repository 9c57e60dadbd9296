"""From a desired state and an observed server to an ordered plan of idempotent actions.

The order is not scripted per scenario: each action states what must come before it (the
ordering invariants of docs/plan.md#ordering-invariants as dependencies) and a topological sort
puts them in order. Checks that need the
server (version, precedence, domains, cloud) refuse the plan with every reason at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from reconciler.errors import Problem, UserError
from reconciler.model import builds, facts, identity, inforce, limitrules, observed, provisioning, syncrules
from reconciler.model.desired import DesiredState
from reconciler.model.inforce import Family, InForce
from reconciler.model.observed import ObservedState, Registry, SyncRule
from reconciler.planning import actions, rollout, unmanaged, views
from reconciler.planning.actions import Action, ScriptContext
from reconciler.planning.diff import DiffItem, diff
from reconciler.planning.plans import Impact, Plan
from reconciler.planning.views import Goal, ManagedRule, ManagedSettings


@dataclass(frozen=True, slots=True)
class Options:
    allow_group_deletion: bool = False
    # The day support is judged on (ISO date); today when not given.
    today: str | None = None
    # The highest limit a successful run left in force (journal): a staged rollout climbs back to
    # it at once after an upgrade reset it, and steps only beyond it.
    proven_limit: int | None = None
    # When the last run that raised the limit ended (journal): the next rollout step waits for a
    # sync cycle after it. `now` is when the plan is made (the current time when not given).
    last_raise_at: str | None = None
    now: datetime | None = None
    last_raise_cycle: str | None = None
    # The run confirms removing unmanaged rules (--confirm-prune), where the state says safety.prune: confirm.
    confirm_prune: bool = False


def _goal(desired: DesiredState, state: ObservedState, found: InForce, options: Options, warnings: list[str]) -> Goal:
    pace = rollout.Pace(options.proven_limit, options.last_raise_at, options.now, options.last_raise_cycle)
    return Goal(limit=rollout.aim(desired, state, found.member_limit, pace, warnings))


def _other_machine(desired: DesiredState, state: ObservedState) -> str | None:
    """Why the observed server is not the machine the state names, in one line; None when it is (or
    the source does not say: the plan then warns)."""
    seen = state.server.host
    if desired.host is None or seen is None or identity.same_host(desired.host, seen):
        return None
    return (
        f"the state describes machine '{desired.host}', the target is machine '{seen}'; nothing is planned or written"
    )


def _refusals(desired: DesiredState, state: ObservedState, goal: Goal, found: InForce) -> list[str]:
    elsewhere = _other_machine(desired, state)
    if elsewhere is not None:
        return [elsewhere]  # said alone: nothing else about another machine's server matters
    reasons = []
    server = state.server
    if server.name != desired.name:
        reasons.append(f"the target holds server '{server.name}', not '{desired.name}'")
    # A source that could not see the cloud (an export without a sign-in authority) is taken at the state's word.
    cloud = desired.cloud if "server.cloud" in (state.unobserved or ()) else server.cloud
    if cloud != desired.cloud:
        reasons.append(f"the state declares cloud {desired.cloud}, the server reports {server.cloud}")
    connector = state.aad_connector.name
    if desired.connector_name is not None and desired.connector_name != connector:
        reasons.append(f"the state names AAD connector '{desired.connector_name}', the server's is '{connector}'")
    wants_v2 = 2 in (desired.export_api_version, desired.import_api_version)
    if wants_v2 and not builds.supports_v2(server.version):
        reasons.append(
            f"the V2 endpoint needs version {builds.minimum_v2_version()} or later; the server runs {server.version}"
        )
    if wants_v2 and cloud in facts.CLOUDS_WITHOUT_V2:
        reasons.append(f"the V2 endpoint is not available in the {cloud} cloud")
    if server.tenant_has_verified_domain is False and goal.limit > facts.UNVERIFIED_DOMAIN_MEMBER_LIMIT:
        reasons.append(
            f"groupMemberLimit {goal.limit} is above {facts.UNVERIFIED_DOMAIN_MEMBER_LIMIT}, the most a tenant "
            "without a verified domain can sync"
        )
    for family in found.families:
        if goal.needs_clone(family):
            reasons.extend(_clone_refusals(desired, state, goal, found, family))
        elif family.standard is None:
            reasons.append(
                f"no standard '{family.rule.name}' rule to carry the limit {goal.limit} "
                "(an upgrade or repair restores it)"
            )
        else:
            reasons.extend(_overriding_rules(found, family.standard.precedence, goal))
    return list(dict.fromkeys(reasons))  # a rule in the way of both families is named once


def _overriding_rules(found: InForce, precedence: int, goal: Goal) -> list[str]:
    """Other enabled rules that keep the limit from applying: one that flows member ahead of the rule
    meant to carry it without a limit of its own, or one that carries a lower limit."""
    reasons = []
    for rule in found.competitors:
        carried = found.limit_of(rule).flow
        if carried is not None and carried < goal.limit:
            reasons.append(
                f"sync rule '{rule.name}' at precedence {rule.precedence} caps members at {carried}, "
                f"below the limit {goal.limit}, so that limit would not apply"
            )
        elif rule.precedence < precedence and carried is None:
            reasons.append(
                f"sync rule '{rule.name}' at precedence {rule.precedence} flows member ahead of the rule meant to "
                f"carry the limit (precedence {precedence}), so that limit would not apply"
            )
    return reasons


def _clone_refusals(
    desired: DesiredState, state: ObservedState, goal: Goal, found: InForce, family: Family
) -> list[str]:
    precedence = desired.clone_precedence(family.rule)
    if precedence is None:
        return [
            f"{family.rule.precedence_key} is needed: groupMemberLimit {goal.limit} differs from the limit of the "
            f"standard rule '{family.rule.name}' ({family.standard_limit}) on this server, so a managed clone "
            "carries it"
        ]
    ours = {r.identifier for r in family.clones}
    reasons = [
        f"precedence {precedence} is already used by sync rule '{rule.name}'"
        for rule in state.sync_rules
        if rule.identifier not in ours and rule.precedence == precedence
    ]
    # Named like another standard rule of this server (validate knows only the two families' names).
    name, own = desired.clone_name(family.rule), family.standard.identifier if family.standard else None
    reasons += [
        f"{family.rule.name_key} '{name}' is the name of the standard rule at precedence {rule.precedence} on this "
        f"server; the managed clone of '{family.rule.name}' may keep only its own standard rule's name"
        for rule in state.sync_rules
        if rule.is_standard and rule.name == name and rule.identifier != own
    ]
    # The standard rule needs no check here: the plan disables it.
    reasons.extend(_overriding_rules(found, precedence, goal))
    # A clone is (re)created from the standard rule: when there is none yet, or duplicates are replaced.
    if len(ours) != 1 and family.standard is None:
        reasons.append(f"no standard '{family.rule.name}' rule to clone (an upgrade or repair restores it)")
    return reasons


class _Graph:
    """Collects the needed actions, each with the indexes of the actions that must come before it."""

    def __init__(
        self, desired: DesiredState, state: ObservedState, found: InForce, seen: ManagedSettings, prune: tuple[str, ...]
    ) -> None:
        self.desired, self.state, self.found, self.seen = desired, state, found, seen
        self.prune = prune  # unmanaged rules to remove, by name
        self.actions: list[tuple[Action, set[int]]] = []
        self.managed_rules: dict[str, SyncRule] = {}  # by name: the clone a Create or Update writes
        self.raises: list[int] = []  # updates that only raise an enabled clone's limit
        self.not_checked: list[str] = []  # actions left out because the source could not see their need

    def add(self, action: Action, after: Iterable[int] = ()) -> int:
        self.actions.append((action, set(after)))
        return len(self.actions) - 1

    def build(self, wanted: ManagedSettings, goal: Goal) -> list[tuple[Action, set[int]]]:
        sched_seen = self.seen.sync_cycle_enabled
        # The desired value even where the source could not see the scheduler: whatever turns it off
        # for the change must turn it back on.
        sched_wanted = self.desired.sync_cycle_enabled
        wait = self.add(actions.wait_for_sync_idle())
        start = [wait]
        if sched_seen is not False:
            start.append(self.add(actions.scheduler_off_for_change(), [wait]))
        versions_set = self.api_versions(wanted, start)
        before = [*start, *versions_set]
        rule_steps = [step for family in self.found.families for step in self.rule_changes(family, wanted, before)]
        # After the managed rules carry the limit: removing a stray never leaves none that does.
        rule_steps += [self.add(unmanaged.removal(name), [*before, *rule_steps]) for name in self.prune]
        changes = versions_set + rule_steps + self.override_after_increase(rule_steps)
        # With nothing else to do, turning the scheduler off at the start is already the whole change.
        if changes or sched_wanted or len(start) == 1:
            self.add(actions.scheduler_as_desired(sched_wanted, sched_seen), [*start, *changes])
        return self.actions

    def api_versions(self, wanted: ManagedSettings, before: list[int]) -> list[int]:
        # Invariants 3 and 4: every API version change comes before every rule change.
        steps = []
        for direction in ("export", "import"):
            have, want = self.seen.api_version(direction), wanted.api_version(direction)
            if isinstance(want, int) and have != want:
                steps.append(self.add(actions.set_api_version(direction, have, want), before))
        return steps

    def rule_changes(self, family: Family, wanted: ManagedSettings, before: list[int]) -> list[int]:
        name = family.clone_name
        clone_seen, clone_wanted = self.seen.of(family.rule).managed_rule, wanted.of(family.rule).managed_rule
        standard = family.standard
        placed: list[int] = []  # the clone carries the new limit once these are done
        if clone_wanted is not None:
            placed += self.write_clone(family, clone_seen, clone_wanted, before)
        steps = list(placed)
        enabled: list[int] = []
        std_seen, std_wanted = self.seen.of(family.rule).standard_enabled, wanted.of(family.rule).standard_enabled
        if standard is not None and std_wanted is not None and std_seen != std_wanted:
            if std_wanted:
                enabled.append(self.add(actions.enable_standard(standard.name), before))
            else:
                steps.append(self.add(actions.disable_standard(standard.name), [*before, *placed]))
        # Invariant 4: the standard rule carries the limit again before the clone goes, so there is
        # never a moment without an enabled rule that provisions and keeps groups.
        if clone_seen is not None and clone_wanted is None:
            steps.append(self.add(actions.remove_clone(name), [*before, *enabled]))
        return enabled + steps

    def write_clone(
        self, family: Family, seen: ManagedRule | None, wanted: ManagedRule, before: list[int]
    ) -> list[int]:
        name, precedence, limit = family.clone_name, wanted.precedence, wanted.limit
        assert precedence is not None and limit is not None
        if seen is None or seen.copies > 1:
            assert family.standard is not None
            replaces = 0 if seen is None else seen.copies
            self.managed_rules[name] = syncrules.make_clone(
                family.standard, server=self.state.server.name, name=name, precedence=precedence, limit=limit
            )
            return [self.add(actions.create_clone(name, precedence, limit, family.standard.name, replaces), before)]
        differs = [
            label
            for label, have, want in (
                ("enabled", seen.enabled, wanted.enabled),
                ("limit", seen.limit, limit),
                ("precedence", seen.precedence, precedence),
                ("scopeLimit", seen.scope_limit, wanted.scope_limit),
            )
            if have != want
        ]
        if not differs:
            return []
        # Written whole under its identifier: updated in place, and enabled where it was not.
        self.managed_rules[name] = actions.updated_clone(family.clones[0], precedence, limit)
        step = self.add(actions.update_clone(name, precedence, limit, differs), before)
        if seen.enabled and (seen.limit or 0) < limit:
            self.raises.append(step)
        return [step]

    def override_after_increase(self, rule_steps: list[int]) -> list[int]:
        # docs/domain.md#full-sync: after a subsequent increase of an existing clone's limit a full
        # sync is not needed; never clear a full sync that was pending for another reason.
        if not rule_steps or sorted(rule_steps) != sorted(self.raises):
            return []
        connector = self.state.aad_connector.name
        if observed.OVERRIDES_PATH in (self.state.unobserved or ()):
            # Whether a full sync is pending cannot be judged: one an upgrade left must never be cleared.
            self.not_checked.append(
                f"{observed.OVERRIDES_PATH} were not observed by this source: whether a full sync is pending is "
                f"not known, so the plan does not clear it (SetConnectorOverride fullSyncRequired=false for "
                f"'{connector}' is left out; a full sync runs instead)"
            )
            return []
        pending = self.state.override_for(connector)
        if pending is not None and pending.full_sync_required:
            return []
        return [self.add(actions.skip_full_sync(connector), rule_steps)]


def _order(planned: list[tuple[Action, set[int]]]) -> tuple[Action, ...]:
    """Kahn's topological sort; among ready actions the vocabulary's rank, then insertion order."""
    remaining = {i: set(deps) for i, (_, deps) in enumerate(planned)}
    ordered: list[Action] = []
    while remaining:
        ready = [i for i, deps in remaining.items() if not deps]
        if not ready:
            raise AssertionError("cycle in action dependencies")
        pick = min(ready, key=lambda i: (actions.RANK[planned[i][0].kind], i))
        ordered.append(planned[pick][0])
        del remaining[pick]
        for deps in remaining.values():
            deps.discard(pick)
    return tuple(ordered)


def _predicted(
    state: ObservedState,
    desired: DesiredState,
    goal: Goal,
    found: InForce,
    written: dict[str, SyncRule],
    *,
    pruned: frozenset[str] = frozenset(),
) -> ObservedState:
    """The server as the plan leaves it: what its next cycles are judged on."""
    by_id = {r.identifier: r for r in state.sync_rules if r.identifier not in pruned}
    for family in found.families:
        for clone in family.clones:
            by_id.pop(clone.identifier, None)
        if goal.needs_clone(family):
            kept = written.get(family.clone_name) or (family.clones[0] if family.clones else None)
            if kept is not None:
                by_id[kept.identifier] = dataclasses.replace(kept, disabled=False)
            if family.standard is not None:
                by_id[family.standard.identifier] = dataclasses.replace(family.standard, disabled=True)
        elif family.standard is not None:
            by_id[family.standard.identifier] = dataclasses.replace(family.standard, disabled=False)
    registry = Registry(
        desired.export_api_version,
        desired.import_api_version,
        facts.EXPORT_FILTERING_FOR_API_VERSION[desired.export_api_version],
    )
    return state.replace(sync_rules=tuple(by_id.values()), registry=registry)


def _impact(before: ObservedState, after: ObservedState) -> Impact:
    """What the change does on the next full cycle; a staging server's, once it is active."""
    active = dataclasses.replace(before.scheduler, staging_mode_enabled=False)
    now = provisioning.next_cycle(before.replace(scheduler=active), full=True)
    then = provisioning.next_cycle(after.replace(scheduler=active), full=True)
    return Impact(
        groups_to_provision=tuple(sorted(then.newly_provisioned - now.newly_provisioned)),
        groups_to_delete=tuple(sorted(then.deleted - now.deleted)),
        groups_over_limit=tuple(sorted(then.over_limit - now.over_limit)),
    )


def make_plan(desired: DesiredState, state: ObservedState, desired_digest: str, options: Options = Options()) -> Plan:
    warnings: list[str] = []
    found = inforce.read(state, {f.key: desired.clone_name(f) for f in limitrules.CATALOGUE})
    goal = _goal(desired, state, found, options, warnings)
    strays = unmanaged.find(state, found)
    confirmed = desired.prune == unmanaged.PRUNE_CONFIRM and options.confirm_prune
    prune = unmanaged.names_to_remove(state, strays) if confirmed else ()
    pruned = frozenset(u.rule.identifier for u in strays if u.rule.name in prune)
    # A rule this plan removes is in nobody's way.
    reasons = _refusals(desired, state, goal, unmanaged.without(found, pruned))
    if reasons and strays and not confirmed:
        reasons.append(unmanaged.hint(strays, desired.prune))
    if reasons:
        raise UserError([Problem("", None, None, f"{desired.name}: plan refused: {r}") for r in reasons])

    for setting in views.unobserved(state):
        warnings.append(f"{setting} was not observed by this source; nothing is planned for it")
    if not inforce.observed_export_filtering(state):
        warnings.append(
            f"{observed.EXPORT_FILTERING_PATH} was not observed by this source: the export API version is "
            "judged by the registry and the AAD connector's export type alone"
        )
    seen, wanted = views.observed(state, found), views.desired(state, desired, goal, found)
    changes: tuple[DiffItem, ...] = diff(seen.as_dict(), wanted.as_dict())
    if prune:
        changes = (*changes, DiffItem("remove", unmanaged.CHANGE_PATH, list(prune), None))
    warnings.extend(unmanaged.warnings(strays, desired.prune, confirmed, prune))
    graph = _Graph(desired, state, found, seen, prune)
    planned = _order(graph.build(wanted, goal)) if changes else ()
    warnings.extend(graph.not_checked)
    if desired.host is not None and state.server.host is None:
        warnings.append(
            f"server.host was not observed by this source: it cannot confirm the server is '{desired.host}'"
        )

    after = _predicted(state, desired, goal, found, graph.managed_rules, pruned=pruned) if changes else state
    impact = _impact(state, after) if changes else Impact()
    if state.groups is None and changes:
        warnings.append("group sizes were not observed: the groups this plan provisions or deletes are unknown")
    if changes and state.scheduler.staging_mode_enabled:
        warnings.append("staging mode: this server exports nothing; the impact is what happens once it is active")
    if impact.groups_to_delete:
        listed = ", ".join(impact.groups_to_delete)
        allowed = desired.allow_group_deletion or options.allow_group_deletion
        if not allowed:
            raise UserError(
                f"{desired.name}: plan refused: it would delete {len(impact.groups_to_delete)} provisioned "
                f"group(s) on the next full sync: {listed}; allow with safety.allowGroupDeletion: true "
                "or --allow-group-deletion"
            )
        warnings.append(f"deletes {len(impact.groups_to_delete)} provisioned group(s) on the next full sync: {listed}")
    if impact.groups_over_limit:
        warnings.append(
            f"{len(impact.groups_over_limit)} group(s) above the new limit stay in Entra ID but their membership "
            f"stops updating (Maximum Group member count exceeded): {', '.join(impact.groups_over_limit)}"
        )
    today = options.today or builds.today()
    support = builds.support_warning(state.server.version, desired.cloud, today)
    if support is not None:
        warnings.append(f"support: {support}")
    stale = builds.table_age_warning(today)
    if stale is not None:
        warnings.append(f"support: {stale}")
    if not desired.sync_cycle_enabled:
        warnings.append(
            "scheduler.syncCycleEnabled is false: product auto-upgrades abort while the scheduler is disabled"
        )
    return Plan(
        server=desired.name,
        desired_digest=desired_digest,
        observed_digest=observed.digest(state),
        observed_version=state.server.version,
        changes=changes,
        actions=planned,
        warnings=tuple(warnings),
        impact=impact,
        script=ScriptContext(managed_rules=graph.managed_rules if planned else {}, observed=state, actions=planned),
    )
