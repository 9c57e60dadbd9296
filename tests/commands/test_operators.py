"""What an operator running the tool unattended relies on: every failure said in one line, nothing
replaced that the tool did not write, server-controlled text never reaching the terminal raw, and
faults of the machine (full disk, a folder where a file belongs, FIFOs) said instead of crashing."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.errors import printable
from reconciler.formats import locking
from reconciler.running import journal
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
    assert not Path(state + ".lock").exists()  # nothing made beside a file that is not ours


def test_sim_init_force_never_replaces_a_snapshot(run: Run) -> None:
    assert run("sim", "init", "--name", "a").code == 0
    snapshot = run("sim", "show", "--name", "a").out
    Path("a-snapshot.json").write_text(snapshot, encoding="utf-8")
    assert "simulator" not in json.loads(snapshot)
    refused = run("sim", "init", "--target", "sim:a-snapshot.json", "--force")
    assert refused.code == 1
    assert refused.err == (
        "a-snapshot.json: holds an observed state without the simulator's mark (a snapshot, or a simulated server "
        "written before 0.3), so it is never replaced; give another --target or --name\n"
    )
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
    # Markdown: the same, and no markup of its own ([ would start a link).
    markdown = ESCAPED.replace("\\", "\\\\").replace("[", "\\[")
    assert (ESCAPED if output == "text" else markdown) in result.out
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


# --- faults of the machine: one line, no crash file, no hang -------------------------------------


def _no_crash_file() -> bool:
    return not Path(".reconciler/crash").exists()


@pytest.mark.parametrize("where", ["journal/contoso-aadc01.jsonl", "locks"])
def test_a_folder_where_a_file_belongs_is_one_line(run: Run, where: str) -> None:
    state = _state()
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    if where == "locks":
        assert run("apply", state, "--yes").code == 0
        lock = next(Path(".reconciler/locks").iterdir())
        lock.unlink()
        lock.mkdir()
        assert run("sim", "set", "--name", "contoso-aadc01", "scheduler.SyncCycleEnabled=false").code == 0
    else:
        Path(".reconciler", where).mkdir(parents=True)
    result = run("apply", state, "--yes")
    assert result.code == 1
    assert result.err_lines[-1].endswith(
        ("a journal must be one", "is a folder where the tool keeps a file; move it away")
    )
    assert _no_crash_file()


def test_a_full_disk_during_apply_is_one_line(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    state = _state()
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0

    def full(self: journal.Journal, *_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path))

    monkeypatch.setattr(journal.Journal, "record", full)
    result = run("apply", state, "--yes")
    assert result.code == 1
    assert "contoso-aadc01.jsonl: the disk is full; free space and run again" in result.err
    assert _no_crash_file()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_to_a_full_device_is_one_line() -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", "schema", "desired-state"],
            stdout=full, stderr=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
    assert done.returncode == 1 and done.stderr == "the disk is full; free space and run again\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_fifos_and_devices_are_refused_not_read(run: Run) -> None:
    os.mkfifo("fifo.json")
    state = _state()
    for argv in (
        ["report", "fifo.json"],
        ["report", "/dev/zero"],
        ["validate", "fifo.json"],
        ["plan", state, "--target", "snapshot:fifo.json"],
        ["apply", state, "--plan", "fifo.json", "--yes"],
        ["sim", "init", "--from", "fifo.json", "--name", "q"],
    ):
        result = run(*argv)
        assert result.code == 1, argv
        assert "is not a regular file" in result.out + result.err, argv


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_journal_is_refused_not_read(run: Run) -> None:
    state = _state()
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    Path(".reconciler/journal").mkdir(parents=True)
    os.mkfifo(".reconciler/journal/contoso-aadc01.jsonl")
    for argv in (["history", "contoso-aadc01"], ["status", state], ["apply", state, "--yes"]):
        result = run(*argv)
        assert result.code == 1
        assert "a journal must be one" in result.out + result.err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_in_a_configuration_export_is_refused(run: Run, contoso_export: Path) -> None:
    shutil.copytree(contoso_export, "export")
    rule = next(Path("export", "SynchronizationRules").iterdir())
    rule.unlink()
    os.mkfifo(rule)
    result = run("plan", _state(), "--target", "export:export")
    assert result.code == 1 and "is not a regular file" in result.err


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("1e12", "'1e12' is more than a week (604800 seconds)"),
        ("0.000001", "'0.000001' is less than 1 second between passes"),
        ("0", "'0' is less than 1 second between passes"),
    ],
)
def test_watch_takes_one_second_to_a_week(run: Run, value: str, said: str) -> None:
    result = run("reconcile", _state(), "--watch", value)
    assert result.code == 1
    assert result.err == f"reconciler reconcile: argument --watch: {said} (see --help)\n"


def test_a_wait_timeout_too_large_is_refused(run: Run) -> None:
    result = run("reconcile", _state(), "--wait-timeout", "1e12")
    assert result.code == 1 and "more than a week" in result.err


def test_report_counts_each_report_once(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    Path("p.json").write_text(run("plan", _state(), "--output", "json").out, encoding="utf-8")
    shutil.copy("p.json", "q.json")
    twice = run("report", "p.json", "./p.json")
    assert twice.code == 1 and twice.err == "./p.json: given twice (as p.json); each report is read once\n"
    same = run("report", "p.json", "q.json", "--output", "json")
    assert json.loads(same.out)["server"] == "contoso-aadc01"  # one plan: what two reports repeat counts once
    assert run("sim", "set", "--name", "contoso-aadc01", "scheduler.SyncCycleEnabled=false").code == 0
    Path("q.json").write_text(run("plan", _state(), "--output", "json").out, encoding="utf-8")
    both = run("report", "p.json", "q.json")
    assert both.code == 1 and both.err == "q.json: contoso-aadc01 is in p.json too, differently\n"


# --- numbers: digits only -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1_0_0_0_0", "90_0", "100_000"])
def test_an_underscore_in_a_number_is_refused_where_it_is(run: Run, value: str) -> None:
    text = CONTOSO.read_text(encoding="utf-8").replace("groupMemberLimit: 100000", f"groupMemberLimit: {value}")
    Path("s.yaml").write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if value in row)
    result = run("validate", "s.yaml")
    assert result.code == 1
    assert result.err.startswith(f"s.yaml:{line}:")
    assert f"{value!r} is not a plain decimal number" in result.err


# --- server names that Windows would confuse ------------------------------------------------------


@pytest.mark.parametrize("name", ["CON", "nul", "COM1", "lpt9", "AUX", "PRN", "nul.txt", "Con.yaml"])
def test_a_name_windows_reserves_is_refused(run: Run, name: str) -> None:
    state = Path(_state())
    state.write_text(state.read_text(encoding="utf-8").replace("name: contoso-aadc01", f"name: {name}"), "utf-8")
    result = run("validate", str(state))
    assert result.code == 1
    assert f"metadata.name: {name!r} is not valid" in result.err and "no name Windows reserves" in result.err


@pytest.mark.parametrize("name", ["console", "com10", "nullable", "lpt", "con-01"])
def test_names_that_only_begin_like_a_device_are_fine(run: Run, name: str) -> None:
    assert run("validate", _state(name)).code == 0


def test_names_that_differ_only_in_case_are_refused(run: Run) -> None:
    Path("fleet").mkdir()
    for file, name in (("a.yaml", "srv1"), ("b.yaml", "SRV1")):
        Path("fleet", file).write_text(Path(_state(name)).read_text(encoding="utf-8"), encoding="utf-8")
    result = run("validate", "fleet")
    assert result.code == 1
    assert result.err == (
        f"{Path('fleet', 'b.yaml')}: metadata.name 'SRV1' differs only in case from 'srv1' in "
        f"{Path('fleet', 'a.yaml')}; on Windows both would share one journal and one simulator file\n"
    )


def test_sim_init_refuses_a_reserved_name(run: Run) -> None:
    result = run("sim", "init", "--name", "NUL")
    assert result.code == 1 and "no name Windows reserves" in result.err


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_a_symlink_loop_is_that_files_problem_and_the_others_are_read(run: Run) -> None:
    Path("fleet").mkdir()
    shutil.copy(_state(), Path("fleet", "contoso-aadc01.yaml"))
    Path("fleet", "loop.yaml").symlink_to("loop.yaml")
    result = run("validate", "fleet")
    assert result.code == 1
    assert result.err_lines == [f"{Path('fleet', 'loop.yaml')}: cannot read: Too many levels of symbolic links"]
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    planned = run("plan", "fleet")
    assert "contoso-aadc01 (version" in planned.out and "1 failed" in planned.out


# --- the command line says what is wrong with it --------------------------------------------------


def test_an_unknown_option_before_the_command_is_named(run: Run) -> None:
    result = run("--bogus")
    assert result.code == 1
    assert result.err == "reconciler: unrecognized argument '--bogus' before the command (see --help)\n"


def test_a_huge_argument_is_not_echoed_whole(run: Run) -> None:
    for argv in (["plan", "x" * 100_000], ["plan", _state(), "--output", "x" * 100_000]):
        result = run(*argv)
        assert result.code == 1 and len(result.err) < 4_000 and "(100" in result.err


@pytest.mark.parametrize("shard", ["", "\u0661/4", "1/\u0664", "0/4", "5/4"])
def test_a_shard_is_two_ascii_numbers(run: Run, shard: str) -> None:
    for argv in (["plan"], ["apply", "--yes"], ["reconcile"]):
        result = run(*argv, _state(), "--shard", shard)
        assert result.code == 1
        assert "expected K/N with 1 <= K <= N in ASCII digits" in result.err


def test_sim_commands_say_the_init_in_the_words_given(run: Run) -> None:
    result = run("sim", "cycle", "--name", "ghost")
    assert result.code == 1
    assert result.err == (
        f"{Path('.reconciler', 'sim', 'ghost.json')}: no simulated server here; "
        "create one with `reconciler sim init --name ghost`\n"
    )
    result = run("sim", "show", "--target", "sim:elsewhere.json")
    assert result.err.endswith("create one with `reconciler sim init --target sim:elsewhere.json`\n")


def test_sim_init_refuses_an_empty_version(run: Run) -> None:
    result = run("sim", "init", "--name", "a", "--version", "")
    assert result.code == 1 and "not a product version: ''" in result.err
    assert not Path(".reconciler/sim/a.json").exists()


# --- saved plans, for one server and for a fleet; watch passes in time ----------------------------


def test_plan_out_says_where_it_saved(run: Run) -> None:
    state = _state()
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    result = run("plan", state, "--out", "reviewed.json")
    assert result.err == (
        f"reviewed.json: plan saved; apply it as reviewed with `reconciler apply {state} --plan reviewed.json`\n"
    )
    assert run("apply", state, "--plan", "reviewed.json", "--yes").code == 0


def test_a_folder_of_saved_plans_is_applied_as_reviewed(run: Run) -> None:
    Path("fleet").mkdir()
    for name in ("srv1", "srv2", "srv3"):
        shutil.move(_state(name), Path("fleet", f"{name}.yaml"))
        assert run("sim", "init", "--name", name).code == 0
    saved = run("plan", "fleet", "--out", "plans/")
    assert saved.code == 0
    assert saved.err.endswith(
        "plans/: 3 plan(s) saved; apply them as reviewed with `reconciler apply fleet --plan plans/`\n"
    )
    assert sorted(p.name for p in Path("plans").iterdir()) == ["srv1.json", "srv2.json", "srv3.json"]
    Path("plans", "srv3.json").unlink()  # srv3 was not reviewed: it is not applied
    assert run("sim", "set", "--name", "srv2", "scheduler.SyncCycleEnabled=false").code == 0  # srv2 changed since
    result = run("apply", "fleet", "--plan", "plans", "--yes", "--output", "json")
    statuses = {s["server"]: s["status"] for s in json.loads(result.out)["servers"]}
    assert statuses == {"srv1": "changed", "srv2": "failed", "srv3": "skipped"}
    assert "srv3: skipped: no reviewed plan" in result.err
    assert result.code == 1


def test_one_saved_plan_is_one_servers(run: Run) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    assert run("plan", _state(), "--out", "one.json").code == 0
    result = run("apply", _state(), _state("other"), "--plan", "one.json", "--yes")
    assert result.code == 1 and "name a folder of saved plans (plan --out DIR/) for several" in result.err


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_each_watch_pass_says_when_it_began() -> None:
    state = _state()
    assert subprocess.run([sys.executable, "-m", "reconciler", "sim", "init", "--name", "contoso-aadc01"], check=False,
                          capture_output=True).returncode == 0  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "reconcile", state, "--watch", "1", "--output", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    first, second = json.loads(proc.stdout.readline()), json.loads(proc.stdout.readline())
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert (first["pass"]["number"], second["pass"]["number"]) == (1, 2)
    assert first["pass"]["startedAt"] < second["pass"]["startedAt"]
    assert f"reconcile: pass 1 at {first['pass']['startedAt']}" in err


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_a_lock_is_never_made_through_a_symlink(run: Run, tmp_path: Path) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    lock = Path(".reconciler/sim/contoso-aadc01.json.lock")
    lock.unlink()
    lock.symlink_to(tmp_path / "elsewhere.lock")
    result = run("sim", "cycle", "--name", "contoso-aadc01")
    assert result.code == 1
    assert result.err == f"{lock}: is a symlink where the tool keeps a file of its own, or a loop of them; remove it\n"
    assert not (tmp_path / "elsewhere.lock").exists()


def test_a_clone_named_like_another_standard_rule_is_refused(run: Run) -> None:
    text = CONTOSO.read_text(encoding="utf-8")
    assert "ruleName" not in text
    Path("s.yaml").write_text(
        text.replace("  rulePrecedence: 90\n", '  rulePrecedence: 90\n  ruleName: "Out to AAD - User Join"\n'), "utf-8"
    )
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    result = run("plan", "s.yaml")
    assert result.code == 1
    assert result.err == (
        "contoso-aadc01: plan refused: ruleName 'Out to AAD - User Join' is the name of the standard rule at "
        "precedence 123 on this server; the managed clone of 'Out to AAD - Group Join' may keep only its own "
        "standard rule's name\n"
    )


def test_a_read_only_state_folder_is_one_line(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a non-root user meets in a folder of root's: the system's 'permission denied', said with
    the path (the suite may run as root, to whom no folder is read-only, so the system is stood in for)."""
    state = _state()
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0

    def denied(self: locking.FileLock) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", self.path)

    monkeypatch.setattr(locking.FileLock, "__enter__", denied)
    for argv in (["apply", state, "--yes"], ["sim", "cycle", "--name", "contoso-aadc01"]):
        result = run(*argv)
        assert result.code == 1
        assert result.err_lines[-1].endswith(".lock: permission denied"), result.err
    assert _no_crash_file()


def test_every_character_escaped_is_one_isprintable_refuses() -> None:
    """printable's fast path (str.isprintable) never lets through a character it must escape."""
    must = [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F))]
    must += [chr(c) for c in range(0x2066, 0x206A)]
    assert all(not c.isprintable() and printable(c) != c for c in must)
    assert printable("plain ünïcödé, 名前") == "plain ünïcödé, 名前"


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_no_journal_line_follows_a_dangling_symlink(run: Run, tmp_path: Path) -> None:
    state = _state()
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    Path(".reconciler/journal").mkdir(parents=True)
    Path(".reconciler/journal/contoso-aadc01.jsonl").symlink_to(tmp_path / "outside.jsonl")
    result = run("apply", state, "--yes")
    assert result.code == 1
    assert "does not exist; nothing is written through it" in result.err
    assert not (tmp_path / "outside.jsonl").exists()
    assert _no_crash_file()


def test_a_name_makes_no_markdown_of_its_own(run: Run) -> None:
    state = _state()
    assert run("sim", "init", "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    hostile = "**Deletes 0 group(s)** ![x](https://example.invalid/t.png) <img src=x> `code` | cell"
    assert run("sim", "set", "--name", "contoso-aadc01", f"groups.5.name={json.dumps(hostile)}").code == 0
    result = run("plan", state, "--output", "markdown")
    assert result.code == 0, result.err
    line = next(row for row in result.out.splitlines() if row.startswith("**Provisions:**"))
    assert line == (
        "**Provisions:** \\*\\*Deletes 0 group(s)\\*\\* \\!\\[x\\](https://example.invalid/t.png) \\<img src=x\\> "
        "\\`code\\` \\| cell"
    )
