"""Health as a pure function of an observation, the journal's facts and the time (reconciler.model.health)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from reconciler.model import health
from reconciler.model.health import DEGRADED, HEALTHY, UNKNOWN, JournalFacts
from reconciler.model.observed import ConnectorOverride, ObservedState, SyncCycleResult
from reconciler.running.health import facts
from reconciler.running.results import RunRecord
from reconciler.servers.simulator.defaults import new_server

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
TODAY = "2026-12-06"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _server(ended: datetime | None = NOW - timedelta(hours=1), version: str = "2.6.92.0") -> ObservedState:
    state = new_server("aadc01", version)
    cycle = SyncCycleResult("success", (), "delta", None if ended is None else _iso(ended))
    return state.replace(last_sync_cycle=cycle)


def _off(state: ObservedState) -> ObservedState:
    return state.replace(scheduler=dataclasses.replace(state.scheduler, sync_cycle_enabled=False))


def _pending(state: ObservedState) -> ObservedState:
    return state.replace(connector_overrides=(ConnectorOverride(state.aad_connector.name, True, True),))


def _check(found: health.Health, name: str) -> health.Check:
    return next(c for c in found.checks if c.name == name)


def test_a_current_build_with_a_recent_cycle_is_healthy() -> None:
    found = health.assess(_server(), NOW, today=TODAY)
    assert found.status == HEALTHY and found.reasons == ()
    assert _check(found, "last cycle").reason == "ended 1 h 0 min ago (2026-12-06T11:00:00Z)"
    assert _check(found, "build").reason == "build 2.6.92.0 synchronizes, the current build"


def test_the_7_day_rule_is_a_boundary() -> None:
    within = health.assess(_server(NOW - timedelta(days=7)), NOW, today=TODAY)
    beyond = health.assess(_server(NOW - timedelta(days=7, seconds=1)), NOW, today=TODAY)
    assert (within.status, beyond.status) == (HEALTHY, DEGRADED)


def test_a_cycle_without_an_end_time_is_unknown_and_a_failed_one_degraded() -> None:
    assert health.assess(_server(None), NOW, today=TODAY).status == UNKNOWN
    state = _server()
    assert state.last_sync_cycle is not None
    stopped = state.replace(last_sync_cycle=dataclasses.replace(state.last_sync_cycle, result="stopped-server-down"))
    found = health.assess(stopped, NOW, today=TODAY)
    assert found.status == DEGRADED and "did not complete: stopped-server-down" in found.reasons[0]


def test_a_build_newer_than_the_table_is_said_but_not_judged() -> None:
    found = health.assess(_server(version="2.7.1.0"), NOW, today=TODAY)
    assert found.status == HEALTHY
    assert _check(found, "build").result == "info"


def test_a_build_past_its_end_of_support_that_still_synchronizes_is_degraded() -> None:
    found = health.assess(_server(version="2.5.79.0"), NOW, today=TODAY)
    assert found.status == DEGRADED
    assert found.reasons == ("build: build 2.5.79.0 reached end of support on 2026-10-23; upgrade to 2.6.92.0",)


def test_the_scheduler_left_off_by_this_tool_counts_from_the_journal() -> None:
    state = _off(_server())
    since = JournalFacts(scheduler_off_since=_iso(NOW - timedelta(hours=30)))
    found = health.assess(state, NOW, since, today=TODAY)
    assert found.status == DEGRADED
    assert found.reasons[0].startswith("scheduler: synchronization off since 2026-12-05T06:00:00Z (1 day 6 h)")
    recent = JournalFacts(scheduler_off_since=_iso(NOW - timedelta(hours=2)))
    assert health.assess(state, NOW, recent, today=TODAY).status == HEALTHY
    assert health.assess(_off(_server(None)), NOW, today=TODAY).status == UNKNOWN


def test_a_full_sync_flagged_by_our_run_counts_from_the_journal_unless_a_cycle_ran_since() -> None:
    state = _pending(_server(NOW - timedelta(hours=40)))
    ours = JournalFacts(full_sync_flagged_at=_iso(NOW - timedelta(hours=30)))
    assert health.assess(state, NOW, ours, today=TODAY).status == DEGRADED
    # Flagged before the last cycle ended: that cycle ran it, so someone else set the flag since.
    before = JournalFacts(full_sync_flagged_at=_iso(NOW - timedelta(hours=50)))
    found = health.assess(state, NOW, before, today=TODAY)
    assert _check(found, "full sync").reason.startswith("pending, and no cycle has run it for 1 day 16 h")
    fresh = _pending(_server())
    assert _check(health.assess(fresh, NOW, today=TODAY), "full sync").result == "info"


def _run(
    actions: list[tuple[str, str]], notes: tuple[str, ...] = (), started: str = "2026-12-05T06:00:00Z"
) -> RunRecord:
    return RunRecord("r", started, started, "success", "2.6.92.0", None, None, tuple(actions), notes)


def test_the_journal_says_when_our_runs_left_the_scheduler_off_and_flagged_a_full_sync() -> None:
    off = _run([("SetSyncCycleEnabled(enabled=false)", "done"), ('CreateSyncRule(name="x")', "done")])
    assert facts([off]) == JournalFacts("2026-12-05T06:00:00Z", "2026-12-05T06:00:00Z")
    restored = _run([("SetSyncCycleEnabled(enabled=true)", "done")], started="2026-12-05T07:00:00Z")
    cleared = _run([('SetConnectorOverride(connectorName="c", fullSyncRequired=false)', "done")])
    assert facts([off, restored, cleared]) == JournalFacts(None, None)
    kept = _run([("SetSyncCycleEnabled(enabled=false)", "failed")], notes=("scheduler kept off: groups at risk",))
    assert facts([kept]).scheduler_off_since == "2026-12-05T06:00:00Z"
    assert facts([_run([('DisableSyncRule(name="x")', "skipped")])]) == JournalFacts()


def test_how_long_reads_at_a_glance() -> None:
    assert [health.ago(timedelta(minutes=m)) for m in (0, 59, 61, 24 * 60, 49 * 60 + 5)] == [
        "0 min",
        "59 min",
        "1 h 1 min",
        "1 day 0 h",
        "2 days 1 h",
    ]
