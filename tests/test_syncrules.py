from __future__ import annotations

import dataclasses

import pytest

from reconciler.errors import UserError
from reconciler.model import expressions, facts, syncrules
from reconciler.model.observed import AttributeFlowMapping, ObservedState, SyncRule
from reconciler.servers.simulator import defaults


@pytest.fixture
def state() -> ObservedState:
    return defaults.new_server("s1", "1.6.2.4")


def group_join(state: ObservedState) -> SyncRule:
    rule = syncrules.standard_group_join(state)
    assert rule is not None
    return rule


def test_standard_rule_found_by_tag_and_read(state: ObservedState) -> None:
    rule = group_join(state)
    # 139 in the real 1.1.130.0 export; from 1.6.2.4 the Writeup Member Limit rule takes 137.
    assert rule.name == "Out to AAD - Group Join" and rule.precedence == 140
    assert syncrules.rule_limit(rule) == syncrules.RuleLimit(50000, (50000, 50000))
    assert syncrules.rule_limit(rule).consistent
    assert syncrules.effective_limit(state) == 50000


def test_standard_rule_found_by_en_dash_name_without_tag(state: ObservedState) -> None:
    rule = dataclasses.replace(group_join(state), immutable_tag=None, name=facts.GROUP_JOIN_RULE_NAME_PROSE)
    assert syncrules.is_group_join_standard(rule)
    custom = dataclasses.replace(rule, is_standard_rule=False)
    assert not syncrules.is_group_join_standard(custom)


def test_the_lowest_limit_among_the_enabled_rules_is_in_force(state: ObservedState) -> None:
    clone = syncrules.make_clone(group_join(state), server="s1", name="big", precedence=90, limit=100000)
    assert clone.immutable_tag is None and not clone.is_standard
    assert syncrules.rule_limit(clone) == syncrules.RuleLimit(100000, (100000, 100000))
    with_clone = state.replace(sync_rules=(*state.sync_rules, clone))
    # Both standard rules still cap at 50,000: each member flow steps aside below its own limit only.
    assert syncrules.effective_limit(with_clone) == 50000
    only_clone = with_clone.replace(
        sync_rules=tuple(
            dataclasses.replace(r, disabled=True) if syncrules.standard_family(r) is not None else r
            for r in with_clone.sync_rules
        )
    )
    assert syncrules.limit_rule(only_clone) == clone
    assert syncrules.effective_limit(only_clone) == 100000
    disabled = state.replace(sync_rules=(*state.sync_rules, dataclasses.replace(clone, disabled=True)))
    assert syncrules.effective_limit(disabled) == 50000
    assert syncrules.managed_clones(with_clone, "big") == [clone]
    assert syncrules.clone_identifier("s1", "big") == clone.identifier


def test_two_places_that_disagree_are_visible(state: ObservedState) -> None:
    rule = group_join(state)
    flows = tuple(
        dataclasses.replace(m, expression=expressions.standard_member_expression(75000))
        if m.destination == "member"
        else m
        for m in rule.attribute_flow_mappings
    )
    limit = syncrules.rule_limit(dataclasses.replace(rule, attribute_flow_mappings=flows))
    assert limit.flow == 75000 and not limit.consistent


def test_unreadable_expression_names_the_rule(state: ObservedState) -> None:
    rule = group_join(state)
    flows = tuple(
        dataclasses.replace(m, expression="IIF([memberCount] > Lots, 1, 2)") if m.destination == "member" else m
        for m in rule.attribute_flow_mappings
    )
    with pytest.raises(UserError, match=r"sync rule 'Out to AAD - Group Join' \(039dcc3a-.*\): cannot understand"):
        syncrules.rule_limit(dataclasses.replace(rule, attribute_flow_mappings=flows))


def test_direct_member_flow_carries_no_limit(state: ObservedState) -> None:
    rule = dataclasses.replace(
        group_join(state), attribute_flow_mappings=(AttributeFlowMapping(("member",), "member", "Direct", None),)
    )
    assert syncrules.rule_limit(rule).flow is None


def test_two_standard_group_join_rules_are_an_error(state: ObservedState) -> None:
    twin = dataclasses.replace(group_join(state), identifier="00000000-0000-0000-0000-000000000001")
    with pytest.raises(UserError, match="more than one standard 'Out to AAD - Group Join' rule"):
        syncrules.standard_group_join(state.replace(sync_rules=(*state.sync_rules, twin)))
