"""Plans as people and programs read them: text (a terminal), json (DESIGN §6), markdown (a pull
request or $GITHUB_STEP_SUMMARY), powershell (a script for the server).

Each reporter is a function from the run's outcomes (sorted by server) to text; the CLI picks
one by name. One server gives DESIGN §6's plan document; several give a fleet document with a
summary and an entry per server, failures included.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from reconciler import fleet, psplan
from reconciler import plan as plan_model
from reconciler.errors import UserError
from reconciler.fleet import Outcome
from reconciler.plan import Plan

# A server's Markdown details longer than this many lines are folded away in a pull request.
FOLD_AFTER_LINES = 12


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "(none)"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (bool, str)) else str(value)


_SIGN = {"add": "+", "remove": "-", "change": "~"}


def plan_text(p: Plan) -> str:
    lines = [f"{p.server} (version {p.observed_version})"]
    if not p.actions:
        lines.append("  No changes: the server matches its desired state.")
    else:
        lines.append("  Changes:")
        lines += [f"    {_SIGN[c.op]} {c.path}: {_value(c.observed)} → {_value(c.desired)}" for c in p.changes]
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


def text(outcomes: Sequence[Outcome]) -> str:
    blocks = [
        plan_text(o.plan)
        if o.plan is not None
        else f"{o.server}: failed ({len(o.problems)} problem(s), listed on stderr)\n"
        for o in outcomes
    ]
    if len(outcomes) > 1:
        blocks.append(fleet.summary(outcomes) + "\n")
    return "\n".join(blocks)


_COMPACT = json.JSONEncoder(ensure_ascii=False).encode


def json_report(outcomes: Sequence[Outcome]) -> str:
    if len(outcomes) == 1 and outcomes[0].plan is not None:
        return json.dumps(plan_model.to_json(outcomes[0].plan), indent=2, ensure_ascii=False) + "\n"
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("in-sync", "changes", "failed")}
    summary = {"servers": len(outcomes), "inSync": counts["in-sync"], "withChanges": counts["changes"],
               "failed": counts["failed"]}  # fmt: skip
    entries = [
        {
            "server": o.server,
            "stateFile": o.path,
            "status": o.status,
            "plan": plan_model.to_json(o.plan) if o.plan is not None else None,
            "errors": [p.message if not p.file else str(p) for p in o.problems],
        }
        for o in outcomes
    ]
    # One line per server: json's C encoder only runs without indent, and 10,000 plans indented
    # take longer to write than to make. Still one JSON document.
    lines = ",\n    ".join(map(_COMPACT, entries))
    body = f"[\n    {lines}\n  ]" if entries else "[]"
    return (
        f'{{\n  "formatVersion": {plan_model.FORMAT_VERSION},\n  "summary": {_COMPACT(summary)},\n'
        f'  "servers": {body}\n}}\n'
    )


def _cell(value: Any) -> str:
    return _text_cell(_value(value))


def plan_markdown(p: Plan, heading: str = "###") -> str:
    status = f"{len(p.actions)} action(s)" if p.actions else "in sync"
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


_ICON = {"in-sync": "in sync", "changes": "changes", "failed": "**failed**"}


def _text_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(outcomes: Sequence[Outcome]) -> str:
    if len(outcomes) == 1 and outcomes[0].plan is not None:
        return plan_markdown(outcomes[0].plan)
    table = ["| server | status | actions |", "| --- | --- | --- |"]
    for o in outcomes:
        actions = len(o.plan.actions) if o.plan is not None else ""
        table.append(f"| `{o.server}` | {_ICON[o.status]} | {actions} |")
    blocks = [f"## ADSync Reconciler: {fleet.summary(outcomes)}", "\n".join(table)]
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


def powershell(outcomes: Sequence[Outcome]) -> str:
    # A script's param() must be its first statement: one server, one script.
    if len(outcomes) != 1 or outcomes[0].plan is None:
        raise UserError(f"--output powershell writes one server's script; {len(outcomes)} state files were given")
    return psplan.script(outcomes[0].plan)


REPORTERS: dict[str, Callable[[Sequence[Outcome]], str]] = {
    "text": text,
    "json": json_report,
    "markdown": markdown,
    "powershell": powershell,
}
