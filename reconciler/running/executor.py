"""Carrying out a plan on a server, safely (docs/plan.md#applying-a-plan).

- Before each action the server is observed again; an action already satisfied is skipped, so
  a plan applied twice, or resumed after a crash, changes nothing more than once.
- Nothing changes while a sync cycle runs: the executor waits for idle (bounded by the wait
  timeout) before the first change and again whenever a cycle started in between.
- In every failure path, Ctrl-C included, a scheduler this run disabled is turned back on, but
  only when the server's next full cycle would delete nothing it would not have deleted before
  the run (invariant 7 of docs/plan.md#ordering-invariants); otherwise it stays off and the run
  says why: the next `reconcile` finishes the change and turns it on.
- Every action's outcome is journaled before the next one starts.

A live server (`ScriptServer`: the powershell and winrm:// targets), where each session costs
seconds, runs the whole plan as one script in one session: the plan's own guarded steps, built as
`plan --output powershell` prints them (`reconciler.planning.scripts`), each checking the server
first and waiting for a sync cycle to end, with the scheduler restored in its `finally` by the
same invariant 7 decision the printed script makes. The script reports each step as it ends and
the executor journals it then; the state it leaves comes back in the same session.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler.errors import UserError
from reconciler.formats import jsonmodel
from reconciler.model import provisioning, syncrules
from reconciler.model.observed import ObservedState
from reconciler.options import DEFAULT_WAIT_TIMEOUT
from reconciler.planning import plans, scripts
from reconciler.planning.actions import Action
from reconciler.planning.plans import Plan
from reconciler.running.journal import Journal
from reconciler.running.progress import Listener, Stopped

if TYPE_CHECKING:  # an annotation only: any server will do
    from reconciler.servers.protocol import ScriptServer, Server

# A live script's own allowance beyond its waits for sync cycles to end.
SCRIPT_ALLOWANCE_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class StepResult:
    action: Action
    result: str  # done | skipped


@dataclass(frozen=True, slots=True)
class Settings:
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT
    poll_interval: float = 2.0
    # None: wait on the listener's stop event, so that a stop request ends the wait at once.
    sleep: Callable[[float], None] | None = None
    clock: Callable[[], float] = time.monotonic
    listener: Listener = field(default_factory=Listener)


class Executor:
    def __init__(self, server: Server, journal: Journal, settings: Settings = Settings()) -> None:
        self.server = server
        self.journal = journal
        self.settings = settings
        self.run_id = os.urandom(6).hex()
        self.restore_error: str | None = None
        self.final: ObservedState | None = None  # the server as the run left it, when it could be observed
        self._disabled_by_us = False  # this run turned the scheduler off

    def wait_for_idle(self, deadline: float) -> ObservedState:
        started = self.settings.clock()
        listener = self.settings.listener
        while True:
            self._check_stop()
            state = self.server.observe()
            if not state.scheduler.sync_cycle_in_progress:
                return state
            listener.waiting(state.server.name, self.settings.clock() - started)
            if self.settings.clock() >= deadline:
                raise UserError(
                    f"{state.server.name}: a sync cycle was still running after {self.settings.wait_timeout:g} s "
                    "(--wait-timeout); stopped before changing anything further"
                )
            pause = min(self.settings.poll_interval, max(0.0, deadline - self.settings.clock()))
            if self.settings.sleep is not None:
                self.settings.sleep(pause)
            else:
                listener.stop.wait(pause)

    def _check_stop(self) -> None:
        if self.settings.listener.stop.is_set():
            raise Stopped()

    def run(
        self, the_plan: Plan, scheduler_was_enabled: bool | None = None, observed: ObservedState | None = None
    ) -> list[StepResult]:
        """Carry out the plan. `scheduler_was_enabled` overrides what is observed now, for a
        scheduler that a run which died left disabled (see Journal.history); `observed` is the
        state the plan was just made from, under the server's lock (else it is observed here)."""
        deadline = self.settings.clock() + self.settings.wait_timeout
        first = self.server.observe() if observed is None else observed
        risk_before = provisioning.deletion_risk(first)
        scheduler_was = first.scheduler.sync_cycle_enabled if scheduler_was_enabled is None else scheduler_was_enabled
        self.journal.record(
            "run-start",
            self.run_id,
            planDigest=plans.digest_of(plans.to_json(the_plan)),
            observedVersion=first.server.version,
            actions=len(the_plan.actions),
        )
        self._disabled_by_us = False
        outcomes: list[StepResult] = []
        result = "failed"
        # A live server runs the whole plan as one script; the others, action by action.
        live = self.server if hasattr(self.server, "run_plan_script") else None
        script = _Script(self, the_plan, outcomes, live) if live is not None and the_plan.actions else None
        try:
            self._check_stop()
            if script is not None:
                script.run(scheduler_was, bool(scheduler_was_enabled))
            else:
                self._run_steps(the_plan, deadline, scheduler_was, outcomes)
            result = "success"
        except KeyboardInterrupt:
            result = "interrupted"
            raise
        finally:
            if script is not None:
                # The script's own `finally` restored the scheduler; here only if it never got there.
                self._disabled_by_us = script.disabled_by_us and not script.finished
            if self._disabled_by_us and result != "success":
                self._restore_scheduler(risk_before)
            last = self.final if script is not None and self.final is not None else self._observe_quietly()
            self.final = last
            if script is not None and script.kept_off:
                grown = provisioning.deletion_risk(last).new_since(risk_before) if last else ()
                self._keep_scheduler_off(f"its next full sync cycle would delete {', '.join(grown) or 'groups'}")
            self.journal.record(
                "run-end",
                self.run_id,
                result=result,
                # The version the plan was made for: an upgrade during the run is drift for the next.
                observedVersion=first.server.version,
                memberLimit=syncrules.effective_limit(last) if last else None,
                memberLimitBefore=syncrules.effective_limit(first),
                # What the last sync cycle looked like when the limit was raised: a staged rollout
                # takes a different one later as a cycle run since, where no end time says so.
                lastSyncCycle=jsonmodel.to_json(last.last_sync_cycle) if last and last.last_sync_cycle else None,
            )
        return outcomes

    def _run_steps(
        self, the_plan: Plan, deadline: float, scheduler_was: bool | None, outcomes: list[StepResult]
    ) -> None:
        """Action by action, each through the server's own operations, observing before each."""
        listener, name, total = self.settings.listener, the_plan.server, len(the_plan.actions)
        for index, action in enumerate(the_plan.actions):
            self._check_stop()
            listener.starting(name, action, index=index + 1, total=total)
            began = self.settings.clock()
            state = self.wait_for_idle(deadline)
            kind = action.definition
            if not kind.changes_server:
                done = "done"
                self._record(index, action, done)
            elif kind.satisfied(state, action.params):
                done = "skipped"
                self._record(index, action, done)
            else:
                try:
                    kind.perform(self.server, state, action.params)
                except UserError as exc:
                    self._record(index, action, "failed", error=str(exc))
                    raise
                scheduler = kind.scheduler_after(action.params)
                if scheduler is not None:
                    self._disabled_by_us = scheduler is False and scheduler_was is not False
                done = "done"
                self._record(index, action, done, scheduler=scheduler)
            outcomes.append(StepResult(action, done))
            listener.finished(
                name, action, index=index + 1, total=total, result=done, seconds=self.settings.clock() - began
            )

    def _record(self, index: int, action: Action, result: str, **extra: Any) -> None:
        fields = {k: v for k, v in extra.items() if v is not None}
        self.journal.record(
            "action", self.run_id, index=index, kind=action.kind, params=dict(action.params), result=result, **fields
        )

    def _restore_scheduler(self, risk_before: provisioning.DeletionRisk) -> None:
        # Safety first: a run that stops half-way never leaves the scheduler off behind it, unless
        # turning it on would let the next full cycle delete groups the server would have kept.
        now = self._observe_quietly()
        if now is None:
            self._keep_scheduler_off("the server could not be observed to check what its next cycle would delete")
            return
        grown = provisioning.deletion_risk(now).new_since(risk_before)
        if grown:
            self._keep_scheduler_off(f"its next full sync cycle would delete {', '.join(grown)}")
            return
        try:
            self.server.set_sync_cycle_enabled(True)
        except KeyboardInterrupt:  # a second Ctrl-C while turning it back on
            self.restore_error = "the scheduler could not be restored (interrupted) and is still disabled"
            raise
        except (UserError, OSError) as exc:
            self.restore_error = f"the scheduler could not be restored and is still disabled: {exc}"
            with contextlib.suppress(OSError):  # a full disk may refuse the journal line too
                self.journal.record("scheduler-restore-failed", self.run_id, error=str(exc))
            return
        with contextlib.suppress(OSError):
            self.journal.record("scheduler-restored", self.run_id, scheduler=True)

    def _keep_scheduler_off(self, why: str) -> None:
        self.restore_error = (
            f"the scheduler stays disabled: {why}, which it would not have before this run; "
            "run reconcile again to finish the change, and it turns the scheduler back on"
        )
        # Deliberately off: the next run plans the rest of the change and the scheduler with it.
        with contextlib.suppress(OSError):
            self.journal.record("scheduler-kept-off", self.run_id, reason=why)

    def _observe_quietly(self) -> ObservedState | None:
        try:
            return self.server.observe()
        except (UserError, OSError):
            return None


class _Script:
    """One plan run as one script on a live server: its events journaled as they arrive."""

    def __init__(self, executor: Executor, the_plan: Plan, outcomes: list[StepResult], server: Any) -> None:
        self.server: ScriptServer = server
        self.executor = executor
        self.plan = the_plan
        self.outcomes = outcomes
        self.next = 0  # the step the script runs now
        self.disabled_by_us = False
        self.finished = False  # its `finally` ran and said what it did with the scheduler
        self.kept_off = False  # ... and kept the scheduler off by invariant 7
        self.failed = False  # the script said which step failed
        self.scheduler_was: bool | None = None
        self.began = executor.settings.clock()

    def run(self, scheduler_was: bool | None, died_disabled: bool) -> None:
        """`scheduler_was`: as the run found it; `died_disabled`: a run that died left it off."""
        executor, the_plan = self.executor, self.plan
        self.scheduler_was = scheduler_was
        changing = sum(1 for action in the_plan.actions if action.definition.changes_server)
        wait = executor.settings.wait_timeout
        text = scripts.live(the_plan, int(wait), died_disabled)
        self._starting()

        def observed(state: ObservedState) -> None:
            executor.final = state

        try:
            allowance = SCRIPT_ALLOWANCE_SECONDS + wait * (changing + 1)
            self.server.run_plan_script(text, self._event, observed, allowance, executor.settings.listener.stop)
        except UserError as exc:
            if executor.settings.listener.stop.is_set():
                raise Stopped() from None  # asked to stop: the script ended before its next step
            if self.next < len(the_plan.actions) and not self.failed:
                executor._record(self.next, the_plan.actions[self.next], "failed", error=str(exc))
            raise

    def _starting(self) -> None:
        if self.next < len(self.plan.actions):
            action = self.plan.actions[self.next]
            listener = self.executor.settings.listener
            listener.starting(self.plan.server, action, index=self.next + 1, total=len(self.plan.actions))
            self.began = self.executor.settings.clock()

    def _event(self, event: dict[str, Any]) -> None:
        executor, kind = self.executor, event.get("event")
        if kind == "step":
            index = event.get("index")
            if index != self.next:
                raise UserError(f"{self.plan.server}: the script reported step {index} where step {self.next} ran")
            action = self.plan.actions[index]
            definition = action.definition
            done = "done" if event.get("changed") or not definition.changes_server else "skipped"
            scheduler = definition.scheduler_after(action.params) if done == "done" else None
            if scheduler is not None and definition.changes_server:
                self.disabled_by_us = scheduler is False and self.scheduler_was is not False
            executor._record(index, action, done, scheduler=scheduler if definition.changes_server else None)
            self.outcomes.append(StepResult(action, done))
            seconds = executor.settings.clock() - self.began
            executor.settings.listener.finished(
                self.plan.server, action, index=index + 1, total=len(self.plan.actions), result=done, seconds=seconds
            )
            self.next += 1
            self._starting()
        elif kind == "step-failed" and event.get("index") == self.next and self.next < len(self.plan.actions):
            self.failed = True
            executor._record(self.next, self.plan.actions[self.next], "failed", error=str(event.get("detail") or ""))
        elif kind == "finally":
            self.finished = True
        elif kind == "scheduler-restored":
            with contextlib.suppress(OSError):
                executor.journal.record("scheduler-restored", executor.run_id, scheduler=True)
        elif kind == "scheduler-restore-failed":
            error = str(event.get("detail") or "")
            executor.restore_error = f"the scheduler could not be restored and is still disabled: {error}"
            with contextlib.suppress(OSError):
                executor.journal.record("scheduler-restore-failed", executor.run_id, error=error)
        elif kind == "scheduler-kept-off":
            self.kept_off = True  # said once the state it left is known, which names the groups
