"""An unexpected error is one line and a crash file, never a bare traceback (unless --debug)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from reconciler import __version__
from reconciler.running import crash
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
    monkeypatch.chdir(tmp_path)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("argparse broke")

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", broken)  # the standard library's, not ours
    result = run("validate", str(STATES))
    assert result.code == 1
    assert result.err_lines[0] == "internal error: RuntimeError: argparse broke — please report it with the file below"
    assert "Traceback" not in result.err and Path(result.err_lines[1].strip()).exists()


def test_a_huge_number_in_one_snapshot_is_that_servers_error(run: Run, tmp_path: Path) -> None:
    """A 5,000-digit integer gave a traceback and no output for the other servers."""
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    for name in ("contoso-aadc01", "contoso-aadc02"):
        assert run("sim", "init", "--name", name, "--version", "2.4.21.0", "--target", f"sim:{snapshots}/").code == 0
    bad = snapshots / "contoso-aadc02.json"
    bad.write_text(bad.read_text(encoding="utf-8").replace('"memberCount": 120000', '"memberCount": ' + "9" * 5000, 1))
    states = [str(STATES / "contoso-aadc01.yaml"), str(STATES / "contoso-aadc02-staging.yaml")]
    result = run("plan", *states, "--target", f"snapshot:{snapshots}/")
    assert result.code == 1
    assert "contoso-aadc01 (version 2.4.21.0)" in result.out
    assert result.err_lines == [
        f"{bad}: not valid JSON: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits"
    ]
