"""What apply and reconcile say while they work, and the statuses they end with (issue 13)."""

from __future__ import annotations

import dataclasses
import io
import json
import sys
from pathlib import Path

import pytest

from reconciler.commands.plan import colour_for
from reconciler.model import statefiles
from reconciler.model.statefiles import StateFile
from reconciler.reports.live import LinePrinter, result_line
from reconciler.running import runner
from reconciler.running.executor import Executor, Settings
from reconciler.running.journal import Journal
from reconciler.running.progress import Listener
from reconciler.running.results import ServerResult
from reconciler.servers import targets
from reconciler.servers.simulator import InMemoryServer, defaults
from tests.scenario import make_plan, state
from tests.support import STATES, Run, sim_init

CONTOSO = str(STATES / "contoso-aadc01.yaml")
STATE = """\
apiVersion: reconciler/v1
kind: SyncServer
metadata: {{name: {name}}}
spec:
  cloud: AzureCommercial
  apiVersions: {{export: 2, import: 2}}
  groupMemberLimit: 100000
  rulePrecedence: 90
  writeupRulePrecedence: 89
  scheduler: {{syncCycleEnabled: true}}
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECONCILER_TARGET", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")  # a terminal with colours, whatever runs the tests


def fleet(run: Run, tmp_path: Path, names: list[str]) -> str:
    (tmp_path / "fleet").mkdir()
    for name in names:
        assert run("sim", "init", "--name", name, "--version", "1.6.2.4").code == 0
        (tmp_path / "fleet" / f"{name}.yaml").write_text(STATE.format(name=name), encoding="utf-8")
    return str(tmp_path / "fleet")


def test_each_action_says_when_it_starts_and_ends(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    result = run("apply", CONTOSO, "--yes")
    lines = result.out.splitlines()
    assert "contoso-aadc01: [1/7] WaitForSyncIdle: checking that no sync cycle runs..." in lines
    assert "contoso-aadc01: [1/7] WaitForSyncIdle: done after 0s" in lines
    assert "contoso-aadc01: [5/7] DisableSyncRule: done after 0s" in lines
    # The plan comes first, the progress after it, the server's line last.
    assert lines.index("  Actions, in order (7):") < lines.index("contoso-aadc01: [1/7] WaitForSyncIdle: done after 0s")
    assert lines[-1].startswith("contoso-aadc01: applied 7 action(s); rollout progressing")


def test_the_rule_written_is_shown_as_the_server_will_hold_it(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    out = run("plan", CONTOSO).out
    assert (
        '         member = IIF(([memberCount]> 75000),Error("Maximum Group member count exceeded"),IgnoreThisFlow)'
        in out
    )
    assert "         scope: memberCount LESSTHAN 75000 (in 2 scope groups)" in out
    assert out.rstrip("\n").splitlines()[-1] == (
        "Plan: 2 rule(s) to create, 0 to update, 2 to disable, 0 to enable, 0 to remove; 0 setting(s) to change; "
        "1 group(s) to provision, 0 to stop updating, 0 to delete."
    )


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert colour_for(Terminal()) is True
    assert colour_for(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert colour_for(Terminal()) is False


def test_a_terminal_that_says_it_is_dumb_gets_no_colour(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)  # the captured stdout, as a terminal
    assert "\x1b[" in run("plan", CONTOSO).out
    monkeypatch.setenv("TERM", "dumb")
    plain = run("plan", CONTOSO)
    assert plain.code == 0 and "\x1b[" not in plain.out and "Actions, in order (7):" in plain.out


def test_a_fleet_is_reviewed_whole_and_asked_once(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = fleet(run, tmp_path, ["srv1", "srv2", "srv3"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    questions: list[str] = []

    def answer(prompt: str) -> str:
        questions.append(prompt)
        return "yes"

    monkeypatch.setattr("builtins.input", answer)
    result = run("apply", folder)
    assert questions == ["Apply 21 action(s) to 3 servers? Only 'yes' proceeds: "]
    assert result.code == 0, result.err
    assert result.out.count("Plan: 6 rule(s) to create") == 1  # one summary line for the fleet
    assert result.out.endswith("3 servers: 0 in sync, 3 changed, 0 failed\n")
    assert run("plan", folder, "--detailed-exitcode").code == 0


def test_a_declined_fleet_apply_changes_nothing_and_is_not_changed(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = fleet(run, tmp_path, ["srv1", "srv2"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda _prompt: "no")
    result = run("apply", folder)
    assert result.code == 1
    assert result.err == "Apply cancelled: nothing was changed.\n"
    assert result.out.endswith("2 servers: 0 in sync, 2 not applied (declined), 0 failed\n")
    assert run("plan", folder, "--detailed-exitcode").code == 2  # nothing was applied


def test_a_wave_never_skips_a_server_silently(run: Run, tmp_path: Path) -> None:
    folder = fleet(run, tmp_path, ["active1", "stage1"])
    run("sim", "set", "--name", "stage1", "scheduler.StagingModeEnabled=true")
    result = run("apply", folder, "--yes", "--wave", "staging", "--detailed-exitcode")
    assert "active1: skipped: an active server; this run applies --wave staging only" in result.out.splitlines()
    assert result.out.endswith("2 servers: 0 in sync, 1 changed, 1 skipped, 0 failed\n")
    assert result.code == 2  # active1 is still short of its desired state
    assert run("apply", folder, "--yes", "--wave", "staging").code == 0  # without the flag: no error


def test_apply_output_json_is_one_document_with_statuses(run: Run, tmp_path: Path) -> None:
    folder = fleet(run, tmp_path, ["srv1", "srv2"])
    run("sim", "set", "--name", "srv2", "scheduler.SyncCycleInProgress=true")
    result = run("reconcile", folder, "--output", "json", "--wait-timeout", "0")
    assert result.code == 1
    document = json.loads(result.out)  # stdout holds only the document; progress went to stderr
    assert document["summary"] == {"servers": 2, "inSync": 0, "withChanges": 0, "failed": 1, "changed": 1}
    assert [s["status"] for s in document["servers"]] == ["changed", "failed"]
    assert "srv1: [1/7] WaitForSyncIdle: done after 0s" in result.err
    assert "srv2: a sync cycle was still running after 0 s (--wait-timeout)" in result.err


def test_a_failure_is_said_right_under_its_server(run: Run, tmp_path: Path) -> None:
    folder = fleet(run, tmp_path, ["srv1"])
    run("sim", "set", "--name", "srv1", "scheduler.SyncCycleInProgress=true")
    result = run("apply", folder, "--yes", "--wait-timeout", "0")
    assert result.out.splitlines()[-1] == "srv1: failed (1 problem(s), listed on stderr)"
    assert result.err.startswith("srv1: a sync cycle was still running after 0 s")


def _apply_through_a_cycle(tmp_path: Path, cycle_seconds: float, printer: LinePrinter) -> str:
    """Apply to a server whose sync cycle runs for `cycle_seconds` (a fake clock, polled every 5 s);
    what the printer wrote."""
    server = InMemoryServer(defaults.new_server("srv1", "1.6.2.4"))
    p = make_plan(server, state())
    idle = server.state
    server.state = idle.replace(scheduler=dataclasses.replace(idle.scheduler, sync_cycle_in_progress=True))
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds
        if now[0] >= cycle_seconds:
            server.state = idle

    settings = Settings(wait_timeout=600, poll_interval=5, sleep=sleep, clock=lambda: now[0], listener=printer)
    Executor(server, Journal("srv1", tmp_path), settings).run(p)
    assert isinstance(printer.out, io.StringIO)
    return printer.out.getvalue()


def test_waiting_for_a_cycle_says_so_every_ten_seconds(tmp_path: Path) -> None:
    out = _apply_through_a_cycle(tmp_path, 35, LinePrinter(io.StringIO(), show_plans=False))
    waits = [line for line in out.splitlines() if "still waiting" in line]
    assert waits == [
        "srv1: still waiting for the sync cycle to finish... [10s elapsed]",
        "srv1: still waiting for the sync cycle to finish... [20s elapsed]",
        "srv1: still waiting for the sync cycle to finish... [30s elapsed]",
    ]


def test_a_stop_request_ends_the_run_before_the_next_action_with_a_summary(tmp_path: Path) -> None:
    (tmp_path / "srv1.yaml").write_text(STATE.format(name="srv1"), encoding="utf-8")
    state_file: StateFile = statefiles.load_all([str(tmp_path / "srv1.yaml")])[0]
    sim_init(f"sim:{tmp_path}/sims/", "srv1")
    options = runner.RunOptions(target=targets.parse(f"sim:{tmp_path}/sims/"), state_dir=tmp_path / ".reconciler")

    class StopAfterTwo(LinePrinter):
        def finished(self, server: str, action: object, **kwargs: object) -> None:  # type: ignore[override]
            super().finished(server, action, **kwargs)  # type: ignore[arg-type]
            if kwargs["index"] == 2:
                self.stop.set()  # as the main thread does on Ctrl-C

    printer = StopAfterTwo(io.StringIO(), show_plans=False)
    outcome = runner.apply_result(state_file, options, lambda _p: True, None, printer)
    assert outcome.status == "interrupted"
    summary = printer.interrupted_summary([outcome])
    assert "  srv1: 2 of 7 action(s) done" in summary
    assert "    not done: SetSyncCycleEnabled(enabled=true)" in summary
    # Stopped after disabling the scheduler, before any rule changed: it is turned back on.
    server = options.target.open(state_file.state)
    assert server.observe().scheduler.sync_cycle_enabled is True
    # The rest of a run asked to stop is not started.
    after = runner.apply_result(state_file, options, lambda _p: True, None, printer)
    assert (after.status, after.why) == ("interrupted", "not started: the run was stopped")


def test_result_lines_say_what_happened() -> None:
    assert result_line(ServerResult("a", "a.yaml", outcome="skipped", why="a: an active server")) == (
        "a: skipped: an active server\n"
    )
    assert result_line(ServerResult("a", "a.yaml")) == ""  # in sync: its plan said so already
    assert Listener().stop.is_set() is False


def test_a_saved_plan_is_reviewed_then_applied_on_yes(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    assert run("plan", CONTOSO, "--out", "plan.json").code == 0
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "yes")
    result = run("apply", CONTOSO, "--plan", "plan.json")
    assert result.code == 0, result.err
    assert asked == ["Apply 7 action(s) to 1 server? Only 'yes' proceeds: "]
    assert result.out.count("Actions, in order (7):") == 1  # the reviewed plan, shown once
    assert result.out.splitlines()[-1].startswith("contoso-aadc01: applied 7 action(s)")


def test_reconcile_output_json_of_one_server_is_the_fleet_document(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    result = run("reconcile", CONTOSO, "--output", "json", "--detailed-exitcode")
    assert result.code == 2  # a rollout step: progressing, short of 100,000
    document = json.loads(result.out)
    assert document["summary"]["progressing"] == 1
    assert document["servers"][0]["status"] == "progressing"
    assert "contoso-aadc01: [7/7] SetSyncCycleEnabled: done after 0s" in result.err


@pytest.mark.parametrize("interactive", [True, False])
def test_a_plan_saved_for_another_server_is_refused_not_skipped(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interactive: bool
) -> None:
    folder = fleet(run, tmp_path, ["srv1", "srv2"])
    assert run("plan", f"{folder}/srv1.yaml", "--out", "plan.json").code == 0
    if interactive:
        monkeypatch.setattr("sys.stdin.isatty", lambda: True)
        monkeypatch.setattr("builtins.input", lambda _prompt: "yes")
    result = run("apply", f"{folder}/srv2.yaml", "--plan", "plan.json", *([] if interactive else ["--yes"]))
    assert result.code == 1
    assert "srv2: the saved plan is for server 'srv1'" in result.err


def test_on_a_terminal_a_wait_is_one_status_line_redrawn(tmp_path: Path) -> None:
    text = _apply_through_a_cycle(tmp_path, 25, LinePrinter(io.StringIO(), show_plans=False, live=True))
    assert "still waiting" not in text  # no line a wait on a terminal
    assert "srv1: waiting for the sync cycle to finish [20s]" in text
    # Each redraw clears the line before it, and the next line of output starts clean.
    assert "\r" in text and text.endswith("srv1: [7/7] SetSyncCycleEnabled: done after 0s\n")
    final_lines = [line.split("\r")[-1] for line in text.split("\n")]
    assert "srv1: [1/7] WaitForSyncIdle: done after 25s" in final_lines
