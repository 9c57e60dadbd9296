"""`--target` names one kind of target from the registry; each kind opens and reads its own servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import UserError
from reconciler.servers import protocol, targets
from reconciler.servers.simulator import SimulatedServer, defaults
from reconciler.servers.snapshot import ReadOnlyServer
from tests.scenario import state
from tests.support import sim_init


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("sim", targets.SimTarget(folder=targets.DEFAULT_SIM_FOLDER)),
        ("sim:a.json", targets.SimTarget(file=Path("a.json"))),
        ("sim:servers/", targets.SimTarget(folder=Path("servers/"))),
        ("snapshot:s.json", targets.SnapshotTarget(file=Path("s.json"))),
        ("snapshot:snaps/", targets.SnapshotTarget(folder=Path("snaps/"))),
        ("export:contoso-export", targets.ServerConfigTarget(Path("contoso-export"))),
        ("powershell", targets.LiveTarget()),
        ("winrm://aadc01.contoso.com:5986", targets.LiveTarget("aadc01.contoso.com:5986")),
    ],
)
def test_each_kind_is_parsed(spec: str, expected: protocol.Target) -> None:
    assert targets.parse(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sim:", "target sim: needs a path, e.g. sim:FILE.json"),
        ("export:", "target export: needs a path, e.g. export:DIR"),
        ("winrm:aadc01", "target 'winrm:aadc01': expected winrm://HOST or winrm://HOST:PORT"),
        ("winrm", "target 'winrm': expected winrm://HOST or winrm://HOST:PORT"),
        ("powershell:x", "target 'powershell:x': the powershell target takes no path"),
        ("ftp://x", "unknown target 'ftp://x'"),
    ],
)
def test_a_target_that_cannot_be_understood_is_an_error(spec: str, message: str) -> None:
    with pytest.raises(UserError) as caught:
        targets.parse(spec)
    assert str(caught.value).startswith(message)


def test_the_environment_names_the_target_when_the_command_line_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(targets.ENV_VAR, "snapshot:s.json")
    assert targets.parse(None) == targets.SnapshotTarget(file=Path("s.json"))
    assert targets.parse("sim:a.json") == targets.SimTarget(file=Path("a.json"))


def test_every_registered_kind_is_writable_or_read_only_as_documented() -> None:
    assert set(targets.KINDS) == {"sim", "snapshot", "export", "powershell", "winrm"}
    writable = {spec: targets.parse(spec).writable for spec in ("sim", "snapshot:x", "export:x", "powershell")}
    assert writable == {"sim": True, "snapshot:x": False, "export:x": False, "powershell": True}


def test_a_simulated_server_is_never_invented_and_a_snapshot_is_read_only(tmp_path: Path) -> None:
    sim = targets.parse(f"sim:{tmp_path}/")
    with pytest.raises(UserError, match="no simulated server; make one first: reconciler sim init --target"):
        sim.open(state("contoso-aadc01"))
    assert list(tmp_path.iterdir()) == []
    sim_init(f"sim:{tmp_path}/", "contoso-aadc01")
    assert isinstance(sim.open(state("contoso-aadc01")), SimulatedServer)
    assert sim.observe_existing("contoso-aadc01").server.name == "contoso-aadc01"

    snapshot = tmp_path / "snap.json"
    SimulatedServer(snapshot).create(defaults.new_server("contoso-aadc01", "1.6.2.4"), replace=False)
    read_only = targets.parse(f"snapshot:{snapshot}").open(state("contoso-aadc01"))
    assert isinstance(read_only, ReadOnlyServer) and read_only.observe().server.version == "1.6.2.4"
    with pytest.raises(UserError, match="is read-only"):
        read_only.set_sync_cycle_enabled(False)


def test_winrm_hosts_of_a_fleet_are_named_after_each_server() -> None:
    target = targets.LiveTarget("{name}.corp.contoso.com")
    assert target.label("aadc01") == "winrm://aadc01.corp.contoso.com"
    assert targets.LiveTarget().label("aadc01") == "powershell"
