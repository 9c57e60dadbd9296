"""Which machine and which target a run talks to: `metadata.host`, `server.host`, a single live
target's folder, history per (server, target), no invented simulator, and what a target could not see."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from reconciler.model import statefiles
from reconciler.model.observed import ObservedState
from reconciler.servers import targets
from reconciler.servers.simulator import SimulatedServer
from tests.support import ROOT, STATES, Run

CONTOSO = (STATES / "contoso-aadc01.yaml").read_text(encoding="utf-8")
RAISED_EXPORT = ROOT / "tests" / "fixtures" / "export-sim-1.6.2.4-raised"


def state_file(path: Path, name: str, host: str | None = None, **spec: str) -> str:
    """states/contoso-aadc01.yaml under another name, with a host and other spec lines if given."""
    text = CONTOSO.replace("  name: contoso-aadc01\n", f"  name: {name}\n" + (f"  host: {host}\n" if host else ""))
    for key, value in spec.items():
        text = text.replace(f"  {key}: ", f"  {key}: {value}  # was: ", 1)
    path.write_text(text, encoding="utf-8")
    return str(path)


def init(run: Run, target: str, name: str, *options: str) -> None:
    assert run("sim", "init", "--target", target, "--name", name, "--version", "1.6.2.4", *options).code == 0


# Identity in the state and in every observation.


def test_a_snapshot_of_another_machine_is_refused_in_one_line_naming_both(run: Run, tmp_path: Path) -> None:
    init(run, "sim:snap.json", "contoso-aadc01", "--host", "aadc02.contoso.com")
    state = state_file(tmp_path / "s.yaml", "contoso-aadc01", host="aadc01.contoso.com")
    result = run("plan", state, "--target", "snapshot:snap.json")
    assert (result.code, result.out.splitlines()) == (1, ["contoso-aadc01: failed (1 problem(s), listed on stderr)"])
    assert result.err_lines == [
        "contoso-aadc01: plan refused: the state describes machine 'aadc01.contoso.com', the target is machine "
        "'aadc02.contoso.com'; nothing is planned or written"
    ]


def test_an_apply_to_another_machine_writes_nothing(run: Run, tmp_path: Path) -> None:
    init(run, "sim:other.json", "contoso-aadc01", "--host", "aadc02.contoso.com")
    before = Path("other.json").read_bytes()
    state = state_file(tmp_path / "s.yaml", "contoso-aadc01", host="AADC01")
    result = run("apply", state, "--yes", "--target", "sim:other.json")
    assert result.code == 1
    assert "the state describes machine 'AADC01', the target is machine 'aadc02.contoso.com'" in result.err
    assert Path("other.json").read_bytes() == before
    assert not Path(".reconciler/journal").exists()  # no run was begun


@pytest.mark.parametrize(
    ("declared", "observed"),
    [("AADC01", "aadc01.contoso.com"), ("aadc01.CONTOSO.com", "AADC01"), ("Aadc01.Contoso.Com.", "aadc01.contoso.com")],
)
def test_a_short_name_is_the_first_label_of_a_dns_name(run: Run, tmp_path: Path, declared: str, observed: str) -> None:
    init(run, "sim:s.json", "contoso-aadc01", "--host", observed)
    result = run("plan", state_file(tmp_path / "s.yaml", "contoso-aadc01", host=declared), "--target", "sim:s.json")
    assert result.code == 0, result.err


def test_two_dns_names_of_other_domains_are_other_machines(run: Run, tmp_path: Path) -> None:
    init(run, "sim:s.json", "contoso-aadc01", "--host", "aadc01.fabrikam.com")
    state = state_file(tmp_path / "s.yaml", "contoso-aadc01", host="aadc01.contoso.com")
    assert run("plan", state, "--target", "sim:s.json").code == 1


def test_export_writes_the_host_it_observed_and_the_state_plans_in_sync(run: Run, tmp_path: Path) -> None:
    init(run, "sim:s.json", "contoso-aadc01", "--host", "aadc01.contoso.com")
    assert run("reconcile", state_file(tmp_path / "s.yaml", "contoso-aadc01"), "--target", "sim:s.json").code == 0
    assert run("export", "--target", "sim:s.json", "--out", "exported.yaml").code == 0
    exported = statefiles.load_all(["exported.yaml"])[0].state
    assert exported.host == "aadc01.contoso.com"
    again = run("plan", "exported.yaml", "--target", "sim:s.json", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err


def test_a_snapshot_without_a_host_loads_as_host_unknown_and_the_plan_says_so(run: Run, tmp_path: Path) -> None:
    init(run, "sim:s.json", "contoso-aadc01")
    data = json.loads(Path("s.json").read_text(encoding="utf-8"))
    del data["server"]["host"], data["server"]["instanceId"]  # as the collector wrote it before 0.3
    Path("old.json").write_text(json.dumps(data), encoding="utf-8")
    state = state_file(tmp_path / "s.yaml", "contoso-aadc01", host="aadc01.contoso.com")
    result = run("plan", state, "--target", "snapshot:old.json")
    assert result.code == 0, result.err
    assert (
        "Warning: server.host was not observed by this source: it cannot confirm the server is 'aadc01.contoso.com'"
        in result.out
    )


def test_the_simulator_reports_its_host_and_its_installation(run: Run) -> None:
    init(run, "sim:s.json", "contoso-aadc01", "--host", "aadc01.contoso.com")
    shown = json.loads(run("sim", "show", "--target", "sim:s.json").out)["server"]
    assert shown["host"] == "aadc01.contoso.com"
    assert uuid.UUID(shown["instanceId"])
    init(run, "sim:default.json", "Contoso-AADC01")
    assert json.loads(run("sim", "show", "--target", "sim:default.json").out)["server"]["host"] == "contoso-aadc01"


def test_a_twin_is_on_its_original_machine_unless_told(run: Run) -> None:
    init(run, "sim:real.json", "contoso-aadc01", "--host", "aadc01.contoso.com")
    assert run("sim", "init", "--target", "sim:twin.json", "--from", "real.json").code == 0
    assert json.loads(Path("twin.json").read_text(encoding="utf-8"))["server"]["host"] == "aadc01.contoso.com"
    assert run("sim", "init", "--target", "sim:lab.json", "--from", "real.json", "--host", "lab01").code == 0
    assert json.loads(Path("lab.json").read_text(encoding="utf-8"))["server"]["host"] == "lab01"


# A folder on a single live target.


class ThisComputer:
    """The machine a `powershell` target reaches, stood in for by a simulated server: the collector
    reports the name it is given and the computer's own host, as the shipped one does."""

    def __init__(self, name: str) -> None:
        self.server = SimulatedServer(Path("this-computer.json"))
        self.asked = name

    def observe(self) -> ObservedState:
        state = self.server.observe()
        return state.replace(server=state.server.__class__(**{**_fields(state.server), "name": self.asked}))

    def __getattr__(self, operation: str) -> Any:
        return getattr(self.server, operation)


def _fields(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


@pytest.fixture
def this_computer(run: Run, monkeypatch: pytest.MonkeyPatch) -> Path:
    init(run, "sim:this-computer.json", "contoso-aadc01", "--host", "aadc01.contoso.com")
    monkeypatch.setattr(targets.LiveTarget, "server", lambda _self, name, _cloud: ThisComputer(name))
    return Path("this-computer.json")


def test_a_folder_on_powershell_applies_only_the_state_of_this_computer(
    run: Run, tmp_path: Path, this_computer: Path
) -> None:
    folder = tmp_path / "states"
    folder.mkdir()
    state_file(folder / "a.yaml", "contoso-aadc01", host="AADC01")
    state_file(folder / "b.yaml", "contoso-aadc02", host="aadc02.contoso.com")
    state_file(folder / "c.yaml", "aadc03")  # no host: its name must be this computer's
    result = run("reconcile", str(folder), "--target", "powershell")
    assert result.code == 0, result.err
    assert "aadc03: skipped: this computer is aadc01.contoso.com" in result.out
    assert "contoso-aadc02: skipped: this computer is aadc01.contoso.com" in result.out
    assert "contoso-aadc01: applied 7 action(s)" in result.out
    assert "3 servers: 0 in sync, 1 rollout progressing, 2 skipped, 0 failed" in result.out
    journals = sorted(p.name for p in Path(".reconciler/journal").iterdir())
    assert journals == ["contoso-aadc01.jsonl"]


@pytest.mark.parametrize("command", ["plan", "apply", "reconcile", "status"])
def test_states_of_which_none_describes_this_computer_fail_the_run(
    run: Run, tmp_path: Path, this_computer: Path, command: str
) -> None:
    """The wrong machine, or the wrong folder: each state says why it is skipped, nothing is
    written, and the run exits 1 rather than looking like a success."""
    folder = tmp_path / "states"
    folder.mkdir()
    state_file(folder / "b.yaml", "contoso-aadc02", host="aadc02.contoso.com")
    state_file(folder / "c.yaml", "aadc03")
    result = run(command, str(folder), "--target", "powershell", *(["--yes"] if command == "apply" else []))
    assert result.code == 1, result.out + result.err
    assert "this computer is aadc01.contoso.com" in result.out
    assert not Path(".reconciler/journal").exists() or not any(Path(".reconciler/journal").iterdir())


def test_status_of_a_folder_on_powershell_says_why_the_others_are_skipped(
    run: Run, tmp_path: Path, this_computer: Path
) -> None:
    folder = tmp_path / "states"
    folder.mkdir()
    state_file(folder / "a.yaml", "contoso-aadc01", host="aadc01.contoso.com")
    state_file(folder / "b.yaml", "contoso-aadc02", host="aadc02.contoso.com")
    result = run("status", str(folder), "--target", "powershell")
    assert result.code == 0, result.err
    assert "contoso-aadc02: skipped\n  - this computer is aadc01.contoso.com\n" in result.out
    assert "contoso-aadc01: rollout progressing\n" in result.out


def test_an_invalid_host_is_refused_with_its_line_and_column(run: Run, tmp_path: Path) -> None:
    result = run("validate", state_file(tmp_path / "s.yaml", "contoso-aadc01", host="aadc01 contoso"))
    assert result.code == 1
    assert result.err.startswith(f"{tmp_path / 's.yaml'}:9:9: metadata.host: ")


def test_a_server_replaced_on_the_same_target_starts_a_history_of_its_own(run: Run, tmp_path: Path) -> None:
    """The journal is the (server, target) pair's as observed: another machine behind the same
    target (a rebuilt server, a simulator file made again) does not inherit its rollout."""
    state = state_file(tmp_path / "holdout.yaml", "holdout-aadc01")
    init(run, "sim:s.json", "holdout-aadc01", "--host", "aadc01.contoso.com")
    assert run("reconcile", state, "--target", "sim:s.json").code == 0  # 50,000 → 75,000
    init(run, "sim:s.json", "holdout-aadc01", "--host", "aadc09.contoso.com", "--force")
    result = run("plan", state, "--target", "sim:s.json")
    # A first step, not one held back waiting for a cycle after the other machine's step.
    assert "rollout: raising the limit to 75000, not 100000, this run" in result.out
    assert "last successful apply: none recorded here" in run("status", state, "--target", "sim:s.json").out


def test_a_state_named_after_this_computer_applies_without_a_host(
    run: Run, tmp_path: Path, this_computer: Path
) -> None:
    result = run("plan", state_file(tmp_path / "aadc01.yaml", "AADC01"), "--target", "powershell")
    assert result.code == 0, result.err
    assert "AADC01 (version 1.6.2.4)" in result.out  # a live server's header: not "simulated"


# History belongs to a (server, target) pair.


def _rehearse_to_100000(run: Run, state: str) -> None:
    """Three reconciles with a sync cycle between each: 50,000 → 75,000 → 100,000."""
    for _ in range(2):
        assert run("reconcile", state, "--target", "sim:rehearsal.json").code == 0
        assert run("sim", "cycle", "--target", "sim:rehearsal.json").code == 0
    assert "No changes" in run("plan", state, "--target", "sim:rehearsal.json").out


def test_a_rehearsal_on_a_twin_never_moves_the_real_servers_rollout(run: Run, tmp_path: Path) -> None:
    state = state_file(tmp_path / "holdout.yaml", "holdout-aadc01")
    init(run, "sim:rehearsal.json", "holdout-aadc01")
    _rehearse_to_100000(run, state)
    assert (
        run("sim", "init", "--target", "sim:real.json", "--name", "holdout-aadc01", "--version", "1.5.30.0").code == 0
    )
    result = run("plan", state, "--target", "sim:real.json")
    assert result.code == 0, result.err
    assert "~ groupMemberLimit: 50000 → 75000" in result.out
    assert "rollout: raising the limit to 75000, not 100000, this run" in result.out
    # The rehearsal's history is its own: status of each target says which one it read.
    rehearsal = run("status", state, "--target", "sim:rehearsal.json").out
    real = run("status", state, "--target", "sim:real.json").out
    assert "target: sim:rehearsal.json (machine holdout-aadc01)" in rehearsal
    assert "last successful apply: 20" in rehearsal
    assert "last successful apply: none recorded here" in real


def test_history_says_which_target_each_run_touched(run: Run, tmp_path: Path) -> None:
    state = state_file(tmp_path / "holdout.yaml", "holdout-aadc01")
    for target in ("sim:a.json", "sim:b.json"):
        init(run, target, "holdout-aadc01")
        assert run("reconcile", state, "--target", target).code == 0
    shown = run("history", "holdout-aadc01")
    assert shown.code == 0
    targets_said = [line.strip() for line in shown.out.splitlines() if line.startswith("    target:")]
    assert targets_said == [
        f"target: sim:{Path('a.json').resolve()} (machine holdout-aadc01)",
        f"target: sim:{Path('b.json').resolve()} (machine holdout-aadc01)",
    ]
    document = json.loads(run("history", "holdout-aadc01", "--output", "json").out)
    assert [r["target"] for r in document["runs"]] == [f"sim:{Path(n).resolve()}" for n in ("a.json", "b.json")]


def test_a_journal_written_by_0_2_keeps_working(run: Run, tmp_path: Path) -> None:
    """A 0.2 line names no target: it is read by every target of the server, as 0.2 read it."""
    state = state_file(tmp_path / "holdout.yaml", "holdout-aadc01")
    init(run, "sim:s.json", "holdout-aadc01")
    journal = Path(".reconciler/journal/holdout-aadc01.jsonl")
    journal.parent.mkdir(parents=True)
    lines = [
        {"time": "2026-11-20T09:00:00.000Z", "server": "holdout-aadc01", "run": "old1", "event": "run-start"},
        {"time": "2026-11-20T09:01:00.000Z", "server": "holdout-aadc01", "run": "old1", "event": "run-end",
         "result": "success", "observedVersion": "1.6.2.4", "memberLimit": 100000, "memberLimitBefore": 75000},
    ]  # fmt: skip
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = run("plan", state, "--target", "sim:s.json")
    # The proven limit of 0.2's run is climbed back to at once, as after an upgrade reset it.
    assert "~ groupMemberLimit: 50000 → 100000" in result.out, result.out
    shown = run("history", "holdout-aadc01").out.splitlines()
    assert shown[1].startswith("2026-11-20T09:00:00.000Z  run old1  success")
    assert shown[2] == "    target: not recorded (a run of 0.2)"


# The simulator never invents a server; every output about one says "simulated".


def test_every_plan_and_status_of_a_simulated_server_says_so(run: Run, tmp_path: Path) -> None:
    init(run, "sim:s.json", "contoso-aadc01")
    state = state_file(tmp_path / "s.yaml", "contoso-aadc01")
    assert run("plan", state, "--target", "sim:s.json").out.startswith("contoso-aadc01 (version 1.6.2.4, simulated)")
    assert (
        "### `contoso-aadc01` (simulated): " in run("plan", state, "--target", "sim:s.json", "--output", "markdown").out
    )
    document = json.loads(run("plan", state, "--target", "sim:s.json", "--output", "json").out)
    assert (document["target"], document["host"], document["simulated"]) == ("sim:s.json", "contoso-aadc01", True)
    assert run("status", state, "--target", "sim:s.json").out.startswith("contoso-aadc01 (simulated): ")


@pytest.mark.parametrize(
    "command",
    [("export", "--target", "sim:missing.json"), ("sim", "show", "--name", "x"), ("sim", "cycle", "--name", "x")],
)
def test_nothing_is_made_for_a_simulated_server_that_is_not_there(run: Run, command: tuple[str, ...]) -> None:
    result = run(*command)
    assert result.code == 1
    assert "no simulated server here; create one with `reconciler sim init " in result.err
    assert list(Path().iterdir()) == []  # no lock file, no folder


# A target says what it can observe.


def test_an_export_target_plan_never_clears_a_full_sync_it_could_not_see(run: Run, tmp_path: Path) -> None:
    state = state_file(tmp_path / "raised.yaml", "contoso-sim02", groupMemberLimit="150000")
    Path(state).write_text(Path(state).read_text(encoding="utf-8").split("  rollout:")[0], encoding="utf-8")
    target = f"export:{RAISED_EXPORT}"
    text = run("plan", state, "--target", target)
    assert text.code == 0, text.err
    numbered = [re.match(r"    \d+\. (\w+)", line) for line in text.out.splitlines()]
    actions = [m.group(1) for m in numbered if m]
    assert actions == [
        "WaitForSyncIdle",
        "SetSyncCycleEnabled",
        "UpdateSyncRule",
        "UpdateSyncRule",
        "SetSyncCycleEnabled",
    ]
    warning = (
        "connectorOverrides were not observed by this source: whether a full sync is pending is not known, so the "
        "plan does not clear it (SetConnectorOverride fullSyncRequired=false for 'contoso.onmicrosoft.com - AAD' "
        "is left out; a full sync runs instead)"
    )
    assert f"Warning: {warning}" in text.out
    assert warning in run("plan", state, "--target", target, "--output", "markdown").out
    assert warning in run("plan", state, "--target", target, "--output", "json").out
    # A twin of the same server, whose overrides are observed, clears the full sync the raise queues.
    assert (
        run("sim", "init", "--target", "sim:twin.json", "--name", "contoso-sim02", "--from", str(RAISED_EXPORT)).code
        == 0
    )
    twin = run("plan", state, "--target", "sim:twin.json")
    assert '. SetConnectorOverride(connectorName="contoso.onmicrosoft.com - AAD"' in twin.out, twin.out
    assert warning not in twin.out
