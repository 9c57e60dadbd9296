"""Live targets at the transport boundary: scripts sent, recorded outputs replayed."""

from __future__ import annotations

import gc
import json
import os
import re
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest

from reconciler import cmdlets
from reconciler.errors import UserError
from reconciler.model import observed, syncrules
from reconciler.running.executor import Executor, Settings
from reconciler.running.journal import Journal
from reconciler.running.progress import Listener, Stopped
from reconciler.servers import powershell, transports
from reconciler.servers.simulator import InMemoryServer, defaults
from tests import fakes
from tests.scenario import apply, make_plan, rollback, server, state
from tests.test_cmdlets import Recorder


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


def test_each_server_operation_sends_its_cmdlets() -> None:
    """The single operations (a scheduler restored when a script could not, and the Server
    protocol itself): each one script of the real cmdlets, after the preamble."""
    state = defaults.new_server("srv1", "1.6.2.4")
    rule = next(r for r in state.sync_rules if r.attribute_flow_mappings and r.scope_filter)
    calls = {
        "set_sync_cycle_enabled": (False,),
        "set_export_api_version": (2,),
        "set_import_api_version": (2,),
        "add_rule": (rule,),
        "remove_rule": (rule.identifier,),
        "set_rule_disabled": (rule.identifier, True),
        "set_connector_override": ("contoso.onmicrosoft.com - AAD", False),
    }
    for operation, args in calls.items():
        recorder = Recorder()
        getattr(powershell.PowerShellServer(recorder, "srv1", "AzureCommercial"), operation)(*args)
        (script,) = recorder.sent
        assert script.startswith("\n".join(cmdlets.PREAMBLE) + "\n")
        for fragment in EXPECTED[operation](*args):
            assert fragment in script, (operation, fragment, script)


def live_apply(version: str, want: Any, tmp_path: Path, fail_at: int | None = None) -> tuple[Any, ...]:
    """A plan applied to a live server over a transport answering from the simulator."""
    truth = InMemoryServer(defaults.new_server("srv1", version))
    plan = make_plan(truth, want)
    answerer = fakes.Answerer(truth, fail_at=fail_at)
    transport = fakes.SimTransport(answerer)
    server = powershell.PowerShellServer(transport, "srv1", "AzureCommercial")
    journal = Journal("srv1", tmp_path)
    executor = Executor(server, journal, Settings(wait_timeout=0))
    return plan, executor, journal, transport, truth


def test_a_live_apply_is_one_script_journaled_step_by_step(tmp_path: Path) -> None:
    plan, executor, journal, transport, truth = live_apply("1.5.30.0", state(), tmp_path)
    outcomes = executor.run(plan)
    assert [o.result for o in outcomes] == ["done"] * len(plan.actions)
    # The observe the plan needs, then one script: every step, and the state it left.
    assert len(transport.sent) == 2
    script = transport.sent[1]
    assert script.count(cmdlets.ACTION_COMMENT) == len(plan.actions)
    assert script.count("Import-Module ADSync") == 2  # the steps', then the collector's: loaded once
    lines = [json.loads(line) for line in journal.path.read_text(encoding="utf-8").splitlines()]
    steps = [line for line in lines if line.get("event") == "action"]
    assert [(s["index"], s["kind"], s["result"]) for s in steps] == [
        (i, a.kind, "done") for i, a in enumerate(plan.actions)
    ]
    assert executor.final is not None and syncrules.effective_limit(executor.final) == 100000
    assert executor.final == truth.observe()
    assert lines[-1]["event"] == "run-end" and lines[-1]["memberLimit"] == 100000


def test_a_live_apply_applied_again_skips_every_step(tmp_path: Path) -> None:
    plan, executor, _, _, _ = live_apply("1.5.30.0", state(), tmp_path)
    executor.run(plan)
    again = Executor(executor.server, Journal("srv1", tmp_path / "again"), Settings(wait_timeout=0))
    outcomes = again.run(plan)
    # The scheduler goes off and back on around the change again; nothing else is written twice.
    rest = [o.result for o in outcomes if o.action.definition.changes_server and o.action.kind != "SetSyncCycleEnabled"]
    assert rest == ["skipped"] * 4


def test_a_failure_mid_script_restores_the_scheduler_in_its_finally(tmp_path: Path) -> None:
    plan, executor, journal, transport, truth = live_apply("1.5.30.0", state(), tmp_path, fail_at=2)
    assert [a.kind for a in plan.actions[:3]] == ["WaitForSyncIdle", "SetSyncCycleEnabled", "SetExportApiVersion"]
    with pytest.raises(UserError, match=r"Step 3: Access is denied\."):
        executor.run(plan)
    assert truth.observe().scheduler.sync_cycle_enabled is True  # turned back on by the script
    events = [json.loads(line) for line in journal.path.read_text(encoding="utf-8").splitlines()]
    assert [(e["event"], e.get("result")) for e in events] == [
        ("run-start", None), ("action", "done"), ("action", "done"), ("action", "failed"),
        ("scheduler-restored", None), ("run-end", "failed"),
    ]  # fmt: skip
    assert events[3]["error"] == "Step 3: Access is denied."
    assert executor.restore_error is None
    assert len(transport.sent) == 2  # the script said what it did: nothing is observed again


def test_a_script_stopped_where_a_cycle_would_delete_keeps_the_scheduler_off(tmp_path: Path) -> None:
    """Invariant 7 decided in the script's `finally` as in apply: once V1 would delete a provisioned
    75,000-member group, a stop leaves the scheduler off, and the run says which group."""
    truth = server("1.6.2.4")
    apply(truth, state(), tmp_path / "raise")
    truth.run_cycle(full=True)  # All Faculty (75,000 members) is provisioned
    plan = make_plan(truth, rollback(allow_group_deletion=True), allow=True)
    assert plan.script.risky_after == frozenset(range(2, len(plan.actions)))  # from SetExportApiVersion(1) on
    transport = fakes.SimTransport(fakes.Answerer(truth, fail_at=3))
    journal = Journal("srv1", tmp_path)
    executor = Executor(powershell.PowerShellServer(transport, "srv1", None), journal, Settings(wait_timeout=0))
    with pytest.raises(UserError, match=r"Step 4: Access is denied\."):
        executor.run(plan)
    assert truth.observe().scheduler.sync_cycle_enabled is False
    assert executor.restore_error is not None and "stays disabled" in executor.restore_error
    assert '"scheduler-kept-off"' in journal.path.read_text(encoding="utf-8")


def test_the_collector_runs_as_a_script_block_with_quoted_parameters() -> None:
    script = powershell.collector_script("o'brien-aadc01", "AzureUSGovernment")
    assert "#Requires" not in script
    assert script.startswith("& {\n")
    assert script.endswith("} -Name 'o''brien-aadc01' -Cloud 'AzureUSGovernment'\n")


def test_observe_marks_the_cloud_unknown_without_a_state(tmp_path: Path) -> None:
    sample = (Path(__file__).parent.parent / "fixtures" / "collector-sample.json").read_text(encoding="utf-8")

    class Sample(Recorder):
        def run(self, script: str) -> str:
            super().run(script)
            return sample

    server = powershell.PowerShellServer(Sample(), "fabrikam-aadc02", None)
    assert "server.cloud" in (server.observe().unobserved or ())


def test_no_powershell_on_this_machine_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transports.shutil, "which", lambda _name: None)
    with pytest.raises(UserError) as exc:
        transports.LocalPowerShell()
    assert str(exc.value) == (
        "the powershell target runs on the Entra Connect server itself, and this machine has no powershell.exe; "
        "from elsewhere use winrm://HOST, or a snapshot"
    )


STAND_IN = """\
import json, os, sys
args = sys.argv[1:]
log = os.environ["STAND_IN_LOG"]
script = open(args[-1], "rb").read()
with open(log, "a", encoding="utf-8") as handle:
    handle.write(json.dumps({"args": args, "script": script.decode("latin-1")}) + "\\n")
text = script.decode("utf-8-sig")
if "Remove-ADSyncRule" in text:
    sys.stderr.buffer.write("Remove-ADSyncRule : Access is denied.\\r\\n".encode("utf-8")); sys.exit(1)
if "Set-ADSyncScheduler" in text:
    sys.stdout.buffer.write("Gruppe \u0411 \xff".encode("utf-8") + b"\\xfe"); sys.exit(0)
sys.stdout.buffer.write(open(os.environ["STAND_IN_SAMPLE"], "rb").read())
"""


@pytest.mark.skipif(os.name != "posix", reason="a stand-in powershell.exe written as a POSIX script")
def test_local_powershell_runs_each_script_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in powershell.exe records its arguments and the .ps1 it was given, and replays output."""
    stand_in = tmp_path / "powershell"
    stand_in.write_text(f"#!{sys.executable}\n" + STAND_IN, encoding="utf-8")
    stand_in.chmod(0o755)
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("STAND_IN_LOG", str(log))
    monkeypatch.setenv("STAND_IN_SAMPLE", str(Path(__file__).parent.parent / "fixtures" / "collector-sample.json"))
    transport = transports.LocalPowerShell(str(stand_in))
    server = powershell.PowerShellServer(transport, "fabrikam-aadc02", "AzureCommercial")

    assert server.observe().server.version == "1.6.4.0"
    with pytest.raises(transports.TransportError, match=r"^powershell: Remove-ADSyncRule : Access is denied\.$"):
        server.remove_rule("00000000-0000-0000-0000-000000000001")
    # Output beyond ASCII is decoded; a byte that is not UTF-8 is replaced, never a traceback.
    assert transport.run(cmdlets.set_scheduler(False)) == "Gruppe \u0411 \xff\ufffd"

    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(calls) == 3
    for call in calls:
        assert call["args"][:-1] == ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File"]
        assert call["args"][-1].endswith(".ps1") and not Path(call["args"][-1]).exists()  # removed afterwards
        script = call["script"].encode("latin-1")
        assert script.startswith(b"\xef\xbb\xbf") and script[3:].isascii()
        text = script[3:].decode("ascii")
        assert "\r\n" in text and "exit 1" in text and "[Console]::OutputEncoding" in text


POLICY_STAND_IN = """\
import sys
sys.stderr.write(
    "File C:\\\\Temp\\\\adsync-reconciler-1.ps1 cannot be loaded. The file is not digitally signed.\\r\\n"
    "    + CategoryInfo          : SecurityError: (:) [], PSSecurityException\\r\\n"
    "    + FullyQualifiedErrorId : UnauthorizedAccess\\r\\n"
)
sys.exit(1)
"""
LANGUAGE_STAND_IN = """\
import sys
sys.stdout.write("ConstrainedLanguage\\r\\n")
sys.exit(3)
"""


@pytest.mark.skipif(os.name != "posix", reason="a stand-in powershell.exe written as a POSIX script")
@pytest.mark.parametrize(
    ("stand_in", "message"),
    [
        (POLICY_STAND_IN, transports.EXECUTION_POLICY_PROBLEM),
        (LANGUAGE_STAND_IN, transports.language_mode_problem("powershell", "ConstrainedLanguage")),
    ],
)
def test_a_locked_down_server_is_said_in_one_line(tmp_path: Path, stand_in: str, message: str) -> None:
    executable = tmp_path / "powershell"
    executable.write_text(f"#!{sys.executable}\n" + stand_in, encoding="utf-8")
    executable.chmod(0o755)
    with pytest.raises(transports.TransportError) as exc:
        transports.LocalPowerShell(str(executable)).run(cmdlets.set_scheduler(False))
    assert str(exc.value) == message and "\n" not in message


def test_a_script_file_checks_the_language_mode_before_any_net_call() -> None:
    lines = cmdlets.file_script("Get-ADSyncScheduler").splitlines()
    check = lines.index(f"if ({cmdlets.LANGUAGE_MODE} -ne 'FullLanguage') {{")
    assert f"    exit {cmdlets.LANGUAGE_MODE_EXIT}" in lines[check : check + 4]
    assert check < min(i for i, line in enumerate(lines) if "[" in line and "]::" in line)


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
    certificate = {"RECONCILER_WINRM_AUTH": "certificate"}
    with pytest.raises(UserError, match="certificate needs RECONCILER_WINRM_CERTIFICATE_PEM"):
        transports.winrm_options("h", certificate)
    pems = {**certificate, "RECONCILER_WINRM_CERTIFICATE_PEM": "c.pem", "RECONCILER_WINRM_CERTIFICATE_KEY_PEM": "k.pem"}
    assert transports.winrm_options("h", pems) == {
        "server": "h", "auth": "certificate", "ssl": True, "cert_validation": True,
        "certificate_pem": "c.pem", "certificate_key_pem": "k.pem",
    }  # fmt: skip
    with pytest.raises(UserError, match="over HTTPS only"):
        transports.winrm_options("h", {**pems, "RECONCILER_WINRM_SSL": "false"})


WINRM_ENV = {"RECONCILER_WINRM_USERNAME": "u", "RECONCILER_WINRM_PASSWORD": "p"}


FakePypsrp, ErrorRecord = fakes.FakePypsrp, fakes.ErrorRecord


def test_winrm_runs_each_script_as_its_own_pipeline_in_one_runspace(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePypsrp(lambda script: ([f"ran {len(script)}", 2], [], False))
    fake.install(monkeypatch.setitem)
    transport = transports.WinRM("aadc01.contoso.com:5986", WINRM_ENV)
    assert transport.label == "winrm://aadc01.contoso.com:5986"
    assert fake.connections == [{**transports.winrm_options("aadc01.contoso.com:5986", WINRM_ENV)}]
    assert fake.opened == 0  # nothing is opened before the first script
    assert transport.run("Get-ADSyncScheduler") == "ran 19\n2"
    assert transport.run("x") == "ran 1\n2"
    # The script as written, not wrapped in Invoke-Expression and Out-String; the language mode once.
    assert fake.pipelines == [[cmdlets.LANGUAGE_MODE], ["Get-ADSyncScheduler"], ["x"]]
    assert (fake.opened, fake.closed) == (1, 0)
    transport.close()
    transport.close()
    assert fake.closed == 1
    # Dropped without close: its runspace is closed all the same.
    dropped = transports.WinRM("aadc02", WINRM_ENV)
    dropped.run("x")
    del dropped
    gc.collect()
    assert (fake.opened, fake.closed) == (2, 2)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        # A non-terminating error: the pipeline completes, its error record fails the step all the same.
        (([], [ErrorRecord("Remove-ADSyncRule : Access is denied.")], False), "Remove-ADSyncRule : Access is denied."),
        (
            (["{}"], [ErrorRecord("first"), ErrorRecord("Set-ADSyncScheduler : Sync is\r\n in progress.")], True),
            "Set-ADSyncScheduler : Sync is in progress.",
        ),
        (([], [], True), "the script failed"),
        (([], [ErrorRecord("")], False), "an error record without a message"),
    ],
)
def test_winrm_any_error_record_fails_the_step(
    monkeypatch: pytest.MonkeyPatch, answer: tuple[list[Any], list[Any], bool], message: str
) -> None:
    FakePypsrp(lambda _script: answer).install(monkeypatch.setitem)
    transport = transports.WinRM("aadc01.contoso.com", WINRM_ENV)
    with pytest.raises(transports.TransportError) as exc:
        transport.run("Set-ADSyncScheduler -SyncCycleEnabled $false")
    assert str(exc.value) == f"winrm://aadc01.contoso.com: {message}"


def test_winrm_connection_failures_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_script: str) -> Any:
        raise ConnectionError("WinRM refused the connection")

    FakePypsrp(refuse).install(monkeypatch.setitem)
    with pytest.raises(transports.TransportError) as exc:
        transports.WinRM("aadc01", WINRM_ENV).run("x")
    assert str(exc.value) == "winrm://aadc01: ConnectionError: WinRM refused the connection"


def test_winrm_without_the_extra_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypsrp.powershell", None)
    with pytest.raises(UserError, match=r"needs the winrm extra"):
        transports.WinRM("aadc01", WINRM_ENV)


def test_apply_over_winrm_uses_one_runspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole apply through the fake pypsrp answering from the simulator: one runspace, each step
    journaled as its line arrives."""
    truth = InMemoryServer(defaults.new_server("srv1", "1.5.30.0"))
    plan = make_plan(truth, state())
    answerer = fakes.Answerer(truth)
    fake = fakes.simulator_pypsrp(answerer)
    fake.install(monkeypatch.setitem)
    transport = transports.WinRM("aadc01", WINRM_ENV)
    server = powershell.PowerShellServer(transport, "srv1", "AzureCommercial")
    journal = Journal("srv1", tmp_path)
    arrived: list[int] = []

    class Watching(Journal):
        def record(self, event: str, run_id: str, **fields: Any) -> None:
            arrived.append(fake.polls)
            super().record(event, run_id, **fields)

    watching = Watching("srv1", tmp_path)
    outcomes = Executor(server, watching, Settings(wait_timeout=0)).run(plan)
    transport.close()
    assert [o.result for o in outcomes] == ["done"] * len(plan.actions)
    # The language mode, the observe, the plan's script: one runspace, one module load.
    assert (fake.opened, fake.closed, len(fake.pipelines)) == (1, 1, 3)
    assert (answerer.counts.sessions, answerer.counts.module_loads, answerer.counts.state_reads) == (1, 1, 2)
    # Journaled as the lines arrived, not once the script had ended.
    assert arrived[1:-1] == sorted(arrived[1:-1]) and len(set(arrived[1:-1])) == len(arrived) - 2
    assert journal.path.exists()


def test_winrm_says_constrained_language_mode_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePypsrp(lambda _script: (["{}"], [], False), language_mode="ConstrainedLanguage")
    fake.install(monkeypatch.setitem)
    transport = transports.WinRM("aadc01", WINRM_ENV)
    for _ in range(2):  # found once, said for every script, none of which is sent
        with pytest.raises(transports.TransportError) as exc:
            transport.run("Get-ADSyncScheduler")
        assert str(exc.value).startswith("winrm://aadc01: PowerShell runs in ConstrainedLanguage mode here")
    assert fake.pipelines == [[cmdlets.LANGUAGE_MODE]]


def test_a_live_script_reads_the_rules_once_and_imports_the_module_once(tmp_path: Path) -> None:
    """Every rule lookup of a step goes through one cached read, emptied only by a step that wrote a
    rule; the module is imported once at the top (the collector's import after it is a no-op)."""
    plan, executor, _, transport, _ = live_apply("1.5.30.0", state(), tmp_path)
    executor.run(plan)
    steps, _, collector = transport.sent[1].partition("$observedState = ")
    assert re.findall(r"Get-ADSyncRule(?! -Identifier)\b", steps) == ["Get-ADSyncRule"]
    assert "$Run.Rules = @(Get-ADSyncRule)" in steps
    assert steps.count("Import-Module ADSync") == 1 and collector.count("Import-Module ADSync") == 1
    assert steps.count("if ($Run.Changed) { $Run.Rules = $null }") == sum(
        1 for a in plan.actions if a.kind in ("CreateSyncRule", "UpdateSyncRule", "RemoveSyncRule", "DisableSyncRule")
    )


@pytest.mark.skipif(os.name != "posix", reason="a stand-in powershell.exe written as a POSIX script")
def test_local_powershell_gives_each_line_as_it_arrives(tmp_path: Path) -> None:
    """Lines reach the caller while the script still runs: the stand-in waits for the first to be seen."""
    seen = tmp_path / "seen"
    executable = tmp_path / "powershell"
    executable.write_text(
        f"#!{sys.executable}\n"
        "import os, sys, time\n"
        "print('first', flush=True)\n"
        f"while not os.path.exists({str(seen)!r}):\n"
        "    time.sleep(0.01)\n"
        "print('second', flush=True)\n"
        "sys.stderr.write('Step 2: Access is denied.\\r\\n')\n"
        "sys.exit(1)\n",
        encoding="utf-8",
    )
    executable.chmod(0o755)
    lines: list[str] = []

    def arrived(line: str) -> None:
        lines.append(line.strip())
        seen.touch()

    with pytest.raises(transports.TransportError, match=r"^powershell: Step 2: Access is denied\.$"):
        transports.LocalPowerShell(str(executable)).stream("Get-ADSyncScheduler", arrived, timeout=30)
    assert lines == ["first", "second"]


def test_the_collectors_last_sync_cycle_reads_back() -> None:
    """The shape Get-LastSyncCycle writes (its result, kind, UTC end and errors by ErrorType) is the
    observed state's lastSyncCycle: a staged rollout takes its end time."""
    script = powershell.shipped_script("Collect-ADSyncObservedState.ps1")
    assert "Get-ADSyncRunProfileResult -NumberRequested 100" in script
    assert "-RunHistoryId $run.RunHistoryId -RunStepDetails" in script
    assert "'yyyy-MM-ddTHH:mm:ssZ'" in script and "Group-Object -Property ErrorType" in script
    sample = json.loads((Path(__file__).parent.parent / "fixtures" / "collector-sample.json").read_text("utf-8"))
    sample["lastSyncCycle"] = {
        "result": "completed-export-errors",
        "kind": "delta",
        "endedAt": "2026-12-06T05:40:12Z",
        "exportErrors": [{"type": "dn-attributes-failure", "count": 3}],
    }
    cycle = observed.loads(json.dumps(sample), "collector").last_sync_cycle
    assert cycle is not None and cycle.ended_at == "2026-12-06T05:40:12Z" and not cycle.has_real_errors


def test_a_stop_asked_for_mid_script_ends_it_before_its_next_step(tmp_path: Path) -> None:
    """Ctrl-C on a fleet run: the script stops before its next step, its `finally` turns the
    scheduler back on, and the run ends interrupted with each step it did journaled."""
    truth = InMemoryServer(defaults.new_server("srv1", "1.5.30.0"))
    plan = make_plan(truth, state())

    class StopAfterTwo(Listener):
        def finished(self, server: str, action: Any, *, index: int, total: int, result: str, seconds: float) -> None:
            if index == 2:
                self.stop.set()

    transport = fakes.SimTransport(fakes.Answerer(truth))
    journal = Journal("srv1", tmp_path)
    executor = Executor(
        powershell.PowerShellServer(transport, "srv1", "AzureCommercial"),
        journal,
        Settings(wait_timeout=0, listener=StopAfterTwo()),
    )
    with pytest.raises(Stopped):
        executor.run(plan)
    events = [json.loads(line) for line in journal.path.read_text(encoding="utf-8").splitlines()]
    assert [(e["event"], e.get("result")) for e in events] == [
        ("run-start", None), ("action", "done"), ("action", "done"), ("scheduler-restored", None),
        ("run-end", "interrupted"),
    ]  # fmt: skip
    assert truth.observe().scheduler.sync_cycle_enabled is True
    assert truth.observe().registry.export_api_version != 2  # the third step never ran


@pytest.mark.skipif(os.name != "posix", reason="a stand-in powershell.exe written as a POSIX script")
def test_local_powershell_tells_a_running_script_to_stop_through_its_stop_file(tmp_path: Path) -> None:
    executable = tmp_path / "powershell"
    executable.write_text(
        f"#!{sys.executable}\n"
        "import os, sys, time\n"
        "print('step 1 done', flush=True)\n"
        f"stop = os.environ[{cmdlets.STOP_FILE_VARIABLE!r}]\n"
        "for _ in range(1000):\n"
        "    if os.path.exists(stop):\n"
        f"        sys.stderr.write({cmdlets.STOPPED!r} + '\\r\\n'); sys.exit(1)\n"
        "    time.sleep(0.01)\n"
        "print('not stopped', flush=True)\n",
        encoding="utf-8",
    )
    executable.chmod(0o755)
    stop = threading.Event()
    lines: list[str] = []

    def arrived(line: str) -> None:
        lines.append(line.strip())
        stop.set()

    with pytest.raises(transports.TransportError, match=f"^powershell: {re.escape(cmdlets.STOPPED)}$"):
        transports.LocalPowerShell(str(executable)).stream("x", arrived, timeout=30, stop=stop)
    assert lines == ["step 1 done"]
    assert not list(Path(tempfile.gettempdir()).glob("adsync-reconciler-*.stop"))  # removed afterwards


def test_winrm_stops_the_pipeline_when_a_stop_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = threading.Event()
    fake = FakePypsrp(lambda _script: (["line 1", "line 2", "line 3"], [], False))
    fake.install(monkeypatch.setitem)
    seen: list[str] = []

    def arrived(line: str) -> None:
        seen.append(line)
        stop.set()

    with pytest.raises(transports.TransportError, match=re.escape(cmdlets.STOPPED)):
        transports.WinRM("aadc01", WINRM_ENV).stream("x", arrived, stop=stop)
    assert (seen, fake.stopped) == (["line 1"], 1)


def test_a_live_script_is_ascii_and_puts_the_final_state_on_one_line(tmp_path: Path) -> None:
    plan, executor, _, transport, _ = live_apply("1.5.30.0", state(), tmp_path)
    executor.run(plan)
    script = transport.sent[1]
    assert script.isascii() and "\r" not in script
    assert f"'{cmdlets.STATE_MARK}' + (($observedState -join ' ') -replace '[\\r\\n]+', ' ')" in script
