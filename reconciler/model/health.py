"""A server's health, apart from whether it matches its state file (docs/health.md).

Sync status says whether the server is as declared; health says whether it synchronizes at all, as
the administrator paged when sync stops needs to know first: Healthy, Degraded or Unknown, each
check with its reason. A pure function of what was observed, what the journal knows and the time:

    build        the build synchronizes and is supported today (the support table, builds.json)
    last cycle   a sync cycle ended within the last 7 days (Microsoft: at least one cycle every 7
                 days, staging servers included; docs/domain.md#scheduler) and how long ago
    scheduler    synchronization not left off (by this tool or anyone) longer than a threshold
    full sync    no full sync pending longer than a threshold
    errors       the last cycle's export errors; `dn-attributes-failure` is informational (V2 page)

Degraded when any check fails; else Unknown when a check could not be made from what the target
observes (a configuration export has no scheduler and no cycles); else Healthy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reconciler.model import builds
from reconciler.model.observed import OVERRIDES_PATH, ObservedState

HEALTHY, DEGRADED, UNKNOWN = "Healthy", "Degraded", "Unknown"
OK, FAILED, NOT_KNOWN, INFO = "ok", "degraded", "unknown", "info"
LAST_CYCLE = "last cycle"
# Microsoft: "a sync cycle must run at least once every 7 days", staging servers included.
CYCLE_AT_LEAST_EVERY = timedelta(days=7)
# How long synchronization may stay off, or a full sync stay pending, before health says so: a
# maintenance window of a working day, not a week of silence.
SCHEDULER_OFF_LIMIT = timedelta(hours=24)
FULL_SYNC_PENDING_LIMIT = timedelta(hours=24)
# A cycle's result that says it ran to its end (its errors are the errors check's).
_COMPLETED = ("success", "completed-")


@dataclass(frozen=True, slots=True)
class JournalFacts:
    """What this tool's journal knows that a server does not say (ISO 8601 times, None: unknown)."""

    scheduler_off_since: str | None = None  # a run of ours left synchronization off then
    full_sync_flagged_at: str | None = None  # a run of ours changed rules (which sets the flag) then


@dataclass(frozen=True, slots=True)
class Check:
    name: str  # build | last cycle | scheduler | full sync | export errors
    result: str  # ok | degraded | unknown | info
    reason: str


@dataclass(frozen=True, slots=True)
class Health:
    status: str  # Healthy | Degraded | Unknown
    checks: tuple[Check, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """What made it Degraded or Unknown, then what is worth knowing: never the checks that passed."""
        order = (FAILED, NOT_KNOWN, INFO)
        return tuple(f"{c.name}: {c.reason}" for r in order for c in self.checks if c.result == r)


def assess(state: ObservedState, now: datetime, facts: JournalFacts | None = None, today: str | None = None) -> Health:
    """The server's health at `now` (aware); support is judged on `today` (ISO date, default now's)."""
    known = facts or JournalFacts()
    ended = _moment(state.last_sync_cycle.ended_at) if state.last_sync_cycle is not None else None
    checks = (
        _build(state, today or now.date().isoformat()),
        _last_cycle(state, now, ended),
        _scheduler(state, now, ended, known),
        _full_sync(state, now, ended, known),
        _errors(state),
    )
    results = {c.result for c in checks}
    status = DEGRADED if FAILED in results else UNKNOWN if NOT_KNOWN in results else HEALTHY
    return Health(status, checks)


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def ago(delta: timedelta) -> str:
    """`3 days 4 h`, `5 h 12 min`, `42 min`: how long, in the units an operator reads at a glance."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _build(state: ObservedState, today: str) -> Check:
    version = state.server.version
    support = builds.support_of(version, today)
    said = builds.support_warning(version, state.server.cloud, today)
    if support.synchronizes is None:
        return Check("build", INFO, said or f"build {version} is not judged")
    if not support.synchronizes or not support.supported:
        return Check("build", FAILED, said or f"build {version} is not supported")
    until = f"supported until {support.end_of_support}" if support.end_of_support else "the current build"
    return Check("build", INFO if said else OK, said or f"build {version} synchronizes, {until}")


def _last_cycle(state: ObservedState, now: datetime, ended: datetime | None) -> Check:
    cycle = state.last_sync_cycle
    if cycle is None:
        return Check(LAST_CYCLE, NOT_KNOWN, "no sync cycle observed (this target does not report one)")
    if ended is None:
        return Check(LAST_CYCLE, NOT_KNOWN, f"the last cycle ({cycle.result}) did not say when it ended")
    when = f"ended {ago(now - ended)} ago ({cycle.ended_at})"
    if not cycle.result.startswith(_COMPLETED):
        return Check(LAST_CYCLE, FAILED, f"the last cycle {when} did not complete: {cycle.result}")
    if now - ended > CYCLE_AT_LEAST_EVERY:
        return Check(LAST_CYCLE, FAILED, f"the last cycle {when}: Microsoft requires one at least every 7 days")
    return Check(LAST_CYCLE, OK, when)


def _scheduler(state: ObservedState, now: datetime, ended: datetime | None, facts: JournalFacts) -> Check:
    enabled = state.scheduler.sync_cycle_enabled
    if enabled is None:
        return Check("scheduler", NOT_KNOWN, "SyncCycleEnabled not observed")
    if enabled:
        return Check("scheduler", OK, "synchronization on")
    limit = ago(SCHEDULER_OFF_LIMIT)
    since = _moment(facts.scheduler_off_since)
    if since is not None:
        how_long = f"synchronization off since {facts.scheduler_off_since} ({ago(now - since)}), left so by this tool"
        return Check("scheduler", FAILED if now - since > SCHEDULER_OFF_LIMIT else INFO, how_long)
    if ended is not None and now - ended > SCHEDULER_OFF_LIMIT:
        return Check("scheduler", FAILED, f"synchronization off, and no cycle for {ago(now - ended)} (limit {limit})")
    if ended is not None:
        return Check("scheduler", INFO, f"synchronization off (the last cycle ended {ago(now - ended)} ago)")
    return Check("scheduler", NOT_KNOWN, "synchronization off, since when is not known")


def _full_sync(state: ObservedState, now: datetime, ended: datetime | None, facts: JournalFacts) -> Check:
    if OVERRIDES_PATH in (state.unobserved or ()):
        return Check("full sync", NOT_KNOWN, "connector overrides not observed")
    override = state.override_for(state.aad_connector.name)
    if override is None or not override.full_sync_required:
        return Check("full sync", OK, "none pending")
    # A cycle clears the flag: it was set after the last cycle ended, by our run or by someone else.
    flagged = _moment(facts.full_sync_flagged_at)
    if flagged is not None and (ended is None or flagged >= ended):
        how_long = f"pending since {facts.full_sync_flagged_at} ({ago(now - flagged)}), after a rule change of ours"
        return Check("full sync", FAILED if now - flagged > FULL_SYNC_PENDING_LIMIT else INFO, how_long)
    if ended is not None and now - ended > FULL_SYNC_PENDING_LIMIT:
        how_long = f"pending, and no cycle has run it for {ago(now - ended)} (limit {ago(FULL_SYNC_PENDING_LIMIT)})"
        return Check("full sync", FAILED, how_long)
    return Check("full sync", INFO, "pending: the next cycle is a full sync")


def _errors(state: ObservedState) -> Check:
    cycle = state.last_sync_cycle
    if cycle is None:
        return Check("export errors", NOT_KNOWN, "no sync cycle observed")
    real = [e for e in cycle.export_errors if not e.informational]
    informational = [e for e in cycle.export_errors if e.informational]
    listed = ", ".join(f"{e.type} ({e.count})" for e in real)
    if real:
        return Check("export errors", FAILED, f"{sum(e.count for e in real)} in the last cycle: {listed}")
    if informational:
        said = ", ".join(f"{e.type} ({e.count})" for e in informational)
        return Check("export errors", INFO, f"informational only: {said} (a member that is not synced itself)")
    return Check("export errors", OK, "none in the last cycle")
