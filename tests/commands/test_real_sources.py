"""Planning against real servers' data: a configuration export, a collector snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler import cmdlets
from reconciler.formats import schemas
from tests.support import Run

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "collector-sample.json"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def state_file(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"apiVersion: reconciler/v1\nkind: SyncServer\nmetadata:\n  name: {name}\nspec:\n{body}", encoding="utf-8"
    )
    return str(path)


V2_100K = """  cloud: AzureCommercial
  apiVersions: {export: 2, import: 2}
  groupMemberLimit: 100000
  rulePrecedence: 90
  writeupRulePrecedence: 89
  scheduler: {syncCycleEnabled: true}
"""


V1_40K = """  cloud: AzureCommercial
  apiVersions: {export: 1, import: 1}
  groupMemberLimit: 40000
  rulePrecedence: 90
  writeupRulePrecedence: 89
  scheduler: {syncCycleEnabled: true}
"""


def test_v2_on_the_exported_1_1_build_is_refused(contoso_export: Path, run: Run, tmp_path: Path) -> None:
    result = run("plan", state_file(tmp_path, "contoso-sync01", V2_100K), "--target", f"export:{contoso_export}")
    assert result.code == 1
    assert result.err == (
        "contoso-sync01: plan refused: the V2 endpoint needs version 1.5.30.0 or later; the server runs 1.1.130.0\n"
    )


def test_plan_against_an_export_plans_nothing_from_what_it_cannot_see(
    contoso_export: Path, run: Run, tmp_path: Path
) -> None:
    result = run(
        "plan",
        state_file(tmp_path, "contoso-sync01", V1_40K),
        "--target",
        f"export:{contoso_export}",
        "--output",
        "json",
    )
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["observedVersion"] == "1.1.130.0"
    assert [a["kind"] for a in document["actions"]] == [
        "WaitForSyncIdle", "SetSyncCycleEnabled", "CreateSyncRule", "DisableSyncRule", "SetSyncCycleEnabled"
    ]  # fmt: skip
    assert document["actions"][-1]["params"] == {"enabled": True}
    assert document["actions"][2]["params"]["clonedFrom"] == "Out to AAD - Group Join"
    assert "apiVersions.import was not observed by this source; nothing is planned for it" in document["warnings"]
    assert (
        "scheduler.syncCycleEnabled was not observed by this source; nothing is planned for it" in document["warnings"]
    )
    assert {"path": "groupMemberLimit", "observed": 50000, "desired": 40000} in document["changes"]


def test_apply_to_an_export_is_refused(contoso_export: Path, run: Run, tmp_path: Path) -> None:
    result = run(
        "apply", state_file(tmp_path, "contoso-sync01", V1_40K), "--target", f"export:{contoso_export}", "--yes"
    )
    assert result.code == 1
    assert result.err == (
        f"contoso-sync01: export:{contoso_export} is read-only: plan with --output powershell and run the script "
        "on the server, or apply through the powershell or winrm:// target\n"
    )


def test_sim_init_from_an_export_makes_a_twin(contoso_export: Path, run: Run, tmp_path: Path) -> None:
    assert run("sim", "init", "--from", str(contoso_export), "--name", "contoso-sync01").code == 0
    twin = json.loads(run("sim", "show", "--name", "contoso-sync01").out)
    assert twin["server"]["version"] == "1.1.130.0" and len(twin["syncRules"]) == 62
    assert twin["scheduler"]["SyncCycleEnabled"] is True  # unobserved in the export: an idle, enabled one
    assert "unobserved" not in twin
    # Rehearse the change on the twin: V2 needs 1.5.30.0, which this build is not.
    rehearsal = run("plan", state_file(tmp_path, "contoso-sync01", V2_100K))
    assert rehearsal.code == 1
    assert "the V2 endpoint needs version 1.5.30.0 or later; the server runs 1.1.130.0" in rehearsal.err


def test_the_collector_sample_is_valid_observed_state() -> None:
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    assert schemas.check_data(data, schemas.OBSERVED_STATE, str(SAMPLE)) == []
    assert data["registry"]["AadConnectorImportApiVersion"] is None


def test_plan_against_a_snapshot_folder(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "snapshots"
    folder.mkdir()
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    (folder / f"{sample['server']['name']}.json").write_text(json.dumps(sample), encoding="utf-8")
    body = V2_100K.replace("AzureCommercial", sample["server"]["cloud"])
    result = run("plan", state_file(tmp_path, sample["server"]["name"], body), "--target", f"snapshot:{folder}/")
    assert result.code == 0, result.err
    assert "CreateSyncRule" in result.out
    missing = run("plan", state_file(tmp_path, "absent01", body), "--target", f"snapshot:{folder}/")
    assert missing.err == f"{folder / 'absent01.json'}: no such snapshot (run the collector script on the server)\n"


def test_collector_script_is_printed_and_uses_only_real_cmdlets(run: Run) -> None:
    result = run("collector-script")
    assert result.code == 0
    text = result.out
    assert text.startswith("#Requires -RunAsAdministrator")
    for cmdlet in ("Get-ADSyncScheduler", "Get-ADSyncRule", "Get-ADSyncConnector", "Get-ADSyncGlobalSettings",
                   "Get-ADSyncSchedulerConnectorOverride"):  # fmt: skip
        assert cmdlet in text
    # The three places of the export version, read cheaply: no configuration export on every observe.
    assert "$aad.ExtensionConfiguration.ExportType" in text and "Get-ADSyncServerConfiguration -Path" not in text
    assert "'PerMAInstance\\' + $ConnectorName" in text and "EnableNonExistentObjectReferenceExportFiltering" in text
    assert cmdlets.STRICT_MODE in text and "$ErrorActionPreference = 'Stop'" in text
    assert "Set-ADSync" not in text and "Add-ADSync" not in text and "Remove-ADSync" not in text  # reads only
    assert "'Microsoft.Synchronize.ServerConfigurationVersion'" in text
    assert "AadConnectorExportApiVersion" in text and "AadConnectorImportApiVersion" in text


def test_export_command_writes_a_state_that_plans_empty(run: Run, tmp_path: Path) -> None:
    assert run("sim", "init", "--name", "lab01", "--version", "1.6.2.4").code == 0
    out = tmp_path / "lab01.yaml"
    result = run("export", "--name", "lab01", "--out", str(out))
    assert (result.code, result.out) == (0, f"{out}: written\n")
    text = out.read_text(encoding="utf-8")
    # No schema in this repository yet: the file says how to get one, never a path that is not there.
    assert text.startswith(
        "# Editors check this file once the repository has "
        "`reconciler schema desired-state > schemas/desired-state.schema.json`.\n"
    )
    assert run("validate", str(out)).code == 0
    schema = run("schema", "desired-state")
    assert json.loads(schema.out)["$id"] == "urn:adsync-reconciler:schema:desired-state:1"
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "desired-state.schema.json").write_text(schema.out, encoding="utf-8")
    (tmp_path / "states").mkdir()
    referenced = tmp_path / "states" / "lab01.yaml"
    assert run("export", "--name", "lab01", "--out", str(referenced)).code == 0
    assert referenced.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=../schemas/desired-state.schema.json\n"
    )
    assert run("plan", str(out), "--detailed-exitcode").code == 0
    again = run("export", "--name", "lab01", "--out", str(out))
    assert (again.code, again.err) == (1, f"{out}: exists already; export never overwrites a state file\n")


def test_export_of_the_real_export_names_what_it_could_not_see(contoso_export: Path, run: Run) -> None:
    result = run("export", "--target", f"export:{contoso_export}", "--name", "contoso-sync01")
    assert result.code == 0
    assert "# Note: scheduler.syncCycleEnabled was not observed; true is written: review it\n" in result.out
    assert result.err_lines == [
        "contoso-sync01: apiVersions.import was not observed; 1 (as export) is written: review it",
        "contoso-sync01: scheduler.syncCycleEnabled was not observed; true is written: review it",
    ]


def test_powershell_target_without_powershell_is_one_line(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = run("plan", state_file(tmp_path, "srv1", V2_100K), "--target", "powershell")
    assert result.code == 1
    assert result.err_lines == [
        "the powershell target runs on the Entra Connect server itself, and this machine has no powershell.exe; "
        "from elsewhere use winrm://HOST, or a snapshot"
    ]


def test_winrm_target_needs_credentials_from_the_environment(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("RECONCILER_WINRM_USERNAME", "RECONCILER_WINRM_PASSWORD", "RECONCILER_WINRM_AUTH"):
        monkeypatch.delenv(name, raising=False)
    result = run("plan", state_file(tmp_path, "srv1", V2_100K), "--target", "winrm://aadc01.contoso.com")
    assert (result.code, result.err) == (
        1,
        "winrm://aadc01.contoso.com: set RECONCILER_WINRM_USERNAME and RECONCILER_WINRM_PASSWORD "
        "(or RECONCILER_WINRM_AUTH=kerberos)\n",
    )
    assert run("plan", state_file(tmp_path, "srv1", V2_100K), "--target", "winrm:aadc01").code == 1


def test_task_script_registers_a_reconcile_on_start_up_and_schedule(run: Run) -> None:
    result = run("task-script")
    assert result.code == 0
    text = result.out
    assert text.startswith("#Requires -RunAsAdministrator")
    assert "Register-ScheduledTask" in text and "New-ScheduledTaskTrigger -AtStartup" in text
    assert "-RepetitionInterval (New-TimeSpan -Minutes $EveryMinutes)" in text
    assert '"reconcile `"$StatePath`" --target powershell --event-log"' in text
    assert "-MultipleInstances IgnoreNew" in text
    # A gMSA (whose password Windows fetches), a user whose password goes to the task itself, or SYSTEM
    # only when named: a principal of LogonType Password carries no password, so only a gMSA may use one.
    assert "[Parameter(Mandatory)] [string] $User," in text and "$User = 'SYSTEM'" not in text
    assert "New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest" in text
    gmsa, user = text.split("elseif ($isGmsa) {")[1].split("else {")
    assert "-LogonType Password" in gmsa and "-LogonType Password" not in user
    assert "Register-ScheduledTask @task -User $User -Password $plain -RunLevel Highest" in user
    assert "log on as a batch job" in text and "ADSyncAdmins" in text
    # Before the task is made: a state path ending in \ (which would escape the argument's closing
    # quote) is made absolute and trimmed, and the account's ADSyncAdmins membership is checked.
    register = text.index("Register-ScheduledTask @task")
    assert text.index("$StatePath = ConvertTo-TaskPath $StatePath") < text.index("New-ScheduledTaskAction") < register
    assert "$full.TrimEnd('\\')" in text and "return $trimmed + '\\.'" in text
    assert text.index("Test-SyncAdminsMember $User") < register
    assert "Get-LocalGroupMember -Group $group" in text and "Add-LocalGroupMember -Group ADSyncAdmins" in text


def test_export_of_an_export_folder_is_named_after_the_folder(contoso_export: Path, run: Run) -> None:
    result = run("export", "--target", f"export:{contoso_export}")
    assert result.code == 0
    assert f"  name: {contoso_export.name}\n" in result.out


def test_export_never_writes_an_invalid_state(run: Run, tmp_path: Path) -> None:
    assert run("sim", "init", "--target", f"sim:{tmp_path / 'x.json'}", "--name", "bad name").code == 0
    result = run("export", "--target", f"sim:{tmp_path / 'x.json'}")
    assert result.code == 1
    assert result.err_lines[-1] == "give --name with a valid metadata.name"
    assert "metadata.name: 'bad name' is not valid" in result.err
