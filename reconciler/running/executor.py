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
from reconciler.planning import plans
from reconciler.planning.actions import Action
from reconciler.planning.plans import Plan
from reconciler.running.journal import Journal
from reconciler.running.progress import Listener, Stopped

if TYPE_CHECKING:  # an annotation only: any server will do
    from reconciler.servers.protocol import Server


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

    def run(self, the_plan: Plan, scheduler_was_enabled: bool | None = None) -> list[StepResult]:
        """Carry out the plan. `scheduler_was_enabled` overrides what is observed now, for a
        scheduler that a run which died left disabled (see Journal.history)."""
        deadline = self.settings.clock() + self.settings.wait_timeout
        first = self.server.observe()
        risk_before = provisioning.deletion_risk(first)
        scheduler_was = first.scheduler.sync_cycle_enabled if scheduler_was_enabled is None else scheduler_was_enabled
        self.journal.record(
            "run-start",
            self.run_id,
            planDigest=plans.digest_of(plans.to_json(the_plan)),
            observedVersion=first.server.version,
            actions=len(the_plan.actions),
        )
        disabled_by_us = False
        outcomes: list[StepResult] = []
        result = "failed"
        try:
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
                        disabled_by_us = scheduler is False and scheduler_was is not False
                    done = "done"
                    self._record(index, action, done, scheduler=scheduler)
                outcomes.append(StepResult(action, done))
                listener.finished(
                    name, action, index=index + 1, total=total, result=done, seconds=self.settings.clock() - began
                )
            result = "success"
        except KeyboardInterrupt:
            result = "interrupted"
            raise
        finally:
            if disabled_by_us and result != "success":
                self._restore_scheduler(risk_before)
            last = self._observe_quietly()
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
