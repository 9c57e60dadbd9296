"""A plan as the guarded PowerShell steps a script runs: the printed plan script
(`plan --output powershell`) and the script a live apply sends are built here the same way, so what
was reviewed is what runs (docs/plan.md#applying-a-plan).

Each step is its action's own guarded text (`reconciler.planning.actions`); whether the scheduler
stays off when a script stops after it (invariant 7) is the plan's `risky_after`, worked out from
what the plan was made from.
"""

from __future__ import annotations

import json

from reconciler import cmdlets
from reconciler.planning.plans import Plan


def steps(p: Plan) -> list[cmdlets.PlanStep]:
    risky = p.script.risky_after
    return [
        cmdlets.PlanStep(
            title=action.describe(),
            reason=action.reason,
            body=action.definition.powershell(action.params, p.script),
            changes_server=action.definition.changes_server,
            risky_after=index in risky,
            action=json.dumps({"kind": action.kind, "params": action.params}, sort_keys=True),
        )
        for index, action in enumerate(p.actions)
    ]


def needs_connector_module(p: Plan) -> bool:
    return any(action.definition.needs_connector_module for action in p.actions)


def printed(p: Plan, wait_timeout: int) -> list[str]:
    """The printed script's code, after its header: it takes the wait as a parameter."""
    start = cmdlets.plan_script_start(wait_timeout, needs_connector_module(p))
    return [*start, *cmdlets.plan_script_steps(steps(p), live=False)]


def live(p: Plan, wait_timeout: int, scheduler_was_enabled: bool) -> str:
    """The script a live apply runs in one session: the same steps, each reported as it ends, and
    what its `finally` did (`cmdlets.EVENT_MARK` lines). `scheduler_was_enabled`: a run that died
    left the scheduler off, and this one turns it back on if it stops half-way."""
    start = cmdlets.plan_script_start(wait_timeout, needs_connector_module(p), True, scheduler_was_enabled)
    return "\n".join([*start, *cmdlets.plan_script_steps(steps(p), live=True)])
