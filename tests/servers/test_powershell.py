"""Live targets at the transport boundary: scripts sent, recorded outputs replayed."""

from __future__ import annotations

import gc
import json
import os
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler import cmdlets
from reconciler.errors import UserError
from reconciler.model import observed, syncrules
from reconciler.model.observed import ObservedState
from reconciler.running.executor import Executor, Settings
from reconciler.running.journal import Journal
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
        assert script.startswith("\n".join(cmdlets.PREAMBLE) + "\n")
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


class FakePypsrp:
    """pypsrp's WSMan, RunspacePool and PowerShell, as modules: each script is answered by `answer`.

    `answer(script)` returns the output objects, the error records and whether the pipeline failed."""

    def __init__(self, answer: Any, language_mode: str = "FullLanguage") -> None:
        self.answer = answer
        self.language_mode = language_mode
        self.connections: list[dict[str, Any]] = []
        self.opened = 0
        self.closed = 0
        self.pipelines: list[list[str]] = []
        fake = self

        class WSMan:
            def __init__(self, server: str, **options: Any) -> None:
                fake.connections.append({"server": server, **options})

        class RunspacePool:
            def __init__(self, connection: WSMan) -> None:
                self.connection = connection

            def open(self) -> None:
                fake.opened += 1

            def close(self) -> None:
                fake.closed += 1

        class Streams:
            def __init__(self) -> None:
                self.error: list[Any] = []

        class PowerShell:
            def __init__(self, pool: RunspacePool) -> None:
                self.scripts: list[str] = []
                self.streams = Streams()
                self.had_errors = False
                fake.pipelines.append(self.scripts)

            def add_script(self, script: str) -> PowerShell:
                self.scripts.append(script)
                return self

            def invoke(self) -> list[Any]:
                if self.scripts == [cmdlets.LANGUAGE_MODE]:
                    return [fake.language_mode]
                output, self.streams.error, self.had_errors = fake.answer(self.scripts[0])
                return list(output)

            def close(self) -> None:
                pass

        self.modules = {
            "pypsrp": types.ModuleType("pypsrp"),
            "pypsrp.wsman": types.ModuleType("pypsrp.wsman"),
            "pypsrp.powershell": types.ModuleType("pypsrp.powershell"),
        }
        self.modules["pypsrp.wsman"].WSMan = WSMan  # type: ignore[attr-defined]
        self.modules["pypsrp.powershell"].RunspacePool = RunspacePool  # type: ignore[attr-defined]
        self.modules["pypsrp.powershell"].PowerShell = PowerShell  # type: ignore[attr-defined]

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name, module in self.modules.items():
            monkeypatch.setitem(sys.modules, name, module)


WINRM_ENV = {"RECONCILER_WINRM_USERNAME": "u", "RECONCILER_WINRM_PASSWORD": "p"}


class ErrorRecord:
    """What pypsrp gives for an error record: its ToString() as str()."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def test_winrm_runs_each_script_as_its_own_pipeline_in_one_runspace(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePypsrp(lambda script: ([f"ran {len(script)}", 2], [], False))
    fake.install(monkeypatch)
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
    FakePypsrp(lambda _script: answer).install(monkeypatch)
    transport = transports.WinRM("aadc01.contoso.com", WINRM_ENV)
    with pytest.raises(transports.TransportError) as exc:
        transport.run("Set-ADSyncScheduler -SyncCycleEnabled $false")
    assert str(exc.value) == f"winrm://aadc01.contoso.com: {message}"


def test_winrm_connection_failures_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_script: str) -> Any:
        raise ConnectionError("WinRM refused the connection")

    FakePypsrp(refuse).install(monkeypatch)
    with pytest.raises(transports.TransportError) as exc:
        transports.WinRM("aadc01", WINRM_ENV).run("x")
    assert str(exc.value) == "winrm://aadc01: ConnectionError: WinRM refused the connection"


def test_winrm_without_the_extra_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypsrp.powershell", None)
    with pytest.raises(UserError, match=r"needs the winrm extra"):
        transports.WinRM("aadc01", WINRM_ENV)


def test_apply_over_winrm_uses_one_runspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole apply through the fake pypsrp, answered from a recorded session: one runspace."""
    _, session, plan = record("1.5.30.0", state(), tmp_path)
    replay = Replay(list(session))
    fake = FakePypsrp(lambda script: ([replay.run(script)], [], False))
    fake.install(monkeypatch)
    transport = transports.WinRM("aadc01", WINRM_ENV)
    server = powershell.PowerShellServer(transport, "srv1", "AzureCommercial")
    outcomes = Executor(server, Journal("srv1", tmp_path), Settings(wait_timeout=0)).run(plan)
    transport.close()
    assert [o.result for o in outcomes] == ["done"] * len(plan.actions)
    assert replay.record == []
    assert (fake.opened, fake.closed, len(fake.pipelines)) == (1, 1, 1 + len(session))


def test_winrm_says_constrained_language_mode_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePypsrp(lambda _script: (["{}"], [], False), language_mode="ConstrainedLanguage")
    fake.install(monkeypatch)
    transport = transports.WinRM("aadc01", WINRM_ENV)
    for _ in range(2):  # found once, said for every script, none of which is sent
        with pytest.raises(transports.TransportError) as exc:
            transport.run("Get-ADSyncScheduler")
        assert str(exc.value).startswith("winrm://aadc01: PowerShell runs in ConstrainedLanguage mode here")
    assert fake.pipelines == [[cmdlets.LANGUAGE_MODE]]
