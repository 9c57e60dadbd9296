"""`reconciler sim …` as a user runs it (in-process)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from reconciler.formats import schemas
from reconciler.model import observed
from reconciler.servers.simulator import defaults
from tests.support import Run


def test_init_then_show_prints_schema_valid_observed_state(run: Run, tmp_path: Path) -> None:
    target = f"sim:{tmp_path / 'a.json'}"
    result = run("sim", "init", "--version", "1.5.30.0", "--target", target)
    assert result.code == 0, result.err
    assert result.out == f"{tmp_path / 'a.json'}: simulated server a (1.5.30.0, host a) created\n"
    shown = run("sim", "show", "--target", target)
    assert shown.code == 0
    data = json.loads(shown.out)
    full = schemas.StrictValidator(schemas.schema(schemas.OBSERVED_STATE))
    assert list(full.iter_errors(data)) == []
    assert data["server"] == {
        "name": "a",
        "version": "1.5.30.0",
        "cloud": "AzureCommercial",
        "tenantHasVerifiedDomain": True,
        "host": "a",  # named after the server when sim init is given no --host
        "instanceId": str(uuid.uuid5(uuid.NAMESPACE_DNS, "a.a")),
    }
    names = [r["Name"] for r in data["syncRules"]]
    assert len(names) == 62 and "Out to AAD - Group Join" in names


def test_init_refuses_to_replace_without_force(run: Run, tmp_path: Path) -> None:
    target = f"sim:{tmp_path / 'a.json'}"
    assert run("sim", "init", "--target", target).code == 0
    again = run("sim", "init", "--target", target)
    assert again.code == 1
    assert again.err == f"{tmp_path / 'a.json'}: a simulated server exists already; --force replaces it\n"
    assert run("sim", "init", "--target", target, "--force", "--version", "1.6.2.4").code == 0


def test_upgrade_and_cycles_report_what_happened(run: Run, tmp_path: Path) -> None:
    target = f"sim:{tmp_path / 'a.json'}"
    run("sim", "init", "--target", target, "--version", "1.5.30.0")
    result = run("sim", "upgrade", "--target", target, "--to", "1.6.4.0")
    assert result.code == 0
    assert result.out == (
        "a: upgraded in place from 1.5.30.0 to 1.6.4.0: endpoint settings reset to the build's defaults, "
        "standard rules replaced, full import and full sync pending; the group member limit is back to 50000 "
        "(known issue of 1.6 builds); synchronization enabled, as the wizard's default leaves it: the next cycle "
        "runs with these defaults\n"
    )
    assert run("sim", "set", "--target", target, "groups.6.provisioned=true").code == 0
    delta = run("sim", "cycle", "--target", target)
    # The upgrade left FullSyncRequired set, so the scheduler runs a full cycle. All Faculty (75,000)
    # stays in scope through cloudAnchor: it errors each cycle, and is not deleted.
    assert delta.out == (
        "a: full sync cycle completed-sync-errors: 6 of 10 groups provisioned; deleted: none; "
        "errors: sync-rule-error-function-triggered x1, dn-attributes-failure x1 (informational)\n"
    )
    # Back to V1 export, the endpoint cannot carry it any more: the next full cycle deletes it.
    v1 = ("registry.AadConnectorExportApiVersion=1", "aadConnector.ExportType=2",
          "registry.EnableNonExistentObjectReferenceExportFiltering=0")  # fmt: skip
    assert run("sim", "set", "--target", target, *v1).code == 0
    full = run("sim", "cycle", "--target", target, "--full")
    assert full.out == "a: full sync cycle success: 5 of 10 groups provisioned; deleted: All Faculty; errors: none\n"


def test_busy_server_refuses_and_changes_nothing(run: Run, tmp_path: Path) -> None:
    target = f"sim:{tmp_path / 'a.json'}"
    run("sim", "init", "--target", target)
    run("sim", "set", "--target", target, "scheduler.SyncCycleInProgress=true")
    before = (tmp_path / "a.json").read_bytes()
    result = run("sim", "cycle", "--target", target, "--full")
    assert (result.code, result.err) == (1, "a: busy: a sync cycle is in progress; nothing was changed\n")
    assert (tmp_path / "a.json").read_bytes() == before


def test_set_rejects_what_would_not_be_valid(run: Run, tmp_path: Path) -> None:
    target = f"sim:{tmp_path / 'a.json'}"
    run("sim", "init", "--target", target)
    before = (tmp_path / "a.json").read_bytes()
    result = run("sim", "set", "--target", target, "server.version=latest", "scheduler.SyncCycleEnabled=maybe")
    assert result.code == 1
    assert result.err_lines == [
        "sim set server.version=latest scheduler.SyncCycleEnabled=maybe: server.version: 'latest' is not valid: "
        "expected a product version such as 2.4.18.0",
        "sim set server.version=latest scheduler.SyncCycleEnabled=maybe: scheduler.SyncCycleEnabled: "
        "expected true or false or null, got string 'maybe'",
    ]
    assert (tmp_path / "a.json").read_bytes() == before


def test_folder_target_needs_a_name_and_maps_names_to_files(run: Run, tmp_path: Path) -> None:
    folder = f"sim:{tmp_path}/"
    assert run("sim", "init", "--target", folder, "--name", "aadc01").code == 0
    assert (tmp_path / "aadc01.json").is_file()
    missing = run("sim", "show", "--target", folder)
    assert missing.code == 1 and "name one with --name" in missing.err
    assert json.loads(run("sim", "show", "--target", folder, "--name", "aadc01").out)["server"]["name"] == "aadc01"


def test_default_target_and_environment(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("sim", "init", "--name", "x1").code == 0
    assert (tmp_path / ".reconciler" / "sim" / "x1.json").is_file()
    monkeypatch.setenv("RECONCILER_TARGET", f"sim:{tmp_path / 'env.json'}")
    assert run("sim", "init").code == 0
    assert (tmp_path / "env.json").is_file()
    bad = run("sim", "show", "--target", "ftp://x")
    assert (bad.code, bad.err) == (
        1,
        "unknown target 'ftp://x': this version supports sim, sim:FILE.json, sim:DIR/, snapshot:FILE.json, "
        "snapshot:DIR/, export:DIR, powershell or winrm://HOST\n",
    )


def test_init_from_a_snapshot_makes_an_exact_twin(run: Run, tmp_path: Path) -> None:
    real = defaults.new_server("prod01", "1.6.2.4")
    snapshot = tmp_path / "prod01.json"
    snapshot.write_text(observed.dumps(real))
    target = f"sim:{tmp_path / 'twin.json'}"
    assert run("sim", "init", "--from", str(snapshot), "--target", target).code == 0
    twin = json.loads(run("sim", "show", "--target", target).out)
    expected = observed.to_json(real)
    assert {k: v for k, v in twin.items() if k != "collectedAt"} == {
        k: v for k, v in expected.items() if k != "collectedAt"
    }
    both = run("sim", "init", "--from", str(snapshot), "--version", "2.0.3.0", "--target", target, "--force")
    assert both.code == 1 and "--version cannot be combined" in both.err


def test_damaged_file_is_an_error_without_traceback(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text("{not json")
    result = run("sim", "show", "--target", f"sim:{path}")
    assert result.code == 1
    assert result.err_lines == [
        f"{path}:1:2: not valid JSON: Expecting property name enclosed in double quotes",
        f"{path}: the simulator file is damaged; fix or remove it (it is never overwritten)",
    ]
    assert path.read_text() == "{not json"


@pytest.mark.parametrize("name", ["../../escaped", "/abs", "..", "a/b", "x\n"])
def test_a_name_never_points_outside_the_simulator_folder(run: Run, tmp_path: Path, name: str) -> None:
    """`sim init --from` wrote where the snapshot's server.name pointed, and so did --name."""
    result = run("sim", "init", "--name", name)
    assert result.code == 1 and "is not a server name" in result.err
    snapshot = tmp_path / "snap.json"
    assert run("sim", "init", "--target", f"sim:{snapshot}", "--name", "ok").code == 0
    data = json.loads(snapshot.read_text(encoding="utf-8"))
    data["server"]["name"] = name
    snapshot.write_text(json.dumps(data), encoding="utf-8")
    result = run("sim", "init", "--from", str(snapshot))
    assert result.code == 1 and "is not a server name" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap.json", "snap.json.lock"]


def test_sim_set_with_a_huge_number_is_one_line(run: Run, tmp_path: Path) -> None:
    target = f"sim:{tmp_path / 'a.json'}"
    run("sim", "init", "--target", target, "--name", "a")
    result = run("sim", "set", "--target", target, "groups.0.memberCount=" + "9" * 5000)
    assert result.code == 1 and "Traceback" not in result.err and len(result.err_lines) >= 1


def test_init_takes_a_cloud_and_a_connector_name(run: Run, tmp_path: Path) -> None:
    target = f"sim:{tmp_path / 'gov.json'}"
    made = run("sim", "init", "--target", target, "--cloud", "AzureUSGovernment", "--connector-name", "t.us - AAD")
    assert made.code == 0, made.err
    data = json.loads(run("sim", "show", "--target", target).out)
    assert data["server"]["cloud"] == "AzureUSGovernment" and data["aadConnector"]["Name"] == "t.us - AAD"
    twin = run("sim", "init", "--target", f"sim:{tmp_path / 'b.json'}", "--from", str(tmp_path / "gov.json"),
               "--cloud", "AzureCommercial")  # fmt: skip
    assert twin.code == 1
    assert twin.err == "sim init: --from makes an exact twin; --cloud cannot be combined with it\n"


def test_set_says_what_changed(run: Run, tmp_path: Path) -> None:
    target = f"sim:{tmp_path / 'a.json'}"
    assert run("sim", "init", "--target", target, "--version", "1.6.2.4").code == 0
    result = run("sim", "set", "--target", target, "scheduler.SyncCycleInProgress=true", "server.version=1.6.2.4")
    assert result.code == 0
    assert result.out == (
        f"{tmp_path / 'a.json'}: scheduler.SyncCycleInProgress: false → true\n"
        f"{tmp_path / 'a.json'}: server.version: unchanged\n"
    )
