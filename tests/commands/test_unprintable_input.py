"""Text that is not printable never gets past the door: not in a state file that validate passes,
not in an argument, and never as a crash of the crash reporter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.running import crash
from tests.support import Run

STATE = """apiVersion: reconciler/v1
kind: SyncServer
metadata:
  name: aadc01
spec:
  cloud: AzureCommercial
  apiVersions:
    export: 2
    import: 2
  groupMemberLimit: 100000
  rulePrecedence: 90
  ruleName: "{name}"
  scheduler:
    syncCycleEnabled: true
"""


@pytest.mark.parametrize(
    ("written", "said"),
    [
        (r"Bad\ud800name", "a lone surrogate (U+D800)"),
        (r"Evil\e[31mRED", "the control character U+001B"),
        (r"Two\nlines", "the control character U+000A"),
        (r"Turned\u202eround", "the control character U+202E"),
        (r"Separated\u2028line", "the control character U+2028"),
    ],
)
def test_a_name_that_is_not_printable_text_is_refused_where_it_is_written(
    run: Run, tmp_path: Path, written: str, said: str
) -> None:
    state = tmp_path / "aadc01.yaml"
    state.write_text(STATE.format(name=written), encoding="utf-8")
    done = run("validate", str(state))
    assert done.code == 1
    assert done.err_lines == [f"{state}:12:13: YAML: a string holds {said}; a state file holds printable text"]
    assert not Path(".reconciler").exists()


def test_printable_names_in_any_script_still_validate(run: Run, tmp_path: Path) -> None:
    state = tmp_path / "aadc01.yaml"
    state.write_text(STATE.format(name="Out to AAD - Группа (лимит) ő"), encoding="utf-8")
    assert run("validate", str(state)).code == 0


def test_an_argument_that_is_not_utf8_is_said_in_one_line(tmp_path: Path) -> None:
    """The installed command, as a shell passes it bytes that are not UTF-8: one line, no crash file."""
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "sim", "init", "--name", b"x\xff".decode("utf-8", "surrogateescape")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["reconciler: argument 4 is not valid UTF-8 text: x\\xff"]
    assert not (tmp_path / ".reconciler").exists()


def test_the_crash_report_of_an_error_quoting_undecodable_text_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crash.report(ValueError("bad \udcff byte"), ["sim", "set", "a=\udcff"], debug=False)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("internal error: ValueError: bad")
    written = Path(lines[1].strip()).read_text(encoding="utf-8")
    assert "\\udcff" in written
