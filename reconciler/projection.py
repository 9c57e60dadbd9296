"""The managed settings of a server, as plain data: what the diff compares.

Both the observed server and the desired state are projected onto the same small shape, so
fields the server adds, or that the user does not manage, can never show up as drift:

    apiVersions.export / apiVersions.import   in force (registry value or the build's default)
    groupMemberLimit                          the limit of the rule that wins
    scheduler.syncCycleEnabled
    standardRule.enabled                      the standard `Out to AAD - Group Join`
    managedRule                               the clone: precedence, limit, scopeLimit, enabled, copies

A value the source could not observe (a configuration export has no scheduler) is left out of
both sides and reported, so nothing is planned from a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler import effective, facts, rules, versions
from reconciler.desired import DesiredState
from reconciler.observed import ObservedState

# Which observed-state paths each managed setting is read from (for sources that miss some).
SOURCES: dict[str, tuple[str, ...]] = {
    "apiVersions.export": ("registry.AadConnectorExportApiVersion", "aadConnector.ExportType"),
    "apiVersions.import": ("registry.AadConnectorImportApiVersion",),
    "scheduler.syncCycleEnabled": ("scheduler.SyncCycleEnabled",),
}


@dataclass(frozen=True)
class Target:
    """What this run aims for: the desired state, bounded by a staged rollout."""

    limit: int
    standard_limit: int
    needs_clone: bool


def unobserved(state: ObservedState) -> list[str]:
    """Managed settings this source could not observe."""
    missing = set(state.unobserved or ())
    return [setting for setting, paths in SOURCES.items() if missing.intersection(paths)]


def _drop(view: dict[str, Any], settings: list[str]) -> dict[str, Any]:
    for setting in settings:
        group, _, key = setting.partition(".")
        view[group].pop(key, None)
    return view


def _export_version(state: ObservedState) -> int | str:
    export = effective.api_versions(state)[0]
    # Get-ADSyncAADConnectorExportApiVersion: "Version mismatch in Registry and AAD Connector".
    if facts.EXPORT_TYPE_FOR_API_VERSION.get(export) != state.aad_connector.export_type:
        return f"mismatch: registry {export}, connector export-type {state.aad_connector.export_type}"
    return export


def _clone_view(found: rules.Survey) -> dict[str, Any] | None:
    if not found.clones:
        return None
    first = found.clones[0]
    limit = found.limit_of(first)
    scope: int | str | None = None
    if limit.scope:
        scope = limit.scope[0] if len(set(limit.scope)) == 1 else f"inconsistent: {sorted(set(limit.scope))}"
    return {
        "precedence": first.precedence,
        "limit": limit.flow,
        "scopeLimit": scope,
        "enabled": not first.disabled,
        "copies": len(found.clones),
    }


def observed_view(state: ObservedState, found: rules.Survey) -> dict[str, Any]:
    standard = found.standard
    view: dict[str, Any] = {
        "apiVersions": {"export": _export_version(state), "import": effective.api_versions(state)[1]},
        "groupMemberLimit": found.effective_limit,
        "scheduler": {"syncCycleEnabled": state.scheduler.sync_cycle_enabled},
        "standardRule": {"enabled": None if standard is None else not standard.disabled},
        "managedRule": _clone_view(found),
    }
    return _drop(view, unobserved(state))


def desired_view(state: ObservedState, desired: DesiredState, target: Target, found: rules.Survey) -> dict[str, Any]:
    clone: dict[str, Any] | None = None
    if target.needs_clone:
        observed_clone = _clone_view(found)
        has_scope = observed_clone is None or observed_clone["scopeLimit"] is not None
        clone = {
            "precedence": desired.rule_precedence,
            "limit": target.limit,
            # A clone made from the standard rule carries the limit in its scope too; one that has
            # no memberCount condition is not given one.
            "scopeLimit": target.limit if has_scope else None,
            "enabled": True,
            "copies": 1,
        }
    view: dict[str, Any] = {
        "apiVersions": {"export": desired.export_api_version, "import": desired.import_api_version},
        "groupMemberLimit": target.limit,
        "scheduler": {"syncCycleEnabled": desired.sync_cycle_enabled},
        # A deleted standard rule is as good as a disabled one while a clone carries the limit.
        "standardRule": {
            "enabled": None
            if target.needs_clone and rules.standard_group_join(state) is None
            else not target.needs_clone
        },
        "managedRule": clone,
    }
    return _drop(view, unobserved(state))


def standard_limit(state: ObservedState, found: rules.Survey) -> int:
    """The limit the standard rule carries: its own member flow, or the version table's when it is missing."""
    flow = None if found.standard is None else found.limit_of(found.standard).flow
    return flow if flow is not None else versions.standard_member_limit(state.server.version)
