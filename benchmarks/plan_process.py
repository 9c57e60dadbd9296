"""Whole-process start-up figures beside the `python -c "import yaml, json"` floor.

    python benchmarks/plan_process.py [--runs 15]

Goals (docs/performance.md): `plan` of a server in sync <= 4x the floor, of a drifted server
<= 5x, `--help` and `validate` of a valid file <= 2x. Runs are interleaved (floor, then each command, again and
again) so that machine noise hits all alike. The in-sync server has its desired state applied;
the drifted one is a fresh 1.6.2.4 server that needs a clone. POSIX only.

Run it with the Python of a regular install (`pip install .`): pip compiles the package to .pyc
there. An editable install under PYTHONDONTWRITEBYTECODE=1 (as on our development machines)
compiles every module from source at every start-up, which the script says when it sees it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bytecode_note, machine, reconciler_command, time_process

STATE = Path(__file__).resolve().parent.parent / "states" / "tailspin-aadc01-usgov.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    cli = reconciler_command()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        synced, drifted = Path(folder) / "synced.json", Path(folder) / "drifted.json"
        for path in (synced, drifted):
            init = [*cli, "sim", "init", "--name", "tailspin-aadc01", "--version", "1.6.2.4", "--target", f"sim:{path}"]
            subprocess.run(init, check=True, capture_output=True)
            assign = ["server.cloud=AzureUSGovernment", "aadConnector.Name=tailspin.onmicrosoft.us - AAD"]
            subprocess.run([*cli, "sim", "set", "--target", f"sim:{path}", *assign], check=True, capture_output=True)
        apply = [*cli, "apply", str(STATE), "--yes", "--target", f"sim:{synced}"]
        subprocess.run(apply, check=True, capture_output=True)
        commands = {
            "floor: python -c 'import yaml, json'": ([sys.executable, "-c", "import yaml, json"], (0,), None),
            "reconciler plan, server in sync": ([*cli, "plan", str(STATE), "--target", f"sim:{synced}"], (0,), 4.0),
            "reconciler plan, server drifted": ([*cli, "plan", str(STATE), "--target", f"sim:{drifted}"], (0,), 5.0),
            "reconciler --help": ([*cli, "--help"], (0,), 2.0),
            "reconciler validate (valid file)": ([*cli, "validate", str(STATE)], (0,), 2.0),
        }  # fmt: skip
        seconds: dict[str, list[float]] = {label: [] for label in commands}
        peak: dict[str, float] = dict.fromkeys(commands, 0.0)
        for _ in range(args.runs):
            for label, (argv, expect, _goal) in commands.items():
                timing = time_process(argv, 1, expect)
                seconds[label] += timing.seconds
                peak[label] = max(peak[label], timing.peak_rss_mb)
        base = statistics.median(next(iter(seconds.values())))
        print(f"machine: {machine()}; {args.runs} interleaved runs each")
        note = bytecode_note()
        if note:
            print(note)
        for label, values in seconds.items():
            median = statistics.median(values)
            goal = commands[label][2]
            said = f"; goal <= {goal}x" if goal is not None else ""
            print(
                f"{label}: median {median:.3f} s (min {min(values):.3f}, max {max(values):.3f}); "
                f"{median / base:.2f}x the floor{said}; peak RSS {peak[label]:.0f} MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
