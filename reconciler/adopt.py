"""The desired state that matches a server as it is now: `reconciler export` (bootstrap a repo).

Planning against the same source afterwards finds nothing to do, except where the server holds
something the desired-state format cannot say (a clone *and* the standard rule enabled): that
is reported, not hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler import facts, inforce, views
from reconciler.desired import DesiredState
from reconciler.errors import UserError
from reconciler.observed import ObservedState


@dataclass(frozen=True)
class Bootstrap:
    state: DesiredState
    notes: tuple[str, ...]


def desired_from(observed: ObservedState) -> Bootstrap:
    found = inforce.read(observed, facts.DEFAULT_MANAGED_RULE_NAME)
    winner = found.winner
    if winner is None:
        raise UserError(f"{observed.server.name}: no enabled rule flows member to Azure AD: nothing to describe")
    limit = found.limit_of(winner).flow
    if limit is None:
        raise UserError(f"{observed.server.name}: sync rule '{winner.name}' flows member but carries no limit")
    notes: list[str] = []
    export, import_ = found.export_api_version, found.import_api_version
    unseen = set(views.unobserved(observed))
    if "apiVersions.import" in unseen:
        import_ = export
        notes.append(f"apiVersions.import was not observed; {import_} (as export) is written: review it")
    enabled = observed.scheduler.sync_cycle_enabled
    if enabled is None:
        enabled = True
        notes.append("scheduler.syncCycleEnabled was not observed; true is written: review it")
    is_clone = not winner.is_standard
    if is_clone and found.standard is not None and not found.standard.disabled:
        notes.append(
            f"the standard rule is enabled beside '{winner.name}'; the desired state says it is disabled, "
            "so the first plan disables it"
        )
    if (export, import_) != (2, 2) and limit > facts.V1_MEMBER_LIMIT:
        raise UserError(
            f"{observed.server.name}: the rules allow {limit} members but the endpoint is V1; "
            "a valid desired state cannot say that: fix the server or write the state by hand"
        )
    state = DesiredState(
        name=observed.server.name,
        cloud=observed.server.cloud,
        export_api_version=export,
        import_api_version=import_,
        group_member_limit=limit,
        rule_precedence=winner.precedence if is_clone else None,
        sync_cycle_enabled=enabled,
        rule_name=winner.name if is_clone else facts.DEFAULT_MANAGED_RULE_NAME,
    )
    return Bootstrap(state, tuple(notes))
