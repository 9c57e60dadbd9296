from __future__ import annotations

import json
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from reconciler.errors import UserError
from reconciler.model.observed import Group, ObservedState
from reconciler.servers.simulator import SimulatedServer, defaults
from reconciler.servers.simulator.store import SimFile
from tests.support import STATES, Run


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


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_is_refused_before_anything_is_read_or_written(run: Run, tmp_path: Path) -> None:
    """`--target sim:PATH` replaced whatever was at PATH (a FIFO, a device: /dev/null as root)."""
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    result = run("plan", str(STATES / "contoso-aadc01.yaml"), "--target", f"sim:{fifo}")
    assert result.code == 1
    assert result.err_lines == [
        f"{fifo}: is not a regular file (a FIFO, device or socket); only a regular file is read or written here"
    ]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and not (tmp_path / "pipe.json.lock").exists()


def test_a_symlink_is_followed_and_its_target_written(run: Run, tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    link = tmp_path / "link.json"
    assert run("sim", "init", "--target", f"sim:{real}", "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    link.symlink_to(real)
    assert run("reconcile", str(STATES / "contoso-aadc01.yaml"), "--target", f"sim:{link}").code == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert '"Out to AAD - Group Join (member limit)"' in real.read_text(encoding="utf-8")


def test_a_snapshot_that_is_not_a_regular_file_is_refused(run: Run, tmp_path: Path) -> None:
    result = run("plan", str(STATES / "contoso-aadc01.yaml"), "--target", f"snapshot:{tmp_path}/")
    assert result.code == 1 and "no such snapshot" in result.err
    (tmp_path / "contoso-aadc01.json").mkdir()
    result = run("plan", str(STATES / "contoso-aadc01.yaml"), "--target", f"snapshot:{tmp_path}/")
    assert result.err_lines == [
        f"{tmp_path}/contoso-aadc01.json: is a folder; only a regular file is read or written here"
    ]
