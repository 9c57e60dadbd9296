"""The managed settings of a server, as typed values: what the diff compares and the planner reads.

Both the observed server and the desired state are projected onto the same small shape, so
fields the server adds, or that the user does not manage, can never show up as drift:

    apiVersions.export / apiVersions.import   in force (registry value or the build's default)
    groupMemberLimit                          the limit of the rule that wins
    scheduler.syncCycleEnabled
    standardRule.enabled                      the standard `Out to AAD - Group Join`
    managedRule                               its clone: precedence, limit, scopeLimit, enabled, copies
    writeupStandardRule.enabled, writeupManagedRule   the same for `Out to AAD - Group Writeup Member
                                              Limit`, on servers that have it (reconciler.model.limitrules)

A value the source could not observe (a configuration export has no scheduler) is None on both
sides, left out of the comparison and reported, so nothing is planned from a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.model import facts, inforce
from reconciler.model.desired import DesiredState
from reconciler.model.inforce import Family, InForce
from reconciler.model.limitrules import LimitRule
from reconciler.model.observed import ObservedState

# Which observed-state paths each managed setting is read from (for sources that miss some).
SOURCES: dict[str, tuple[str, ...]] = {
    "apiVersions.export": ("registry.AadConnectorExportApiVersion", "aadConnector.ExportType"),
    "apiVersions.import": ("registry.AadConnectorImportApiVersion",),
    "scheduler.syncCycleEnabled": ("scheduler.SyncCycleEnabled",),
}


@dataclass(frozen=True, slots=True)
class Goal:
    """What this run aims for: the desired limit, or one staged-rollout step towards it."""

    limit: int

    def needs_clone(self, family: Family) -> bool:
        """A managed clone carries the limit wherever the standard rule's own differs."""
        return self.limit != family.standard_limit


@dataclass(frozen=True, slots=True)
class ManagedRule:
    """The managed clone as the diff sees it."""

    precedence: int | None
    limit: int | None
    scope_limit: int | str | None  # a text when its memberCount conditions disagree
    enabled: bool
    copies: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "precedence": self.precedence,
            "limit": self.limit,
            "scopeLimit": self.scope_limit,
            "enabled": self.enabled,
            "copies": self.copies,
        }


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """One limit-carrying standard rule and its managed clone."""

    family: LimitRule
    standard_enabled: bool | None  # None: no standard rule, or none wanted either way
    managed_rule: ManagedRule | None


@dataclass(frozen=True, slots=True)
class ManagedSettings:
    export_api_version: int | str | None  # a text when the three places of the version disagree
    import_api_version: int | None
    group_member_limit: int | None
    sync_cycle_enabled: bool | None
    rules: tuple[RuleSettings, ...]  # Group Join first, then each other family the server has
    unobserved: tuple[str, ...] = ()  # settings left out of the comparison

    def api_version(self, direction: str) -> int | str | None:
        return self.export_api_version if direction == "export" else self.import_api_version

    def of(self, family: LimitRule) -> RuleSettings:
        return next(r for r in self.rules if r.family is family)

    def as_dict(self) -> dict[str, Any]:
        """The plain shape deepdiff compares; its paths name the settings in a plan's changes."""
        view: dict[str, Any] = {
            "apiVersions": {"export": self.export_api_version, "import": self.import_api_version},
            "groupMemberLimit": self.group_member_limit,
            "scheduler": {"syncCycleEnabled": self.sync_cycle_enabled},
        }
        for rule in self.rules:
            view[rule.family.view] = {"enabled": rule.standard_enabled}
            view[rule.family.managed_view] = None if rule.managed_rule is None else rule.managed_rule.as_dict()
        for setting in self.unobserved:
            group, _, key = setting.partition(".")
            view[group].pop(key, None)
        return view


def unobserved(state: ObservedState) -> tuple[str, ...]:
    """Managed settings this source could not observe."""
    missing = set(state.unobserved or ())
    return tuple(setting for setting, paths in SOURCES.items() if missing.intersection(paths))


def _observed_clone(found: InForce, family: Family) -> ManagedRule | None:
    if not family.clones:
        return None
    first = family.clones[0]
    limit = found.limit_of(first)
    scope: int | str | None = None
    if limit.scope:
        scope = limit.scope[0] if len(set(limit.scope)) == 1 else f"inconsistent: {sorted(set(limit.scope))}"
    return ManagedRule(first.precedence, limit.flow, scope, not first.disabled, len(family.clones))


def _export_mismatch(state: ObservedState) -> str:
    filtering: object = state.registry.export_filtering
    if not inforce.observed_export_filtering(state):
        filtering = "not observed"
    elif filtering is None:
        filtering = "absent"
    registry = state.registry.export_api_version
    return (
        f"{facts.EXPORT_VERSION_MISMATCH}: registry {'absent' if registry is None else registry}, "
        f"connector export type {state.aad_connector.export_type}, export filtering {filtering}"
    )


def observed(state: ObservedState, found: InForce) -> ManagedSettings:
    missing = unobserved(state)
    export: int | str = found.export_api_version
    if found.export_mismatch:
        # In Get-ADSyncAADConnectorExportApiVersion's words, with what each place holds.
        export = _export_mismatch(state)
    return ManagedSettings(
        export_api_version=None if "apiVersions.export" in missing else export,
        import_api_version=None if "apiVersions.import" in missing else found.import_api_version,
        group_member_limit=found.member_limit,
        sync_cycle_enabled=None if "scheduler.syncCycleEnabled" in missing else state.scheduler.sync_cycle_enabled,
        rules=tuple(
            RuleSettings(f.rule, None if f.standard is None else not f.standard.disabled, _observed_clone(found, f))
            for f in found.families
        ),
        unobserved=missing,
    )


def desired(state: ObservedState, wanted: DesiredState, goal: Goal, found: InForce) -> ManagedSettings:
    missing = unobserved(state)
    return ManagedSettings(
        export_api_version=None if "apiVersions.export" in missing else wanted.export_api_version,
        import_api_version=None if "apiVersions.import" in missing else wanted.import_api_version,
        group_member_limit=goal.limit,
        sync_cycle_enabled=None if "scheduler.syncCycleEnabled" in missing else wanted.sync_cycle_enabled,
        rules=tuple(_desired_rule(found, f, wanted, goal) for f in found.families),
        unobserved=missing,
    )


def _desired_rule(found: InForce, family: Family, wanted: DesiredState, goal: Goal) -> RuleSettings:
    if not goal.needs_clone(family):
        return RuleSettings(family.rule, True, None)
    seen = _observed_clone(found, family)
    # A clone made from the standard rule carries the limit in its scope where the standard rule
    # does; one that has no memberCount condition is not given one.
    has_scope = seen.scope_limit is not None if seen is not None else _standard_has_scope(found, family)
    clone = ManagedRule(wanted.clone_precedence(family.rule), goal.limit, goal.limit if has_scope else None, True, 1)
    # A deleted standard rule is as good as a disabled one while a clone carries the limit.
    return RuleSettings(family.rule, None if family.standard is None else False, clone)


def _standard_has_scope(found: InForce, family: Family) -> bool:
    return family.standard is None or bool(found.limit_of(family.standard).scope)
