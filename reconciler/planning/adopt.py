"""The desired state that matches a server as it is now: `reconciler export` (bootstrap a repo).

Planning against the same source afterwards finds nothing to do, except where the server holds
something the desired-state format cannot say (a clone *and* the standard rule enabled): that
is reported, not hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.errors import UserError
from reconciler.model import facts, inforce, limitrules, syncrules
from reconciler.model.desired import DesiredState
from reconciler.model.limitrules import LimitRule
from reconciler.model.observed import ObservedState, SyncRule
from reconciler.planning import views


@dataclass(frozen=True, slots=True)
class Bootstrap:
    state: DesiredState
    notes: tuple[str, ...]


def _clone_of(observed: ObservedState, family: LimitRule) -> SyncRule | None:
    """The custom rule that stands in for a standard limit-carrying rule, however it was made.

    An editable copy made with the Rules Editor keeps the standard rule's name; one made by this
    tool has the default clone name; otherwise the kind of rule tells: a copy of Group Join
    provisions groups, a copy of the Writeup Member Limit rule does not."""
    custom = [
        r
        for r in observed.sync_rules
        if not r.is_standard and syncrules.is_outbound_group_rule(r) and syncrules.flows_member(r)
    ]
    named = [r for r in custom if r.name in (family.name, family.default_clone_name)]
    if not named:
        taken = {n for f in limitrules.CATALOGUE for n in (f.name, f.default_clone_name)}
        named = [r for r in custom if r.name not in taken and (r.link_type == "Provision") == family.provisions]
    return min(named, key=lambda r: r.precedence, default=None)


def desired_from(observed: ObservedState) -> Bootstrap:
    clones = {f.key: _clone_of(observed, f) for f in limitrules.CATALOGUE}
    found = inforce.read(observed, {key: c.name for key, c in clones.items() if c is not None})
    limit = found.member_limit
    if limit is None:
        raise UserError(
            f"{observed.server.name}: no enabled rule carries a member limit to Azure AD: nothing to describe"
        )
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
    if (export, import_) != (2, 2) and limit > facts.V1_MEMBER_LIMIT:
        raise UserError(
            f"{observed.server.name}: the rules allow {limit} members but the endpoint is V1; "
            "a valid desired state cannot say that: fix the server or write the state by hand"
        )
    names: dict[str, str] = {}
    precedences: dict[str, int | None] = {}
    for family in found.families:
        clone = clones[family.rule.key]
        needs_clone = limit != family.standard_limit
        names[family.rule.key] = clone.name if clone is not None else family.rule.default_clone_name
        precedences[family.rule.key] = clone.precedence if clone is not None and needs_clone else None
        carried = None if clone is None or clone.disabled else found.limit_of(clone).flow
        if clone is not None and carried is not None and carried != limit:
            notes.append(
                f"'{clone.name}' carries {carried} members, but the lowest limit in force is {limit}: that is what "
                f"is written; raise groupMemberLimit (and {family.rule.precedence_key} for each limit-carrying "
                "rule) to go above it"
            )
        if needs_clone and clone is not None and family.standard is not None and not family.standard.disabled:
            notes.append(
                f"the standard rule '{family.standard.name}' is enabled beside '{clone.name}'; the desired state "
                "says it is disabled, so the first plan disables it"
            )
    join, writeup = limitrules.GROUP_JOIN.key, limitrules.GROUP_WRITEUP.key
    state = DesiredState(
        name=observed.server.name,
        # The machine as it reported itself: a state exported from one server never lands on another.
        host=observed.server.host,
        cloud=observed.server.cloud,
        export_api_version=export,
        import_api_version=import_,
        group_member_limit=limit,
        rule_precedence=precedences.get(join),
        sync_cycle_enabled=enabled,
        rule_name=names.get(join, limitrules.GROUP_JOIN.default_clone_name),
        writeup_rule_precedence=precedences.get(writeup),
        writeup_rule_name=names.get(writeup, limitrules.GROUP_WRITEUP.default_clone_name),
    )
    return Bootstrap(state, tuple(notes))
