"""`spec.suspend: true` (docs/state-file.md#suspend): unattended `reconcile` reports and never acts.

As Flux's `suspend`: the server is planned as ever, the plan is printed, and nothing is changed and
nothing journalled; a plan with actions is `skipped` (exit 2 with --detailed-exitcode: the server
stays short of its desired state), one without is in sync. `plan` and a manual `apply` are not
suspended: an administrator who runs them means it.
"""

from __future__ import annotations

import dataclasses

from reconciler.model.statefiles import StateFile
from reconciler.running import runner
from reconciler.running.progress import Listener
from reconciler.running.results import ServerResult

REASON = "suspended (spec.suspend: true): the plan is reported, nothing is done"


def suspended(state_file: StateFile, options: runner.RunOptions, listener: Listener) -> ServerResult:
    """The server's plan, reported; never carried out."""
    result = runner.plan_result(state_file, options)
    if result.plan is None:
        return result
    listener.planned(result.plan, [REASON])
    if not result.plan.actions:
        return result
    return dataclasses.replace(result, outcome="skipped", why=f"{state_file.state.name}: {REASON}")
