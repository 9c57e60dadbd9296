from __future__ import annotations

from collections.abc import Callable

from reconciler.model import limitrules, syncrules
from reconciler.servers.simulator import SimulatedServer

MakeServer = Callable[..., SimulatedServer]


def provisioned(server: SimulatedServer) -> set[str]:
    return {g.name for g in server.observe().groups or () if g.provisioned}


def raise_limit(server: SimulatedServer, limit: int) -> None:
    """A clone of every limit-carrying standard rule the server has, its standard rule disabled."""
    for precedence, family in enumerate(limitrules.CATALOGUE, start=90):
        standard = syncrules.standard_rule(server.observe(), family)
        if standard is None:
            continue
        name = f"clone of {family.name}"
        server.add_rule(syncrules.make_clone(standard, server="s", name=name, precedence=precedence, limit=limit))
        server.set_rule_disabled(standard.identifier, True)
    server.set_connector_override(server.observe().aad_connector.name, False)


def test_groups_below_the_limit_are_provisioned(make_server: MakeServer) -> None:
    server = make_server("1.6.2.4")
    # memberCount LESSTHAN 50000 is strict: a group of exactly 50,000 members is out of scope.
    assert provisioned(server) == {"Helpdesk", "Finance", "Sales EMEA", "Engineering", "Contractors"}
    raise_limit(server, 200000)
    _, after = server.run_cycle(full=False)
    assert {"All Faculty", "All Staff", "All Students"} <= provisioned(server) and "Alumni" not in provisioned(server)
    assert after.last_sync_cycle is not None
    assert after.last_sync_cycle.kind == "delta" and after.last_sync_cycle.result == "success"
    # Three provisioned groups above 50,000 through V2: informational dn-attributes-failure only.
    assert [(e.type, e.count) for e in after.last_sync_cycle.export_errors] == [("dn-attributes-failure", 3)]
    assert not after.last_sync_cycle.has_real_errors


def test_v1_endpoint_caps_at_50000_whatever_the_rule(make_server: MakeServer) -> None:
    server = make_server("1.6.2.4")
    server.set_export_api_version(1)
    raise_limit(server, 200000)
    server.run_cycle(full=False)
    assert "All Staff" not in provisioned(server)


def test_over_a_lowered_limit_groups_error_each_cycle_and_stay(make_server: MakeServer) -> None:
    server = make_server("2.4.18.0")
    assert "Alumni" in provisioned(server)
    raise_limit(server, 100000)
    _, after = server.run_cycle(full=False)
    assert after.last_sync_cycle is not None and after.last_sync_cycle.result == "completed-sync-errors"
    errors = {e.type: e for e in after.last_sync_cycle.export_errors}
    assert errors["sync-rule-error-function-triggered"].count == 3
    assert errors["sync-rule-error-function-triggered"].message == "Maximum Group member count exceeded"
    assert after.last_sync_cycle.has_real_errors
    assert {"All Staff", "All Students", "Alumni"} <= provisioned(server)
    # Still in scope through cloudAnchor ISNOTNULL: a full cycle keeps them, their membership frozen.
    _, full = server.run_cycle(full=True)
    assert {"All Staff", "All Students", "Alumni"} <= provisioned(server)
    assert full.last_sync_cycle is not None and full.last_sync_cycle.has_real_errors


def test_groups_in_scope_of_no_enabled_rule_are_deleted_on_a_full_cycle(make_server: MakeServer) -> None:
    server = make_server("2.4.18.0")
    standard = syncrules.standard_group_join(server.observe())
    assert standard is not None
    server.set_rule_disabled(standard.identifier, True)
    server.set_connector_override(server.observe().aad_connector.name, False)
    server.run_cycle(full=False)
    assert "Alumni" in provisioned(server)  # a delta cycle deletes nothing
    server.run_cycle(full=True)
    assert provisioned(server) == set()


def test_a_staging_server_exports_nothing(make_server: MakeServer) -> None:
    server = make_server("2.4.18.0")
    server.assign(["scheduler.StagingModeEnabled=true"])
    standard = syncrules.standard_group_join(server.observe())
    assert standard is not None
    server.set_rule_disabled(standard.identifier, True)
    before = provisioned(server)
    _, after = server.run_cycle(full=True)
    assert provisioned(server) == before
    assert after.last_sync_cycle is not None and after.last_sync_cycle.export_errors == ()


def test_full_sync_override_turns_a_delta_into_a_full_cycle_and_is_cleared(make_server: MakeServer) -> None:
    server = make_server("2.4.18.0")
    standard = syncrules.standard_group_join(server.observe())
    assert standard is not None
    server.add_rule(syncrules.make_clone(standard, server="s", name="clone", precedence=90, limit=100000))
    _, after = server.run_cycle(full=False)  # the rule change left FullSyncRequired set
    assert after.last_sync_cycle is not None and after.last_sync_cycle.kind == "full"
    assert "Alumni" in provisioned(server) and after.last_sync_cycle.has_real_errors  # 240,000 > the clone's 100,000
    assert not any(o.full_sync_required or o.full_import_required for o in after.connector_overrides)


def test_unverified_domain_caps_at_15000(make_server: MakeServer) -> None:
    server = make_server("2.4.18.0")
    server.assign(["server.tenantHasVerifiedDomain=false"])
    server.run_cycle(full=True)
    assert provisioned(server) == {"Helpdesk", "Finance", "Sales EMEA"}
