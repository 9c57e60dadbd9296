"""From a desired state and an observed server to an ordered plan of idempotent actions.

The order is not scripted per scenario: each action states what must come before it (DESIGN §6
invariants as dependencies) and a topological sort puts them in order. Checks that need the
server (version, precedence, domains, cloud) refuse the plan with every reason at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler import effective, facts, observed, projection, rules, versions
from reconciler.desired import DesiredState
from reconciler.diff import DiffItem, diff
from reconciler.errors import Problem, UserError
from reconciler.observed import ObservedState, SyncRule
from reconciler.plan import Action, Impact, Plan
from reconciler.projection import Target

# Where actions with no order between them stand, so that equal inputs give equal plans.
_RANK = {
    kind: i
    for i, kind in enumerate(
        [
            "WaitForSyncIdle",
            "SetSyncCycleEnabled",
            "SetExportApiVersion",
            "SetImportApiVersion",
            "RemoveSyncRule",
            "CreateSyncRule",
            "UpdateSyncRule",
            "EnableSyncRule",
            "DisableSyncRule",
            "SetConnectorOverride",
        ]
    )
}


@dataclass(frozen=True)
class Options:
    allow_group_deletion: bool = False
    # The highest limit a successful run left in force (journal): a staged rollout climbs back to
    # it at once after an upgrade reset it, and steps only beyond it.
    proven_limit: int | None = None


def _target(
    desired: DesiredState, state: ObservedState, found: rules.Survey, options: Options, warnings: list[str]
) -> Target:
    """The limit this run aims for: the desired one, or one rollout step towards it."""
    standard = projection.standard_limit(state, found)
    current = found.effective_limit
    if current is not None and options.proven_limit is not None:
        current = max(current, min(options.proven_limit, desired.group_member_limit))
    limit = desired.group_member_limit
    step = desired.max_limit_increase
    if step is not None and current is not None and limit > current:
        cycle = state.last_sync_cycle
        if cycle is not None and cycle.has_real_errors:
            real = ", ".join(f"{e.type} x{e.count}" for e in cycle.export_errors if not e.informational)
            warnings.append(
                f"rollout: the limit stays at {current}: the last sync cycle had export errors ({real}); "
                "fix them, run a sync cycle, then reconcile again"
            )
            limit = current
        else:
            if cycle is None:
                warnings.append("rollout: no sync cycle recorded, so its export errors could not be checked")
            if current + step < limit:
                warnings.append(
                    f"rollout: raising the limit to {current + step}, not {limit}, this run "
                    f"(rollout.maxLimitIncrease {step}); later runs go on"
                )
                limit = current + step
    return Target(limit=limit, standard_limit=standard, needs_clone=limit != standard)


def _refusals(desired: DesiredState, state: ObservedState, target: Target, found: rules.Survey) -> list[str]:
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
    if wants_v2 and not versions.supports_v2(server.version):
        reasons.append(
            f"the V2 endpoint needs version {versions.minimum_v2_version()} or later; the server runs {server.version}"
        )
    if wants_v2 and cloud in facts.CLOUDS_WITHOUT_V2:
        reasons.append(f"the V2 endpoint is not available in the {cloud} cloud")
    if server.tenant_has_verified_domain is False and target.limit > facts.UNVERIFIED_DOMAIN_MEMBER_LIMIT:
        reasons.append(
            f"groupMemberLimit {target.limit} is above {facts.UNVERIFIED_DOMAIN_MEMBER_LIMIT}, the most a tenant "
            "without a verified domain can sync"
        )
    if target.needs_clone:
        reasons.extend(_clone_refusals(desired, state, target, found))
    else:
        standard = found.standard
        if standard is None:
            reasons.append(
                f"no standard '{facts.GROUP_JOIN_RULE_NAME}' rule to carry the limit {target.limit} "
                "(an upgrade or repair restores it)"
            )
        else:
            reasons.extend(_overriding_rules(found, standard.precedence))
    return reasons


def _overriding_rules(found: rules.Survey, precedence: int) -> list[str]:
    """Other enabled rules that flow member ahead of the one meant to carry the limit."""
    return [
        f"sync rule '{rule.name}' at precedence {rule.precedence} flows member ahead of the rule meant to carry "
        f"the limit (precedence {precedence}), so that limit would not apply"
        for rule in found.competitors
        if rule.precedence < precedence
    ]


def _clone_refusals(desired: DesiredState, state: ObservedState, target: Target, found: rules.Survey) -> list[str]:
    reasons: list[str] = []
    precedence = desired.rule_precedence
    if precedence is None:
        return [
            f"rulePrecedence is needed: groupMemberLimit {target.limit} differs from the standard rule's "
            f"{target.standard_limit} on this server, so a managed clone carries it"
        ]
    ours = {r.identifier for r in found.clones}
    reasons.extend(
        f"precedence {precedence} is already used by sync rule '{rule.name}'"
        for rule in state.sync_rules
        if rule.identifier not in ours and rule.precedence == precedence
    )
    # The standard rule needs no check here: the plan disables it.
    reasons.extend(_overriding_rules(found, precedence))
    # A clone is (re)created from the standard rule: when there is none yet, or duplicates are replaced.
    if len(ours) != 1 and found.standard is None:
        reasons.append(f"no standard '{facts.GROUP_JOIN_RULE_NAME}' rule to clone (an upgrade or repair restores it)")
    return reasons


class _Graph:
    """Collects the needed actions, each with the indexes of the actions that must come before it."""

    def __init__(
        self,
        desired: DesiredState,
        state: ObservedState,
        views: tuple[dict[str, Any], dict[str, Any]],
        found: rules.Survey,
    ):
        self.desired, self.state, self.found = desired, state, found
        self.seen, self.wanted = views
        self.actions: list[tuple[Action, set[int]]] = []

    def add(self, kind: str, params: dict[str, Any], reason: str, after: Iterable[int] = ()) -> int:
        self.actions.append((Action(kind, params, reason), set(after)))
        return len(self.actions) - 1

    def build(self, target: Target) -> list[tuple[Action, set[int]]]:
        sched_seen = self.seen["scheduler"].get("syncCycleEnabled")
        # The desired value even where the source could not see the scheduler: whatever turns it off
        # for the change must turn it back on.
        sched_wanted = self.desired.sync_cycle_enabled
        wait = self.add("WaitForSyncIdle", {}, "settings change only while no sync cycle runs")
        start = [wait]
        if sched_seen is not False:
            start.append(
                self.add("SetSyncCycleEnabled", {"enabled": False}, "no sync cycle may start during the change", [wait])
            )
        versions_set = self.api_versions(start)
        changes = versions_set + self.rule_changes(target, [*start, *versions_set])
        # With nothing else to do, turning the scheduler off at the start is already the whole change.
        if changes or sched_wanted or len(start) == 1:
            verb = "restore" if sched_seen else "set"
            self.add(
                "SetSyncCycleEnabled", {"enabled": sched_wanted}, f"{verb} the scheduler as desired", [*start, *changes]
            )
        return self.actions

    def api_versions(self, before: list[int]) -> list[int]:
        # Invariants 3 and 4: every API version change comes before every rule change.
        steps = []
        for direction, kind in (("export", "SetExportApiVersion"), ("import", "SetImportApiVersion")):
            have, want = self.seen["apiVersions"].get(direction), self.wanted["apiVersions"].get(direction)
            if want is not None and have != want:
                steps.append(
                    self.add(kind, {"version": want}, f"{direction} API version from {have} to {want}", before)
                )
        return steps

    def rule_changes(self, target: Target, before: list[int]) -> list[int]:
        name = self.desired.rule_name
        clone_seen, clone_wanted = self.seen["managedRule"], self.wanted["managedRule"]
        standard = self.found.standard
        placed: list[int] = []  # the clone carries the new limit once these are done
        removed: list[int] = []
        if clone_seen is not None and clone_wanted is None:
            removed.append(
                self.add("RemoveSyncRule", {"name": name}, "no clone is needed at the standard limit", before)
            )
        if clone_wanted is not None:
            params = {"name": name, "precedence": clone_wanted["precedence"], "limit": clone_wanted["limit"]}
            if clone_seen is None or clone_seen["copies"] > 1:
                assert standard is not None
                # Creating replaces every rule of that name, so duplicates left by a dead run go too.
                reason = f"carry the member limit {target.limit} in a clone of the standard rule"
                if clone_seen is not None:
                    reason = f"replace {clone_seen['copies']} duplicate managed rules with one carrying {target.limit}"
                placed.append(
                    self.add("CreateSyncRule", {**params, "clonedFrom": standard.name}, reason, [*before, *removed])
                )
            else:
                differs = sorted(k for k in ("precedence", "limit", "scopeLimit") if clone_seen[k] != clone_wanted[k])
                if differs:
                    placed.append(
                        self.add("UpdateSyncRule", params, f"managed rule {', '.join(differs)} as desired", before)
                    )
                if not clone_seen["enabled"]:
                    placed.append(
                        self.add(
                            "EnableSyncRule", {"name": name}, "the managed rule must be enabled", [*before, *placed]
                        )
                    )
        steps = removed + placed
        std_seen, std_wanted = self.seen["standardRule"]["enabled"], self.wanted["standardRule"]["enabled"]
        if standard is not None and std_wanted is not None and std_seen != std_wanted:
            if std_wanted:
                reason = "the standard rule carries the limit"
                steps.append(self.add("EnableSyncRule", {"name": standard.name}, reason, [*before, *removed]))
            else:
                reason = "the managed clone carries the limit instead"
                steps.append(self.add("DisableSyncRule", {"name": standard.name}, reason, [*before, *placed]))
        only_update = steps == placed and len(placed) == 1 and self.actions[placed[0]][0].kind == "UpdateSyncRule"
        if only_update:
            steps += self.override_after_increase(clone_seen, clone_wanted, placed)
        return steps

    def override_after_increase(
        self, clone_seen: dict[str, Any], clone_wanted: dict[str, Any], placed: list[int]
    ) -> list[int]:
        # DESIGN §2: after a subsequent increase of an existing clone's limit a full sync is not
        # needed; never clear a full sync that was pending for another reason.
        if not clone_seen["enabled"] or (clone_seen["limit"] or 0) >= clone_wanted["limit"]:
            return []
        connector = self.state.aad_connector.name
        pending = self.state.override_for(connector)
        if pending is not None and pending.full_sync_required:
            return []
        reason = "a higher limit on an existing clone needs no full sync"
        params = {"connectorName": connector, "fullSyncRequired": False}
        return [self.add("SetConnectorOverride", params, reason, placed)]


def _order(actions: list[tuple[Action, set[int]]]) -> tuple[Action, ...]:
    """Kahn's topological sort; among ready actions the vocabulary's rank, then insertion order."""
    remaining = {i: set(deps) for i, (_, deps) in enumerate(actions)}
    ordered: list[Action] = []
    while remaining:
        ready = [i for i, deps in remaining.items() if not deps]
        if not ready:
            raise AssertionError("cycle in action dependencies")
        pick = min(ready, key=lambda i: (_RANK[actions[i][0].kind], i))
        ordered.append(actions[pick][0])
        del remaining[pick]
        for deps in remaining.values():
            deps.discard(pick)
    return tuple(ordered)


def _impact(state: ObservedState, desired: DesiredState, target: Target) -> Impact:
    cap = effective.endpoint_cap(
        desired.export_api_version, desired.import_api_version, state.server.tenant_has_verified_domain
    )
    new_limit = min(target.limit, cap)
    now = effective.member_limit(state)
    groups = state.groups or ()
    provision = sorted(g.name for g in groups if not g.provisioned and now < g.member_count <= new_limit)
    delete = sorted(g.name for g in groups if g.provisioned and g.member_count > new_limit)
    return Impact(tuple(provision), tuple(delete))


def _managed_rule(
    desired: DesiredState, state: ObservedState, found: rules.Survey, actions: tuple[Action, ...]
) -> SyncRule | None:
    """The clone a Create or Update action writes, built as apply builds it."""
    for action in actions:
        p = action.params
        if action.kind == "CreateSyncRule" and found.standard is not None:
            return rules.make_clone(
                found.standard, server=state.server.name, name=p["name"], precedence=p["precedence"], limit=p["limit"]
            )
        if action.kind == "UpdateSyncRule" and found.clones:
            return rules.with_limit(dataclasses.replace(found.clones[0], precedence=p["precedence"]), p["limit"])
    return None


def make_plan(desired: DesiredState, state: ObservedState, desired_digest: str, options: Options = Options()) -> Plan:
    warnings: list[str] = []
    found = rules.survey(state, desired.rule_name)
    target = _target(desired, state, found, options, warnings)
    reasons = _refusals(desired, state, target, found)
    if reasons:
        raise UserError([Problem("", None, None, f"{desired.name}: plan refused: {r}") for r in reasons])

    for setting in projection.unobserved(state):
        warnings.append(f"{setting} was not observed by this source; nothing is planned for it")
    views = (projection.observed_view(state, found), projection.desired_view(state, desired, target, found))
    changes: tuple[DiffItem, ...] = diff(*views)
    actions = _order(_Graph(desired, state, views, found).build(target)) if changes else ()

    impact = _impact(state, desired, target) if changes else Impact()
    if state.groups is None and changes:
        warnings.append("group sizes were not observed: the groups this plan provisions or deletes are unknown")
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
    if not desired.sync_cycle_enabled:
        warnings.append(
            "scheduler.syncCycleEnabled is false: product auto-upgrades abort while the scheduler is disabled"
        )
    return Plan(
        managed_rule=_managed_rule(desired, state, found, actions),
        server=desired.name,
        desired_digest=desired_digest,
        observed_digest=observed.digest(state),
        observed_version=state.server.version,
        changes=changes,
        actions=actions,
        warnings=tuple(warnings),
        impact=impact,
    )
