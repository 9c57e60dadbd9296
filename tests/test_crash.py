"""An unexpected error is one line and a crash file, never a bare traceback (unless --debug)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler import __version__, crash
from tests.support import STATES, Run


def _raised() -> RuntimeError:
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError as exc:
        return exc


def test_one_line_and_a_crash_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    crash.report(_raised(), ["plan", "x.yaml"], debug=False)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "internal error: RuntimeError: boom — please report it with the file below"
    path = Path(err[1].strip())
    assert len(err) == 2 and path.parent == tmp_path / ".reconciler" / "crash"
    text = path.read_text(encoding="utf-8")
    assert f"ADSync Reconciler {__version__}" in text and "command: reconciler plan x.yaml" in text
    assert "Traceback (most recent call last):" in text and "RuntimeError: boom" in text


def test_debug_shows_the_traceback_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    crash.report(_raised(), ["--debug", "plan"], debug=True)
    err = capsys.readouterr().err
    assert "Traceback (most recent call last):" in err and "please report it with the file below" in err


def test_a_crash_file_goes_to_the_temporary_folder_when_the_working_folder_cannot_take_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setattr(crash, "CRASH_FOLDER", blocked / "crash")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr("tempfile.tempdir", None)
    crash.report(_raised(), ["plan"], debug=False)
    path = Path(capsys.readouterr().err.splitlines()[1].strip())
    assert path.is_relative_to(tmp_path / "tmp") and path.exists()


def test_the_cli_turns_an_unexpected_error_into_one_line(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real unexpected error of today: a snapshot holding a 5,000-digit number. When the reader
    learns to refuse it as bad input, this test needs another way to reach an internal error."""
    monkeypatch.chdir(tmp_path)
    assert (
        run("sim", "init", "--name", "contoso-aadc01", "--version", "1.6.2.4", "--target", "sim:server.json").code == 0
    )
    data = json.loads((tmp_path / "server.json").read_text(encoding="utf-8"))
    text = json.dumps(data).replace('"memberCount": 120000', '"memberCount": ' + "9" * 5000, 1)
    assert "9" * 5000 in text  # the server file names its groups' sizes as the simulator made them
    (tmp_path / "snap.json").write_text(text, encoding="utf-8")
    result = run("plan", str(STATES / "contoso-aadc01.yaml"), "--target", "snapshot:snap.json")
    assert result.code == 1
    assert len(result.err_lines) == 2 and result.err_lines[0].startswith("internal error: ValueError: ")
    assert "Traceback" not in result.err
    assert Path(result.err_lines[1].strip()).exists()
