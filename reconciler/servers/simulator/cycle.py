"""A simulated sync cycle (docs/simulator.md): provisioning, limit errors and deletions of groups.

Model: every group at or under the member limit in force is provisioned. A provisioned group
now above it fails its export with the rule's "Maximum Group member count exceeded" error on a
delta cycle, and is deleted from Azure AD on a full one. A connector whose FullSyncRequired
override is set gets a full sync whatever was asked, as the scheduler does, and the overrides
are cleared afterwards. With V2 export, each provisioned group above 50,000 members reports one
`dn-attributes-failure` (a member that is not synced itself): informational only (V2 page).
"""

from __future__ import annotations

import dataclasses

from reconciler import expressions, facts, inforce
from reconciler.observed import ConnectorOverride, ExportError, Group, ObservedState, SyncCycleResult
from reconciler.servers.simulator.operations import require_idle

SYNC_RULE_ERROR = "sync-rule-error-function-triggered"  # the error type of an Error() flow
DN_ATTRIBUTES_FAILURE = "dn-attributes-failure"


def run_cycle(state: ObservedState, full: bool) -> ObservedState:
    require_idle(state)
    override = state.override_for(state.aad_connector.name)
    full = full or bool(override and override.full_sync_required)
    limit = inforce.member_limit(state)
    v2_export = inforce.api_versions(state)[0] == 2

    groups: list[Group] = []
    over_limit = informational = 0
    for group in state.groups or ():
        provisioned = group.provisioned
        if group.member_count <= limit:
            provisioned = True
            if v2_export and group.member_count > facts.V1_MEMBER_LIMIT:
                informational += 1
        elif provisioned:
            if full:
                provisioned = False
            else:
                over_limit += 1
        groups.append(group if provisioned == group.provisioned else Group(group.name, group.member_count, provisioned))

    errors = []
    if over_limit:
        errors.append(ExportError(SYNC_RULE_ERROR, over_limit, expressions.LIMIT_ERROR_MESSAGE))
    if informational:
        errors.append(ExportError(DN_ATTRIBUTES_FAILURE, informational))
    result = SyncCycleResult(
        result="completed-sync-errors" if over_limit else "success",
        export_errors=tuple(errors),
        kind="full" if full else "delta",
    )
    overrides = tuple(ConnectorOverride(o.connector_name, False, False) for o in state.connector_overrides)
    scheduler = dataclasses.replace(state.scheduler, next_sync_cycle_policy_type="Delta")
    return state.replace(
        groups=tuple(groups) if state.groups is not None else None,
        last_sync_cycle=result,
        connector_overrides=overrides,
        scheduler=scheduler,
    )
