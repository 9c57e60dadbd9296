"""Plans for a terminal: one block per server, and a summary line for several."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler import results
from reconciler.plans import Plan
from reconciler.reports.values import shown
from reconciler.results import ServerResult

_SIGN = {"add": "+", "remove": "-", "change": "~"}


def plan_text(p: Plan) -> str:
    lines = [f"{p.server} (version {p.observed_version})"]
    if p.held:
        lines.append("  No changes this run: a staged rollout holds the limit below the desired one (see below).")
    elif not p.actions:
        lines.append("  No changes: the server matches its desired state.")
    else:
        lines.append("  Changes:")
        lines += [f"    {_SIGN[c.op]} {c.path}: {shown(c.observed)} → {shown(c.desired)}" for c in p.changes]
        lines.append(f"  Actions, in order ({len(p.actions)}):")
        lines += [f"    {i}. {a.describe()}: {a.reason}" for i, a in enumerate(p.actions, 1)]
    impact = p.impact
    if impact.groups_to_provision:
        lines.append(
            f"  Provisions {len(impact.groups_to_provision)} group(s): {', '.join(impact.groups_to_provision)}"
        )
    if impact.groups_to_delete:
        lines.append(f"  Deletes {len(impact.groups_to_delete)} group(s): {', '.join(impact.groups_to_delete)}")
    lines += [f"  Warning: {w}" for w in p.warnings]
    return "\n".join(lines) + "\n"


def report(outcomes: Sequence[ServerResult]) -> str:
    blocks = [
        plan_text(o.plan)
        if o.plan is not None
        else f"{o.server}: failed ({len(o.problems)} problem(s), listed on stderr)\n"
        for o in outcomes
    ]
    if len(outcomes) > 1:
        blocks.append(results.summary(outcomes) + "\n")
    return "\n".join(blocks)
