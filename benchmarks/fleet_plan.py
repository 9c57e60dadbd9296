"""Planning a fleet from snapshots, whole process, beside its file-reading floor.

    python benchmarks/fleet_plan.py [--servers 1000 10000 20000] [--runs 3]
                                    [--real-export DIR | --simulator-rules]

The floor reads the same state files and snapshots with PyYAML's and json's C loaders in two
processes, as any tool planning them must; it runs interleaved with the plans. Goals
(docs/performance.md): 10,000 servers <= 5x the floor, peak memory of the process tree <= 300 MB,
time per server within 10 % from 1,000 to 20,000 servers.

Generates a state repository (one state file per server) and one collector-format snapshot per
server, each with a real server's rules: the real configuration export (62 rules, 1,200 flows) in
shared/fixtures beside the repository's root, or --real-export DIR. Without it, or with
--simulator-rules, the simulator's standard rule set (63 rules, 13 flows: not what a real fleet
reads, and not what the budget is measured on). Each server has ten groups; a third carry a clone,
a fifth are already in sync. As on real servers (docs/compare.md#remapping), no two servers share
an identifier: each has its own on-premises connector and its own rule objects, so no two
snapshots hold an equal rule. Then times
`reconciler plan states/ --target snapshot:snapshots/ --output json` as a whole process, and
samples the resident memory of the whole process tree (the worker processes included) from
/proc while it runs. Linux only.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bytecode_note, machine, reconciler_command

STATE = """apiVersion: reconciler/v1
kind: SyncServer
metadata:
  name: {name}
spec:
  cloud: AzureCommercial
  apiVersions:
    export: 2
    import: 2
  groupMemberLimit: {limit}
  rulePrecedence: 90
  writeupRulePrecedence: 89
  scheduler:
    syncCycleEnabled: true
"""


def _own_identifiers(rules: tuple[Any, ...], name: str) -> tuple[Any, ...]:
    """The rules as another installation holds them: its own rule identifiers, and its own
    on-premises connector (the AAD connector's identifier is the same everywhere)."""
    from reconciler.model import facts

    def own(text: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}:{text}"))

    return tuple(
        dataclasses.replace(
            rule,
            identifier=own(rule.identifier),
            connector=rule.connector if rule.connector == facts.AAD_CONNECTOR_ID else own(rule.connector),
        )
        for rule in rules
    )


# A real server's rules, with their flows (1,200 over 62 rules): the configuration export kept in
# shared/fixtures beside the repository's root, read where it is (the repository holds no copy).
REAL_EXPORT = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "adsync-export-contoso-1.1.130.0"


def add_rules_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--real-export",
        type=Path,
        default=REAL_EXPORT,
        metavar="DIR",
        help="the real configuration export whose rules every server holds",
    )
    parser.add_argument("--simulator-rules", action="store_true",
                        help="the simulator's rules (13 flows in all) instead of the real export's")  # fmt: skip


def rules_of(args: argparse.Namespace) -> tuple[Path | None, str]:
    """The export whose rules the servers hold (None: the simulator's), and the line that says so."""
    if args.simulator_rules:
        return None, "rules: the simulator's, 13 flows in all (--simulator-rules): not a real server's"
    if not args.real_export.is_dir():
        return None, (
            f"rules: the simulator's, 13 flows in all: not a real server's, as the budget is measured; "
            f"no real export at {args.real_export} (--real-export DIR)"
        )
    return args.real_export, f"rules: the real export's ({args.real_export})"


def generate(folder: Path, count: int, export: Path | None = None) -> None:
    """`export`: each server holds the rules of that configuration export (with their flows), not
    the simulator's, whose standard rules other than Group Join carry no flows (13 in all)."""
    from reconciler.model import observed, syncrules
    from reconciler.servers import serverconfig
    from reconciler.servers.simulator import defaults

    (folder / "states").mkdir()
    (folder / "snapshots").mkdir()
    template = defaults.new_server("template", "1.6.2.4")
    if export is not None:
        template = template.replace(sync_rules=serverconfig.read(export, "template").sync_rules)
    for i in range(count):
        name = f"tenant{i:05d}-aadc01"
        server = template.server.__class__(name, "1.6.2.4", "AzureCommercial", True)
        state = template.replace(server=server, sync_rules=_own_identifiers(template.sync_rules, name))
        standard = syncrules.standard_group_join(state)
        assert standard is not None
        if i % 3 == 0:
            clone = syncrules.make_clone(standard, server=name, name="Out to AAD - Group Join (member limit)",
                                     precedence=90, limit=100000)  # fmt: skip
            state = state.replace(sync_rules=(*state.sync_rules, clone))
        limit = 100000 if i % 5 else 50000
        (folder / "states" / f"{name}.yaml").write_text(STATE.format(name=name, limit=limit), encoding="utf-8")
        (folder / "snapshots" / f"{name}.json").write_text(observed.dumps(state), encoding="utf-8")


FLOOR = """
import json, sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read(paths):
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        if path.endswith(".yaml"):
            yaml.load(data, Loader=LOADER)
        else:
            json.loads(data)
    return len(paths)


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    files = sorted(map(str, folder.glob("states/*.yaml"))) + sorted(map(str, folder.glob("snapshots/*.json")))
    with ProcessPoolExecutor(2) as pool:
        print(sum(pool.map(read, [files[0::2], files[1::2]])))
"""


def _tree_rss_kb(root: int) -> int:
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue
        parents[int(entry)] = int(fields.get("PPid", "0").strip() or 0)
        rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0]) if "VmRSS" in fields else 0
    total = 0
    for pid, kilobytes in rss.items():
        walk = pid
        while walk and walk != root:
            walk = parents.get(walk, 0)
        if walk == root:
            total += kilobytes
    return total


def run_once(folder: Path, argv: list[str] | None = None) -> tuple[float, float, float]:
    argv = argv or [*reconciler_command(), "plan", "states", "--target", "snapshot:snapshots/", "--output", "json"]
    peak = [0]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert proc.stderr is not None
    err = proc.stderr.read()
    # wait4: the process's CPU time with its worker processes' (which it waited for) included.
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"plan exited {code}: {err.decode()[-2000:]}")
    return elapsed, peak[0] / 1024, usage.ru_utime + usage.ru_stime


def _generate_apart(folder: Path, count: int, export: Path | None) -> None:
    """`generate` in a process of its own: the models it builds are not the measured run's."""
    code = (
        "import sys, pathlib; sys.path.insert(0, sys.argv[1]); import fleet_plan; "
        "export = pathlib.Path(sys.argv[4]) if sys.argv[4] else None; "
        "fleet_plan.generate(pathlib.Path(sys.argv[2]), int(sys.argv[3]), export)"
    )
    here = str(Path(__file__).parent)
    subprocess.run([sys.executable, "-c", code, here, str(folder), str(count), str(export or "")], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--servers",
        type=int,
        nargs="+",
        default=[1000, 10000, 20000],
        help="fleet sizes, each planned --runs times (10,000 servers: minutes a run)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each size, interleaved with the floor's")
    add_rules_options(parser)  # fmt: skip
    args = parser.parse_args()
    export, said = rules_of(args)
    print(f"machine: {machine()}; runs: {args.runs} of each, interleaved with the floor's")
    print(said)
    if note := bytecode_note():
        print(note)
    per_server: dict[int, float] = {}
    floor_per_server: dict[int, float] = {}
    cpu_per_server: dict[int, float] = {}
    for count in args.servers:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            _generate_apart(folder, count, export)
            floor_argv = [sys.executable, "-c", FLOOR, tmp]
            results, floors = [], []
            for _ in range(args.runs):
                results.append(run_once(folder))
                floors.append(run_once(folder, floor_argv))
        seconds = [r[0] for r in results]
        peak = max(r[1] for r in results)
        median, floor = statistics.median(seconds), statistics.median(f[0] for f in floors)
        per_server[count] = median / count
        floor_per_server[count] = floor / count
        cpu_per_server[count] = statistics.median(r[2] for r in results) / count
        print(
            f"plan {count:,} servers (snapshots): median {median:.2f} s "
            f"(min {min(seconds):.2f}, max {max(seconds):.2f}); "
            f"{count / median:,.0f} servers/s; peak RSS of the process tree {peak:.0f} MB; "
            f"floor {floor:.2f} s ({max(f[1] for f in floors):.0f} MB); {median / floor:.2f}x the floor"
        )
    if len(per_server) > 1:
        counts = sorted(per_server)
        spread = max(per_server.values()) / min(per_server.values()) - 1
        shown = ", ".join(f"{c:,}: {per_server[c] * 1e6:.0f} us" for c in counts)
        print(f"time per server: {shown}; spread {spread:.0%} (goal <= 10 %)")
        # The floor starts an interpreter, loads PyYAML and forks too: its own spread says how much
        # of ours is start-up that any Python tool reading these files pays.
        floor_spread = max(floor_per_server.values()) / min(floor_per_server.values()) - 1
        shown = ", ".join(f"{c:,}: {floor_per_server[c] * 1e6:.0f} us" for c in counts)
        print(f"the floor's time per server: {shown}; spread {floor_spread:.0%}")
        ratios = {c: per_server[c] / floor_per_server[c] for c in counts}
        ratio_spread = max(ratios.values()) / min(ratios.values()) - 1
        shown = ", ".join(f"{c:,}: {ratios[c]:.2f}x" for c in counts)
        print(f"time per server against the floor's: {shown}; spread {ratio_spread:.0%}")
        cpu_spread = max(cpu_per_server.values()) / min(cpu_per_server.values()) - 1
        shown = ", ".join(f"{c:,}: {cpu_per_server[c] * 1e6:.0f} us" for c in counts)
        print(f"CPU per server (the process and its workers, start-up included): {shown}; spread {cpu_spread:.0%}")
        # Time = fixed + n x marginal: the fixed part (interpreter, imports, two workers each loading
        # deepdiff and their first rules) weighs on "time per server" at small n only.
        steps = []
        for small, large in itertools.pairwise(counts):
            marginal = (per_server[large] * large - per_server[small] * small) / (large - small)
            fixed = per_server[small] * small - marginal * small
            steps.append(f"{small:,} -> {large:,}: {marginal * 1e6:.0f} us (fixed {fixed * 1e3:.0f} ms)")
        print(f"each further server: {'; '.join(steps)}")
    print("goals, with a real server's rules: 10,000 servers <= 5x the floor, peak <= 300 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
