"""`reconciler apply` and `reconciler reconcile`: carry plans out, safely, saying what happens.

Interactive `apply` is Terraform's: the whole plan of every server, one summary line, one
question. What runs is exactly what was reviewed: each server's run re-plans under its lock and
refuses to go on when the plan differs from the reviewed one. `--yes` and `reconcile` plan each
server under its lock and apply at once, printing each plan as it is made.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reconciler.commands.plan import colour_for, show_text
from reconciler.errors import EXIT_INTERRUPTED, UserError
from reconciler.formats import files, jsontext
from reconciler.model import statefiles
from reconciler.model.statefiles import StateFile
from reconciler.planning import plans
from reconciler.planning.plans import Plan
from reconciler.reports import jsonreport
from reconciler.reports.live import LinePrinter
from reconciler.running import fleet, results, runner, suspension
from reconciler.running.results import ServerResult


@dataclass(frozen=True, slots=True)
class Wave:
    """Which servers of the fleet this run takes: a shard of them, and one wave or both."""

    shard: str | None = None
    wave: str | None = None


@dataclass(frozen=True, slots=True)
class Output:
    """How the run reports: `text` lines on stdout, or `json` (progress on stderr, one document on
    stdout); `detailed` exit 2 when any server ends short of its desired state."""

    format: str = "text"
    detailed: bool = False


def _load_plan(path: str) -> Plan:
    data = files.read_bytes(path, files.MAX_REPORT_BYTES, path, missing="no such saved plan")
    return plans.from_json(jsontext.loads(jsontext.decode(data, path), path), path)


def _states(paths: list[str], shard: str | None) -> list[StateFile]:
    # Any invalid state file stops the whole run before anything is observed or changed.
    return fleet.select(statefiles.load_all(paths), fleet.parse_shard(shard) if shard is not None else None)


def _printer(output: Output, **options: bool) -> LinePrinter:
    stream = sys.stdout if output.format == "text" else sys.stderr
    # A status line redrawn in place on a terminal; plain lines in CI logs and pipes.
    terminal = bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")
    return LinePrinter(stream, colour=colour_for(stream), live=terminal, **options)


def _apply_all(
    states: list[StateFile],
    options: runner.RunOptions,
    printer: LinePrinter,
    wave: str | None,
    reviewed: dict[str, Plan] | None = None,
    *,
    unattended: bool = False,
) -> list[ServerResult]:
    said: set[str] = set()  # state files whose result is printed: every result is, once

    def say(outcome: ServerResult) -> None:
        if outcome.path not in said:
            said.add(outcome.path)
            printer.result(outcome)

    def run_one(state_file: StateFile) -> ServerResult:
        saved = reviewed.get(state_file.state.name) if reviewed is not None else None
        outcome = suspension.apply_gated(
            state_file,
            options,
            printer,
            lambda run_options: runner.apply_result(state_file, run_options, lambda _p: True, saved, printer),
            unattended=unattended,
        )
        say(outcome)
        return outcome

    def report_finished(finished: list[ServerResult]) -> None:
        # Those that never ran (another wave, held, unobservable) are said here, as each wave ends.
        for outcome in finished:
            say(outcome)

    # Applying is waiting on servers: those of one wave run side by side.
    only = [s for s in states if reviewed is None or s.state.name in reviewed]
    outcomes = fleet.apply_in_waves(only, options, run_one, wave, report_finished, parallel=True, listener=printer)
    for outcome in outcomes:
        say(outcome)
    return outcomes


def _finish(outcomes: list[ServerResult], printer: LinePrinter, output: Output) -> int:
    if output.format == "json":
        sys.stdout.write(jsonreport.fleet_report(outcomes))
    elif len(outcomes) > 1:
        print(results.summary(outcomes))
    if any(o.status == "interrupted" for o in outcomes):
        sys.stderr.write(printer.interrupted_summary(outcomes))
        return EXIT_INTERRUPTED
    return results.exit_code(outcomes, output.detailed)


def _saved_plans(plan_file: str, states: list[StateFile]) -> tuple[dict[str, Plan], list[ServerResult]]:
    """The reviewed plans `--plan` names, by server: one saved plan for one state file, or a folder of
    them (NAME.json each, as `plan --out DIR/` saves them) for a fleet. A server with no saved plan in
    the folder is skipped, said so: only what was reviewed runs."""
    folder = Path(plan_file)
    if not folder.is_dir():
        if len(states) != 1:
            raise UserError(
                f"--plan {plan_file}: one saved plan is one server's, and {len(states)} state files were given; "
                "name a folder of saved plans (plan --out DIR/) for several"
            )
        # Under the state file's server: a plan saved for another one is refused by name when it runs.
        return {states[0].state.name: _load_plan(plan_file)}, []
    found: dict[str, Plan] = {}
    without = []
    for state_file in states:
        candidate = folder / f"{state_file.state.name}.json"
        if files.check_regular(candidate, str(candidate)):
            found[state_file.state.name] = _load_plan(str(candidate))
        else:
            why = f"{state_file.state.name}: no reviewed plan ({candidate} does not exist); nothing applied"
            without.append(ServerResult(state_file.state.name, state_file.path, outcome="skipped", why=why))
    return found, without


def _review(
    states: list[StateFile], options: runner.RunOptions, saved: dict[str, Plan] | None, output: Output
) -> tuple[list[ServerResult], bool]:
    """Plan every server, show it all, ask once. Returns the plans and whether to go on."""
    if saved is not None:
        reviewed = [
            ServerResult(s.state.name, s.path, plan=saved[s.state.name]) for s in states if s.state.name in saved
        ]
    else:
        reviewed = [runner.plan_result(s, options) for s in states]
    stream = sys.stdout if output.format == "text" else sys.stderr
    show_text(reviewed, stream)
    changing = [o.plan for o in reviewed if o.plan is not None and o.plan.actions]
    if not changing:
        return reviewed, False
    if not sys.stdin.isatty():
        raise UserError("apply changes servers; confirm with --yes when not run interactively (nothing was changed)")
    servers = "server" if len(changing) == 1 else "servers"
    question = (
        f"Apply {sum(len(p.actions) for p in changing)} action(s) to {len(changing)} {servers}? Only 'yes' proceeds: "
    )
    stream.flush()
    try:
        answer = input(question)
    except EOFError:  # Ctrl-D, or the input closed: no answer is not a yes
        print()
        answer = ""
    return reviewed, answer.strip() == "yes"


def apply(
    paths: list[str],
    options: runner.RunOptions,
    plan_file: str | None,
    yes: bool,
    *,
    wave: Wave = Wave(),
    output: Output = Output(),
) -> int:
    states = _states(paths, wave.shard)
    saved, without = _saved_plans(plan_file, states) if plan_file is not None else (None, [])
    if yes:
        printer = _printer(output)
        for outcome in without:
            printer.result(outcome)
        with_plans = [s for s in states if saved is None or s.state.name in saved]
        return _run(lambda: _apply_all(with_plans, options, printer, wave.wave, saved), printer, output, without)
    reviewed, go = _review(states, options, saved, output)
    reviewed += without
    changing = {o.server: o.plan for o in reviewed if o.plan is not None and o.plan.actions}
    if not changing:  # nothing to ask about: the review was the whole run
        if output.format == "json":
            sys.stdout.write(jsonreport.fleet_report(reviewed))
        return results.exit_code(reviewed, output.detailed)
    if not go:
        print("Apply cancelled: nothing was changed.", file=sys.stderr)
        declined = [
            ServerResult(o.server, o.path, o.plan, o.problems, outcome="declined", why="the apply was declined")
            if o.server in changing
            else o
            for o in reviewed
        ]
        return _finish(declined, _printer(output), output)
    printer = _printer(output, show_plans=False)
    return _run(lambda: _apply_all(states, options, printer, wave.wave, changing), printer, output, reviewed)


def _write_events(outcomes: list[ServerResult], options: runner.RunOptions, event_log: bool) -> None:
    """--event-log: the pass's events to the Windows Event Log (docs/eventlog.md); a failure is one line."""
    if not event_log:
        return
    from reconciler.running import eventlog  # noqa: PLC0415 - only with --event-log

    problem = eventlog.write(outcomes, options)
    if problem is not None:
        print(problem, file=sys.stderr)


def _run(
    work: Callable[[], list[ServerResult]],
    printer: LinePrinter,
    output: Output,
    others: list[ServerResult] | None = None,
) -> int:
    try:
        outcomes = work()
    except KeyboardInterrupt as exc:
        if isinstance(exc, fleet.HardStop):
            _hard_stop()
        # A server's own run turns its Ctrl-C into its result: this one came outside every run,
        # most likely while the servers were observed for their waves.
        raise KeyboardInterrupt(
            "stopped outside any server's run; `reconciler status` of the state files shows where each stands"
        ) from None
    if others is not None:  # servers with nothing to apply, and those that failed to plan, count too
        ran = {o.server for o in outcomes}
        outcomes = sorted(outcomes + [o for o in others if o.server not in ran], key=lambda o: o.server)
    return _finish(outcomes, printer, output)


def _hard_stop() -> None:
    print(
        "Two interrupts received: quit without waiting for the servers' runs to stop. A server may be "
        f"left with its scheduler off: {runner.RESTORE_HINT.format(state='STATE')}",
        file=sys.stderr,
    )
    sys.stderr.flush()
    sys.stdout.flush()
    os._exit(EXIT_INTERRUPTED)  # the pool's threads would otherwise be waited for at exit


def reconcile(
    paths: list[str],
    options: runner.RunOptions,
    watch: float | None,
    *,
    wave: Wave = Wave(),
    output: Output = Output(),
    event_log: bool = False,
) -> int:
    if watch is None:
        printer = _printer(output)

        def once() -> list[ServerResult]:
            outcomes = _apply_all(_states(paths, wave.shard), options, printer, wave.wave, unattended=True)
            _write_events(outcomes, options, event_log)
            return outcomes

        return _run(once, printer, output)
    # Level-triggered: every pass compares desired and observed afresh and re-applies what drifted,
    # so a reset by an in-place upgrade is put right on the next pass. A failing pass is reported
    # and the loop goes on; Ctrl-C stops it between or within passes, the scheduler restored.
    printer = _printer(output, repeat=True)
    passes = 0
    try:
        while True:
            passes += 1
            started = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            # Each pass says when it began: a log of a long watch reads as a timeline.
            (sys.stdout if output.format == "text" else sys.stderr).write(f"reconcile: pass {passes} at {started}\n")
            try:
                # Read afresh each pass: a merged change to a state file takes effect on the next one.
                outcomes = _apply_all(_states(paths, wave.shard), options, printer, wave.wave, unattended=True)
                _write_events(outcomes, options, event_log)
            except UserError as exc:
                for problem in exc.problems:
                    print(problem, file=sys.stderr)
            else:
                if output.format == "json":  # one document a pass, on a line of its own (JSON Lines)
                    document = json.loads(jsonreport.fleet_report(outcomes))
                    document["pass"] = {"number": passes, "startedAt": started}
                    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
                    sys.stdout.flush()
                if any(o.status == "interrupted" for o in outcomes):
                    sys.stderr.write(printer.interrupted_summary(outcomes))
                    raise KeyboardInterrupt
            time.sleep(watch)
    except KeyboardInterrupt:
        print("reconcile: stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
