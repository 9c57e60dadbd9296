"""The operations a server offers, whatever it is: the simulator, a file, or a real one over PowerShell,
and the target (`--target`) that opens one.

Each operation maps to the real cmdlets (docs/domain.md#cmdlets); apply drives every target through
this interface only. A server that says no raises `reconciler.errors.Refused`. These are interfaces
for type checkers: modules import them under `if TYPE_CHECKING:`, as no class inherits from them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from reconciler.model.desired import DesiredState
from reconciler.model.observed import ObservedState, SyncRule


class Server(Protocol):
    @property
    def name(self) -> str: ...

    def observe(self) -> ObservedState:
        """Get-ADSyncScheduler, Get-ADSyncRule, Get-ADSyncConnector, the registry, ..."""
        ...

    def set_sync_cycle_enabled(self, enabled: bool) -> None:
        """Set-ADSyncScheduler -SyncCycleEnabled."""
        ...

    def set_export_api_version(self, version: int) -> None:
        """Set-ADSyncAADConnectorExportApiVersion (also sets the connector's export-type)."""
        ...

    def set_import_api_version(self, version: int) -> None:
        """Set-ADSyncAADConnectorImportApiVersion."""
        ...

    def add_rule(self, rule: SyncRule) -> None:
        """Add-ADSyncRule: creates the rule, or replaces the one with the same identifier."""
        ...

    def remove_rule(self, identifier: str) -> None:
        """Remove-ADSyncRule -Identifier."""
        ...

    def set_rule_disabled(self, identifier: str, disabled: bool) -> None:
        """$r = Get-ADSyncRule -Identifier ...; $r.Disabled = ...; $r | Add-ADSyncRule."""
        ...

    def set_connector_override(self, connector_name: str, full_sync_required: bool) -> None:
        """Set-ADSyncSchedulerConnectorOverride -ConnectorName ... -FullSyncRequired ..."""
        ...


class ScriptServer(Server, Protocol):
    """A live server, where each session costs seconds: a whole plan runs as one script."""

    def run_plan_script(
        self,
        script: str,
        on_event: Callable[[dict[str, Any]], None],
        on_state: Callable[[ObservedState], None],
        timeout: float,
        stop: threading.Event | None = None,
    ) -> None:
        """Run a plan's guarded script (`reconciler.planning.scripts.live`) and observe the server
        after it, in one session: each step's event as it arrives, then the state it left. Raises
        `reconciler.errors.UserError` when the script failed, after both. Once `stop` is set, the
        script stops before its next step."""
        ...


class Target(Protocol):
    @property
    def writable(self) -> bool: ...

    @property
    def simulated(self) -> bool:
        """Its servers are the embedded simulator's: every output about them says so."""
        ...

    @property
    def one_machine(self) -> bool:
        """The same machine whatever the state file (powershell, one winrm://HOST)."""
        ...

    def label(self, name: str) -> str:
        """How messages name the server `name` of this target."""
        ...

    def key(self, name: str) -> str:
        """The target as history knows it (journal, lock): the same wherever the command runs from."""
        ...

    def open(self, desired: DesiredState) -> Server:
        """The server a state file is planned against."""
        ...

    def observe_existing(self, name: str | None) -> ObservedState:
        """What an existing server looks like (nothing is created for this); `name` may be unknown."""
        ...
