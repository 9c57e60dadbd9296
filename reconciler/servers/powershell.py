"""Live servers: the `powershell` and `winrm://HOST` targets (docs/targets.md).

`PowerShellServer` turns each server operation into a script of real cmdlets, all written by
`reconciler.cmdlets`, and observes with the shipped collector script; a `Transport`
(`reconciler.servers.transports`) runs the script. So apply drives a live server through the very
operations it uses on the simulator, with the very cmdlet lines `plan --output powershell` prints.
"""

from __future__ import annotations

from importlib import resources

from reconciler import cmdlets
from reconciler.model import observed
from reconciler.model.observed import ObservedState, SyncRule
from reconciler.servers.transports import Transport

DEFAULT_CLOUD = "AzureCommercial"
COLLECTOR = "Collect-ADSyncObservedState.ps1"


def shipped_script(name: str) -> str:
    """One of the PowerShell scripts that ship with the tool (servers/scripts/)."""
    return (resources.files("reconciler.servers") / "scripts" / name).read_text(encoding="utf-8")


def collector_script(name: str, cloud: str) -> str:
    """The shipped collector, run as a script block with its parameters (no file on the server)."""
    return cmdlets.script_block_call(shipped_script(COLLECTOR), {"Name": name, "Cloud": cloud})


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
        return self.transport.run("\n".join([*cmdlets.PREAMBLE, *lines]) + "\n")

    def observe(self) -> ObservedState:
        output = self.transport.run(collector_script(self._name, self._cloud or DEFAULT_CLOUD))
        state = observed.loads(output, self.transport.label)
        if self._cloud is None:
            # A server does not know its tenant's cloud: the state file says it; without one, it is unknown.
            state = state.replace(unobserved=(*(state.unobserved or ()), "server.cloud"))
        return state

    def set_sync_cycle_enabled(self, enabled: bool) -> None:
        self._run([cmdlets.set_scheduler(enabled)])

    def _api_version(self, direction: str, version: int) -> None:
        parameters_key = cmdlets.quote(cmdlets.PARAMETERS_KEY)
        self._run([*cmdlets.import_connector_module(parameters_key), cmdlets.set_api_version(direction, version)])

    def set_export_api_version(self, version: int) -> None:
        self._api_version("export", version)

    def set_import_api_version(self, version: int) -> None:
        self._api_version("import", version)

    def add_rule(self, rule: SyncRule) -> None:
        self._run(cmdlets.create_rule(rule))

    def remove_rule(self, identifier: str) -> None:
        self._run([cmdlets.remove_rule(cmdlets.quote(identifier))])

    def set_rule_disabled(self, identifier: str, disabled: bool) -> None:
        self._run([f"$rule = {cmdlets.get_rule(identifier)}", *cmdlets.set_rule_disabled("$rule", disabled)])

    def set_connector_override(self, connector_name: str, full_sync_required: bool) -> None:
        self._run([cmdlets.set_connector_override(connector_name, full_sync_required)])
