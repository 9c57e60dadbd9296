"""The ordering invariants of docs/plan.md over generated servers and desired states (hypothesis)."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reconciler.errors import UserError
from reconciler.model import facts, limitrules, provisioning, syncrules
from reconciler.model.desired import DesiredState
from reconciler.model.observed import ConnectorOverride, ExportError, ObservedState, Registry, SyncCycleResult
from reconciler.planning.plans import Plan
from reconciler.running.executor import Executor, Settings
from reconciler.running.journal import Journal
from reconciler.servers.simulator import InMemoryServer, defaults
from tests.scenario import apply, make_plan

VERSIONS = ["1.5.30.0", "1.6.2.4", "2.0.3.0", "2.4.18.0"]
CLONE = facts.DEFAULT_MANAGED_RULE_NAME


@st.composite
def servers(draw: st.DrawFn) -> InMemoryServer:
    state = defaults.new_server("srv1", draw(st.sampled_from(VERSIONS)))
    export = draw(st.sampled_from([None, 1, 2]))
    import_ = draw(st.sampled_from([None, 1, 2]))
    export_type = state.aad_connector.export_type
    if export is not None:
        export_type = facts.EXPORT_TYPE_FOR_API_VERSION[export]
    if draw(st.booleans()):  # sometimes registry and connector disagree
        export_type = draw(st.sampled_from([2, 5]))
    state = state.replace(
        registry=Registry(export, import_),
        aad_connector=dataclasses.replace(state.aad_connector, export_type=export_type),
    )
    standard = syncrules.standard_group_join(state)
    assert standard is not None
    rule_list = [r for r in state.sync_rules if r is not standard]
    fate = draw(st.sampled_from(["enabled", "disabled", "deleted"]))
    if fate != "deleted":
        rule_list.append(dataclasses.replace(standard, disabled=fate == "disabled"))
    for copy in range(draw(st.integers(0, 2))):
        clone = syncrules.make_clone(standard, server="srv1", name=CLONE, precedence=draw(st.integers(1, 99)),
                                 limit=draw(st.integers(1, 250000)))  # fmt: skip
        clone = dataclasses.replace(clone, identifier=f"{clone.identifier[:-1]}{copy}", disabled=draw(st.booleans()))
        if draw(st.booleans()):  # the two places disagree
            scope = tuple(
                dataclasses.replace(g, conditions=tuple(
                    dataclasses.replace(c, comparison_value="12345") if c.attribute == "memberCount" else c
                    for c in g.conditions))
                for g in clone.scope_filter
            )  # fmt: skip
            clone = dataclasses.replace(clone, scope_filter=scope)
        rule_list.append(clone)
    groups = tuple(dataclasses.replace(g, provisioned=draw(st.booleans())) for g in state.groups or ())
    cycle = draw(st.sampled_from([None, (), (ExportError("dn-attributes-failure", 4),), (ExportError("x", 1),)]))
    state = state.replace(
        sync_rules=tuple(rule_list),
        groups=groups,
        scheduler=dataclasses.replace(state.scheduler, sync_cycle_enabled=draw(st.booleans())),
        connector_overrides=tuple(
            ConnectorOverride(o.connector_name, o.full_import_required, draw(st.booleans()))
            for o in state.connector_overrides
        ),
        last_sync_cycle=None if cycle is None else SyncCycleResult("success", cycle, "delta"),
    )
    return InMemoryServer(state)


@st.composite
def desired_states(draw: st.DrawFn, rollout: bool = False) -> DesiredState:
    export, import_ = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    top = facts.V2_MEMBER_LIMIT if (export, import_) == (2, 2) else facts.V1_MEMBER_LIMIT
    limit = draw(st.sampled_from([50000, 250000, 15000]).filter(lambda x: x <= top) | st.integers(1, top))
    precedence = draw(st.integers(1, 99))
    return DesiredState(
        name="srv1", cloud="AzureCommercial", export_api_version=export, import_api_version=import_,
        group_member_limit=limit, rule_precedence=precedence, sync_cycle_enabled=draw(st.booleans()),
        writeup_rule_precedence=draw(st.integers(1, 99).filter(lambda p: p != precedence)),
        max_limit_increase=draw(st.none() | st.integers(1, 100000)) if rollout else None,
        allow_group_deletion=True,
    )  # fmt: skip


def plan_or_skip(server: InMemoryServer, want: DesiredState) -> Plan:
    try:
        return make_plan(server, want)
    except UserError:
        assume(False)
        raise


def check_invariants(p: Plan, before: ObservedState, want: DesiredState) -> None:
    kinds = [a.kind for a in p.actions]
    # 1. No actions exactly when nothing differs.
    assert bool(p.actions) == bool(p.changes)
    if not p.actions:
        return
    # 2. Wait, scheduler off (unless already off), ..., scheduler as desired last.
    assert kinds[0] == "WaitForSyncIdle"
    if before.scheduler.sync_cycle_enabled is not False:
        assert p.actions[1].kind == "SetSyncCycleEnabled" and p.actions[1].params == {"enabled": False}
    assert p.actions[-1].kind == "SetSyncCycleEnabled"
    assert p.actions[-1].params == {"enabled": want.sync_cycle_enabled}
    assert kinds.count("WaitForSyncIdle") == 1
    index = {a.kind: i for i, a in reversed(list(enumerate(p.actions)))}  # first index of each kind
    last_version = max(
        (i for i, k in enumerate(kinds) if k in ("SetExportApiVersion", "SetImportApiVersion")), default=-1
    )
    rule_kinds = ("CreateSyncRule", "UpdateSyncRule", "RemoveSyncRule", "DisableSyncRule", "EnableSyncRule")
    first_rule = min((i for i, k in enumerate(kinds) if k in rule_kinds), default=len(kinds))
    # 3 and 4. API versions reach their value before any rule changes.
    assert last_version < first_rule
    for family in limitrules.CATALOGUE:
        standard = syncrules.standard_rule(before, family)
        if standard is None:
            continue
        clone_name = want.clone_name(family)
        writes = [j for j, a in enumerate(p.actions) if a.kind in ("CreateSyncRule", "UpdateSyncRule")
                  and a.params["name"] == clone_name]  # fmt: skip
        enables = [
            j for j, a in enumerate(p.actions) if a.kind == "EnableSyncRule" and a.params["name"] == standard.name
        ]
        for i, action in enumerate(p.actions):
            # 3. The clone carries the limit before its standard rule is disabled.
            if action.kind == "DisableSyncRule" and action.params["name"] == standard.name:
                assert all(j < i for j in writes), "the clone is placed before the standard rule is disabled"
            # 4 (revised). The standard rule is enabled before its clone is removed.
            if action.kind == "RemoveSyncRule" and action.params["name"] == clone_name:
                assert all(j < i for j in enables), "the standard rule is enabled before the clone is removed"
    # 5. The override comes after the rule change, only for an increase of existing clones.
    if "SetConnectorOverride" in index:
        assert p.actions[index["SetConnectorOverride"]].params["fullSyncRequired"] is False
        assert "UpdateSyncRule" in index and index["UpdateSyncRule"] < index["SetConnectorOverride"]
        assert not {"CreateSyncRule", "DisableSyncRule", "EnableSyncRule", "RemoveSyncRule"} & set(index)
        for action in p.actions:
            if action.kind == "UpdateSyncRule":
                clones = syncrules.managed_clones(before, action.params["name"])
                assert len(clones) == 1 and not clones[0].disabled
                assert (syncrules.rule_limit(clones[0]).flow or 0) < action.params["limit"]


@settings(max_examples=150, deadline=None)
@given(servers(), desired_states())
def test_every_plan_obeys_the_ordering_invariants_and_converges(server: InMemoryServer, want: DesiredState) -> None:
    before = server.observe()
    p = plan_or_skip(server, want)
    check_invariants(p, before, want)
    with tempfile.TemporaryDirectory() as folder:
        apply(server, want, Path(folder), allow=True)
        once = server.observe()
        # 6. Convergence: planning again finds nothing to do ...
        again = make_plan(server, want, allow=True)
        assert again.actions == () and again.changes == (), [a.describe() for a in again.actions]
        assert once.scheduler.sync_cycle_enabled is want.sync_cycle_enabled
        assert len(syncrules.managed_clones(once, want.rule_name)) <= 1
        # ... and carrying the same plan out a second time ends where the first did: only the
        # scheduler's own off-and-on around the (now empty) change is done again.
        outcomes = Executor(server, Journal("srv1", Path(folder)), Settings(wait_timeout=0)).run(p)
        redone = {o.action.kind for o in outcomes if o.result == "done"}
        assert redone <= {"WaitForSyncIdle", "SetSyncCycleEnabled"}
        assert server.observe() == once


@settings(max_examples=100, deadline=None)
@given(servers(), desired_states(rollout=True))
def test_rollout_plans_obey_the_invariants_and_never_overshoot(server: InMemoryServer, want: DesiredState) -> None:
    before = server.observe()
    p = plan_or_skip(server, want)
    check_invariants(p, before, want)
    current = syncrules.effective_limit(before)
    for change in p.changes:
        if change.path == "groupMemberLimit" and want.max_limit_increase and current and change.desired > current:
            assert change.desired - current <= want.max_limit_increase


@settings(max_examples=60, deadline=None)
@given(servers(), desired_states())
def test_no_prefix_of_a_plan_leaves_a_server_that_deletes_more(server: InMemoryServer, want: DesiredState) -> None:
    """Invariant 7 and the revised 4: stopped after any action, the server's next full cycle deletes
    no group that neither the starting server nor the desired one would delete."""
    before = server.observe()
    p = plan_or_skip(server, want)
    with tempfile.TemporaryDirectory() as folder:
        final = InMemoryServer(before)
        Executor(final, Journal("srv1", Path(folder)), Settings(wait_timeout=0)).run(p)
        allowed = (
            provisioning.next_cycle(before, full=True).deleted
            | provisioning.next_cycle(final.observe(), full=True).deleted
        )
        for k in range(1, len(p.actions)):
            partial = InMemoryServer(before)
            Executor(partial, Journal("srv1", Path(folder)), Settings(wait_timeout=0)).run(
                dataclasses.replace(p, actions=p.actions[:k])
            )
            deleted = provisioning.next_cycle(partial.observe(), full=True).deleted
            assert deleted <= allowed, (k, [a.describe() for a in p.actions], sorted(deleted - allowed))


@settings(max_examples=60, deadline=None)
@given(servers(), desired_states())
def test_the_script_keeps_the_scheduler_off_exactly_where_apply_would(
    server: InMemoryServer, want: DesiredState
) -> None:
    """The printed script marks the steps after which a stop keeps the scheduler off; apply judges the
    same on the server itself. On the simulator the two agree for every prefix of every plan."""
    before = server.observe()
    p = plan_or_skip(server, want)
    risk = provisioning.deletion_risk(before)
    with tempfile.TemporaryDirectory() as folder:
        for k in range(1, len(p.actions) + 1):
            partial = InMemoryServer(before)
            Executor(partial, Journal("srv1", Path(folder)), Settings(wait_timeout=0)).run(
                dataclasses.replace(p, actions=p.actions[:k])
            )
            grows = bool(provisioning.deletion_risk(partial.observe()).new_since(risk))
            assert ((k - 1) in p.script.risky_after) == grows, (k, [a.describe() for a in p.actions])
