"""Where a command observes and changes a server: `--target` or RECONCILER_TARGET (docs/targets.md).

    sim | sim:FILE.json | sim:DIR/        the embedded simulator (default .reconciler/sim/<name>.json)
    snapshot:FILE.json | snapshot:DIR/    observed state written by the collector script (read-only)
    export:DIR                            a Get-ADSyncServerConfiguration export folder (read-only)
    powershell                            this machine, the Entra Connect server itself
    winrm://HOST[:PORT]                   a remote server through WinRM/PSRP; for a fleet, {name}
                                          in HOST stands for each server's metadata.name

Each kind of target is a class registered in `KINDS` under the word before its colon; adding a
target is a class and a line there. A folder target maps each state file's metadata.name to
DIR/<name>.json, so one run covers a fleet. Read-only targets plan (and write PowerShell);
applying to them is refused.

Each target also says what history it keeps (`key`: the journal's and the lock's name for it, a
file by its absolute path), whether its servers are simulated, and whether it is one machine
whatever the state file (`one_machine`: there, only the states that describe that machine apply).
A simulated server is made only by `sim init`, never on first use.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import options
from reconciler.errors import UserError
from reconciler.formats import files
from reconciler.model.desired import DesiredState
from reconciler.model.observed import ObservedState
from reconciler.servers import snapshot
from reconciler.servers.simulator import SimulatedServer

ENV_VAR = options.TARGET_ENV
DEFAULT = "sim"
DEFAULT_SIM_FOLDER = Path(".reconciler") / "sim"
KNOWN = options.KNOWN_TARGETS

if TYPE_CHECKING:  # interfaces only: the classes below have their methods without inheriting them
    from reconciler.servers.protocol import Server, Target


@dataclass(frozen=True, slots=True)
class _Files:
    """Observed-state JSON files: one file, or a folder of them named after each server."""

    file: Path | None = None
    folder: Path | None = None
    prefix = ""

    def path_for(self, name: str | None) -> Path:
        if self.file is not None:
            return self.file
        assert self.folder is not None
        if not name:
            raise UserError(f"the target is a folder of servers ({self.folder}); name one with --name")
        return self.folder / f"{files.server_name(name, str(self.folder))}.json"

    def label(self, name: str) -> str:
        return f"{self.prefix}:{self.path_for(name)}"

    def key(self, name: str) -> str:
        return f"{self.prefix}:{os.path.abspath(self.path_for(name))}"


@dataclass(frozen=True, slots=True)
class SimTarget(_Files):
    prefix = "sim"
    writable = True
    simulated = True
    one_machine = False

    def open(self, desired: DesiredState) -> Server:
        """The simulated server `sim init` made; none is ever invented here."""
        path = self.path_for(desired.name)
        server = SimulatedServer(path)
        if not server.file.exists():
            raise UserError(
                f"{self.label(desired.name)}: no simulated server; make one first: {self.init_command(desired)}"
            )
        return server

    def init_command(self, desired: DesiredState) -> str:
        """The `sim init` that makes the server a state file describes here."""
        where = "" if self.folder == DEFAULT_SIM_FOLDER else f" --target {shlex.quote(self.label(desired.name))}"
        extra = "" if desired.host is None else f" --host {shlex.quote(desired.host)}"
        if desired.cloud != "AzureCommercial":
            extra += f" --cloud {desired.cloud}"
        if desired.connector_name is not None:
            extra += f" --connector-name {shlex.quote(desired.connector_name)}"
        return f"reconciler sim init{where} --name {desired.name}{extra}"

    def observe_existing(self, name: str | None) -> ObservedState:
        return SimulatedServer(self.path_for(name)).observe()


@dataclass(frozen=True, slots=True)
class SnapshotTarget(_Files):
    prefix = "snapshot"
    writable = False
    simulated = False
    one_machine = False

    def open(self, desired: DesiredState) -> Server:
        path = self.path_for(desired.name)  # once: a fleet opens 10,000 of them
        return snapshot.ReadOnlyServer(snapshot.read(path), f"{self.prefix}:{path}")

    def observe_existing(self, name: str | None) -> ObservedState:
        return snapshot.read(self.path_for(name))


@dataclass(frozen=True, slots=True)
class ServerConfigTarget:
    folder: Path
    writable = False
    simulated = False
    one_machine = False

    def label(self, _name: str) -> str:
        return f"export:{self.folder}"

    def key(self, _name: str) -> str:
        return f"export:{os.path.abspath(self.folder)}"

    def _read(self, name: str) -> ObservedState:
        from reconciler.servers import serverconfig  # XML parsing: loaded only for export:DIR targets

        return serverconfig.read(self.folder, name)

    def open(self, desired: DesiredState) -> Server:
        return snapshot.ReadOnlyServer(self._read(desired.name), self.label(desired.name))

    def observe_existing(self, name: str | None) -> ObservedState:
        # An export does not name its server: its folder does, unless --name says otherwise.
        return self._read(name or self.folder.resolve().name)


@dataclass(frozen=True, slots=True)
class LiveTarget:
    """A real server, changed through PowerShell: locally, or over WinRM when `host` is set."""

    host: str | None = None
    writable = True
    simulated = False
    # Each server opened once per run: over WinRM, its one runspace serves every stage of the run.
    opened: dict[str, Server] = field(default_factory=dict, compare=False, repr=False)

    @property
    def one_machine(self) -> bool:
        """This computer, or one winrm://HOST: the same machine whatever the state file says."""
        return self.host is None or "{name}" not in self.host

    def host_for(self, name: str) -> str | None:
        # winrm://{name}.corp.contoso.com maps each state file's metadata.name to its host.
        return None if self.host is None else self.host.replace("{name}", name)

    def label(self, name: str) -> str:
        return f"winrm://{self.host_for(name)}" if self.host else "powershell"

    def key(self, name: str) -> str:
        return self.label(name).lower()

    def server(self, name: str, cloud: str | None) -> Server:
        # The simulator, the usual target, needs none of this.
        from reconciler.servers.powershell import PowerShellServer
        from reconciler.servers.transports import LocalPowerShell, Transport, WinRM

        host = self.host_for(name)
        transport: Transport = WinRM(host) if host else LocalPowerShell()
        return PowerShellServer(transport, name, cloud)

    def open(self, desired: DesiredState) -> Server:
        key = f"{desired.name}\n{desired.cloud}"
        if key not in self.opened:
            self.opened[key] = self.server(desired.name, desired.cloud)
        return self.opened[key]

    def observe_existing(self, name: str | None) -> ObservedState:
        # The collector's own default: the computer's name, in lower case.
        import socket  # only for the machine's own name

        return self.server(name or socket.gethostname().split(".")[0].lower(), None).observe()


def _needs_path(kind: str, rest: str) -> None:
    if not rest:
        raise UserError(f"target {kind}: needs a path, e.g. {kind}:{'DIR' if kind == 'export' else 'FILE.json'}")


def _files(cls: type[SimTarget] | type[SnapshotTarget], rest: str) -> Target:
    _needs_path(cls.prefix, rest)
    path = Path(rest)
    if rest.endswith(("/", "\\")) or path.is_dir():
        return cls(folder=path)
    return cls(file=path)


def _sim(rest: str | None) -> Target:
    return SimTarget(folder=DEFAULT_SIM_FOLDER) if rest is None else _files(SimTarget, rest)


def _snapshot(rest: str | None) -> Target:
    return _files(SnapshotTarget, rest or "")


def _server_configuration(rest: str | None) -> Target:
    _needs_path("export", rest or "")
    return ServerConfigTarget(Path(rest or ""))


def _powershell(rest: str | None) -> Target:
    if rest is not None:
        raise UserError(f"target 'powershell:{rest}': the powershell target takes no path")
    return LiveTarget()


def _winrm(rest: str | None) -> Target:
    host = (rest or "").removeprefix("//").rstrip("/")
    if not (rest or "").startswith("//") or not host:
        spec = "winrm" if rest is None else f"winrm:{rest}"
        raise UserError(f"target {spec!r}: expected winrm://HOST or winrm://HOST:PORT")
    return LiveTarget(host)


# The word before a target's colon, and what makes the target of the rest (None: no colon).
KINDS: dict[str, Callable[[str | None], Target]] = {
    "sim": _sim,
    "snapshot": _snapshot,
    "export": _server_configuration,
    "powershell": _powershell,
    "winrm": _winrm,
}


def parse(text: str | None) -> Target:
    """The target named on the command line, else in RECONCILER_TARGET, else `sim`."""
    spec = text if text is not None else os.environ.get(ENV_VAR) or DEFAULT
    kind, sep, rest = spec.partition(":")
    make = KINDS.get(kind)
    if make is None:
        raise UserError(f"unknown target {spec!r}: this version supports {KNOWN}")
    return make(rest if sep else None)


def sim_path(text: str | None, name: str | None) -> Path:
    """The simulator file a `sim …` command works on."""
    target = parse(text)
    if not isinstance(target, SimTarget):  # live servers are never "sim set"
        raise UserError(
            f"sim commands work on simulated servers: --target sim, sim:FILE.json or sim:DIR/, not {text!r}"
        )
    return target.path_for(name)
