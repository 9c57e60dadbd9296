"""The apply journal: `.reconciler/journal/<server>.jsonl`, one fsync'd line per run event.

History belongs to a (server, target) pair: each line names the target the run touched (`target`,
a file target by its absolute path) and the machine it observed (`host`), and a run reads only the
lines of its own pair, so a rehearsal on a twin never moves the real server's rollout. Lines
written by 0.2 name neither: they are read by every target of the server, as 0.2 read them.

Each line is written with a single append (O_APPEND) and flushed to disk before the action it
records is taken as done, so two processes never interleave within a line and a crash loses at
most the line being written. The next run reads it to restore a scheduler that a dead run left
disabled, and to say when the server was upgraded since the last successful apply.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.errors import UserError
from reconciler.formats import files
from reconciler.model import identity, observed
from reconciler.planning import actions
from reconciler.running.results import RunRecord
from reconciler.running.revision import EVENT as REVISION_EVENT

DEFAULT_FOLDER = Path(".reconciler") / "journal"


@dataclass(frozen=True, slots=True)
class History:
    """What the journal says about earlier runs."""

    died_with_scheduler_disabled: str | None  # run id of a run that died after disabling the scheduler
    last_applied_version: str | None  # observed version at the end of the last successful run
    proven_limit: int | None  # the highest member limit a successful run has left in force
    # When the last successful run that raised the limit in force ended (ISO 8601): a staged
    # rollout's next step waits for a sync cycle that ended after it.
    last_raise_at: str | None = None
    # The last sync cycle as that run left it (canonical JSON, "null" for none); None when the
    # journal does not say (written before 0.2).
    last_raise_cycle: str | None = None


# Opened without waiting: a FIFO put where the journal belongs would otherwise hold the run forever.
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _check_regular(descriptor: int, path: Path) -> None:
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        raise UserError(f"{path}: is not a regular file (a folder, FIFO or device); a journal must be one")


class Journal:
    """A server's journal, as one (target, host) pair writes and reads it; with no target, every run."""

    def __init__(
        self, server: str, folder: Path = DEFAULT_FOLDER, target: str | None = None, host: str | None = None
    ) -> None:
        self.path = folder / f"{server}.jsonl"
        self.server = server
        self.target = target
        self.host = host
        self.damaged = 0  # lines the last read skipped

    def record(self, event: str, run: str, **fields: Any) -> None:
        pair = {k: v for k, v in (("target", self.target), ("host", self.host)) if v is not None}
        entry = {"time": _now(), "server": self.server, **pair, "run": run, "event": event, **fields}
        line = (json.dumps(entry, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        files.check_no_dangling_link(self.path, str(self.path))
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | _NONBLOCK, 0o644)
        try:
            _check_regular(fd, self.path)
            # A line torn by a full disk or a crash ends here: the next one starts on a line of its own.
            if os.fstat(fd).st_size and os.pread(fd, 1, os.fstat(fd).st_size - 1) != b"\n":
                line = b"\n" + line
            written = os.write(fd, line)
            if written != len(line):  # a short write: fail before anything else is done
                raise OSError(errno.ENOSPC, f"the journal line was cut short ({written} of {len(line)} bytes)")
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self) -> list[dict[str, Any]]:
        """Every whole entry; a line cut short (a power loss, a full disk) is skipped and counted in
        `damaged`: that event did not complete."""
        self.damaged = 0
        try:
            # A plain descriptor: a fleet's plan asks every server's journal, and most have none
            # (no file object is made, nor pathlib's frames unwound, to find that out).
            descriptor = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | _NONBLOCK)
        except FileNotFoundError:
            return []
        try:
            _check_regular(descriptor, self.path)
        except BaseException:
            os.close(descriptor)
            raise
        with open(descriptor, "rb") as handle:
            data = handle.read()
        entries = []
        for line in data.split(b"\n"):
            if not line.strip():
                continue
            try:
                entry = json.loads(line.decode("utf-8"))
            except (ValueError, RecursionError):  # undecodable, not JSON, or a number too long
                self.damaged += 1
                continue
            if not isinstance(entry, dict):
                self.damaged += 1
            elif self._ours(entry):
                entries.append(entry)
        return entries

    def _ours(self, entry: dict[str, Any]) -> bool:
        """Whether a line is this pair's: its target's, on the machine observed now (a line of 0.2
        names no target, and belongs to every one)."""
        if self.target is None or "target" not in entry:
            return True
        if entry["target"] != self.target:
            return False
        host = entry.get("host")
        return not (isinstance(host, str) and self.host is not None and not identity.same_host(host, self.host))

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        grouped: dict[str, list[dict[str, Any]]] = {}
        for entry in self.entries():
            grouped.setdefault(str(entry.get("run")), []).append(entry)
        return [_record(run, events) for run, events in grouped.items()]

    def history(self) -> History:
        runs: dict[str, list[dict[str, Any]]] = {}
        for entry in self.entries():
            runs.setdefault(str(entry.get("run")), []).append(entry)
        died: str | None = None
        applied: str | None = None
        proven: int | None = None
        raised_at: str | None = None
        raised_cycle: str | None = None
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
                limit = _integer(end.get("memberLimit"))
                if limit is not None:
                    # Journals before 0.2 do not say the limit a run started from: the best before it.
                    before = _integer(end.get("memberLimitBefore"))
                    if limit > (before if before is not None else proven or 0):
                        raised_at = str(end.get("time"))
                        raised_cycle = observed.canonical(end["lastSyncCycle"]) if "lastSyncCycle" in end else None
                    proven = max(proven or 0, limit)
        return History(died, applied, proven, raised_at, raised_cycle)


def _note(entry: dict[str, Any]) -> str | None:
    event = entry.get("event")
    if event == "scheduler-kept-off":
        return f"scheduler kept off: {entry.get('reason')}"
    if event == "window-override":
        return f"applied outside its sync windows with --override-window: {entry.get('reason')}"
    if event == "scheduler-restored":
        return "scheduler restored after the failure"
    if event == "scheduler-restore-failed":
        return f"scheduler could not be restored: {entry.get('error')}"
    return None


def _record(run: str, events: list[dict[str, Any]]) -> RunRecord:
    start = next((e for e in events if e.get("event") == "run-start"), {})
    revision = next((e for e in events if e.get("event") == REVISION_EVENT), {})
    end = next((e for e in events if e.get("event") == "run-end"), None)
    actions, notes = [], []
    for e in events:
        if e.get("event") == "action":
            params: dict[str, Any] = e["params"] if isinstance(e.get("params"), dict) else {}
            args = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in params.items())
            kind = str(e.get("kind"))
            actions.append((f"{kind}({args})" if args else kind, str(e.get("result"))))
            if e.get("error"):
                notes.append(str(e["error"]))
        elif (note := _note(e)) is not None:
            notes.append(note)
    return RunRecord(
        run=run,
        target=_text(start.get("target", end.get("target") if end else None)),
        host=_text(start.get("host", end.get("host") if end else None)),
        started=start.get("time"),
        ended=end.get("time") if end else None,
        result=str(end.get("result")) if end else "unfinished",
        version=(end or start).get("observedVersion"),
        limit_before=_integer(end.get("memberLimitBefore")) if end else None,
        limit_after=_integer(end.get("memberLimit")) if end else None,
        actions=tuple(actions),
        notes=tuple(notes),
        revision=_text(revision.get("commit")),
        dirty=revision.get("dirty") if isinstance(revision.get("dirty"), bool) else None,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
