"""The standard rules that cap a group's members: one row each, with its source.

Each standard rule that carries the limit gets its own managed clone where the desired limit
differs from the rule's own (docs/domain.md#the-rules-that-carry-the-limit). The limit in force is
the lowest among the enabled limit-carrying rules: each one's `member` flow is
`IIF(<count> > N, Error(...), IgnoreThisFlow)`, so every one of them is evaluated, whichever wins
the attribute. A third such rule is a row here, and its keys in the state file.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.model import facts


@dataclass(frozen=True, slots=True)
class LimitRule:
    key: str  # the family's name in code
    name: str  # the standard rule's name (ASCII hyphen, as real servers spell it)
    tag_prefix: str  # its ImmutableTag without the generation suffix
    provisions: bool  # LinkType Provision: it creates groups in Entra ID, and keeps them in scope
    name_key: str  # the state file's key for the clone's name ...
    precedence_key: str  # ... and for its precedence
    default_clone_name: str
    view: str  # the managed settings' names: `<view>.enabled` of the standard rule, `<managed view>` of the clone
    managed_view: str
    source: str


GROUP_JOIN = LimitRule(
    key="groupJoin",
    name=facts.GROUP_JOIN_RULE_NAME,
    tag_prefix=facts.GROUP_JOIN_IMMUTABLE_TAG_PREFIX,
    provisions=True,
    name_key="ruleName",
    precedence_key="rulePrecedence",
    default_clone_name=facts.DEFAULT_MANAGED_RULE_NAME,
    view="standardRule",
    managed_view="managedRule",
    source="real 1.1.130.0 export (Microsoft.OuttoAADGroupJoin.006); V2 endpoint page",
)

GROUP_WRITEUP = LimitRule(
    key="groupWriteup",
    name="Out to AAD - Group Writeup Member Limit",
    tag_prefix="Microsoft.OuttoAADGroupWriteupMemberLimit.",
    provisions=False,
    name_key="writeupRuleName",
    precedence_key="writeupRulePrecedence",
    default_clone_name="Out to AAD - Group Writeup Member Limit (member limit)",
    view="writeupStandardRule",
    managed_view="writeupManagedRule",
    source="version history 1.6.2.4; azure-docs issues #75330 and #74941 (admins who cloned only Group Join)",
)

CATALOGUE: tuple[LimitRule, ...] = (GROUP_JOIN, GROUP_WRITEUP)


def family_of_tag(tag: str | None) -> LimitRule | None:
    return next((f for f in CATALOGUE if (tag or "").startswith(f.tag_prefix)), None)


def family_named(name: str) -> LimitRule | None:
    """The family whose standard rule has this name (Group Join in either spelling of its name)."""
    if facts.is_group_join_name(name):
        return GROUP_JOIN
    return next((f for f in CATALOGUE if f.name == name), None)
