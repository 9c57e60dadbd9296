"""Live servers: the `powershell` and `winrm://HOST` targets (docs/targets.md).

`PowerShellServer` turns each server operation into a script of real cmdlets, all written by
`reconciler.cmdlets`, and observes with the shipped collector script; a `Transport`
(`reconciler.servers.transports`) runs the script. So apply drives a live server through the very
operations it uses on the simulator, with the very cmdlet lines `plan --output powershell` prints.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any

from reconciler import cmdlets
from reconciler.errors import UserError
from reconciler.model import observed
from reconciler.model.observed import ObservedState, SyncRule
from reconciler.servers.transports import SCRIPT_TIMEOUT_SECONDS, Transport

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
        return self._observed(output)

    def _observed(self, output: str) -> ObservedState:
        state = observed.loads(output, self.transport.label)
        if self._cloud is None:
            # A server does not know its tenant's cloud: the state file says it; without one, it is unknown.
            state = state.replace(unobserved=(*(state.unobserved or ()), "server.cloud"))
        return state

    def run_plan_script(
        self,
        script: str,
        on_event: Callable[[dict[str, Any]], None],
        on_state: Callable[[ObservedState], None],
        timeout: float = SCRIPT_TIMEOUT_SECONDS,
        stop: threading.Event | None = None,
    ) -> None:
        """A live apply in one session: `script` (a plan's steps, `reconciler.planning.scripts`),
        then the collector in the same session, whatever the script did. Each event line the script
        writes goes to `on_event` as it arrives, and the state it left to `on_state` (unless the
        collector could not read it); the script's own failure is raised after both."""
        collector = collector_script(self._name, self._cloud or DEFAULT_CLOUD).rstrip("\n")
        whole = "\n".join(
            [
                "try {",
                *cmdlets.indent(script.splitlines()),
                "}",
                "finally {",
                "    # The state the steps left, observed in the same session, on one line.",
                "    try {",
                f"        $observedState = {collector}",
                f"        '{cmdlets.STATE_MARK}' + (($observedState -join ' ') -replace '[\\r\\n]+', ' ')",
                "    }",
                "    catch {",
                "        Write-Warning ('The state after the steps could not be read: ' + $_.Exception.Message)",
                "    }",
                "}",
                "",
            ]
        )
        final: list[str] = []

        def line(text: str) -> None:
            text = text.strip()
            if text.startswith(cmdlets.EVENT_MARK):
                on_event(json.loads(text.removeprefix(cmdlets.EVENT_MARK)))
            elif text.startswith(cmdlets.STATE_MARK):
                final.append(text.removeprefix(cmdlets.STATE_MARK))

        try:
            self.transport.stream(whole, line, timeout, stop)
        finally:
            if final:
                # A damaged final state is not given: whoever needs one observes again.
                with contextlib.suppress(UserError):
                    on_state(self._observed(final[-1]))

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
