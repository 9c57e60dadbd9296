"""`spec.suspend: true`: reconcile reports its plan and never acts (docs/state-file.md#suspend)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import STATES, Run

CONTOSO = STATES / "contoso-aadc01.yaml"


def _suspended() -> str:
    path = Path("contoso-aadc01.yaml")
    path.write_text(CONTOSO.read_text(encoding="utf-8") + "  suspend: true\n", encoding="utf-8")
    return str(path)


def _rules() -> list[object]:
    rules: list[object] = json.loads(Path(".reconciler/sim/contoso-aadc01.json").read_text(encoding="utf-8"))[
        "syncRules"
    ]
    return rules


def test_reconcile_of_a_suspended_server_reports_the_plan_and_changes_nothing(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    before = _rules()
    result = run("reconcile", _suspended(), "--detailed-exitcode")
    assert result.code == 2  # short of its desired state, as a skipped server is
    assert "contoso-aadc01: suspended (spec.suspend: true): the plan is reported, nothing is done" in result.out
    assert "3. CreateSyncRule(" in result.out
    assert "contoso-aadc01: skipped: suspended (spec.suspend: true)" in result.out
    assert _rules() == before
    assert not Path(".reconciler/journal/contoso-aadc01.jsonl").exists()
    document = json.loads(run("reconcile", _suspended(), "--output", "json").out)
    assert document["servers"][0]["status"] == "skipped"


def test_plan_and_a_manual_apply_are_not_suspended(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    assert run("plan", _suspended(), "--detailed-exitcode").code == 2
    applied = run("apply", _suspended(), "--yes")
    assert applied.code == 0 and "contoso-aadc01: applied 7 action(s)" in applied.out
    in_sync = run("reconcile", _suspended(), "--detailed-exitcode")
    assert in_sync.code == 0 and "No changes: the server matches its desired state." in in_sync.out


def test_suspend_takes_a_boolean(run: Run) -> None:
    path = Path("contoso-aadc01.yaml")
    path.write_text(CONTOSO.read_text(encoding="utf-8") + "  suspend: yes\n", encoding="utf-8")
    result = run("validate", str(path))
    assert result.code == 1 and "spec.suspend" in result.err


def test_status_says_a_suspended_server_is_held_from_unattended_runs(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    status = run("status", _suspended())
    assert (
        "  unattended runs: suspended (spec.suspend: true): reconcile reports its plan, nothing is done\n" in status.out
    )
    assert json.loads(run("status", str(CONTOSO), "--output", "json").out)["servers"][0]["unattendedHeld"] is None
