"""The Windows Event Log of the self-heal task (`reconcile --event-log`, docs/eventlog.md).

After each pass, what it found and did goes to the Application log under the source `ADSync
Reconciler`, one event a server and a kind, so Windows monitoring (SCOM, Defender, a SIEM) sees it
as it sees AADConnectDsc's 1001-1003: drift found, re-applied, failed, held, and a change of health.
The events are written by a PowerShell script the tool generates (checked with the real grammar and
the object model like every other script), run on this machine; a pass whose events cannot be
written says so in one line on stderr and goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reconciler import cmdlets
from reconciler.errors import UserError
from reconciler.model import builds, health
from reconciler.model.health import Health
from reconciler.running import runner
from reconciler.running.results import ServerResult

SOURCE = "ADSync Reconciler"
LOG = "Application"
# A message is at most this long: Write-EventLog takes up to 32,766 characters; the rest is in `status`.
MESSAGE_MOST = 4_000


@dataclass(frozen=True, slots=True)
class Kind:
    event_id: int
    entry_type: str  # Information | Warning | Error: Write-EventLog's EventLogEntryType
    what: str


DRIFT = Kind(1001, "Warning", "drift found")
REAPPLIED = Kind(1002, "Information", "re-applied")
FAILED = Kind(1003, "Error", "failed")
HELD = Kind(1004, "Warning", "held")
HEALTH = {
    health.HEALTHY: Kind(1010, "Information", "health: Healthy"),
    health.DEGRADED: Kind(1011, "Warning", "health: Degraded"),
    health.UNKNOWN: Kind(1012, "Warning", "health: Unknown"),
}
KINDS = (DRIFT, REAPPLIED, FAILED, HELD, *HEALTH.values())


@dataclass(frozen=True, slots=True)
class Event:
    kind: Kind
    server: str
    message: str


def _changes(outcome: ServerResult) -> str:
    plan = outcome.plan
    if plan is None:
        return ""
    return "; ".join(f"{c.path}: {c.observed} -> {c.desired}" for c in plan.changes)


def events(outcome: ServerResult, before: str | None, now: Health | None) -> list[Event]:
    """What one server's pass is worth saying; `before` is the health said last time (None: never)."""
    name, status, found = outcome.server, outcome.status, []
    drifted = outcome.plan is not None and bool(outcome.plan.actions)
    if drifted:
        found.append(Event(DRIFT, name, f"{name}: drift found: {_changes(outcome)}"))
    if status == "changed":
        found.append(Event(REAPPLIED, name, f"{name}: re-applied {outcome.applied} action(s); in sync"))
    elif status in ("failed", "interrupted"):
        problems = "; ".join(p.message for p in outcome.problems) or outcome.why
        found.append(Event(FAILED, name, f"{name}: {status}: {problems}"))
    elif status in ("held", "progressing", "skipped", "declined"):
        warnings = [w for w in outcome.plan.warnings if w.startswith("rollout:")] if outcome.plan else []
        why = outcome.why or "; ".join(warnings) or status
        found.append(Event(HELD, name, f"{name}: {status}: {why}"))
    if now is not None and now.status != before:
        reasons = "; ".join(now.reasons) or "every check passed"
        found.append(
            Event(HEALTH[now.status], name, f"{name}: health {before or 'not yet said'} -> {now.status}: {reasons}")
        )
    return found


def script(found: Sequence[Event]) -> str:
    """The PowerShell that writes them: the source made where it is missing (the self-heal task runs
    elevated), then one Write-EventLog each; every text a quoted literal."""
    lines = [
        f"if (-not [System.Diagnostics.EventLog]::SourceExists({cmdlets.quote(SOURCE)})) {{",
        f"    New-EventLog -LogName {cmdlets.quote(LOG)} -Source {cmdlets.quote(SOURCE)}",
        "}",
    ]
    for event in found:
        message = event.message if len(event.message) <= MESSAGE_MOST else event.message[: MESSAGE_MOST - 1] + "…"
        lines.append(
            f"Write-EventLog -LogName {cmdlets.quote(LOG)} -Source {cmdlets.quote(SOURCE)} "
            f"-EventId {event.kind.event_id} -EntryType {event.kind.entry_type} -Message {cmdlets.quote(message)}"
        )
    return "\n".join(lines) + "\n"


def _said_file(options: runner.RunOptions, name: str) -> Path:
    return options.state_dir / "health" / f"{name}.txt"


def health_now(outcome: ServerResult, options: runner.RunOptions) -> Health | None:
    plan = outcome.plan
    observed = plan.script.observed if plan is not None else None
    if observed is None or plan is None:
        return None
    from reconciler.running import health as facts  # noqa: PLC0415 - only with --event-log

    runs = runner.journal_for(plan.server, options, plan.host).runs()
    return health.assess(observed, datetime.now(UTC), facts.facts(runs), today=builds.today())


def pass_events(outcomes: Sequence[ServerResult], options: runner.RunOptions) -> tuple[list[Event], dict[str, str]]:
    """Every server's events of a pass, and the health each server is then said to have."""
    found: list[Event] = []
    said: dict[str, str] = {}
    for outcome in outcomes:
        file = _said_file(options, outcome.server)
        before = file.read_text(encoding="utf-8").strip() if file.is_file() else None
        now = health_now(outcome, options)
        found += events(outcome, before, now)
        if now is not None and now.status != before:
            said[outcome.server] = now.status
    return found, said


def write(outcomes: Sequence[ServerResult], options: runner.RunOptions) -> str | None:
    """Write a pass's events on this machine; the problem in one line if they could not be written.
    A change of health is remembered only once it is written, so it is said again until it is."""
    found, said = pass_events(outcomes, options)
    if found:
        from reconciler.servers.transports import LocalPowerShell  # noqa: PLC0415 - only with --event-log

        try:
            LocalPowerShell().run(script(found))
        except UserError as exc:  # no powershell.exe here, or the script failed
            return f"event log: {len(found)} event(s) not written: {exc}"
    for name, status in said.items():
        file = _said_file(options, name)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(status + "\n", encoding="utf-8")
    return None
