"""Progress as a run happens, in plain lines that read the same on a terminal and in a CI log.

Terraform's way: a line when an action starts and when it ends, "still waiting … [2m10s elapsed]"
every ten seconds while a sync cycle runs, a line per server as it finishes, and on Ctrl-C what
was done and what was not. Servers applied side by side print whole lines, each with its name.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from typing import TextIO

from reconciler.planning.actions import Action
from reconciler.planning.plans import Plan
from reconciler.reports.text import plan_text
from reconciler.reports.values import printable
from reconciler.running.progress import Listener
from reconciler.running.results import ServerResult

# Terraform's cadence for "still …" lines.
WAITING_EVERY = 10.0


def elapsed(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"


@dataclass
class _Server:
    plan: Plan | None = None
    done: list[str] = field(default_factory=list)
    next_wait_line: float = WAITING_EVERY


class LinePrinter(Listener):
    """Prints a run's events. `show_plans`: print each plan as it is made (unattended runs); in a
    watch loop (`repeat`), a plan with nothing to do is printed only when it differs from last time."""

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        show_plans: bool = True,
        repeat: bool = False,
        colour: bool = False,
        live: bool = False,
    ) -> None:
        super().__init__()
        self.out = out or sys.stdout
        self.show_plans = show_plans
        self.repeat = repeat
        self.colour = colour
        # On a terminal, waits are one status line redrawn in place; in a log, a line every 10 s.
        self.live = live
        self._status: dict[str, str] = {}  # server -> what it waits for, while it waits
        self._shown_status = 0  # characters of the status line on the screen now
        self._lock = threading.Lock()
        self._servers: dict[str, _Server] = {}
        self._last_shown: dict[str, str] = {}
        self._last_result: dict[str, str] = {}

    def _write(self, text: str) -> None:
        with self._lock:
            self._clear_status()
            self.out.write(text)
            self._draw_status()
            self.out.flush()

    def _clear_status(self) -> None:
        if self._shown_status:
            self.out.write("\r" + " " * self._shown_status + "\r")
            self._shown_status = 0

    def _draw_status(self) -> None:
        if self.live and self._status:
            line = "; ".join(f"{server}: {what}" for server, what in sorted(self._status.items()))[:150]
            self.out.write(line)
            self._shown_status = len(line)

    def _server(self, name: str) -> _Server:
        with self._lock:
            return self._servers.setdefault(name, _Server())

    def planned(self, the_plan: Plan, notes: list[str]) -> None:
        self._server(the_plan.server).plan = the_plan
        block = "".join(printable(f"{the_plan.server}: {note}") + "\n" for note in notes)
        if self.show_plans:
            text = plan_text(the_plan, colour=self.colour)
            quiet = self.repeat and not the_plan.actions and self._last_shown.get(the_plan.server) == text
            self._last_shown[the_plan.server] = text
            block += "" if quiet else text
        if block:
            self._write(block)

    def starting(self, server: str, action: Action, *, index: int, total: int) -> None:
        self._server(server).next_wait_line = WAITING_EVERY
        verb = "checking that no sync cycle runs" if action.kind == "WaitForSyncIdle" else "applying"
        self._write(printable(f"{server}: [{index}/{total}] {action.describe()}: {verb}...") + "\n")

    def finished(self, server: str, action: Action, *, index: int, total: int, result: str, seconds: float) -> None:
        with self._lock:
            self._status.pop(server, None)
        entry = self._server(server)
        entry.done.append(printable(action.describe()))
        said = "already satisfied, nothing changed" if result == "skipped" else f"done after {elapsed(seconds)}"
        self._write(printable(f"{server}: [{index}/{total}] {action.kind}: {said}") + "\n")

    def waiting(self, server: str, seconds: float) -> None:
        if self.live:
            with self._lock:
                self._status[server] = f"waiting for the sync cycle to finish [{elapsed(seconds)}]"
                self._clear_status()
                self._draw_status()
                self.out.flush()
            return
        entry = self._server(server)
        if seconds >= entry.next_wait_line:
            while entry.next_wait_line <= seconds:
                entry.next_wait_line += WAITING_EVERY
            self._write(f"{server}: still waiting for the sync cycle to finish... [{elapsed(seconds)} elapsed]\n")

    def stopping(self) -> None:
        sys.stderr.write(
            "Interrupt received: each server stops at its next action or wait, its scheduler restored "
            "where that is safe. Ctrl-C again to quit at once.\n"
        )
        sys.stderr.flush()

    def result(self, outcome: ServerResult) -> None:
        """One line per server as it finishes; its problems right under it (on stderr). In a watch
        loop a server that did nothing says so once, not on every pass."""
        with self._lock:
            self._status.pop(outcome.server, None)  # a wait that failed ends here too
        line = result_line(outcome)
        idle = outcome.plan is not None and not outcome.plan.actions
        if self.repeat and idle and self._last_result.get(outcome.server) == line:
            return
        self._last_result[outcome.server] = line
        self._write(line)
        if outcome.problems:
            with self._lock:
                for problem in outcome.problems:
                    print(problem, file=sys.stderr)
                sys.stderr.flush()

    def interrupted_summary(self, outcomes: list[ServerResult]) -> str:
        """What was done and what was not, per server, after a Ctrl-C."""
        lines = ["Interrupted. What was done and what was not:"]
        for outcome in outcomes:
            entry = self._servers.get(outcome.server, _Server())
            planned = [printable(a.describe()) for a in entry.plan.actions] if entry.plan is not None else []
            if not planned:
                lines.append(printable(f"  {outcome.server}: {outcome.why or outcome.status}"))
                continue
            left = planned[len(entry.done) :]
            lines.append(f"  {outcome.server}: {len(entry.done)} of {len(planned)} action(s) done")
            lines += [f"    not done: {action}" for action in left]
            if outcome.why and outcome.status == "interrupted" and ":" in outcome.why:
                lines.append(f"    {printable(outcome.why)}")
        return "\n".join(lines) + "\n"


def result_line(outcome: ServerResult) -> str:
    line = _result_line(outcome)
    return printable(line.removesuffix("\n")) + "\n" if line else line


def _result_line(outcome: ServerResult) -> str:
    name, status = outcome.server, outcome.status
    if status in ("skipped", "declined", "interrupted"):
        why = outcome.why.removeprefix(f"{name}: ")
        return f"{name}: {status}: {why}\n"
    if status == "failed":
        return f"{name}: failed ({len(outcome.problems)} problem(s), listed on stderr)\n"
    plan = outcome.plan
    if plan is None or not plan.actions:
        return "" if status == "in-sync" else f"{name}: {status.replace('held', 'held by a staged rollout')}\n"
    satisfied = f", {outcome.satisfied} already satisfied" if outcome.satisfied else ""
    done = f"applied {len(plan.actions)} action(s){satisfied}"
    tail = "; rollout progressing: the next step after a sync cycle" if status == "progressing" else ""
    return f"{name}: {done}{tail}\n"
