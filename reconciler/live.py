"""Live servers: the `powershell` and `winrm://HOST` targets.

Everything a live server is asked goes through one small interface, a `Transport` that runs a
PowerShell script and returns its output. `PowerShellServer` turns each server operation into a
script of real cmdlets (`reconciler.psscript`) and observes with the shipped collector script,
so apply drives a live server through the very operations it uses on the simulator.

- `powershell`: on the Entra Connect server itself (e.g. a scheduled task), through
  `powershell.exe -NoProfile -NonInteractive -Command -`;
- `winrm://HOST[:PORT]`: through WinRM/PSRP with pypsrp (the `winrm` extra). Credentials and
  options come from the environment only, never the command line or logs:
  RECONCILER_WINRM_USERNAME, RECONCILER_WINRM_PASSWORD, RECONCILER_WINRM_AUTH (negotiate,
  kerberos, ntlm, credssp, basic, certificate; default negotiate), RECONCILER_WINRM_SSL (default
  true), RECONCILER_WINRM_CERT_VALIDATION (default true).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from importlib import resources
from typing import Any, Protocol

from reconciler import observed
from reconciler.errors import UserError
from reconciler.observed import ObservedState, SyncRule
from reconciler.psscript import PARAMETERS_KEY, boolean, create_rule, quote

SCRIPT_TIMEOUT_SECONDS = 600
PREAMBLE = ["$ErrorActionPreference = 'Stop'", "Import-Module ADSync"]
DEFAULT_CLOUD = "AzureCommercial"


class TransportError(UserError):
    """The script could not run, or failed on the server."""


class Transport(Protocol):
    label: str

    def run(self, script: str) -> str:
        """Run `script`; its output stream as text. Raises TransportError."""
        ...


class LocalPowerShell:
    """Windows PowerShell on this machine: the target for a scheduled task on the server itself."""

    label = "powershell"

    def __init__(self, executable: str | None = None) -> None:
        found = executable or shutil.which("powershell.exe") or shutil.which("powershell")
        if found is None:
            raise UserError(
                "the powershell target runs on the Entra Connect server itself, and this machine has no "
                "powershell.exe; from elsewhere use winrm://HOST, or a snapshot"
            )
        self.executable = found

    def run(self, script: str) -> str:
        argv = [self.executable, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", "-"]
        try:
            done = subprocess.run(
                argv, input=script, capture_output=True, text=True, encoding="utf-8",
                timeout=SCRIPT_TIMEOUT_SECONDS, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise TransportError(f"powershell: no answer within {SCRIPT_TIMEOUT_SECONDS} s") from None
        except OSError as exc:
            raise TransportError(f"powershell: cannot start {self.executable}: {exc.strerror}") from None
        if done.returncode != 0:
            raise TransportError(f"powershell: {_last_line(done.stderr) or f'exit code {done.returncode}'}")
        return done.stdout


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise UserError(f"{name}={raw!r}: expected true or false")


WINRM_AUTH = ("negotiate", "kerberos", "ntlm", "credssp", "basic", "certificate")


def winrm_options(host: str, env: Mapping[str, str]) -> dict[str, Any]:
    """pypsrp Client keyword arguments, from the environment (never from the command line)."""
    auth = env.get("RECONCILER_WINRM_AUTH") or "negotiate"
    if auth not in WINRM_AUTH:
        raise UserError(f"RECONCILER_WINRM_AUTH={auth!r}: expected one of {', '.join(WINRM_AUTH)}")
    username, password = env.get("RECONCILER_WINRM_USERNAME"), env.get("RECONCILER_WINRM_PASSWORD")
    if auth not in ("kerberos", "certificate") and not (username and password):
        raise UserError(
            f"winrm://{host}: set RECONCILER_WINRM_USERNAME and RECONCILER_WINRM_PASSWORD "
            "(or RECONCILER_WINRM_AUTH=kerberos)"
        )
    server, _, port = host.partition(":")
    options: dict[str, Any] = {
        "server": server,
        "auth": auth,
        "ssl": _flag(env, "RECONCILER_WINRM_SSL", True),
        "cert_validation": _flag(env, "RECONCILER_WINRM_CERT_VALIDATION", True),
    }
    if username:
        options["username"] = username
    if password:
        options["password"] = password
    if port:
        if not port.isdigit():
            raise UserError(f"winrm://{host}: the port must be a number")
        options["port"] = int(port)
    return options


class WinRM:
    """A remote server through PowerShell Remoting (pypsrp)."""

    def __init__(self, host: str, env: Mapping[str, str] | None = None) -> None:
        options = winrm_options(host, os.environ if env is None else env)
        try:
            from pypsrp.client import Client  # noqa: PLC0415 - the optional winrm extra
        except ImportError:
            raise UserError(
                "the winrm:// target needs the winrm extra: pip install 'adsync-reconciler[winrm]'"
            ) from None
        self.label = f"winrm://{host}"
        server = options.pop("server")
        self.client = Client(server, **options)

    def run(self, script: str) -> str:
        try:
            output, streams, had_errors = self.client.execute_ps(script)
        except Exception as exc:  # pypsrp raises many kinds (network, auth, WSMan faults)
            raise TransportError(f"{self.label}: {type(exc).__name__}: {exc}") from None
        if had_errors:
            errors = [str(e) for e in getattr(streams, "error", [])]
            raise TransportError(f"{self.label}: {errors[-1] if errors else 'the script reported errors'}")
        return str(output)


def collector_script(name: str, cloud: str) -> str:
    """The shipped collector, run as a script block with its parameters (no file on the server)."""
    text = (resources.files("reconciler") / "powershell" / "Collect-ADSyncObservedState.ps1").read_text(
        encoding="utf-8"
    )
    # #Requires applies to script files; in a script block it would be an error. Elevation is the
    # transport's business (an elevated scheduled task, or a WinRM session of an administrator).
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#Requires"))
    return f"& {{\n{body}\n}} -Name {quote(name)} -Cloud {quote(cloud)}\n"


class PowerShellServer:
    """A live server: the Server operations as scripts of real cmdlets."""

    def __init__(self, transport: Transport, name: str, cloud: str | None) -> None:
        self.transport = transport
        self._name = name
        self._cloud = cloud

    @property
    def name(self) -> str:
        return self._name

    def _run(self, lines: list[str]) -> str:
        return self.transport.run("\n".join([*PREAMBLE, *lines]) + "\n")

    def observe(self) -> ObservedState:
        output = self.transport.run(collector_script(self._name, self._cloud or DEFAULT_CLOUD))
        state = observed.loads(output, self.transport.label)
        if self._cloud is None:
            # A server does not know its tenant's cloud: the state file says it; without one, it is unknown.
            state = state.replace(unobserved=(*(state.unobserved or ()), "server.cloud"))
        return state

    def set_sync_cycle_enabled(self, enabled: bool) -> None:
        self._run([f"Set-ADSyncScheduler -SyncCycleEnabled {boolean(enabled)}"])

    def _api_version(self, direction: str, version: int) -> None:
        self._run(
            [
                f"$installPath = (Get-ItemProperty -LiteralPath {quote(PARAMETERS_KEY)} -Name Path).Path",
                "Import-Module (Join-Path $installPath 'Extensions\\AADConnector.psm1')",
                f"Set-ADSyncAADConnector{direction}ApiVersion {int(version)}",
            ]
        )

    def set_export_api_version(self, version: int) -> None:
        self._api_version("Export", version)

    def set_import_api_version(self, version: int) -> None:
        self._api_version("Import", version)

    def add_rule(self, rule: SyncRule) -> None:
        # Add-ADSyncRule cannot change flows of an existing rule: it is written anew, same identifier.
        self._run(
            [
                f"if (Get-ADSyncRule -Identifier {quote(rule.identifier)} -ErrorAction SilentlyContinue) {{",
                f"    Remove-ADSyncRule -Identifier {quote(rule.identifier)}",
                "}",
                *create_rule(rule),
            ]
        )

    def remove_rule(self, identifier: str) -> None:
        self._run([f"Remove-ADSyncRule -Identifier {quote(identifier)}"])

    def set_rule_disabled(self, identifier: str, disabled: bool) -> None:
        self._run(
            [
                f"$rule = Get-ADSyncRule -Identifier {quote(identifier)}",
                f"$rule.Disabled = {boolean(disabled)}",
                "$rule | Add-ADSyncRule | Out-Null",
            ]
        )

    def set_connector_override(self, connector_name: str, full_sync_required: bool) -> None:
        self._run(
            [
                f"Set-ADSyncSchedulerConnectorOverride -FullSyncRequired {boolean(full_sync_required)} "
                f"-ConnectorName {quote(connector_name)}"
            ]
        )
