"""`reconciler plan` of a drifted server beside `ansible-playbook --check --diff` of the same four settings.

    python benchmarks/ansible_check.py --ansible-playbook /path/to/ansible-playbook [--runs 11]

ansible-core is no dependency of ours: install it anywhere (`python3 -m venv /tmp/ansible &&
/tmp/ansible/bin/pip install ansible-core`) and name its `ansible-playbook`, or have it on PATH.
Goal (docs/performance.md): the plan at least 20x faster.

The server is the drifted one of plan_process.py (a fresh 1.6.2.4 simulator for
states/tailspin-aadc01-usgov.yaml). The playbook (benchmarks/ansible/playbook.yml) holds the four
tasks an Ansible user would write for that state (export and import API versions, the limit
clone, the scheduler), each comparing the desired setting with the one found on the same simulated
server, written out as a file per setting before the runs. Locally, with no facts gathered: the
kindest case for Ansible, whose real tasks would cross WinRM. Runs are interleaved. POSIX only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bytecode_note, machine, reconciler_command, time_process

HERE = Path(__file__).resolve().parent
STATE = HERE.parent / "states" / "tailspin-aadc01-usgov.yaml"
PLAYBOOK = HERE / "ansible" / "playbook.yml"
CLONE = "Out to AAD - Group Join (75k rollout)"


def write_found(simulator: Path, folder: Path) -> None:
    """Each setting the playbook manages, as found on the simulated server: a file, or none."""
    state = json.loads(simulator.read_text(encoding="utf-8"))
    folder.mkdir()
    for name in ("AadConnectorExportApiVersion", "AadConnectorImportApiVersion"):
        value = state["registry"].get(name)
        if value is not None:
            (folder / name).write_text(f"{value}\n", encoding="utf-8")
    for rule in state["syncRules"]:
        if rule["Name"] == CLONE:
            (folder / f"{CLONE}.json").write_text(json.dumps(rule, indent=4) + "\n", encoding="utf-8")
    enabled = "true" if state["scheduler"]["SyncCycleEnabled"] else "false"
    (folder / "SyncCycleEnabled").write_text(f"{enabled}\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ansible-playbook", default=shutil.which("ansible-playbook"), metavar="PATH")
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    if not args.ansible_playbook or not os.access(args.ansible_playbook, os.X_OK):
        print(
            "ansible-playbook not found: python3 -m venv /tmp/ansible && /tmp/ansible/bin/pip install ansible-core, "
            "then --ansible-playbook /tmp/ansible/bin/ansible-playbook",
            file=sys.stderr,
        )
        return 1
    cli = reconciler_command()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        drifted = Path(folder) / "drifted.json"
        init = [*cli, "sim", "init", "--name", "tailspin-aadc01", "--version", "1.6.2.4", "--target", f"sim:{drifted}"]
        subprocess.run(init, check=True, capture_output=True)
        assign = ["server.cloud=AzureUSGovernment", "aadConnector.Name=tailspin.onmicrosoft.us - AAD"]
        subprocess.run([*cli, "sim", "set", "--target", f"sim:{drifted}", *assign], check=True, capture_output=True)
        found = Path(folder) / "found"
        write_found(drifted, found)
        os.environ.update(
            ANSIBLE_LOCALHOST_WARNING="False",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
            ANSIBLE_PYTHON_INTERPRETER=str(Path(args.ansible_playbook).resolve().parent / "python"),
            ANSIBLE_NOCOLOR="1",
        )
        ansible = [args.ansible_playbook, "-i", "localhost,", "--check", "--diff", "-e", f"found_dir={found}",
                   str(PLAYBOOK)]  # fmt: skip
        check = subprocess.run(ansible, check=False, capture_output=True, text=True)
        if check.returncode != 0 or "changed=3" not in check.stdout:
            print(check.stdout[-3000:], check.stderr[-3000:], file=sys.stderr)
            raise SystemExit("the playbook did not report the three settings that differ")
        plan = [*cli, "plan", str(STATE), "--target", f"sim:{drifted}"]
        seconds: dict[str, list[float]] = {"reconciler plan": [], "ansible-playbook --check --diff": []}
        peak = dict.fromkeys(seconds, 0.0)
        for _ in range(args.runs):
            for label, argv in zip(seconds, (plan, ansible), strict=True):
                timing = time_process(argv, 1)
                seconds[label] += timing.seconds
                peak[label] = max(peak[label], timing.peak_rss_mb)
    print(f"machine: {machine()}; {args.runs} interleaved runs each; {check.stdout.strip().splitlines()[-1].strip()}")
    if note := bytecode_note():
        print(note)
    for label, values in seconds.items():
        print(f"{label}: median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f}); "
              f"peak RSS {peak[label]:.0f} MB")  # fmt: skip
    plan_s, ansible_s = (statistics.median(values) for values in seconds.values())  # in the order timed
    print(f"reconciler plan is {ansible_s / plan_s:.1f}x faster than ansible-playbook --check --diff (goal >= 20x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
