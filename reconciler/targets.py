"""Where a command observes and changes a server: `--target` or RECONCILER_TARGET (DESIGN §4).

    sim | sim:FILE.json | sim:DIR/        the embedded simulator (default .reconciler/sim/<name>.json)
    snapshot:FILE.json | snapshot:DIR/    observed state written by the collector script (read-only)
    export:DIR                            a Get-ADSyncServerConfiguration export folder (read-only)
    powershell                            this machine, the Entra Connect server itself (reconciler.live)
    winrm://HOST[:PORT]                   a remote server through WinRM/PSRP (reconciler.live); for a
                                          fleet, {name} in HOST stands for each server's metadata.name

A folder target maps each state file's metadata.name to DIR/<name>.json, so one run covers a
fleet. Read-only targets plan (and write PowerShell); applying to them is refused.
"""

from __future__ import annotations

import os
import socket
import typing
from dataclasses import dataclass
from pathlib import Path

from reconciler import observed, versions
from reconciler.desired import DesiredState
from reconciler.errors import UserError
from reconciler.observed import ObservedState, SyncRule
from reconciler.server import Refused, Server
from reconciler.simulator import SimulatedServer, defaults

if typing.TYPE_CHECKING:
    from reconciler import live

ENV_VAR = "RECONCILER_TARGET"
DEFAULT = "sim"
DEFAULT_SIM_FOLDER = Path(".reconciler") / "sim"
KNOWN = "sim, sim:FILE.json, sim:DIR/, snapshot:FILE.json, snapshot:DIR/, export:DIR, powershell or winrm://HOST"


@dataclass(frozen=True)
class FileTarget:
    """Observed-state JSON files: one file, or a folder of them named after each server."""

    kind: str  # sim | snapshot
    file: Path | None = None
    folder: Path | None = None

    @property
    def writable(self) -> bool:
        return self.kind == "sim"

    def path_for(self, name: str | None) -> Path:
        if self.file is not None:
            return self.file
        assert self.folder is not None
        if not name:
            raise UserError(f"the target is a folder of servers ({self.folder}); name one with --name")
        return self.folder / f"{name}.json"

    def label(self, name: str) -> str:
        return f"{self.kind}:{self.path_for(name)}"


@dataclass(frozen=True)
class ExportTarget:
    folder: Path
    writable = False

    def label(self, _name: str) -> str:
        return f"export:{self.folder}"


@dataclass(frozen=True)
class LiveTarget:
    """A real server, changed through PowerShell: locally, or over WinRM when `host` is set."""

    host: str | None = None
    writable = True

    def host_for(self, name: str) -> str | None:
        # winrm://{name}.corp.contoso.com maps each state file's metadata.name to its host.
        return None if self.host is None else self.host.replace("{name}", name)

    def label(self, name: str) -> str:
        return f"winrm://{self.host_for(name)}" if self.host else "powershell"

    def server(self, name: str, cloud: str | None) -> live.PowerShellServer:
        from reconciler import live  # the simulator, the usual target, needs none of this

        host = self.host_for(name)
        transport: live.Transport = live.WinRM(host) if host else live.LocalPowerShell()
        return live.PowerShellServer(transport, name, cloud)


Target = FileTarget | ExportTarget | LiveTarget


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


def _read_export(folder: Path, name: str) -> ObservedState:
    from reconciler import configexport  # XML parsing: loaded only for export targets

    return configexport.read(folder, name)


def read_snapshot(path: Path) -> ObservedState:
    try:
        text = path.read_text(encoding="utf-8-sig")  # PowerShell 5.1's Out-File -Encoding utf8 writes a BOM
    except FileNotFoundError:
        raise UserError(f"{path}: no such snapshot (run the collector script on the server)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the snapshot: {exc}") from None
    return observed.loads(text, str(path))


def observe_existing(target: Target, name: str | None) -> ObservedState:
    """What an existing server looks like (a simulated one is not created for this)."""
    if isinstance(target, ExportTarget):
        # An export does not name its server: its folder does, unless --name says otherwise.
        return _read_export(target.folder, name or target.folder.resolve().name)
    if isinstance(target, LiveTarget):
        # The collector's own default: the computer's name, in lower case.
        return target.server(name or socket.gethostname().split(".")[0].lower(), None).observe()
    path = target.path_for(name)
    if target.kind == "snapshot":
        return read_snapshot(path)
    return SimulatedServer(path).observe()


def open_server(target: Target, desired: DesiredState) -> Server:
    """The server a state file is planned against; a simulated one is created on first use."""
    if isinstance(target, ExportTarget):
        return ReadOnlyServer(_read_export(target.folder, desired.name), target.label(desired.name))
    if isinstance(target, LiveTarget):
        return target.server(desired.name, desired.cloud)
    path = target.path_for(desired.name)
    if target.kind == "snapshot":
        return ReadOnlyServer(read_snapshot(path), target.label(desired.name))
    server = SimulatedServer(path)
    if not server.file.exists():
        state = defaults.new_server(desired.name, versions.CURRENT_VERSION, desired.cloud, desired.connector_name)
        server.create(state, replace=False)
    return server


def parse(text: str | None) -> Target:
    """The target named on the command line, else in RECONCILER_TARGET, else `sim`."""
    spec = text if text is not None else os.environ.get(ENV_VAR) or DEFAULT
    kind, sep, rest = spec.partition(":")
    if kind == "sim" and not sep:
        return FileTarget("sim", folder=DEFAULT_SIM_FOLDER)
    if spec == "powershell":
        return LiveTarget()
    if kind == "winrm":
        host = rest.removeprefix("//").rstrip("/")
        if not rest.startswith("//") or not host:
            raise UserError(f"target {spec!r}: expected winrm://HOST or winrm://HOST:PORT")
        return LiveTarget(host)
    if kind in ("sim", "snapshot", "export") and not rest:
        raise UserError(f"target {kind}: needs a path, e.g. {kind}:{'DIR' if kind == 'export' else 'FILE.json'}")
    if kind == "export":
        return ExportTarget(Path(rest))
    if kind in ("sim", "snapshot"):
        path = Path(rest)
        if rest.endswith(("/", "\\")) or path.is_dir():
            return FileTarget(kind, folder=path)
        return FileTarget(kind, file=path)
    raise UserError(f"unknown target {spec!r}: this version supports {KNOWN}")


def sim_path(text: str | None, name: str | None) -> Path:
    """The simulator file a `sim …` command works on."""
    target = parse(text)
    if not isinstance(target, FileTarget) or target.kind != "sim":  # live servers are never "sim set"
        raise UserError(
            f"sim commands work on simulated servers: --target sim, sim:FILE.json or sim:DIR/, not {text!r}"
        )
    return target.path_for(name)
