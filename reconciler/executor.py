"""Carrying out a plan on a server, safely (DESIGN §1 step 3, §6).

- Before each action the server is observed again; an action already satisfied is skipped, so
  a plan applied twice, or resumed after a crash, changes nothing more than once.
- Nothing changes while a sync cycle runs: the executor waits for idle (bounded by the wait
  timeout) before the first change and again whenever a cycle started in between.
- The scheduler is restored in every failure path, Ctrl-C included, if this run disabled it.
- Every action's outcome is journaled before the next one starts.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler import effective, facts, plan, rules
from reconciler.errors import UserError
from reconciler.journal import Journal
from reconciler.observed import ObservedState, SyncRule
from reconciler.plan import Action, Plan
from reconciler.server import DEFAULT_WAIT_TIMEOUT, Refused, Server


@dataclass(frozen=True)
class Outcome:
    action: Action
    result: str  # done | skipped


@dataclass(frozen=True)
class Settings:
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT
    poll_interval: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def _rule_named(state: ObservedState, name: str) -> SyncRule | None:
    """A rule by name; the standard Group Join rule answers to either spelling of its name."""
    exact = [r for r in state.sync_rules if r.name == name]
    if exact:
        return exact[0]
    if facts.is_group_join_name(name):
        return rules.standard_group_join(state)
    return None


def _clone_matches(state: ObservedState, p: dict[str, Any]) -> bool:
    clones = rules.managed_clones(state, p["name"])
    if len(clones) != 1:
        return False
    limit = rules.rule_limit(clones[0])
    return clones[0].precedence == p["precedence"] and limit.flow == p["limit"] and limit.consistent


def satisfied(state: ObservedState, action: Action) -> bool:
    """Whether the server already is as the action would make it."""
    p, kind = action.params, action.kind
    if kind == "WaitForSyncIdle":
        return not state.scheduler.sync_cycle_in_progress
    if kind == "SetSyncCycleEnabled":
        return state.scheduler.sync_cycle_enabled is p["enabled"]
    if kind in ("SetExportApiVersion", "SetImportApiVersion"):
        export, import_ = effective.api_versions(state)
        wanted: int = p["version"]
        if kind == "SetImportApiVersion":
            return import_ == wanted
        return export == wanted and state.aad_connector.export_type == facts.EXPORT_TYPE_FOR_API_VERSION[wanted]
    if kind in ("CreateSyncRule", "UpdateSyncRule"):
        return _clone_matches(state, p)
    if kind == "RemoveSyncRule":
        return not rules.managed_clones(state, p["name"])
    if kind in ("DisableSyncRule", "EnableSyncRule"):
        rule = _rule_named(state, p["name"])
        return rule is not None and rule.disabled is (kind == "DisableSyncRule")
    if kind == "SetConnectorOverride":
        override = state.override_for(p["connectorName"])
        return override is not None and override.full_sync_required is p["fullSyncRequired"]
    raise AssertionError(f"unknown action {kind}")


def perform(server: Server, state: ObservedState, action: Action) -> None:
    """One action, through the server's own operations."""
    p, kind = action.params, action.kind
    if kind == "SetSyncCycleEnabled":
        server.set_sync_cycle_enabled(p["enabled"])
    elif kind == "SetExportApiVersion":
        server.set_export_api_version(p["version"])
    elif kind == "SetImportApiVersion":
        server.set_import_api_version(p["version"])
    elif kind == "CreateSyncRule":
        for extra in rules.managed_clones(state, p["name"]):
            server.remove_rule(extra.identifier)
        source = _rule_named(state, p["clonedFrom"])
        if source is None:
            raise Refused(f"{state.server.name}: no rule '{p['clonedFrom']}' to clone")
        server.add_rule(
            rules.make_clone(
                source, server=state.server.name, name=p["name"], precedence=p["precedence"], limit=p["limit"]
            )
        )
    elif kind == "UpdateSyncRule":
        clones = rules.managed_clones(state, p["name"])
        if len(clones) != 1:
            raise Refused(f"{state.server.name}: expected one sync rule '{p['name']}', found {len(clones)}")
        server.add_rule(rules.with_limit(dataclasses.replace(clones[0], precedence=p["precedence"]), p["limit"]))
    elif kind == "RemoveSyncRule":
        for clone in rules.managed_clones(state, p["name"]):
            server.remove_rule(clone.identifier)
    elif kind in ("DisableSyncRule", "EnableSyncRule"):
        rule = _rule_named(state, p["name"])
        if rule is None:
            raise Refused(f"{state.server.name}: no sync rule '{p['name']}'")
        server.set_rule_disabled(rule.identifier, kind == "DisableSyncRule")
    elif kind == "SetConnectorOverride":
        server.set_connector_override(p["connectorName"], p["fullSyncRequired"])
    else:
        raise AssertionError(f"{kind} changes nothing")


class Executor:
    def __init__(self, server: Server, journal: Journal, settings: Settings = Settings()) -> None:
        self.server = server
        self.journal = journal
        self.settings = settings
        self.run_id = uuid.uuid4().hex[:12]
        self.restore_error: str | None = None

    def wait_for_idle(self, deadline: float) -> ObservedState:
        while True:
            state = self.server.observe()
            if not state.scheduler.sync_cycle_in_progress:
                return state
            if self.settings.clock() >= deadline:
                raise UserError(
                    f"{state.server.name}: a sync cycle was still running after {self.settings.wait_timeout:g} s "
                    "(--wait-timeout); stopped before changing anything further"
                )
            self.settings.sleep(min(self.settings.poll_interval, max(0.0, deadline - self.settings.clock())))

    def run(self, the_plan: Plan, scheduler_was_enabled: bool | None = None) -> list[Outcome]:
        """Carry out the plan. `scheduler_was_enabled` overrides what is observed now, for a
        scheduler that a run which died left disabled (see Journal.history)."""
        deadline = self.settings.clock() + self.settings.wait_timeout
        first = self.server.observe()
        scheduler_was = first.scheduler.sync_cycle_enabled if scheduler_was_enabled is None else scheduler_was_enabled
        self.journal.record(
            "run-start",
            self.run_id,
            planDigest=plan.digest_of(plan.to_json(the_plan)),
            observedVersion=first.server.version,
            actions=len(the_plan.actions),
        )
        disabled_by_us = False
        outcomes: list[Outcome] = []
        result = "failed"
        try:
            for index, action in enumerate(the_plan.actions):
                state = self.wait_for_idle(deadline)
                if action.kind == "WaitForSyncIdle":
                    outcomes.append(Outcome(action, "done"))
                    self._record(index, action, "done")
                    continue
                if satisfied(state, action):
                    outcomes.append(Outcome(action, "skipped"))
                    self._record(index, action, "skipped")
                    continue
                try:
                    perform(self.server, state, action)
                except UserError as exc:
                    self._record(index, action, "failed", error=str(exc))
                    raise
                if action.kind == "SetSyncCycleEnabled":
                    disabled_by_us = action.params["enabled"] is False and scheduler_was is not False
                outcomes.append(Outcome(action, "done"))
                self._record(index, action, "done")
            result = "success"
        except KeyboardInterrupt:
            result = "interrupted"
            raise
        finally:
            if disabled_by_us and result != "success":
                self._restore_scheduler()
            last = self._observe_quietly()
            self.journal.record(
                "run-end",
                self.run_id,
                result=result,
                # The version the plan was made for: an upgrade during the run is drift for the next.
                observedVersion=first.server.version,
                memberLimit=rules.effective_limit(last) if last else None,
            )
        return outcomes

    def _record(self, index: int, action: Action, result: str, **extra: Any) -> None:
        self.journal.record(
            "action", self.run_id, index=index, kind=action.kind, params=dict(action.params), result=result, **extra
        )

    def _restore_scheduler(self) -> None:
        # Safety first: a run that stops half-way never leaves the scheduler off behind it.
        try:
            self.server.set_sync_cycle_enabled(True)
        except (UserError, OSError) as exc:
            self.restore_error = f"the scheduler could not be restored and is still disabled: {exc}"
            self.journal.record("scheduler-restore-failed", self.run_id, error=str(exc))
            return
        self.journal.record(
            "action", self.run_id, kind="SetSyncCycleEnabled", params={"enabled": True}, result="done", restore=True
        )

    def _observe_quietly(self) -> ObservedState | None:
        try:
            return self.server.observe()
        except (UserError, OSError):
            return None
