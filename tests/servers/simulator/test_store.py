from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from reconciler.errors import UserError
from reconciler.observed import Group, ObservedState
from reconciler.servers.simulator import SimulatedServer, defaults
from reconciler.servers.simulator.store import SimFile


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    sim = SimFile(tmp_path / "s.json")
    with sim.locked():
        sim.write(defaults.new_server("s"))
    assert json.loads(sim.path.read_text())["server"]["name"] == "s"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json", "s.json.lock"]


def test_a_damaged_file_is_reported_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"schemaVersion": 1, "server": {}}')
    server = SimulatedServer(path)
    with pytest.raises(UserError) as exc:
        server.set_sync_cycle_enabled(False)
    assert (
        str(exc.value).splitlines()[-1]
        == f"{path}: the simulator file is damaged; fix or remove it (it is never overwritten)"
    )
    assert "missing required key 'collectedAt'" in str(exc.value)
    with pytest.raises(UserError):
        server.create(defaults.new_server("s"), replace=False)
    assert path.read_text() == '{"schemaVersion": 1, "server": {}}'


def test_a_failed_change_writes_nothing(tmp_path: Path) -> None:
    sim = SimFile(tmp_path / "s.json")
    with sim.locked():
        sim.write(defaults.new_server("s"))
    before = sim.path.read_bytes()

    def boom(state: ObservedState) -> ObservedState:
        raise UserError("no")

    with pytest.raises(UserError):
        sim.update(boom)
    assert sim.path.read_bytes() == before


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no simulated server here; create one with `reconciler sim init"):
        SimulatedServer(tmp_path / "none.json").observe()


def _add_groups(path: str, prefix: str, count: int) -> None:
    sim = SimFile(Path(path))
    for i in range(count):
        sim.update(lambda s, i=i: s.replace(groups=(*(s.groups or ()), Group(f"{prefix}{i}", i, False))))


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    SimulatedServer(path).create(defaults.new_server("s").replace(groups=()), replace=False)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_add_groups, args=(str(path), p, 15)) for p in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    names = {g.name for g in SimulatedServer(path).observe().groups or ()}
    assert names == {f"{p}{i}" for p in "ab" for i in range(15)}
