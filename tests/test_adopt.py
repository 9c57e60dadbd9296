"""`export` then `plan` against the same source finds nothing to do."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings

from reconciler import adopt
from reconciler.desired import DesiredState
from reconciler.errors import UserError
from reconciler.servers import serverconfig
from reconciler.servers.simulator import InMemoryServer
from tests.scenario import apply, make_plan, server, state
from tests.support import FIXTURES
from tests.test_planner_properties import desired_states, plan_or_skip, servers


@settings(max_examples=80, deadline=None)
@given(servers(), desired_states())
def test_export_round_trips_on_any_reconciled_server(srv: InMemoryServer, want: DesiredState) -> None:
    plan_or_skip(srv, want)
    with tempfile.TemporaryDirectory() as folder:
        apply(srv, want, Path(folder), allow=True)
    exported = adopt.desired_from(srv.observe())
    assert exported.notes == ()
    again = make_plan(srv, exported.state)
    assert again.actions == (), [a.describe() for a in again.actions]


@pytest.mark.parametrize("version", ["1.5.30.0", "1.6.2.4", "2.4.18.0"])
def test_export_of_a_new_server_is_its_standard_settings(version: str) -> None:
    srv = server(version)
    exported = adopt.desired_from(srv.observe()).state
    assert exported.rule_precedence is None
    assert make_plan(srv, exported).actions == ()


def test_export_keeps_the_clone_by_its_own_name(tmp_path: Path) -> None:
    srv = server("1.6.2.4")
    apply(srv, state(rule_name="Big groups", rule_precedence=42), tmp_path)
    exported = adopt.desired_from(srv.observe()).state
    assert (exported.rule_name, exported.rule_precedence, exported.group_member_limit) == ("Big groups", 42, 100000)


def test_a_clone_beside_an_enabled_standard_rule_is_said(tmp_path: Path) -> None:
    srv = server("1.6.2.4")
    apply(srv, state(), tmp_path)
    standard = next(r for r in srv.state.sync_rules if r.name == "Out to AAD - Group Join")
    srv.set_rule_disabled(standard.identifier, False)
    notes = adopt.desired_from(srv.observe()).notes
    assert notes == (
        "the standard rule is enabled beside 'Out to AAD - Group Join (member limit)'; the desired state says "
        "it is disabled, so the first plan disables it",
    )


def test_the_real_export_round_trips() -> None:
    folder = FIXTURES / "adsync-export-contoso-1.1.130.0"
    if not folder.is_dir():
        pytest.skip("shared/fixtures is not beside this checkout")
    observed = serverconfig.read(folder, "contoso-sync01")
    exported = adopt.desired_from(observed)
    assert len(exported.notes) == 2
    assert make_plan(InMemoryServer(observed), exported.state).actions == ()


def test_a_server_without_any_member_flow_cannot_be_described() -> None:
    srv = server("1.6.2.4")
    standard = next(r for r in srv.state.sync_rules if r.name == "Out to AAD - Group Join")
    srv.set_rule_disabled(standard.identifier, True)
    with pytest.raises(UserError, match="no enabled rule flows member to Azure AD"):
        adopt.desired_from(srv.observe())
