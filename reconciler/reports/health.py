"""A server's health as `status` prints it, in each of its formats (docs/health.md)."""

from __future__ import annotations

from typing import Any

from reconciler.model.health import INFO, LAST_CYCLE, OK, Health
from reconciler.reports.values import printable


def lines(health: Health | None) -> list[str]:
    """`  health: Degraded` and a line per reason, under the server's sync status."""
    if health is None:
        return []
    cycle = next((c for c in health.checks if c.name == LAST_CYCLE and c.result == OK), None)
    head = f"  health: {health.status}" + (printable(f" (last cycle {cycle.reason})") if cycle else "")
    return [head, *(printable(f"    - {reason}") for reason in health.reasons)]


def as_json(health: Health | None) -> dict[str, Any] | None:
    if health is None:
        return None
    checks = [{"check": c.name, "result": c.result, "reason": c.reason} for c in health.checks]
    return {"status": health.status, "reasons": list(health.reasons), "checks": checks}


def cell(health: Health | None) -> str:
    """A Markdown cell: the status, then the reasons that made it so."""
    if health is None:
        return ""
    failing = [f"{c.name}: {c.reason}" for c in health.checks if c.result not in (OK, INFO)]
    said = printable("; ".join(failing)).replace("|", "\\|")
    return f"{health.status}" + (f": {said}" if said else "")
