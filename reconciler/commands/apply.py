"""`reconciler apply` and `reconciler reconcile`: carry plans out, safely."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler import fleet, jsontext, plans, results, runner, statefiles
from reconciler.errors import EXIT_INTERRUPTED, UserError
from reconciler.plans import Plan
from reconciler.reports.text import plan_text
from reconciler.results import ServerResult
from reconciler.statefiles import StateFile


def _shown(the_plan: Plan, notes: list[str]) -> str:
    return "".join(f"{the_plan.server}: {note}\n" for note in notes) + plan_text(the_plan)


def _show(the_plan: Plan, notes: list[str]) -> None:
    # Interactive: the plan must be on the screen before the question about it.
    sys.stdout.write(_shown(the_plan, notes))
    sys.stdout.flush()


@dataclass(frozen=True)
class Wave:
    """Which servers of the fleet this run takes: a shard of them, and one wave or both."""

    shard: str | None = None
    wave: str | None = None


def _confirm_with(yes: bool) -> Callable[[Plan], bool]:
    def confirm(the_plan: Plan) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            raise UserError(f"{the_plan.server}: apply changes a server; confirm with --yes when not run interactively")
        try:
            answer = input(f"Apply {len(the_plan.actions)} action(s) to {the_plan.server}? Only 'yes' proceeds: ")
        except EOFError:  # Ctrl-D, or the input closed: no answer is not a yes
            print()
            return False
        return answer.strip() == "yes"

    return confirm


def _load_plan(path: str) -> Plan:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the plan: {exc.strerror}") from None
    return plans.from_json(jsontext.loads(jsontext.decode(data, path), path), path)


def _result(applied: runner.Applied) -> str:
    name = applied.plan.server
    if not applied.plan.actions:
        return ""
    if not applied.confirmed:
        return f"{name}: not applied\n"
    done = sum(1 for o in applied.steps if o.result == "done")
    skipped = len(applied.steps) - done
    return f"{name}: applied {done} action(s)" + (f", {skipped} already satisfied" if skipped else "") + "\n"


def _apply_one(options: runner.RunOptions, yes: bool, saved: Plan | None) -> Callable[[StateFile], ServerResult]:
    def run(state_file: StateFile) -> ServerResult:
        log: list[str] = []

        def show(the_plan: Plan, notes: list[str]) -> None:
            if yes:  # unattended: kept with the server's result, printed per wave in name order
                log.append(_shown(the_plan, notes))
            else:
                _show(the_plan, notes)

        def done(applied: runner.Applied) -> None:
            log.append(_result(applied))

        result = runner.apply_result(state_file, options, runner.Review(_confirm_with(yes), show, done), saved)
        return dataclasses.replace(result, log="".join(log))

    return run


def _run_all(
    states: list[StateFile], options: runner.RunOptions, yes: bool, saved: Plan | None, wave: str | None
) -> list[ServerResult]:
    def print_wave(finished: list[ServerResult]) -> None:
        for outcome in finished:
            sys.stdout.write(outcome.log)
            for problem in outcome.problems:
                print(problem, file=sys.stderr)
        sys.stdout.flush()

    # Unattended runs take the servers of a wave side by side; asking for each one cannot.
    outcomes = fleet.apply_in_waves(states, options, _apply_one(options, yes, saved), wave, print_wave, parallel=yes)
    if len(outcomes) > 1:
        print(results.summary(outcomes, changes="changed"))
    return outcomes


def _states(paths: list[str], shard: str | None) -> list[StateFile]:
    # Any invalid state file stops the whole run before anything is observed or changed.
    return fleet.select(statefiles.load_all(paths), fleet.parse_shard(shard) if shard else None)


def apply(paths: list[str], options: runner.RunOptions, plan_file: str | None, yes: bool, wave: Wave = Wave()) -> int:
    states = _states(paths, wave.shard)
    saved = None
    if plan_file is not None:
        if len(states) != 1:
            raise UserError(f"--plan applies the saved plan of one server; {len(states)} state files were given")
        saved = _load_plan(plan_file)
    return results.exit_code(_run_all(states, options, yes, saved, wave.wave), detailed=False)


def reconcile(paths: list[str], options: runner.RunOptions, watch: float | None, wave: Wave = Wave()) -> int:
    if watch is None:
        return results.exit_code(_run_all(_states(paths, wave.shard), options, True, None, wave.wave), detailed=False)
    # Level-triggered: every pass compares desired and observed afresh and re-applies what drifted,
    # so a reset by an in-place upgrade is put right on the next pass. A failing pass is reported
    # and the loop goes on; Ctrl-C stops it between or within passes, the scheduler restored.
    try:
        while True:
            try:
                # Read afresh each pass: a merged change to a state file takes effect on the next one.
                _run_all(_states(paths, wave.shard), options, True, None, wave.wave)
            except UserError as exc:
                for problem in exc.problems:
                    print(problem, file=sys.stderr)
            time.sleep(watch)
    except KeyboardInterrupt:
        print("reconcile: stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
