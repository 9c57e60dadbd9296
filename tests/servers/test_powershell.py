"""Live targets at the transport boundary: scripts sent, recorded outputs replayed."""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler import cmdlets, observed, syncrules
from reconciler.errors import UserError
from reconciler.executor import Executor, Settings
from reconciler.journal import Journal
from reconciler.observed import ObservedState
from reconciler.servers import powershell, transports
from reconciler.servers.simulator import InMemoryServer, defaults
from tests.scenario import make_plan, state


# What each server operation must send: the cmdlets of docs/domain.md#cmdlets, values quoted.
def _q(value: str) -> str:
    return cmdlets.quote(value)


def _b(value: bool) -> str:
    return cmdlets.boolean(value)


MODULE = "Extensions\\AADConnector.psm1"
EXPECTED = {
    "set_sync_cycle_enabled": lambda enabled: [f"Set-ADSyncScheduler -SyncCycleEnabled {_b(enabled)}"],
    "set_export_api_version": lambda v: [MODULE, f"Set-ADSyncAADConnectorExportApiVersion {v}"],
    "set_import_api_version": lambda v: [MODULE, f"Set-ADSyncAADConnectorImportApiVersion {v}"],
    "add_rule": lambda rule: ["New-ADSyncRule", f"-Name {_q(rule.name)}", "Add-ADSyncAttributeFlowMapping",
                              "Add-ADSyncScopeConditionGroup", "Add-ADSyncRule"],
    "remove_rule": lambda identifier: [f"Remove-ADSyncRule -Identifier {_q(identifier)}"],
    "set_rule_disabled": lambda identifier, disabled: [f"Get-ADSyncRule -Identifier {_q(identifier)}",
                                                       f"$rule.Disabled = {_b(disabled)}", "$rule | Add-ADSyncRule"],
    "set_connector_override": lambda name, value: [
        f"Set-ADSyncSchedulerConnectorOverride -FullSyncRequired {_b(value)} -ConnectorName {_q(name)}"
    ],
}  # fmt: skip


class Spy:
    """The simulator, logging what was asked of it: the recording of a session."""

    def __init__(self, server: InMemoryServer) -> None:
        self.server = server
        self.log: list[tuple[str, Any]] = []

    @property
    def name(self) -> str:
        return self.server.name

    def observe(self) -> ObservedState:
        state = self.server.observe()
        self.log.append(("observe", observed.dumps(state)))
        return state

    def __getattr__(self, operation: str) -> Any:
        def call(*args: Any) -> None:
            self.log.append((operation, args))
            getattr(self.server, operation)(*args)

        return call


@dataclass
class Replay:
    """A transport that answers from a recorded session and checks every script it is sent."""

    record: list[tuple[str, Any]]
    label: str = "replay"
    sent: list[str] = field(default_factory=list)
    fail_at: int | None = None

    def run(self, script: str) -> str:
        self.sent.append(script)
        assert self.record, f"a script beyond the recorded session:\n{script}"
        kind, payload = self.record.pop(0)
        if kind == "observe":
            assert "Get-ADSyncRule" in script and "ConvertTo-Json -InputObject $state" in script
            return str(payload)
        for fragment in EXPECTED[kind](*payload):
            assert fragment in script, (kind, fragment, script)
        assert script.startswith("$ErrorActionPreference = 'Stop'\nImport-Module ADSync\n")
        if self.fail_at is not None and len(self.sent) >= self.fail_at:
            self.fail_at = None
            raise transports.TransportError("replay: Access is denied.")
        return ""


def record(version: str, want: Any, tmp_path: Path) -> tuple[ObservedState, list[tuple[str, Any]], Any]:
    truth = InMemoryServer(defaults.new_server("srv1", version))
    start = truth.observe()
    plan = make_plan(truth, want)
    spy = Spy(truth)
    Executor(spy, Journal("srv1", tmp_path / "rec"), Settings(wait_timeout=0)).run(plan)  # type: ignore[arg-type]
    return start, spy.log, plan


def test_apply_over_a_transport_sends_the_recorded_operations(tmp_path: Path) -> None:
    _, session, plan = record("1.5.30.0", state(), tmp_path)
    operations = [kind for kind, _ in session if kind != "observe"]
    assert operations == ["set_sync_cycle_enabled", "set_export_api_version", "set_import_api_version",
                          "add_rule", "set_rule_disabled", "set_sync_cycle_enabled"]  # fmt: skip
    transport = Replay(list(session))
    server = powershell.PowerShellServer(transport, "srv1", "AzureCommercial")
    outcomes = Executor(server, Journal("srv1", tmp_path), Settings(wait_timeout=0)).run(plan)
    assert transport.record == []  # every recorded call made, in order, with the expected script
    assert [o.result for o in outcomes] == ["done"] * len(plan.actions)
    assert syncrules.effective_limit(observed.loads(session[-1][1], "recorded")) == 100000


def test_a_failure_mid_plan_restores_the_scheduler_over_the_transport(tmp_path: Path) -> None:
    _, session, plan = record("1.5.30.0", state(), tmp_path)
    # The first change after the scheduler went off fails; the executor then turns it back on.
    first_off = next(i for i, (k, _a) in enumerate(session) if k == "set_sync_cycle_enabled")
    upto = session[: first_off + 2]  # ... scheduler off, then the observe before the export version
    restore_state = json.loads(str(upto[-1][1]))
    restore_state["scheduler"]["SyncCycleEnabled"] = True
    # Before turning it back on, the executor observes what the next full cycle would delete.
    transport = Replay([*upto, ("set_export_api_version", (2,)), ("observe", str(upto[-1][1])),
                        ("set_sync_cycle_enabled", (True,)), ("observe", json.dumps(restore_state))],
                       fail_at=first_off + 3)  # fmt: skip
    server = powershell.PowerShellServer(transport, "srv1", "AzureCommercial")
    with pytest.raises(UserError, match=r"replay: Access is denied\."):
        Executor(server, Journal("srv1", tmp_path), Settings(wait_timeout=0)).run(plan)
    assert "Set-ADSyncScheduler -SyncCycleEnabled $true" in transport.sent[-2]
    assert transport.record == []


def test_the_collector_runs_as_a_script_block_with_quoted_parameters() -> None:
    script = powershell.collector_script("o'brien-aadc01", "AzureUSGovernment")
    assert "#Requires" not in script
    assert script.startswith("& {\n")
    assert script.endswith("} -Name 'o''brien-aadc01' -Cloud 'AzureUSGovernment'\n")


def test_observe_marks_the_cloud_unknown_without_a_state(tmp_path: Path) -> None:
    sample = (Path(__file__).parent.parent / "fixtures" / "collector-sample.json").read_text(encoding="utf-8")
    server = powershell.PowerShellServer(Replay([("observe", sample)]), "fabrikam-aadc02", None)
    assert "server.cloud" in (server.observe().unobserved or ())


def test_no_powershell_on_this_machine_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transports.shutil, "which", lambda _name: None)
    with pytest.raises(UserError) as exc:
        transports.LocalPowerShell()
    assert str(exc.value) == (
        "the powershell target runs on the Entra Connect server itself, and this machine has no powershell.exe; "
        "from elsewhere use winrm://HOST, or a snapshot"
    )


@pytest.mark.skipif(os.name != "posix", reason="a stand-in powershell.exe written as a POSIX script")
def test_local_powershell_plumbing_with_a_stand_in(tmp_path: Path) -> None:
    stand_in = tmp_path / "powershell"
    sample = Path(__file__).parent.parent / "fixtures" / "collector-sample.json"
    stand_in.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "args = sys.argv[1:]\n"
        "assert args == ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', '-'], args\n"
        "script = sys.stdin.read()\n"
        "if 'Remove-ADSyncRule' in script:\n"
        "    print('Remove-ADSyncRule : Access is denied.', file=sys.stderr); sys.exit(1)\n"
        f"print(open({str(sample)!r}, encoding='utf-8').read())\n"
    )
    stand_in.chmod(0o755)
    server = powershell.PowerShellServer(
        transports.LocalPowerShell(str(stand_in)), "fabrikam-aadc02", "AzureCommercial"
    )
    assert server.observe().server.version == "1.6.4.0"
    with pytest.raises(transports.TransportError, match=r"^powershell: Remove-ADSyncRule : Access is denied\.$"):
        server.remove_rule("00000000-0000-0000-0000-000000000001")


def test_winrm_options_come_from_the_environment_only() -> None:
    env = {"RECONCILER_WINRM_USERNAME": "CONTOSO\\svc-reconciler", "RECONCILER_WINRM_PASSWORD": "s3cret"}
    assert transports.winrm_options("aadc01.contoso.com:5986", env) == {
        "server": "aadc01.contoso.com", "auth": "negotiate", "ssl": True, "cert_validation": True,
        "username": "CONTOSO\\svc-reconciler", "password": "s3cret", "port": 5986,
    }  # fmt: skip
    with pytest.raises(UserError, match="set RECONCILER_WINRM_USERNAME and RECONCILER_WINRM_PASSWORD"):
        transports.winrm_options("h", {})
    assert (
        transports.winrm_options("h", {"RECONCILER_WINRM_AUTH": "kerberos", "RECONCILER_WINRM_SSL": "false"})["ssl"]
        is False
    )
    with pytest.raises(UserError, match="RECONCILER_WINRM_AUTH='digest': expected one of"):
        transports.winrm_options("h", {**env, "RECONCILER_WINRM_AUTH": "digest"})
    with pytest.raises(UserError, match="RECONCILER_WINRM_SSL='maybe': expected true or false"):
        transports.winrm_options("h", {**env, "RECONCILER_WINRM_SSL": "maybe"})


def test_winrm_transport_reports_script_errors() -> None:
    pytest.importorskip("pypsrp")
    env = {"RECONCILER_WINRM_USERNAME": "u", "RECONCILER_WINRM_PASSWORD": "p"}
    transport = transports.WinRM("aadc01.contoso.com", env)
    assert transport.label == "winrm://aadc01.contoso.com"

    class Streams:
        def __init__(self) -> None:
            self.error = ["Set-ADSyncScheduler : Sync is in progress."]

    class Client:
        def __init__(self, result: tuple[str, Any, bool]) -> None:
            self.result = result

        def execute_ps(self, script: str) -> tuple[str, Any, bool]:
            return self.result

    transport.client = Client(("", Streams(), True))  # type: ignore[assignment]
    expected = "winrm://aadc01.contoso.com: Set-ADSyncScheduler : Sync is in progress."
    with pytest.raises(transports.TransportError, match=re.escape(expected)):
        transport.run("Set-ADSyncScheduler -SyncCycleEnabled $false")
    transport.client = Client(("{}", Streams(), False))  # type: ignore[assignment]
    assert transport.run("x") == "{}"
