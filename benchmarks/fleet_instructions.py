"""A fleet server's plan in CPU instructions, beside its floor: figures a busy machine cannot move.

    python benchmarks/fleet_instructions.py [--servers 30] [--real-export DIR | --simulator-rules]

Wall time on a shared machine moves by a third from one run to the next; the number of
instructions a piece of work executes barely moves (string hashes are fixed for it). This counts
them with valgrind's cachegrind (`apt-get install valgrind`), start-up excluded: each side runs once
with no server and once with `--servers` servers, and the difference is divided by the number of
servers.

The plan side is what a fleet's worker process does for each state file (`reconciler plan states/
--target snapshot:snapshots/ --output json`: read the state file and the snapshot, plan, write the
plan's JSON), after 20 servers that warm it up as a worker's first chunk does. The floor reads the
same two files with PyYAML's and json's C loaders, as fleet_plan.py's floor does. The servers are
fleet_plan.py's (the real export's rules, or the simulator's where it is absent), each with its own
identifiers.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fleet_plan
from _common import machine

WARM_UP = 20

PLAN = """
import functools, gc, sys
from pathlib import Path
from reconciler.running import fleet, runner
from reconciler.servers import targets

states = sorted(str(p) for p in Path("states").glob("*.yaml"))
options = runner.RunOptions(target=targets.parse("snapshot:snapshots/"))
plan = functools.partial(fleet._plan_path_for_json, options, None)
for path in states[:{warm}]:
    plan(path)
fleet._collect_less()  # as in a worker
for path in states[{warm}:{warm} + int(sys.argv[1])]:
    plan(path)
"""

FLOOR = """
import json, sys
from pathlib import Path
import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
states = sorted(Path("states").glob("*.yaml"))[{warm}:{warm} + int(sys.argv[1])]
for state in states:
    yaml.load(state.read_bytes(), Loader=LOADER)
    json.loads((Path("snapshots") / (state.stem + ".json")).read_bytes())
"""


def instructions(code: str, servers: int, folder: Path) -> int:
    done = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, "-c", code.format(warm=WARM_UP), str(servers)],
        cwd=folder, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},  # str hashes, and with them dict work, alike each run
    )  # fmt: skip
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind failed ({done.returncode}): {done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_server(code: str, servers: int, folder: Path) -> float:
    return (instructions(code, servers, folder) - instructions(code, 0, folder)) / servers


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] + " Needs valgrind (Linux).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--servers", type=int, default=30, help="servers counted, after 20 that warm up")
    fleet_plan.add_rules_options(parser)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    export, said = fleet_plan.rules_of(args)
    print(f"machine: {machine()}")
    print(said)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        fleet_plan.generate(folder, WARM_UP + args.servers, export)
        plan = per_server(PLAN, args.servers, folder)
        floor = per_server(FLOOR, args.servers, folder)
    print(
        f"per server: plan {plan / 1e6:.1f} M instructions, floor {floor / 1e6:.1f} M; "
        f"{plan / floor:.2f}x the floor ({args.servers} servers, start-up excluded)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
