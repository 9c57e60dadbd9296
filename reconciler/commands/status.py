"""`reconciler status STATE…` and `reconciler history NAME` (docs/commands.md#status-and-history)."""

from __future__ import annotations

import dataclasses
import sys

from reconciler.errors import EXIT_CHANGES, EXIT_OK, UserError, printable
from reconciler.formats import files
from reconciler.model import statefiles
from reconciler.model.health import DEGRADED, FAILED
from reconciler.reports import standing as shown
from reconciler.running import fleet, health, results, revision, runner, standing, suspension

FORMATS = {"text": shown.text, "json": shown.as_json, "markdown": shown.markdown}


def status(paths: list[str], options: runner.RunOptions, output: str, detailed_exitcode: bool) -> int:
    """Each server: a fresh plan (nothing is changed) and what its journal remembers."""
    states = fleet.select(statefiles.load_all(paths), None)
    standings = [
        revision.with_revision(health.with_health(standing.standing(s, options), options), options) for s in states
    ]
    standings = [
        dataclasses.replace(s, held=suspension.unattended_now(f)) for s, f in zip(standings, states, strict=True)
    ]
    sys.stdout.write(FORMATS[output](standings))
    if output != "text":
        for s in standings:
            for problem in s.result.problems:
                print(problem, file=sys.stderr)
    code = results.exit_code([s.result for s in standings], detailed_exitcode)
    # Degraded health is short of the desired state too (docs/commands.md#exit-codes).
    degraded = [s for s in standings if s.health is not None and s.health.status == DEGRADED]
    if not (detailed_exitcode and degraded and code == EXIT_OK):
        return code
    for s in degraded:  # an exit of 2 beside "in sync" says why, on stderr so a JSON report stays one document
        assert s.health is not None
        failed = "; ".join(f"{c.name}: {c.reason}" for c in s.health.checks if c.result == FAILED)
        print(printable(f"{s.result.server}: exit 2: health is Degraded ({failed})"), file=sys.stderr)
    return EXIT_CHANGES


def history(name: str, output: str) -> int:
    """A server's journal as a readable history, oldest run first."""
    files.server_name(name, "history")
    journal = standing.journal_of(name, runner.STATE_DIR)
    runs = journal.runs()
    if not runs:
        raise UserError(f"{name}: no runs in {journal.path} (no apply or reconcile of this server has run here)")
    sys.stdout.write(shown.history_json(name, runs) if output == "json" else shown.history_text(name, runs))
    if journal.damaged:
        print(f"{journal.path}: {journal.damaged} damaged line(s) skipped (a run cut short)", file=sys.stderr)
    return 0
