"""The single faults that once passed the whole suite, each held by a test of what it would do to an
operator: groups deleted, a scheduler left off or turned on against the admin, success reported for
a server that is not as planned, a change refused or allowed at the wrong boundary.

Each test was seen to fail with its fault written into a copy of the code.
"""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import Refused, UserError
from reconciler.model import inforce, limitrules, provisioning, syncrules, transitions
from reconciler.model.desired import DesiredState
from reconciler.model.observed import (
    AttributeFlowMapping,
    ExportError,
    Group,
    ObservedState,
    ScopeCondition,
    ScopeConditionGroup,
    SyncCycleResult,
    SyncRule,
)
from reconciler.planning import actions, planner, plans
from reconciler.running.executor import Executor, Settings
from reconciler.running.journal import Journal
from reconciler.running.progress import Stopped
from reconciler.servers.simulator import InMemoryServer, defaults
from tests.scenario import make_plan, rollback, state
from tests.test_idempotency import apply_plan, changed, with_scope_value

GROUP_JOIN_CLONE = limitrules.GROUP_JOIN.default_clone_name


def _server(version: str = "1.6.2.4", **server_info: Any) -> InMemoryServer:
    observed = defaults.new_server("srv1", version)
    if server_info:
        observed = observed.replace(server=changed(observed.server, **server_info))
    return InMemoryServer(observed)


def _raised(limit: int = 150000, version: str = "1.6.2.4") -> tuple[InMemoryServer, DesiredState]:
    server, want = _server(version), state(group_member_limit=limit)
    apply_plan(server, make_plan(server, want))
    assert syncrules.effective_limit(server.observe()) == limit
    return server, want


def _edit_rules(server: InMemoryServer, edit: Any) -> None:
    server.state = server.state.replace(sync_rules=tuple(r for r in map(edit, server.state.sync_rules) if r))


def _is_clone(rule: Any) -> bool:
    return not rule.is_standard and rule.name in {f.default_clone_name for f in limitrules.CATALOGUE}


# --- a rule's write counted as done while the server still needs it -------------------------------


def test_disabled_clones_are_written_again_so_groups_keep_a_provisioning_rule() -> None:
    """Limit 150,000 with clones; the clones disabled and the standard rules enabled again by hand.
    Apply must enable the clones before disabling the standard rules: skipping the clones' writes
    leaves no enabled provisioning rule, and the next full cycle deletes every provisioned group."""
    server, want = _raised()
    _edit_rules(server, lambda r: changed(r, disabled=_is_clone(r)) if _is_clone(r) or r.is_standard else r)
    the_plan = make_plan(server, want)
    results = dict(zip([a.describe() for a in the_plan.actions], apply_plan(server, the_plan), strict=True))
    assert [r for d, r in results.items() if d.startswith("UpdateSyncRule")] == ["done", "done"]
    after = server.observe()
    assert syncrules.effective_limit(after) == 150000
    assert not provisioning.deletion_risk(after).no_provisioning_rule
    assert not provisioning.next_cycle(after, full=True).deleted


@pytest.mark.parametrize("drift", ["precedence", "scope"])
def test_a_clone_at_another_precedence_or_with_a_stale_scope_value_is_written_again(drift: str) -> None:
    """Either counted as written, apply 'succeeds' and never converges, or new large groups are never
    provisioned (the scope still stops at the old limit)."""
    server, want = _raised()
    if drift == "precedence":
        _edit_rules(server, lambda r: changed(r, precedence=r.precedence + 5) if _is_clone(r) else r)
    else:
        _edit_rules(server, lambda r: with_scope_value(r, 100000) if _is_clone(r) else r)
    update = next(a for a in make_plan(server, want).actions if a.kind == "UpdateSyncRule")
    assert not update.definition.satisfied(server.observe(), update.params)
    apply_plan(server, make_plan(server, want))
    assert make_plan(server, want).actions == ()
    server.state = server.state.replace(groups=(*(server.state.groups or ()), Group("New large", 120000, False)))
    assert "New large" in provisioning.next_cycle(server.observe(), full=True).newly_provisioned


def test_enabling_or_disabling_a_missing_standard_rule_is_refused_not_skipped(tmp_path: Path) -> None:
    """A rollback planned while Group Join was there, carried out after it was deleted: counting its
    EnableSyncRule as done would let RemoveSyncRule take away the last provisioning rule."""
    server, _ = _raised(version="1.5.30.0")
    back = rollback(allow_group_deletion=True)
    the_plan = make_plan(server, back, allow=True)
    assert [a.kind for a in the_plan.actions].index("EnableSyncRule") < [a.kind for a in the_plan.actions].index(
        "RemoveSyncRule"
    )
    _edit_rules(server, lambda r: None if syncrules.is_group_join_standard(r) else r)
    for kind in (actions.EnableSyncRule(), actions.DisableSyncRule()):
        assert not kind.satisfied(server.observe(), {"name": limitrules.GROUP_JOIN.name})
    executor = Executor(server, Journal("srv1", tmp_path), Settings(wait_timeout=0))
    with pytest.raises(Refused, match="no standard sync rule 'Out to AAD - Group Join'"):
        executor.run(the_plan)
    assert syncrules.managed_clones(server.observe(), GROUP_JOIN_CLONE)
    assert syncrules.provisioning_rules(server.observe())


# --- the executor: the real error, and the journal's run-end --------------------------------------


class _Unobservable:
    """The simulator; adding a rule fails, and from then on the server cannot be observed either."""

    def __init__(self, inner: InMemoryServer, error: Exception) -> None:
        self.inner, self.error, self.broken = inner, error, False

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    def observe(self) -> ObservedState:
        if self.broken:
            raise self.error
        return self.inner.observe()

    def add_rule(self, rule: Any) -> None:
        self.broken = True
        raise Refused("srv1: injected failure")


@pytest.mark.parametrize(
    "error", [Refused("srv1: WinRM: the connection was closed"), ConnectionResetError(104, "reset")]
)
def test_a_server_that_cannot_be_observed_after_a_failed_action(tmp_path: Path, error: Exception) -> None:
    """The action's own error is what the run reports, the journal ends the run, and a scheduler
    this run turned off stays off (nothing can tell whether turning it on is safe), saying why."""
    server = _server("1.5.30.0")
    the_plan = make_plan(server, state())
    executor = Executor(_Unobservable(server, error), Journal("srv1", tmp_path), Settings(wait_timeout=0))
    with pytest.raises(Refused, match="injected failure"):
        executor.run(the_plan)
    entries = [json.loads(line) for line in (tmp_path / "srv1.jsonl").read_text(encoding="utf-8").splitlines()]
    assert entries[-1]["event"] == "run-end" and entries[-1]["result"] == "failed"
    assert entries[-1]["memberLimit"] is None and entries[-1]["memberLimitBefore"] == 50000
    assert [e["result"] for e in entries if e["event"] == "action"][-1] == "failed"
    assert "scheduler-kept-off" in [e["event"] for e in entries]
    assert server.observe().scheduler.sync_cycle_enabled is False
    assert executor.restore_error is not None and "could not be observed" in executor.restore_error


# --- the endpoint's cap and the deletion guard -----------------------------------------------------


def test_a_mixed_endpoint_has_the_v1_cap() -> None:
    assert inforce.endpoint_cap(2, 2, True) == 250000
    assert inforce.endpoint_cap(2, 1, True) == inforce.endpoint_cap(1, 2, True) == 50000
    assert inforce.endpoint_cap(2, 2, False) == 15000
    assert inforce.endpoint_cap(2, 2, None) == 250000  # unknown is not unverified


def test_only_import_back_to_v1_is_refused_where_it_deletes_a_large_group() -> None:
    """Export stays on V2, import goes back to V1: the endpoint carries 50,000 no more; a provisioned
    group of 75,000 is deleted by the next full cycle, so the plan is refused unless allowed."""
    server, _ = _raised(limit=100000)
    server.state = server.state.replace(groups=(Group("All Faculty", 75000, True),))
    back = changed(state(group_member_limit=50000, import_api_version=1), allow_group_deletion=False)
    with pytest.raises(UserError, match=r"would delete 1 provisioned group.*All Faculty"):
        make_plan(server, back)
    assert make_plan(server, back, allow=True).impact.groups_to_delete == ("All Faculty",)


@pytest.mark.parametrize(("verified", "refused"), [(None, False), (True, False), (False, True)])
def test_only_an_unverified_tenant_is_held_to_15000(verified: bool | None, refused: bool) -> None:
    server = _server(tenant_has_verified_domain=verified)
    want = state(group_member_limit=15001)
    if refused:
        with pytest.raises(UserError, match="groupMemberLimit 15001 is above 15000"):
            make_plan(server, want)
    else:
        assert make_plan(server, want).actions
    assert make_plan(server, state(group_member_limit=15000)).actions  # exactly 15,000 is allowed anywhere


def test_groups_unobserved_an_unchanged_cap_is_no_new_deletion_risk(tmp_path: Path) -> None:
    """A server whose groups the source could not see: a run that fails after turning the scheduler
    off turns it back on when its next cycle deletes nothing more than before."""
    risk = provisioning.DeletionRisk(None, False, 250000)
    assert risk.new_since(provisioning.DeletionRisk(None, False, 250000)) == []
    assert risk.new_since(provisioning.DeletionRisk(None, False, 250001)) == [
        "every provisioned group above 250000 members"
    ]
    server = _server()
    server.state = server.state.replace(groups=None)
    with pytest.raises(Refused, match="injected failure"):
        Executor(_FailingAdd(server), Journal("srv1", tmp_path), Settings(wait_timeout=0)).run(
            make_plan(server, state())
        )
    assert server.observe().scheduler.sync_cycle_enabled is True


class _FailingAdd:
    def __init__(self, inner: InMemoryServer) -> None:
        self.inner = inner

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    def add_rule(self, rule: Any) -> None:
        raise Refused("srv1: injected failure")


def test_a_staging_server_deletes_nothing_so_it_risks_no_more_than_an_active_one() -> None:
    active = defaults.new_server("srv1", "2.4.18.0").replace(groups=None)
    staging = active.replace(scheduler=changed(active.scheduler, staging_mode_enabled=True))
    assert provisioning.deletion_risk(staging).new_since(provisioning.deletion_risk(active)) == []
    assert provisioning.deletion_risk(active).new_since(provisioning.deletion_risk(staging)) == [
        "every provisioned group above 250000 members"
    ]


def test_with_groups_unobserved_losing_the_last_provisioning_rule_is_a_new_deletion_risk() -> None:
    """Where the groups are not known by name, the rules and the endpoint's cap say what a full cycle
    deletes: every provisioned group once no enabled rule provisions them."""
    kept, lost = provisioning.DeletionRisk(None, False, 250000), provisioning.DeletionRisk(None, True, 250000)
    assert lost.new_since(kept) == ["every provisioned group (no enabled provisioning rule)"]
    assert lost.new_since(lost) == [] and kept.new_since(lost) == []
    # Groups seen on one side only: the rules and the cap decide, as where neither saw them.
    seen = provisioning.DeletionRisk(frozenset({"All Faculty"}), False, 250000)
    assert seen.new_since(kept) == [] and kept.new_since(seen) == []
    assert lost.new_since(seen) == ["every provisioned group (no enabled provisioning rule)"]
    assert provisioning.DeletionRisk(frozenset({"All Faculty"}), False, 250000).new_since(
        provisioning.DeletionRisk(frozenset(), False, 250000)
    ) == ["All Faculty"]


def test_an_active_server_with_no_provisioning_rule_risks_every_group_and_a_staging_one_none() -> None:
    active = defaults.new_server("srv1", "2.4.18.0").replace(groups=None)
    active = active.replace(
        sync_rules=tuple(changed(r, disabled=True) if r in syncrules.provisioning_rules(active) else r
                         for r in active.sync_rules)
    )  # fmt: skip
    assert provisioning.deletion_risk(active).no_provisioning_rule
    staging = active.replace(scheduler=changed(active.scheduler, staging_mode_enabled=True))
    assert not provisioning.deletion_risk(staging).no_provisioning_rule


# --- which rules carry the limit ---------------------------------------------------------------------


def _custom_group_rule(state_: ObservedState, **changes: Any) -> Any:
    standard = syncrules.standard_group_join(state_)
    assert standard is not None
    rule = changed(
        standard, identifier="00000000-0000-0000-0000-00000000beef", name="Custom group rule", precedence=50,
        immutable_tag=None, is_standard_rule=False,
    )  # fmt: skip
    return changed(syncrules.with_limit(rule, 1000), **changes)


def test_a_standard_rule_is_known_by_its_tag_whatever_its_name() -> None:
    observed = defaults.new_server("srv1", "1.6.2.4")
    standard = syncrules.standard_group_join(observed)
    assert standard is not None
    renamed = changed(standard, name="Out to AAD - Group Join (renamed by hand)")
    assert syncrules.standard_family(renamed) is limitrules.GROUP_JOIN
    assert syncrules.standard_group_join(observed.replace(sync_rules=(renamed,))) == renamed


def test_only_a_custom_outbound_group_rule_of_the_aad_connector_is_a_managed_clone() -> None:
    """A rule elsewhere that happens to carry the clone's name is never ours to update or remove."""
    observed = defaults.new_server("srv1", "1.6.2.4")
    inbound = _custom_group_rule(observed, name=GROUP_JOIN_CLONE, direction="Inbound")
    standard = syncrules.standard_group_join(observed)
    assert standard is not None
    named_like_it = changed(standard, name=GROUP_JOIN_CLONE)
    assert syncrules.managed_clones(observed.replace(sync_rules=(inbound, named_like_it)), GROUP_JOIN_CLONE) == []
    outbound = _custom_group_rule(observed, name=GROUP_JOIN_CLONE)
    assert syncrules.managed_clones(observed.replace(sync_rules=(inbound, outbound)), GROUP_JOIN_CLONE) == [outbound]


def test_an_inbound_rule_that_flows_member_carries_no_limit() -> None:
    observed = defaults.new_server("srv1", "1.6.2.4")
    inbound = _custom_group_rule(observed, direction="Inbound")
    with_inbound = observed.replace(sync_rules=(*observed.sync_rules, inbound))
    assert syncrules.effective_limit(with_inbound) == 50000
    assert inbound not in syncrules.limit_candidates(with_inbound)
    assert inbound not in syncrules.provisioning_rules(with_inbound)
    outbound = observed.replace(sync_rules=(*observed.sync_rules, _custom_group_rule(observed)))
    assert syncrules.effective_limit(outbound) == 1000


def test_a_competing_rule_at_exactly_the_goal_limit_is_no_obstacle() -> None:
    server = _server()
    observed = server.observe()
    server.state = observed.replace(sync_rules=(*observed.sync_rules, _custom_group_rule(observed)))
    _edit_rules(server, lambda r: syncrules.with_limit(r, 100000) if r.name == "Custom group rule" else r)
    assert make_plan(server, state(group_member_limit=100000)).actions
    with pytest.raises(UserError, match="caps members at 100000, below the limit 100001"):
        make_plan(server, state(group_member_limit=100001))


def test_a_memberCount_condition_other_than_LESSTHAN_is_refused_not_read_as_a_limit() -> None:
    rule = syncrules.standard_group_join(defaults.new_server("srv1", "1.6.2.4"))
    assert rule is not None
    scope = tuple(
        changed(g, conditions=tuple(
            changed(c, comparison_operator="LESSTHAN_OR_EQUAL") if c.attribute == "memberCount" else c
            for c in g.conditions))
        for g in rule.scope_filter
    )  # fmt: skip
    with pytest.raises(UserError, match="memberCount LESSTHAN_OR_EQUAL is not a limit"):
        syncrules.rule_limit(changed(rule, scope_filter=scope))


def _only_custom_provisioning(scope: tuple[ScopeConditionGroup, ...], *groups: Group) -> ObservedState:
    """A server whose only enabled provisioning rule is a custom one with that scope filter and no
    member flow (so no limit of its own)."""
    observed = defaults.new_server("srv1", "2.4.18.0")
    standard = syncrules.standard_group_join(observed)
    assert standard is not None
    custom = changed(
        standard, identifier="00000000-0000-0000-0000-00000000cafe", name="Provision small groups", precedence=50,
        immutable_tag=None, is_standard_rule=False, scope_filter=scope,
        attribute_flow_mappings=tuple(m for m in standard.attribute_flow_mappings if m.destination != "member"),
    )  # fmt: skip
    rules = tuple(changed(r, disabled=True) if r is standard else r for r in observed.sync_rules)
    groups = groups or (Group("Seven hundred", 700, False), Group("Forty", 40, False))
    return observed.replace(sync_rules=(*rules, custom), groups=groups)


def _provisioning_with_scope(*values: str) -> ObservedState:
    """The custom rule's one scope group holds memberCount LESSTHAN each value."""
    return _only_custom_provisioning(
        (ScopeConditionGroup(tuple(ScopeCondition("memberCount", "LESSTHAN", v) for v in values)),)
    )


def test_two_memberCount_conditions_in_one_scope_group_the_tighter_wins() -> None:
    for values in (("1000", "500"), ("500", "1000")):
        assert provisioning.next_cycle(_provisioning_with_scope(*values), full=True).newly_provisioned == {"Forty"}


def test_an_unreadable_memberCount_scope_value_takes_no_group() -> None:
    unreadable = (ScopeConditionGroup((ScopeCondition("memberCount", "LESSTHAN", "lots"),)),)
    groups = (Group("Empty", 0, False), Group("Forty", 40, False))
    assert provisioning.next_cycle(_only_custom_provisioning(unreadable, *groups), full=True).newly_provisioned == set()
    assert provisioning.next_cycle(_provisioning_with_scope(" 1000 "), full=True).newly_provisioned == {
        "Forty",
        "Seven hundred",
    }


def test_a_provisioning_rule_without_a_scope_filter_takes_every_group() -> None:
    assert provisioning.next_cycle(_only_custom_provisioning(()), full=True).newly_provisioned == {
        "Forty",
        "Seven hundred",
    }


def test_a_scope_condition_on_another_attribute_holds_for_the_synced_groups() -> None:
    """Only memberCount LESSTHAN bounds a group's size: another attribute compared LESSTHAN does not."""
    conditions = (
        ScopeCondition("memberCount", "LESSTHAN", "1000"),
        ScopeCondition("extensionAttribute1", "LESSTHAN", "B"),
    )
    outcome = provisioning.next_cycle(_only_custom_provisioning((ScopeConditionGroup(conditions),)), full=True)
    assert outcome.newly_provisioned == {"Forty", "Seven hundred"}


def test_with_no_rule_carrying_a_limit_only_an_empty_group_syncs() -> None:
    """The limit in force is 0 where no enabled rule carries one (inforce.member_limit)."""
    observed = _only_custom_provisioning((), Group("Empty", 0, False), Group("One", 1, False), Group("Two", 2, False))
    observed = observed.replace(
        sync_rules=tuple(changed(r, disabled=True) if _standard_of_a_family(r) else r for r in observed.sync_rules)
    )
    assert inforce.member_limit(observed) == 0
    outcome = provisioning.next_cycle(observed, full=True)
    assert (outcome.newly_provisioned, outcome.over_limit) == ({"Empty"}, {"One", "Two"})


def _standard_of_a_family(rule: Any) -> bool:
    return syncrules.standard_family(rule) is not None


def test_a_group_of_exactly_the_limit_or_the_cap_syncs_and_one_member_more_does_not() -> None:
    """No scope bound in the way: the limit (100,000, carried by the Writeup rule) and the endpoint's
    cap (250,000) are each the largest size that still syncs."""
    observed = _only_custom_provisioning(
        (), Group("New at", 100000, False), Group("New above", 100001, False), Group("Kept at", 100000, True),
        Group("Kept above", 100001, True), Group("At cap", 250000, True), Group("Above cap", 250001, True),
    )  # fmt: skip
    observed = observed.replace(
        sync_rules=tuple(
            syncrules.with_limit(r, 100000) if syncrules.standard_family(r) is limitrules.GROUP_WRITEUP else r
            for r in observed.sync_rules
        )
    )
    assert (inforce.member_limit(observed), inforce.sync_cap(observed)) == (100000, 250000)
    outcome = provisioning.next_cycle(observed, full=True)
    assert outcome.newly_provisioned == {"New at"}
    assert outcome.over_limit == {"New above", "Kept above", "At cap"}
    assert outcome.deleted == {"Above cap"}
    assert provisioning.next_cycle(observed, full=False).deleted == frozenset()


# --- the full sync a product asks for ---------------------------------------------------------------


def test_a_precedence_only_change_keeps_the_full_sync_the_product_asked_for() -> None:
    server, _ = _raised(limit=100000)
    server.run_cycle(full=True)  # the full sync the clone's creation asked for has run
    moved = make_plan(server, state(group_member_limit=100000, rule_precedence=91))
    assert "UpdateSyncRule" in [a.kind for a in moved.actions]
    assert "SetConnectorOverride" not in [a.kind for a in moved.actions]
    raised = make_plan(server, state(group_member_limit=150000))
    assert "SetConnectorOverride" in [a.kind for a in raised.actions]


# --- the journal: the scheduler the next run restores, and the rollout's last raise ------------------


def test_a_skipped_scheduler_off_is_not_a_scheduler_this_run_turned_off(tmp_path: Path) -> None:
    """The admin turned the scheduler off between plan and apply; the run skipped turning it off,
    then died. The next run must not turn on a scheduler the admin disabled."""
    server = _server()
    the_plan = make_plan(server, state())
    server.state = server.state.replace(scheduler=changed(server.state.scheduler, sync_cycle_enabled=False))
    journal = Journal("srv1", tmp_path)
    with pytest.raises(Refused):
        Executor(_FailingAdd(server), journal, Settings(wait_timeout=0)).run(the_plan)
    lines = journal.path.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert {"kind": "SetSyncCycleEnabled", "result": "skipped"}.items() <= entries[2].items()
    journal.path.write_text("".join(f"{line}\n" for line in lines[:-1]), encoding="utf-8")  # died: no run-end
    assert journal.history().died_with_scheduler_disabled is None


def _run_end(run: str, limit: int, before: int, time: str) -> dict[str, object]:
    return {"run": run, "event": "run-end", "result": "success", "observedVersion": "1.6.2.4", "time": time,
            "memberLimit": limit, "memberLimitBefore": before, "lastSyncCycle": None}  # fmt: skip


def test_an_unchanged_limit_is_no_raise(tmp_path: Path) -> None:
    journal = Journal("srv1", tmp_path)
    tmp_path.mkdir(exist_ok=True)
    entries = [_run_end("a", 75000, 50000, "2026-11-23T06:00:00Z"), _run_end("b", 75000, 75000, "2026-11-24T06:00:00Z")]
    journal.path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    history = journal.history()
    assert (history.proven_limit, history.last_raise_at) == (75000, "2026-11-23T06:00:00Z")


# --- a staged rollout's boundaries ---------------------------------------------------------------------


def _rollout_plan(server: InMemoryServer, step: int, **pace: Any) -> plans.Plan:
    want = state(group_member_limit=100000, max_limit_increase=step)
    digest = plans.digest_of({"x": 1})
    return planner.make_plan(want, server.observe(), digest, planner.Options(**pace))


def test_a_step_that_lands_exactly_on_the_desired_limit_is_the_last_one() -> None:
    landing = _rollout_plan(_server(), 50000)
    assert not landing.stepping and not any(w.startswith(plans.STEP) for w in landing.warnings)
    assert syncrules.effective_limit(_applied(landing)) == 100000
    short = _rollout_plan(_server(), 49999)
    assert short.stepping


def _applied(the_plan: plans.Plan) -> ObservedState:
    server = _server()
    apply_plan(server, the_plan)
    return server.observe()


@pytest.mark.parametrize(("ended", "held"), [("2026-11-23T06:00:00Z", True), ("2026-11-23T06:00:01Z", False)])
def test_a_cycle_ending_exactly_at_the_raise_is_not_a_cycle_since(ended: str, held: bool) -> None:
    server = _server()
    server.state = server.state.replace(last_sync_cycle=SyncCycleResult("success", (), "delta", ended))
    now = datetime(2026, 11, 23, 7, tzinfo=UTC)
    the_plan = _rollout_plan(server, 25000, proven_limit=50000, last_raise_at="2026-11-23T06:00:00Z", now=now)
    assert the_plan.held is held


def test_a_rollout_already_at_its_desired_limit_is_in_sync_whatever_the_last_cycle_said() -> None:
    server, _ = _raised(limit=100000)
    server.state = server.state.replace(last_sync_cycle=SyncCycleResult("success", (ExportError("x", 3),), "delta"))
    at_goal = _rollout_plan(server, 25000)
    assert at_goal.actions == () and not at_goal.held
    assert not any(w.startswith(("rollout", plans.HELD)) for w in at_goal.warnings)


def test_a_rollout_step_says_when_no_sync_cycle_was_recorded_and_only_then() -> None:
    none_recorded = _server()
    none_recorded.state = none_recorded.state.replace(last_sync_cycle=None)
    unrecorded = _rollout_plan(none_recorded, 25000)
    assert "rollout: no sync cycle recorded, so its export errors could not be checked" in unrecorded.warnings
    server = _server()
    server.state = server.state.replace(last_sync_cycle=SyncCycleResult("success", (), "delta"))
    assert not any("no sync cycle recorded" in w for w in _rollout_plan(server, 25000).warnings)


def test_a_last_step_time_without_a_utc_offset_is_refused_in_one_line() -> None:
    server = _server()
    server.state = server.state.replace(last_sync_cycle=SyncCycleResult("success", (), "delta", "2026-11-23T07:00:00Z"))
    with pytest.raises(UserError, match="the journal's last rollout step '2026-11-23T06:00:00' has no UTC offset"):
        _rollout_plan(server, 25000, proven_limit=50000, last_raise_at="2026-11-23T06:00:00")


@pytest.mark.parametrize(("interval", "said"), [("00:59:00", "59m"), ("01:00:00", "1h00m"), ("1.02:30:00", "26h30m")])
def test_a_rollout_waiting_one_scheduler_interval_says_how_long(interval: str, said: str) -> None:
    server = _server()
    server.state = server.state.replace(
        scheduler=changed(server.state.scheduler, currently_effective_sync_cycle_interval=interval),
        last_sync_cycle=None,
    )
    now = datetime(2026, 11, 23, 6, 1, tzinfo=UTC)
    held = _rollout_plan(server, 25000, proven_limit=50000, last_raise_at="2026-11-23T06:00:00Z", now=now)
    assert held.held
    assert any(f"waits one scheduler interval ({said}) after the last step" in w for w in held.warnings), held.warnings


# --- what a rule's limit is, and what the product refuses (found by tests/mutate.py) -----------------


def _group_join() -> SyncRule:
    rule = syncrules.standard_group_join(defaults.new_server("srv1", "1.6.2.4"))
    assert rule is not None
    return rule


def _member_flows(rule: SyncRule, *flows: AttributeFlowMapping) -> SyncRule:
    return changed(
        rule, attribute_flow_mappings=(*(m for m in rule.attribute_flow_mappings if m.destination != "member"), *flows)
    )


def test_a_rule_whose_member_limit_cannot_be_read_is_named_never_guessed() -> None:
    rule = _group_join()
    member = next(m for m in rule.attribute_flow_mappings if m.destination == "member")
    unreadable = {
        "more than one flow to member": _member_flows(rule, member, member),
        "an Expression flow to member without an expression": _member_flows(rule, changed(member, expression=None)),
        "memberCount LESSTHAN 'lots' is not a number": with_scope_value(rule, "lots"),
    }
    for reason, damaged in unreadable.items():
        with pytest.raises(
            UserError,
            match=re.escape(
                f"sync rule 'Out to AAD - Group Join' ({rule.identifier}): cannot understand its member limit: "
            )
            + ".*"
            + re.escape(reason),
        ):
            syncrules.rule_limit(damaged)


def test_of_two_rules_carrying_the_same_limit_the_lower_precedence_number_wins() -> None:
    observed = defaults.new_server("srv1", "1.5.30.0")
    standard = syncrules.standard_group_join(observed)
    assert standard is not None
    clone = syncrules.make_clone(standard, server="srv1", name=GROUP_JOIN_CLONE, precedence=90, limit=50000)
    for rules in ((standard, clone), (clone, standard)):
        assert syncrules.limit_rule(observed.replace(sync_rules=rules)) == clone


def test_the_simulator_refuses_what_the_product_refuses() -> None:
    observed = defaults.new_server("srv1", "1.6.2.4")
    with pytest.raises(Refused, match="API version 3 does not exist"):
        transitions.set_api_version(observed, "export", 3)
    with pytest.raises(Refused, match="no sync rule with identifier 00000000-0000-0000-0000-000000000000"):
        transitions.set_rule_disabled(observed, "00000000-0000-0000-0000-000000000000", True)
    # A connector with no override yet gets one: a full sync asked for, no full import.
    bare = observed.replace(connector_overrides=())
    (override,) = transitions.set_connector_override(bare, observed.aad_connector.name, True).connector_overrides
    assert (override.full_import_required, override.full_sync_required) == (False, True)


def test_an_action_with_parameters_its_kind_does_not_take_cannot_be_made() -> None:
    with pytest.raises(AssertionError):
        actions.Action("UpdateSyncRule", {"name": GROUP_JOIN_CLONE}, "a limit and a precedence are missing")
    with pytest.raises(AssertionError):
        actions.Action("RestartServer", {}, "no such kind")
    assert actions.Action("RemoveSyncRule", {"name": GROUP_JOIN_CLONE}, "fine").describe() == (
        f'RemoveSyncRule(name="{GROUP_JOIN_CLONE}")'
    )


def test_a_clone_write_on_a_server_that_changed_since_the_plan_is_refused(tmp_path: Path) -> None:
    """Planned, then changed by hand before apply: the standard rule to clone is gone, or a second
    rule of the clone's name appeared. Apply stops with the reason, and leaves the scheduler on."""
    server = _server()
    create = make_plan(server, state())
    _edit_rules(server, lambda r: None if syncrules.is_group_join_standard(r) else r)
    with pytest.raises(Refused, match="no standard rule 'Out to AAD - Group Join' to clone"):
        Executor(server, Journal("srv1", tmp_path), Settings(wait_timeout=0)).run(create)
    assert server.observe().scheduler.sync_cycle_enabled is True

    raised, want = _raised(limit=100000)
    update = make_plan(raised, state(group_member_limit=150000))
    clone = syncrules.managed_clones(raised.observe(), GROUP_JOIN_CLONE)[0]
    raised.state = raised.state.replace(
        sync_rules=(*raised.state.sync_rules, changed(clone, identifier=f"{clone.identifier[:-1]}f", precedence=77))
    )
    with pytest.raises(Refused, match=f"expected one sync rule '{re.escape(GROUP_JOIN_CLONE)}', found 2"):
        Executor(raised, Journal("srv1", tmp_path), Settings(wait_timeout=0)).run(update)
    assert make_plan(raised, want).actions  # the duplicate is still to be put right


def test_a_plan_that_deletes_groups_is_refused_unless_deletion_is_allowed_by_name() -> None:
    server, _ = _raised(limit=100000)
    server.state = server.state.replace(groups=(Group("All Faculty", 75000, True),))
    back = rollback()
    digest = plans.digest_of({"rollback": True})
    with pytest.raises(UserError, match="would delete 1 provisioned group"):
        planner.make_plan(back, server.observe(), digest)  # the options left at their defaults
    allowed = planner.make_plan(back, server.observe(), digest, planner.Options(allow_group_deletion=True))
    assert allowed.impact.groups_to_delete == ("All Faculty",)


def test_a_state_naming_another_aad_connector_is_refused_and_the_right_one_planned() -> None:
    server = _server()
    actual = server.observe().aad_connector.name
    with pytest.raises(
        UserError,
        match=f"the state names AAD connector 'contoso.onmicrosoft.com - Other', the server's is '{re.escape(actual)}'",
    ):
        make_plan(server, changed(state(), connector_name="contoso.onmicrosoft.com - Other"))
    assert make_plan(server, changed(state(), connector_name=actual)).actions


class _Busy:
    """The simulator, always in the middle of a sync cycle."""

    def __init__(self, inner: InMemoryServer) -> None:
        self.inner = inner

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    def observe(self) -> ObservedState:
        observed = self.inner.observe()
        return observed.replace(scheduler=changed(observed.scheduler, sync_cycle_in_progress=True))


def test_a_wait_timeout_of_zero_waits_not_at_all(tmp_path: Path) -> None:
    server = _server()

    def pause(seconds: float) -> None:
        raise AssertionError(f"waited {seconds} s")

    settings = Settings(wait_timeout=0, clock=lambda: 100.0, sleep=pause)
    with pytest.raises(UserError, match="a sync cycle was still running after 0 s"):
        Executor(_Busy(server), Journal("srv1", tmp_path), settings).run(make_plan(server, state()))


def test_a_run_asked_to_stop_before_it_starts_changes_nothing(tmp_path: Path) -> None:
    server = _server()
    before = server.observe()
    settings = Settings(wait_timeout=0)
    settings.listener.stop.set()
    with pytest.raises(Stopped):
        Executor(server, Journal("srv1", tmp_path), settings).run(make_plan(server, state()))
    assert server.observe() == before


class _RefusesToTurnOn(_FailingAdd):
    """Adding a rule fails, and so does turning the scheduler back on."""

    def set_sync_cycle_enabled(self, enabled: bool) -> None:
        if enabled:
            raise Refused("srv1: the scheduler service does not answer")
        self.inner.set_sync_cycle_enabled(enabled)


def _events(journal: Journal) -> list[dict[str, Any]]:
    return [json.loads(line) for line in journal.path.read_text(encoding="utf-8").splitlines()]


def test_the_journal_says_what_failed_and_whether_the_scheduler_came_back(tmp_path: Path) -> None:
    """Each failed action with its error, each scheduler change with its setting; a restore that
    failed is never journaled as a restore, and one that worked leaves no run needing one."""
    server = _server()
    journal = Journal("srv1", tmp_path / "restored")
    with pytest.raises(Refused):
        Executor(_FailingAdd(server), journal, Settings(wait_timeout=0)).run(make_plan(server, state()))
    events = _events(journal)
    acted = [e for e in events if e["event"] == "action"]
    assert [(e["kind"], e["result"], e.get("scheduler")) for e in acted] == [
        ("WaitForSyncIdle", "done", None),
        ("SetSyncCycleEnabled", "done", False),
        ("CreateSyncRule", "failed", None),
    ]
    assert acted[-1]["error"] == "srv1: injected failure"
    assert "scheduler-restored" in [e["event"] for e in events]
    # Died right after the restore, before run-end: the scheduler is on, nothing to restore.
    lines = journal.path.read_text(encoding="utf-8").splitlines()
    journal.path.write_text("".join(f"{line}\n" for line in lines[:-1]), encoding="utf-8")
    assert journal.history().died_with_scheduler_disabled is None

    server = _server()
    journal = Journal("srv1", tmp_path / "not-restored")
    executor = Executor(_RefusesToTurnOn(server), journal, Settings(wait_timeout=0))
    with pytest.raises(Refused, match="injected failure"):
        executor.run(make_plan(server, state()))
    kinds = [e["event"] for e in _events(journal)]
    assert "scheduler-restore-failed" in kinds and "scheduler-restored" not in kinds
    assert server.observe().scheduler.sync_cycle_enabled is False


class _Interrupted(_FailingAdd):
    def add_rule(self, rule: Any) -> None:
        raise KeyboardInterrupt


def test_ctrl_c_during_a_run_stops_it_restores_the_scheduler_and_is_journaled(tmp_path: Path) -> None:
    server = _server()
    journal = Journal("srv1", tmp_path)
    with pytest.raises(KeyboardInterrupt):
        Executor(_Interrupted(server), journal, Settings(wait_timeout=0)).run(make_plan(server, state()))
    assert _events(journal)[-1]["result"] == "interrupted"
    assert server.observe().scheduler.sync_cycle_enabled is True


def test_a_journal_with_values_of_the_wrong_type_or_an_unknown_action_reads_as_saying_nothing(tmp_path: Path) -> None:
    journal = Journal("srv1", tmp_path)
    tmp_path.mkdir(exist_ok=True)
    entries = [
        {"run": "a", "event": "action", "kind": "RestartServer", "params": {}, "result": "done"},
        {"run": "b", "event": "run-end", "result": "success", "memberLimit": True, "memberLimitBefore": 1},
        {"run": "c", "event": "run-end", "result": "success", "memberLimit": "75000", "memberLimitBefore": 50000},
    ]
    journal.path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    history = journal.history()
    assert (history.died_with_scheduler_disabled, history.proven_limit, history.last_raise_at) == (None, None, None)


def test_the_journal_is_written_readable_by_all_and_writable_by_its_owner_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        Journal("srv1", tmp_path).record("run-start", "a")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "srv1.jsonl").stat().st_mode) == 0o644
