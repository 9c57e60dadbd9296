"""What a run found or did for each server, and what a run of many servers adds up to.

Reports read these and the runner writes them; neither needs the other (docs/commands.md#exit-codes).
A status never says more than is true: a declined apply is not "changed", a skipped server is not
"in sync", and a rollout step that leaves the server short of its desired limit is "progressing".
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, Problem
from reconciler.planning.plans import Plan

if TYPE_CHECKING:
    from reconciler.model.health import Health

# In the order a summary lists them. `plan` gives the first four and `failed`; `apply` the rest.
STATUSES = (
    "in-sync",
    "changes",
    "progressing",
    "held",
    "changed",
    "skipped",
    "declined",
    "interrupted",
    "failed",
)
WORDS = {
    "in-sync": "in sync",
    "changes": "with changes",
    "progressing": "rollout progressing",
    "held": "held by a staged rollout",
    "changed": "changed",
    "skipped": "skipped",
    "declined": "not applied (declined)",
    "interrupted": "interrupted",
    "failed": "failed",
}
# Short of the desired state: exit 2 with --detailed-exitcode.
SHORT = frozenset({"changes", "progressing", "held", "skipped"})
# The run did not do what it was asked: exit 1.
ERRORS = frozenset({"failed", "declined", "interrupted"})


@dataclass(frozen=True)  # not slots: status is kept in the instance
class ServerResult:
    """One server of a run: its plan, or the problems that stopped it."""

    server: str
    path: str
    plan: Plan | None = None
    problems: tuple[Problem, ...] = ()
    converged: bool | None = None  # after apply: planning again found nothing to do
    # An apply that did not run the plan: skipped, declined or interrupted (reason in `why`).
    outcome: str | None = None
    why: str = ""
    applied: int = 0  # actions that changed the server
    satisfied: int = 0  # actions found already satisfied, so nothing was done
    elsewhere: bool = False  # skipped: the state describes another machine than the live target's

    @functools.cached_property
    def status(self) -> str:
        # Kept in the result: a fleet's report asks it three times a server, and a worker process
        # that asked it first sends the answer along with the result.
        return _status(self)


def _status(result: ServerResult) -> str:
    if result.outcome == "interrupted":
        return "interrupted"
    if result.problems:
        return "failed"
    if result.outcome is not None:
        return result.outcome
    plan = result.plan
    if plan is None:
        return "changes" if result.converged is False else "in-sync"
    if result.converged is None:  # a plan only
        if plan.held:
            return "held"
        if plan.stepping:
            return "progressing"
        return "changes" if plan.actions else "in-sync"
    if not plan.actions:
        return "held" if plan.held else "in-sync" if result.converged else "changes"
    return "changed" if result.converged and not plan.stepping else "progressing"


def counts(results: Iterable[ServerResult]) -> dict[str, int]:
    found = dict.fromkeys(STATUSES, 0)
    for result in results:
        found[result.status] += 1
    return found


def summary(results: Sequence[ServerResult]) -> str:
    """`3 servers: 1 in sync, 1 with changes, 1 failed`: every status present, in a fixed order."""
    found = counts(results)
    noun = "server" if len(results) == 1 else "servers"
    parts = [f"{found[s]} {WORDS[s]}" for s in STATUSES if found[s] or s in ("in-sync", "failed")]
    return f"{len(results)} {noun}: {', '.join(parts)}"


def exit_code(results: Iterable[ServerResult], detailed: bool) -> int:
    """The worst of all: an error over short of the desired state over nothing to do."""
    given = list(results)
    statuses = {r.status for r in given}
    if statuses & ERRORS:
        return EXIT_ERROR
    if given and all(r.elsewhere for r in given):
        return EXIT_ERROR  # not one state given describes the machine: the wrong machine, or folder
    return EXIT_CHANGES if detailed and statuses & SHORT else EXIT_OK


@dataclass(frozen=True, slots=True)
class Standing:
    """A server's standing for `reconciler status`: a fresh plan, and what its journal remembers."""

    result: ServerResult
    last_apply: tuple[str, str, str | None] | None = None  # (time, run, version) of the last success
    last_run: tuple[str, str, str] | None = None  # (time, run, result) of the last run, if not a success
    last_upgrade: tuple[str, str, str | None] | None = None  # (from, to, first seen) builds
    health: Health | None = None  # apart from sync status (model/health.py); None: not observed
    last_revision: str | None = None  # the git revision of the state file the last successful apply applied
    held: str | None = None  # what keeps unattended runs from acting now (spec.suspend, spec.windows)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run as the journal tells it (what `reconciler history` prints)."""

    run: str
    started: str | None
    ended: str | None
    result: str  # success | failed | interrupted | unfinished (no run-end: the process died)
    version: str | None  # the server's build the run's plan was made for
    limit_before: int | None
    limit_after: int | None
    actions: tuple[tuple[str, str], ...]  # (action as planned, done | skipped | failed)
    notes: tuple[str, ...]  # errors, and what became of the scheduler after a failure
    target: str | None = None  # the target the run touched; None in journals written before 0.3
    host: str | None = None  # the machine it observed there
    revision: str | None = None  # the git commit of the state file it applied (running/revision.py)
    dirty: bool | None = None  # the state file differed from that commit
