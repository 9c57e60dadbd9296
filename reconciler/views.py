"""The managed settings of a server, as typed values: what the diff compares and the planner reads.

Both the observed server and the desired state are projected onto the same small shape, so
fields the server adds, or that the user does not manage, can never show up as drift:

    apiVersions.export / apiVersions.import   in force (registry value or the build's default)
    groupMemberLimit                          the limit of the rule that wins
    scheduler.syncCycleEnabled
    standardRule.enabled                      the standard `Out to AAD - Group Join`
    managedRule                               the clone: precedence, limit, scopeLimit, enabled, copies

A value the source could not observe (a configuration export has no scheduler) is None on both
sides, left out of the comparison and reported, so nothing is planned from a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler import facts, inforce
from reconciler.desired import DesiredState
from reconciler.inforce import InForce
from reconciler.observed import ObservedState

# Which observed-state paths each managed setting is read from (for sources that miss some).
SOURCES: dict[str, tuple[str, ...]] = {
    "apiVersions.export": ("registry.AadConnectorExportApiVersion", "aadConnector.ExportType"),
    "apiVersions.import": ("registry.AadConnectorImportApiVersion",),
    "scheduler.syncCycleEnabled": ("scheduler.SyncCycleEnabled",),
}


@dataclass(frozen=True)
class Goal:
    """What this run aims for: the desired limit, or one staged-rollout step towards it."""

    limit: int
    standard_limit: int
    needs_clone: bool


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class ManagedSettings:
    export_api_version: int | str | None  # a text when the connector's export type disagrees
    import_api_version: int | None
    group_member_limit: int | None
    sync_cycle_enabled: bool | None
    standard_rule_enabled: bool | None  # None: no standard rule, or none wanted either way
    managed_rule: ManagedRule | None
    unobserved: tuple[str, ...] = ()  # settings left out of the comparison

    def api_version(self, direction: str) -> int | str | None:
        return self.export_api_version if direction == "export" else self.import_api_version

    def as_dict(self) -> dict[str, Any]:
        """The plain shape deepdiff compares; its paths name the settings in a plan's changes."""
        view: dict[str, Any] = {
            "apiVersions": {"export": self.export_api_version, "import": self.import_api_version},
            "groupMemberLimit": self.group_member_limit,
            "scheduler": {"syncCycleEnabled": self.sync_cycle_enabled},
            "standardRule": {"enabled": self.standard_rule_enabled},
            "managedRule": None if self.managed_rule is None else self.managed_rule.as_dict(),
        }
        for setting in self.unobserved:
            group, _, key = setting.partition(".")
            view[group].pop(key, None)
        return view


def unobserved(state: ObservedState) -> tuple[str, ...]:
    """Managed settings this source could not observe."""
    missing = set(state.unobserved or ())
    return tuple(setting for setting, paths in SOURCES.items() if missing.intersection(paths))


def _observed_clone(found: InForce) -> ManagedRule | None:
    if not found.clones:
        return None
    first = found.clones[0]
    limit = found.limit_of(first)
    scope: int | str | None = None
    if limit.scope:
        scope = limit.scope[0] if len(set(limit.scope)) == 1 else f"inconsistent: {sorted(set(limit.scope))}"
    return ManagedRule(first.precedence, limit.flow, scope, not first.disabled, len(found.clones))


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
    standard = found.standard
    return ManagedSettings(
        export_api_version=None if "apiVersions.export" in missing else export,
        import_api_version=None if "apiVersions.import" in missing else found.import_api_version,
        group_member_limit=found.member_limit,
        sync_cycle_enabled=None if "scheduler.syncCycleEnabled" in missing else state.scheduler.sync_cycle_enabled,
        standard_rule_enabled=None if standard is None else not standard.disabled,
        managed_rule=_observed_clone(found),
        unobserved=missing,
    )


def desired(state: ObservedState, wanted: DesiredState, goal: Goal, found: InForce) -> ManagedSettings:
    missing = unobserved(state)
    clone: ManagedRule | None = None
    if goal.needs_clone:
        seen = _observed_clone(found)
        # A clone made from the standard rule carries the limit in its scope too; one that has
        # no memberCount condition is not given one.
        has_scope = seen is None or seen.scope_limit is not None
        clone = ManagedRule(wanted.rule_precedence, goal.limit, goal.limit if has_scope else None, True, 1)
    return ManagedSettings(
        export_api_version=None if "apiVersions.export" in missing else wanted.export_api_version,
        import_api_version=None if "apiVersions.import" in missing else wanted.import_api_version,
        group_member_limit=goal.limit,
        sync_cycle_enabled=None if "scheduler.syncCycleEnabled" in missing else wanted.sync_cycle_enabled,
        # A deleted standard rule is as good as a disabled one while a clone carries the limit.
        standard_rule_enabled=None if goal.needs_clone and found.standard is None else not goal.needs_clone,
        managed_rule=clone,
        unobserved=missing,
    )
