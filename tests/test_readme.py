"""The README's first command and what it says it prints stay true."""

from __future__ import annotations

import re
import shutil
import tomllib
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


def test_the_windows_lines_run_the_same_commands_without_and_and() -> None:
    # Windows PowerShell 5.1 has no `&&`: the Windows block is the two commands, one a line.
    block = re.search(r"```powershell\n(.*?)```", README, re.S)
    assert block is not None
    lines = [line.split("  #")[0].strip() for line in block.group(1).splitlines()]
    assert not any("&&" in line for line in lines)
    first = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first is not None
    wanted = [part.strip() for line in first.group(1).splitlines() for part in line.split("&&")]
    # The same commands, with pip run by the virtual environment's Python as Windows wants it.
    windows = [line.replace("python -m pip", "pip").replace('".[test]"', "'.[test]'") for line in lines[2:]]
    assert lines[:2] == ["py -3 -m venv .venv", r".venv\Scripts\Activate.ps1"]
    assert windows == wanted
    # The minimum Python, before the first command, is pyproject's floor.
    stated = re.search(r"needs Python (\d+\.\d+) or later", README.split("```", 1)[0])
    floor = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert stated is not None and f">={stated[1]}" == floor
