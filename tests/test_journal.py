"""What the journal tells the next run: a scheduler a dead run left off, the version and limit it left."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.running.journal import Journal


def _write(folder: Path, *entries: dict[str, object]) -> Journal:
    journal = Journal("srv1", folder)
    folder.mkdir(parents=True, exist_ok=True)
    journal.path.write_text("".join(json.dumps({"server": "srv1", **e}) + "\n" for e in entries), encoding="utf-8")
    return journal


def test_a_run_that_died_after_turning_the_scheduler_off_is_named(tmp_path: Path) -> None:
    journal = _write(
        tmp_path,
        {"run": "a", "event": "run-start"},
        {"run": "a", "event": "action", "kind": "SetSyncCycleEnabled", "params": {"enabled": False},
         "result": "done", "scheduler": False},
    )  # fmt: skip
    assert journal.history().died_with_scheduler_disabled == "a"


def test_a_run_that_turned_it_back_on_or_restored_it_is_not(tmp_path: Path) -> None:
    off = {"event": "action", "kind": "SetSyncCycleEnabled", "params": {"enabled": False}, "result": "done",
           "scheduler": False}  # fmt: skip
    restored = _write(
        tmp_path / "r", {"run": "a", **off}, {"run": "a", "event": "scheduler-restored", "scheduler": True}
    )
    assert restored.history().died_with_scheduler_disabled is None
    failed = _write(tmp_path / "f", {"run": "a", **off}, {"run": "a", **off, "result": "failed", "scheduler": True})
    assert failed.history().died_with_scheduler_disabled == "a"


def test_journals_written_by_version_0_1_still_tell_it(tmp_path: Path) -> None:
    """0.1 recorded the action only (no `scheduler` field), and a restore as such an action."""
    old_off = {"event": "action", "kind": "SetSyncCycleEnabled", "params": {"enabled": False}, "result": "done"}
    old_restore = {"event": "action", "kind": "SetSyncCycleEnabled", "params": {"enabled": True}, "result": "done",
                   "restore": True}  # fmt: skip
    assert _write(tmp_path / "a", {"run": "a", **old_off}).history().died_with_scheduler_disabled == "a"
    healed = _write(tmp_path / "b", {"run": "a", **old_off}, {"run": "a", **old_restore})
    assert healed.history().died_with_scheduler_disabled is None


def test_the_last_successful_run_gives_the_version_and_the_highest_limit_proven(tmp_path: Path) -> None:
    journal = _write(
        tmp_path,
        {"run": "a", "event": "run-end", "result": "success", "observedVersion": "1.6.2.4", "memberLimit": 75000},
        {"run": "b", "event": "run-end", "result": "failed", "observedVersion": "1.6.4.0", "memberLimit": 100000},
        {"run": "c", "event": "run-end", "result": "success", "observedVersion": "2.4.18.0", "memberLimit": 50000},
    )
    history = journal.history()
    assert history.last_applied_version == "2.4.18.0"
    assert history.proven_limit == 75000


def test_a_torn_line_is_skipped_and_counted_never_a_crash(tmp_path: Path) -> None:
    """A full disk cut a line inside a multi-byte character; every later plan crashed on it."""
    journal = _write(tmp_path, {"run": "a", "event": "run-end", "result": "success", "observedVersion": "2.4.21.0"})
    with journal.path.open("ab") as handle:
        handle.write('{"run": "b", "event": "action", "kind": "Set\u00e9'.encode()[:-1])  # cut mid-character
    assert journal.history().last_applied_version == "2.4.21.0"
    assert journal.damaged == 1
    # The next line starts on a line of its own, so the torn one costs only itself.
    journal.record("run-end", "c", result="success", observedVersion="2.4.21.1")
    assert journal.history().last_applied_version == "2.4.21.1" and journal.damaged == 1


def test_hostile_lines_are_skipped(tmp_path: Path) -> None:
    journal = Journal("srv1", tmp_path)
    tmp_path.mkdir(exist_ok=True)
    journal.path.write_bytes(
        b'{"run": "a", "event": "action", "kind": "SetSyncCycleEnabled", "params": {}, "result": "done"}\n'
        + b"9" * 5000
        + b"\n[1, 2]\n"
        + b"[" * 2000
        + b"\n\xff\xfe\n"
    )
    history = journal.history()
    assert history.died_with_scheduler_disabled is None and journal.damaged == 4
