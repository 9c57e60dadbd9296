"""Apply under faults: an action failing, or the process killed, at every action boundary."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import Refused, UserError
from reconciler.model import syncrules
from reconciler.model.statefiles import StateFile
from reconciler.running import runner
from reconciler.running.executor import Executor, Settings
from reconciler.running.journal import Journal
from reconciler.servers import targets
from reconciler.servers.simulator import InMemoryServer, SimulatedServer, defaults
from tests.scenario import apply, make_plan, rollback, state

MUTATIONS = (
    "set_sync_cycle_enabled",
    "set_export_api_version",
    "set_import_api_version",
    "add_rule",
    "remove_rule",
    "set_rule_disabled",
    "set_connector_override",
)
LONGEST = state()  # on a 1.5.30.0 server: off, export, import, create, disable, on


class Faulty:
    """The real simulator, with one fault injected at the k-th change (counting from 0)."""

    def __init__(self, inner: Any, fail_at: int, fault: Any) -> None:
        self.inner, self.fail_at, self.fault, self.calls = inner, fail_at, fault, 0

    def __getattr__(self, attr: str) -> Any:
        target = getattr(self.inner, attr)
        if attr not in MUTATIONS:
            return target

        def call(*args: Any) -> Any:
            self.calls += 1
            if self.calls == self.fail_at + 1:  # once: the server works again afterwards
                self.fault()
            return target(*args)

        return call


def _refuse() -> None:
    raise Refused("srv1: injected failure")


def test_a_scheduler_that_cannot_be_restored_is_reported(tmp_path: Path) -> None:
    class Broken(Faulty):
        def set_sync_cycle_enabled(self, enabled: bool) -> None:
            if not enabled:
                self.inner.set_sync_cycle_enabled(False)
                return
            raise Refused("srv1: the scheduler service does not answer")

    server = InMemoryServer(defaults.new_server("srv1", "1.5.30.0"))
    executor = Executor(Broken(server, 1, _refuse), Journal("srv1", tmp_path), Settings(wait_timeout=0))
    with pytest.raises(UserError):
        executor.run(make_plan(server, LONGEST))
    assert executor.restore_error == (
        "the scheduler could not be restored and is still disabled: srv1: the scheduler service does not answer"
    )


def test_the_longest_plan_has_six_changes() -> None:
    p = make_plan(InMemoryServer(defaults.new_server("srv1", "1.5.30.0")), LONGEST)
    assert len(p.actions) == 7


@pytest.mark.parametrize("fail_at", range(6))
def test_an_action_failing_restores_the_scheduler_and_the_next_run_converges(tmp_path: Path, fail_at: int) -> None:
    server = InMemoryServer(defaults.new_server("srv1", "1.5.30.0"))
    p = make_plan(server, LONGEST)
    executor = Executor(Faulty(server, fail_at, _refuse), Journal("srv1", tmp_path), Settings(wait_timeout=0))
    with pytest.raises(UserError, match="injected failure"):
        executor.run(p)
    assert server.state.scheduler.sync_cycle_enabled is True
    apply(server, LONGEST, tmp_path)
    assert make_plan(server, LONGEST).actions == ()
    assert len(syncrules.managed_clones(server.state, LONGEST.rule_name)) == 1
    assert syncrules.effective_limit(server.state) == 100000


ROLLBACK = rollback(allow_group_deletion=True)


def _raised_with_faculty_provisioned(tmp_path: Path) -> InMemoryServer:
    server = InMemoryServer(defaults.new_server("srv1", "1.6.2.4"))
    apply(server, state(), tmp_path / "raise")
    server.run_cycle(full=True)
    assert "All Faculty" in {g.name for g in server.state.groups or () if g.provisioned}
    return server


@pytest.mark.parametrize("fail_at", range(1, 8))
def test_a_rollback_stopped_half_way_keeps_the_scheduler_off_only_while_groups_would_go(
    tmp_path: Path, fail_at: int
) -> None:
    """Invariant 7: after a failed action the scheduler comes back on only if its next full cycle
    deletes nothing it would not have deleted before the run; else it stays off, and says why."""
    server = _raised_with_faculty_provisioned(tmp_path)
    p = make_plan(server, ROLLBACK)
    kinds = [a.kind for a in p.actions]
    assert kinds.index("SetExportApiVersion") == 2  # then import, then each family: enable, remove
    executor = Executor(Faulty(server, fail_at, _refuse), Journal("srv1", tmp_path), Settings(wait_timeout=0))
    with pytest.raises(UserError, match="injected failure"):
        executor.run(p)
    export_done = fail_at > 1  # change 0 turns the scheduler off, change 1 sets the export version
    if export_done:
        # Back on V1 with All Faculty (75,000) provisioned: a full cycle now would delete it.
        assert server.state.scheduler.sync_cycle_enabled is False
        assert executor.restore_error is not None
        assert executor.restore_error.startswith(
            "the scheduler stays disabled: its next full sync cycle would delete All Faculty, which it would not "
            "have before this run"
        )
        events = [json.loads(line)["event"] for line in (tmp_path / "srv1.jsonl").read_text().splitlines()]
        assert "scheduler-kept-off" in events
    else:
        assert server.state.scheduler.sync_cycle_enabled is True and executor.restore_error is None
    # The next run finishes the rollback and turns the scheduler on.
    apply(server, ROLLBACK, tmp_path, allow=True)
    assert server.state.scheduler.sync_cycle_enabled is True
    assert make_plan(server, ROLLBACK, allow=True).actions == ()


def _die() -> None:
    os._exit(9)  # like a kill: no finally, no cleanup


def _apply_and_die(sim: str, state_dir: str, fail_at: int) -> None:
    os.chdir(state_dir)
    server = SimulatedServer(Path(sim))
    p = make_plan(InMemoryServer(server.observe()), LONGEST)
    Executor(Faulty(server, fail_at, _die), Journal("srv1", Path(state_dir) / "journal"), Settings(wait_timeout=0)).run(
        p
    )


@pytest.mark.parametrize("kill_at", range(6))
def test_a_killed_run_is_healed_by_the_next_reconcile(tmp_path: Path, kill_at: int) -> None:
    sim = tmp_path / "srv1.json"
    SimulatedServer(sim).create(defaults.new_server("srv1", "1.5.30.0"), replace=False)
    child = multiprocessing.get_context("spawn").Process(target=_apply_and_die, args=(str(sim), str(tmp_path), kill_at))
    child.start()
    child.join(60)
    assert child.exitcode == 9
    killed = SimulatedServer(sim).observe()
    assert killed.scheduler.sync_cycle_enabled is (kill_at == 0)  # the kill left it off after the first change

    options = runner.RunOptions(target=targets.SimTarget(file=sim), wait_timeout=0, state_dir=tmp_path)
    applied = runner.apply_one(StateFile("srv1.yaml", LONGEST), options, confirm=lambda _p: True)
    if kill_at > 0:
        assert any("stopped with the scheduler disabled; this run restores it" in n for n in applied.notes)
    healed = SimulatedServer(sim).observe()
    assert healed.scheduler.sync_cycle_enabled is True
    assert len(syncrules.managed_clones(healed, LONGEST.rule_name)) == 1
    assert syncrules.effective_limit(healed) == 100000
    again = runner.apply_one(StateFile("srv1.yaml", LONGEST), options, confirm=lambda _p: True)
    assert again.plan.actions == () and again.notes == []
    for line in (tmp_path / "journal" / "srv1.jsonl").read_text().splitlines():
        assert json.loads(line)["server"] == "srv1"


def test_waiting_for_idle_is_bounded_and_changes_nothing(tmp_path: Path) -> None:
    server = InMemoryServer(defaults.new_server("srv1", "1.6.2.4"))
    p = make_plan(server, state())
    server.state = server.state.replace(
        scheduler=dataclasses.replace(server.state.scheduler, sync_cycle_in_progress=True)
    )
    before = server.state
    clock = iter(range(0, 1000, 10))
    settings = Settings(wait_timeout=30, poll_interval=10, sleep=lambda _s: None, clock=lambda: float(next(clock)))
    with pytest.raises(UserError, match=r"a sync cycle was still running after 30 s \(--wait-timeout\)"):
        Executor(server, Journal("srv1", tmp_path), settings).run(p)
    assert server.state == before


def test_waiting_ends_when_the_cycle_does(tmp_path: Path) -> None:
    server = InMemoryServer(defaults.new_server("srv1", "1.6.2.4"))
    p = make_plan(server, state())
    busy = server.state.replace(scheduler=dataclasses.replace(server.state.scheduler, sync_cycle_in_progress=True))
    idle = server.state
    server.state = busy
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 3:
            server.state = idle  # the cycle finishes

    Executor(server, Journal("srv1", tmp_path), Settings(wait_timeout=60, poll_interval=2, sleep=sleep)).run(p)
    assert polls == [2, 2, 2]
    assert syncrules.effective_limit(server.state) == 100000


def test_journal_records_every_action(tmp_path: Path) -> None:
    server = InMemoryServer(defaults.new_server("srv1", "1.6.2.4"))
    apply(server, state(), tmp_path)
    entries = [json.loads(line) for line in (tmp_path / "srv1.jsonl").read_text().splitlines()]
    assert [e["event"] for e in entries] == ["run-start"] + ["action"] * 7 + ["run-end"]
    assert entries[-1]["result"] == "success" and entries[-1]["observedVersion"] == "1.6.2.4"
    assert {e["run"] for e in entries} == {entries[0]["run"]}
    assert entries[0]["planDigest"].startswith("sha256:")


def test_an_upgrade_during_a_run_is_drift_for_the_next(tmp_path: Path) -> None:
    server = InMemoryServer(defaults.new_server("srv1", "1.6.2.4"))
    p = make_plan(server, state())

    class UpgradedMidway(Faulty):
        def set_rule_disabled(self, identifier: str, disabled: bool) -> None:
            self.inner.set_rule_disabled(identifier, disabled)
            if self.inner.observe().server.version == "1.6.2.4":
                self.inner.upgrade("1.6.4.0")

    journal = Journal("srv1", tmp_path)
    Executor(UpgradedMidway(server, 99, _refuse), journal, Settings(wait_timeout=0)).run(p)
    assert journal.history().last_applied_version == "1.6.2.4"  # so the next run says "drift after upgrade"
