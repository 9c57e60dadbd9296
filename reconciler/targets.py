"""Where a command observes and changes a server: `--target` or RECONCILER_TARGET (DESIGN §4).

Only the simulator targets exist so far: `sim` (`.reconciler/sim/<name>.json`), `sim:FILE.json`
and `sim:DIR/` (one file per server in DIR).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from reconciler import versions
from reconciler.desired import DesiredState
from reconciler.errors import UserError
from reconciler.simulator import SimulatedServer, defaults

ENV_VAR = "RECONCILER_TARGET"
DEFAULT = "sim"
DEFAULT_SIM_FOLDER = Path(".reconciler") / "sim"
KNOWN = "sim, sim:FILE.json or sim:DIR/"


@dataclass(frozen=True)
class SimTarget:
    """A simulated server file, or a folder of them named after each server."""

    file: Path | None = None
    folder: Path | None = None

    def path_for(self, name: str | None) -> Path:
        if self.file is not None:
            return self.file
        assert self.folder is not None
        if not name:
            raise UserError(f"the target is a folder of simulated servers ({self.folder}); name one with --name")
        return self.folder / f"{name}.json"


Target = SimTarget


def open_server(target: Target, desired: DesiredState) -> SimulatedServer:
    """The server a state file is planned against; a simulated one is created on first use."""
    server = SimulatedServer(target.path_for(desired.name))
    if not server.file.exists():
        state = defaults.new_server(desired.name, versions.CURRENT_VERSION, desired.cloud, desired.connector_name)
        server.create(state, replace=False)
    return server


def describe(target: Target, desired: DesiredState) -> str:
    return f"sim:{target.path_for(desired.name)}"


def parse(text: str | None) -> Target:
    """The target named on the command line, else in RECONCILER_TARGET, else `sim`."""
    spec = text if text is not None else os.environ.get(ENV_VAR) or DEFAULT
    kind, sep, rest = spec.partition(":")
    if kind == "sim" and not sep:
        return SimTarget(folder=DEFAULT_SIM_FOLDER)
    if kind == "sim":
        if not rest:
            raise UserError("target sim: needs a path: sim:FILE.json or sim:DIR/")
        path = Path(rest)
        if rest.endswith(("/", "\\")) or path.is_dir():
            return SimTarget(folder=path)
        return SimTarget(file=path)
    raise UserError(f"unknown target {spec!r}: this version supports {KNOWN}")
