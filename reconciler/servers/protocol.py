"""The operations a server offers, whatever it is: the simulator, a file, or a real one over PowerShell.

Each maps to the real cmdlets (docs/domain.md#cmdlets); apply drives every target through this
interface only. A server that says no raises `reconciler.errors.Refused`.
"""

from __future__ import annotations

from typing import Protocol

from reconciler.observed import ObservedState, SyncRule


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
