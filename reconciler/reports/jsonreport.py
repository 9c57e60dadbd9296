"""Plans for programs: one server's plan document, or a fleet document (docs/plan.md#plan-json)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from reconciler.model import observed
from reconciler.planning import plans
from reconciler.running import results
from reconciler.running.results import ServerResult

_COMPACT = plans.COMPACT
_STRING = observed.STRING  # what _COMPACT writes for a str


def report(outcomes: Sequence[ServerResult]) -> str:
    return "".join(pieces(outcomes))


def pieces(outcomes: Sequence[ServerResult]) -> Iterator[str]:
    """The report a piece at a time, to be written as made: 20,000 servers' document (40 MB) is
    then never held whole, nor encoded whole on its way out."""
    if len(outcomes) == 1 and outcomes[0].plan is not None:
        yield json.dumps(plans.to_json(outcomes[0].plan), indent=2, ensure_ascii=False) + "\n"
    else:
        yield from _fleet_pieces(outcomes)


def _entry(o: ServerResult) -> str:
    """What _COMPACT writes for the server's entry, its plan's text (Plan.compact_text, which a
    fleet's worker processes have written already) set in whole."""
    plan = o.plan.compact_text if o.plan is not None else "null"
    if not o.problems and not o.why:
        # Most of a fleet, written by hand rather than by two encoder calls: the parent writes these
        # after the last plan is in, on one core, while nothing else runs.
        server, path, status = _STRING(o.server), _STRING(o.path), _STRING(o.status)
        return f'{{"server": {server}, "stateFile": {path}, "status": {status}, "plan": {plan}, "errors": []}}'
    return _general_entry(o, plan)


def _general_entry(o: ServerResult, plan: str) -> str:
    head = _COMPACT({"server": o.server, "stateFile": o.path, "status": o.status})
    tail = _COMPACT({
        "errors": [p.message if not p.file else str(p) for p in o.problems],
        **({"reason": o.why} if o.why else {}),
    })  # fmt: skip
    return f'{head[:-1]}, "plan": {plan}, {tail[1:]}'


def fleet_report(outcomes: Sequence[ServerResult]) -> str:
    """The fleet document, whatever the number of servers: what `apply --output json` prints."""
    return "".join(_fleet_pieces(outcomes))


def summary_of(outcomes: Sequence[ServerResult]) -> dict[str, int]:
    """The one summary every JSON document of servers carries (plan, apply, reconcile, report, status;
    docs/commands.md#results): servers, inSync, withChanges and failed always, the other statuses when
    any server has them."""
    counts = results.counts(outcomes)
    # A rollout step is a plan with changes too: `withChanges` counts it, `progressing` says which.
    planned_only = all(o.converged is None for o in outcomes)  # a plan's report, not an apply's
    with_changes = counts["changes"] + (counts["progressing"] if planned_only else 0)
    summary = {"servers": len(outcomes), "inSync": counts["in-sync"], "withChanges": with_changes,
               "failed": counts["failed"]}  # fmt: skip
    for status in ("held", "progressing", "changed", "skipped", "declined", "interrupted"):
        if counts[status]:
            summary[status] = counts[status]
    return summary


def _fleet_pieces(outcomes: Sequence[ServerResult]) -> Iterator[str]:
    summary = summary_of(outcomes)
    # One line per server: json's C encoder only runs without indent, and a fleet's plans indented
    # take longer to write than to make. Still one JSON document. Each entry is made and written
    # in turn: a fleet's plans are never all held as dicts at once.
    yield f'{{\n  "formatVersion": {plans.FORMAT_VERSION},\n  "summary": {_COMPACT(summary)},\n  "servers": '
    if not outcomes:
        yield "[]"
    for index, outcome in enumerate(outcomes):
        yield ("[\n    " if index == 0 else ",\n    ") + _entry(outcome)
    yield "\n  ]\n}\n" if outcomes else "\n}\n"
