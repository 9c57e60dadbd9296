"""`reconciler report FILE…`: merge plan reports (JSON, one per shard) into one report.

The CI matrix plans a slice of the fleet per runner (`plan --shard K/N --output json`); this
reads every slice's document, single-server or fleet, and prints one report of them all.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from reconciler import reports
from reconciler.errors import Problem, UserError
from reconciler.formats import files, jsontext
from reconciler.planning import plans
from reconciler.reports import markdown
from reconciler.running import results
from reconciler.running.results import ServerResult


def _outcomes(document: Any, source: str) -> list[ServerResult]:
    if isinstance(document, dict) and "servers" in document and "summary" in document:
        entries = document["servers"]
        if not isinstance(entries, list):
            raise UserError(f"{source}: 'servers' is not a list")
        found = []
        for entry in entries:
            plan = plans.from_json(entry["plan"], source) if entry.get("plan") is not None else None
            problems = tuple(Problem("", None, None, str(e)) for e in entry.get("errors", []))
            found.append(_entry(entry, plan, problems))
        return found
    single = plans.from_json(document, source)
    return [ServerResult(single.server, "", single)]


# What an apply's statuses need beyond the plan (the fleet document of `apply --output json`).
_AFTER_APPLY = {"changed": True, "progressing": True}
_NOT_RUN = ("skipped", "declined", "interrupted")


def _entry(entry: dict[str, Any], plan: plans.Plan | None, problems: tuple[Problem, ...]) -> ServerResult:
    status = entry.get("status")
    outcome = str(status) if status in _NOT_RUN else None
    return ServerResult(
        str(entry["server"]),
        str(entry.get("stateFile", "")),
        plan,
        problems,
        converged=_AFTER_APPLY.get(str(status)),
        outcome=outcome,
        why=str(entry.get("reason", "")),
    )


def _same(one: ServerResult, other: ServerResult) -> bool:
    said = (one.path, one.status, [str(p) for p in one.problems])
    return said == (other.path, other.status, [str(p) for p in other.problems]) and one.plan == other.plan


def report(paths: list[str], output: str, detailed_exitcode: bool, max_bytes: int | None = None) -> int:
    outcomes: list[ServerResult] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}  # each file once: a report given twice would count its servers twice
    from_file: dict[str, tuple[str, ServerResult]] = {}  # server -> the report it came from, and its entry
    for name in paths:
        real = os.path.realpath(name)
        if real in seen:
            problems.append(Problem(name, None, None, f"given twice (as {seen[real]}); each report is read once"))
            continue
        seen[real] = name
        try:
            text = jsontext.decode(files.read_bytes(name, files.MAX_REPORT_BYTES, name), name)
        except UserError as exc:
            problems += exc.problems
            continue
        if not text.strip():  # plan always writes a document, even for a shard with no servers
            problems.append(Problem(name, None, None, "empty: not a plan report (did its plan run fail?)"))
            continue
        try:
            found = _outcomes(jsontext.loads(text, name), name)
        except (UserError, KeyError, TypeError) as exc:
            problems.append(Problem(name, None, None, f"not a plan report: {exc}"))
            continue
        for outcome in found:
            other, earlier = from_file.setdefault(outcome.server, (name, outcome))
            if earlier is outcome:
                outcomes.append(outcome)
            elif not _same(earlier, outcome):
                problems.append(Problem(name, None, None, f"{outcome.server} is in {other} too, differently"))
            # else: one finding every shard repeats (a state file whose name could not be read): counted once
    if problems:
        raise UserError(problems)
    outcomes.sort(key=lambda o: o.server)
    if output == "markdown":
        sys.stdout.write(markdown.report(outcomes, max_bytes or markdown.JOB_SUMMARY_BYTES))
    else:
        sys.stdout.write(reports.reporter(output)(outcomes))
    return results.exit_code(outcomes, detailed_exitcode)
