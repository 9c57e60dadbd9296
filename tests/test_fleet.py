"""Shards, waves and exit codes of fleet runs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, Problem
from reconciler.model.statefiles import StateFile
from reconciler.running import fleet, results, runner
from reconciler.running.results import ServerResult
from reconciler.servers import targets
from reconciler.servers.simulator import SimulatedServer, defaults
from tests.scenario import state

NAMES = st.lists(st.from_regex(r"\A[a-z][a-z0-9-]{0,15}\Z"), unique=True, max_size=60)


@given(NAMES, st.integers(1, 9))
def test_shards_partition_the_fleet(names: list[str], n: int) -> None:
    shards = [[name for name in names if fleet.in_shard(name, (k, n))] for k in range(1, n + 1)]
    assert sorted(name for shard in shards for name in shard) == sorted(names)  # each in exactly one shard


@given(st.integers(0, 30_000), st.integers(1, 16))
def test_chunks_keep_the_order_and_shrink_as_the_work_runs_out(count: int, workers: int) -> None:
    jobs = range(count)
    cut = fleet.chunks(jobs, workers)
    assert [job for chunk in cut for job in chunk] == list(jobs)
    sizes = [len(chunk) for chunk in cut]
    assert all(1 <= size <= fleet.CHUNK_MOST for size in sizes)
    assert sizes == sorted(sizes, reverse=True)  # the small ones last, where a worker may wait
    assert all(size == fleet.CHUNK_LEAST for size in sizes[-workers * 4 : -1] if count > 2_000)


def test_shards_are_stable_and_spread() -> None:
    names = [f"srv{i:04d}" for i in range(2000)]
    sizes = [sum(fleet.in_shard(n, (k, 4)) for n in names) for k in range(1, 5)]
    assert sizes == [sum(fleet.in_shard(n, (k, 4)) for n in names) for k in range(1, 5)]
    assert all(400 < size < 600 for size in sizes), sizes
    assert fleet.in_shard("contoso-aadc01", (3, 3))  # a fixed point: a digest, not Python's hash()


def test_exit_code_is_the_worst() -> None:
    ok = ServerResult("a", "a.yaml")
    failed = ServerResult("b", "b.yaml", problems=(Problem("b.yaml", None, None, "x"),))
    assert results.exit_code([ok], detailed=True) == EXIT_OK
    assert results.exit_code([ok, failed], detailed=True) == EXIT_ERROR
    assert results.summary([ok, failed]) == "2 servers: 1 in sync, 1 failed"
    skipped = ServerResult("c", "c.yaml", outcome="skipped", why="c: an active server")
    assert results.exit_code([ok, skipped], detailed=False) == EXIT_OK
    assert results.exit_code([ok, skipped], detailed=True) == EXIT_CHANGES  # short of its desired state
    declined = ServerResult("d", "d.yaml", outcome="declined", why="the apply was declined")
    assert results.exit_code([ok, declined], detailed=False) == EXIT_ERROR  # Terraform: a cancelled apply is 1
    assert results.summary([ok, skipped, declined]) == (
        "3 servers: 1 in sync, 1 skipped, 1 not applied (declined), 0 failed"
    )
    assert results.exit_code([], detailed=True) == EXIT_OK
    assert EXIT_CHANGES == 2


def _sim_fleet(folder: Path, staging: list[str], active: list[str]) -> tuple[list[StateFile], runner.RunOptions]:
    states = []
    for name in staging + active:
        server = defaults.new_server(name, "1.6.2.4")
        if name in staging:
            server = server.replace(scheduler=dataclasses.replace(server.scheduler, staging_mode_enabled=True))
        SimulatedServer(folder / f"{name}.json").create(server, replace=False)
        states.append(StateFile(f"{name}.yaml", state(name=name)))
    options = runner.RunOptions(target=targets.SimTarget(folder=folder), wait_timeout=0, state_dir=folder)
    return states, options


def test_staging_servers_go_first_and_gate_the_active_ones(tmp_path: Path) -> None:
    states, options = _sim_fleet(tmp_path, ["stage1"], ["active1", "active2"])
    order: list[str] = []

    def apply_one(state_file: StateFile) -> ServerResult:
        order.append(state_file.state.name)
        applied = runner.apply_one(state_file, options, confirm=lambda _p: True)
        converged = not runner.plan_one(state_file, options).actions
        return ServerResult(state_file.state.name, state_file.path, plan=applied.plan, converged=converged)

    outcomes = fleet.apply_in_waves(states, options, apply_one, wave=None)
    assert order == ["stage1", "active1", "active2"]
    assert [o.server for o in outcomes] == ["active1", "active2", "stage1"]
    assert all(o.status != "failed" for o in outcomes)


def test_active_servers_wait_for_a_staging_server_that_did_not_converge(tmp_path: Path) -> None:
    states, options = _sim_fleet(tmp_path, ["stage1"], ["active1"])

    def stuck(state_file: StateFile) -> ServerResult:
        return ServerResult(state_file.state.name, state_file.path, converged=False)

    outcomes = {o.server: o for o in fleet.apply_in_waves(states, options, stuck, wave=None)}
    assert outcomes["active1"].status == "skipped"
    assert outcomes["active1"].why == (
        "active1: active servers wait until every staging server converges; not yet: stage1"
    )
    only_active = {o.server: o for o in fleet.apply_in_waves(states, options, stuck, wave="active")}
    assert only_active["active1"].status == "changes" and only_active["active1"].problems == ()
    # The other wave is never silently left out: skipped, and why.
    assert only_active["stage1"].status == "skipped"
    assert only_active["stage1"].why == "stage1: a staging server; this run applies --wave active only"
    only_staging = {o.server: o for o in fleet.apply_in_waves(states, options, stuck, wave="staging")}
    assert only_staging["active1"].why == "active1: an active server; this run applies --wave staging only"
