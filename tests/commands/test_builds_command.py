"""`reconciler builds`, the table's age in plans, and the simulator's use of the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.model import builds
from reconciler.servers.simulator import SimulatedServer
from tests.support import STATES, Run

CONTOSO = str(STATES / "contoso-aadc01.yaml")


def test_builds_prints_every_row_with_its_source_and_the_checked_date(run: Run) -> None:
    result = run("builds")
    assert result.code == 0, result.err
    assert result.out.startswith("Builds of Microsoft Entra Connect Sync this tool knows (checked 2026-12-06)\n")
    assert (
        "Since 2026-09-30 every build below 2.5.79.0 does not synchronize, in every cloud [harden-2026]" in result.out
    )
    assert "  2.6.92.0    (current)       version-history-transcribed  secondary  current: a hotfix of 2.6.91.0\n" in (
        result.out
    )
    assert "  2.4.21.0    2025-11-15      version-history-transcribed  secondary  ended\n" in result.out
    assert "[harden-2026] microsoft: Hardening updates for Microsoft Entra Connect Sync" in result.out
    assert "Warning" not in result.out


def test_builds_json_is_the_table(run: Run) -> None:
    result = run("builds", "--output", "json")
    document = json.loads(result.out)
    assert (document["checked"], document["current"], document["stale"]) == ("2026-12-06", "2.6.92.0", False)
    assert document["minimum"]["version"] == "2.5.79.0" and document["minimum"]["since"] == "2026-09-30"
    rows = {row["version"]: row for row in document["builds"]}
    assert len(rows) == len(builds.support_table().rows)
    assert rows["2.5.76.0"] == {
        "version": "2.5.76.0", "endOfSupport": "2026-09-01", "ended": True,
        "source": "version-history-transcribed", "sourceKind": "secondary", "note": None,
    }  # fmt: skip
    assert {row["sourceKind"] for row in rows.values()} <= {"microsoft", "secondary"}
    assert all(row["source"] in document["sources"] for row in rows.values())


def test_an_old_table_says_so_once_in_every_plan_and_in_builds(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    monkeypatch.setenv(builds.TODAY_ENV, "2027-07-01")
    plan = run("plan", CONTOSO)
    assert plan.out.count("this tool's build table was checked on 2026-12-06, 207 days ago") == 1
    assert "Warning: this tool's build table was checked on 2026-12-06, 207 days ago" in run("builds").out
    monkeypatch.setenv(builds.TODAY_ENV, "2027-06-04")
    assert "build table was checked" not in run("plan", CONTOSO).out


def test_a_bad_today_is_one_line(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("sim", "init", "--name", "contoso-aadc01").code == 0
    monkeypatch.setenv(builds.TODAY_ENV, "next tuesday")
    result = run("plan", CONTOSO)
    assert (result.code, result.err) == (1, "RECONCILER_TODAY: 'next tuesday' is not a date (YYYY-MM-DD)\n")


def test_a_new_simulated_server_runs_the_current_build(run: Run, tmp_path: Path) -> None:
    assert run("sim", "init", "--target", f"sim:{tmp_path / 'a.json'}").code == 0
    version = SimulatedServer(tmp_path / "a.json").observe().server.version
    assert version == builds.current_version()
    assert builds.Version.parse(version) >= builds.support_table().minimum


@pytest.mark.parametrize(("version", "warned"), [("9.9.9.9", True), ("2.4.22.0", True), ("1.1.130.0", False),
                                                 ("2.6.92.0", False)])  # fmt: skip
def test_sim_init_and_upgrade_warn_of_a_build_the_table_does_not_know(
    run: Run, tmp_path: Path, version: str, warned: bool
) -> None:
    init = run("sim", "init", "--target", f"sim:{tmp_path / 'a.json'}", "--version", version)
    assert init.code == 0
    said = f"warning: build {version} is not in this tool's build table (checked 2026-12-06)"
    assert (said in init.err) is warned
    run("sim", "init", "--target", f"sim:{tmp_path / 'b.json'}", "--version", "1.1.0.0")
    upgrade = run("sim", "upgrade", "--target", f"sim:{tmp_path / 'b.json'}", "--to", version)
    assert upgrade.code == 0
    assert (said in upgrade.err) is warned


def test_sim_init_warns_of_a_build_below_1x_and_refuses_a_number_that_is_no_build(run: Run, tmp_path: Path) -> None:
    zero = run("sim", "init", "--target", f"sim:{tmp_path / 'a.json'}", "--version", "0.0.0.0")
    assert zero.code == 0
    assert zero.err_lines == [
        "warning: build 0.0.0.0 is not in this tool's build table (checked 2026-12-06); check the number with "
        "`reconciler builds`"
    ]
    short = run("sim", "init", "--target", f"sim:{tmp_path / 'b.json'}", "--version", "0.1")
    assert short.code == 1
    assert short.err == f"build '0.1': a build number has four parts, e.g. {builds.current_version()}\n"
    assert not (tmp_path / "b.json").exists()
    upgrade = run("sim", "upgrade", "--target", f"sim:{tmp_path / 'a.json'}", "--to", "2.6")
    assert upgrade.code == 1 and upgrade.err.startswith("build '2.6': a build number has four parts")


def test_an_upgrade_turns_synchronization_on_unless_the_box_is_cleared(run: Run, tmp_path: Path) -> None:
    target = f"sim:{tmp_path / 'a.json'}"
    run("sim", "init", "--target", target, "--version", "2.5.79.0")
    run("sim", "set", "--target", target, "scheduler.SyncCycleEnabled=false")
    assert run("sim", "upgrade", "--target", target, "--to", "2.6.1.0").code == 0
    assert SimulatedServer(tmp_path / "a.json").observe().scheduler.sync_cycle_enabled is True
    result = run("sim", "upgrade", "--target", target, "--to", "2.6.92.0", "--sync-disabled")
    assert result.out.endswith("synchronization left disabled (the wizard's box unchecked)\n")
    assert SimulatedServer(tmp_path / "a.json").observe().scheduler.sync_cycle_enabled is False
