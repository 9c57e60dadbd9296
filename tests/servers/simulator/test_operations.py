from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from reconciler.errors import Refused
from reconciler.model import syncrules
from reconciler.model.observed import SyncRule
from reconciler.servers.simulator import SimulatedServer

MakeServer = Callable[..., SimulatedServer]


def group_join(server: SimulatedServer) -> SyncRule:
    rule = syncrules.standard_group_join(server.observe())
    assert rule is not None
    return rule


def aad_full_sync(server: SimulatedServer) -> bool:
    state = server.observe()
    override = state.override_for(state.aad_connector.name)
    return bool(override and override.full_sync_required)


def test_export_version_changes_all_three_places(make_server: MakeServer) -> None:
    server = make_server("1.6.2.4")
    assert server.observe().registry.export_filtering == 1  # a new server's three places agree
    server.set_export_api_version(1)
    state = server.observe()
    assert state.registry.export_api_version == 1 and state.aad_connector.export_type == 2
    assert state.registry.export_filtering == 0
    server.set_import_api_version(1)
    state = server.observe()
    assert state.registry.import_api_version == 1 and state.aad_connector.export_type == 2
    server.set_export_api_version(2)
    assert server.observe().aad_connector.export_type == 5 and server.observe().registry.export_filtering == 1


def test_v2_refused_below_1_5_30_0(make_server: MakeServer) -> None:
    server = make_server("1.5.22.0")
    before = server.path.read_bytes()
    with pytest.raises(Refused, match=r"V2 endpoint needs version 1\.5\.30\.0 or later; this server runs 1\.5\.22\.0"):
        server.set_export_api_version(2)
    with pytest.raises(Refused):
        server.set_import_api_version(2)
    assert server.path.read_bytes() == before


def test_v2_refused_in_azure_germany(make_server: MakeServer) -> None:
    server = make_server("1.6.2.4")
    server.assign(["server.cloud=AzureGermany"])
    with pytest.raises(Refused, match="not available in the AzureGermany cloud"):
        server.set_export_api_version(2)
    server.set_export_api_version(1)  # V1 is fine there


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.set_sync_cycle_enabled(False),
        lambda s: s.set_export_api_version(1),
        lambda s: s.set_import_api_version(1),
        lambda s: s.set_rule_disabled(group_join(s).identifier, True),
        lambda s: s.remove_rule(group_join(s).identifier),
        lambda s: s.add_rule(syncrules.make_clone(group_join(s), server="x", name="c", precedence=5, limit=60000)),
        lambda s: s.set_connector_override(s.observe().aad_connector.name, False),
        lambda s: s.run_cycle(False),
        lambda s: s.upgrade("2.5.0.0"),
    ],
)
def test_every_change_is_refused_while_a_cycle_runs(
    make_server: MakeServer, change: Callable[[SimulatedServer], object]
) -> None:
    server = make_server()
    server.assign(["scheduler.SyncCycleInProgress=true"])
    before = server.path.read_bytes()
    with pytest.raises(Refused, match="busy: a sync cycle is in progress"):
        change(server)
    assert server.path.read_bytes() == before


def test_precedence_must_be_unique(make_server: MakeServer) -> None:
    server = make_server()
    taken = group_join(server).precedence
    clone = syncrules.make_clone(group_join(server), server="x", name="c", precedence=taken, limit=60000)
    with pytest.raises(Refused, match=f"precedence {taken} is already used by sync rule 'Out to AAD - Group Join'"):
        server.add_rule(clone)
    server.add_rule(dataclasses.replace(clone, precedence=90))
    # Replacing the same rule at its own precedence is not a clash.
    server.add_rule(syncrules.with_limit(dataclasses.replace(clone, precedence=90), 70000))
    assert syncrules.effective_limit(server.observe()) == 70000


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.add_rule(syncrules.make_clone(group_join(s), server="x", name="c", precedence=5, limit=60000)),
        lambda s: s.set_rule_disabled(group_join(s).identifier, True),
        lambda s: s.remove_rule(group_join(s).identifier),
    ],
)
def test_rule_changes_set_the_full_sync_flag(
    make_server: MakeServer, change: Callable[[SimulatedServer], object]
) -> None:
    server = make_server()
    assert not aad_full_sync(server)
    change(server)
    assert aad_full_sync(server)


def test_enabling_sets_the_full_sync_flag_too(make_server: MakeServer) -> None:
    server = make_server()
    server.set_rule_disabled(group_join(server).identifier, True)
    server.set_connector_override(server.observe().aad_connector.name, False)
    assert not aad_full_sync(server)
    server.set_rule_disabled(group_join(server).identifier, False)
    assert aad_full_sync(server) and not group_join(server).disabled


def test_standard_rules_cannot_be_edited_or_created(make_server: MakeServer) -> None:
    server = make_server()
    standard = group_join(server)
    with pytest.raises(Refused, match="standard rule 'Out to AAD - Group Join' cannot be edited"):
        server.add_rule(syncrules.with_limit(standard, 100000))
    with pytest.raises(Refused, match="a new rule cannot be a standard rule"):
        server.add_rule(dataclasses.replace(standard, identifier="11111111-1111-1111-1111-111111111111", precedence=5))


def test_unknown_rule_and_connector(make_server: MakeServer) -> None:
    server = make_server()
    with pytest.raises(Refused, match="no sync rule with identifier"):
        server.remove_rule("11111111-1111-1111-1111-111111111111")
    with pytest.raises(Refused, match="no connector named 'nope'"):
        server.set_connector_override("nope", False)


def test_a_rule_whose_limit_cannot_be_read_is_refused(make_server: MakeServer) -> None:
    server = make_server()
    clone = syncrules.make_clone(group_join(server), server="x", name="c", precedence=5, limit=60000)
    broken = dataclasses.replace(
        clone,
        attribute_flow_mappings=tuple(
            dataclasses.replace(m, expression="IIF([memberCount] >") if m.destination == "member" else m
            for m in clone.attribute_flow_mappings
        ),
    )
    with pytest.raises(Exception, match="cannot understand its member limit"):
        server.add_rule(broken)
