"""The README's first command and what it says it prints stay true."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.support import ROOT, Run

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_starts_with_the_two_commands() -> None:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block is not None
    lines = block.group(1).splitlines()
    assert lines == [
        "pip install . && reconciler sim init --force --name contoso-aadc01 --version 1.6.2.4 "
        "&& reconciler reconcile states/contoso-aadc01.yaml",
        "pip install '.[test]' && python -m pytest",
    ]


def test_the_main_command_prints_what_the_readme_shows(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "states", tmp_path / "states")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECONCILER_TARGET", raising=False)
    assert run("sim", "init", "--force", "--name", "contoso-aadc01", "--version", "1.6.2.4").code == 0
    result = run("reconcile", "states/contoso-aadc01.yaml")
    assert result.code == 0, result.err
    shown = README.split("as it starts and ends.\n\n```text\n", 1)[1].split("```\n", 1)[0]
    assert result.out == shown
