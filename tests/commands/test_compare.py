"""`reconciler compare LEFT RIGHT`: two servers side by side (docs/compare.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support import SIM_EXPORT, STATES, Run

CONTOSO = STATES / "contoso-aadc01.yaml"
STAGING_AD = "11111111-2222-4333-8444-555555555555"


def _server(run: Run, name: str, *options: str) -> dict[str, Any]:
    assert run("sim", "init", "--name", name, "--target", f"sim:{name}.json", *options).code == 0
    shown: dict[str, Any] = json.loads(run("sim", "show", "--target", f"sim:{name}.json").out)
    return shown


def _reconciled(run: Run, name: str, *options: str) -> dict[str, Any]:
    """A simulated server at contoso's desired state (its clones made by this tool)."""
    _server(run, name, *options)
    state = Path(f"{name}.yaml")
    state.write_text(CONTOSO.read_text(encoding="utf-8").replace("contoso-aadc01", name), encoding="utf-8")
    assert run("reconcile", str(state), "--target", f"sim:{name}.json").code == 0
    shown: dict[str, Any] = json.loads(run("sim", "show", "--target", f"sim:{name}.json").out)
    return shown


def _snapshot(name: str, state: dict[str, Any]) -> str:
    Path(f"{name}.snapshot.json").write_text(json.dumps(state), encoding="utf-8")
    return f"snapshot:{name}.snapshot.json"


def test_an_active_and_its_staging_server_compare_equal_with_their_own_guids_and_connector_name(run: Run) -> None:
    active = _reconciled(run, "aadc01")
    staging = _reconciled(run, "aadc02")
    # The staging server's own AD connector GUID, AAD connector name and clone identifiers.
    ad = next(r["Connector"] for r in active["syncRules"] if r["Name"] == "In from AD - User Join")
    for rule in staging["syncRules"]:
        rule["Connector"] = rule["Connector"].replace(ad, STAGING_AD)
        if not rule["IsStandardRule"]:
            rule["Identifier"] = "0" + rule["Identifier"][1:]
    staging["aadConnector"]["Name"] = "contoso.onmicrosoft.com - AAD 2"
    for override in staging["connectorOverrides"]:
        override["ConnectorName"] = "contoso.onmicrosoft.com - AAD 2"
    staging["scheduler"]["StagingModeEnabled"] = True

    result = run("compare", "sim:aadc01.json", _snapshot("aadc02", staging))
    assert result.code == 0, result.out + result.err
    assert "compared: the same managed settings; other differences below" in result.out
    assert f"connector 1: {ad} = {STAGING_AD}" in result.out
    assert (
        "contoso.onmicrosoft.com - AAD (b891884f" in result.out and "= contoso.onmicrosoft.com - AAD 2 (" in result.out
    )
    assert "managed settings: no difference(s)" in result.out
    assert "  scheduler.StagingModeEnabled: false | true" in result.out
    assert "(custom)" not in result.out and "outbound)" not in result.out  # the clones matched by name
    assert "upgrade noise (not differences): none" in result.out


def test_an_upgrade_is_noise_and_a_managed_setting_it_reset_is_a_difference(run: Run) -> None:
    before = _reconciled(run, "aadc01", "--version", "2.5.79.0")
    snapshot = _snapshot("before", before)
    assert run("sim", "upgrade", "--target", "sim:aadc01.json", "--to", "2.6.92.0").code == 0
    after: dict[str, Any] = json.loads(run("sim", "show", "--target", "sim:aadc01.json").out)
    # As real upgrades do: standard precedences renumbered in the same order, and a flow added to a rule.
    for rule in after["syncRules"]:
        if rule["IsStandardRule"]:
            rule["Precedence"] += 3
        if rule["Name"] == "Out to AAD - User Join":
            rule["AttributeFlowMappings"].append(
                {"Source": ["objectGUID"], "Destination": "onPremisesObjectIdentifier", "FlowType": "Direct",
                 "Expression": None, "ValueMergeType": "Update", "ExecuteOnce": False}
            )  # fmt: skip

    result = run("compare", snapshot, _snapshot("after", after), "--output", "json")
    document = json.loads(result.out)
    assert result.code == 0, result.out
    assert document["differ"] is False and document["managed"] == []
    assert {d["why"] for d in document["noise"]} == {
        "tag generation",
        "standard precedences renumbered",
        "a different build's standard rule",
    }
    added = [d for d in document["noise"] if d["path"].endswith("flow to onPremisesObjectIdentifier")]
    assert added and added[0]["left"] is None
    assert {"path": "server.version", "left": "2.5.79.0", "right": "2.6.92.0"} in document["other"]
    assert document["remapped"]["rulesUnderAnotherIdentifier"] >= 60

    # The upgrade put the API versions back to the build's default: the registry value is gone.
    reset = dict(after, registry={**after["registry"], "AadConnectorImportApiVersion": 1})
    text = run("compare", snapshot, _snapshot("reset", reset))
    assert text.code == 2
    assert "compared: they differ in what the state files manage" in text.out
    assert "  apiVersions.import: 2 | 1" in text.out
    assert "  tag generation: 63\n" in text.out and "… and 60 more (--output json lists them all)" in text.out


def test_a_renumbering_that_changes_the_order_and_a_disabled_rule_are_real_differences(run: Run) -> None:
    left = _server(run, "aadc01")
    right = json.loads(json.dumps(left))
    by_name = {r["Name"]: r for r in right["syncRules"]}
    by_name["In from AD - User Join"]["Precedence"], by_name["In from AD - User Common"]["Precedence"] = (
        by_name["In from AD - User Common"]["Precedence"],
        by_name["In from AD - User Join"]["Precedence"],
    )
    by_name["Out to AAD - Contact Join"]["Disabled"] = True
    result = run("compare", _snapshot("left", left), _snapshot("right", right), "--output", "markdown")
    assert result.code == 0  # nothing a state file manages
    assert "### Other differences (not managed): 3" in result.out
    assert "| rule 'Out to AAD - Contact Join' [Microsoft.OuttoAADContactJoin]: disabled | false | true |" in result.out
    assert "### Upgrade noise (not differences): none" in result.out


def test_a_limit_on_one_server_only_differs_and_names_the_clone(run: Run) -> None:
    _reconciled(run, "aadc01")
    _server(run, "aadc02")
    result = run("compare", "sim:aadc01.json", "sim:aadc02.json")
    assert result.code == 2
    assert "  groupMemberLimit: 100000 | 250000" in result.out
    assert "  standardRule.enabled: false | true" in result.out
    assert "  managedRule: {precedence: 90, limit: 100000" in result.out


def test_a_folder_target_takes_names_and_an_export_compares_with_a_twin(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "sims"
    assert run("sim", "init", "--name", "aadc01", "--target", f"sim:{folder}/", "--version", "2.5.79.0").code == 0
    assert run("sim", "init", "--name", "aadc02", "--target", f"sim:{folder}/", "--version", "2.5.79.0").code == 0
    same = run("compare", f"sim:{folder}/", f"sim:{folder}/", "--left-name", "aadc01", "--right-name", "aadc02")
    assert same.code == 0 and "compared: the same managed settings and nothing else differs\n" in same.out

    # The 1.1.130.0 export has no scheduler: what it could not observe is said, not compared.
    export = run("compare", f"export:{SIM_EXPORT}", f"sim:{folder}/", "--right-name", "aadc01")
    assert export.code == 2
    assert "not compared (one side could not observe it): " in export.out
    assert "scheduler.syncCycleEnabled" in export.out.split("not compared")[1].splitlines()[0]


def test_bad_targets_are_one_line_errors(run: Run) -> None:
    missing = run("compare", "snapshot:nowhere.json", "snapshot:nowhere.json")
    assert missing.code == 1 and missing.out == "" and len(missing.err_lines) == 1
    folder = run("compare", "sim:a/", "sim:b/")
    assert folder.code == 1 and "name one with --name" in folder.err
    unknown = run("compare", "ftp:x", "sim:b.json")
    assert unknown.code == 1 and "unknown target" in unknown.err and "Traceback" not in unknown.err


def test_a_state_file_names_the_managed_clones(run: Run) -> None:
    for name, precedence in (("aadc01", "90"), ("aadc02", "91")):
        _server(run, name)
        text = CONTOSO.read_text(encoding="utf-8").replace("contoso-aadc01", name)
        text = text.replace("rulePrecedence: 90", f"rulePrecedence: {precedence}")
        Path(f"{name}.yaml").write_text(text + '  ruleName: "Group Join, large groups"\n', encoding="utf-8")
        assert run("reconcile", f"{name}.yaml", "--target", f"sim:{name}.json").code == 0
    unnamed = run("compare", "sim:aadc01.json", "sim:aadc02.json")
    assert unnamed.code == 0
    assert "  rule 'Group Join, large groups' (outbound): precedence: 90 | 91" in unnamed.out
    named = run("compare", "sim:aadc01.json", "sim:aadc02.json", "--state", "aadc01.yaml")
    assert named.code == 2
    assert "  managedRule: {precedence: 90, " in named.out and "| {precedence: 91, " in named.out
    assert "precedence: 90 | 91" not in named.out.split("other differences")[1]
