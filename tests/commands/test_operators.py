"""What an operator running the tool unattended relies on: every failure said in one line, nothing
replaced that the tool did not write, server-controlled text never reaching the terminal raw, and
faults of the machine (full disk, a folder where a file belongs, FIFOs) said instead of crashing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import STATES, Run

CONTOSO = STATES / "contoso-aadc01.yaml"


def _state(name: str = "contoso-aadc01") -> str:
    path = Path(f"{name}.yaml")
    path.write_text(CONTOSO.read_text(encoding="utf-8").replace("contoso-aadc01", name), encoding="utf-8")
    return str(path)


# --- every failure said -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["apply", "--yes"],
        ["apply", "--yes", "--output", "json"],
        ["reconcile"],
        ["reconcile", "--output", "json"],
        ["apply"],
        ["plan"],
        ["status"],
    ],
)
def test_a_server_that_cannot_be_observed_is_said_by_every_command(run: Run, command: list[str]) -> None:
    state = _state()
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    Path(".reconciler/sim/contoso-aadc01.json").write_text("{\n", encoding="utf-8")
    result = run(command[0], state, *command[1:])
    assert result.code == 1
    assert "the simulator file is damaged" in result.out + result.err


@pytest.mark.parametrize("target", ["snapshot:missing.json", "snapshot:nowhere/", "winrm://host.invalid"])
def test_apply_says_why_a_target_cannot_be_observed(run: Run, target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("RECONCILER_WINRM_USERNAME", "RECONCILER_WINRM_PASSWORD", "RECONCILER_WINRM_AUTH"):
        monkeypatch.delenv(variable, raising=False)
    result = run("apply", _state(), "--yes", "--target", target)
    assert result.code == 1
    assert result.out.startswith("contoso-aadc01: failed")
    assert result.err.strip(), "a failure must say why"


def test_a_fleet_apply_says_each_server_it_could_not_observe(run: Run) -> None:
    good, bad = _state("srv-good"), _state("srv-bad")
    assert run("sim", "init", "--name", "srv-bad").code == 0
    Path(".reconciler/sim/srv-bad.json").write_text("[]", encoding="utf-8")
    result = run("apply", good, bad, "--yes")
    assert result.code == 1
    assert "srv-bad: failed" in result.out
    assert "srv-bad.json" in result.err


# --- nothing replaced that the tool did not write ----------------------------------------------


def test_sim_init_force_never_replaces_a_file_the_simulator_did_not_write(run: Run) -> None:
    state = _state()
    before = Path(state).read_bytes()
    for force in ([], ["--force"]):
        result = run("sim", "init", "--target", f"sim:{state}", *force)
        assert result.code == 1
        assert result.err == (
            f"{state}: exists and is not a file this tool's simulator wrote, so it is never replaced; "
            "give another --target or --name\n"
        )
        assert "--force" not in result.err
    assert Path(state).read_bytes() == before


def test_sim_init_force_never_replaces_a_snapshot(run: Run) -> None:
    assert run("sim", "init", "--name", "a").code == 0
    snapshot = run("sim", "show", "--name", "a").out
    Path("a-snapshot.json").write_text(snapshot, encoding="utf-8")
    assert "simulator" not in json.loads(snapshot)
    assert run("sim", "init", "--target", "sim:a-snapshot.json", "--force").code == 1
    assert Path("a-snapshot.json").read_text(encoding="utf-8") == snapshot
    assert run("plan", _state("a"), "--target", "snapshot:a-snapshot.json").code == 0


def test_sim_init_force_replaces_the_simulators_own_file(run: Run) -> None:
    assert run("sim", "init", "--name", "a", "--version", "1.6.2.4").code == 0
    again = run("sim", "init", "--name", "a")
    assert again.code == 1 and "--force replaces it" in again.err
    assert run("sim", "init", "--name", "a", "--force").code == 0
    assert json.loads(Path(".reconciler/sim/a.json").read_text(encoding="utf-8"))["simulator"] == "reconciler"


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_no_write_follows_a_dangling_symlink(run: Run, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    Path("sim.json").symlink_to(outside / "made.json")
    result = run("sim", "init", "--target", "sim:sim.json")
    assert result.code == 1 and "does not exist; nothing is written through it" in result.err
    Path("exported.yaml").symlink_to(outside / "exported.yaml")
    assert run("sim", "init", "--name", "a").code == 0
    result = run("export", "--name", "a", "--out", "exported.yaml")
    assert result.code == 1 and "exported.yaml" in result.err
    assert list(outside.iterdir()) == []


def test_the_installed_command_refuses_to_replace_a_state_file() -> None:
    state = _state()
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "sim", "init", "--force", "--target", f"sim:{state}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1
    assert Path(state).read_text(encoding="utf-8") == CONTOSO.read_text(encoding="utf-8")
    assert not Path(".reconciler/crash").exists()


# --- server-controlled text never reaches the terminal raw --------------------------------------

FORGED = "Mgr\x1b[2J\n  Actions, in order (0):\u2028\x9b31m"
ESCAPED = "Mgr\\x1b[2J\\n  Actions, in order (0):\\u2028\\x9b31m"


def _forged_server(run: Run, version: str = "1.6.2.4") -> str:
    """A simulated server one of whose groups, provisioned by the plan, has a hostile name."""
    state = _state()
    assert run("sim", "init", "--name", "contoso-aadc01", "--version", version).code == 0
    assert run("sim", "set", "--name", "contoso-aadc01", f"groups.5.name={json.dumps(FORGED)}").code == 0
    return state


@pytest.mark.parametrize("output", ["text", "markdown"])
def test_a_hostile_name_is_escaped_in_plans_for_people(run: Run, output: str) -> None:
    result = run("plan", _forged_server(run), "--output", output)
    assert result.code == 0, result.err
    assert ESCAPED in result.out
    assert not any(char in result.out for char in "\x1b\u2028\x9b")
    assert not any(line.lstrip().startswith("Actions, in order (0)") for line in result.out.splitlines())


def test_json_keeps_a_hostile_name_exact(run: Run) -> None:
    result = run("plan", _forged_server(run), "--output", "json")
    assert json.loads(result.out)["impact"]["groupsToProvision"] == [FORGED]


def test_progress_lines_and_results_are_escaped(run: Run) -> None:
    result = run("apply", _forged_server(run), "--yes")
    assert result.code == 0, result.err
    assert ESCAPED in result.out and "\x1b" not in result.out + result.err


def test_sim_set_says_a_hostile_value_escaped(run: Run) -> None:
    assert run("sim", "init", "--name", "a").code == 0
    result = run("sim", "set", "--name", "a", f"aadConnector.Name={json.dumps(FORGED)}")
    assert result.code == 0 and len(result.out.splitlines()) == 1 and "\x1b" not in result.out


def test_a_hostile_name_in_a_problem_is_one_line(run: Run) -> None:
    assert run("sim", "init", "--name", "a").code == 0
    result = run("sim", "show", "--target", "sim:bad\nname\x1b.json")
    assert result.code == 1
    assert len(result.err_lines) == 1 and "\x1b" not in result.err


def test_powershell_comments_carry_no_control_character(run: Run) -> None:
    result = run("plan", _forged_server(run), "--output", "powershell")
    assert result.code == 0, result.err
    assert "\x1b" not in result.out
    assert all(not line.lstrip().startswith("Actions, in order") for line in result.out.splitlines())
