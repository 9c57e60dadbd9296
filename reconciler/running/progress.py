"""What a run tells whoever watches it, as it happens, and how it is asked to stop.

The executor and the runner call a `Listener`; the commands give one that prints lines. A run
of many servers applies them on threads: Ctrl-C reaches only the main thread, which sets `stop`;
each server's executor sees it before its next action or while it waits for a sync cycle, and
stops there the way a Ctrl-C would (the scheduler restored when that is safe).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.planning.actions import Action
    from reconciler.planning.plans import Plan


class Listener:
    """Hears a run's events; this one hears nothing. Subclasses print them."""

    def __init__(self) -> None:
        import threading  # noqa: PLC0415 - only a run that applies listens: a plan never pays its import

        self.stop = threading.Event()

    def planned(self, the_plan: Plan, notes: list[str]) -> None:
        """A server's plan, made under its lock, before anything is changed."""

    def starting(self, server: str, action: Action, *, index: int, total: int) -> None:
        """An action is about to be carried out (index counts from 1)."""

    def finished(self, server: str, action: Action, *, index: int, total: int, result: str, seconds: float) -> None:
        """An action is done, or was already satisfied (result `done` or `skipped`)."""

    def waiting(self, server: str, elapsed: float) -> None:
        """A sync cycle is running; the run waits for it (called at each look at the server)."""

    def stopping(self) -> None:
        """Ctrl-C: every server's run was asked to stop at its next action or wait."""


class Stopped(KeyboardInterrupt):
    """The run was asked to stop (Ctrl-C on the main thread): handled as an interrupt everywhere."""
