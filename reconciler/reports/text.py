"""Plans for a terminal: one block per server, then Terraform's summary line.

A rule that an action writes is shown as it will be written (its `member` expression and its
`memberCount` scope conditions), when the plan carries it (a one-server plan does). Colour only
when asked (a terminal without NO_COLOR or TERM=dumb, decided by the command).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reconciler.planning.plans import Plan
from reconciler.reports.values import printable, shown
from reconciler.running import results
from reconciler.running.results import ServerResult

_SIGN = {"add": "+", "remove": "-", "change": "~"}
_COLOUR = {"+": "32", "-": "31", "~": "33", "bold": "1", "red": "31", "yellow": "33", "green": "32"}
# The warning the planner adds when deletions are allowed; the "Deletes" line already says it.
_DELETES_WARNING = "deletes "


def _paint(text: str, colour: str, enabled: bool) -> str:
    return f"\x1b[{_COLOUR[colour]}m{text}\x1b[0m" if enabled else text


def _written(the_plan: Plan, name: str) -> list[str]:
    """The rule an action writes, as the server will hold it: member flow and member-count scope."""
    rule = the_plan.script.managed_rules.get(name)
    if rule is None:
        return []
    lines = []
    for mapping in rule.attribute_flow_mappings:
        if mapping.destination == "member" and mapping.expression:
            lines.append(printable(f"member = {mapping.expression}"))
    scopes: dict[str, int] = {}
    for group in rule.scope_filter:
        for condition in group.conditions:
            if condition.attribute == "memberCount":
                said = printable(f"scope: memberCount {condition.comparison_operator} {condition.comparison_value}")
                scopes[said] = scopes.get(said, 0) + 1
    # The standard rules repeat the condition in each of their scope groups: said once, counted.
    lines += [f"{said} (in {n} scope groups)" if n > 1 else said for said, n in scopes.items()]
    return lines


def plan_text(p: Plan, colour: bool = False) -> str:
    simulated = ", simulated" if p.simulated else ""
    lines = [_paint(printable(f"{p.server} (version {p.observed_version}{simulated})"), "bold", colour)]
    if p.held:
        lines.append("  No changes this run: a staged rollout holds the limit below the desired one (see below).")
    elif not p.actions:
        lines.append("  No changes: the server matches its desired state.")
    else:
        lines.append("  Changes:")
        for c in p.changes:
            sign = _SIGN[c.op]
            lines.append(
                f"    {_paint(sign, sign, colour)} {printable(c.path)}: {shown(c.observed)} → {shown(c.desired)}"
            )
        lines.append(f"  Actions, in order ({len(p.actions)}):")
        for i, a in enumerate(p.actions, 1):
            lines.append(printable(f"    {i}. {a.describe()}: {a.reason}"))
            if a.kind in ("CreateSyncRule", "UpdateSyncRule"):
                lines += [f"         {line}" for line in _written(p, str(a.params["name"]))]
    impact = p.impact
    if impact.groups_to_provision:
        lines.append(
            printable(
                f"  Provisions {len(impact.groups_to_provision)} group(s): {', '.join(impact.groups_to_provision)}"
            )
        )
    if impact.groups_to_delete:
        deletes = f"  Deletes {len(impact.groups_to_delete)} group(s) on the next full sync: "
        lines.append(_paint(printable(deletes + ", ".join(impact.groups_to_delete)), "red", colour))
    for w in p.warnings:
        if impact.groups_to_delete and w.startswith(_DELETES_WARNING):
            continue
        lines.append(_paint(printable(f"  Warning: {w}"), "yellow", colour))
    return "\n".join(lines) + "\n"


# The managed settings that are no rule (planning/views.py): the API versions and the scheduler.
_SETTINGS = ("apiVersions.", "scheduler.")


def summary_line(plans: Iterable[Plan]) -> str:
    """Terraform's `Plan: …` line, over every server: rules, other settings, groups, and servers held."""
    kinds: dict[str, int] = {}
    provision = over = delete = held = settings = 0
    for p in plans:
        held += p.held
        settings += sum(c.path.startswith(_SETTINGS) for c in p.changes)
        for a in p.actions:
            kinds[a.kind] = kinds.get(a.kind, 0) + 1
        provision += len(p.impact.groups_to_provision)
        over += len(p.impact.groups_over_limit)
        delete += len(p.impact.groups_to_delete)
    rules = (
        f"{kinds.get('CreateSyncRule', 0)} rule(s) to create, {kinds.get('UpdateSyncRule', 0)} to update, "
        f"{kinds.get('DisableSyncRule', 0)} to disable, {kinds.get('EnableSyncRule', 0)} to enable, "
        f"{kinds.get('RemoveSyncRule', 0)} to remove"
    )
    groups = f"{provision} group(s) to provision, {over} to stop updating, {delete} to delete"
    tail = f"; {held} server(s) held by a staged rollout" if held else ""
    return f"Plan: {rules}; {settings} setting(s) to change; {groups}{tail}."


def server_block(outcome: ServerResult, colour: bool = False) -> str:
    """One server's block; a failed server's problems are the command's to print (on stderr), right after it."""
    if outcome.plan is not None:
        return plan_text(outcome.plan, colour)
    if outcome.status == "skipped":
        return printable(f"{outcome.server}: skipped: {outcome.why}") + "\n"
    return (
        _paint(
            printable(f"{outcome.server}: failed ({len(outcome.problems)} problem(s), listed on stderr)"), "red", colour
        )
        + "\n"
    )


def footer(outcomes: Sequence[ServerResult]) -> str:
    """The summary line of what the plans change, and of the servers' statuses for several."""
    lines = []
    found = [o.plan for o in outcomes if o.plan is not None]
    if any(p.actions or p.held for p in found):
        lines.append(summary_line(found) + "\n")
    if len(outcomes) > 1:
        lines.append(results.summary(outcomes) + "\n")
    return "\n".join(lines)


def report(outcomes: Sequence[ServerResult], colour: bool = False) -> str:
    blocks = [server_block(o, colour) for o in outcomes]
    tail = footer(outcomes)
    return "\n".join(blocks + ([tail] if tail else []))
