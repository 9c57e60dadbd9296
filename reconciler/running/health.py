"""Each server's health beside its standing (`reconciler status`, docs/health.md): the journal's facts
read from its runs, and the observation the status's plan was made from (no second observation)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

from reconciler.model import builds, health
from reconciler.model.health import JournalFacts
from reconciler.running import runner
from reconciler.running.results import RunRecord, Standing

# Actions whose rule change sets the AAD connector's FullSyncRequired (docs/domain.md#changing-the-limit:
# creating or disabling a rule sets the connector's full-sync flag; the rule is sent whole, so an
# update counts too), and the one that clears it.
_FLAGS_FULL_SYNC = frozenset(
    {"CreateSyncRule", "UpdateSyncRule", "RemoveSyncRule", "DisableSyncRule", "EnableSyncRule"}
)
_CLEARS_FULL_SYNC = "SetConnectorOverride"
_SCHEDULER = "SetSyncCycleEnabled"
_KEPT_OFF = "scheduler kept off"


def facts(runs: Sequence[RunRecord]) -> JournalFacts:
    """When a run of ours last left synchronization off, and last set the full-sync flag (not since cleared)."""
    off_since: str | None = None
    flagged_at: str | None = None
    for run in runs:
        when = run.started or run.ended
        for action, result in run.actions:
            if result != "done":
                continue
            kind = action.split("(", 1)[0]
            if kind == _SCHEDULER:
                off_since = (off_since or when) if "enabled=false" in action else None
            elif kind in _FLAGS_FULL_SYNC:
                flagged_at = run.ended or when
            elif kind == _CLEARS_FULL_SYNC and "fullSyncRequired=false" in action:
                flagged_at = None
        if any(note.startswith(_KEPT_OFF) for note in run.notes):
            off_since = off_since or when
    return JournalFacts(scheduler_off_since=off_since, full_sync_flagged_at=flagged_at)


def with_health(standing: Standing, options: runner.RunOptions, now: datetime | None = None) -> Standing:
    """The standing with its health; a server that could not be observed has none (its status says why)."""
    plan = standing.result.plan
    observed = plan.script.observed if plan is not None else None
    if observed is None or plan is None:
        return standing
    runs = runner.journal_for(plan.server, options, plan.host).runs()
    judged = health.assess(observed, now or datetime.now(UTC), facts(runs), today=builds.today())
    return dataclasses.replace(standing, health=judged)
