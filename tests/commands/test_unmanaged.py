"""Unmanaged rules: reported in every plan and status, removed only with safety.prune: confirm and
--confirm-prune (docs/plan.md#unmanaged-rules)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.support import STATES, Run

CONTOSO = STATES / "contoso-aadc01.yaml"
CLONE = "Out to AAD - Group Join (member limit)"


def _state(prune: bool) -> str:
    text = CONTOSO.read_text(encoding="utf-8")
    path = Path("contoso-aadc01.yaml")
    path.write_text(text + ("  safety:\n    prune: confirm\n" if prune else ""), encoding="utf-8")
    return str(path)


def _stray(clone: dict[str, Any], name: str, precedence: int, limit: int, disabled: bool = False) -> dict[str, Any]:
    """A hand-made copy of the managed clone under another name, carrying its own limit."""
    rule = copy.deepcopy(clone)
    old = str(100_000)
    for flow in rule["AttributeFlowMappings"]:
        if flow["Destination"] == "member":
            flow["Expression"] = flow["Expression"].replace(old, str(limit))
    for group in rule["ScopeFilter"]:
        for condition in group["ScopeConditionList"]:
            if condition["Attribute"] == "memberCount":
                condition["ComparisonValue"] = str(limit)
    identifier = f"aaaaaaaa-0000-4000-8000-{precedence:012d}"
    return rule | {"Identifier": identifier, "Name": name, "Precedence": precedence, "Disabled": disabled}


def _server_with(run: Run, *strays: tuple[str, int, int, bool]) -> None:
    """contoso-aadc01 at its desired state, plus hand-made rules (name, precedence, limit, disabled)."""
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    assert run("reconcile", _state(False)).code == 0
    shown = json.loads(run("sim", "show", "--name", "contoso-aadc01").out)
    clone = next(r for r in shown["syncRules"] if r["Name"] == CLONE)
    shown["syncRules"] += [_stray(clone, *stray) for stray in strays]
    Path("twin.json").write_text(json.dumps(shown), encoding="utf-8")
    assert run("sim", "init", "--name", "contoso-aadc01", "--from", "twin.json", "--force").code == 0


def test_unmanaged_rules_out_of_the_way_are_reported_in_plan_and_status_and_kept(run: Run) -> None:
    _server_with(run, ("Group Join, big groups", 60, 200_000, False), ("Group Join (old copy)", 61, 40_000, True))
    plan = run("plan", _state(False), "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    assert "No changes: the server matches its desired state." in plan.out
    said = (
        "unmanaged rule 'Group Join, big groups' (enabled, precedence 60, aaaaaaaa-0000-4000-8000-000000000060): "
        "carries a member limit of 200000, provisions groups; no state file manages it: reported only "
        "(safety.prune: confirm and --confirm-prune remove it)"
    )
    assert f"  Warning: {said}" in plan.out
    assert "unmanaged rule 'Group Join (old copy)' (disabled, precedence 61" in plan.out

    status = run("status", _state(False), "--output", "json")
    server = json.loads(status.out)["servers"][0]
    assert server["status"] == "in-sync"
    assert said in server["reasons"] and len([r for r in server["reasons"] if r.startswith("unmanaged")]) == 2
    # The flag alone removes nothing: the state file did not say prune.
    assert "RemoveSyncRule" not in run("plan", _state(False), "--confirm-prune").out


def test_a_stray_in_the_way_refuses_the_plan_and_says_how_it_can_go(run: Run) -> None:
    _server_with(run, ("Group Join copy", 50, 60_000, False))
    refused = run("plan", _state(False))
    assert refused.code == 1
    assert "caps members at 60000, below the limit 100000" in refused.err
    assert (
        "plan refused: unmanaged rule(s) on the server, which no state file manages: 'Group Join copy'; "
        "safety.prune: confirm and --confirm-prune remove them"
    ) in refused.err
    unconfirmed = run("plan", _state(True))
    assert unconfirmed.code == 1 and "'Group Join copy'; --confirm-prune removes them" in unconfirmed.err


def test_a_confirmed_prune_removes_them_after_the_managed_rules_and_converges(run: Run) -> None:
    _server_with(run, ("Group Join copy", 50, 60_000, False), ("Group Join (old copy)", 61, 40_000, True))
    plan = run("plan", _state(True), "--confirm-prune", "--output", "json")
    assert plan.code == 0, plan.err
    document = json.loads(plan.out)
    kinds = [a["kind"] for a in document["actions"]]
    assert kinds == [
        "WaitForSyncIdle",
        "SetSyncCycleEnabled",
        "RemoveSyncRule",
        "RemoveSyncRule",
        "SetSyncCycleEnabled",
    ]
    removed = [a["params"]["name"] for a in document["actions"] if a["kind"] == "RemoveSyncRule"]
    assert removed == ["Group Join copy", "Group Join (old copy)"]
    assert {"path": "unmanagedRules", "observed": removed, "desired": None} in document["changes"]
    assert any("removed by this plan (safety.prune: confirm, --confirm-prune)" in w for w in document["warnings"])

    # reconcile never prunes: it has no such flag.
    assert run("reconcile", _state(True), "--confirm-prune").code == 1
    applied = run("apply", _state(True), "--yes", "--confirm-prune")
    assert applied.code == 0, applied.out + applied.err
    shown = json.loads(run("sim", "show", "--name", "contoso-aadc01").out)
    assert not [r for r in shown["syncRules"] if "copy" in r["Name"]]
    after = run("plan", _state(True), "--confirm-prune", "--detailed-exitcode")
    assert after.code == 0 and "unmanaged" not in after.out


def test_a_saved_prune_is_applied_only_with_the_flag_again(run: Run) -> None:
    _server_with(run, ("Group Join copy", 50, 60_000, False))
    assert run("plan", _state(True), "--confirm-prune", "--out", "plan.json").code == 0
    without = run("apply", _state(True), "--plan", "plan.json", "--yes")
    assert without.code == 1  # planned afresh without the flag: refused, nothing changed
    shown = json.loads(run("sim", "show", "--name", "contoso-aadc01").out)
    assert [r["Name"] for r in shown["syncRules"] if r["Name"] == "Group Join copy"] == ["Group Join copy"]
    assert run("apply", _state(True), "--plan", "plan.json", "--yes", "--confirm-prune").code == 0


def test_a_name_an_out_of_scope_rule_shares_is_never_removed(run: Run) -> None:
    _server_with(run, ("Group Join, big groups", 60, 200_000, False))
    shown = json.loads(run("sim", "show", "--name", "contoso-aadc01").out)
    stray = next(r for r in shown["syncRules"] if r["Name"] == "Group Join, big groups")
    # A custom rule of the same name that neither flows member nor provisions: not in scope.
    bystander = copy.deepcopy(stray) | {"Identifier": "bbbbbbbb-0000-4000-8000-000000000001", "Precedence": 70}
    bystander |= {"LinkType": "Join", "ScopeFilter": [], "AttributeFlowMappings": []}
    shown["syncRules"].append(bystander)
    Path("twin.json").write_text(json.dumps(shown), encoding="utf-8")
    assert run("sim", "init", "--name", "contoso-aadc01", "--from", "twin.json", "--force").code == 0
    plan = run("plan", _state(True), "--confirm-prune", "--detailed-exitcode")
    assert plan.code == 0 and "No changes: the server matches its desired state." in plan.out
    assert "kept: a custom rule out of scope has the same name, and RemoveSyncRule removes by name" in plan.out
