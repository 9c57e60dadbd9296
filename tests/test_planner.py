"""The runbooks of the V2 endpoint page and the MVP how-to, as plans on the simulator."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from reconciler.errors import UserError
from reconciler.model import inforce, syncrules
from reconciler.model.observed import ExportError, SyncCycleResult
from tests.scenario import apply, kinds, make_plan, server, state
from tests.scenario import rollback as scenario_rollback

CLONE = "Out to AAD - Group Join (member limit)"
STANDARD = "Out to AAD - Group Join"
WRITEUP_CLONE = "Out to AAD - Group Writeup Member Limit (member limit)"
WRITEUP = "Out to AAD - Group Writeup Member Limit"


def test_in_sync_server_gets_an_empty_plan() -> None:
    p = make_plan(server("2.4.18.0"), state(group_member_limit=250000, rule_precedence=None))
    assert p.actions == () and p.changes == ()


def test_enable_v2_phase_2(tmp_path: Path) -> None:
    srv = server("1.5.30.0")
    p = make_plan(srv, state(group_member_limit=50000, rule_precedence=None))
    assert kinds(p) == [
        "WaitForSyncIdle",
        "SetSyncCycleEnabled(enabled=false)",
        "SetExportApiVersion(version=2)",
        "SetImportApiVersion(version=2)",
        "SetSyncCycleEnabled(enabled=true)",
    ]
    assert [(c.path, c.observed, c.desired) for c in p.changes] == [
        ("apiVersions.export", 1, 2),
        ("apiVersions.import", 1, 2),
    ]
    apply(srv, state(group_member_limit=50000, rule_precedence=None), tmp_path)
    assert srv.state.registry.export_api_version == 2 and srv.state.aad_connector.export_type == 5


def test_raise_the_limit_phase_3(tmp_path: Path) -> None:
    srv = server("1.6.2.4")
    p = make_plan(srv, state())
    assert kinds(p) == [
        "WaitForSyncIdle",
        "SetSyncCycleEnabled(enabled=false)",
        f'CreateSyncRule(name="{CLONE}", precedence=90, limit=100000, clonedFrom="{STANDARD}")',
        f'CreateSyncRule(name="{WRITEUP_CLONE}", precedence=89, limit=100000, clonedFrom="{WRITEUP}")',
        f'DisableSyncRule(name="{STANDARD}")',
        f'DisableSyncRule(name="{WRITEUP}")',
        "SetSyncCycleEnabled(enabled=true)",
    ]
    # All Managers has exactly 50,000 members: out of scope of LESSTHAN 50000 until now.
    assert p.impact.groups_to_provision == ("All Faculty", "All Managers")
    apply(srv, state(), tmp_path)
    assert syncrules.effective_limit(srv.state) == 100000
    assert make_plan(srv, state()).actions == ()


def test_raise_from_v1_puts_api_versions_first(tmp_path: Path) -> None:
    p = make_plan(server("1.5.30.0"), state())
    order = kinds(p)
    assert order.index("SetImportApiVersion(version=2)") < order.index(
        f'CreateSyncRule(name="{CLONE}", precedence=90, limit=100000, clonedFrom="{STANDARD}")'
    )


def test_subsequent_increase_clears_the_full_sync_flag(tmp_path: Path) -> None:
    srv = server("1.6.2.4")
    apply(srv, state(), tmp_path)
    srv.run_cycle(full=False)  # the rule change's full sync runs and clears the flag
    p = make_plan(srv, state(group_member_limit=150000))
    assert kinds(p) == [
        "WaitForSyncIdle",
        "SetSyncCycleEnabled(enabled=false)",
        f'UpdateSyncRule(name="{CLONE}", precedence=90, limit=150000)',
        f'UpdateSyncRule(name="{WRITEUP_CLONE}", precedence=89, limit=150000)',
        'SetConnectorOverride(connectorName="contoso.onmicrosoft.com - AAD", fullSyncRequired=false)',
        "SetSyncCycleEnabled(enabled=true)",
    ]
    apply(srv, state(group_member_limit=150000), tmp_path)
    override = srv.state.override_for(srv.state.aad_connector.name)
    assert override is not None and not override.full_sync_required


def test_no_override_when_a_full_sync_is_pending_anyway(tmp_path: Path) -> None:
    srv = server("1.6.2.4")
    apply(srv, state(), tmp_path)  # the clone's creation left FullSyncRequired set
    assert "SetConnectorOverride" not in " ".join(kinds(make_plan(srv, state(group_member_limit=150000))))


def test_lowering_is_no_subsequent_increase(tmp_path: Path) -> None:
    srv = server("1.6.2.4")
    apply(srv, state(group_member_limit=150000), tmp_path)
    srv.run_cycle(full=False)
    p = make_plan(srv, state(group_member_limit=130000), allow=True)
    assert "SetConnectorOverride" not in " ".join(kinds(p))


def test_rollback_to_v1_is_guarded_and_ordered(tmp_path: Path) -> None:
    srv = server("1.6.2.4")
    apply(srv, state(), tmp_path)
    srv.run_cycle(full=True)  # All Faculty (75,000) provisioned
    rollback = scenario_rollback()
    with pytest.raises(
        UserError, match=r"plan refused: it would delete 1 provisioned group\(s\) on the next full sync: All Faculty"
    ):
        make_plan(srv, rollback)
    p = make_plan(srv, dataclasses.replace(rollback, allow_group_deletion=True))
    assert kinds(p) == [
        "WaitForSyncIdle",
        "SetSyncCycleEnabled(enabled=false)",
        "SetExportApiVersion(version=1)",
        "SetImportApiVersion(version=1)",
        # Invariant 4: each standard rule carries the limit again before its clone goes.
        f'EnableSyncRule(name="{STANDARD}")',
        f'RemoveSyncRule(name="{CLONE}")',
        f'EnableSyncRule(name="{WRITEUP}")',
        f'RemoveSyncRule(name="{WRITEUP_CLONE}")',
        "SetSyncCycleEnabled(enabled=true)",
    ]
    assert p.impact.groups_to_delete == ("All Faculty",)
    assert any("deletes 1 provisioned group(s)" in w for w in p.warnings)
    apply(srv, rollback, tmp_path, allow=True)
    srv.run_cycle(full=True)
    assert not any(g.provisioned and g.member_count > 50000 for g in srv.state.groups or ())


def test_upgrade_reset_is_re_applied(tmp_path: Path) -> None:
    srv = server("1.5.30.0")
    apply(srv, state(), tmp_path)
    srv.upgrade("1.6.4.0")
    assert syncrules.effective_limit(srv.state) == 50000
    p = make_plan(srv, state())
    assert kinds(p) == [
        "WaitForSyncIdle",
        "SetSyncCycleEnabled(enabled=false)",
        # 1.6.4.0 brings the Writeup Member Limit rule, which 1.5.30.0 did not have: it needs a clone too.
        f'CreateSyncRule(name="{WRITEUP_CLONE}", precedence=89, limit=100000, clonedFrom="{WRITEUP}")',
        f'UpdateSyncRule(name="{CLONE}", precedence=90, limit=100000)',
        f'DisableSyncRule(name="{STANDARD}")',
        f'DisableSyncRule(name="{WRITEUP}")',
        "SetSyncCycleEnabled(enabled=true)",
    ]
    apply(srv, state(), tmp_path)
    assert syncrules.effective_limit(srv.state) == 100000
    assert make_plan(srv, state()).actions == ()


def test_upgrade_from_1_5_loses_the_endpoint_settings(tmp_path: Path) -> None:
    srv = server("1.5.30.0")
    apply(srv, state(), tmp_path)
    srv.upgrade("1.5.45.0")
    p = make_plan(srv, state())
    assert kinds(p)[2:4] == ["SetExportApiVersion(version=2)", "SetImportApiVersion(version=2)"]


def test_staging_server_is_planned_and_applied_alike(tmp_path: Path) -> None:
    srv = server("1.6.2.4")
    srv.state = srv.state.replace(scheduler=dataclasses.replace(srv.state.scheduler, staging_mode_enabled=True))
    apply(srv, state(), tmp_path)
    assert syncrules.effective_limit(srv.state) == 100000 and srv.state.scheduler.staging_mode_enabled


def test_scheduler_only_changes() -> None:
    srv = server("2.4.18.0")
    off = state(group_member_limit=250000, rule_precedence=None, sync_cycle_enabled=False)
    p = make_plan(srv, off)
    assert kinds(p) == ["WaitForSyncIdle", "SetSyncCycleEnabled(enabled=false)"]
    assert any("auto-upgrades abort" in w for w in p.warnings)
    srv.state = srv.state.replace(scheduler=dataclasses.replace(srv.state.scheduler, sync_cycle_enabled=False))
    on = state(group_member_limit=250000, rule_precedence=None)
    assert kinds(make_plan(srv, on)) == ["WaitForSyncIdle", "SetSyncCycleEnabled(enabled=true)"]


@pytest.mark.parametrize(
    ("version", "changes", "want", "reason"),
    [
        ("1.5.22.0", {}, state(group_member_limit=50000, rule_precedence=None),
         "the V2 endpoint needs version 1.5.30.0 or later; the server runs 1.5.22.0"),
        ("1.6.2.4", {"tenant_has_verified_domain": False}, state(group_member_limit=20000, rule_precedence=5,
         export_api_version=1, import_api_version=1),
         "groupMemberLimit 20000 is above 15000, the most a tenant without a verified domain can sync"),
        ("1.6.2.4", {"cloud": "AzureGermany"}, state(),
         "the state declares cloud AzureCommercial, the server reports AzureGermany"),
        ("1.6.2.4", {"name": "other"}, state(), "the target holds server 'other', not 'srv1'"),
    ],
)  # fmt: skip
def test_server_side_refusals(version: str, changes: dict[str, object], want: object, reason: str) -> None:
    srv = server(version)
    srv.state = srv.state.replace(server=dataclasses.replace(srv.state.server, **changes))  # type: ignore[arg-type]
    with pytest.raises(UserError) as exc:
        make_plan(srv, want)  # type: ignore[arg-type]
    assert f"srv1: plan refused: {reason}" in [str(p) for p in exc.value.problems]


def test_v2_in_germany_is_refused_by_the_server_check() -> None:
    srv = server("1.6.2.4")
    srv.state = srv.state.replace(server=dataclasses.replace(srv.state.server, cloud="AzureGermany"))
    with pytest.raises(UserError) as exc:
        make_plan(srv, state(cloud="AzureGermany"))
    assert "srv1: plan refused: the V2 endpoint is not available in the AzureGermany cloud" in str(exc.value)


def test_precedence_taken_names_the_rule(tmp_path: Path) -> None:
    srv = server("1.6.2.4")
    apply(srv, state(rule_name="Someone else's rule", rule_precedence=90), tmp_path)
    with pytest.raises(UserError, match="precedence 90 is already used by sync rule 'Someone else's rule'"):
        make_plan(srv, state())


def test_a_rule_ahead_of_the_clone_is_refused(tmp_path: Path) -> None:
    srv = server("1.6.2.4")
    apply(srv, state(rule_name="Older clone", rule_precedence=20, group_member_limit=75000), tmp_path)
    with pytest.raises(UserError, match="sync rule 'Older clone' at precedence 20 caps members at 75000, below"):
        make_plan(srv, state())


def test_missing_precedence_when_the_server_needs_a_clone() -> None:
    # 50,000 is standard on 1.x but needs a clone on 2.0.3.0+, where the standard rule carries 250,000.
    with pytest.raises(
        UserError,
        match=r"rulePrecedence is needed: groupMemberLimit 50000 differs from the limit of the standard rule "
        r"'Out to AAD - Group Join' \(250000\)",
    ):
        make_plan(server("2.4.18.0"), state(group_member_limit=50000, rule_precedence=None))


def test_unreadable_expression_is_an_error_naming_the_rule() -> None:
    srv = server("1.6.2.4")
    standard = syncrules.standard_group_join(srv.state)
    assert standard is not None
    broken = dataclasses.replace(
        standard,
        attribute_flow_mappings=tuple(
            dataclasses.replace(m, expression="IIF(Count([member]) > 5, 1, 2)") if m.destination == "member" else m
            for m in standard.attribute_flow_mappings
        ),
    )
    srv.state = srv.state.replace(sync_rules=tuple(broken if r is standard else r for r in srv.state.sync_rules))
    with pytest.raises(
        UserError, match=r"sync rule 'Out to AAD - Group Join' \(.*\): cannot understand its member limit"
    ):
        make_plan(srv, state())


def test_rollout_steps_and_gate(tmp_path: Path) -> None:
    srv = server("1.6.2.4")
    want = state(group_member_limit=100000, max_limit_increase=25000)
    p = make_plan(srv, want)
    assert any(c.path == "groupMemberLimit" and c.desired == 75000 for c in p.changes)
    assert any("raising the limit to 75000, not 100000" in w for w in p.warnings)
    apply(srv, want, tmp_path)
    srv.state = srv.state.replace(
        last_sync_cycle=SyncCycleResult("completed-export-errors", (ExportError("permission-issue", 3),), "delta")
    )
    held = make_plan(srv, want)
    assert held.actions == ()
    assert any(
        "the limit stays at 75000: the last sync cycle had export errors (permission-issue x3)" in w
        for w in held.warnings
    )
    srv.state = srv.state.replace(
        last_sync_cycle=SyncCycleResult("success", (ExportError("dn-attributes-failure", 12),), "delta")
    )
    p = make_plan(srv, want)
    assert any(c.path == "groupMemberLimit" and c.desired == 100000 for c in p.changes)


def test_unobserved_settings_are_reported_and_left_alone() -> None:
    srv = server("1.6.2.4")
    srv.state = srv.state.replace(unobserved=("registry.AadConnectorImportApiVersion", "scheduler.SyncCycleEnabled"))
    p = make_plan(srv, state(import_api_version=2))
    assert "apiVersions.import was not observed by this source; nothing is planned for it" in p.warnings
    assert not any(a.kind == "SetImportApiVersion" for a in p.actions)
    assert inforce.api_versions(srv.state) == (2, 2)
