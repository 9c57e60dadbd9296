"""What a command loads before it answers: start-up is most of a plan's time.

Each test runs the command in a fresh interpreter and lists the modules it loaded. The modules
named here are loaded only where they are needed; a change that loads one for every run fails
here, not silently in the benchmarks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from reconciler.cli import main
from tests.support import ROOT, STATES

STATE = STATES / "tailspin-aadc01-usgov.yaml"
# deepdiff: only where views differ; jsonschema: only to word an invalid document's errors; the
# rest only for a fleet or an apply.
NOT_AT_START = {"deepdiff", "jsonschema", "tempfile", "threading", "concurrent.futures", "shutil"}


def _env() -> dict[str, str]:
    """The checkout's package, whatever is installed; no target from the environment."""
    env = {key: value for key, value in os.environ.items() if key != "RECONCILER_TARGET"}
    return {**env, "PYTHONPATH": str(ROOT)}


@cache
def _at_interpreter_start() -> frozenset[str]:
    """What the interpreter loads before any of ours (a site's .pth files may load typing, say)."""
    code = "import json, sys; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=True)
    return frozenset(json.loads(done.stdout))


def _loaded(argv: list[str], cwd: Path) -> tuple[int, set[str]]:
    """The exit code, and the modules the command loaded beyond the interpreter's own."""
    code = (
        "import json, sys\n"
        "from reconciler.cli import main\n"
        "try:\n"
        f"    code = main({argv!r})\n"
        "except SystemExit as exc:  # --help\n"
        "    code = exc.code\n"
        "print(json.dumps([code, sorted(sys.modules)]), file=sys.stderr)\n"
    )
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, cwd=cwd, env=_env(), capture_output=True, text=True, check=True)
    exit_code, modules = json.loads(done.stderr.splitlines()[-1])
    return exit_code, set(modules) - _at_interpreter_start()


def _server(tmp_path: Path, *, in_sync: bool) -> str:
    """A 1.6.2.4 server the example state file describes: applied, or fresh (it needs a clone)."""
    target = f"sim:{tmp_path / 'server.json'}"
    assert main(["sim", "init", "--name", "tailspin-aadc01", "--version", "1.6.2.4", "--target", target]) == 0
    settings = ["server.cloud=AzureUSGovernment", "aadConnector.Name=tailspin.onmicrosoft.us - AAD"]
    assert main(["sim", "set", "--target", target, *settings]) == 0
    assert not in_sync or main(["apply", str(STATE), "--yes", "--target", target]) == 0
    return target


def test_a_plan_in_sync_loads_none_of_the_slow_modules(tmp_path: Path) -> None:
    code, modules = _loaded(["plan", str(STATE), "--target", _server(tmp_path, in_sync=True)], tmp_path)
    assert code == 0 and "reconciler.planning.planner" in modules
    assert NOT_AT_START & modules == set()
    # A plan reads the simulator's file; its cycle, upgrades and standard rules are for `sim`.
    simulating = {"cycle", "upgrade", "assign", "standard_rules"}
    assert {f"reconciler.servers.simulator.{name}" for name in simulating} & modules == set()


def test_a_drifted_plan_loads_deepdiff_and_still_not_the_rest(tmp_path: Path) -> None:
    code, modules = _loaded(["plan", str(STATE), "--target", _server(tmp_path, in_sync=False)], tmp_path)
    assert code == 0 and "deepdiff" in modules
    assert (NOT_AT_START - {"deepdiff", "threading"}) & modules == set()


def test_help_and_validate_load_no_stage(tmp_path: Path) -> None:
    for argv in (["--help"], ["validate", str(STATE)]):
        code, modules = _loaded(argv, tmp_path)
        assert code == 0
        assert {
            "reconciler.planning.planner",
            "reconciler.model.observed",
            "reconciler.servers.targets",
        } & modules == set()
        assert NOT_AT_START & modules == set()


def test_the_installed_command_exits_as_main_returns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`console` (the script and `python -m reconciler`) exits as `main` returns, with its output."""
    monkeypatch.chdir(tmp_path)
    target = _server(tmp_path, in_sync=False)
    missing = str(tmp_path / "missing.yaml")
    for argv in (["plan", str(STATE), "--target", target], ["plan", missing], ["validate", str(STATE)]):
        capsys.readouterr()
        expected = main(argv), capsys.readouterr()
        command = [sys.executable, "-m", "reconciler", *argv]
        # `main` writes UTF-8 whatever the platform's code page (a drifted plan prints arrows).
        done = subprocess.run(command, check=False, cwd=tmp_path, env=_env(), capture_output=True, encoding="utf-8")
        assert (done.returncode, done.stdout, done.stderr) == (expected[0], expected[1].out, expected[1].err)


@pytest.mark.parametrize("alongside", ["a thread", "worker processes"])
def test_the_installed_command_exits_the_ordinary_way_while_others_still_run(tmp_path: Path, alongside: str) -> None:
    """With a thread still running (an apply's runs finishing), or after worker processes (their
    exit handlers join them), the command waits for them as Python's own exit does."""
    mark = tmp_path / "finished"
    if alongside == "a thread":
        start = (
            "import threading, time\n"
            "def finish():\n"
            "    time.sleep(0.3)\n"
            f"    open({str(mark)!r}, 'w').close()\n"
            "threading.Thread(target=finish).start()\n"
        )
    else:
        start = f"import atexit, multiprocessing\natexit.register(lambda: open({str(mark)!r}, 'w').close())\n"
    run = f"sys.argv = ['reconciler', 'validate', {str(STATE)!r}]\nfrom reconciler.cli import console\nconsole()\n"
    command = [sys.executable, "-c", f"import sys\n{start}{run}"]
    done = subprocess.run(command, check=False, cwd=tmp_path, env=_env(), capture_output=True, text=True)
    assert done.returncode == 0 and "valid" in done.stdout
    assert mark.exists()
