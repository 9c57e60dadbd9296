"""`reconciler apply` and `reconciler reconcile`: carry plans out, safely."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from reconciler import plan as plan_model
from reconciler import runs, statefiles
from reconciler.errors import EXIT_INTERRUPTED, EXIT_OK, Problem, UserError
from reconciler.plan import Plan
from reconciler.reporters import text


def _show(the_plan: Plan, notes: list[str]) -> None:
    for note in notes:
        print(f"{the_plan.server}: {note}")
    sys.stdout.write(text([the_plan]))
    sys.stdout.flush()


def _confirm_with(yes: bool) -> Callable[[Plan], bool]:
    def confirm(the_plan: Plan) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            raise UserError(f"{the_plan.server}: apply changes a server; confirm with --yes when not run interactively")
        answer = input(f"Apply {len(the_plan.actions)} action(s) to {the_plan.server}? Only 'yes' proceeds: ")
        return answer.strip() == "yes"

    return confirm


def _load_plan(path: str) -> Plan:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: cannot read the plan: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not a plan file: {exc}") from None
    return plan_model.from_json(data, path)


def _report(applied: runs.Applied) -> None:
    name = applied.plan.server
    if not applied.plan.actions:
        return
    if not applied.confirmed:
        print(f"{name}: not applied")
        return
    done = sum(1 for o in applied.outcomes if o.result == "done")
    skipped = len(applied.outcomes) - done
    print(f"{name}: applied {done} action(s)" + (f", {skipped} already satisfied" if skipped else ""))


def _run_all(
    states: list[statefiles.StateFile], options: runs.RunOptions, yes: bool, saved: Plan | None
) -> list[Problem]:
    failures: list[Problem] = []
    for state_file in states:
        try:
            _report(runs.apply_one(state_file, options, _confirm_with(yes), saved, _show))
        except UserError as exc:
            failures.extend(exc.problems)
    return failures


def apply(paths: list[str], options: runs.RunOptions, plan_file: str | None, yes: bool) -> int:
    states = statefiles.load_all(paths)
    saved = None
    if plan_file is not None:
        if len(states) != 1:
            raise UserError(f"--plan applies the saved plan of one server; {len(states)} state files were given")
        saved = _load_plan(plan_file)
    failures = _run_all(states, options, yes, saved)
    if failures:
        raise UserError(failures)
    return EXIT_OK


def reconcile(paths: list[str], options: runs.RunOptions, watch: float | None) -> int:
    if watch is None:
        failures = _run_all(statefiles.load_all(paths), options, True, None)
        if failures:
            raise UserError(failures)
        return EXIT_OK
    # Level-triggered: every pass compares desired and observed afresh and re-applies what drifted,
    # so a reset by an in-place upgrade is put right on the next pass. A failing pass is reported
    # and the loop goes on; Ctrl-C stops it between or within passes, the scheduler restored.
    try:
        while True:
            try:
                # Read afresh each pass: a merged change to a state file takes effect on the next one.
                failures = _run_all(statefiles.load_all(paths), options, True, None)
            except UserError as exc:
                failures = list(exc.problems)
            for problem in failures:
                print(problem, file=sys.stderr)
            time.sleep(watch)
    except KeyboardInterrupt:
        print("reconcile: stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
