"""Plans as people and programs read them: text (a terminal), json (DESIGN §6), markdown (a pull request).

Each reporter is a function from plans to text; the CLI picks one by name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from reconciler import plan as plan_model
from reconciler import psplan
from reconciler.plan import Plan


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "(none)"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (bool, str)) else str(value)


_SIGN = {"add": "+", "remove": "-", "change": "~"}


def text(plans: Sequence[Plan]) -> str:
    blocks = []
    for p in plans:
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
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def json_report(plans: Sequence[Plan]) -> str:
    if len(plans) == 1:
        document: Any = plan_model.to_json(plans[0])
    else:
        document = {"formatVersion": plan_model.FORMAT_VERSION, "plans": [plan_model.to_json(p) for p in plans]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _cell(value: Any) -> str:
    return _value(value).replace("|", "\\|")


def markdown(plans: Sequence[Plan]) -> str:
    out = []
    for p in plans:
        status = f"{len(p.actions)} action(s)" if p.actions else "in sync"
        out.append(f"### `{p.server}`: {status}\n")
        out.append(f"Observed version {p.observed_version}.\n")
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


REPORTERS: dict[str, Callable[[Sequence[Plan]], str]] = {
    "text": text,
    "json": json_report,
    "markdown": markdown,
    "powershell": psplan.report,
}
