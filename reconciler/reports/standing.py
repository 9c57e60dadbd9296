"""`reconciler status` and `history` for people (text), programs (JSON) and pull requests (Markdown)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reconciler.planning import plans, unmanaged
from reconciler.reports import health
from reconciler.reports import markdown as markup
from reconciler.reports.jsonreport import summary_of
from reconciler.reports.values import printable, shown
from reconciler.running import results
from reconciler.running.results import RunRecord, Standing

FORMAT_VERSION = 1


def reasons(standing: Standing) -> list[str]:
    """Why the server is not in sync, in words: what drifted, a held rollout, problems."""
    result, plan = standing.result, standing.result.plan
    said = [printable(p.message) if not p.file else str(p) for p in result.problems]
    if result.status == "skipped" and result.why:
        said.append(printable(result.why))  # e.g. another machine's state on a single live target
    if plan is not None:
        said += [f"{printable(c.path)}: {shown(c.observed)} → {shown(c.desired)}" for c in plan.changes]
        said += [printable(w) for w in plan.warnings if w.startswith(("rollout:", unmanaged.WARNING))]
    return said


def _facts(standing: Standing) -> list[tuple[str, str]]:
    found = []
    plan = standing.result.plan
    if plan is not None:
        found.append(("observed version", plan.observed_version))
        if plan.target is not None:
            machine = f" (machine {plan.host})" if plan.host else ""
            found.append(("target", f"{plan.target}{machine}"))
    if standing.last_apply is not None:
        time, run, version = standing.last_apply
        found.append(("last successful apply", f"{time} (run {run}, version {version or 'unknown'})"))
    else:
        found.append(("last successful apply", "none recorded here"))
    if standing.last_revision is not None:
        found.append(("last applied revision", standing.last_revision))
    if standing.held is not None:
        found.append(("unattended runs", standing.held))
    if standing.last_run is not None:
        time, run, result = standing.last_run
        found.append(("last run", f"{result} at {time} (run {run}; `reconciler history` tells more)"))
    if standing.last_upgrade is not None:
        before, after, when = standing.last_upgrade
        found.append(("last upgrade seen", f"{before} → {after}" + (f" (before run of {when})" if when else " (now)")))
    return found


def text(standings: Sequence[Standing]) -> str:
    blocks = []
    for s in standings:
        lines = [printable(f"{s.result.server}{_simulated(s)}: {results.WORDS[s.result.status]}")]
        lines += [f"  - {reason}" for reason in reasons(s)]
        lines += [f"  {name}: {printable(value)}" for name, value in _facts(s)]
        lines += health.lines(s.health)
        blocks.append("\n".join(lines) + "\n")
    if len(standings) > 1:
        blocks.append(results.summary([s.result for s in standings]) + "\n")
    return "\n".join(blocks)


def _simulated(standing: Standing) -> str:
    plan = standing.result.plan
    return " (simulated)" if plan is not None and plan.simulated else ""


def _triple(value: tuple[str, str, str | None] | None, names: tuple[str, str, str]) -> dict[str, Any] | None:
    return dict(zip(names, value, strict=True)) if value is not None else None


def as_json(standings: Sequence[Standing]) -> str:
    servers = [
        {
            "server": s.result.server,
            "stateFile": s.result.path,
            "status": s.result.status,
            "observedVersion": s.result.plan.observed_version if s.result.plan is not None else None,
            "target": s.result.plan.target if s.result.plan is not None else None,
            "simulated": s.result.plan.simulated if s.result.plan is not None else None,
            "reasons": reasons(s),
            "changes": plans.to_json(s.result.plan)["changes"] if s.result.plan is not None else [],
            "lastSuccessfulApply": _triple(s.last_apply, ("time", "run", "version")),
            "lastAppliedRevision": s.last_revision,
            "unattendedHeld": s.held,
            "lastRun": _triple(s.last_run, ("time", "run", "result")),
            "lastUpgradeSeen": _triple(s.last_upgrade, ("from", "to", "seenBefore")),
            "health": health.as_json(s.health),
        }
        for s in standings
    ]
    summary = summary_of([s.result for s in standings])
    document = {"formatVersion": FORMAT_VERSION, "summary": summary, "servers": servers}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def markdown(standings: Sequence[Standing]) -> str:
    rows = ["| server | status | why | last successful apply | last upgrade seen | health |", "| --- " * 6 + "|"]
    for s in standings:
        why = markup.plain("; ".join(reasons(s)))
        applied = s.last_apply[0] if s.last_apply else ""
        upgrade = printable(f"{s.last_upgrade[0]} → {s.last_upgrade[1]}") if s.last_upgrade else ""
        rows.append(
            f"| {markup.code_cell(s.result.server)}{_simulated(s)} | {results.WORDS[s.result.status]} | {why} "
            f"| {applied} | {upgrade} | {health.cell(s.health)} |"
        )
    heading = f"## ADSync Reconciler status: {results.summary([s.result for s in standings])}"
    return heading + "\n\n" + "\n".join(rows) + "\n"


def history_text(name: str, runs: Sequence[RunRecord]) -> str:
    lines = [printable(f"{name}: {len(runs)} run(s) in the journal, oldest first")]
    for r in runs:
        limits = ""
        if r.limit_after is not None:
            limits = (
                f", limit {r.limit_before} → {r.limit_after}"
                if r.limit_before is not None and r.limit_before != r.limit_after
                else f", limit {r.limit_after}"
            )
        lines.append(
            printable(f"{r.started or '?'}  run {r.run}  {r.result}  (version {r.version or 'unknown'}{limits})")
        )
        machine = f" (machine {r.host})" if r.host else ""
        lines.append(
            printable(f"    target: {r.target}{machine}" if r.target else "    target: not recorded (a run of 0.2)")
        )
        if r.revision is not None:
            lines.append(f"    revision: {r.revision[:12]}" + (" (with uncommitted changes)" if r.dirty else ""))
        lines += [printable(f"    {result:<8} {action}") for action, result in r.actions]
        lines += [printable(f"    note: {note}") for note in r.notes]
    return "\n".join(lines) + "\n"


def history_json(name: str, runs: Sequence[RunRecord]) -> str:
    document = {
        "formatVersion": FORMAT_VERSION,
        "server": name,
        "runs": [
            {
                "run": r.run,
                "started": r.started,
                "ended": r.ended,
                "result": r.result,
                "target": r.target,
                "host": r.host,
                "revision": r.revision,
                "dirty": r.dirty,
                "observedVersion": r.version,
                "memberLimitBefore": r.limit_before,
                "memberLimit": r.limit_after,
                "actions": [{"action": a, "result": res} for a, res in r.actions],
                "notes": list(r.notes),
            }
            for r in runs
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
