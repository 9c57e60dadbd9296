from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from reconciler.model import inforce, limitrules, syncrules
from reconciler.servers.simulator import defaults
from reconciler.servers.simulator.standard_rules import standard_rules


def test_current_build_is_v2_with_250k_and_everything_synced() -> None:
    state = defaults.new_server("s")
    assert state.registry.export_api_version is None and state.registry.import_api_version is None
    assert state.aad_connector.export_type == 5
    assert inforce.api_versions(state) == (2, 2)
    assert syncrules.effective_limit(state) == 250000
    assert state.scheduler.sync_cycle_enabled and not state.scheduler.sync_cycle_in_progress
    groups = state.groups or ()
    assert len(groups) >= 5 and any(g.member_count > 50000 for g in groups)
    assert all(g.provisioned for g in groups)
    assert all(r.precedence >= 100 and r.is_standard for r in state.sync_rules)


def test_pre_1_6_build_is_v1_with_50k() -> None:
    state = defaults.new_server("s", "1.5.30.0")
    assert state.aad_connector.export_type == 2
    assert inforce.api_versions(state) == (1, 1)
    assert syncrules.effective_limit(state) == 50000
    assert {g.name for g in state.groups or () if not g.provisioned} == {
        "All Managers",  # exactly 50,000: out of scope of memberCount LESSTHAN 50000
        "All Faculty",
        "All Staff",
        "All Students",
        "Alumni",
    }
    assert len(state.sync_rules) == 62


def test_group_writeup_member_limit_rule_from_1_6_2_4() -> None:
    state = defaults.new_server("s", "1.6.2.4")
    writeup = syncrules.standard_rule(state, limitrules.GROUP_WRITEUP)
    assert writeup is not None and writeup.precedence == 137 and writeup.link_type == "Join"
    assert writeup.immutable_tag == "Microsoft.OuttoAADGroupWriteupMemberLimit.001"
    assert syncrules.rule_limit(writeup) == syncrules.RuleLimit(50000, ())
    (flow,) = writeup.attribute_flow_mappings
    assert flow.expression is not None and flow.expression.startswith('IIF((ValueCount("member")> 50000),Error(')
    assert len({r.precedence for r in state.sync_rules}) == len(state.sync_rules) == 63
    assert (
        syncrules.rule_limit(
            syncrules.standard_rule(defaults.new_server("s", "2.0.3.0"), limitrules.GROUP_WRITEUP)
        ).flow
        == 250000
    )  # type: ignore[arg-type]
    assert syncrules.standard_rule(defaults.new_server("s", "1.6.1.0"), limitrules.GROUP_WRITEUP) is None


def test_standard_rules_are_shaped_like_the_export(contoso_export: Path) -> None:
    """Against the real 1.1.130.0 sample where it is beside the checkout; against our own export of
    the table (which then checks that writing and reading an export loses nothing) everywhere."""
    real = {}
    for path in (contoso_export / "SynchronizationRules").glob("*.xml"):
        root = ET.parse(path).getroot()
        text = lambda tag, r=root: (r.findtext(tag) or "").strip()  # noqa: E731
        real[text("id").strip("{}")] = (
            text("name"), text("direction"), int(text("precedence")), text("immutable-tag"),
            text("sourceObjectType"), text("targetObjectType"), text("linkType"),
        )  # fmt: skip
    ours = {
        r.identifier: (r.name, r.direction, r.precedence, r.immutable_tag, r.source_object_type,
                       r.target_object_type, r.link_type)
        for r in standard_rules("1.1.130.0")
    }  # fmt: skip
    assert ours == real

    root = ET.parse(
        contoso_export / "SynchronizationRules" / "SynchronizationRule_{039dcc3a-1513-4c08-b296-0973691e644a}.xml"
    )
    real_flows = [
        (m.findtext("dest"), tuple(a.text for a in m.iter("attr")), m.findtext("expression"))
        for m in root.getroot().iter("mapping")
    ]
    real_scope = [
        [(s.findtext("csAttribute"), s.findtext("csOperator"), s.findtext("csValue") or "") for s in c.iter("scope")]
        for c in root.getroot().iter("conditions")
        if c.find("scope") is not None
    ]
    join = next(r for r in standard_rules("1.1.130.0") if syncrules.is_group_join_standard(r))
    assert [(m.destination, m.source, m.expression) for m in join.attribute_flow_mappings] == real_flows
    assert [
        [(c.attribute, c.comparison_operator, c.comparison_value) for c in g.conditions] for g in join.scope_filter
    ] == real_scope


def test_twin_keeps_what_it_was_given_and_fills_what_is_missing() -> None:
    real = defaults.new_server("prod", "1.6.2.4").replace(groups=None)
    twin = defaults.twin(real, name="rehearsal")
    assert twin.server.name == "rehearsal" and twin.sync_rules == real.sync_rules
    assert twin.registry == real.registry and twin.scheduler == real.scheduler
    assert twin.groups and {g.name for g in twin.groups} == {n for n, _ in defaults.DEFAULT_GROUPS}
    exact = defaults.twin(defaults.new_server("prod", "1.6.2.4"))
    assert exact.groups == defaults.new_server("prod", "1.6.2.4").groups
