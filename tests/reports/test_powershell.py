"""`plan --output powershell`: golden scripts per action kind, and quoting that no name can break."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler import cmdlets
from reconciler.planning.actions import KINDS
from reconciler.planning.plans import Plan
from reconciler.reports import powershell as psplan
from reconciler.servers.simulator import cycle
from tests.scenario import apply, make_plan, rollback, server, state

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "powershell"


def scenarios(tmp_path: Path) -> dict[str, Plan]:
    """One plan per runbook; together they use every action kind."""
    enable = server("1.5.30.0")
    raised = server("1.6.2.4")
    increase = server("1.6.2.4")
    apply(increase, state(), tmp_path)
    increase.run_cycle(full=False)
    rollback = server("1.6.2.4")
    apply(rollback, state(), tmp_path)
    return {
        "enable-v2": make_plan(enable, state(group_member_limit=50000, rule_precedence=None)),
        "raise-limit": make_plan(raised, state()),
        "subsequent-increase": make_plan(increase, state(group_member_limit=150000)),
        "rollback": make_plan(
            rollback,
            state(export_api_version=1, import_api_version=1, group_member_limit=50000, rule_precedence=None),
            allow=True,
        ),
        "scheduler-off": make_plan(
            server("2.4.18.0"), state(group_member_limit=250000, rule_precedence=None, sync_cycle_enabled=False)
        ),
    }


def test_the_scenarios_cover_every_action_kind(tmp_path: Path) -> None:
    used = {a.kind for p in scenarios(tmp_path).values() for a in p.actions}
    assert used == set(KINDS)


@pytest.mark.parametrize("name", ["enable-v2", "raise-limit", "subsequent-increase", "rollback", "scheduler-off"])
def test_golden_script(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The observed digest in a script's header covers the last cycle's end time: fixed here.
    monkeypatch.setattr(cycle, "clock", lambda: "2026-11-23T06:00:00.000Z")
    text = psplan.script(scenarios(tmp_path)[name])
    golden = GOLDEN / f"{name}.ps1"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"rerun with UPDATE_GOLDEN=1 after reviewing {golden}"


def test_script_essentials(tmp_path: Path) -> None:
    text = psplan.script(scenarios(tmp_path)["raise-limit"])
    assert text.startswith("#Requires -RunAsAdministrator\n")
    assert cmdlets.STRICT_MODE in text and "$ErrorActionPreference = 'Stop'" in text
    assert "finally {" in text and "Set-ADSyncScheduler -SyncCycleEnabled $true" in text.split("finally {")[1]
    assert "Set-ADSyncRule" not in text
    assert "C:\\" not in text  # the install folder comes from the registry


def test_the_aad_connector_module_is_imported_from_the_registry_path(tmp_path: Path) -> None:
    text = psplan.script(scenarios(tmp_path)["enable-v2"])
    assert "$installPath = (Get-ItemProperty -LiteralPath $ParametersKey -Name Path).Path" in text
    assert "Import-Module (Join-Path $installPath 'Extensions\\AADConnector.psm1')" in text


# --- quoting ---------------------------------------------------------------------------------


def test_a_rollback_script_stopped_after_the_endpoint_switch_keeps_the_scheduler_off(tmp_path: Path) -> None:
    """Invariant 7 in the script as in apply: once V1 would delete a provisioned 75,000-member group,
    a stop leaves the scheduler off; the step that makes that so is where the script says it."""
    srv = server("1.6.2.4")
    apply(srv, state(), tmp_path)
    srv.run_cycle(full=True)  # All Faculty (75,000 members) is provisioned
    back = rollback(allow_group_deletion=True)
    p = make_plan(srv, back, allow=True)
    assert p.script.risky_after == frozenset(range(2, len(p.actions)))  # from SetExportApiVersion(1) on
    text = psplan.script(p)
    export_step = text.index("Set-ADSyncAADConnectorExportApiVersion 1")
    assert text.index("    $keepSchedulerOff = $true", export_step) < text.index("SetImportApiVersion", export_step)
    assert "    $keepSchedulerOff = $false" not in text
    assert "the sync scheduler stays disabled" in text
