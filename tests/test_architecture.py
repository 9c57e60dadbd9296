"""The layering contracts of pyproject.toml ([tool.importlinter]) hold, and they can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    # import-linter reads its contracts from the pyproject.toml of the folder it runs in.
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"
    command = [sys.executable, "-c", code]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "reconciler", tmp_path / "reconciler", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_every_contract_is_kept(tmp_path: Path) -> None:
    done = _lint(_copy(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_planner_that_opens_a_server_breaks_its_contract(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    planner = root / "reconciler" / "planning" / "planner.py"
    planner.write_text(
        planner.read_text(encoding="utf-8") + "\nfrom reconciler.servers import targets\n", encoding="utf-8"
    )
    done = _lint(root)
    assert done.returncode != 0
    assert "Planning knows no servers" in done.stdout and "BROKEN" in done.stdout
