"""An upgrade's own changes are not drift: new tag generations and renumbered precedences of the
standard rules leave a reconciled server in sync, and `status` tells of the upgrade as information."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from reconciler.model import limitrules
from reconciler.servers.simulator import SimulatedServer
from tests.support import STATES, Run

CONTOSO = str(STATES / "contoso-aadc01.yaml")
JOIN_TAG = "Microsoft.OuttoAADGroupJoin."


def _tags(server: SimulatedServer, prefix: str) -> list[str]:
    return [r.immutable_tag or "" for r in server.observe().sync_rules if (r.immutable_tag or "").startswith(prefix)]


def test_an_upgrade_between_current_builds_is_no_drift(run: Run, tmp_path: Path) -> None:
    target = f"sim:{tmp_path / 'contoso-aadc01.json'}"
    server = SimulatedServer(tmp_path / "contoso-aadc01.json")
    assert run("sim", "init", "--target", target, "--version", "2.5.79.0").code == 0
    assert run("reconcile", CONTOSO, "--target", target).code == 0
    assert run("plan", CONTOSO, "--target", target, "--detailed-exitcode").code == 0

    assert run("sim", "upgrade", "--target", target, "--to", "2.6.92.0").code == 0
    # The upgrade moved every standard rule's tag to the next generation ...
    assert _tags(server, JOIN_TAG) == [JOIN_TAG + "007"]
    assert _tags(server, limitrules.GROUP_WRITEUP.tag_prefix) == [limitrules.GROUP_WRITEUP.tag_prefix + "002"]
    # ... and, as real upgrades do, renumbers the standard rules' precedences.
    state = server.observe()
    renumbered = tuple(
        dataclasses.replace(r, precedence=r.precedence + 3) if r.is_standard else r
        for r in sorted(state.sync_rules, key=lambda r: -r.precedence)
    )
    server.create(state.replace(sync_rules=renumbered), replace=True)

    plan = run("plan", CONTOSO, "--target", target, "--detailed-exitcode")
    assert plan.code == 0, plan.out
    assert "No changes: the server matches its desired state." in plan.out
    status = run("status", CONTOSO, "--target", target)
    assert "contoso-aadc01 (simulated): in sync\n" in status.out
    assert "last upgrade seen: 2.5.79.0 → 2.6.92.0 (now)" in status.out


def test_a_second_upgrade_moves_the_tags_on_again(run: Run, tmp_path: Path) -> None:
    target = f"sim:{tmp_path / 'a.json'}"
    server = SimulatedServer(tmp_path / "a.json")
    run("sim", "init", "--target", target, "--version", "2.5.79.0")
    run("sim", "upgrade", "--target", target, "--to", "2.6.1.0")
    run("sim", "upgrade", "--target", target, "--to", "2.6.92.0")
    assert _tags(server, JOIN_TAG) == [JOIN_TAG + "008"]


def _pair(run: Run, tmp_path: Path, staging_sync: str) -> list[str]:
    paths = []
    for name, sync in (("contoso-aadc01", "true"), ("contoso-aadc02", staging_sync)):
        assert run("sim", "init", "--name", name).code == 0
        text = (STATES / "contoso-aadc01.yaml").read_text(encoding="utf-8").replace("contoso-aadc01", name)
        path = tmp_path / f"{name}.yaml"
        path.write_text(text.replace("syncCycleEnabled: true", f"syncCycleEnabled: {sync}"), encoding="utf-8")
        paths.append(str(path))
    assert run("sim", "set", "--name", "contoso-aadc02", "scheduler.StagingModeEnabled=true").code == 0
    return paths


def test_an_active_and_a_staging_server_that_disagree_on_the_scheduler_are_not_applied(
    run: Run, tmp_path: Path
) -> None:
    result = run("reconcile", *_pair(run, tmp_path, "false"))
    assert result.code == 1
    said = (
        "not applied: contoso-aadc01 (active) and contoso-aadc02 (staging) share the scheduler configuration of "
        "'contoso.onmicrosoft.com - AAD', stored in Entra ID, but their state files want "
        "scheduler.syncCycleEnabled true and false: make them agree"
    )
    assert f"contoso-aadc01: {said}" in result.err and f"contoso-aadc02: {said}" in result.err
    assert ": applied" not in result.out
    assert SimulatedServer(Path(".reconciler/sim/contoso-aadc01.json")).observe().sync_rules == (
        SimulatedServer(Path(".reconciler/sim/contoso-aadc02.json")).observe().sync_rules
    )


def test_a_pair_that_agrees_is_applied_staging_first(run: Run, tmp_path: Path) -> None:
    result = run("reconcile", *_pair(run, tmp_path, "true"))
    assert result.code == 0, result.err
    applied = [line.split(":")[0] for line in result.out.splitlines() if ": applied" in line]
    assert applied == ["contoso-aadc02", "contoso-aadc01"]
