from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler.errors import Refused
from reconciler.model import syncrules
from reconciler.servers.simulator import SimulatedServer

MakeServer = Callable[..., SimulatedServer]


def enable_v2_at(server: SimulatedServer, limit: int) -> None:
    server.set_export_api_version(2)
    server.set_import_api_version(2)
    standard = syncrules.standard_group_join(server.observe())
    assert standard is not None
    server.add_rule(syncrules.make_clone(standard, server="s", name="clone", precedence=90, limit=limit))
    server.set_rule_disabled(standard.identifier, True)


def test_endpoint_settings_are_lost_and_the_new_default_applies(make_server: MakeServer) -> None:
    server = make_server("1.5.30.0")
    enable_v2_at(server, 100000)
    assert server.observe().aad_connector.export_type == 5
    after = server.upgrade("1.5.45.0")
    assert after.registry.export_api_version is None and after.registry.import_api_version is None
    assert after.registry.export_filtering is None  # reads as the new build's default
    assert after.aad_connector.export_type == 2  # V1 is the default before 1.6.2.4
    assert after.server.version == "1.5.45.0"


def test_standard_rules_replaced_disabled_stays_disabled_deleted_returns(make_server: MakeServer) -> None:
    server = make_server("2.0.3.0")
    before = server.observe()
    identity = next(r for r in before.sync_rules if r.name == "Out to AAD - Group Identity")
    server.remove_rule(identity.identifier)
    enable_v2_at(server, 100000)
    after = server.upgrade("2.4.18.0")
    standard = [r for r in after.sync_rules if r.is_standard]
    assert len(standard) == len([r for r in before.sync_rules if r.is_standard])
    assert not {r.identifier for r in standard} & {r.identifier for r in before.sync_rules}
    assert all(r.version == 2 for r in standard)
    group_join = syncrules.standard_group_join(after)
    assert group_join is not None and group_join.disabled
    assert any(r.name == "Out to AAD - Group Identity" and not r.disabled for r in standard)
    clone = syncrules.managed_clones(after, "clone")
    assert len(clone) == 1 and syncrules.rule_limit(clone[0]).flow == 100000
    assert syncrules.effective_limit(after) == 100000


def test_full_import_and_full_sync_overrides_are_set(make_server: MakeServer) -> None:
    after = make_server("2.0.3.0").upgrade("2.4.18.0")
    assert after.connector_overrides and all(
        o.full_import_required and o.full_sync_required for o in after.connector_overrides
    )


def test_upgrade_into_1_6_resets_the_member_limit(make_server: MakeServer) -> None:
    server = make_server("1.5.30.0")
    enable_v2_at(server, 100000)
    after = server.upgrade("1.6.4.0")
    group_join = syncrules.standard_group_join(after)
    assert group_join is not None and not group_join.disabled
    clone = syncrules.managed_clones(after, "clone")[0]
    assert syncrules.rule_limit(clone) == syncrules.RuleLimit(50000, (50000, 50000))
    assert syncrules.effective_limit(after) == 50000


def test_upgrade_to_2_0_3_0_raises_the_standard_limit(make_server: MakeServer) -> None:
    after = make_server("1.6.2.4").upgrade("2.0.3.0")
    assert syncrules.effective_limit(after) == 250000


def test_only_forward(make_server: MakeServer) -> None:
    server = make_server("2.4.18.0")
    with pytest.raises(Refused, match="an in-place upgrade goes forward"):
        server.upgrade("2.4.18.0")
