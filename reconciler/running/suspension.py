"""When a run may not act on a server: `spec.suspend` and `spec.windows` (docs/state-file.md#suspend,
docs/state-file.md#windows).

Suspended (Flux's `suspend`), an unattended `reconcile` plans and reports and never acts. Outside
its sync windows (Argo CD's), `reconcile` is held back the same way, and a manual `apply` is refused
(one line naming the window and --override-window, exit 1) unless given `--override-window`, which
the journal records. Held back, the server is planned as ever and its plan printed, and nothing is
changed and nothing journalled: a plan with actions is `skipped` (exit 2 with --detailed-exitcode:
the server stays short of its desired state), one without is in sync. `plan` is never held.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime

from reconciler.errors import Problem, UserError
from reconciler.model import windows
from reconciler.model.statefiles import StateFile
from reconciler.running import runner
from reconciler.running.progress import Listener
from reconciler.running.results import ServerResult

REASON = "suspended (spec.suspend: true): the plan is reported, nothing is done"


def held(state_file: StateFile, options: runner.RunOptions, listener: Listener, why: str) -> ServerResult:
    """The server's plan, reported with why it is held; never carried out."""
    result = runner.plan_result(state_file, options)
    if result.plan is None:
        return result
    listener.planned(result.plan, [why])
    if not result.plan.actions:
        return result
    return dataclasses.replace(result, outcome="skipped", why=f"{state_file.state.name}: {why}")


def suspended(state_file: StateFile, options: runner.RunOptions, listener: Listener) -> ServerResult:
    return held(state_file, options, listener, REASON)


def unattended_now(state_file: StateFile, now: datetime | None = None) -> str | None:
    """What keeps an unattended run from acting now, in words (`status`); None when nothing does."""
    if state_file.state.suspend:
        return REASON.replace("the plan is reported", "reconcile reports its plan")
    try:
        verdict = windows.verdict(state_file.state.windows, now or datetime.now(UTC))
    except UserError as exc:
        return _unreadable(state_file, exc).message
    return None if verdict.open else f"outside its sync windows (spec.windows): {verdict.reason}"


def _unreadable(state_file: StateFile, exc: UserError) -> Problem:
    """A window validation passed that this machine cannot read (a time zone its database lacks),
    located at its state file and server."""
    return Problem(state_file.path, None, None, f"{state_file.state.name}: spec.windows: {exc.problems[0].message}")


def apply_gated(
    state_file: StateFile,
    options: runner.RunOptions,
    listener: Listener,
    apply: Callable[[runner.RunOptions], ServerResult],
    *,
    unattended: bool,
    now: datetime | None = None,
) -> ServerResult:
    """`apply(options)` where the server may be changed now; else its plan, held back and said why."""
    if unattended and state_file.state.suspend:
        return suspended(state_file, options, listener)
    try:
        verdict = windows.verdict(state_file.state.windows, now or datetime.now(UTC))
    except UserError as exc:
        return ServerResult(state_file.state.name, state_file.path, problems=(_unreadable(state_file, exc),))
    if verdict.open:
        return apply(options)
    if unattended:
        return held(state_file, options, listener, f"outside its sync windows (spec.windows): {verdict.reason}")
    if not options.override_window:
        # An administrator's apply is refused, not skipped: exit 1 says it did not do what was asked.
        name = state_file.state.name
        why = f"{name}: refused: outside its sync windows (spec.windows): {verdict.reason}"
        why += "; --override-window applies all the same"
        return ServerResult(name, state_file.path, problems=(Problem(state_file.path, None, None, why),))
    return apply(dataclasses.replace(options, window_override=verdict.reason))
