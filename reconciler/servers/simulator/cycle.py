"""A simulated sync cycle (docs/simulator.md): provisioning, limit errors and deletions of groups.

What happens to each group is the product's rule semantics in `reconciler.model.provisioning`, which
the planner's impact and the executor's safety check read too. A connector whose FullSyncRequired
override is set gets a full sync whatever was asked, as the scheduler does, and the overrides are
cleared afterwards. With V2 export, each provisioned group above 50,000 members reports one
`dn-attributes-failure` (a member that is not synced itself): informational only (V2 page). A
staging server exports nothing, so it reports no export errors either.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from reconciler.model import expressions, facts, inforce, provisioning
from reconciler.model.observed import ConnectorOverride, ExportError, Group, ObservedState, SyncCycleResult
from reconciler.model.transitions import require_idle

SYNC_RULE_ERROR = "sync-rule-error-function-triggered"  # the error type of an Error() flow
DN_ATTRIBUTES_FAILURE = "dn-attributes-failure"


def run_cycle(state: ObservedState, full: bool) -> ObservedState:
    require_idle(state)
    override = state.override_for(state.aad_connector.name)
    full = full or bool(override and override.full_sync_required)
    outcome = provisioning.next_cycle(state, full)
    staging = bool(state.scheduler.staging_mode_enabled)
    v2_export = inforce.api_versions(state)[0] == 2

    groups = tuple(
        g if (g.name in outcome.provisioned) == g.provisioned else Group(g.name, g.member_count, not g.provisioned)
        for g in state.groups or ()
    )
    errors = []
    if outcome.over_limit and not staging:
        errors.append(ExportError(SYNC_RULE_ERROR, len(outcome.over_limit), expressions.LIMIT_ERROR_MESSAGE))
    informational = sum(1 for g in groups if g.provisioned and g.member_count > facts.V1_MEMBER_LIMIT)
    if v2_export and informational and not staging:
        errors.append(ExportError(DN_ATTRIBUTES_FAILURE, informational))
    result = SyncCycleResult(
        result="completed-sync-errors" if outcome.over_limit and not staging else "success",
        export_errors=tuple(errors),
        kind="full" if full else "delta",
        ended_at=clock(),
    )
    overrides = tuple(ConnectorOverride(o.connector_name, False, False) for o in state.connector_overrides)
    scheduler = dataclasses.replace(state.scheduler, next_sync_cycle_policy_type="Delta")
    return state.replace(
        groups=groups if state.groups is not None else None,
        last_sync_cycle=result,
        connector_overrides=overrides,
        scheduler=scheduler,
    )


def clock() -> str:
    """When a cycle ends: now, to the millisecond (a rollout compares it with its last step)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
