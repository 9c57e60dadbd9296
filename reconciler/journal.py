"""The apply journal: `.reconciler/journal/<server>.jsonl`, one fsync'd line per run event.

Each line is written with a single append (O_APPEND) and flushed to disk before the action it
records is taken as done, so two processes never interleave within a line and a crash loses at
most the line being written. The next run reads it to restore a scheduler that a dead run left
disabled, and to say when the server was upgraded since the last successful apply.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from reconciler import actions

DEFAULT_FOLDER = Path(".reconciler") / "journal"


@dataclass(frozen=True)
class History:
    """What the journal says about earlier runs."""

    died_with_scheduler_disabled: str | None  # run id of a run that died after disabling the scheduler
    last_applied_version: str | None  # observed version at the end of the last successful run
    proven_limit: int | None  # the highest member limit a successful run has left in force


class Journal:
    def __init__(self, server: str, folder: Path = DEFAULT_FOLDER) -> None:
        self.path = folder / f"{server}.jsonl"
        self.server = server

    def record(self, event: str, run: str, **fields: Any) -> None:
        entry = {"time": _now(), "server": self.server, "run": run, "event": event, **fields}
        line = (json.dumps(entry, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        entries = []
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a power loss: that event did not complete
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    def history(self) -> History:
        runs: dict[str, list[dict[str, Any]]] = {}
        for entry in self.entries():
            runs.setdefault(str(entry.get("run")), []).append(entry)
        died: str | None = None
        applied: str | None = None
        proven: int | None = None
        for run, events in runs.items():  # runs of one server never overlap: apply holds its lock
            end = next((e for e in events if e.get("event") == "run-end"), None)
            if end is None:
                scheduler = [left for left in map(_scheduler_left, events) if left is not None]
                if scheduler and scheduler[-1] is False:
                    died = run
                continue
            died = None  # a later run that finished re-planned, and so restored the scheduler
            if end.get("result") == "success":
                applied = end.get("observedVersion")
                limit = end.get("memberLimit")
                if isinstance(limit, int) and not isinstance(limit, bool):
                    proven = max(proven or 0, limit)
        return History(died, applied, proven)


def _scheduler_left(entry: dict[str, Any]) -> bool | None:
    """The scheduler setting an entry records as done, if it records one."""
    if entry.get("event") == "action" and entry.get("result") != "done":
        return None
    value = entry.get("scheduler")
    if isinstance(value, bool):
        return value
    # Journals written by version 0.1 name the action only.
    kind = actions.KINDS.get(str(entry.get("kind")))
    params = entry.get("params")
    if entry.get("event") != "action" or kind is None or not isinstance(params, dict):
        return None
    try:
        return kind.scheduler_after(params)
    except KeyError:
        return None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
