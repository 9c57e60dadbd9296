"""Whole-process time of a full sync cycle of the simulator on 100,000 groups (goal: <= 1.5 s).

    python benchmarks/sim_cycle.py [--groups 100000] [--runs 5]

Builds a simulated V2 server whose clone allows 100,000 members, with a reproducible tenant:
most groups small, about 1% between 50,000 and 250,000 members, all provisioned; each run then
does `reconciler sim cycle --full` on a fresh copy of that file, so groups above the limit are
deleted every time. POSIX only (wait4 reads each process's own peak memory).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bytecode_note, machine, reconciler_command, time_process

if TYPE_CHECKING:
    from reconciler.observed import Group


def tenant(count: int) -> tuple[Group, ...]:
    # Imported here, not at the top: the parent that times processes must stay small.
    from reconciler.observed import Group

    rng = random.Random(20261121)
    groups = []
    for i in range(count):
        size = rng.randint(50_001, 250_000) if rng.random() < 0.01 else int(rng.paretovariate(1.2) * 20)
        groups.append(Group(f"group-{i:06d}", min(size, 250_000), True))
    return tuple(groups)


def build(path: Path, count: int) -> None:
    from reconciler import syncrules
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
        seconds = []
        peak = 0.0
        for _ in range(args.runs):
            shutil.copyfile(master, work)
            timing = time_process(argv, 1)
            seconds.extend(timing.seconds)
            peak = max(peak, timing.peak_rss_mb)
        baseline = time_process([sys.executable, "-c", "import yaml, jsonschema, deepdiff"], args.runs)
        median = sorted(seconds)[len(seconds) // 2]
        print(f"machine: {machine()}; simulator file {master.stat().st_size / 1e6:.1f} MB")
        if note := bytecode_note():
            print(note)
        print(
            f"sim cycle --full, {args.groups} groups: median {median:.3f} s, min {min(seconds):.3f} s, "
            f"max {max(seconds):.3f} s over {args.runs} runs; peak RSS {peak:.0f} MB; "
            f"{args.groups / median:,.0f} groups/s (goal <= 1.5 s)"
        )
        print(baseline.line("baseline: python -c 'import yaml, jsonschema, deepdiff'"))
        print(f"measured {time.strftime('%Y-%m-%d %H:%M:%S')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
