"""A staged rollout: how far this run may raise the limit (docs/state-file.md#rollout).

The V2 page's runbook (2020-2023 revisions) raises the limit, watches a sync cycle, and raises again. So a run steps at
most `rollout.maxLimitIncrease` above the limit in force, and only when

- the last sync cycle had no real export errors (informational ones, e.g. dn-attributes-failure,
  do not count), and
- a sync cycle has completed since the previous step (the journal's last raise, the server's
  `lastSyncCycle.endedAt`). Where the source reports no end time, a `lastSyncCycle` other than
  the one the step saw (the journal keeps it) is a cycle run since; failing that, a cycle is taken
  to have run once the scheduler's interval has passed since the step, and the plan says so.

A limit a successful run has already left in force (the journal's proven limit) is climbed back
to at once after an upgrade reset it: that is not a step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reconciler.errors import UserError
from reconciler.formats import jsonmodel
from reconciler.model import facts, observed
from reconciler.model.desired import DesiredState
from reconciler.model.observed import ObservedState
from reconciler.planning import plans

_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?$")


@dataclass(frozen=True, slots=True)
class Pace:
    """What the journal says about earlier steps, and the moment the plan is made."""

    proven_limit: int | None = None
    last_raise_at: str | None = None
    now: datetime | None = None
    # The last sync cycle (canonical JSON) when the limit was last raised, if the journal says.
    last_raise_cycle: str | None = None


def aim(desired: DesiredState, state: ObservedState, in_force: int | None, pace: Pace, warnings: list[str]) -> int:
    """The limit this run aims for: the desired one, or one rollout step towards it."""
    current = in_force
    if current is not None and pace.proven_limit is not None:
        current = max(current, min(pace.proven_limit, desired.group_member_limit))
    limit = desired.group_member_limit
    step = desired.max_limit_increase
    if step is None or current is None or limit <= current:
        return limit
    cycle = state.last_sync_cycle
    if cycle is not None and cycle.has_real_errors:
        real = ", ".join(f"{e.type} x{e.count}" for e in cycle.export_errors if not e.informational)
        warnings.append(
            f"{plans.HELD} {current}: the last sync cycle had export errors ({real}); "
            "fix them, run a sync cycle, then reconcile again"
        )
        return current
    waiting = _waiting_for_cycle(state, pace, warnings)
    if waiting is not None:
        warnings.append(f"{plans.HELD} {current}: {waiting}")
        return current
    if cycle is None:
        warnings.append("rollout: no sync cycle recorded, so its export errors could not be checked")
    if current + step < limit:
        warnings.append(
            f"{plans.STEP} {current + step}, not {limit}, this run "
            f"(rollout.maxLimitIncrease {step}); the next step once a sync cycle has completed after it"
        )
        return current + step
    return limit


def _waiting_for_cycle(state: ObservedState, pace: Pace, warnings: list[str]) -> str | None:
    """Why the next step must wait, or None when a cycle has completed since the last one."""
    if pace.last_raise_at is None:
        return None
    raised = _moment(pace.last_raise_at, "the journal's last rollout step")
    cycle = state.last_sync_cycle
    if cycle is not None and cycle.ended_at is not None:
        ended = _moment(cycle.ended_at, "lastSyncCycle.endedAt")
        if ended > raised:
            return None
        return (
            f"no sync cycle has completed since the last step ({pace.last_raise_at}); the next step "
            "can happen after the next cycle (the runbook: raise, watch a cycle, raise again)"
        )
    seen = observed.canonical(None if cycle is None else jsonmodel.to_json(cycle))
    if pace.last_raise_cycle is not None and seen != pace.last_raise_cycle:
        return None  # no end time, but not the cycle the step saw: one has completed since
    interval = _interval(state.scheduler.currently_effective_sync_cycle_interval)
    due = raised + interval
    now = pace.now or datetime.now(UTC)
    if now >= due:
        warnings.append(
            f"rollout: the server reports no sync cycle end time; the scheduler's interval "
            f"({_duration(interval)}) has passed since the last step, so a cycle is taken to have run"
        )
        return None
    return (
        f"the server reports no sync cycle end time, so the next step waits one scheduler interval "
        f"({_duration(interval)}) after the last step: not before {_iso(due)}"
    )


def _moment(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"{what} {text[:60]!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise UserError(f"{what} {text[:60]!r} has no UTC offset")
    return moment


def _interval(text: str | None) -> timedelta:
    """Get-ADSyncScheduler's TimeSpan ([d.]hh:mm:ss); the product's default when not observed."""
    match = _TIMESPAN.match(text or "")
    if match is None:
        return timedelta(seconds=facts.DEFAULT_SYNC_CYCLE_INTERVAL_SECONDS)
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
