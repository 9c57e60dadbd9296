"""`reconciler status` and `history`: each server's standing from a fresh plan and its journal.

The plan says whether the server is in sync, drifted (and in what), held or failing now; the
journal says when it was last applied successfully, how its last run ended, and the last
in-place upgrade seen (a change of build between runs, or between the last run and now).
"""

from __future__ import annotations

import itertools
from pathlib import Path

from reconciler.model.statefiles import StateFile
from reconciler.running import runner
from reconciler.running.journal import Journal
from reconciler.running.results import RunRecord, Standing


def standing(state_file: StateFile, options: runner.RunOptions) -> Standing:
    """The server on this target: its runs there only (a twin's rehearsal is the twin's history)."""
    result = runner.plan_result(state_file, options)
    host = result.plan.host if result.plan is not None else None
    runs = runner.journal_for(state_file.state.name, options, host).runs()
    now = result.plan.observed_version if result.plan is not None else None
    return Standing(result, _last_apply(runs), _last_run(runs), _last_upgrade(runs, now))


def journal_of(name: str, state_dir: Path) -> Journal:
    """Every run of the server, whatever target it touched (`reconciler history`)."""
    return Journal(name, state_dir / "journal")


def _last_apply(runs: list[RunRecord]) -> tuple[str, str, str | None] | None:
    done = [r for r in runs if r.result == "success" and r.ended]
    return (str(done[-1].ended), done[-1].run, done[-1].version) if done else None


def _last_run(runs: list[RunRecord]) -> tuple[str, str, str] | None:
    if not runs or runs[-1].result == "success":
        return None
    last = runs[-1]
    return (str(last.ended or last.started), last.run, last.result)


def _last_upgrade(runs: list[RunRecord], now: str | None) -> tuple[str, str, str | None] | None:
    """The last change of build: between two runs, or since the last run (seen now)."""
    seen: list[tuple[str, str | None]] = [(r.version, r.started) for r in runs if r.version]
    if now is not None:
        seen.append((now, None))
    found = None
    for (before, _), (after, when) in itertools.pairwise(seen):
        if before != after:
            found = (before, after, when)
    return found
