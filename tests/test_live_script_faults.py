"""A live apply (the whole plan as one script, its events streamed a line per step) when the
script or its session goes wrong: each test here failed on a fault seeded by tests/mutate.py in
the executor's script path, and holds what an operator relies on: the scheduler back on (or kept
off, said), every step journaled as it ended, and no success for a server not as planned."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler import cmdlets
from reconciler.errors import UserError
from reconciler.model import desired
from reconciler.planning import planner, plans
from reconciler.planning.plans import Plan
from reconciler.running.executor import SCRIPT_ALLOWANCE_SECONDS, Executor, Settings
from reconciler.running.journal import Journal
from reconciler.running.progress import Listener
from reconciler.servers import powershell
from reconciler.servers.simulator import InMemoryServer, defaults
from tests import fakes
from tests.scenario import apply, make_plan, rollback, server, state


class _Refusing(InMemoryServer):
    """A simulated server whose session is lost when the import API version is set."""

    def set_import_api_version(self, version: int) -> None:
        raise UserError("the session to the server was lost")


def _events(journal: Journal) -> list[dict[str, Any]]:
    return [json.loads(line) for line in journal.path.read_text(encoding="utf-8").splitlines()]


def _live(
    truth: InMemoryServer, tmp_path: Path, answerer: fakes.Answerer | None = None, listener: Listener | None = None
) -> tuple[Executor, Journal, fakes.SimTransport]:
    transport = fakes.SimTransport(answerer or fakes.Answerer(truth))
    journal = Journal("srv1", tmp_path)
    settings = Settings(wait_timeout=0, listener=listener or Listener())
    executor = Executor(powershell.PowerShellServer(transport, "srv1", "AzureCommercial"), journal, settings)
    return executor, journal, transport


def _plan(truth: InMemoryServer) -> Plan:
    the_plan = make_plan(truth, state())
    assert [a.kind for a in the_plan.actions[:3]] == ["WaitForSyncIdle", "SetSyncCycleEnabled", "SetExportApiVersion"]
    return the_plan


def test_a_session_lost_before_the_scripts_finally_has_the_scheduler_turned_back_on(tmp_path: Path) -> None:
    """The script turned the scheduler off, then its session died with no `finally` said: the run
    turns the scheduler back on itself, journals the step in flight as failed, and fails."""
    truth = _Refusing(defaults.new_server("srv1", "1.5.30.0"))
    the_plan = _plan(truth)
    executor, journal, _ = _live(truth, tmp_path)
    with pytest.raises(UserError, match="the session to the server was lost"):
        executor.run(the_plan)
    assert truth.observe().scheduler.sync_cycle_enabled is True
    events = _events(journal)
    assert [(e["event"], e.get("index"), e.get("result")) for e in events] == [
        ("run-start", None, None), ("action", 0, "done"), ("action", 1, "done"), ("action", 2, "done"),
        ("action", 3, "failed"), ("scheduler-restored", None, None), ("run-end", None, "failed"),
    ]  # fmt: skip
    assert events[2]["scheduler"] is False  # what the journal's history reads a dead run by
    assert "the session to the server was lost" in events[4]["error"]
    assert executor.restore_error is None


def test_a_lost_session_on_a_server_whose_scheduler_the_admin_had_off_leaves_it_off(tmp_path: Path) -> None:
    """A run that found the scheduler off never turns it on, even when the script died half-way."""
    truth = _Refusing(defaults.new_server("srv1", "1.5.30.0"))
    the_plan = _plan(truth)
    truth.set_sync_cycle_enabled(False)
    executor, journal, _ = _live(truth, tmp_path)
    with pytest.raises(UserError, match="the session to the server was lost"):
        executor.run(the_plan)
    assert truth.observe().scheduler.sync_cycle_enabled is False
    assert not any(e["event"].startswith("scheduler-") for e in _events(journal))


def test_a_scheduler_the_script_could_not_turn_back_on_is_said_and_journaled(tmp_path: Path) -> None:
    """The script's `finally` failed to restore the scheduler: the run says it is still disabled,
    with the server's reason, and the journal has it; the run does not try again behind it."""

    class RestoreRefused(fakes.Answerer):
        def _plan(
            self, script: str, stop: threading.Event | None = None, emit: Callable[[str], None] | None = None
        ) -> tuple[list[str], str | None]:
            def rewrite(line: str) -> None:
                # The server refused the restore: the script's catch says so instead.
                if '"scheduler-restored"' in line:
                    self.server.set_sync_cycle_enabled(False)
                    line = line.replace('"scheduler-restored"', '"scheduler-restore-failed"')
                    line = line.replace('"detail":""', '"detail":"Access is denied."')
                if emit is not None:
                    emit(line)

            return super()._plan(script, stop, rewrite)

    truth = InMemoryServer(defaults.new_server("srv1", "1.5.30.0"))
    the_plan = _plan(truth)
    executor, journal, transport = _live(truth, tmp_path, RestoreRefused(truth, fail_at=2))
    with pytest.raises(UserError, match="Access is denied"):
        executor.run(the_plan)
    assert executor.restore_error == "the scheduler could not be restored and is still disabled: Access is denied."
    events = _events(journal)
    assert next(e for e in events if e["event"] == "scheduler-restore-failed")["error"] == "Access is denied."
    assert not any(e["event"] == "scheduler-restored" for e in events)
    assert truth.observe().scheduler.sync_cycle_enabled is False
    assert len(transport.sent) == 2  # the plan's observe and the script: no second restore


def test_a_script_that_reports_steps_out_of_order_fails_the_run(tmp_path: Path) -> None:
    """A step reported under another index is not journaled as that step: the run fails, naming it."""

    class Skewed(fakes.Answerer):
        def _plan(
            self, script: str, stop: threading.Event | None = None, emit: Callable[[str], None] | None = None
        ) -> tuple[list[str], str | None]:
            def rewrite(line: str) -> None:
                if emit is not None:
                    emit(line.replace('"index":1,', '"index":2,') if '"event":"step"' in line else line)

            return super()._plan(script, stop, rewrite)

    truth = InMemoryServer(defaults.new_server("srv1", "1.5.30.0"))
    the_plan = _plan(truth)
    executor, journal, _ = _live(truth, tmp_path, Skewed(truth))
    with pytest.raises(UserError, match="the script reported step 2 where step 1 ran"):
        executor.run(the_plan)
    events = _events(journal)
    assert [(e["index"], e["result"]) for e in events if e["event"] == "action"] == [(0, "done"), (1, "failed")]
    assert events[-1]["event"] == "run-end" and events[-1]["result"] == "failed"


def test_a_live_apply_shows_each_step_as_it_starts_and_ends(tmp_path: Path) -> None:
    """The progress an operator watches: every step started and finished once, numbered from 1."""

    class Watching(Listener):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[tuple[str, int, int, str]] = []

        def starting(self, server: str, action: Any, *, index: int, total: int) -> None:
            self.seen.append(("starting", index, total, action.kind))

        def finished(self, server: str, action: Any, *, index: int, total: int, result: str, seconds: float) -> None:
            self.seen.append((result, index, total, action.kind))

    truth = InMemoryServer(defaults.new_server("srv1", "1.5.30.0"))
    the_plan = _plan(truth)
    listener = Watching()
    executor, _, _ = _live(truth, tmp_path, listener=listener)
    executor.run(the_plan)
    total = len(the_plan.actions)
    expected: list[tuple[str, int, int, str]] = []
    for number, action in enumerate(the_plan.actions, start=1):
        expected += [("starting", number, total, action.kind), ("done", number, total, action.kind)]
    assert listener.seen == expected


def test_a_live_script_is_given_time_for_each_changes_wait_for_a_sync_cycle(tmp_path: Path) -> None:
    """A script that waits up to --wait-timeout before each change is not cut off before its waits end."""
    truth = InMemoryServer(defaults.new_server("srv1", "1.5.30.0"))
    the_plan = _plan(truth)
    given: list[float] = []

    class Timed(fakes.SimTransport):
        def stream(
            self, script: str, on_line: Callable[[str], None], timeout: float = 0, stop: threading.Event | None = None
        ) -> None:
            if cmdlets.ACTION_COMMENT in script:
                given.append(timeout)
            super().stream(script, on_line, timeout, stop)

    server = powershell.PowerShellServer(Timed(fakes.Answerer(truth)), "srv1", "AzureCommercial")
    Executor(server, Journal("srv1", tmp_path), Settings(wait_timeout=30)).run(the_plan)
    changing = sum(1 for a in the_plan.actions if a.definition.changes_server)
    assert changing < len(the_plan.actions)  # the idle wait is a step that changes nothing
    assert given == [SCRIPT_ALLOWANCE_SECONDS + 30 * (changing + 1)]


def test_a_live_run_whose_final_state_was_not_read_observes_the_server_again(tmp_path: Path) -> None:
    """The script's own read of the state it left is missing: the run observes the server once more,
    so its end (the limit in force) and the state it reports are the server's, not nothing."""

    class NoFinalState(fakes.Answerer):
        def _plan(
            self, script: str, stop: threading.Event | None = None, emit: Callable[[str], None] | None = None
        ) -> tuple[list[str], str | None]:
            def rewrite(line: str) -> None:
                if emit is not None and not line.startswith(cmdlets.STATE_MARK):
                    emit(line)

            lines, error = super()._plan(script, stop, rewrite)
            lines[:] = [line for line in lines if not line.startswith(cmdlets.STATE_MARK)]  # already given
            return lines, error

    truth = InMemoryServer(defaults.new_server("srv1", "1.5.30.0"))
    the_plan = _plan(truth)
    executor, journal, _ = _live(truth, tmp_path, NoFinalState(truth))
    executor.run(the_plan)
    assert executor.final == truth.observe()
    assert _events(journal)[-1]["memberLimit"] == 100000


def test_a_scheduler_kept_off_by_the_script_names_the_groups_its_next_cycle_would_delete(tmp_path: Path) -> None:
    """Stopped where V1 would delete a provisioned group: the run says which group keeps the scheduler off."""
    truth = server("1.6.2.4")
    apply(truth, state(), tmp_path / "raise")
    truth.run_cycle(full=True)  # All Faculty (75,000 members) is provisioned
    the_plan = make_plan(truth, rollback(allow_group_deletion=True), allow=True)
    executor, _, _ = _live(truth, tmp_path, fakes.Answerer(truth, fail_at=3))
    with pytest.raises(UserError, match=r"Step 4: Access is denied\."):
        executor.run(the_plan)
    assert truth.observe().scheduler.sync_cycle_enabled is False
    assert executor.restore_error is not None
    assert "its next full sync cycle would delete All Faculty," in executor.restore_error


def test_a_second_ctrl_c_while_the_scheduler_is_turned_back_on_leaves_the_run_as_one_that_died(
    tmp_path: Path,
) -> None:
    """Ctrl-C mid-run, then again while the scheduler is being turned back on: it stays off, and the
    journal shows a run that died with it off, so that the next run turns it back on."""

    class Interrupted(InMemoryServer):
        def set_import_api_version(self, version: int) -> None:
            raise KeyboardInterrupt

        def set_sync_cycle_enabled(self, enabled: bool) -> None:
            if enabled:
                raise KeyboardInterrupt
            super().set_sync_cycle_enabled(enabled)

    truth = Interrupted(defaults.new_server("srv1", "1.5.30.0"))
    the_plan = _plan(truth)
    journal = Journal("srv1", tmp_path)
    executor = Executor(truth, journal, Settings(wait_timeout=0))
    with pytest.raises(KeyboardInterrupt):
        executor.run(the_plan)
    assert truth.observe().scheduler.sync_cycle_enabled is False
    assert executor.restore_error is not None and "interrupted" in executor.restore_error
    assert journal.history().died_with_scheduler_disabled == executor.run_id


def test_a_session_lost_after_the_last_step_fails_the_run_with_every_step_journaled_as_done(tmp_path: Path) -> None:
    """Every step ended, then the script failed (its catch names the step after the last): the run
    fails in one clear line, and no step is journaled as failed that was done."""

    class LostAtTheEnd(fakes.Answerer):
        def _plan(
            self, script: str, stop: threading.Event | None = None, emit: Callable[[str], None] | None = None
        ) -> tuple[list[str], str | None]:
            lines, error = super()._plan(script, stop, emit)
            assert error is None
            after = {"event": "step-failed", "index": script.count(cmdlets.ACTION_COMMENT), "detail": "lost"}
            lines.append(cmdlets.EVENT_MARK + json.dumps(after))
            return lines, "the session to the server was lost"

    truth = InMemoryServer(defaults.new_server("srv1", "1.5.30.0"))
    the_plan = _plan(truth)
    executor, journal, _ = _live(truth, tmp_path, LostAtTheEnd(truth))
    with pytest.raises(UserError, match="the session to the server was lost"):
        executor.run(the_plan)
    events = _events(journal)
    assert [e["result"] for e in events if e["event"] == "action"] == ["done"] * len(the_plan.actions)
    assert events[-1]["event"] == "run-end" and events[-1]["result"] == "failed"


def test_a_scheduler_the_scripts_finally_turned_back_on_is_journaled_as_on(tmp_path: Path) -> None:
    """The journal line that says the script restored the scheduler says it is on: the journal's
    history reads the scheduler a run left from its lines."""
    truth = InMemoryServer(defaults.new_server("srv1", "1.5.30.0"))
    the_plan = _plan(truth)
    executor, journal, _ = _live(truth, tmp_path, fakes.Answerer(truth, fail_at=2))
    with pytest.raises(UserError, match=r"Step 3: Access is denied\."):
        executor.run(the_plan)
    restored = next(e for e in _events(journal) if e["event"] == "scheduler-restored")
    assert restored["scheduler"] is True
    assert truth.observe().scheduler.sync_cycle_enabled is True


# --- the planner's own safety defaults, found by the same tool ----------------------------------


def _with_old_copy(tmp_path: Path) -> InMemoryServer:
    """A server at its desired state plus a disabled hand-made copy of the managed clone: out of the way."""
    truth = server("1.6.2.4")
    apply(truth, state(), tmp_path)
    now = truth.observe()
    clone = next(r for r in now.sync_rules if r.name.endswith("(member limit)") and r.precedence == 90)
    old = dataclasses.replace(
        clone, identifier="aaaaaaaa-0000-4000-8000-000000000061", name="Group Join (old copy)", precedence=61
    )
    return InMemoryServer(now.replace(sync_rules=(*now.sync_rules, dataclasses.replace(old, disabled=True))))


def test_a_caller_of_the_planner_that_does_not_confirm_never_removes_an_unmanaged_rule(tmp_path: Path) -> None:
    """safety.prune: confirm alone removes nothing: the run must confirm too, and by default it has not."""
    want = state(prune="confirm")
    truth = _with_old_copy(tmp_path)
    digest = plans.digest_of(desired.to_document(want))
    unconfirmed = planner.make_plan(want, truth.observe(), digest)
    assert "RemoveSyncRule" not in [a.kind for a in unconfirmed.actions]
    confirmed = planner.make_plan(want, truth.observe(), digest, planner.Options(confirm_prune=True))
    assert [a.params["name"] for a in confirmed.actions if a.kind == "RemoveSyncRule"] == ["Group Join (old copy)"]


def test_the_planner_warns_of_an_unconfirmed_host_only_when_the_source_did_not_say_one(tmp_path: Path) -> None:
    """A state naming its machine, on a source that says which machine it is: no warning; on one
    that does not: the plan says it could not confirm the machine."""
    truth = server("1.5.30.0")
    now = truth.observe()
    said = InMemoryServer(now.replace(server=dataclasses.replace(now.server, host="aadc01.contoso.com")))
    unsaid = InMemoryServer(now.replace(server=dataclasses.replace(now.server, host=None)))
    want = state(host="aadc01.contoso.com")
    assert not [w for w in make_plan(said, want).warnings if "server.host" in w]
    assert [w for w in make_plan(unsaid, want).warnings if "server.host was not observed" in w]
    assert not [w for w in make_plan(unsaid, state()).warnings if "server.host" in w]
