"""Reading the real configuration export (shared/fixtures): goal <= 0.15 s beyond start-up.

    python benchmarks/export_read.py [--runs 15]

Reports (1) in-process time of `serverconfig.read` on the 62-rule export with its 1.8 MB
on-premises connector file, first call (schema compilation included) and warm calls, and
(2) whole processes side by side: `reconciler export --target export:DIR` minus
`reconciler validate` of one small state file (the same start-up, no server read).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bytecode_note, machine, reconciler_command, time_process

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT.parent / "shared" / "fixtures" / "adsync-export-contoso-1.1.130.0"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if not EXPORT.is_dir():
        print(f"no fixture at {EXPORT}", file=sys.stderr)
        return 1
    from reconciler.servers import serverconfig

    start = time.perf_counter()
    serverconfig.read(EXPORT, "contoso-sync01")
    first = time.perf_counter() - start
    warm = []
    for _ in range(args.runs):
        start = time.perf_counter()
        serverconfig.read(EXPORT, "contoso-sync01")
        warm.append(time.perf_counter() - start)
    print(f"machine: {machine()}")
    if note := bytecode_note():
        print(note)
    print(f"in process: first read {first:.3f} s (schema compiled), warm median {statistics.median(warm):.3f} s")

    cli = reconciler_command()
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder) / "s.yaml"
        state.write_text((ROOT / "states" / "fabrikam-aadc01.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        read = [*cli, "export", "--target", f"export:{EXPORT}", "--name", "contoso-sync01"]
        base = [*cli, "validate", str(state)]
        with_read, without = [], []
        for _ in range(args.runs):
            with_read += time_process(read, 1).seconds
            without += time_process(base, 1).seconds
    beyond = statistics.median(with_read) - statistics.median(without)
    print(
        f"whole process: export median {statistics.median(with_read):.3f} s, validate median "
        f"{statistics.median(without):.3f} s; reading the export costs {beyond:.3f} s beyond start-up (goal <= 0.15 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
