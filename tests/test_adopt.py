"""`export` then `plan` against the same source finds nothing to do."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings

from reconciler.errors import UserError
from reconciler.formats import yamlsource
from reconciler.model import desired, limitrules, syncrules, validation
from reconciler.model.desired import DesiredState
from reconciler.planning import adopt
from reconciler.servers import serverconfig
from reconciler.servers.simulator import InMemoryServer
from tests.scenario import apply, make_plan, server, state
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
    exported = adopt.desired_from(srv.observe())
    # The standard rule caps at 50,000 again, whatever the clones say: that is the limit in force.
    assert exported.state.group_member_limit == 50000
    assert exported.notes[0] == (
        "'Out to AAD - Group Join (member limit)' carries 100000 members, but the lowest limit in force is 50000: "
        "that is what is written; raise groupMemberLimit (and rulePrecedence for each limit-carrying rule) to go "
        "above it"
    )


def test_an_export_folder_round_trips(contoso_export: Path) -> None:
    observed = serverconfig.read(contoso_export, "contoso-sync01")
    exported = adopt.desired_from(observed)
    assert len(exported.notes) == 2
    assert make_plan(InMemoryServer(observed), exported.state).actions == ()


def test_a_server_without_any_member_limit_cannot_be_described() -> None:
    srv = server("1.6.2.4")
    for family in limitrules.CATALOGUE:
        standard = syncrules.standard_rule(srv.observe(), family)
        assert standard is not None
        srv.set_rule_disabled(standard.identifier, True)
    with pytest.raises(UserError, match="no enabled rule carries a member limit to Azure AD"):
        adopt.desired_from(srv.observe())


def test_a_server_configured_by_hand_is_adopted_exported_and_planned_empty() -> None:
    """The Rules Editor's "Edit" of a standard rule makes an editable copy that keeps its name."""
    srv = server("1.6.4.0")
    for precedence, family in ((90, limitrules.GROUP_JOIN), (89, limitrules.GROUP_WRITEUP)):
        standard = syncrules.standard_rule(srv.observe(), family)
        assert standard is not None
        copy = syncrules.make_clone(standard, server="by hand", name=standard.name, precedence=precedence, limit=100000)
        srv.add_rule(copy)
        srv.set_rule_disabled(standard.identifier, True)
    srv.run_cycle(full=True)  # the full sync the rule changes asked for
    exported = adopt.desired_from(srv.observe())
    assert exported.notes == ()
    document = desired.to_document(exported.state)
    assert document["spec"]["ruleName"] == "Out to AAD - Group Join" and document["spec"]["rulePrecedence"] == 90
    assert document["spec"]["writeupRuleName"] == "Out to AAD - Group Writeup Member Limit"
    assert validation.check(yamlsource.parse(yamlsource.dump(document), "exported.yaml")) == []
    assert make_plan(srv, exported.state).actions == ()
    # Raising it later changes the copies in place, never the standard rules.
    raised = make_plan(srv, dataclasses.replace(exported.state, group_member_limit=150000))
    assert {a.kind for a in raised.actions} == {
        "WaitForSyncIdle",
        "SetSyncCycleEnabled",
        "UpdateSyncRule",
        "SetConnectorOverride",
    }
