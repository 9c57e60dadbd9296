"""The goal of benchmarks/sessions.py, held: what each command costs a live server.

`plan` (and `export`) open one session; `apply` and `reconcile` at most three per server whatever
the number of actions; the ADSync module is loaded once per session. Counted at the process
boundary (a stand-in powershell) and the PSRP one (a fake pypsrp), both answering from the
simulator; every apply converges on it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from reconciler.servers.simulator import SimulatedServer

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "sessions.py"


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sessions_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(os.name != "posix", reason="the stand-in powershell is a POSIX script")
def test_each_command_stays_within_its_sessions() -> None:
    sessions = _benchmark()
    rows = sessions.measure()
    assert len(rows) == 2 * len(sessions.CASES)
    for row in rows:
        counts = row.counts
        assert row.code == 0, (row.case.label, row.target)
        assert counts.sessions <= row.case.goal_sessions, row.line()
        assert counts.module_loads == counts.sessions, row.line()
    by_label = {(row.case.label, row.target): row for row in rows}
    assert by_label[("plan", "powershell")].counts.sessions == 1
    # Seven and nine actions alike: the steps run as one script, whatever their number.
    applies = [row for row in rows if row.case.label.startswith("apply") and row.target == "powershell"]
    assert {row.counts.sessions for row in applies} == {3} and {row.actions for row in applies} == {7, 9}


@pytest.mark.skipif(os.name != "posix", reason="the stand-in powershell is a POSIX script")
def test_an_apply_through_the_stand_in_leaves_the_server_as_desired(tmp_path: Path) -> None:
    sessions = _benchmark()
    case = next(c for c in sessions.CASES if c.label.startswith("apply, 1.5.30.0"))
    row = sessions.run_powershell(case, tmp_path)
    assert row.code == 0
    state = SimulatedServer(tmp_path / "server.json").observe()
    assert (state.registry.export_api_version, state.registry.import_api_version) == (2, 2)
    assert state.scheduler.sync_cycle_enabled is True
    journal = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / ".reconciler" / "journal").rglob("*"))
    assert journal.count('"event": "action"') + journal.count('"event":"action"') == row.actions
