"""Every action kind is defined once and completely, and the plan schema names exactly those kinds."""

from __future__ import annotations

import dataclasses
import inspect
import json
import tempfile
from pathlib import Path

from hypothesis import given, settings

from reconciler.planning import actions
from reconciler.planning.actions import KINDS, Kind
from reconciler.running.executor import Executor, Settings
from reconciler.running.journal import Journal
from reconciler.servers.simulator import defaults
from tests.reports.test_powershell import scenarios
from tests.support import ROOT, Run
from tests.test_planner_properties import desired_states, plan_or_skip, servers

PLAN_SCHEMA = ROOT / "schemas" / "plan.schema.json"


def _overrides(kind: Kind, method: str) -> bool:
    return getattr(type(kind), method) is not getattr(Kind, method)


def test_every_kind_defines_each_part() -> None:
    assert list(actions.RANK) == list(KINDS)
    for name, kind in KINDS.items():
        assert kind.name == name
        assert not inspect.isabstract(type(kind)), f"{name} leaves a part undefined"
        # The check is either its probes or a richer check of its own, never neither.
        assert _overrides(kind, "probes") or _overrides(kind, "satisfied"), f"{name} has no idempotency check"


def test_every_kind_checks_runs_and_renders_its_planned_actions(tmp_path: Path) -> None:
    seen = set()
    for the_plan in scenarios(tmp_path).values():
        for action in the_plan.actions:
            kind = action.definition
            seen.add(kind.name)
            assert isinstance(kind.satisfied(defaults.new_server("srv1", "1.6.2.4"), action.params), bool)
            step = kind.powershell(action.params, the_plan.script)
            assert step and all(isinstance(line, str) for line in step)
    assert seen == set(KINDS)


def test_the_plan_schema_names_every_kind_with_its_parameters() -> None:
    schema = json.loads(PLAN_SCHEMA.read_text(encoding="utf-8"))
    variants = schema["properties"]["actions"]["items"]["oneOf"]
    in_schema = {v["properties"]["kind"]["const"]: v["properties"]["params"] for v in variants}
    assert set(in_schema) == set(KINDS)
    for name, params in in_schema.items():
        assert params["required"] == list(KINDS[name].params), name
        assert set(params["properties"]) == set(KINDS[name].params), name


@settings(max_examples=60, deadline=None)
@given(servers(), desired_states())
def test_each_action_carried_out_is_then_satisfied(srv, want) -> None:  # type: ignore[no-untyped-def]
    """An action's own check says done right after the executor carried it out: no kind can
    report success for a change it did not make, or redo one it made."""
    the_plan = plan_or_skip(srv, want)
    with tempfile.TemporaryDirectory() as folder:
        executor = Executor(srv, Journal(want.name, Path(folder)), Settings(wait_timeout=0, poll_interval=0))
        for action in the_plan.actions:
            executor.run(dataclasses.replace(the_plan, actions=(action,)))
            assert action.definition.satisfied(srv.observe(), action.params), action.describe()


STATE = """\
apiVersion: reconciler/v1
kind: SyncServer
metadata:
  name: mismatch
spec:
  cloud: AzureCommercial
  apiVersions:
    export: 2
    import: 2
  groupMemberLimit: 250000
  scheduler:
    syncCycleEnabled: true
"""


def test_an_export_version_the_connector_disagrees_with_is_fixed_by_apply_and_by_the_script(
    run: Run, tmp_path: Path
) -> None:
    """Registry at 2 but the AAD connector's export type still V1's: Get-ADSyncAADConnectorExportApiVersion
    says "Version mismatch". Apply fixes it, and the printed script's guard sees it too."""
    state_file = tmp_path / "mismatch.yaml"
    state_file.write_text(STATE, encoding="utf-8")
    target = f"--target=sim:{tmp_path / 'mismatch.json'}"
    assert run("sim", "init", target, "--name", "mismatch", "--version", "2.4.18.0").code == 0
    assert run("sim", "set", target, "registry.AadConnectorExportApiVersion=2", "aadConnector.ExportType=2").code == 0

    script = run("plan", str(state_file), target, "--output", "powershell")
    assert script.code == 0, script.err
    guard = next(line for line in script.out.splitlines() if "Set-ADSyncAADConnectorExportApiVersion 2" in line)
    lines = script.out.splitlines()
    condition = next(line for line in reversed(lines[: lines.index(guard)]) if line.lstrip().startswith("if ("))
    assert "(Get-RegistryApiVersion 'AadConnectorExportApiVersion') -ne 2" in condition
    assert ".ExtensionConfiguration.ExportType -ne 5" in condition

    applied = run("apply", str(state_file), target, "--yes")
    assert applied.code == 0, applied.err
    shown = json.loads(run("sim", "show", target).out)
    assert shown["aadConnector"]["ExportType"] == 5
    assert shown["registry"]["AadConnectorExportApiVersion"] == 2
    assert "No changes" in run("plan", str(state_file), target).out


def test_a_server_where_only_the_export_filtering_value_disagrees_is_put_right(run: Run, tmp_path: Path) -> None:
    state_file = tmp_path / "mismatch.yaml"
    state_file.write_text(STATE, encoding="utf-8")
    target = f"--target=sim:{tmp_path / 'mismatch.json'}"
    assert run("sim", "init", target, "--name", "mismatch", "--version", "2.4.18.0").code == 0
    assert run("sim", "set", target, "registry.EnableNonExistentObjectReferenceExportFiltering=0").code == 0

    planned = run("plan", str(state_file), target, "--output", "json")
    document = json.loads(planned.out)
    assert [c["path"] for c in document["changes"]] == ["apiVersions.export"]
    assert document["changes"][0]["observed"] == (
        "Version mismatch in Registry and AAD Connector: registry absent, connector export type 5, export filtering 0"
    )
    assert [a["kind"] for a in document["actions"]][2] == "SetExportApiVersion"

    assert run("apply", str(state_file), target, "--yes").code == 0
    assert (
        json.loads(run("sim", "show", target).out)["registry"]["EnableNonExistentObjectReferenceExportFiltering"] == 1
    )
    assert "No changes" in run("plan", str(state_file), target).out
