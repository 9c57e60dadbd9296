from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.model import builds
from tests.support import EXPORTS, Result, Run


@pytest.fixture(autouse=True)
def _in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in a folder of its own, so the tool's default `.reconciler/` (simulators,
    journals, locks, crash files) never lands in the checkout."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(autouse=True)
def _support_judged_on_the_tables_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plans judge support on the day the build table was checked, so that what they print stays the
    same as the calendar moves on (tests of other days set RECONCILER_TODAY themselves)."""
    monkeypatch.setenv(builds.TODAY_ENV, builds.support_table().checked)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """Run the CLI in-process, as a user would from a shell, and capture what it prints."""

    def _run(*argv: str) -> Result:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


@pytest.fixture(params=EXPORTS, ids=lambda folder: folder.name)
def contoso_export(request: pytest.FixtureRequest) -> Path:
    """A configuration export of the Contoso 1.1.130.0 sample: our own twin of it always, the real
    one too where shared/fixtures is beside the checkout (never a skipped test without it)."""
    folder: Path = request.param
    return folder
