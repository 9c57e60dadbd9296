"""Plans for a pull request or $GITHUB_STEP_SUMMARY: a table of servers, details folded when long."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler import results
from reconciler.plans import Plan
from reconciler.reports.values import shown
from reconciler.results import ServerResult

# A server's details longer than this many lines are folded away in a pull request.
FOLD_AFTER_LINES = 12

_STATUS = {
    "in-sync": "in sync",
    "changes": "changes",
    "progressing": "changes (rollout step)",
    "held": "**held** (rollout)",
    "changed": "changed",
    "skipped": "**skipped**",
    "declined": "**declined**",
    "interrupted": "**interrupted**",
    "failed": "**failed**",
}


def _text_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _cell(value: Any) -> str:
    return _text_cell(shown(value))


def plan_markdown(p: Plan, heading: str = "###") -> str:
    status = f"{len(p.actions)} action(s)" if p.actions else "held by a staged rollout" if p.held else "in sync"
    out = [f"{heading} `{p.server}`: {status}\n", f"Observed version {p.observed_version}.\n"]
    if p.changes and p.actions:
        out.append("| setting | observed | desired |\n| --- | --- | --- |")
        out += [f"| `{c.path}` | {_cell(c.observed)} | {_cell(c.desired)} |" for c in p.changes]
        out.append("")
        out += [f"{i}. `{a.describe()}`: {a.reason}" for i, a in enumerate(p.actions, 1)]
        out.append("")
    if p.impact.groups_to_provision:
        out.append(f"**Provisions:** {', '.join(p.impact.groups_to_provision)}\n")
    if p.impact.groups_to_delete:
        out.append(f"**Deletes:** {', '.join(p.impact.groups_to_delete)}\n")
    out += [f"> **Warning:** {w}\n" for w in p.warnings]
    return "\n".join(out).rstrip("\n") + "\n"


def report(outcomes: Sequence[ServerResult]) -> str:
    if len(outcomes) == 1 and outcomes[0].plan is not None:
        return plan_markdown(outcomes[0].plan)
    table = ["| server | status | actions |", "| --- | --- | --- |"]
    for o in outcomes:
        actions = len(o.plan.actions) if o.plan is not None else ""
        status = _STATUS[o.status]
        if o.plan is not None and o.plan.impact.groups_to_delete:  # never only inside the folded details
            status += f", **deletes {len(o.plan.impact.groups_to_delete)} group(s)**"
        table.append(f"| `{o.server}` | {status} | {actions} |")
    blocks = [f"## ADSync Reconciler: {results.summary(outcomes)}", "\n".join(table)]
    for o in outcomes:
        if o.status == "in-sync":
            continue
        if o.plan is not None:
            body = plan_markdown(o.plan, heading="####").rstrip("\n")
        else:
            problems = "\n".join(f"- {_text_cell(str(p))}" for p in o.problems)
            body = f"#### `{o.server}`: failed\n\n{problems}"
        if body.count("\n") > FOLD_AFTER_LINES:
            # GitHub renders Markdown inside <details> only after a blank line.
            body = f"<details><summary><code>{o.server}</code>: {o.status}</summary>\n\n{body}\n\n</details>"
        blocks.append(body)
    return "\n\n".join(blocks) + "\n"
