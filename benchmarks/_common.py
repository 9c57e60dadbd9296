"""Shared helpers for the benchmark scripts: run a whole process, time it, read its peak memory."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Timing:
    seconds: list[float]
    peak_rss_mb: float

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def line(self, label: str) -> str:
        return (
            f"{label}: median {self.median:.3f} s, min {min(self.seconds):.3f} s, max {max(self.seconds):.3f} s "
            f"over {len(self.seconds)} runs; peak RSS {self.peak_rss_mb:.0f} MB"
        )


def reconciler_command() -> list[str]:
    """The installed console script next to this Python, else `python -m reconciler`."""
    script = shutil.which("reconciler", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "reconciler"]


def time_process(argv: list[str], runs: int, expect: tuple[int, ...] = (0,)) -> Timing:
    """Wall time of whole processes, and the largest resident set any of them reached."""
    seconds = []
    peak_kb = 0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds.append(time.perf_counter() - start)
        code = os.waitstatus_to_exitcode(status)
        if code not in expect:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise SystemExit(f"{' '.join(argv)} exited {code}: {err}")
        if proc.stderr:
            proc.stderr.close()
        peak_kb = max(peak_kb, usage.ru_maxrss)
    return Timing(seconds, peak_kb / 1024)


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}"


def bytecode_note() -> str | None:
    """A warning when the package under test has no .pyc, so every start-up compiles it from source
    (an editable install under PYTHONDONTWRITEBYTECODE=1); a regular `pip install .` compiles it."""
    # -I: the package as the console script finds it, not the source tree in the current folder.
    probe = [sys.executable, "-I", "-c", "import reconciler, pathlib; print(pathlib.Path(reconciler.__file__).parent)"]
    cache = Path(subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip()) / "__pycache__"
    if cache.is_dir() and any(cache.glob("cli.*.pyc")):
        return None
    return f"note: {cache.parent} has no compiled .pyc: every start-up measured here compiles it from source"
