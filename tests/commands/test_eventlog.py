"""`reconcile --event-log`: what the self-heal task found and did, in the Windows Application log
(docs/eventlog.md). The script it runs is checked with the real PowerShell grammar and the object model."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler import cmdlets
from reconciler.errors import Problem
from reconciler.running import eventlog
from reconciler.running.results import ServerResult
from reconciler.servers import powershell
from tests.support import STATES, Run
from tests.test_cmdlets import NASTY, commands, evaluate, parse
from tests.test_script_types import problems

CONTOSO = str(STATES / "contoso-aadc01.yaml")
# A stand-in powershell that keeps each script it is given (-File SCRIPT), and succeeds.
STAND_IN = """\
import os, sys
with open(os.environ["EVENT_LOG_SCRIPTS"], "a", encoding="utf-8") as log:
    log.write(open(sys.argv[-1], encoding="utf-8-sig").read() + "\\f")
"""


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    executable = folder / "powershell"
    executable.write_text(f"#!{sys.executable}\n" + STAND_IN, encoding="utf-8")
    executable.chmod(0o755)
    log = tmp_path / "scripts.log"
    monkeypatch.setenv("EVENT_LOG_SCRIPTS", str(log))
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return log


def _written(log: Path) -> list[tuple[int, str, str]]:
    """(event id, entry type, message) of every Write-EventLog the stand-in was given."""
    found = []
    for text in log.read_text(encoding="utf-8").split("\f")[:-1] if log.exists() else []:
        # The commands of the file every script is run as (cmdlets.file_script), and the events' own.
        wrapper = {name for name, _ in commands(parse(cmdlets.file_script("")))}
        assert {name for name, _ in commands(parse(text))} <= wrapper | {"New-EventLog", "Write-EventLog"}
        for line in map(str.strip, text.splitlines()):
            if line.startswith("Write-EventLog"):
                event_id = int(line.split("-EventId ")[1].split()[0])
                entry_type = line.split("-EntryType ")[1].split()[0]
                found.append((event_id, entry_type, evaluate(line.split("-Message ", 1)[1])))
    return found


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in powershell is a script with a #! line")
def test_a_pass_writes_drift_reapplied_and_health_and_a_quiet_pass_nothing(run: Run, stand_in: Path) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    assert run("reconcile", CONTOSO, "--event-log").code == 0
    first = _written(stand_in)
    assert [(i, t) for i, t, _ in first] == [(1001, "Warning"), (1002, "Information"), (1010, "Information")]
    assert first[0][2].startswith("contoso-aadc01: drift found: groupMemberLimit: 250000 -> 100000")
    assert first[1][2] == "contoso-aadc01: re-applied 6 action(s); in sync"
    assert first[2][2].startswith("contoso-aadc01: health not yet said -> Healthy")

    assert run("reconcile", CONTOSO, "--event-log").code == 0
    assert _written(stand_in) == first  # in sync, health unchanged: no script run at all

    run("sim", "set", "--name", "contoso-aadc01", f"lastSyncCycle.endedAt={_days_ago(9)}")
    assert run("reconcile", CONTOSO, "--event-log").code == 0
    (event_id, entry_type, message), *_ = _written(stand_in)[len(first) :]
    assert (event_id, entry_type) == (1011, "Warning")
    assert message.startswith("contoso-aadc01: health Healthy -> Degraded: last cycle: the last cycle ended 9 days")


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds").replace("+00:00", "Z")


def test_events_that_cannot_be_written_are_one_line_and_said_again(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))  # no powershell at all
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    result = run("reconcile", CONTOSO, "--event-log")
    assert result.code == 0  # the reconcile itself succeeded
    assert [line for line in result.err_lines if line.startswith("event log:")] == [
        "event log: 3 event(s) not written: the powershell target runs on the Entra Connect server itself, and "
        "this machine has no powershell.exe; from elsewhere use winrm://HOST, or a snapshot"
    ]
    assert not Path(".reconciler/health/contoso-aadc01.txt").exists()  # said again next time


def test_failed_and_held_servers_and_hostile_names_in_the_script() -> None:
    failed = ServerResult("aadc01", "a.yaml", problems=(Problem("", None, None, "aadc01: busy"),))
    held = ServerResult("aadc02", "b.yaml", outcome="skipped", why="aadc02: outside its sync windows")
    found = eventlog.events(failed, None, None) + eventlog.events(held, None, None)
    assert [(e.kind.event_id, e.message) for e in found] == [
        (1003, "aadc01: failed: aadc01: busy"),
        (1004, "aadc02: skipped: aadc02: outside its sync windows"),
    ]
    hostile = [eventlog.Event(eventlog.HELD, name, f"{name}: held") for name in NASTY]
    text = eventlog.script(hostile)
    root = parse(text)
    assert text.isascii()
    assert [name for name, _ in commands(root)] == ["New-EventLog"] + ["Write-EventLog"] * len(NASTY)
    said = [evaluate(line.split("-Message ", 1)[1]) for line in text.splitlines() if line.startswith("Write-EventLog")]
    assert said == [f"{name}: held" for name in NASTY]
    assert problems(text) == []  # the object-model check: nothing here touches an ADSync object wrongly


def test_the_registered_task_runs_with_the_event_log_and_makes_its_source() -> None:
    task = powershell.shipped_script("Register-ReconcilerTask.ps1")
    assert "--target powershell --event-log" in task
    assert f"New-EventLog -LogName '{eventlog.LOG}' -Source '{eventlog.SOURCE}'" in task
    assert len({k.event_id for k in eventlog.KINDS}) == len(eventlog.KINDS)
    doc = (Path(__file__).resolve().parents[2] / "docs" / "eventlog.md").read_text(encoding="utf-8")
    assert all(f"| {k.event_id} | {k.entry_type} |" in doc for k in eventlog.KINDS)
    assert f"`{eventlog.SOURCE}`" in doc
