"""`reconciler status` says each server's health apart from its sync status (docs/health.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support import SIM_EXPORT, Run


def _days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds").replace("+00:00", "Z")


def _adopted(run: Run, name: str = "aadc01", *options: str) -> str:
    """A simulated server and the state file that matches it as it is, after one sync cycle."""
    assert run("sim", "init", "--name", name, *options).code == 0
    assert run("sim", "cycle", "--name", name).code == 0
    assert run("export", "--name", name, "--out", f"{name}.yaml").code == 0
    return f"{name}.yaml"


def _health(run: Run, state: str) -> dict[str, Any]:
    document = json.loads(run("status", state, "--output", "json").out)
    found: dict[str, Any] = document["servers"][0]["health"]
    return found


def test_a_server_that_synchronizes_is_healthy_and_says_when_its_last_cycle_ended(run: Run) -> None:
    state = _adopted(run)
    result = run("status", state, "--detailed-exitcode")
    assert result.code == 0, result.out
    assert "aadc01 (simulated): in sync\n" in result.out
    assert "  health: Healthy (last cycle ended 0 min ago (20" in result.out
    health = _health(run, state)
    assert health["status"] == "Healthy"
    assert [c["check"] for c in health["checks"]] == ["build", "last cycle", "scheduler", "full sync", "export errors"]
    assert {c["check"]: c["result"] for c in health["checks"]}["build"] == "ok"


def test_no_cycle_for_more_than_7_days_is_degraded_and_exit_2_though_in_sync(run: Run) -> None:
    state = _adopted(run)
    assert run("sim", "set", "--name", "aadc01", f"lastSyncCycle.endedAt={_days_ago(9)}").code == 0
    result = run("status", state, "--detailed-exitcode")
    assert result.code == 2
    assert "aadc01 (simulated): in sync\n" in result.out and "  health: Degraded\n" in result.out
    assert "    - last cycle: the last cycle ended 9 days 0 h ago (" in result.out
    assert "Microsoft requires one at least every 7 days" in result.out
    # "in sync" and exit 2: one line says why.
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith("aadc01: exit 2: health is Degraded (last cycle: the last cycle ended 9 days")
    assert run("status", state).code == 0  # without --detailed-exitcode, only errors fail
    assert run("status", state).err == ""


def test_status_takes_no_allow_group_deletion_and_each_help_says_its_exit_2(
    run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    state = _adopted(run)
    refused = run("status", state, "--allow-group-deletion")
    assert refused.code == 1 and "unrecognized arguments: --allow-group-deletion" in refused.err
    helps = {}
    for command in ("plan", "status", "compare"):
        with pytest.raises(SystemExit):
            run(command, "--help")
        helps[command] = " ".join(capsys.readouterr().out.split())
    assert (
        "exit 2 when a server is short of its desired state (changes pending, a rollout step, or a rollout held"
        in (helps["plan"])
    )
    assert (
        "exit 2 when a server is short of its desired state, or in sync but its health is Degraded" in helps["status"]
    )
    assert "exit 2 when a managed setting differs" in helps["compare"]


def test_a_build_that_no_longer_synchronizes_is_degraded(run: Run) -> None:
    state = _adopted(run, "aadc01", "--version", "2.4.21.0")
    health = _health(run, state)
    assert health["status"] == "Degraded"
    assert health["reasons"][0] == (
        "build: build 2.4.21.0 does not synchronize since 2026-09-30 (minimum 2.5.79.0); upgrade to 2.6.92.0"
    )


def test_synchronization_left_off_by_anyone_is_degraded_after_a_day(run: Run) -> None:
    state = _adopted(run)
    run("sim", "set", "--name", "aadc01", "scheduler.SyncCycleEnabled=false")
    fresh = _health(run, state)
    assert fresh["status"] == "Healthy"  # off since the last cycle a minute ago: said, not degraded
    assert fresh["reasons"][0] == "scheduler: synchronization off (the last cycle ended 0 min ago)"
    run("sim", "set", "--name", "aadc01", f"lastSyncCycle.endedAt={_days_ago(2)}")
    stale = _health(run, state)
    assert stale["status"] == "Degraded"
    assert stale["reasons"][0] == "scheduler: synchronization off, and no cycle for 2 days 0 h (limit 1 day 0 h)"


def test_a_full_sync_pending_for_days_and_real_export_errors_are_degraded(run: Run) -> None:
    state = _adopted(run)
    override = (
        '[{"ConnectorName": "contoso.onmicrosoft.com - AAD", "FullImportRequired": false, "FullSyncRequired": true}]'
    )
    run("sim", "set", "--name", "aadc01", f"connectorOverrides={override}", f"lastSyncCycle.endedAt={_days_ago(3)}")
    errors = '[{"type": "permission-issue", "count": 2}, {"type": "dn-attributes-failure", "count": 7}]'
    run("sim", "set", "--name", "aadc01", f"lastSyncCycle.exportErrors={errors}")
    markdown = run("status", state, "--output", "markdown").out
    assert "| last upgrade seen | health |" in markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| `aadc01`"))
    assert row.endswith(
        "| Degraded: full sync: pending, and no cycle has run it for 3 days 0 h (limit 1 day 0 h); "
        "export errors: 2 in the last cycle: permission-issue (2) |"
    )


def test_server_text_in_a_reason_is_escaped(run: Run) -> None:
    state = _adopted(run)
    run("sim", "set", "--name", "aadc01", 'lastSyncCycle.exportErrors=[{"type": "bad\\u001b[31m|type", "count": 1}]')
    out = run("status", state).out
    assert "\x1b" not in out
    assert "export errors: 1 in the last cycle: bad\\x1b[31m|type (1)" in out


def test_a_configuration_export_observes_no_cycle_and_no_scheduler(run: Run) -> None:
    run("export", "--target", f"export:{SIM_EXPORT}", "--name", "contoso", "--out", "contoso.yaml")
    document = json.loads(run("status", "contoso.yaml", "--target", f"export:{SIM_EXPORT}", "--output", "json").out)
    health = document["servers"][0]["health"]
    assert health["status"] == "Degraded"  # a 1.1.130.0 build: degraded whatever else is unknown
    assert "last cycle: no sync cycle observed (this target does not report one)" in health["reasons"]
    assert "scheduler: SyncCycleEnabled not observed" in health["reasons"]


def test_a_server_that_could_not_be_observed_has_no_health(run: Run) -> None:
    Path("a.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: SyncServer\nmetadata:\n  name: a\nspec:\n  cloud: AzureCommercial\n"
        "  apiVersions:\n    export: 2\n    import: 2\n  groupMemberLimit: 250000\n  scheduler:\n"
        "    syncCycleEnabled: true\n",
        encoding="utf-8",
    )
    document = json.loads(run("status", "a.yaml", "--target", "snapshot:missing.json", "--output", "json").out)
    assert document["servers"][0]["status"] == "failed" and document["servers"][0]["health"] is None
