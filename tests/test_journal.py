"""What the journal tells the next run: a scheduler a dead run left off, the version and limit it left."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.journal import Journal


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
