"""Acceptance tests: the `reconciler` command over example and case files, in-process."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler import __version__
from reconciler.cli import build_parser
from tests.support import CASES, STATES, Run

VALID = sorted((CASES / "valid").glob("*.yaml"))
INVALID = sorted((CASES / "invalid").glob("*.yaml"))


def test_cases_exist() -> None:
    assert len(VALID) >= 5
    assert len(INVALID) >= 20


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_case(run: Run, path: Path) -> None:
    result = run("validate", str(path))
    assert result.code == 0, result.err
    assert result.err == ""
    assert result.out == "1 state file valid\n"


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_case_gives_its_exact_messages(run: Run, path: Path) -> None:
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").replace("{file}", str(path))
    result = run("validate", str(path))
    assert result.code == 1
    assert result.out == ""
    assert result.err == expected
    assert "Traceback" not in result.err


def test_every_invalid_case_has_expectations() -> None:
    for path in INVALID:
        expected = path.with_suffix(".expected")
        assert expected.is_file(), f"{path.name} has no .expected file"
        assert expected.read_text(encoding="utf-8").strip(), f"{expected.name} is empty"


def test_example_states_are_valid(run: Run) -> None:
    result = run("validate", str(STATES))
    assert result.code == 0, result.err
    assert result.out == f"{len(list(STATES.glob('*.yaml')))} state files valid\n"


def test_example_states_start_with_the_schema_modeline() -> None:
    for path in STATES.glob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/desired-state.schema.json", path


def test_all_files_all_problems_in_one_run(run: Run) -> None:
    picked = [CASES / "invalid" / n for n in ("many-problems.yaml", "duplicate-key.yaml", "empty.yaml")]
    result = run("validate", str(CASES / "valid"), *map(str, picked))
    assert result.code == 1
    assert len(result.err_lines) == 6 + 1 + 1
    files_reported = [line.split(":")[0] for line in result.err_lines]
    assert files_reported == sorted(files_reported)


def test_duplicate_key_names_the_second_key_line(run: Run) -> None:
    result = run("validate", str(CASES / "invalid" / "duplicate-key.yaml"))
    assert ":12:3: duplicate key 'rulePrecedence' (first defined at line 11)" in result.err


def test_missing_path_is_a_user_error(run: Run, tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "nope.yaml"))
    assert result.code == 1
    assert result.err == f"{tmp_path / 'nope.yaml'}: no such file or folder\n"


def test_usage_error_exits_1_not_2(run: Run) -> None:
    result = run("validate")
    assert result.code == 1
    assert "the following arguments are required: STATE" in result.err
    assert run("frobnicate").code == 1


def test_version(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        run("--version")
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out


SCRIPT = shutil.which("reconciler", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(SCRIPT is None, reason="console script not installed next to this Python")
def test_installed_console_script_from_another_folder(tmp_path: Path) -> None:
    # The schemas must be found from wherever the tool runs, not just the source tree.
    assert SCRIPT is not None
    proc = subprocess.run([SCRIPT, "validate", str(STATES)], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith("state files valid\n")


def test_python_dash_m(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", str(CASES / "invalid" / "empty.yaml")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.endswith("file is empty; expected a mapping\n")
    assert "Traceback" not in proc.stderr


def test_an_unwritable_working_folder_is_one_line_not_a_traceback(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".reconciler").write_text("a file where the folder should be")
    monkeypatch.chdir(tmp_path)
    result = run("sim", "init", "--name", "x1")
    assert result.code == 1
    assert len(result.err_lines) == 1 and "Traceback" not in result.err
    assert ".reconciler" in result.err


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_seconds_are_finite_and_not_negative(run: Run, value: str) -> None:
    result = run("reconcile", "states/", "--watch", value)
    assert result.code == 1
    assert result.err == (
        f"reconciler reconcile: argument --watch: {value!r} is not a finite, non-negative number of seconds "
        "(see --help)\n"
    )


def test_a_name_with_a_line_break_is_not_a_name(run: Run, tmp_path: Path) -> None:
    state = tmp_path / "x.yaml"
    text = (CASES / "valid" / "v2-100k.yaml").read_text(encoding="utf-8")
    state.write_text(text.replace("name: v2-100k", 'name: "v2-100k\\n"'), encoding="utf-8")
    result = run("validate", str(state))
    # Refused where it is written, before the name is even read as one.
    assert result.code == 1
    assert (
        result.err
        == f"{state}:4:9: YAML: a string holds the control character U+000A; a state file holds printable text\n"
    )


def test_a_huge_value_is_not_echoed_whole(run: Run, tmp_path: Path) -> None:
    state = tmp_path / "x.yaml"
    text = (CASES / "valid" / "v2-100k.yaml").read_text(encoding="utf-8")
    state.write_text(text.replace("name: v2-100k", "name: " + "x" * 900_000), encoding="utf-8")
    result = run("validate", str(state))
    assert result.code == 1
    assert all(len(line) < 2_300 for line in result.err_lines) and "characters)" in result.err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev/zero are POSIX")
def test_a_state_file_that_is_a_fifo_or_a_link_to_a_device_is_refused_not_read(run: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.yaml"
    zero.symlink_to("/dev/zero")
    result = run("validate", str(fifo), str(zero))
    assert result.code == 1
    assert result.err_lines == [
        f"{fifo}: is not a regular file (a FIFO, device or socket); only a regular file is read or written here",
        f"{zero}: is not a regular file (a FIFO, device or socket); only a regular file is read or written here",
    ]


def test_a_wait_timeout_from_the_environment_is_finite(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_WAIT_TIMEOUT", "nan")
    result = run("apply", str(STATES / "contoso-aadc01.yaml"), "--yes")
    assert result.err == "RECONCILER_WAIT_TIMEOUT: 'nan' is not a finite, non-negative number of seconds\n"


def test_a_report_written_by_windows_powershell_is_read(run: Run, tmp_path: Path) -> None:
    """Windows PowerShell 5.1's > writes UTF-16: `reconciler plan ... > plan.json` on a server."""
    target = f"sim:{tmp_path}/"
    assert run("sim", "init", "--target", target, "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    plan = run("plan", str(STATES / "contoso-aadc01.yaml"), "--target", target, "--output", "json")
    utf16 = tmp_path / "plan-utf16.json"
    utf16.write_bytes(plan.out.encode("utf-16"))
    result = run("report", str(utf16), "--output", "text")
    assert result.code == 0, result.err
    assert result.out.startswith("contoso-aadc01 (version 1.6.2.4, simulated)")


def _subparsers(parser: argparse.ArgumentParser, prefix: str = "") -> list[tuple[str, argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((f"{prefix}{name}", sub))
                found += _subparsers(sub, f"{prefix}{name} ")
    return found


def test_every_argument_has_help_and_every_command_an_example_that_parses() -> None:
    parser = build_parser()
    commands = _subparsers(parser)
    assert {"status", "history", "schema", "sim init", "sim set"} <= {name for name, _ in commands}
    for name, sub in commands:
        if name == "sim":
            continue  # a group of commands, each with its own example
        missing = [a.dest for a in sub._actions if not a.help and not isinstance(a, argparse._SubParsersAction)]
        assert missing == [], f"{name}: {missing}"
        assert sub.epilog and sub.epilog.startswith("example:\n  reconciler "), name
        example = shlex.split(sub.epilog.split("\n  ", 1)[1].split(">")[0])
        assert parser.parse_args(example[1:]).command == name.split()[0]
        # A run describes its own command only (start-up time): it parses the same.
        assert build_parser(name.split()[0]).parse_args(example[1:]) == parser.parse_args(example[1:])
