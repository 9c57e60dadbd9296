"""A staged rollout steps once per sync cycle: journal plus lastSyncCycle decide (docs/state-file.md#rollout)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.errors import UserError
from reconciler.model import desired, syncrules
from reconciler.model.observed import ExportError, SyncCycleResult
from reconciler.planning import planner, plans
from reconciler.planning.plans import Plan
from reconciler.running import journal as journal_module
from reconciler.running.journal import Journal
from reconciler.servers.simulator import InMemoryServer
from tests.scenario import apply, server, state

WANT = state(group_member_limit=100000, max_limit_increase=25000)
STEP_ENDED = "2026-11-23T06:00:00.000Z"


def plan_with(srv: InMemoryServer, journal: Journal, now: str = "2026-11-23T06:01:00Z") -> Plan:
    history = journal.history()
    options = planner.Options(
        proven_limit=history.proven_limit,
        last_raise_at=history.last_raise_at,
        last_raise_cycle=history.last_raise_cycle,
        now=datetime.fromisoformat(now.replace("Z", "+00:00")),
    )
    return planner.make_plan(WANT, srv.observe(), plans.digest_of(desired.to_document(WANT)), options)


@pytest.fixture
def stepped_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[InMemoryServer, Journal]:
    """The rollout's first step, 50,000 to 75,000, by a run that ended at STEP_ENDED."""
    monkeypatch.setattr(journal_module, "_now", lambda: STEP_ENDED)
    srv = server("1.6.2.4")
    apply(srv, WANT, tmp_path)
    assert syncrules.effective_limit(srv.observe()) == 75000
    return srv, Journal(WANT.name, tmp_path)


Stepped = tuple[InMemoryServer, Journal]


def with_cycle(srv: InMemoryServer, ended_at: str | None) -> None:
    srv.state = srv.state.replace(last_sync_cycle=SyncCycleResult("success", (), "delta", ended_at))


def test_the_journal_knows_when_the_limit_was_last_raised(stepped_once: Stepped) -> None:
    _, journal = stepped_once
    history = journal.history()
    assert (history.proven_limit, history.last_raise_at) == (75000, STEP_ENDED)


def test_no_second_step_before_a_cycle_has_completed_after_the_first(stepped_once: Stepped) -> None:
    srv, journal = stepped_once
    with_cycle(srv, "2026-11-23T05:59:00.000Z")  # the cycle before the step
    held = plan_with(srv, journal)
    assert held.actions == () and held.held
    assert any(
        w.startswith("rollout: the limit stays at 75000: no sync cycle has completed since the last step")
        for w in held.warnings
    )


def test_a_cycle_after_the_step_lets_the_next_one_happen(stepped_once: Stepped) -> None:
    srv, journal = stepped_once
    with_cycle(srv, "2026-11-23T06:30:00.123Z")
    stepped = plan_with(srv, journal)
    assert any(c.path == "groupMemberLimit" and c.desired == 100000 for c in stepped.changes)
    assert not stepped.held


@pytest.fixture
def stepped_without_end_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Stepped:
    """The first step on a server whose source reports cycles without an end time (old snapshots)."""
    monkeypatch.setattr(journal_module, "_now", lambda: STEP_ENDED)
    srv = server("1.6.2.4")
    with_cycle(srv, None)
    apply(srv, WANT, tmp_path)
    return srv, Journal(WANT.name, tmp_path)


def test_without_end_times_another_cycle_result_means_a_cycle_has_run(stepped_without_end_times: Stepped) -> None:
    srv, journal = stepped_without_end_times
    assert plan_with(srv, journal).held  # the cycle the step saw: no evidence of another
    srv.state = srv.state.replace(
        last_sync_cycle=SyncCycleResult("success", (ExportError("dn-attributes-failure", 1),), "delta", None)
    )
    stepped = plan_with(srv, journal)
    assert not stepped.held and any(c.desired == 100000 for c in stepped.changes)


def test_without_end_times_the_scheduler_interval_stands_in(stepped_without_end_times: Stepped) -> None:
    srv, journal = stepped_without_end_times
    scheduler = dataclasses.replace(srv.state.scheduler, currently_effective_sync_cycle_interval="01:00:00")
    srv.state = srv.state.replace(scheduler=scheduler)
    early = plan_with(srv, journal, now="2026-11-23T06:59:59Z")
    assert early.held
    assert any(
        "one scheduler interval (1h00m) after the last step: not before 2026-11-23T07:00:00Z" in w
        for w in early.warnings
    )
    late = plan_with(srv, journal, now="2026-11-23T07:00:00Z")
    assert not late.held and late.actions
    assert any("the scheduler's interval (1h00m) has passed since the last step" in w for w in late.warnings)


def test_the_default_interval_is_thirty_minutes(stepped_without_end_times: Stepped) -> None:
    srv, journal = stepped_without_end_times
    scheduler = dataclasses.replace(srv.state.scheduler, currently_effective_sync_cycle_interval=None)
    srv.state = srv.state.replace(scheduler=scheduler)
    assert plan_with(srv, journal, now="2026-11-23T06:29:00Z").held
    assert not plan_with(srv, journal, now="2026-11-23T06:30:00Z").held


def test_a_journal_from_before_0_2_falls_back_to_the_interval(stepped_once: Stepped) -> None:
    srv, journal = stepped_once
    lines = journal.path.read_text(encoding="utf-8").splitlines()
    old = [json.dumps({k: v for k, v in json.loads(line).items() if k != "lastSyncCycle"}) for line in lines]
    journal.path.write_text("\n".join(old) + "\n", encoding="utf-8")
    assert journal.history().last_raise_cycle is None
    with_cycle(srv, None)
    assert plan_with(srv, journal, now="2026-11-23T06:01:00Z").held
    assert not plan_with(srv, journal, now="2026-11-23T06:31:00Z").held


def test_climbing_back_after_an_upgrade_is_not_a_step(stepped_once: Stepped) -> None:
    srv, journal = stepped_once
    srv.upgrade("1.6.4.0")  # the 1.6 known issue: back to 50,000
    with_cycle(srv, "2026-11-23T05:00:00.000Z")  # no cycle since the step
    back = plan_with(srv, journal)
    assert any(c.path == "groupMemberLimit" and c.desired == 75000 for c in back.changes)
    assert any(w.startswith("rollout: the limit stays at 75000") for w in back.warnings)
    assert not back.held  # it has actions: restoring the proven limit


def test_a_time_that_is_not_iso_8601_is_an_error(stepped_once: Stepped) -> None:
    srv, journal = stepped_once
    with_cycle(srv, "yesterday")
    with pytest.raises(UserError, match=r"lastSyncCycle\.endedAt 'yesterday' is not an ISO 8601 time"):
        plan_with(srv, journal)


def test_the_simulator_stamps_each_cycle() -> None:
    srv = server("1.6.2.4")
    _, after = srv.run_cycle(full=False)
    assert after.last_sync_cycle is not None and after.last_sync_cycle.ended_at is not None
    ended = datetime.fromisoformat(after.last_sync_cycle.ended_at.replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - ended).total_seconds()) < 60
