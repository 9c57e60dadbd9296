"""One server's run: whatever stops it with the scheduler off says so, and how to turn it back on."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import UserError
from reconciler.model import desired
from reconciler.model.observed import ObservedState
from reconciler.model.statefiles import StateFile
from reconciler.running import runner
from reconciler.servers.simulator import InMemoryServer, defaults
from tests.scenario import state


class DiskFull:
    """The real simulator; every change after the scheduler went off fails as a full disk would,
    and the scheduler can no longer be turned back on."""

    def __init__(self, inner: InMemoryServer, fault: BaseException) -> None:
        self.inner, self.fault, self.off = inner, fault, False

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    def set_sync_cycle_enabled(self, enabled: bool) -> None:
        if self.off:
            raise self.fault
        self.inner.set_sync_cycle_enabled(enabled)
        self.off = not enabled

    def add_rule(self, rule: Any) -> None:
        raise self.fault


@dataclass(frozen=True)
class Given:
    """A target that hands out one server object (the simulator with a fault in it)."""

    server: Any
    writable = True
    simulated = True
    one_machine = False

    def label(self, name: str) -> str:
        return f"test:{name}"

    def key(self, name: str) -> str:
        return self.label(name)

    def open(self, _desired: desired.DesiredState) -> Any:
        return self.server

    def observe_existing(self, _name: str | None) -> ObservedState:
        state: ObservedState = self.server.observe()
        return state


def _state_file(tmp_path: Path) -> StateFile:
    return StateFile(str(tmp_path / "srv1.yaml"), state())


@pytest.mark.parametrize(
    ("fault", "raised", "first"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), UserError, "No space left on device"),
        (KeyboardInterrupt(), KeyboardInterrupt, None),
    ],
)
def test_a_run_that_leaves_the_scheduler_off_says_so_and_how_to_fix_it(
    tmp_path: Path, fault: BaseException, raised: type[BaseException], first: str | None
) -> None:
    server = DiskFull(InMemoryServer(defaults.new_server("srv1", "1.6.2.4")), fault)
    options = runner.RunOptions(target=Given(server), wait_timeout=0, poll_interval=0, state_dir=tmp_path)
    with pytest.raises(raised) as caught:
        runner.apply_one(_state_file(tmp_path), options, confirm=lambda _p: True)
    assert server.inner.state.scheduler.sync_cycle_enabled is False
    lines = [str(p) for p in caught.value.problems] if isinstance(caught.value, UserError) else list(caught.value.args)
    if first is not None:
        assert lines[0] == first
    assert lines[-1].startswith("srv1: the scheduler could not be restored")
    assert lines[-1].endswith(
        f"`reconciler reconcile {tmp_path / 'srv1.yaml'}` finishes the change and turns it on "
        "(or, on the server: Set-ADSyncScheduler -SyncCycleEnabled $true)"
    )
