"""Plans for a pull request or $GITHUB_STEP_SUMMARY: a table of servers, details folded when long."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from reconciler.planning.plans import Plan
from reconciler.reports.values import printable, shown
from reconciler.running import results
from reconciler.running.results import ServerResult

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


# What could turn a server's text into Markdown of its own in a pull request (emphasis, a link, an
# image, HTML, a table cell's end): backslash-escaped, as GitHub Flavored Markdown reads it literally.
_MARKUP = re.compile(r"([\\`*_\[\]<>!|~])")


def plain(text: str) -> str:
    """Server-controlled text as plain text in Markdown: one line, no markup of its own."""
    return _MARKUP.sub(r"\\\1", printable(text))


def code(text: str) -> str:
    """Text in a code span, which a backtick inside it cannot end (a longer fence)."""
    shown_text = printable(text)
    return f"`` {shown_text} ``" if "`" in shown_text else f"`{shown_text}`"


def code_cell(text: str) -> str:
    """A code span in a table cell: GitHub reads \\| there as the pipe, not the cell's end."""
    return code(text).replace("|", "\\|")


def _text_cell(text: str) -> str:
    return plain(text)


def _cell(value: Any) -> str:
    return _text_cell(shown(value))


def plan_markdown(p: Plan, heading: str = "###") -> str:
    status = f"{len(p.actions)} action(s)" if p.actions else "held by a staged rollout" if p.held else "in sync"
    simulated = " (simulated)" if p.simulated else ""
    server, version = code(p.server), plain(p.observed_version)
    out = [f"{heading} {server}{simulated}: {status}\n", f"Observed version {version}.\n"]
    if p.changes and p.actions:
        out.append("| setting | observed | desired |\n| --- | --- | --- |")
        out += [f"| {code_cell(c.path)} | {_cell(c.observed)} | {_cell(c.desired)} |" for c in p.changes]
        out.append("")
        out += [f"{i}. {code(a.describe())}: {plain(a.reason)}" for i, a in enumerate(p.actions, 1)]
        out.append("")
    if p.impact.groups_to_provision:
        out.append(f"**Provisions:** {plain(', '.join(p.impact.groups_to_provision))}\n")
    if p.impact.groups_to_delete:
        out.append(f"**Deletes:** {plain(', '.join(p.impact.groups_to_delete))}\n")
    out += [f"> **Warning:** {plain(w)}\n" for w in p.warnings]
    return "\n".join(out).rstrip("\n") + "\n"


# Where a report must fit: a pull-request comment holds 65,536 characters, a job summary 1 MiB
# (GitHub's documented limits). Measured in UTF-8 bytes, which is never fewer than characters.
PR_COMMENT_BYTES = 65_536
JOB_SUMMARY_BYTES = 1_048_576
# What a cut report points to for the rest.
REST = "the JSON report (`--output json`; in CI, the plan artifacts)"
# Worst first when a report must be cut: failures, deletions, holds, changes, then the rest.
_SEVERITY = {"failed": 0, "interrupted": 0, "declined": 1, "held": 2, "skipped": 2, "progressing": 3, "changes": 3}


def _row(o: ServerResult) -> str:
    actions = len(o.plan.actions) if o.plan is not None else ""
    status = _STATUS[o.status]
    if o.plan is not None and o.plan.impact.groups_to_delete:  # never only inside the folded details
        status += f", **deletes {len(o.plan.impact.groups_to_delete)} group(s)**"
    if o.why:
        status += f": {_text_cell(o.why)}"
    return f"| {code_cell(o.server)} | {status} | {actions} |"


def _details(o: ServerResult) -> str:
    if o.plan is not None:
        body = plan_markdown(o.plan, heading="####").rstrip("\n")
    else:
        problems = "\n".join(f"- {_text_cell(str(p))}" for p in o.problems)
        body = f"#### {code(o.server)}: {o.status}\n\n{problems or _text_cell(o.why)}"
    if body.count("\n") > FOLD_AFTER_LINES:
        # GitHub renders Markdown inside <details> only after a blank line.
        summary = f"<summary><code>{html.escape(printable(o.server))}</code>: {o.status}</summary>"
        body = f"<details>{summary}\n\n{body}\n\n</details>"
    return body


def _severity(o: ServerResult) -> tuple[int, str]:
    deletes = o.plan is not None and bool(o.plan.impact.groups_to_delete)
    return (1 if deletes and o.status != "failed" else _SEVERITY.get(o.status, 4), o.server)


def report(outcomes: Sequence[ServerResult], max_bytes: int | None = None) -> str:
    if len(outcomes) == 1 and outcomes[0].plan is not None and outcomes[0].why == "":
        whole = plan_markdown(outcomes[0].plan)
        if max_bytes is None or len(whole.encode("utf-8")) <= max_bytes:
            return whole
    heading = f"## ADSync Reconciler: {results.summary(outcomes)}"
    header = "| server | status | actions |\n| --- | --- | --- |"
    table = "\n".join([header, *(_row(o) for o in outcomes)])
    blocks = [heading, table, *(_details(o) for o in outcomes if o.status != "in-sync")]
    whole = "\n\n".join(blocks) + "\n"
    if max_bytes is None or len(whole.encode("utf-8")) <= max_bytes:
        return whole
    return _within(outcomes, heading, header, max_bytes)


def _within(outcomes: Sequence[ServerResult], heading: str, header: str, max_bytes: int) -> str:
    """The summary and the worst servers that fit, and where the rest is."""
    ranked = sorted(outcomes, key=_severity)
    footer_room = 400
    used = len(heading.encode("utf-8")) + len(header.encode("utf-8")) + footer_room
    rows: list[str] = []
    for o in ranked:
        row = _row(o)
        if used + len(row.encode("utf-8")) + 1 > max_bytes:
            break
        rows.append(row)
        used += len(row.encode("utf-8")) + 1
    details: list[str] = []
    for o in ranked[: len(rows)]:
        if o.status == "in-sync":
            continue
        body = _details(o)
        if used + len(body.encode("utf-8")) + 2 > max_bytes:
            break
        details.append(body)
        used += len(body.encode("utf-8")) + 2
    left = len(outcomes) - len(rows)
    note = (
        f"_Cut to fit {max_bytes:,} bytes: the table shows the {len(rows)} most urgent of {len(outcomes)} "
        f"servers (failures, deletions, holds and changes first), details for {len(details)}"
        + (f"; {left} more" if left else "")
        + f". Every server is in {REST}._"
    )
    return "\n\n".join([heading, note, "\n".join([header, *rows]), *details]) + "\n"
