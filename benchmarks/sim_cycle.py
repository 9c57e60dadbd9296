"""Whole-process time of a full sync cycle of the simulator, beside its JSON floor.

    python benchmarks/sim_cycle.py [--groups 100000] [--runs 5]

The floor is what any simulator must do with its file: `json.load` it, `json.dump` it back,
fsync and rename, in a process of its own; it runs interleaved with the cycles on a fresh copy of
the same file. Goals (docs/performance.md): <= 1.6x the floor at 100,000 groups, <= 2.0x at
1,000,000, peak memory <= 2x the floor's.

Builds a simulated V2 server whose clone allows 100,000 members, with a reproducible tenant:
most groups small, about 1% between 50,000 and 250,000 members, all provisioned; each run then
does `reconciler sim cycle --full` on a fresh copy of that file, so groups above the limit are
deleted every time. POSIX only (wait4 reads each process's own peak memory).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bytecode_note, machine, reconciler_command, time_process

if TYPE_CHECKING:
    from reconciler.model.observed import Group

# The floor: read the file, write it back durably, as a process of its own.
FLOOR = """
import json, os, sys
path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    data = json.load(handle)
with open(path + ".tmp", "w", encoding="utf-8") as handle:
    json.dump(data, handle)
    handle.flush()
    os.fsync(handle.fileno())
os.replace(path + ".tmp", path)
"""


def tenant(count: int) -> tuple[Group, ...]:
    # Imported here, not at the top: the parent that times processes must stay small.
    from reconciler.model.observed import Group

    rng = random.Random(20261121)
    groups = []
    for i in range(count):
        size = rng.randint(50_001, 250_000) if rng.random() < 0.01 else int(rng.paretovariate(1.2) * 20)
        groups.append(Group(f"group-{i:06d}", min(size, 250_000), True))
    return tuple(groups)


def build(path: Path, count: int) -> None:
    from reconciler.model import syncrules
    from reconciler.servers.simulator import SimulatedServer, defaults

    server = SimulatedServer(path)
    state = defaults.new_server("bench01", "2.4.18.0").replace(groups=tenant(count))
    server.create(state, replace=True)
    standard = syncrules.standard_group_join(state)
    assert standard is not None
    server.add_rule(syncrules.make_clone(standard, server="bench01", name="clone", precedence=90, limit=100_000))
    server.set_rule_disabled(standard.identifier, True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--build", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(Path(args.build), args.groups)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        master = Path(folder) / "master.json"
        # Built in a child: Linux carries a parent's peak memory into its children's figures.
        subprocess.run([sys.executable, __file__, "--groups", str(args.groups), "--build", str(master)], check=True)
        work = Path(folder) / "bench01.json"
        argv = [*reconciler_command(), "sim", "cycle", "--full", "--target", f"sim:{work}"]
        floor_argv = [sys.executable, "-c", FLOOR, str(work)]
        seconds: list[float] = []
        floor: list[float] = []
        peak = floor_peak = 0.0
        for _ in range(args.runs):
            shutil.copyfile(master, work)
            timing = time_process(argv, 1)
            seconds.extend(timing.seconds)
            peak = max(peak, timing.peak_rss_mb)
            shutil.copyfile(master, work)
            timing = time_process(floor_argv, 1)
            floor.extend(timing.seconds)
            floor_peak = max(floor_peak, timing.peak_rss_mb)
        median, floor_median = statistics.median(seconds), statistics.median(floor)
        size = master.stat().st_size / 1e6
        print(f"machine: {machine()}; simulator file {size:.1f} MB; {args.runs} interleaved runs")
        if note := bytecode_note():
            print(note)
        print(
            f"sim cycle --full, {args.groups:,} groups: median {median:.3f} s (min {min(seconds):.3f}, "
            f"max {max(seconds):.3f}); peak RSS {peak:.0f} MB; {args.groups / median:,.0f} groups/s"
        )
        print(f"floor (json.load + json.dump + fsync): median {floor_median:.3f} s; peak RSS {floor_peak:.0f} MB")
        goal = 1.6 if args.groups <= 100_000 else 2.0
        print(
            f"ratio {median / floor_median:.2f}x the floor (goal <= {goal}x); "
            f"memory {peak / floor_peak:.2f}x the floor's (goal <= 2.0x)"
        )
        print(f"measured {time.strftime('%Y-%m-%d %H:%M:%S')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
