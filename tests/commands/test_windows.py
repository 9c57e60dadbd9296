"""`spec.windows`: unattended runs act only inside a server's sync windows; a manual apply outside
them needs --override-window, which the journal records (docs/state-file.md#windows)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.errors import UserError
from reconciler.model import windows
from reconciler.model.windows import Window
from tests.support import STATES, Run

CONTOSO = STATES / "contoso-aadc01.yaml"


def _at(moment: datetime) -> str:
    """A cron schedule that opens at that minute, every day."""
    return f"{moment.minute} {moment.hour} * * *"


def _state(*lines: str) -> str:
    path = Path("contoso-aadc01.yaml")
    path.write_text(CONTOSO.read_text(encoding="utf-8") + "  windows:\n" + "".join(lines), encoding="utf-8")
    return str(path)


def _window(kind: str, opens: datetime, duration: str) -> str:
    return f'    - kind: {kind}\n      schedule: "{_at(opens)}"\n      duration: {duration}\n'


def _journal() -> str:
    path = Path(".reconciler/journal/contoso-aadc01.jsonl")
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_reconcile_outside_every_allow_window_reports_and_waits(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    later = datetime.now(UTC) + timedelta(hours=3)
    state = _state(_window("allow", later, "1h"))
    result = run("reconcile", state, "--detailed-exitcode")
    assert result.code == 2, result.err
    assert "contoso-aadc01: outside its sync windows (spec.windows): outside every allow window; the next opens at" in (
        result.out
    )
    assert "contoso-aadc01: skipped: outside its sync windows" in result.out
    assert _journal() == ""
    assert run("plan", state, "--detailed-exitcode").code == 2  # plan is never held


def test_inside_an_allow_window_reconcile_acts_and_a_deny_window_wins(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    started = datetime.now(UTC) - timedelta(minutes=1)
    denied = run("reconcile", _state(_window("allow", started, "30m"), _window("deny", started, "30m")))
    assert "outside its sync windows (spec.windows): inside the deny window deny" in denied.out
    acted = run("reconcile", _state(_window("allow", started, "30m")), "--detailed-exitcode")
    assert acted.code == 0 and "contoso-aadc01: applied 7 action(s)" in acted.out


def test_a_manual_apply_outside_its_windows_needs_the_override_and_the_journal_records_it(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    state = _state(_window("deny", datetime.now(UTC) - timedelta(minutes=1), "1h"))
    refused = run("apply", state, "--yes")
    assert refused.code == 1
    assert refused.err_lines == [
        f"{state}: contoso-aadc01: refused: outside its sync windows (spec.windows): inside the deny window "
        f"deny '{_at(datetime.now(UTC) - timedelta(minutes=1))}' for 1h (UTC); --override-window applies all the same"
    ]
    assert "skipped" not in refused.out
    assert _journal() == ""
    applied = run("apply", state, "--yes", "--override-window")
    assert applied.code == 0 and "applied 7 action(s)" in applied.out
    override = [json.loads(line) for line in _journal().splitlines() if '"window-override"' in line]
    assert len(override) == 1 and override[0]["reason"].startswith("inside the deny window deny")
    history = run("history", "contoso-aadc01").out
    assert "    note: applied outside its sync windows with --override-window: inside the deny window" in history


def test_a_window_the_tool_cannot_read_fails_its_server_in_one_line(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    state = _state('    - kind: allow\n      schedule: "75 * * * *"\n      duration: 1h\n')
    result = run("reconcile", state)
    assert result.code == 1
    assert "cron minute '75': values are 0 to 59" in result.err and "Traceback" not in result.err
    bad = run("validate", _state('    - kind: sometimes\n      schedule: "* * * * *"\n      duration: 1h\n'))
    assert bad.code == 1 and "spec.windows" in bad.err


def test_validate_refuses_every_window_a_run_would_refuse_at_its_line(run: Run) -> None:
    state = _state(
        '    - kind: allow\n      schedule: "61 25 * * *"\n      duration: 8d\n      timeZone: Mars/Olympus\n',
        '    - kind: allow\n      schedule: "0 3 31 2 *"\n      duration: 0m\n',
    )
    result = run("validate", state)
    assert result.code == 1 and "Traceback" not in result.err
    first = len(CONTOSO.read_text(encoding="utf-8").splitlines()) + 3  # the line of the first schedule
    assert result.err_lines == [
        f"{state}:{first}:17: spec.windows[0].schedule: cron minute '61': values are 0 to 59",
        f"{state}:{first + 1}:17: spec.windows[0].duration: window duration '8d': between 1 minute and 7 days",
        f"{state}:{first + 2}:17: spec.windows[0].timeZone: window time zone 'Mars/Olympus': not a time zone "
        "this machine knows (UTC, local, or e.g. Europe/Berlin)",
        f"{state}:{first + 4}:17: spec.windows[1].schedule: window schedule '0 3 31 2 *': never occurs "
        "(no month named has that day of month)",
        f"{state}:{first + 5}:17: spec.windows[1].duration: window duration '0m': between 1 minute and 7 days",
    ]
    # The 29th of February comes, in leap years; either day will do when both days are named.
    assert run("validate", _state('    - kind: allow\n      schedule: "0 3 29 2 *"\n      duration: 1h\n')).code == 0
    assert run("validate", _state('    - kind: allow\n      schedule: "0 3 31 2 1"\n      duration: 1h\n')).code == 0


def test_a_window_this_machine_cannot_read_at_run_time_names_its_file_and_server(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    state = _state(
        '    - kind: allow\n      schedule: "0 22 * * *"\n      duration: 1h\n      timeZone: Europe/Berlin\n'
    )
    assert run("validate", state).code == 0

    def lacking(windows_: object, now: object) -> windows.Verdict:
        # Another machine's zone database, without the zone validation found.
        raise UserError("window time zone 'Europe/Berlin': not a time zone this machine knows")

    monkeypatch.setattr(windows, "verdict", lacking)
    result = run("reconcile", state)
    assert result.code == 1
    assert result.err_lines == [
        f"{state}: contoso-aadc01: spec.windows: window time zone 'Europe/Berlin': not a time zone this machine knows"
    ]


def test_cron_as_cron_reads_it() -> None:
    monday_22 = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)
    weekdays = Window("allow", "0 22 * * 1-5", "1h")
    assert windows.is_open(weekdays, monday_22)
    assert not windows.is_open(weekdays, monday_22 + timedelta(hours=1))  # the hour is over
    assert not windows.is_open(weekdays, monday_22 - timedelta(days=1))  # a Sunday
    # With a day of month and a day of week, either will do; 0 and 7 are Sunday.
    either = Window("allow", "0 22 1 * 0", "1h")
    assert windows.is_open(either, monday_22 - timedelta(days=1)) and windows.is_open(
        either, datetime(2027, 1, 1, 22, tzinfo=UTC)
    )
    assert windows.is_open(Window("allow", "*/15 * * * 7", "1m"), datetime(2026, 12, 6, 9, 45, tzinfo=UTC))
    berlin = Window("allow", "0 1 * * *", "1h", "Europe/Berlin")
    assert windows.is_open(berlin, datetime(2026, 12, 7, 0, 30, tzinfo=UTC))  # 01:30 in Berlin, in winter
    assert windows.verdict((), monday_22).open


def test_status_says_when_the_windows_hold_unattended_runs(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    closed = _state(_window("allow", datetime.now(UTC) + timedelta(hours=3), "1h"))
    held = json.loads(run("status", closed, "--output", "json").out)["servers"][0]["unattendedHeld"]
    assert held.startswith("outside its sync windows (spec.windows): outside every allow window; the next opens at")
    opened = _state(_window("allow", datetime.now(UTC) - timedelta(minutes=1), "1h"))
    assert "unattended runs" not in run("status", opened).out
