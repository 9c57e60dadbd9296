"""Whole runbooks on the simulator, as admins run them (the V2 page, azure-docs issues)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from reconciler.model import limitrules, syncrules
from reconciler.model.observed import Group
from reconciler.servers.simulator import InMemoryServer
from tests.scenario import apply, make_plan, server, state


def _provisioned(srv: InMemoryServer) -> set[str]:
    return {g.name for g in srv.state.groups or () if g.provisioned}


def test_raising_on_1_6_4_0_clones_both_limit_rules_and_a_70000_group_syncs(tmp_path: Path) -> None:
    """azure-docs #75330: cloning only Group Join left 'Maximum Group member count exceeded' from the
    Writeup Member Limit rule. Both are cloned, and a 70,000-member group is provisioned cleanly."""
    srv = server("1.6.4.0")
    srv.state = srv.state.replace(groups=(*(srv.state.groups or ()), Group("Research", 70000, False)))
    apply(srv, state(), tmp_path)
    for family in limitrules.CATALOGUE:
        standard = syncrules.standard_rule(srv.state, family)
        assert standard is not None and standard.disabled, family.name
        assert [
            syncrules.rule_limit(c).flow for c in syncrules.managed_clones(srv.state, state().clone_name(family))
        ] == [100000]
    _, after = srv.run_cycle(full=False)
    assert "Research" in _provisioned(srv)
    assert after.last_sync_cycle is not None and not after.last_sync_cycle.has_real_errors


def test_cloning_only_group_join_leaves_the_writeup_rule_capping_at_50000(tmp_path: Path) -> None:
    srv = server("1.6.4.0")
    srv.state = srv.state.replace(groups=(*(srv.state.groups or ()), Group("Research", 70000, False)))
    standard = syncrules.standard_group_join(srv.state)
    assert standard is not None
    srv.add_rule(syncrules.make_clone(standard, server="srv1", name="by hand", precedence=90, limit=100000))
    srv.set_rule_disabled(standard.identifier, True)
    _, after = srv.run_cycle(full=False)
    assert "Research" not in _provisioned(srv)
    assert after.last_sync_cycle is not None
    assert [e.message for e in after.last_sync_cycle.export_errors if not e.informational] == [
        "Maximum Group member count exceeded"
    ]


def test_a_swing_migration_staging_first_then_switch_then_upgrade(tmp_path: Path) -> None:
    active, staging = server("2.4.18.0", name="aadc01"), server("2.4.18.0", name="aadc02")
    staging.state = staging.state.replace(
        scheduler=dataclasses.replace(staging.state.scheduler, staging_mode_enabled=True),
        groups=tuple(dataclasses.replace(g, provisioned=False) for g in staging.state.groups or ()),
    )
    want = state(group_member_limit=150000, rule_precedence=60, writeup_rule_precedence=61)
    # 1. The staging server first: its plan says what happens once it is active; it exports nothing.
    p = make_plan(staging, dataclasses.replace(want, name="aadc02"))
    assert any(w.startswith("staging mode: this server exports nothing") for w in p.warnings)
    apply(staging, dataclasses.replace(want, name="aadc02"), tmp_path)
    staging.run_cycle(full=True)
    assert _provisioned(staging) == set()
    # 2. Switch roles: the former staging server exports, the former active one stops.
    staging.state = staging.state.replace(
        scheduler=dataclasses.replace(staging.state.scheduler, staging_mode_enabled=False)
    )
    active.state = active.state.replace(
        scheduler=dataclasses.replace(active.state.scheduler, staging_mode_enabled=True)
    )
    staging.run_cycle(full=True)
    assert {"All Staff", "All Faculty"} <= _provisioned(staging) and "All Students" not in _provisioned(staging)
    # 3. Upgrade the former active server, now staging, and reconcile it: the upgrade's reset is re-applied.
    active.upgrade("2.4.21.0")
    apply(active, dataclasses.replace(want, name="aadc01"), tmp_path)
    assert make_plan(active, dataclasses.replace(want, name="aadc01")).actions == ()
    assert syncrules.effective_limit(active.state) == 150000
