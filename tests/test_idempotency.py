"""Idempotency checks tested in both directions, over servers that drifted from what was planned.

An action's check must say "done" after the action (tests/test_actions.py) and "not done" where
the server still needs it: a check that says "done" too early makes apply skip a change and report
success for a server that is not as planned. Apply, then plan again, must find nothing to do.
"""

from __future__ import annotations

import inspect
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reconciler.errors import UserError
from reconciler.model import facts, inforce, limitrules, provisioning, syncrules
from reconciler.model.desired import DesiredState
from reconciler.model.observed import ConnectorOverride, Group, ObservedState, Registry, SyncRule
from reconciler.planning.plans import Plan
from reconciler.running.executor import Executor, Settings
from reconciler.running.journal import Journal
from reconciler.servers.simulator import InMemoryServer, defaults
from tests.scenario import make_plan

VERSIONS = ["1.5.30.0", "1.6.2.4", "2.0.3.0", "2.4.18.0"]
# Few enough that a clone often sits at the desired precedence, or just beside it.
PRECEDENCES = [88, 89, 90, 91]
LIMITS = [15000, 49999, 50000, 50001, 100000, 150000, 250000]
# Rule and API-version actions: the scheduler's off-and-on is planned whatever it is now, and the
# override is a courtesy after a raise.
CHECKED = {"SetExportApiVersion", "SetImportApiVersion", "CreateSyncRule", "UpdateSyncRule", "RemoveSyncRule",
           "EnableSyncRule", "DisableSyncRule"}  # fmt: skip


def changed(value: Any, **changes: Any) -> Any:
    """A copy of a frozen value with some fields changed."""
    fields = inspect.signature(type(value)).parameters
    return type(value)(**{**{name: getattr(value, name) for name in fields}, **changes})


def with_scope_value(rule: SyncRule, value: int | str) -> SyncRule:
    """The rule's memberCount scope conditions say `value`, whatever its member flow says."""
    groups = tuple(
        changed(group, conditions=tuple(
            changed(c, comparison_value=str(value)) if c.attribute == syncrules.COUNT_ATTRIBUTE else c
            for c in group.conditions))
        for group in rule.scope_filter
    )  # fmt: skip
    return changed(rule, scope_filter=groups)


def clone_of(
    state: ObservedState, family: limitrules.LimitRule, precedence: int, limit: int, copy: int = 0
) -> SyncRule:
    standard = syncrules.standard_rule(state, family)
    assert standard is not None
    clone = syncrules.make_clone(
        standard, server=state.server.name, name=family.default_clone_name, precedence=precedence, limit=limit
    )
    return clone if copy == 0 else changed(clone, identifier=f"{clone.identifier[:-1]}{copy}")


@st.composite
def drifted_servers(draw: st.DrawFn) -> InMemoryServer:
    """Any build, API versions anywhere, and each limit family's standard rule enabled, disabled or
    gone, with up to two clones each: disabled or not, at any of a few precedences, carrying any of
    a few limits, their memberCount scope values stale or not."""
    state = defaults.new_server("srv1", draw(st.sampled_from(VERSIONS)))
    export, import_ = draw(st.sampled_from([None, 1, 2])), draw(st.sampled_from([None, 1, 2]))
    export_type = state.aad_connector.export_type if export is None else facts.EXPORT_TYPE_FOR_API_VERSION[export]
    rules = list(state.sync_rules)
    for family in limitrules.CATALOGUE:
        standard = syncrules.standard_rule(state, family)
        if standard is None:
            continue
        rules.remove(standard)
        fate = draw(st.sampled_from(["enabled", "disabled", "gone"]))
        if fate != "gone":
            rules.append(changed(standard, disabled=fate == "disabled"))
        for copy in range(draw(st.integers(0, 2))):
            clone = clone_of(state, family, draw(st.sampled_from(PRECEDENCES)), draw(st.sampled_from(LIMITS)), copy)
            stale = draw(st.sampled_from([None, *LIMITS]))
            if stale is not None:
                clone = with_scope_value(clone, stale)
            rules.append(changed(clone, disabled=draw(st.booleans())))
    groups = tuple(changed(g, provisioned=draw(st.booleans())) for g in state.groups or ())
    edge = draw(st.sampled_from([15000, 50000, 50001, 100000, 150000]))
    groups += (Group("Edge", edge, draw(st.booleans())),)
    state = state.replace(
        registry=Registry(export, import_),
        aad_connector=changed(state.aad_connector, export_type=export_type),
        sync_rules=tuple(rules),
        groups=groups,
        scheduler=changed(state.scheduler, sync_cycle_enabled=draw(st.booleans())),
        connector_overrides=tuple(
            ConnectorOverride(o.connector_name, o.full_import_required, draw(st.booleans()))
            for o in state.connector_overrides
        ),
    )
    return InMemoryServer(state)


@st.composite
def wanted(draw: st.DrawFn) -> DesiredState:
    export, import_ = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    top = facts.V2_MEMBER_LIMIT if (export, import_) == (2, 2) else facts.V1_MEMBER_LIMIT
    precedence = draw(st.sampled_from(PRECEDENCES))
    return DesiredState(
        name="srv1", cloud="AzureCommercial", export_api_version=export, import_api_version=import_,
        group_member_limit=draw(st.sampled_from([x for x in LIMITS if x <= top])), rule_precedence=precedence,
        sync_cycle_enabled=draw(st.booleans()),
        writeup_rule_precedence=draw(st.sampled_from([p for p in PRECEDENCES if p != precedence])),
        allow_group_deletion=True,
    )  # fmt: skip


def planned_or_skip(server: InMemoryServer, want: DesiredState) -> Plan:
    try:
        return make_plan(server, want, allow=True)
    except UserError:
        assume(False)
        raise


def apply_plan(server: InMemoryServer, the_plan: Plan) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        outcomes = Executor(server, Journal("srv1", Path(folder)), Settings(wait_timeout=0)).run(the_plan)
    return [o.result for o in outcomes]


def check_applied(server: InMemoryServer, the_plan: Plan, want: DesiredState) -> None:
    """The server is as planned: each planned change holds, the limit is the desired one, groups
    still have an enabled rule that provisions them, and planning again finds nothing to do."""
    after = server.observe()
    for action in the_plan.actions:
        if action.kind in CHECKED:
            assert action.definition.satisfied(after, action.params), action.describe()
    assert inforce.member_limit(after) == min(want.group_member_limit, inforce.sync_cap(after))
    assert syncrules.provisioning_rules(after)
    assert after.scheduler.sync_cycle_enabled is want.sync_cycle_enabled
    again = make_plan(server, want, allow=True)
    assert again.actions == (), [a.describe() for a in again.actions]


@settings(max_examples=200, deadline=None)
@given(drifted_servers(), wanted())
def test_no_planned_change_is_already_done_on_the_server_it_was_planned_from(
    server: InMemoryServer, want: DesiredState
) -> None:
    before = server.observe()
    the_plan = planned_or_skip(server, want)
    for action in the_plan.actions:
        if action.kind in CHECKED:
            assert not action.definition.satisfied(before, action.params), action.describe()


@settings(max_examples=150, deadline=None)
@given(drifted_servers(), wanted())
def test_apply_leaves_the_server_as_planned_and_a_new_plan_empty(server: InMemoryServer, want: DesiredState) -> None:
    the_plan = planned_or_skip(server, want)
    results = apply_plan(server, the_plan)
    # Every change planned was needed, so none of them was skipped as done already.
    assert all(r == "done" for a, r in zip(the_plan.actions, results, strict=True) if a.kind in CHECKED)
    check_applied(server, the_plan, want)


def _raised(version: str = "1.6.2.4", limit: int = 150000) -> tuple[InMemoryServer, DesiredState]:
    """A server whose limit a clone of each family carries, as apply leaves it."""
    server = InMemoryServer(defaults.new_server("srv1", version))
    want = DesiredState(
        name="srv1", cloud="AzureCommercial", export_api_version=2, import_api_version=2, group_member_limit=limit,
        rule_precedence=90, sync_cycle_enabled=True, writeup_rule_precedence=89,
    )  # fmt: skip
    apply_plan(server, make_plan(server, want))
    assert make_plan(server, want).actions == ()
    return server, want


def _edit_rules(server: InMemoryServer, edit: Any) -> None:
    server.state = server.state.replace(sync_rules=tuple(r for r in map(edit, server.state.sync_rules) if r))


def _managed(rule: SyncRule) -> bool:
    return any(rule.name == f.default_clone_name and not rule.is_standard for f in limitrules.CATALOGUE)


def _standard(rule: SyncRule) -> bool:
    return syncrules.standard_family(rule) is not None


DRIFTS = {
    # The clones disabled and the standard rules enabled again by hand: the plan must write the clones.
    "disabled clone": lambda r: changed(r, disabled=True) if _managed(r) else changed(r, disabled=False),
    "clone at another precedence": lambda r: changed(r, precedence=r.precedence - 10) if _managed(r) else r,
    "stale memberCount scope value": lambda r: with_scope_value(r, 100000) if _managed(r) else r,
    # The clones gone and the standard rules enabled again: the plan must make them again.
    "missing clone, standard enabled": lambda r: None if _managed(r) else changed(r, disabled=False),
}


@pytest.mark.parametrize("drift", DRIFTS)
def test_apply_puts_right_a_clone_changed_by_hand(drift: str) -> None:
    server, want = _raised()
    _edit_rules(server, DRIFTS[drift])
    before = server.observe()
    the_plan = make_plan(server, want)
    assert any(a.kind in CHECKED for a in the_plan.actions), drift
    for action in the_plan.actions:
        if action.kind in CHECKED:
            assert not action.definition.satisfied(before, action.params), action.describe()
    apply_plan(server, the_plan)
    check_applied(server, the_plan, want)
    # The next full cycle keeps every group provisioned and provisions those below the limit.
    server.state = server.state.replace(groups=(*(server.state.groups or ()), Group("Large", 120000, False)))
    outcome = provisioning.next_cycle(server.observe(), full=True)
    assert not outcome.deleted and "Large" in outcome.newly_provisioned


def test_a_standard_rule_gone_with_its_clone_left_is_refused_only_where_it_is_needed() -> None:
    """The Group Writeup Member Limit rule deleted, its clone left: raising further updates the clone
    (our own clone is no foreign rule in the way), rolling back to the standard limit is refused
    (nothing would carry it) rather than leaving the clone."""
    server, _ = _raised()
    _edit_rules(server, lambda r: None if syncrules.standard_family(r) is limitrules.GROUP_WRITEUP else r)
    raise_further = DesiredState(
        name="srv1", cloud="AzureCommercial", export_api_version=2, import_api_version=2, group_member_limit=200000,
        rule_precedence=90, sync_cycle_enabled=True, writeup_rule_precedence=89,
    )  # fmt: skip
    the_plan = make_plan(server, raise_further)
    updated = {a.params["name"] for a in the_plan.actions if a.kind == "UpdateSyncRule"}
    assert updated == {f.default_clone_name for f in limitrules.CATALOGUE}
    apply_plan(server, the_plan)
    check_applied(server, the_plan, raise_further)

    rollback = changed(raise_further, export_api_version=1, import_api_version=1, group_member_limit=50000,
                       rule_precedence=None, writeup_rule_precedence=None)  # fmt: skip
    with pytest.raises(UserError, match="no standard 'Out to AAD - Group Writeup Member Limit' rule to carry"):
        make_plan(server, rollback, allow=True)


def test_a_missing_standard_rule_is_made_no_clone_from_and_enabled_nowhere() -> None:
    """Group Join deleted on a server with no clone: nothing can carry a new limit; the plan is refused."""
    server = InMemoryServer(defaults.new_server("srv1", "1.6.2.4"))
    _edit_rules(server, lambda r: None if syncrules.is_group_join_standard(r) else r)
    want = DesiredState(
        name="srv1", cloud="AzureCommercial", export_api_version=2, import_api_version=2, group_member_limit=100000,
        rule_precedence=90, sync_cycle_enabled=True, writeup_rule_precedence=89,
    )  # fmt: skip
    with pytest.raises(UserError, match="no standard 'Out to AAD - Group Join' rule to clone"):
        make_plan(server, want)
