"""What a run found or did for each server, and what a run of many servers adds up to.

Reports read these and the runner writes them; neither needs the other (docs/commands.md#exit-codes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconciler.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, Problem
from reconciler.plans import Plan

STATUSES = ("in-sync", "changes", "held", "failed")


@dataclass(frozen=True)
class ServerResult:
    """One server of a run: its plan, or the problems that stopped it."""

    server: str
    path: str
    plan: Plan | None = None
    problems: tuple[Problem, ...] = ()
    converged: bool | None = None  # after apply: planning again found nothing to do
    log: str = ""  # what an unattended apply had to say, printed once its wave is done

    @property
    def status(self) -> str:
        if self.problems:
            return "failed"
        if self.plan is not None and self.plan.held:
            return "held"
        return "changes" if self.plan is not None and self.plan.actions else "in-sync"


def counts(results: Iterable[ServerResult]) -> dict[str, int]:
    found = dict.fromkeys(STATUSES, 0)
    for result in results:
        found[result.status] += 1
    return found


def summary(results: Sequence[ServerResult], changes: str = "with changes") -> str:
    found = counts(results)
    noun = "server" if len(results) == 1 else "servers"
    held = f", {found['held']} held by a staged rollout" if found["held"] else ""
    return (
        f"{len(results)} {noun}: {found['in-sync']} in sync, {found['changes']} {changes}{held}, "
        f"{found['failed']} failed"
    )


def exit_code(results: Iterable[ServerResult], detailed: bool) -> int:
    """The worst of all: an error over changes over nothing to do."""
    statuses = {r.status for r in results}
    if "failed" in statuses:
        return EXIT_ERROR
    # A held rollout is short of the desired state: drift, not "nothing to do".
    return EXIT_CHANGES if detailed and statuses & {"changes", "held"} else EXIT_OK
