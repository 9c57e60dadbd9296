"""Many servers in one run: shards, waves, work spread over the cores, the worst exit code.

One server's failure never stops the others: it becomes that server's outcome. Outcomes are
always reported sorted by server name, whatever order the work finished in.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import hashlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from reconciler import options
from reconciler.errors import Problem, UserError
from reconciler.model import statefiles
from reconciler.model.statefiles import StateFile
from reconciler.planning.actions import ScriptContext
from reconciler.running import runner
from reconciler.running.progress import Listener
from reconciler.running.results import ServerResult

# Below this many servers a process pool costs more than it saves.
PARALLEL_FROM = 48
WAVES = options.WAVES


def parse_shard(text: str) -> tuple[int, int]:
    k, sep, n = text.partition("/")
    # ASCII digits only: str.isdigit() also takes Arabic-Indic ones, which no shard is numbered in.
    digits = k.isascii() and n.isascii() and k.isdigit() and n.isdigit() and len(k) + len(n) < 12
    if not sep or not digits or not 1 <= int(k) <= int(n):
        raise UserError(f"--shard {text[:40]!r}: expected K/N with 1 <= K <= N in ASCII digits, e.g. 2/8")
    return int(k), int(n)


def in_shard(name: str, shard: tuple[int, int]) -> bool:
    """Stable across runs, machines and Python versions: a digest of the name, not hash()."""
    k, n = shard
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") % n == k - 1


def select(states: Sequence[StateFile], shard: tuple[int, int] | None) -> list[StateFile]:
    chosen = [s for s in states if shard is None or in_shard(s.state.name, shard)]
    return sorted(chosen, key=lambda s: s.state.name)


class Progress:
    """`planning 120/2000` on a terminal; silent in CI logs, pipes and JSON runs."""

    def __init__(self, total: int, verb: str, enabled: bool) -> None:
        self.total, self.verb, self.done = total, verb, 0
        self.enabled = enabled and total > 1 and sys.stderr.isatty() and not os.environ.get("CI")

    def step(self) -> None:
        self.done += 1
        if self.enabled:
            sys.stderr.write(f"\r{self.verb} {self.done}/{self.total}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * (len(self.verb) + 24) + "\r")
            sys.stderr.flush()


# The run's options and shard go with the planning function (a functools.partial, sent once with
# each chunk of paths), not with each of 10,000 paths.
_Shard = tuple[int, int] | None


def _plan_path(options: runner.RunOptions, shard: _Shard, path: str) -> ServerResult | None:
    """Load, pick by shard, plan: all in the worker, so that reading 10,000 files is spread too."""
    state_file, problems = statefiles.load_one(path)
    if state_file is None:
        return ServerResult(path, path, problems=tuple(problems))
    if shard is not None and not in_shard(state_file.state.name, shard):
        return None
    return runner.plan_result(state_file, options)


def _plan_path_for_fleet(options: runner.RunOptions, shard: _Shard, path: str) -> ServerResult | None:
    """A plan without what only a PowerShell script needs (the observed state it was made from):
    scripts are written for one server at a time, and a fleet's results travel between processes."""
    result = _plan_path(options, shard, path)
    if result is None or result.plan is None:
        return result
    return dataclasses.replace(result, plan=dataclasses.replace(result.plan, script=ScriptContext()))


def _plan_path_for_json(options: runner.RunOptions, shard: _Shard, path: str) -> ServerResult | None:
    """The same, its plan's one-line JSON written here too (kept in the plan, it travels with it):
    the parent of 10,000 plans then only strings them together."""
    result = _plan_path_for_fleet(options, shard, path)
    if result is not None and result.plan is not None:
        result.plan.compact_text  # noqa: B018 - worked out here, in parallel, and kept in the plan
        result.status  # noqa: B018 - worked out here, in parallel, and kept for the report
    return result


def _collect_less() -> None:
    gc.freeze()  # what the worker inherited from the fork
    gc.enable()  # the parent forked it with collection off (see _mapped)
    # Fewer, larger collections: each plan makes thousands of short-lived objects.
    gc.set_threshold(20_000, 20, 20)


# Servers a worker plans at a time: at most about a quarter of a second's worth, at least a few.
CHUNK_MOST, CHUNK_LEAST = 250, 4


def chunks(jobs: Sequence[Any], workers: int) -> list[Sequence[Any]]:
    """The jobs in order, cut in chunks that shrink as the work runs out (guided scheduling): at
    the end one worker may still run its last chunk while the others have none left, and a
    chunk of 4 servers is over soon (fixed chunks kept a core idle for part of one at the end)."""
    cut, start = [], 0
    while start < len(jobs):
        size = max(CHUNK_LEAST, min(CHUNK_MOST, (len(jobs) - start) // (workers * 4)))
        cut.append(jobs[start : start + size])
        start += size
    return cut


def _each(function: Callable[[Any], Any], chunk: Sequence[Any]) -> list[Any]:
    return [function(job) for job in chunk]


def _mapped(function: Callable[[Any], Any], jobs: list[Any]) -> Iterator[Any]:
    workers = os.cpu_count() or 1
    if len(jobs) < PARALLEL_FROM or workers < 2:
        yield from map(function, jobs)
        return
    # Imported only for a fleet: the process machinery is start-up time every small run would pay.
    from concurrent.futures import ProcessPoolExecutor

    # The cyclic collector re-scans every long-lived object (modules, schemas, the results so far)
    # at each full pass; frozen, they are skipped, while the garbage a plan makes is still collected.
    gc.freeze()
    # The results arrive by the thousand and hold no reference cycles: reference counting frees
    # them, and a collection would only walk them again and again (most of the parent's time in a
    # large fleet). Once all are in, they are frozen too, for the report that reads them.
    gc.disable()
    try:
        with ProcessPoolExecutor(max_workers=workers, initializer=_collect_less) as pool:
            for done in pool.map(functools.partial(_each, function), chunks(jobs, workers)):
                yield from done
    finally:
        gc.enable()
        gc.freeze()


def plan_paths(
    arguments: Sequence[str],
    options: runner.RunOptions,
    shard: tuple[int, int] | None,
    progress: bool,
    *,
    json_report: bool = False,
) -> list[ServerResult]:
    """Every state file named (folders expanded) planned; each failure is its own server's outcome.
    `json_report`: the plans go into a fleet's JSON report, whose text their workers write."""
    paths, problems = statefiles.discover(arguments)
    if problems:
        raise UserError(problems)
    meter = Progress(len(paths), "planning", progress)
    outcomes: list[ServerResult] = []
    planner = _plan_path if len(paths) == 1 else _plan_path_for_json if json_report else _plan_path_for_fleet
    for outcome in _mapped(functools.partial(planner, options, shard), paths):
        if outcome is not None:
            outcomes.append(outcome)
        meter.step()
    meter.close()
    return sorted(_without_duplicates(outcomes), key=lambda o: o.server)


def _without_duplicates(outcomes: list[ServerResult]) -> list[ServerResult]:
    # Two files for one server would fight over it: the later file (by path) fails.
    first: dict[str, ServerResult] = {}
    kept = []
    for outcome in sorted(outcomes, key=lambda o: o.path):
        earlier = first.get(statefiles.same_server(outcome.server))
        if earlier is not None and not outcome.problems:
            problem = statefiles.duplicate_problem(outcome.path, outcome.server, earlier.path, earlier.server)
            kept.append(ServerResult(outcome.server, outcome.path, problems=(problem,)))
            continue
        first.setdefault(statefiles.same_server(outcome.server), outcome)
        kept.append(outcome)
    return kept


def scheduler_disagreements(seen: Sequence[tuple[StateFile, bool, str]]) -> dict[str, str]:
    """Why each state file of an active/staging pair that disagrees on the scheduler is not applied.

    `seen` holds each state file with its server's observed staging mode and AAD connector name. "The
    scheduler configuration is stored in Microsoft Entra ID. If you have a staging server, any change on
    the primary server also affects the staging server" (scheduler page): two state files that want
    SyncCycleEnabled differently would undo each other run after run, so neither is applied. A pair is
    an active and a staging server of one AAD connector name (the tenant's, by default)."""
    why: dict[str, str] = {}
    for active, active_staging, tenant in seen:
        for staging, is_staging_server, other_tenant in seen:
            if active_staging or not is_staging_server or tenant != other_tenant:
                continue
            wants = (active.state.sync_cycle_enabled, staging.state.sync_cycle_enabled)
            if wants[0] == wants[1]:
                continue
            text = (
                f"{active.state.name} (active) and {staging.state.name} (staging) share the scheduler "
                f"configuration of '{tenant}', stored in Entra ID, but their state files want "
                f"scheduler.syncCycleEnabled {str(wants[0]).lower()} and {str(wants[1]).lower()}: make them agree"
            )
            why.setdefault(active.path, text)
            why.setdefault(staging.path, text)
    return why


# Applying is waiting on servers (sync cycles, PowerShell), not computing: threads, a few at a time.
APPLY_THREADS = 8


class HardStop(KeyboardInterrupt):
    """A second Ctrl-C while the servers' runs were stopping: quit without waiting for them."""


def _side_by_side(
    apply_one: Callable[[StateFile], ServerResult], states: list[StateFile], parallel: bool, listener: Listener
) -> list[ServerResult]:
    if not parallel or len(states) < 2:
        return [apply_one(s) for s in states]
    from concurrent.futures import ThreadPoolExecutor

    # Ctrl-C reaches this thread only: it asks every server's run to stop at its next action or
    # wait, and waits for them to do so; a second Ctrl-C does not wait.
    pool = ThreadPoolExecutor(max_workers=min(APPLY_THREADS, len(states)))
    futures = [pool.submit(apply_one, s) for s in states]
    try:
        try:
            return [f.result() for f in futures]
        except KeyboardInterrupt:
            listener.stop.set()
            listener.stopping()
            return [f.result() for f in futures]
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        raise HardStop() from None
    finally:
        pool.shutdown(wait=False)


def _not_applied(state_file: StateFile, why: str) -> ServerResult:
    return ServerResult(
        state_file.state.name, state_file.path, outcome="skipped", why=f"{state_file.state.name}: {why}"
    )


def apply_in_waves(
    states: Sequence[StateFile],
    options: runner.RunOptions,
    apply_one: Callable[[StateFile], ServerResult],
    wave: str | None,
    report: Callable[[list[ServerResult]], None] = lambda _done: None,
    *,
    parallel: bool = False,
    listener: Listener | None = None,
) -> list[ServerResult]:
    """Staging servers first (swing migration: the observed scheduler says which they are); active ones
    only once every staging server of the run converged.

    A server outside the `wave` asked for, or an active one held back, is `skipped` and says why.
    `report` gets each wave's outcomes, sorted by server, as soon as the wave is done."""
    listener = listener or Listener()
    outcomes: list[ServerResult] = []
    waves: dict[str, list[StateFile]] = {"staging": [], "active": []}
    seen: list[tuple[StateFile, bool, str]] = []
    for state_file in states:
        try:
            current = runner.observe_one(state_file, options)
        except runner.Skipped as exc:  # another machine's state on a single live target
            outcomes.append(
                ServerResult(state_file.state.name, state_file.path, outcome="skipped", why=str(exc), elsewhere=True)
            )
            continue
        except UserError as exc:
            outcomes.append(ServerResult(state_file.state.name, state_file.path, problems=exc.problems))
            continue
        seen.append((state_file, bool(current.scheduler.staging_mode_enabled), current.aad_connector.name))
    refused = scheduler_disagreements(seen)
    for state_file, staging, _ in seen:
        if state_file.path in refused:
            problem = Problem("", None, None, f"{state_file.state.name}: not applied: {refused[state_file.path]}")
            outcomes.append(
                ServerResult(state_file.state.name, state_file.path, problems=(problem,), outcome="skipped")
            )
        else:
            waves["staging" if staging else "active"].append(state_file)
    for name in WAVES:
        if wave not in (None, name):
            outcomes += [
                _not_applied(
                    s, f"a{'n' if name == 'active' else ''} {name} server; this run applies --wave {wave} only"
                )
                for s in waves[name]
            ]
    report(sorted(outcomes, key=lambda o: o.server))
    staged = _side_by_side(apply_one, waves["staging"], parallel, listener) if wave in (None, "staging") else []
    report(sorted(staged, key=lambda o: o.server))
    outcomes += staged
    if wave in (None, "active"):
        blockers = sorted(o.server for o in staged if o.status not in ("changed", "in-sync"))
        if blockers and wave is None:
            why = f"active servers wait until every staging server converges; not yet: {', '.join(blockers)}"
            held = [_not_applied(s, why) for s in waves["active"]]
        else:
            held = _side_by_side(apply_one, waves["active"], parallel, listener)
        report(sorted(held, key=lambda o: o.server))
        outcomes += held
    return sorted(outcomes, key=lambda o: o.server)
