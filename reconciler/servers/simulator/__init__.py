"""The embedded simulated ADSync server: the default target and the test bed (docs/simulator.md).

A plan only reads the file (`store`) and the clock (`defaults.now`); a sync cycle, an upgrade and
`sim set` load their modules (and the standard rules) when asked: a plan never needs them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from reconciler.errors import Refused
from reconciler.model import observed, transitions
from reconciler.model.observed import ObservedState, SyncRule
from reconciler.servers.simulator import defaults
from reconciler.servers.simulator.store import SimFile


class _Simulated:
    """The server operations, each a change applied through `_update`."""

    def _update(self, change: Callable[[ObservedState], ObservedState]) -> ObservedState:
        raise NotImplementedError

    def observe(self) -> ObservedState:
        raise NotImplementedError

    @property
    def name(self) -> str:
        return self.observe().server.name

    def set_sync_cycle_enabled(self, enabled: bool) -> None:
        self._update(lambda s: transitions.set_sync_cycle_enabled(s, enabled))

    def set_export_api_version(self, version: int) -> None:
        self._update(lambda s: transitions.set_api_version(s, "export", version))

    def set_import_api_version(self, version: int) -> None:
        self._update(lambda s: transitions.set_api_version(s, "import", version))

    def add_rule(self, rule: SyncRule) -> None:
        self._update(lambda s: transitions.add_rule(s, rule))

    def remove_rule(self, identifier: str) -> None:
        self._update(lambda s: transitions.remove_rule(s, identifier))

    def set_rule_disabled(self, identifier: str, disabled: bool) -> None:
        self._update(lambda s: transitions.set_rule_disabled(s, identifier, disabled))

    def set_connector_override(self, connector_name: str, full_sync_required: bool) -> None:
        self._update(lambda s: transitions.set_connector_override(s, connector_name, full_sync_required))

    # What only a simulator can be asked to do.

    def run_cycle(self, full: bool) -> tuple[ObservedState, ObservedState]:
        """(before, after) of one sync cycle."""
        from reconciler.servers.simulator import cycle  # noqa: PLC0415 - see the docstring

        seen: list[ObservedState] = []

        def change(state: ObservedState) -> ObservedState:
            seen.append(state)
            return cycle.run_cycle(state, full)

        after = self._update(change)
        return seen[0], after

    def upgrade(self, to: str, sync_enabled: bool = True) -> ObservedState:
        from reconciler.servers.simulator import upgrade  # noqa: PLC0415 - see the docstring

        return self._update(lambda s: upgrade.upgrade(s, to, sync_enabled))


class SimulatedServer(_Simulated):
    """A simulated server in a file; every operation is one locked read-change-write."""

    def __init__(self, path: Path) -> None:
        self.file = SimFile(path)

    @property
    def path(self) -> Path:
        return self.file.path

    def _there(self) -> None:
        """A server that is not there is said so before a lock file or a folder is made for it."""
        if not self.file.exists():
            self.file.read()  # raises, naming the `sim init` to run

    def _update(self, change: Callable[[ObservedState], ObservedState]) -> ObservedState:
        self._there()
        return self.file.update(change)

    def observe(self) -> ObservedState:
        self._there()
        with self.file.locked():
            state = self.file.read()
        if state.server.host is None:  # a file written before hosts were stored: the default one
            state = state.replace(
                server=dataclasses.replace(state.server, host=defaults.default_host(state.server.name))
            )
        return state.replace(collected_at=defaults.now())

    def assign(self, assignments: list[str]) -> ObservedState:
        from reconciler.servers.simulator import assign  # noqa: PLC0415 - see the docstring

        parsed = [assign.parse(a) for a in assignments]

        def change(state: ObservedState) -> ObservedState:
            data = observed.to_json(state)
            for path, value in parsed:
                assign.apply(data, path, value)
            return observed.from_json(data, f"sim set {' '.join(assignments)}")

        return self._update(change)

    def create(self, state: ObservedState, *, replace: bool) -> None:
        if self.file.exists():
            self.file.check_replaceable()  # before a lock file is made beside a file that is not ours
        with self.file.locked():
            if self.file.exists():
                self.file.check_replaceable()  # only the simulator's own file, --force or not
                if not replace:
                    raise Refused(f"{self.path}: a simulated server exists already; --force replaces it")
            self.file.write(state)


class InMemoryServer(_Simulated):
    """The same simulated server without its file: for property tests and benchmarks of many servers."""

    def __init__(self, state: ObservedState) -> None:
        self.state = state

    def _update(self, change: Callable[[ObservedState], ObservedState]) -> ObservedState:
        self.state = change(self.state)
        return self.state

    def observe(self) -> ObservedState:
        return self.state
