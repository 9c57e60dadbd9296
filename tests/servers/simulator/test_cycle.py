from __future__ import annotations

from collections.abc import Callable

from reconciler import syncrules
from reconciler.servers.simulator import SimulatedServer

MakeServer = Callable[..., SimulatedServer]


def provisioned(server: SimulatedServer) -> set[str]:
    return {g.name for g in server.observe().groups or () if g.provisioned}


def raise_limit(server: SimulatedServer, limit: int) -> None:
    standard = syncrules.standard_group_join(server.observe())
    assert standard is not None
    server.add_rule(syncrules.make_clone(standard, server="s", name="clone", precedence=90, limit=limit))
    server.set_rule_disabled(standard.identifier, True)
    server.set_connector_override(server.observe().aad_connector.name, False)


def test_groups_up_to_the_limit_are_provisioned(make_server: MakeServer) -> None:
    server = make_server("1.6.2.4")
    assert provisioned(server) == {"Helpdesk", "Finance", "Sales EMEA", "Engineering", "Contractors", "All Managers"}
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


def test_over_the_limit_errors_on_delta_and_deletes_on_full(make_server: MakeServer) -> None:
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
    server.run_cycle(full=True)
    assert not {"All Staff", "All Students", "Alumni"} & provisioned(server)


def test_full_sync_override_turns_a_delta_into_a_full_cycle_and_is_cleared(make_server: MakeServer) -> None:
    server = make_server("2.4.18.0")
    standard = syncrules.standard_group_join(server.observe())
    assert standard is not None
    server.add_rule(syncrules.make_clone(standard, server="s", name="clone", precedence=90, limit=100000))
    _, after = server.run_cycle(full=False)  # the rule change left FullSyncRequired set
    assert after.last_sync_cycle is not None and after.last_sync_cycle.kind == "full"
    assert "Alumni" not in provisioned(server)
    assert not any(o.full_sync_required or o.full_import_required for o in after.connector_overrides)


def test_unverified_domain_caps_at_15000(make_server: MakeServer) -> None:
    server = make_server("2.4.18.0")
    server.assign(["server.tenantHasVerifiedDomain=false"])
    server.run_cycle(full=True)
    assert provisioned(server) == {"Helpdesk", "Finance", "Sales EMEA"}
