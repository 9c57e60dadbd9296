"""`reconciler plan`: observe, diff and plan each server; print, and optionally save, the plan."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from reconciler import plan as plan_model
from reconciler import runs, statefiles
from reconciler.errors import EXIT_CHANGES, EXIT_OK, Problem, UserError
from reconciler.plan import Plan
from reconciler.reporters import REPORTERS


def save(the_plan: Plan, path: str) -> None:
    """Write the plan JSON atomically, so `apply --plan` never reads half a file."""
    target = Path(path)
    text = json.dumps(plan_model.to_json(the_plan), indent=2, ensure_ascii=False) + "\n"
    folder = target.parent if str(target.parent) else Path()
    try:
        fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        raise UserError(f"{path}: cannot write the plan: {exc.strerror}") from None


def plan(paths: list[str], options: runs.RunOptions, output: str, out: str | None, detailed_exitcode: bool) -> int:
    states = statefiles.load_all(paths)
    if out is not None and len(states) != 1:
        raise UserError(f"--out saves the plan of one server; {len(states)} state files were given")
    plans: list[Plan] = []
    failures: list[Problem] = []
    for state_file in states:
        try:
            plans.append(runs.plan_one(state_file, options))
        except UserError as exc:
            failures.extend(exc.problems)
    if plans:
        sys.stdout.write(REPORTERS[output](plans))
    if out is not None and plans:
        save(plans[0], out)
    if failures:
        raise UserError(failures)
    return EXIT_CHANGES if detailed_exitcode and any(p.actions for p in plans) else EXIT_OK
