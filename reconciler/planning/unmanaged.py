"""Unmanaged rules: custom rules in the managed rules' scope that no state file manages (docs/plan.md#unmanaged-rules).

A hand-made clone of `Out to AAD - Group Join` under another name, or a second enabled copy, caps
or provisions groups beside the managed clone: the lowest limit among enabled rules is the one in
force (docs/domain.md#the-rules-that-carry-the-limit), so such a rule silently undoes the state
file. Every plan and status reports them; a plan removes them only when the state file says
`safety.prune: confirm` and the run is given `--confirm-prune` (Argo CD's Prune=confirm): never by
default.

In scope: custom (not standard) outbound group rules of the AAD connector that carry a member limit
(in their member flow or a memberCount scope condition), flow `member`, or provision groups,
and that are none of the managed clones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from reconciler.errors import UserError
from reconciler.model import syncrules
from reconciler.model.inforce import InForce
from reconciler.model.observed import ObservedState, SyncRule
from reconciler.planning.actions import Action, RemoveSyncRule

# How a plan's warning about one starts (status reports these too).
WARNING = "unmanaged rule"
# The plan's change path for what a confirmed prune removes.
CHANGE_PATH = "unmanagedRules"
PRUNE_CONFIRM = "confirm"


@dataclass(frozen=True, slots=True)
class Unmanaged:
    rule: SyncRule
    why: str  # what puts it in the managed rules' scope, in words

    @property
    def summary(self) -> str:
        state = "disabled" if self.rule.disabled else "enabled"
        return f"'{self.rule.name}' ({state}, precedence {self.rule.precedence}, {self.rule.identifier})"


def _why(rule: SyncRule) -> str | None:
    said = []
    try:
        limit = syncrules.rule_limit(rule)
    except UserError:
        said.append("a member flow that cannot be read")
    else:
        if limit.flow is not None:
            said.append(f"carries a member limit of {limit.flow}")
        elif limit.scope:
            said.append(f"scopes on memberCount < {min(limit.scope)}")
    if not said and syncrules.flows_member(rule):
        said.append("flows member")
    if rule.link_type == syncrules.PROVISION:
        said.append("provisions groups")
    return ", ".join(said) or None


def find(state: ObservedState, found: InForce) -> tuple[Unmanaged, ...]:
    """The server's unmanaged rules, by precedence."""
    managed = {r.identifier for f in found.families for r in (f.standard, *f.clones) if r is not None}
    unmanaged = []
    for rule in sorted(syncrules.custom_outbound_rules(state), key=lambda r: (r.precedence, r.identifier)):
        if rule.identifier in managed:
            continue
        why = _why(rule)
        if why is not None:
            unmanaged.append(Unmanaged(rule, why))
    return tuple(unmanaged)


def warnings(found: tuple[Unmanaged, ...], prune: str | None, confirmed: bool, removed: tuple[str, ...]) -> list[str]:
    """One warning a rule: what it is, and what becomes of it (`removed`: the names this plan removes)."""
    said = []
    for u in found:
        if prune != PRUNE_CONFIRM:
            fate = "reported only (safety.prune: confirm and --confirm-prune remove it)"
        elif not confirmed:
            fate = "kept: safety.prune is confirm, and removing it needs --confirm-prune"
        elif u.rule.name in removed:
            fate = "removed by this plan (safety.prune: confirm, --confirm-prune)"
        else:
            fate = "kept: a custom rule out of scope has the same name, and RemoveSyncRule removes by name"
        said.append(f"{WARNING} {u.summary}: {u.why}; no state file manages it: {fate}")
    return said


def names_to_remove(state: ObservedState, found: tuple[Unmanaged, ...]) -> tuple[str, ...]:
    """RemoveSyncRule takes a name and removes every custom outbound group rule of the AAD connector
    by that name: each name once, and only a name that no rule out of scope shares."""
    unmanaged = {u.rule.identifier for u in found}
    names = dict.fromkeys(u.rule.name for u in found)
    return tuple(n for n in names if all(r.identifier in unmanaged for r in syncrules.managed_clones(state, n)))


def without(found: InForce, removed: frozenset[str]) -> InForce:
    """What is in force, less the rules a plan removes (by identifier) among those in its way."""
    if not removed:
        return found
    return dataclasses.replace(found, competitors=tuple(r for r in found.competitors if r.identifier not in removed))


def hint(found: tuple[Unmanaged, ...], prune: str | None) -> str:
    """Said under a refused plan when unmanaged rules are on the server: how they can go."""
    names = ", ".join(f"'{u.rule.name}'" for u in found)
    how = (
        "--confirm-prune removes them"
        if prune == PRUNE_CONFIRM
        else "safety.prune: confirm and --confirm-prune remove them"
    )
    return f"unmanaged rule(s) on the server, which no state file manages: {names}; {how}"


def removal(name: str) -> Action:
    return Action(RemoveSyncRule.name, {"name": name}, "an unmanaged rule in the managed rules' scope (safety.prune)")
