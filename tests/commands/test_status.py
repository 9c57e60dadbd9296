"""`reconciler status` and `reconciler history` (DESIGN §5 revision 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import STATES, Run, v1_without_clone

CONTOSO = str(STATES / "contoso-aadc01.yaml")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECONCILER_TARGET", raising=False)


def test_status_through_a_rollout_and_an_upgrade(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    before = run("status", CONTOSO, "--detailed-exitcode")
    assert before.code == 2
    assert before.out.splitlines()[:2] == [
        "contoso-aadc01 (simulated): rollout progressing",
        "  - groupMemberLimit: 50000 → 75000",
    ]
    assert "  last successful apply: none recorded here" in before.out.splitlines()

    assert run("reconcile", CONTOSO).code == 0
    held = run("status", CONTOSO, "--detailed-exitcode")
    assert held.code == 2
    assert held.out.startswith(
        "contoso-aadc01 (simulated): held by a staged rollout\n  - rollout: the limit stays at 75000: "
    )
    assert "  last successful apply: 20" in held.out

    run("sim", "upgrade", "--name", "contoso-aadc01", "--to", "1.6.4.0")
    drifted = json.loads(run("status", CONTOSO, "--output", "json").out)
    server = drifted["servers"][0]
    assert server["status"] == "changes"
    assert server["lastUpgradeSeen"] == {"from": "1.6.2.4", "to": "1.6.4.0", "seenBefore": None}
    assert server["lastSuccessfulApply"]["version"] == "1.6.2.4"
    assert {"path": "standardRule.enabled", "observed": True, "desired": False} in server["changes"]
    assert drifted["summary"] == {"servers": 1, "inSync": 0, "withChanges": 1, "failed": 0}

    run("sim", "cycle", "--name", "contoso-aadc01")
    run("reconcile", CONTOSO)  # back to 75,000 at once, then the next step after a cycle
    run("sim", "cycle", "--name", "contoso-aadc01")
    run("reconcile", CONTOSO)
    done = run("status", CONTOSO, "--detailed-exitcode")
    assert done.out.startswith("contoso-aadc01 (simulated): in sync\n")
    # In sync, yet a 1.x build does not synchronize at all: its health is degraded, which is exit 2 too.
    assert done.code == 2 and "  health: Degraded" in done.out
    assert "    - build: build 1.6.4.0 is a 1.x build: 1.x builds do not synchronize since 2023-10-01" in done.out
    assert "  last upgrade seen: 1.6.2.4 → 1.6.4.0 (before run of 20" in done.out


def test_status_in_markdown_has_a_row_per_server(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    out = run("status", CONTOSO, "--output", "markdown").out
    assert out.startswith("## ADSync Reconciler status: 1 server: 0 in sync, 1 rollout progressing, 0 failed\n")
    assert "| `contoso-aadc01` (simulated) | rollout progressing | groupMemberLimit: 50000 → 75000;" in out


def test_status_changes_nothing(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    sim_file = Path(".reconciler/sim/contoso-aadc01.json")
    before = sim_file.read_bytes()
    run("status", CONTOSO)
    assert json.loads(sim_file.read_bytes())["syncRules"] == json.loads(before)["syncRules"]
    assert not Path(".reconciler/journal/contoso-aadc01.jsonl").exists()


def test_history_tells_each_run_and_its_actions(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    run("reconcile", CONTOSO)
    run("sim", "set", "--name", "contoso-aadc01", "scheduler.SyncCycleInProgress=true")
    run("sim", "upgrade", "--name", "contoso-aadc01", "--to", "1.6.4.0")  # refused while busy: no upgrade
    run("sim", "set", "--name", "contoso-aadc01", "scheduler.SyncCycleInProgress=false")
    text = run("history", "contoso-aadc01")
    assert text.code == 0
    lines = text.out.splitlines()
    assert lines[0] == "contoso-aadc01: 1 run(s) in the journal, oldest first"
    assert lines[1].endswith("success  (version 1.6.2.4, limit 50000 → 75000)")
    assert (
        lines[2] == f"    target: sim:{Path('.reconciler/sim/contoso-aadc01.json').resolve()} (machine contoso-aadc01)"
    )
    assert '    done     DisableSyncRule(name="Out to AAD - Group Join")' in lines
    document = json.loads(run("history", "contoso-aadc01", "--output", "json").out)
    assert document["runs"][0]["result"] == "success" and len(document["runs"][0]["actions"]) == 7


def test_history_of_an_unknown_or_unsafe_name_is_a_clear_error(run: Run) -> None:
    unknown = run("history", "nobody")
    assert (unknown.code, unknown.out) == (1, "")
    assert unknown.err.startswith("nobody: no runs in ")
    unsafe = run("history", "../etc/passwd")
    assert unsafe.code == 1 and "is not a server name" in unsafe.err


def test_a_fleet_plan_counts_a_rollout_step_among_the_changes(run: Run, tmp_path: Path) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    assert run("sim", "init", "--name", "fabrikam-aadc01").code == 0
    fabrikam = v1_without_clone()
    document = json.loads(run("plan", CONTOSO, fabrikam, "--output", "json").out)
    statuses = {s["server"]: s["status"] for s in document["servers"]}
    assert statuses["contoso-aadc01"] == "progressing"
    assert document["summary"]["progressing"] == 1
    assert statuses["fabrikam-aadc01"] == "failed"  # no precedence for its clone on a 2.x server
    assert document["summary"]["withChanges"] == 1  # the step is a change too
