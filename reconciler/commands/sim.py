"""`reconciler sim …`: create and drive the embedded simulated server."""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import EXIT_OK, UserError, printable
from reconciler.model import builds, facts, observed
from reconciler.servers import serverconfig, snapshot, targets
from reconciler.servers.simulator import SimulatedServer, assign, defaults

SHOW_DELETED = 10


def _server(target: str | None, name: str | None) -> SimulatedServer:
    """An existing simulated server; when there is none, the `sim init` that makes it, in the words
    the command was given (--name, --target or both)."""
    server = SimulatedServer(targets.sim_path(target, name))
    if not server.file.exists():
        given = ([f"--target {shlex.quote(target)}"] if target is not None else []) + (
            [f"--name {shlex.quote(name)}"] if name is not None else []
        )
        how = " ".join(given) or f"--target {shlex.quote('sim:' + str(server.path))}"
        raise UserError(f"{server.path}: no simulated server here; create one with `reconciler sim init {how}`")
    return server


@dataclass(frozen=True, slots=True)
class NewServer:
    """What `sim init` makes when it is not a twin: a build, a cloud, an AAD connector's name."""

    version: str | None = None
    cloud: str | None = None
    connector_name: str | None = None
    host: str | None = None  # the machine server.host reports; a twin keeps its original's unless given


def sim_init(target: str | None, name: str | None, new: NewServer, source: str | None, force: bool) -> int:
    given = [f"--{flag}" for flag, value in (("version", new.version), ("cloud", new.cloud),
             ("connector-name", new.connector_name)) if value is not None]  # fmt: skip
    if source is not None and given:
        raise UserError(f"sim init: --from makes an exact twin; {', '.join(given)} cannot be combined with it")
    default_name = name or _file_stem(target)
    if source is not None:
        path = Path(source)
        if path.is_dir():
            # A configuration export: its folder names the server unless --name does.
            state = defaults.twin(serverconfig.read(path, default_name or path.resolve().name), host=new.host)
        else:
            state = defaults.twin(snapshot.read(path), name, new.host)
    else:
        if not default_name:
            raise UserError("sim init: name the server with --name (or use --target sim:FILE.json)")
        if new.version is not None:
            _warn_unknown(new.version)
        state = defaults.new_server(
            default_name,
            new.version,
            new.cloud or "AzureCommercial",
            new.connector_name,
            new.host,
        )
    server = SimulatedServer(targets.sim_path(target, state.server.name))
    server.create(state, replace=force)
    machine = f", host {state.server.host}" if state.server.host else ""
    print(f"{server.path}: simulated server {state.server.name} ({state.server.version}{machine}) created")
    return EXIT_OK


def _file_stem(target: str | None) -> str | None:
    where = targets.parse(target)
    return where.file.stem if isinstance(where, targets.SimTarget) and where.file is not None else None


def sim_show(target: str | None, name: str | None) -> int:
    # Without the simulator's mark: what is saved from here is a snapshot, never replaced by `sim init`.
    sys.stdout.write(observed.dumps(_server(target, name).observe().replace(simulator=None)))
    return EXIT_OK


def _warn_unknown(version: str) -> None:
    """A build the table does not know is most often a typo; it is still simulated. A number that is
    no build's (fewer than four parts, as in 0.1) is refused."""
    builds.Version.parse(version)  # a number at all, first
    if len(version.strip().split(".")) != 4:
        raise UserError(f"build {version!r}: a build number has four parts, e.g. {builds.current_version()}")
    table = builds.support_table()
    if not table.knows(builds.Version.parse(version)):
        newer = " (newer than every build in it)" if builds.Version.parse(version) > table.newest else ""
        print(
            f"warning: build {version} is not in this tool's build table (checked {table.checked}){newer}; "
            "check the number with `reconciler builds`",
            file=sys.stderr,
        )


def sim_upgrade(target: str | None, name: str | None, to: str, sync_enabled: bool = True) -> int:
    server = _server(target, name)
    _warn_unknown(to)
    before = server.observe().server.version
    after = server.upgrade(to, sync_enabled)
    known_issue = (
        f"; the group member limit is back to {facts.V1_MEMBER_LIMIT} (known issue of 1.6 builds)"
        if builds.upgrade_resets_member_limit(after.server.version)
        else ""
    )
    scheduler = (
        "synchronization enabled, as the wizard's default leaves it: the next cycle runs with these defaults"
        if sync_enabled
        else "synchronization left disabled (the wizard's box unchecked)"
    )
    print(
        f"{after.server.name}: upgraded in place from {before} to {after.server.version}: endpoint settings "
        f"reset to the build's defaults, standard rules replaced, full import and full sync pending{known_issue}; "
        f"{scheduler}"
    )
    return EXIT_OK


def sim_cycle(target: str | None, name: str | None, full: bool) -> int:
    previous, after = _server(target, name).run_cycle(full)
    before = {g.name for g in previous.groups or () if g.provisioned}
    cycle = after.last_sync_cycle
    assert cycle is not None
    groups = after.groups or ()
    provisioned = sum(1 for g in groups if g.provisioned)
    errors = (
        ", ".join(
            f"{e.type} x{e.count}" + ("" if not e.informational else " (informational)") for e in cycle.export_errors
        )
        or "none"
    )
    deleted = sorted(before - {g.name for g in groups if g.provisioned})
    shown = ", ".join(deleted[:SHOW_DELETED]) + (
        f" and {len(deleted) - SHOW_DELETED} more" if len(deleted) > SHOW_DELETED else ""
    )
    said = (
        f"{after.server.name}: {cycle.kind} sync cycle {cycle.result}: {provisioned} of {len(groups)} groups "
        f"provisioned; deleted: {shown or 'none'}; errors: {errors}"
    )
    print(printable(said))
    return EXIT_OK


def sim_set(target: str | None, name: str | None, assignments: list[str]) -> int:
    """Sets the values, and says what each one was and is now."""
    server = _server(target, name)
    before = observed.to_json(server.observe())
    after = observed.to_json(server.assign(assignments))
    for assignment in assignments:
        path, _ = assign.parse(assignment)
        old, new = assign.read(before, path), assign.read(after, path)
        said = "unchanged" if old == new else f"{_json(old)} → {_json(new)}"
        print(printable(f"{server.path}: {'.'.join(path)}: {said}"))
    return EXIT_OK


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
