"""`reconciler plan`, `apply` and `reconcile` as users and CI pipelines run them."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.formats import schemas
from reconciler.model import builds, syncrules
from reconciler.servers.simulator import SimulatedServer
from tests.support import STATES, Run, v1_without_clone

CONTOSO = str(STATES / "contoso-aadc01.yaml")
FABRIKAM = str(STATES / "fabrikam-aadc01.yaml")
TAILSPIN = str(STATES / "tailspin-aadc01-usgov.yaml")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECONCILER_TARGET", raising=False)
    monkeypatch.delenv("RECONCILER_WAIT_TIMEOUT", raising=False)


APPLIED_A_STEP = "contoso-aadc01: applied 7 action(s); rollout progressing: the next step after a sync cycle\n"


def sim(name: str) -> SimulatedServer:
    return SimulatedServer(Path(".reconciler") / "sim" / f"{name}.json")


def init(run: Run, name: str, version: str) -> None:
    assert run("sim", "init", "--name", name, "--version", version).code == 0


@pytest.mark.parametrize("command", [("plan",), ("apply", "--yes"), ("reconcile",), ("status",)])
def test_no_simulator_file_is_refused_with_the_sim_init_to_run(run: Run, command: tuple[str, ...]) -> None:
    """The simulator never invents a server: the command to make one is said, nothing is written."""
    result = run(*command, TAILSPIN)
    said = (
        "sim:.reconciler/sim/tailspin-aadc01.json: no simulated server; make one first: reconciler sim init "
        "--name tailspin-aadc01 --cloud AzureUSGovernment --connector-name 'tailspin.onmicrosoft.us - AAD'"
    )
    assert result.code == 1
    # status says it in its report (stdout), the others on stderr.
    assert said in (result.out if command == ("status",) else result.err_lines)
    assert not Path(".reconciler").exists()
    assert run(*shlex.split(said.split("make one first: reconciler ", 1)[1])).code == 0
    assert run(*command, TAILSPIN).code == 0


def test_a_new_simulated_server_runs_the_current_build(run: Run) -> None:
    assert run("sim", "init", "--name", "fabrikam-aadc01").code == 0
    result = run("plan", v1_without_clone())
    # A new server is a current 2.x build, whose standard rule carries 250,000: keeping V1 at
    # 50,000 there takes a clone, and this state names no precedence for one.
    assert result.code == 1
    assert result.err == (
        "fabrikam-aadc01: plan refused: rulePrecedence is needed: groupMemberLimit 50000 differs from the limit "
        "of the standard rule 'Out to AAD - Group Join' (250000) on this server, so a managed clone carries it\n"
        "fabrikam-aadc01: plan refused: writeupRulePrecedence is needed: groupMemberLimit 50000 differs from the "
        "limit of the standard rule 'Out to AAD - Group Writeup Member Limit' (250000) on this server, so a "
        "managed clone carries it\n"
    )
    # A new simulated server runs the current build of the tool's table.
    assert sim("fabrikam-aadc01").observe().server.version == builds.current_version()
    # The example of a server at its build's defaults is in sync on one.
    example = run("plan", FABRIKAM, "--detailed-exitcode")
    assert example.code == 0 and "No changes: the server matches its desired state." in example.out


def test_every_example_state_plans_without_a_refusal_on_new_simulated_servers(run: Run) -> None:
    for name in ("contoso-aadc01", "contoso-aadc02", "fabrikam-aadc01"):
        assert run("sim", "init", "--name", name).code == 0
    us_gov = ("--cloud", "AzureUSGovernment", "--connector-name", "tailspin.onmicrosoft.us - AAD")
    assert run("sim", "init", "--name", "tailspin-aadc01", *us_gov).code == 0
    result = run("plan", str(STATES), "--detailed-exitcode")
    assert result.code == 2 and result.err == ""
    assert result.out.endswith("4 servers: 1 in sync, 3 with changes, 0 failed\n")


def test_v1_server_at_its_defaults_is_in_sync(run: Run) -> None:
    init(run, "fabrikam-aadc01", "1.5.30.0")
    result = run("plan", v1_without_clone(), "--detailed-exitcode")
    assert result.code == 0, result.err
    assert "No changes" in result.out


def test_the_plan_line_counts_the_settings_a_plan_changes_beside_its_rules(run: Run) -> None:
    init(run, "fabrikam-aadc01", "1.6.2.4")  # V2 by default, its standard rules at 50,000: V1 needs no rule changed
    state = Path(v1_without_clone())
    state.write_text(state.read_text(encoding="utf-8").replace("true", "false"), encoding="utf-8")
    result = run("plan", str(state), "--detailed-exitcode")
    assert result.code == 2, result.err
    assert result.out.splitlines()[-1] == (
        "Plan: 0 rule(s) to create, 0 to update, 0 to disable, 0 to enable, 0 to remove; 3 setting(s) to change; "
        "0 group(s) to provision, 0 to stop updating, 0 to delete."
    )


ROLLBACK = """\
apiVersion: reconciler/v1
kind: SyncServer
metadata:
  name: contoso-aadc01
spec:
  cloud: AzureCommercial
  apiVersions:
    export: 1
    import: 1
  groupMemberLimit: 50000
  rulePrecedence: 40
  writeupRulePrecedence: 41
  scheduler:
    syncCycleEnabled: true
"""


def test_plan_refusal_lists_the_groups_and_exits_1(run: Run, tmp_path: Path) -> None:
    # Back to V1 on a 2.x server: every provisioned group above 50,000 goes on the next full sync.
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    rollback = tmp_path / "rollback.yaml"
    rollback.write_text(ROLLBACK, encoding="utf-8")
    result = run("plan", str(rollback))
    assert result.code == 1
    assert result.err_lines == [
        "contoso-aadc01: plan refused: it would delete 4 provisioned group(s) on the next full sync: "
        "All Faculty, All Staff, All Students, Alumni; allow with safety.allowGroupDeletion: true or "
        "--allow-group-deletion"
    ]
    allowed = run("plan", str(rollback), "--allow-group-deletion")
    assert allowed.code == 0
    assert "Deletes 4 group(s) on the next full sync: All Faculty, All Staff, All Students, Alumni" in allowed.out
    assert allowed.out.count("All Faculty") == 1  # said once, not again as a warning


def test_lowering_a_limit_within_v2_keeps_the_groups_and_warns(run: Run) -> None:
    new = ("--cloud", "AzureUSGovernment", "--connector-name", "tailspin.onmicrosoft.us - AAD")
    assert run("sim", "init", "--name", "tailspin-aadc01", *new).code == 0
    result = run("plan", TAILSPIN)
    assert result.code == 0, result.err
    assert sim("tailspin-aadc01").observe().aad_connector.name == "tailspin.onmicrosoft.us - AAD"
    assert "Deletes" not in result.out
    assert (
        "Warning: 3 group(s) above the new limit stay in Entra ID but their membership stops updating "
        "(Maximum Group member count exceeded): All Staff, All Students, Alumni"
    ) in result.out


def test_detailed_exitcode(run: Run) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    assert run("plan", CONTOSO, "--detailed-exitcode").code == 2
    assert run("reconcile", CONTOSO).code == 0
    # The runbook: raise, watch a sync cycle, raise again. Back to back, the second step waits.
    held = run("plan", CONTOSO, "--detailed-exitcode")
    assert held.code == 2
    assert "rollout: the limit stays at 75000: no sync cycle has completed since the last step" in held.out
    assert run("reconcile", CONTOSO).code == 0
    assert run("sim", "cycle", "--name", "contoso-aadc01").code == 0
    run("reconcile", CONTOSO)  # the second rollout step: 75,000 then 100,000
    result = run("plan", CONTOSO, "--detailed-exitcode")
    assert (result.code, result.out) == (
        0,
        "contoso-aadc01 (version 1.6.2.4, simulated)\n  No changes: the server matches its desired state.\n"
        "  Warning: support: build 1.6.2.4 is a 1.x build: 1.x builds do not synchronize since 2023-10-01; upgrade "
        "to 2.6.92.0\n",
    )


def test_json_output_is_the_documented_plan(run: Run) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    result = run("plan", CONTOSO, "--output", "json", "--out", "plan.json")
    assert result.code == 0
    document = json.loads(result.out)
    assert json.loads(Path("plan.json").read_text()) == document
    assert schemas.check_data(document, schemas.PLAN, "plan") == []
    assert document["formatVersion"] == 1 and document["server"] == "contoso-aadc01"
    assert document["observedVersion"] == "1.6.2.4"
    assert [a["kind"] for a in document["actions"]] == [
        "WaitForSyncIdle", "SetSyncCycleEnabled", "CreateSyncRule", "CreateSyncRule", "DisableSyncRule",
        "DisableSyncRule", "SetSyncCycleEnabled",
    ]  # fmt: skip
    assert document["actions"][2]["params"] == {
        "name": "Out to AAD - Group Join (member limit)", "precedence": 90, "limit": 75000,
        "clonedFrom": "Out to AAD - Group Join",
    }  # fmt: skip
    assert {"path": "groupMemberLimit", "observed": 50000, "desired": 75000} in document["changes"]
    assert document["impact"] == {
        "groupsToProvision": ["All Managers"], "groupsToDelete": [], "groupsOverLimit": []
    }  # fmt: skip
    assert all(a["reason"] for a in document["actions"])


def test_markdown_output(run: Run) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    result = run("plan", CONTOSO, "--output", "markdown")
    assert result.out.startswith(
        "### `contoso-aadc01` (simulated): 7 action(s)\n\nObserved version 1.6.2.4.\n\n| setting | observed | desired |"
    )
    assert "| `groupMemberLimit` | 50000 | 75000 |" in result.out
    assert '3. `CreateSyncRule(name="Out to AAD - Group Join (member limit)"' in result.out
    assert "**Provisions:** All Managers" in result.out


def test_saved_plan_is_applied_and_refused_once_stale(run: Run) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    assert run("plan", CONTOSO, "--out", "plan.json").code == 0
    run("sim", "set", "--name", "contoso-aadc01", "groups.0.memberCount=90")
    stale = run("apply", CONTOSO, "--plan", "plan.json", "--yes")
    assert stale.code == 1
    assert (
        stale.err
        == "contoso-aadc01: the server changed since the saved plan was made; plan again (nothing was changed)\n"
    )
    assert run("plan", CONTOSO, "--out", "plan.json").code == 0
    fresh = run("apply", CONTOSO, "--plan", "plan.json", "--yes")
    assert fresh.code == 0, fresh.err
    assert fresh.out.endswith(APPLIED_A_STEP)


def test_a_saved_plan_applied_again_says_it_was_applied_already(run: Run) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    assert run("plan", CONTOSO, "--out", "plan.json").code == 0
    assert run("apply", CONTOSO, "--plan", "plan.json", "--yes").code == 0
    before = sim("contoso-aadc01").path.read_bytes()
    again = run("apply", CONTOSO, "--plan", "plan.json", "--yes", "--detailed-exitcode")
    # The rollout's next step waits for a sync cycle: nothing to do now, and the first run did it.
    assert again.code == 2, again.err
    assert again.err == ""
    assert again.out.startswith(
        "contoso-aadc01: the saved plan was already applied: planning again finds nothing to do (nothing was changed)\n"
    )
    assert "changed since the saved plan" not in again.out
    assert sim("contoso-aadc01").path.read_bytes() == before
    # A plan that reaches the desired state: applied again, in sync, exit 0.
    init(run, "fabrikam-aadc01", "1.6.2.4")
    v1 = v1_without_clone()
    assert run("plan", v1, "--out", "v1.json").code == 0
    assert run("apply", v1, "--plan", "v1.json", "--yes").code == 0
    in_sync = run("apply", v1, "--plan", "v1.json", "--yes", "--detailed-exitcode")
    assert in_sync.code == 0 and in_sync.err == ""
    assert "fabrikam-aadc01: the saved plan was already applied" in in_sync.out


def _edited(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(json.dumps(document, sort_keys=True), encoding="utf-8")  # as jq -S writes it


@pytest.mark.parametrize(
    ("edit", "difference"),
    [
        (lambda d: d["actions"].insert(2, {"kind": "SetExportApiVersion", "params": {"version": 1}, "reason": "x"}),
         "actions[2].kind is \"SetExportApiVersion\", the plan says \"CreateSyncRule\""),
        (lambda d: d["actions"].pop(), "actions has 6 entries, the plan has 7"),
        (lambda d: d["actions"][2]["params"].update(clonedFrom="Out to AAD - Contact Join"),
         "actions[2].params.clonedFrom is \"Out to AAD - Contact Join\", the plan says \"Out to AAD - Group Join\""),
    ],
)  # fmt: skip
def test_an_edited_saved_plan_is_refused_naming_the_first_difference(
    run: Run, edit: Callable[[dict[str, Any]], None], difference: str
) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    assert run("plan", CONTOSO, "--out", "plan.json").code == 0
    _edited(Path("plan.json"), edit)
    result = run("apply", CONTOSO, "--plan", "plan.json", "--yes")
    assert result.code == 1
    assert result.err == (
        f"contoso-aadc01: the saved plan is not the plan for this state and server ({difference}); "
        "plan again and review it (nothing was changed)\n"
    )
    assert sim("contoso-aadc01").observe().registry.export_api_version is None  # nothing was changed


def test_a_damaged_saved_plan_is_refused_in_words_not_reprs(run: Run) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    assert run("plan", CONTOSO, "--out", "plan.json").code == 0
    document = json.loads(Path("plan.json").read_text(encoding="utf-8"))
    document["actions"][0] = {"kind": "DropAll", "params": {"everything": True}, "reason": "why not"}
    document["actions"][1] = {"kind": "SetSyncCycleEnabled", "params": {"enabled": "no"}, "reason": "off"}
    document["actions"][2] = {"params": {}, "reason": "which?"}
    document["actions"][3] = "drop"
    Path("plan.json").write_text(json.dumps(document), encoding="utf-8")
    result = run("apply", CONTOSO, "--plan", "plan.json", "--yes")
    assert result.code == 1
    kinds = ", ".join(_action_kinds())
    assert result.err_lines == [
        f"plan.json: actions[0].kind: expected one of {kinds}, got string 'DropAll'",
        "plan.json: actions[1].params.enabled: expected true or false, got string 'no'",
        "plan.json: actions[2]: missing required key 'kind'",
        "plan.json: actions[3]: expected a mapping, got string 'drop'",
    ]
    assert "{" not in result.err


def _action_kinds() -> list[str]:
    """The action kinds in the plan schema's order."""
    forms = schemas.schema(schemas.PLAN)["properties"]["actions"]["items"]["oneOf"]
    return [form["properties"]["kind"]["const"] for form in forms]


def test_a_saved_plan_with_its_keys_sorted_is_still_the_plan(run: Run) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    assert run("plan", CONTOSO, "--out", "plan.json").code == 0
    _edited(Path("plan.json"), lambda _d: None)  # jq -S: the same plan, keys in another order
    result = run("apply", CONTOSO, "--plan", "plan.json", "--yes")
    assert result.code == 0, result.err
    assert result.out.endswith(APPLIED_A_STEP)


def test_saved_plan_for_another_desired_state_is_refused(run: Run, tmp_path: Path) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    run("plan", CONTOSO, "--out", "plan.json")
    edited = tmp_path / "contoso.yaml"
    edited.write_text(Path(CONTOSO).read_text().replace("rulePrecedence: 90", "rulePrecedence: 80"))
    result = run("apply", str(edited), "--plan", "plan.json", "--yes")
    assert result.err == "contoso-aadc01: the saved plan was made from a different desired state; plan again\n"


def test_apply_needs_yes_when_not_interactive(run: Run) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    before = sim("contoso-aadc01").path.read_bytes()
    result = run("apply", CONTOSO)
    assert result.code == 1
    assert result.err == (
        "apply changes servers; confirm with --yes when not run interactively (nothing was changed)\n"
    )
    assert sim("contoso-aadc01").path.read_bytes() == before


def test_busy_server_times_out_and_nothing_changes(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    run("sim", "set", "--name", "contoso-aadc01", "scheduler.SyncCycleInProgress=true")
    before = sim("contoso-aadc01").path.read_bytes()
    monkeypatch.setenv("RECONCILER_WAIT_TIMEOUT", "0")
    result = run("apply", CONTOSO, "--yes")
    assert result.code == 1
    assert result.err == (
        "contoso-aadc01: a sync cycle was still running after 0 s (--wait-timeout); "
        "stopped before changing anything further\n"
    )
    assert sim("contoso-aadc01").path.read_bytes() == before
    monkeypatch.setenv("RECONCILER_WAIT_TIMEOUT", "soon")
    assert run("apply", CONTOSO, "--yes").err == "RECONCILER_WAIT_TIMEOUT: 'soon' is not a number of seconds\n"


def test_an_upgrade_that_left_the_limit_alone_is_not_called_drift(run: Run) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    assert run("reconcile", CONTOSO).code == 0  # the rollout's first step, to 75,000
    assert run("sim", "upgrade", "--name", "contoso-aadc01", "--to", "2.6.92.0").code == 0
    assert run("sim", "cycle", "--name", "contoso-aadc01").code == 0  # the next step waits for a cycle
    result = run("reconcile", CONTOSO)
    assert result.code == 0, result.err
    # The clone survived the upgrade: what this run does is the rollout's next step, and it says so.
    assert result.out.startswith(
        "contoso-aadc01: upgrade 1.6.2.4 → 2.6.92.0 since the last apply left the limit in force at 75000; "
        "this run raises it 75000 → 100000 (the rollout's next step)\n"
    )
    assert "drift" not in result.out


def test_drift_after_upgrade_is_named_and_re_applied(run: Run) -> None:
    init(run, "contoso-aadc01", "1.5.30.0")
    run("reconcile", CONTOSO)
    run("sim", "cycle", "--name", "contoso-aadc01")  # the rollout's next step waits for a cycle
    run("reconcile", CONTOSO)
    run("sim", "upgrade", "--name", "contoso-aadc01", "--to", "1.6.4.0")
    result = run("reconcile", CONTOSO)
    assert result.code == 0
    assert result.out.startswith("contoso-aadc01: drift after upgrade 1.5.30.0 → 1.6.4.0: re-applying\n")
    # The rollout climbs back to the limit already proven on this server at once, not in steps.
    assert "~ managedRule.limit: 50000 → 100000" in result.out
    assert run("plan", CONTOSO, "--detailed-exitcode").code == 0


def test_one_failing_server_does_not_stop_the_others(run: Run) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    assert run("sim", "init", "--name", "fabrikam-aadc01").code == 0
    result = run("reconcile", v1_without_clone(), CONTOSO)
    assert result.code == 1
    assert "contoso-aadc01: applied 7 action(s)" in result.out
    assert result.err.startswith("fabrikam-aadc01: plan refused: rulePrecedence is needed")


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("RECONCILER_TARGET", None)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def test_two_applies_at_once_both_end_cleanly(run: Run, tmp_path: Path) -> None:
    init(run, "contoso-aadc01", "1.5.30.0")
    no_rollout = tmp_path / "contoso.yaml"
    no_rollout.write_text(Path(CONTOSO).read_text().split("  rollout:")[0])
    argv = [sys.executable, "-m", "reconciler", "apply", str(no_rollout), "--yes"]
    procs = [
        subprocess.Popen(
            argv, cwd=tmp_path, env=_child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [(p.wait(60), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0, 0], results
    outputs = sorted((out for _, out, _ in results), key=lambda out: "applied" in out)
    assert "  No changes: the server matches its desired state." in outputs[0].splitlines()
    assert outputs[1].splitlines()[-1] == "contoso-aadc01: applied 7 action(s)"
    journal = (tmp_path / ".reconciler" / "journal" / "contoso-aadc01.jsonl").read_text().splitlines()
    runs_seen = {json.loads(line)["run"] for line in journal}  # every line whole
    assert len(runs_seen) == 1  # the second found nothing left to do
    state = sim("contoso-aadc01").observe()
    assert state.scheduler.sync_cycle_enabled is True


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_reconcile_watch_heals_an_upgrade_and_stops_on_ctrl_c(run: Run, tmp_path: Path) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "reconcile", CONTOSO, "--watch", "1"],
        cwd=tmp_path, env=_child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    server = sim("contoso-aadc01")

    def wait_for(condition: object, seconds: float = 30) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if condition():  # type: ignore[operator]
                return
            time.sleep(0.1)
        proc.kill()
        raise AssertionError(proc.communicate())

    journal = tmp_path / ".reconciler" / "journal" / "contoso-aadc01.jsonl"

    def settled() -> bool:
        # The limit in place and the run that placed it finished (its last journal line written).
        lines = journal.read_text().splitlines() if journal.exists() else []
        return syncrules.effective_limit(server.observe()) == 100000 and bool(lines) and '"run-end"' in lines[-1]

    def stepped() -> bool:  # the rollout's first step, its run over; the next one waits for a sync cycle
        lines = journal.read_text().splitlines() if journal.exists() else []
        return syncrules.effective_limit(server.observe()) == 75000 and bool(lines) and '"run-end"' in lines[-1]

    wait_for(stepped)
    server.run_cycle(full=False)
    wait_for(settled)
    server.upgrade("1.6.4.0")  # the 1.6 known issue: back to 50,000
    wait_for(settled)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.endswith("reconcile: stopped\n")
    assert "drift after upgrade 1.6.2.4 → 1.6.4.0: re-applying" in out
    assert server.observe().scheduler.sync_cycle_enabled is True


def test_out_never_replaces_a_file_that_is_not_a_saved_plan(run: Run, tmp_path: Path) -> None:
    """`plan X.yaml --out X.yaml` overwrote the state file with plan JSON."""
    init(run, "contoso-aadc01", "1.6.2.4")
    state = tmp_path / "contoso.yaml"
    state.write_text(Path(CONTOSO).read_text(encoding="utf-8"), encoding="utf-8")
    before = state.read_bytes()
    result = run("plan", str(state), "--out", str(state))
    assert result.code == 1
    assert result.err_lines[-1] == f"{state}: exists and is not a saved plan; --out never replaces another file"
    assert state.read_bytes() == before
    assert run("plan", str(state), "--out", "plan.json").code == 0
    assert run("plan", str(state), "--out", "plan.json").code == 0  # a saved plan is replaced


def test_no_answer_at_the_prompt_is_not_a_yes(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-D at the prompt, or a closed input, gave a traceback."""
    init(run, "contoso-aadc01", "1.6.2.4")
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)

    def closed(_prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", closed)
    result = run("apply", CONTOSO)
    # Terraform's way: a cancelled apply is exit 1, and says so.
    assert result.code == 1 and result.err == "Apply cancelled: nothing was changed.\n"
    assert sim("contoso-aadc01").observe().registry.export_api_version is None


def test_parallel_plans_of_a_server_that_does_not_exist_refuse_alike_and_write_nothing(tmp_path: Path) -> None:
    """Four plans at once on a server that does not exist yet once raced to create it ("exists
    already"); none creates it now."""
    argv = [sys.executable, "-m", "reconciler", "plan", str(Path(FABRIKAM).resolve()), "--target", "sim:sims/"]
    procs = [
        subprocess.Popen(
            argv, cwd=tmp_path, env=_child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    results = [(p.wait(60), p.communicate()[1]) for p in procs]
    assert all("exists already" not in err and "Traceback" not in err for _, err in results), results
    assert all(code == 1 and "reconciler sim init --target sim:sims/" in err for code, err in results), results
    assert not (tmp_path / "sims").exists()


def test_a_held_rollout_is_not_in_sync(run: Run) -> None:
    """With export errors in the last cycle the rollout holds the limit: that is short of the desired
    state (exit 2 with --detailed-exitcode), never "the server matches"."""
    init(run, "contoso-aadc01", "1.6.2.4")
    assert run("reconcile", CONTOSO).code == 0  # the first step, to 75,000
    errors = '[{"type": "sync-rule-error-function-triggered", "count": 2}]'
    cycle = '{"result": "completed-sync-errors", "exportErrors": ' + errors + ', "kind": "delta"}'
    assert run("sim", "set", "--name", "contoso-aadc01", f"lastSyncCycle={cycle}").code == 0
    result = run("plan", CONTOSO, "--detailed-exitcode")
    assert result.code == 2
    assert "  No changes this run: a staged rollout holds the limit below the desired one (see below)." in result.out
    assert "the server matches" not in result.out
    assert "Warning: rollout: the limit stays at 75000" in result.out
    markdown = run("plan", CONTOSO, str(FABRIKAM), "--output", "markdown")
    assert "| `contoso-aadc01` | **held** (rollout) | 0 |" in markdown.out
    assert "1 held by a staged rollout" in markdown.out


def test_reconcile_watch_output_json_is_a_document_a_pass(run: Run, tmp_path: Path) -> None:
    init(run, "contoso-aadc01", "1.6.2.4")
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "reconcile", CONTOSO, "--watch", "1", "--output", "json"],
        cwd=tmp_path, env=_child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    first, second = json.loads(proc.stdout.readline()), json.loads(proc.stdout.readline())
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert first["servers"][0]["status"] == "progressing"  # the first step of the rollout
    assert second["servers"][0]["status"] == "held"  # the next waits for a sync cycle
    assert "contoso-aadc01: [1/7] WaitForSyncIdle" in err  # progress on stderr
