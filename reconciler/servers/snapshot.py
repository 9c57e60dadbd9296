"""Servers known from a file: a snapshot the collector script wrote, or any observed state.

Such a server can be observed and refuses every change (docs/targets.md#read-only-targets).
"""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import Refused
from reconciler.formats import files, jsontext
from reconciler.model import observed
from reconciler.model.observed import ObservedState, SyncRule

# A snapshot of 100,000 groups is about 8 MB; far beyond any server's is not a snapshot.
MAX_SNAPSHOT_BYTES = 256 << 20


def read(path: Path) -> ObservedState:
    missing = "no such snapshot (run the collector script on the server)"
    data = files.read_bytes(path, MAX_SNAPSHOT_BYTES, str(path), missing=missing)
    # PowerShell 5.1's Out-File -Encoding utf8 writes a BOM, its > writes UTF-16.
    return observed.loads(jsontext.decode(data, str(path)), str(path))


class ReadOnlyServer:
    """A server known from a file: it can be observed, and refuses every change."""

    def __init__(self, state: ObservedState, label: str) -> None:
        self._state = state
        self._label = label

    @property
    def name(self) -> str:
        return self._state.server.name

    def observe(self) -> ObservedState:
        return self._state

    def _refuse(self) -> None:
        raise Refused(
            f"{self._label} is read-only: plan with --output powershell and run the script on the server, "
            "or use the powershell or winrm:// target"
        )

    def set_sync_cycle_enabled(self, enabled: bool) -> None:
        self._refuse()

    def set_export_api_version(self, version: int) -> None:
        self._refuse()

    def set_import_api_version(self, version: int) -> None:
        self._refuse()

    def add_rule(self, rule: SyncRule) -> None:
        self._refuse()

    def remove_rule(self, identifier: str) -> None:
        self._refuse()

    def set_rule_disabled(self, identifier: str, disabled: bool) -> None:
        self._refuse()

    def set_connector_override(self, connector_name: str, full_sync_required: bool) -> None:
        self._refuse()
